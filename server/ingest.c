/*
 * ingest.c - the one way a body becomes a snapshot: vet it (against
 * the cross-check source's roots when one is configured) and store it
 * in one transaction.  fetch, import and relay all enter through
 * ingest_checked(); a bad body never changes what is accepted.
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "buf.h"
#include "bundle.h"
#include "carry.h"
#include "certdata.h"
#include "db.h"
#include "encode.h"
#include "exitcode.h"
#include "fetch.h"
#include "ingest.h"
#include "log.h"
#include "output.h"
#include "release.h"
#include "revet.h"
#include "store.h"
#include "vet.h"

/*
 * Whether body is Mozilla's certdata.txt rather than a PEM bundle:
 * [upstream] format, or with auto what the reader's sniff says.
 */
static int
is_certdata(const struct config *cfg, const unsigned char *body,
    size_t len)
{
	if (cfg->format == FORMAT_AUTO)
		return certdata_sniff(body, len);
	return cfg->format == FORMAT_CERTDATA;
}

/*
 * Parse and vet a certdata.txt body into r: only its server-auth trust
 * anchors become the snapshot's roots (*bp, NULL when refused).
 * Returns 1, or 0 after a warning (out of memory).
 */
static int
ingest_certdata(const char *source, const unsigned char *body, size_t len,
    const unsigned char *digest, const struct rootset *prev,
    const struct rootset *cross, const struct vet_policy *pol,
    struct bundle **bp, struct vet_report *r)
{
	struct certdata		*cd;
	struct certdata_error	 cerr;
	char			 why[512], msg[768];
	int			 ok = 0;

	*bp = NULL;
	memset(&cerr, 0, sizeof(cerr));
	if ((cd = certdata_parse(body, len, &cerr)) == NULL &&
	    cerr.code == CERTDATA_NOMEM) {
		warnx("%s: out of memory", source);
		return 0;
	}
	why[0] = '\0';
	if (cd != NULL && (*bp = vettrust_roots(cd, why, sizeof(why))) ==
	    NULL) {
		/* The reader checked each DER: this is a disagreement. */
		snprintf(msg, sizeof(msg), "certdata.txt root not usable: %s",
		    why);
		ok = vet_refused(msg, digest, len, prev, pol, r);
	} else
		ok = vet_certdata(cd, &cerr, *bp, digest, len, prev, cross,
		    pol, (int64_t)time(NULL), r);
	if (!ok)
		warnx("vetting: out of memory");
	certdata_free(cd);
	return ok;
}

static int
verdict_exit(const char *status)
{
	if (strcmp(status, "accepted") == 0)
		return EXIT_DONE;
	if (strcmp(status, "quarantined") == 0)
		return EXIT_QUARANTINED;
	return EXIT_REFUSED;
}

/*
 * The newest snapshot of this body that still stands: accepted (the
 * current one or a later one) or quarantined since, among the
 * snapshots of relayed profile relay (NULL: upstream roots).  si->id
 * 0: none, vet it afresh.  Returns 1, or 0 after a warning.
 */
int
ingest_standing(sqlite3 *db, const char *hex, const char *relay,
    struct snapinfo *si)
{
	sqlite3_stmt	*st;
	int64_t		 id = 0;
	int		 rc;

