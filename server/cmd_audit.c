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
#include "db.h"
#include "exitcode.h"
#include "extern.h"
#include "output.h"
#include "timefmt.h"

/*
 * Audit rows with an id above after, oldest first, at most limit of
 * them (0: all), as a JSON array (id, time, actor, action, object,
 * details, hash).  Returns a new reference, or NULL after a warning.
 */
json_t *
audit_json(sqlite3 *db, int64_t after, int64_t limit)
{
	sqlite3_stmt	*st;
	json_t		*a, *o;
	char		 when[TIMEFMT_LEN];
	int		 step;

	if ((a = json_array()) == NULL)
		return NULL;
	if ((st = db_prepare(db, "SELECT id, time, actor, action, object, "
	    "details, hash FROM audit WHERE id > ? ORDER BY id LIMIT ?")) ==
	    NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		timefmt_iso(sqlite3_column_int64(st, 1), when);
		o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o?, s:s}",
		    "id", (json_int_t)sqlite3_column_int64(st, 0),
		    "time", when,
		    "actor", (const char *)sqlite3_column_text(st, 2),
		    "action", (const char *)sqlite3_column_text(st, 3),
		    "object", (const char *)sqlite3_column_text(st, 4),
		    "details", json_loads((const char *)
		    sqlite3_column_text(st, 5), 0, NULL),
		    "hash", (const char *)sqlite3_column_text(st, 6));
		if (o == NULL || json_array_append_new(a, o) == -1)
			goto fail;
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto fail;
	}
	sqlite3_finalize(st);
	return a;
 fail:
	sqlite3_finalize(st);
	json_decref(a);
	return NULL;
}

static int
audit_list(sqlite3 *db, int json)
{
	json_t		*a, *o;
	char		*details;
	size_t		 i;

	if ((a = audit_json(db, 0, 0)) == NULL)
		return EXIT_LOCAL;
	if (json) {
		if (json_print(a))
			return EXIT_DONE;
		warnx("cannot write JSON");
		return EXIT_LOCAL;
	}
	json_array_foreach(a, i, o) {
		details = json_dumps(json_object_get(o, "details"),
		    JSON_COMPACT | JSON_ENSURE_ASCII);
		printf("%-5" JSON_INTEGER_FORMAT " %s %-12s %-13s %-14s %s\n",
		    json_integer_value(json_object_get(o, "id")),
		    json_string_value(json_object_get(o, "time")),
		    json_string_value(json_object_get(o, "actor")),
		    json_string_value(json_object_get(o, "action")),
		    json_string_value(json_object_get(o, "object")),
		    details != NULL ? details : "");
		free(details);
	}
	json_decref(a);
	return EXIT_DONE;
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
