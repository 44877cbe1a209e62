/*
 * output.c - what the commands write on stdout: JSON as every --json
 * prints it, and a vetting report in words.  Nothing here reads the
 * database.
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "output.h"
#include "query.h"
#include "timefmt.h"
#include "vet.h"

static void	rows_print(FILE *, int64_t, json_t *, int);

/*
 * Print o as indented, ASCII-only JSON on stdout, for every --json of
 * the server.  Takes the reference.  Returns 1, or 0 when o is NULL
 * (out of memory) or stdout failed.
 */
int
json_print(json_t *o)
{
	int	 rc;

	rc = o != NULL && json_dumpf(o, stdout, JSON_INDENT(2) |
	    JSON_ENSURE_ASCII) == 0 && fputc('\n', stdout) != EOF;
	json_decref(o);
	return rc;
}

/*
 * A vetting report as JSON (vet_report_json, or as stored) in words on
 * f: the verdict, the counts, then a line per finding; info rows only
 * when all is set.  id 0: not stored, named by source.
 */
void
report_print(FILE *f, int64_t id, const char *source, json_t *r, int all)
{
	json_t		*base;

	if (id != 0)
		fprintf(f, "snapshot %" PRId64 ": ", id);
	else
		fprintf(f, "%s: ", source);
	fprintf(f, "%s (%" JSON_INTEGER_FORMAT
	    " certificates, %" JSON_INTEGER_FORMAT " added, %"
	    JSON_INTEGER_FORMAT " removed",
	    json_string_value(json_object_get(r, "verdict")),
	    json_integer_value(json_object_get(r, "certificates")),
	    json_integer_value(json_object_get(r, "added")),
	    json_integer_value(json_object_get(r, "removed")));
	base = json_object_get(r, "baseline");
	if (json_is_integer(base))
		fprintf(f, " against snapshot %" JSON_INTEGER_FORMAT,
		    json_integer_value(base));
	fprintf(f, ")\n  body sha256 %s, %" JSON_INTEGER_FORMAT
	    " bytes, from %s\n",
	    json_string_value(json_object_get(r, "sha256")),
	    json_integer_value(json_object_get(r, "size")), source);
	rows_print(f, id, r, all);
}

/* The report's findings, a line each; info rows only when all is set. */
static void
rows_print(FILE *f, int64_t id, json_t *r, int all)
{
	json_t		*row;
	size_t		 i, ninfo = 0;
	const char	*label, *fp;

	json_array_foreach(json_object_get(r, "rows"), i, row) {
		if (!all && strcmp(json_string_value(json_object_get(row,
		    "level")), "info") == 0) {
			ninfo++;
			continue;
		}
		label = json_string_value(json_object_get(row, "label"));
		fp = json_string_value(json_object_get(row, "sha256"));
		fprintf(f, "  %-10s %-13s ", json_string_value(
		    json_object_get(row, "level")), json_string_value(
		    json_object_get(row, "check")));
		if (label != NULL)
			fprintf(f, "\"%s\" ", label);
		if (fp != NULL)
			fprintf(f, "%s: ", fp);
		fprintf(f, "%s\n", json_string_value(json_object_get(row,
		    "rule")));
	}
	if (ninfo)
		fprintf(f, "  (%zu info rows: added and removed roots; "
		    "cabundled report %" PRId64 " lists them)\n", ninfo, id);
}

/* Print a fresh report as fetch and import do; warns when out of memory. */
void
report_print_vet(FILE *f, int64_t id, const char *source,
    const struct vet_report *r, int all)
{
	json_t	*j;

	if ((j = vet_report_json(r)) == NULL) {
		warnx("out of memory");
		return;
	}
	report_print(f, id, source, j, all);
	json_decref(j);
}

/*
 * "cabundled report ID" in words: the decision (status, who, when,
 * why), the diff on current facts (r is revet_report()'s) with the
 * baseline it is against, a rollback said out loud, every finding,
 * and for a quarantined snapshot the command that decides it.
 */
void
report_print_current(FILE *f, const struct query_snapshot *sn, json_t *r)
{
	json_t		*rb = json_object_get(r, "rollback");
	json_int_t	 base, vetted;
	const char	*at;
	char		 when[TIMEFMT_LEN];

	fprintf(f, "snapshot %" PRId64 ": %s", sn->id, sn->status);
	if (sn->decided_by != NULL) {
		timefmt_iso(sn->decided_at, when);
		fprintf(f, " by %s at %s: %s\n", sn->decided_by, when,
		    sn->reason != NULL ? sn->reason : "");
	} else if (strcmp(sn->status, "quarantined") == 0)
		fprintf(f, ", waiting for a decision\n");
	else
		fprintf(f, " at ingest by the vetting rules\n");
	base = json_integer_value(json_object_get(r, "baseline"));
	vetted = json_integer_value(json_object_get(r, "vetted_against"));
	at = json_string_value(json_object_get(r, "baseline_accepted"));
	fprintf(f, "  vetted %s: %" JSON_INTEGER_FORMAT " certificates, %"
	    JSON_INTEGER_FORMAT " added, %" JSON_INTEGER_FORMAT " removed",
	    json_string_value(json_object_get(r, "verdict")),
	    json_integer_value(json_object_get(r, "certificates")),
	    json_integer_value(json_object_get(r, "added")),
	    json_integer_value(json_object_get(r, "removed")));
	if (base == 0)
		fprintf(f, " (nothing accepted to compare with)");
	else if (at != NULL)
		fprintf(f, " against snapshot %" JSON_INTEGER_FORMAT
		    ", accepted %s", base, at);
	else
		fprintf(f, " against snapshot %" JSON_INTEGER_FORMAT, base);
	if (vetted != base && vetted != 0)
		fprintf(f, "; vetted originally against snapshot %"
		    JSON_INTEGER_FORMAT, vetted);
	else if (vetted != base)
		fprintf(f, "; vetted originally against nothing (first "
		    "snapshot)");
	fprintf(f, "\n  body sha256 %s, %" JSON_INTEGER_FORMAT " bytes, "
	    "from %s\n", json_string_value(json_object_get(r, "sha256")),
	    json_integer_value(json_object_get(r, "size")), sn->source);
	if (json_is_object(rb))
		fprintf(f, "  ROLLBACK: %s\n", json_string_value(
		    json_object_get(rb, "words")));
	rows_print(f, sn->id, r, 1);
	if (strcmp(sn->status, "quarantined") == 0)
		fprintf(f, "  decide with: cabundled approve|reject --reason "
		    "TEXT%s %" PRId64 "\n", json_is_object(rb) ?
		    " [--allow-rollback]" : "", sn->id);
}
