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
#include "revet.h"
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

/*
 * cabundled report [--json] ID: the whole vetting report on current
 * facts (revet.c) and the decision.
 */
int
cmd_report(const struct config *cfg, int argc, char *argv[])
{
	struct query_snapshots ss;
	struct revet	 rv;
	const struct query_snapshot *sn;
	sqlite3		*db;
	json_t		*r = NULL;
	int64_t		 id;
	int		 json, rc = EXIT_LOCAL;

	memset(&rv, 0, sizeof(rv));
	memset(&ss, 0, sizeof(ss));
	if (!want_json(argc, argv, &json, 1, "report [--json] ID"))
		return EXIT_USAGE;
	if (!parse_id(argv[optind], &id))
		return EXIT_USAGE;
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	/* One read transaction: the report and the facts agree. */
	if (!db_begin(db) || !query_snapshot(db, id, &ss))
		goto out;
	if (ss.n == 0) {
		warnx("snapshot %" PRId64 ": no such snapshot", id);
		rc = EXIT_USAGE;
		goto out;
	}
	sn = &ss.v[0];
	if (!revet_snapshot(db, id, &rv) ||
	    (r = render_report(&rv, sn)) == NULL)
		goto out;
	if (json) {
		rc = print_json(json_incref(r));
		goto out;
	}
	report_print_current(stdout, sn, r);
	rc = EXIT_DONE;
 out:
	json_decref(r);
	revet_free(&rv);
	query_snapshots_free(&ss);
	db_rollback(db);
	db_close(db);
	return rc;
}

/*
 * What approving applies, for its audit row: the baseline, the counts
 * and the fingerprints added and removed, and with rollback set what
 * is rolled back (rollback:true, identical, readded, words).  Returns
 * a new reference, or NULL when out of memory.
 */
static json_t *
applied_json(const struct revet *rv, int rollback)
{
	json_t		*o, *add, *rm, *re;
	char		*words = NULL;
	size_t		 i;
	int		 ok = 0;

	add = json_array();
	rm = json_array();
	re = json_array();
	o = json_pack("{s:o, s:I, s:I, s:O, s:O, s:b}", "baseline",
	    rv->baseline ? json_integer(rv->baseline) : json_null(),
	    "added", (json_int_t)rv->nadded, "removed",
	    (json_int_t)rv->nremoved, "added_roots", add, "removed_roots", rm,
	    "rollback", rollback);
	if (o == NULL || add == NULL || rm == NULL || re == NULL)
		goto out;
	for (i = 0; i < rv->nadded; i++)
		if (json_array_append_new(add,
		    json_string(rv->added[i].sha256)) == -1 ||
		    (rv->added[i].removed_by && json_array_append_new(re,
		    json_string(rv->added[i].sha256)) == -1))
			goto out;
	for (i = 0; i < rv->nremoved; i++)
		if (json_array_append_new(rm,
		    json_string(rv->removed[i].sha256)) == -1)
			goto out;
	if (rollback && ((words = revet_rollback_words(rv)) == NULL ||
	    json_object_set_new(o, "rolled_back", json_pack("{s:o, s:O, "
	    "s:s}", "identical", rv->identical ?
	    json_integer(rv->identical) : json_null(), "readded", re,
	    "words", words)) == -1))
		goto out;
	ok = 1;
 out:
	json_decref(add);
	json_decref(rm);
	json_decref(re);
	free(words);
	if (!ok) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* The +/- approving applied, a line per root, on stdout. */
static void
applied_print(const struct revet *rv)
{
	size_t	 i;

	if (rv->baseline)
		printf("  applied against accepted snapshot %" PRId64 ": +%zu "
		    "-%zu roots\n", rv->baseline, rv->nadded, rv->nremoved);
	else
		printf("  applied with nothing accepted before: +%zu roots\n",
		    rv->nadded);
	for (i = 0; i < rv->nadded; i++)
		printf("  + %s \"%s\"\n", rv->added[i].sha256,
		    rv->added[i].label);
	for (i = 0; i < rv->nremoved; i++)
		printf("  - %s \"%s\"\n", rv->removed[i].sha256,
		    rv->removed[i].label);
}

/*
 * approve and reject: one path, two outcomes.  Approving works on
 * current facts (revet.c): a rollback needs allow_rollback, and the
 * audit row records the +/- applied against the snapshot accepted now.
 */
static int
decide(const struct config *cfg, int argc, char *argv[], const char *status)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "actor", required_argument, NULL, 'a' },
		{ "allow-rollback", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct snapinfo	 si;
	struct revet	 rv;
	sqlite3		*db = NULL;
	json_t		*details = NULL;
	const char	*reason = NULL, *actor = cfg->actor;
	char		*words = NULL;
	int64_t		 id, later = 0;
	int		 ch, relayed = 0, rc = EXIT_LOCAL, allow = 0, rollback;
	int		 accept = strcmp(status, "accepted") == 0;

	memset(&rv, 0, sizeof(rv));
	optind = 0;	/* glibc: full reset, permute again */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			reason = optarg;
		else if (ch == 'a')
			actor = optarg;
		else if (ch == 'R' && accept)
			allow = 1;
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
	if (accept && later > id) {
		warnx("snapshot %" PRId64 " is older than accepted snapshot %"
		    PRId64 ": approving it would roll the mirror back; fetch "
		    "again instead", id, later);
		rc = EXIT_REFUSED;
		goto out;
	}
	if (accept) {
		if (!revet_snapshot(db, id, &rv))
			goto out;
		if ((rollback = revet_rollback(&rv)) &&
		    (words = revet_rollback_words(&rv)) == NULL) {
			warnx("out of memory");
			goto out;
		}
		if (rollback && !allow) {
			warnx("snapshot %" PRId64 " is a rollback: %s. Nothing "
			    "changed; to approve it anyway, add "
			    "--allow-rollback: cabundled approve "
			    "--allow-rollback --reason TEXT %" PRId64, id,
			    words, id);
			rc = EXIT_REFUSED;
			goto out;
		}
		if ((details = applied_json(&rv, rollback)) == NULL) {
			warnx("out of memory");
			goto out;
		}
	}
	/* A relayed body is relayed at once, from what was verified. */
	if (!store_decide(db, id, status, actor, reason, details))
		goto out_taken;
	if ((accept && !relay_approved(cfg, db, actor, id, &relayed)) ||
	    !db_commit(db))
		goto out_taken;
	if (accept) {
		if (relayed)
			printf("snapshot %" PRId64 " approved by %s: the "
			    "relayed %s release it holds is served\n", id,
			    actor, si.relay[0] != '\0' ? si.relay :
			    RELAY_ROOTS);
		else
			printf("snapshot %" PRId64 " approved by %s: it is "
			    "now the accepted upstream bundle\n", id, actor);
		if (words != NULL)
			printf("  rollback allowed: %s\n", words);
		applied_print(&rv);
		rc = publish_all(db, cfg, actor, NULL, 0);
	} else {
		printf("snapshot %" PRId64 " rejected by %s\n", id, actor);
		rc = EXIT_DONE;
	}
 out_taken:
	details = NULL;	/* store_decide took it */
 out:
	json_decref(details);
	free(words);
	revet_free(&rv);
	db_rollback(db);
	db_close(db);
	return rc;
 usage:
	fprintf(stderr, "usage: cabundled %s --reason TEXT [--actor NAME] "
	    "ID\n", accept ? "approve [--allow-rollback]" : "reject");
	return EXIT_USAGE;
}

/* cabundled approve [--allow-rollback] --reason TEXT [--actor NAME] ID */
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