	si->id = 0;
	if ((st = db_prepare(db, "SELECT id FROM snapshot WHERE "
	    "body_sha256 = ?1 AND relay IS ?2 AND status IN ('accepted', "
	    "'quarantined') AND id >= coalesce((SELECT max(id) FROM snapshot "
	    "WHERE status = 'accepted' AND relay IS ?2), 0) ORDER BY id DESC "
	    "LIMIT 1")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	if (relay != NULL)
		sqlite3_bind_text(st, 2, relay, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
	return id == 0 || store_snapshot_get(db, id, si);
}

/*
 * Inside the caller's transaction: keep rl (a verified upstream
 * release whose body is snapshot id) as carried, and when the body
 * stands accepted and rl is relayed verbatim, store the release.  A
 * countersigned one is signed by the publish that follows.  Returns 1,
 * or 0 after a warning.
 */
static int
ingest_carry(sqlite3 *db, const char *actor, const struct relay *rl,
    int64_t id, const char *status)
{
	int64_t	 carry;

	if (rl == NULL)
		return 1;
	if (!carry_store(db, actor, rl, id, &carry))
		return 0;
	return rl->countersign || strcmp(status, "accepted") != 0 ||
	    relay_store(db, actor, rl, id);
}

int
ingest_unchanged(const struct snapinfo *si, const char *how)
{
	if (strcmp(si->status, "accepted") == 0)
		printf("unchanged%s: snapshot %" PRId64 " stays accepted\n",
		    how, si->id);
	else
		printf("unchanged%s: snapshot %" PRId64 " is still "
		    "quarantined; decide with: cabundled approve|reject %"
		    PRId64 "\n", how, si->id, si->id);
	return verdict_exit(si->status);
}

/*
 * Say out loud when quarantined snapshot id would be a rollback
 * (revet.c), as report does: approving it then needs --allow-rollback.
 */
static void
rollback_print(sqlite3 *db, int64_t id)
{
	struct revet	 rv;
	char		*words;

	if (revet_snapshot(db, id, &rv) && (words =
	    revet_rollback_words(&rv)) != NULL) {
		printf("  ROLLBACK: %s; approving it needs --allow-rollback\n",
		    words);
		free(words);
	}
	revet_free(&rv);
}

/*
 * Vet body from source and store it as a snapshot, all in one
 * transaction; with rl, a release of an upstream mirror whose body
 * this is, also store that release verbatim once the body stands
 * accepted.  Prints the verdict and the findings that matter; the full
 * report is "cabundled report ID".  Returns the exit code.
 */
static int
ingest_body(sqlite3 *db, const struct config *cfg, const char *actor,
    const char *source, const unsigned char *body, size_t len,
    const struct rootset *cross, const struct relay *rl)
{
	struct bundle		*b = NULL;
	struct bundle_error	 perr;
	struct vet_report	 r;
	struct rootset		 prev;
	struct snapinfo		 si;
	struct vet_policy	 pol = cfg->vet;
	unsigned char		 digest[32];
	char			 hex[65];
	const char		*relay = NULL;
	int64_t			 id;
	int			 rc = EXIT_LOCAL, have_report = 0;

	memset(&prev, 0, sizeof(prev));
	if (!EVP_Digest(body, len, digest, NULL, EVP_sha256(), NULL)) {
		cryptowarnx("SHA-256");
		return EXIT_LOCAL;
	}
	hex_encode(digest, 32, hex);
	/*
	 * A relayed composition is vetted as what it is, against its own
	 * earlier bodies, and never becomes this mirror's roots.
	 */
	if (rl != NULL && !rl->roots) {
		relay = rl->meta.profile;
		pol.composition = 1;
		cross = NULL;
	}
	if (!db_begin(db))
		goto out;
	/* An unchanged body costs a digest, not a parse. */
	if (!ingest_standing(db, hex, relay, &si))
		goto out;
	if (si.id != 0) {
		if (!store_source_set(db, source, NULL, NULL, NULL,
		    si.status) || !ingest_carry(db, actor, rl, si.id,
		    si.status) || !db_commit(db))
			goto out;
		rc = ingest_unchanged(&si, "");
		goto out;
	}
	if (!store_accepted_roots(db, relay, &prev))
		goto out;
	/* A relayed body is a signed PEM release, whatever format says. */
	if (rl == NULL && is_certdata(cfg, body, len)) {
		if (!ingest_certdata(source, body, len, digest, prev.id ?
		    &prev : NULL, cross, &pol, &b, &r))
			goto out;
		have_report = 1;
	} else {
		b = bundle_parse(body, len, &perr);
		if (b == NULL && perr.code == BUNDLE_NOMEM) {
			warnx("%s: out of memory", source);
			goto out;
		}
		if (!vet_bundle(b, &perr, digest, len, prev.id ? &prev :
		    NULL, cross, &pol, (int64_t)time(NULL), &r)) {
			warnx("vetting: out of memory");
			goto out;
		}
		have_report = 1;
	}
	if (!store_snapshot(db, source, relay, body, len, b, &r, actor,
	    &id) || !ingest_carry(db, actor, rl, id,
	    vet_verdictname(r.verdict)) || !db_commit(db))
		goto out;
	report_print_vet(stdout, id, source, &r, 0);
	if (r.verdict == VERDICT_QUARANTINED)
		rollback_print(db, id);
	rc = verdict_exit(vet_verdictname(r.verdict));
 out:
	db_rollback(db);
	if (have_report)
		vet_report_free(&r);
	rootset_free(&prev);
	bundle_free(b);
	return rc;
}

/*
 * A certdata.txt cross-check source: its trust kept in cross->cd (the
 * caller frees it) and its server-auth anchors as the set.  Returns 1
 * with why set when the reader refused it, 0 when out of memory.
 */
static int
crosscheck_certdata(const struct buf *body, struct rootset *cross,
    struct buf *why)
{
	struct certdata		*cd;
	struct certdata_error	 cerr;

	if ((cd = certdata_parse(body->data, body->len, &cerr)) == NULL) {
		if (cerr.code == CERTDATA_NOMEM) {
			warnx("cross-check source: out of memory");
			return 0;
		}
		buf_printf(why, "not a valid certdata.txt: %s: %s (object "
		    "%zu, line %zu)", certdata_errname(cerr.code), cerr.msg,
		    cerr.object, cerr.line);
		return 1;
	}
	if (!vettrust_rootset(cd, cross)) {
		warnx("cross-check source: out of memory");
		certdata_free(cd);
		return 0;
	}
	cross->cd = cd;
	return 1;
}

/*
 * The cross-check source's roots, when one is configured: a URL fetched
 * like the upstream, or a local file (absolute path or file:PATH).
 * A certdata.txt (sniffed) also leaves its trust in cross->cd.
 * Returns 1 with cross->error set when it could not be had (vetting
 * then quarantines), 0 on a local error.
 */
static int
crosscheck_load(const struct config *cfg, struct rootset *cross,
    struct buf *why)
{
	struct fetch_result	 fr;
	struct bundle		*b = NULL;
	struct bundle_error	 perr;
	const char		*url = cfg->crosscheck_url;
	int			 ok = 1;

	cross->source = url;
	fetch_result_init(&fr, cfg->fetch.max_bytes);
	if (url[0] == '/' || strncmp(url, "file:", 5) == 0) {
		if (!buf_readfile(&fr.body, url[0] == '/' ? url : url + 5))
			buf_printf(why, "cannot read %s", url);
	} else if (fetch_url(&cfg->fetch, url, NULL, NULL, &fr) != FETCH_OK)
		buf_printf(why, "%s", fr.error);
	if (why->len == 0 && certdata_sniff(fr.body.data, fr.body.len))
		ok = crosscheck_certdata(&fr.body, cross, why);
	else if (why->len == 0 && (b = bundle_parse(fr.body.data,
	    fr.body.len, &perr)) == NULL)
		buf_printf(why, "not a bundle: %s (line %zu)", perr.msg,
		    perr.line);
	if (b != NULL && !rootset_from_bundle(b, cross))
		ok = 0;
	if (why->len != 0)
		cross->error = (const char *)why->data;
	cross->source = url;
	bundle_free(b);
	fetch_result_free(&fr);
	return ok;
}

/*
 * Vet and store body from source with the cross-check source's roots
 * when one is configured, and rl (may be NULL) as in ingest_body().
 */
int
ingest_checked(const struct config *cfg, sqlite3 *db, const char *actor,
    const char *source, const struct buf *body, const struct relay *rl)
{
	struct rootset	 cross;
	struct buf	 why;
	int		 rc = EXIT_LOCAL;

	memset(&cross, 0, sizeof(cross));
	buf_init(&why, 1024);
	if (cfg->crosscheck_url != NULL &&
	    !crosscheck_load(cfg, &cross, &why))
		goto out;
	rc = ingest_body(db, cfg, actor, source, body->data, body->len,
	    cfg->crosscheck_url != NULL ? &cross : NULL, rl);
 out:
	if (cross.cd != NULL)
		certdata_free(cross.cd);
	rootset_free(&cross);
	buf_free(&why);
	return rc;
}
