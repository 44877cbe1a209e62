/*
 * cmd_snapshot.c - the quarantine desk: "snapshots", "report ID",
 * "approve ID" and "reject ID".  Only a quarantined snapshot can be
 * decided, each decision needs --reason and lands in the audit log.
 */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "datadir.h"
#include "db.h"
#include "encode.h"
#include "exitcode.h"
#include "extern.h"
#include "num.h"
#include "output.h"
#include "query.h"
#include "relay.h"
#include "release.h"
#include "render_json.h"
#include "store.h"
#include "timefmt.h"
#include "vet.h"

#define REASON_MAX	1024

static int
print_json(json_t *o)
{
	if (json_print(o))
		return EXIT_DONE;
	warnx("cannot write JSON");
	return EXIT_LOCAL;
}

static int
want_json(int argc, char *argv[], int *json, int nargs, const char *usage)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int	 ch;

	*json = 0;
	optind = 0;	/* glibc: full reset, permute again */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			goto usage;
		*json = 1;
	}
	if (argc - optind == nargs)
		return 1;
 usage:
	fprintf(stderr, "usage: cabundled %s\n", usage);
	return 0;
}

static int
parse_id(const char *s, int64_t *id)
{
	long long	 n;

	if (!num_range(s, 1, INT64_MAX, &n)) {
		warnx("%s: not a snapshot id", s);
		return 0;
	}
	*id = n;
	return 1;
}

/* cabundled snapshots [--json] */
int
cmd_snapshots(const struct config *cfg, int argc, char *argv[])
{
	struct query_snapshots ss;
	const struct query_snapshot *sn;
	sqlite3		*db;
	char		 when[TIMEFMT_LEN];
	size_t		 i;
	int		 json, rc = EXIT_LOCAL;

	if (!want_json(argc, argv, &json, 0, "snapshots [--json]"))
		return EXIT_USAGE;
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	if (!query_snapshots(db, 0, &ss))
		goto out;
	if (json) {
		rc = print_json(render_snapshots(&ss));
		goto out;
	}
	printf("%-5s %-20s %-11s %-11s %5s %5s %5s  %s\n", "ID", "CREATED",
	    "VERDICT", "STATUS", "CERTS", "ADDED", "REMOV", "SOURCE");
	for (i = 0; i < ss.n; i++) {
		sn = &ss.v[i];
		timefmt_iso(sn->created, when);
		printf("%-5" PRId64 " %-20s %-11s %-11s %5" PRId64 " %5" PRId64
		    " %5" PRId64 "  %s\n", sn->id, when, sn->verdict,
		    sn->status, sn->certificates, sn->added, sn->removed,
		    sn->source);
	}
	rc = EXIT_DONE;
 out:
	query_snapshots_free(&ss);
	db_close(db);
	return rc;
}

/* cabundled report [--json] ID: the whole vetting report. */
int
cmd_report(const struct config *cfg, int argc, char *argv[])
{
	struct query_snapshots ss;
	const struct query_snapshot *sn;
	sqlite3		*db;
	json_t		*r = NULL;
	json_error_t	 jerr;
	int64_t		 id;
	int		 json, rc = EXIT_LOCAL;

	if (!want_json(argc, argv, &json, 1, "report [--json] ID"))
		return EXIT_USAGE;
	if (!parse_id(argv[optind], &id))
		return EXIT_USAGE;
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	if (!query_snapshot(db, id, &ss))
		goto out;
	if (ss.n == 0) {
		warnx("snapshot %" PRId64 ": no such snapshot", id);
		rc = EXIT_USAGE;
		goto out;
	}
	sn = &ss.v[0];
	if ((r = json_loads(sn->report, 0, &jerr)) == NULL) {
		warnx("snapshot %" PRId64 ": stored report: %s", id,
		    jerr.text);
		goto out;
	}
	if (json) {
		json_object_set_new(r, "id", json_integer(id));
		json_object_set_new(r, "source", json_string(sn->source));
		json_object_set_new(r, "status", json_string(sn->status));
		rc = print_json(json_incref(r));
		goto out;
	}
	report_print(stdout, id, sn->source, r, 1);
	printf("  status: %s", sn->status);
	if (sn->decided_by != NULL)
		printf(" (by %s: %s)", sn->decided_by,
		    sn->reason != NULL ? sn->reason : "");
	printf("\n");
	rc = EXIT_DONE;
 out:
	json_decref(r);
	query_snapshots_free(&ss);
	db_close(db);
	return rc;
}

