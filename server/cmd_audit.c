/*
 * cmd_audit.c - "cabundled audit [--json]" lists the log;
 * "cabundled audit verify" recomputes the hash chain and names the
 * first row that does not match (exit 1).
 */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "datadir.h"
#include "db.h"
#include "exitcode.h"
#include "extern.h"
#include "output.h"
#include "query.h"
#include "render_json.h"
#include "timefmt.h"

/*
 * A row's details for the text listing: the stored JSON, compact, with
 * the times a person reads (expires, not_after, ...) as ISO 8601 UTC
 * strings; --json keeps the integers.  Returns a string the caller
 * frees, or NULL.
 */
static char *
details_text(const char *details)
{
	static const char *const times[] = { "created", "expires",
	    "not_after", "not_before", "time" };
	json_t	*o, *v;
	char	 when[TIMEFMT_LEN], *s;
	size_t	 i;

	if (details == NULL || (o = json_loads(details, 0, NULL)) == NULL)
		return NULL;
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		if ((v = json_object_get(o, times[i])) != NULL &&
		    json_is_integer(v)) {
			timefmt_iso(json_integer_value(v), when);
			json_object_set_new(o, times[i], json_string(when));
		}
	s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return s;
}

static int
audit_list(sqlite3 *db, int json)
{
	struct query_audits a;
	const struct query_audit *r;
	char		 when[TIMEFMT_LEN];
	char		*details;
	size_t		 i;
	int		 rc = EXIT_LOCAL;

	if (!query_audit(db, 0, 0, &a))
		goto out;
	if (json) {
		if (json_print(render_audit(&a)))
			rc = EXIT_DONE;
		else
			warnx("cannot write JSON");
		goto out;
	}
	for (i = 0; i < a.n; i++) {
		r = &a.v[i];
		timefmt_iso(r->time, when);
		details = details_text(r->details);
		printf("%-5" PRId64 " %s %-12s %-13s %-14s %s\n", r->id, when,
		    r->actor, r->action, r->object,
		    details != NULL ? details : "");
		free(details);
	}
	rc = EXIT_DONE;
 out:
	query_audit_free(&a);
	return rc;
}

/* cabundled audit [--json] [verify] */
int
cmd_audit(const struct config *cfg, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	sqlite3		*db;
	char		 msg[512];
	int64_t		 bad;
	int		 ch, json = 0, verify = 0, rc;

	optind = 0;	/* glibc: full reset, permute again */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			goto usage;
		json = 1;
	}
	if (argc - optind == 1 && strcmp(argv[optind], "verify") == 0)
		verify = 1;
	else if (argc != optind)
		goto usage;
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	if (!verify)
		rc = audit_list(db, json);
	else {
		switch (audit_verify(db, &bad, msg, sizeof(msg))) {
		case 1:
			printf("audit log: %s\n", msg);
			rc = EXIT_DONE;
			break;
		case 0:
			printf("audit log: BROKEN at %s\n", msg);
			rc = EXIT_REFUSED;
			break;
		default:
			rc = EXIT_LOCAL;
		}
	}
	db_close(db);
	return rc;
 usage:
	fprintf(stderr, "usage: cabundled audit [--json] [verify]\n");
	return EXIT_USAGE;
}
