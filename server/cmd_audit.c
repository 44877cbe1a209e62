/*
 * cmd_audit.c - "cabundled audit [--json]" lists the log;
 * "cabundled audit verify" recomputes the hash chain and names the
 * first row that does not match (exit 1).
 */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"
#include "exitcode.h"
#include "extern.h"
#include "timefmt.h"

static int
audit_list(sqlite3 *db, int json)
{
	sqlite3_stmt	*st;
	json_t		*a = NULL, *o, *d;
	char		 when[TIMEFMT_LEN];
	int		 step, rc = EXIT_LOCAL;

	if ((st = db_prepare(db, "SELECT id, time, actor, action, object, "
	    "details, hash FROM audit ORDER BY id")) == NULL)
		return EXIT_LOCAL;
	if (json && (a = json_array()) == NULL)
		goto out;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		timefmt_iso(sqlite3_column_int64(st, 1), when);
		if (!json) {
			printf("%-5lld %s %-12s %-13s %-14s %s\n",
			    sqlite3_column_int64(st, 0), when,
			    sqlite3_column_text(st, 2),
			    sqlite3_column_text(st, 3),
			    sqlite3_column_text(st, 4),
			    sqlite3_column_text(st, 5));
			continue;
		}
		d = json_loads((const char *)sqlite3_column_text(st, 5), 0,
		    NULL);
		o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o?, s:s}",
		    "id", (json_int_t)sqlite3_column_int64(st, 0),
		    "time", when,
		    "actor", (const char *)sqlite3_column_text(st, 2),
		    "action", (const char *)sqlite3_column_text(st, 3),
		    "object", (const char *)sqlite3_column_text(st, 4),
		    "details", d,
		    "hash", (const char *)sqlite3_column_text(st, 6));
		if (json_array_append_new(a, o) == -1)
			goto out;
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	if (json && !json_print(json_incref(a))) {
		warnx("cannot write JSON");
		goto out;
	}
	rc = EXIT_DONE;
 out:
	json_decref(a);
	sqlite3_finalize(st);
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
	if ((db = db_open_datadir(cfg)) == NULL)
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