/* approve and reject: one path, two outcomes. */
static int
decide(const struct config *cfg, int argc, char *argv[], const char *status)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "actor", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct snapinfo	 si;
	sqlite3		*db = NULL;
	const char	*reason = NULL, *actor = cfg->actor;
	int64_t		 id, later = 0;
	int		 ch, relayed = 0, rc = EXIT_LOCAL;

	optind = 0;	/* glibc: full reset, permute again */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			reason = optarg;
		else if (ch == 'a')
			actor = optarg;
		else
			goto usage;
	}
	if (argc - optind != 1 || reason == NULL)
		goto usage;
	if (*reason == '\0' || strlen(reason) > REASON_MAX ||
	    !text_valid(reason, strlen(reason))) {
		warnx("--reason: want 1 to %d bytes of UTF-8 text without "
		    "control characters", REASON_MAX);
		return EXIT_USAGE;
	}
	if (!parse_id(argv[optind], &id))
		return EXIT_USAGE;
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	if (!db_begin(db) || !store_snapshot_get(db, id, &si))
		goto out;
	if (si.id == 0) {
		warnx("snapshot %" PRId64 ": no such snapshot", id);
		rc = EXIT_USAGE;
		goto out;
	}
	if (strcmp(si.status, "quarantined") != 0) {
		warnx("snapshot %" PRId64 " is %s, not quarantined: only a "
		    "quarantined snapshot can be approved or rejected", id,
		    si.status);
		rc = EXIT_REFUSED;
		goto out;
	}
	if (!store_accepted_id(db, si.relay[0] != '\0' ? si.relay : NULL,
	    &later))
		goto out;
	if (strcmp(status, "accepted") == 0 && later > id) {
		warnx("snapshot %" PRId64 " is older than accepted snapshot %"
		    PRId64 ": approving it would roll the mirror back; fetch "
		    "again instead", id, later);
		rc = EXIT_REFUSED;
		goto out;
	}
	/* A relayed body is relayed at once, from what was verified. */
	if (!store_decide(db, id, status, actor, reason) ||
	    (strcmp(status, "accepted") == 0 &&
	    !relay_approved(cfg, db, actor, id, &relayed)) || !db_commit(db))
		goto out;
	if (strcmp(status, "accepted") == 0) {
		if (relayed)
			printf("snapshot %" PRId64 " approved by %s: the "
			    "relayed %s release it holds is served\n", id,
			    actor, si.relay[0] != '\0' ? si.relay :
			    RELAY_ROOTS);
		else
			printf("snapshot %" PRId64 " approved by %s: it is "
			    "now the accepted upstream bundle\n", id, actor);
		rc = publish_all(db, cfg, actor, NULL, 0);
	} else {
		printf("snapshot %" PRId64 " rejected by %s\n", id, actor);
		rc = EXIT_DONE;
	}
 out:
	db_rollback(db);
	db_close(db);
	return rc;
 usage:
	fprintf(stderr, "usage: cabundled %s --reason TEXT [--actor NAME] "
	    "ID\n", strcmp(status, "accepted") == 0 ? "approve" : "reject");
	return EXIT_USAGE;
}

/* cabundled approve --reason TEXT [--actor NAME] ID */
int
cmd_approve(const struct config *cfg, int argc, char *argv[])
{
	return decide(cfg, argc, argv, "accepted");
}

/* cabundled reject --reason TEXT [--actor NAME] ID */
int
cmd_reject(const struct config *cfg, int argc, char *argv[])
{
	return decide(cfg, argc, argv, "rejected");
}
