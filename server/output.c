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
#include "vet.h"

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
	json_t		*row, *base;
	size_t		 i, ninfo = 0;
	const char	*label, *fp;

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
