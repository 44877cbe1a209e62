/*
 * store.c - write and read snapshots.  A snapshot is the body (stored
 * once per digest), its certificates (stored once per fingerprint) in
 * upstream order, the verdict and report, and audit rows, all written
 * in the caller's one transaction.
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"
#include "encode.h"
#include "store.h"

static void
copy_col(sqlite3_stmt *st, int col, char *dst, size_t sz)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, sz, "%s", s != NULL ? (const char *)s : "");
}

/* Free what store_accepted_roots or rootset_from_bundle filled. */
void
rootset_free(struct rootset *s)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		free(s->labels[i]);
	free(s->labels);
	free(s->fp);
	memset(s, 0, sizeof(*s));
}

static int
rootset_add(struct rootset *s, const unsigned char *fp, const char *label)
{
	unsigned char	(*nfp)[32];
	char		**nl;

	if ((nfp = reallocarray(s->fp, s->n + 1, 32)) == NULL)
		return 0;
	s->fp = nfp;
	if ((nl = reallocarray(s->labels, s->n + 1, sizeof(*nl))) == NULL)
		return 0;
	s->labels = nl;
	if ((s->labels[s->n] = strdup(label)) == NULL)
		return 0;
	memcpy(s->fp[s->n], fp, 32);
	s->n++;
	return 1;
}

/* A bundle's roots as a set (for the cross-check source). */
int
rootset_from_bundle(const struct bundle *b, struct rootset *s)
{
	size_t	 i;

	for (i = 0; i < b->ncerts; i++)
		if (!rootset_add(s, b->certs[i].sha256, b->certs[i].label)) {
			warnx("out of memory");
			rootset_free(s);
			return 0;
		}
	return 1;
}

/*
 * The roots of the accepted snapshot with the highest id, all of them
 * (dropped ones too: churn is about what upstream did).  Returns 1 with
 * s->id 0 when nothing has been accepted yet, 1 with the set, or 0 on
 * a database error.  rootset_free it.
 */
int
store_accepted_roots(sqlite3 *db, const char *relay, struct rootset *s)
{
	sqlite3_stmt	*st;
	int		 step, ok = 0;

	memset(s, 0, sizeof(*s));
	if ((st = db_prepare(db, "SELECT s.id, c.cert, c.label FROM "
	    "snapshot_cert c JOIN snapshot s ON s.id = c.snapshot WHERE "
	    "s.id = (SELECT max(id) FROM snapshot WHERE status = "
	    "'accepted' AND relay IS ?) ORDER BY c.position")) == NULL)
		return 0;
	if (relay != NULL)
		sqlite3_bind_text(st, 1, relay, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		unsigned char	 fp[32];
		const char	*hex = (const char *)sqlite3_column_text(st, 1);

		s->id = sqlite3_column_int64(st, 0);
		if (hex == NULL || !hex_decode(hex, 64, fp, 32)) {
			warnx("snapshot %" PRId64 ": malformed fingerprint",
			    s->id);
			goto out;
		}
		if (!rootset_add(s, fp, (const char *)
		    sqlite3_column_text(st, 2))) {
			warnx("out of memory");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	ok = 1;
 out:
	sqlite3_finalize(st);
	if (!ok)
		rootset_free(s);
	return ok;
}

static int
snapinfo_read(sqlite3 *db, sqlite3_stmt *st, struct snapinfo *si)
{
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		si->id = sqlite3_column_int64(st, 0);
		si->created = sqlite3_column_int64(st, 1);
		copy_col(st, 2, si->source, sizeof(si->source));
		copy_col(st, 3, si->sha256, sizeof(si->sha256));
		si->ncerts = sqlite3_column_int64(st, 4);
		copy_col(st, 5, si->verdict, sizeof(si->verdict));
		copy_col(st, 6, si->status, sizeof(si->status));
		copy_col(st, 7, si->relay, sizeof(si->relay));
		return 1;
	case SQLITE_DONE:
		si->id = 0;
		return 1;
	default:
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
}

#define SNAPINFO_COLS \
	"id, created, source, body_sha256, ncerts, verdict, status, " \
	"coalesce(relay, '')"

/* The newest snapshot (si->id 0 if none).  Returns 0 on a db error. */
int
store_latest(sqlite3 *db, struct snapinfo *si)
{
	sqlite3_stmt	*st;
	int		 ok;

	if ((st = db_prepare(db, "SELECT " SNAPINFO_COLS " FROM snapshot "
	    "ORDER BY id DESC LIMIT 1")) == NULL)
		return 0;
	ok = snapinfo_read(db, st, si);
	sqlite3_finalize(st);
	return ok;
}

/* Snapshot id (si->id 0 if there is none).  Returns 0 on a db error. */
int
store_snapshot_get(sqlite3 *db, int64_t id, struct snapinfo *si)
{
	sqlite3_stmt	*st;
	int		 ok;

	if ((st = db_prepare(db, "SELECT " SNAPINFO_COLS " FROM snapshot "
	    "WHERE id = ?")) == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, id);
	ok = snapinfo_read(db, st, si);
	sqlite3_finalize(st);
	return ok;
}

#define CERT_INSERT "INSERT OR IGNORE INTO certificate (sha256, der, " \
	"subject, issuer, serial, not_before, not_after, version, is_ca, " \
	"self_signed, key_type, key_bits, key_desc, first_seen) VALUES " \
	"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

static int
cert_insert(sqlite3 *db, sqlite3_stmt *st, const struct cert *c,
    const char *hex, int64_t now)
{
	sqlite3_bind_text(st, 1, hex, 64, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, c->der, (int)c->derlen, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->issuer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, c->not_before);
	sqlite3_bind_int64(st, 7, c->not_after);
	sqlite3_bind_int(st, 8, c->version);
	sqlite3_bind_int(st, 9, c->ca);
	sqlite3_bind_int(st, 10, c->self_signed);
	sqlite3_bind_text(st, 11, c->key_type, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 12, c->key_bits);
	sqlite3_bind_text(st, 13, c->key_desc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 14, now);
	return db_step_done(db, st);
}

/*
 * Record one certificate (once per fingerprint) in the caller's
 * transaction.  Returns 1, or 0 after a warning.
 */
int
store_cert(sqlite3 *db, const struct cert *c, int64_t now)
{
	sqlite3_stmt	*st;
	char		 hex[65];
	int		 ok;

	if ((st = db_prepare(db, CERT_INSERT)) == NULL)
		return 0;
	hex_encode(c->sha256, 32, hex);
	ok = cert_insert(db, st, c, hex, now);
	sqlite3_finalize(st);
	return ok;
}

/*
 * Record a body (an upstream answer or a release) once per digest hex,
 * in the caller's transaction.  Returns 1, or 0 after a warning.
 */
int
store_body(sqlite3 *db, const char *hex, const unsigned char *data,
    size_t len)
{
	sqlite3_stmt	*st;
	int		 ok;

	if ((st = db_prepare(db, "INSERT OR IGNORE INTO body (sha256, size, "
	    "data) VALUES (?, ?, ?)")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, hex, 64, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)len);
	/* An empty body is a zero-length blob, not NULL. */
	sqlite3_bind_blob(st, 3, len ? data : (const void *)"", (int)len,
	    SQLITE_STATIC);
	ok = db_step_done(db, st);
	sqlite3_finalize(st);
	return ok;
}

static int
store_certs(sqlite3 *db, int64_t id, const struct bundle *b,
    const struct vet_report *r, int64_t now)
{
	sqlite3_stmt	*cst = NULL, *sst = NULL;
	const struct cert *c;
	char		 hex[65];
	size_t		 i;
	int		 ok = 0;

	if ((cst = db_prepare(db, CERT_INSERT)) == NULL)
		goto out;
	if ((sst = db_prepare(db, "INSERT INTO snapshot_cert (snapshot, "
	    "position, cert, label, dropped) VALUES (?, ?, ?, ?, ?)")) == NULL)
		goto out;
	for (i = 0; i < b->ncerts; i++) {
		c = &b->certs[i];
		hex_encode(c->sha256, 32, hex);
		if (!cert_insert(db, cst, c, hex, now))
			goto out;
		sqlite3_bind_int64(sst, 1, id);
		sqlite3_bind_int64(sst, 2, (sqlite3_int64)i + 1);
		sqlite3_bind_text(sst, 3, hex, 64, SQLITE_STATIC);
		sqlite3_bind_text(sst, 4, c->label, -1, SQLITE_STATIC);
		sqlite3_bind_int(sst, 5, r->dropped != NULL && r->dropped[i]);
		if (!db_step_done(db, sst))
			goto out;
	}
	ok = 1;
 out:
	sqlite3_finalize(cst);
	sqlite3_finalize(sst);
	return ok;
}

/* The dated roots of snapshot id (schema 008), from r->dates. */
static int
store_dates(sqlite3 *db, int64_t id, const char *source,
    const struct vet_report *r)
{
	sqlite3_stmt	*st;
	char		 hex[65];
	size_t		 i;
	int		 ok = 1;

	if (r->ndates == 0)
		return 1;
	/* A root twice in a body (quarantined, not refused) is one row. */
	if ((st = db_prepare(db, "INSERT OR IGNORE INTO snapshot_distrust "
	    "(snapshot, cert, server_after, email_after, source) VALUES "
	    "(?, ?, ?, ?, ?)")) == NULL)
		return 0;
	for (i = 0; ok && i < r->ndates; i++) {
		hex_encode(r->dates[i].fp, 32, hex);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, hex, 64, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, r->dates[i].server_after);
		if (r->dates[i].email_after != 0)
			sqlite3_bind_int64(st, 4, r->dates[i].email_after);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_text(st, 5, r->dates[i].source != NULL ?
		    r->dates[i].source : source, -1, SQLITE_STATIC);
		ok = db_step_done(db, st);
	}
	sqlite3_finalize(st);
	return ok;
}

/*
 * Record one vetted upstream answer: the body (once per digest), the
 * snapshot row with verdict and report, its certificates in order
 * and their distrust-after dates unless rejected (b may be NULL then),
 * and "snapshot" and "verdict"
 * audit rows by actor.  The caller holds the transaction.  Returns 1
 * and the new id in *id, or 0 after a warning.
 */
int
store_snapshot(sqlite3 *db, const char *source, const char *relay,
    const unsigned char *body, size_t len, const struct bundle *b,
    const struct vet_report *r, const char *actor, int64_t *id)
{
	sqlite3_stmt	*st = NULL;
	json_t		*rj = NULL;
	char		 hex[65], obj[64], *rtext = NULL;
	const char	*verdict = vet_verdictname(r->verdict);
	int64_t		 now = (int64_t)time(NULL);
	int		 ok = 0;

	hex_encode(r->digest, 32, hex);
	if (!text_valid(source, strlen(source))) {
		warnx("the source's name (file or URL) is not UTF-8 text "
		    "without control characters; rename the file or fix the "
		    "URL: nothing stored");
		goto out;
	}
	if ((rj = vet_report_json(r)) == NULL || (rtext = json_dumps(rj,
	    JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL) {
		warnx("out of memory");
		goto out;
	}
	if (!store_body(db, hex, body, len))
		goto out;
	if ((st = db_prepare(db, "INSERT INTO snapshot (created, source, "
	    "body_sha256, ncerts, verdict, status, baseline, report, relay) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hex, 64, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)r->ncerts);
	sqlite3_bind_text(st, 5, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, verdict, -1, SQLITE_STATIC);
	if (r->baseline)
		sqlite3_bind_int64(st, 7, r->baseline);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_text(st, 8, rtext, -1, SQLITE_STATIC);
	if (relay != NULL)
		sqlite3_bind_text(st, 9, relay, -1, SQLITE_STATIC);
	if (!db_step_done(db, st))
		goto out;
	*id = sqlite3_last_insert_rowid(db);
	if (b != NULL && r->verdict != VERDICT_REJECTED &&
	    (!store_certs(db, *id, b, r, now) ||
	    !store_dates(db, *id, source, r)))
		goto out;
	snprintf(obj, sizeof(obj), "snapshot:%" PRId64, *id);
	if (!audit_append(db, actor, "snapshot", obj, json_pack("{s:s, s:s, "
	    "s:I, s:I}", "source", source, "sha256", hex, "size",
	    (json_int_t)len, "certificates", (json_int_t)r->ncerts)))
		goto out;
	if (!audit_append(db, actor, "verdict", obj, json_pack("{s:s, s:I, "
	    "s:I, s:o?}", "verdict", verdict, "added", (json_int_t)r->nadded,
	    "removed", (json_int_t)r->nremoved, "baseline", r->baseline ?
	    json_integer(r->baseline) : NULL)))
		goto out;
	ok = 1;
 out:
	sqlite3_finalize(st);
	free(rtext);
	json_decref(rj);
	return ok;
}

/*
 * A human's decision on a quarantined snapshot: status becomes
 * "accepted" or "rejected", with who, when and why, and an audit row
 * whose details are {reason} and what details (taken, may be NULL)
 * holds.  The caller holds the transaction and has checked the
 * snapshot may be decided.  Returns 1, or 0 after a warning.
 */
int
store_decide(sqlite3 *db, int64_t id, const char *status, const char *actor,
    const char *reason, json_t *details)
{
	sqlite3_stmt	*st;
	char		 obj[64];
	int		 ok;

	if (details == NULL)
		details = json_object();
	if (details == NULL || json_object_set_new(details, "reason",
	    json_string(reason)) == -1) {
		warnx("out of memory");
		json_decref(details);
		return 0;
	}
	if ((st = db_prepare(db, "UPDATE snapshot SET status = ?, "
	    "decided_by = ?, decided_at = ?, reason = ? WHERE id = ? AND "
	    "status = 'quarantined'")) == NULL) {
		json_decref(details);
		return 0;
	}
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, id);
	ok = db_step_done(db, st) && sqlite3_changes(db) == 1;
	sqlite3_finalize(st);
	if (!ok) {
		json_decref(details);
		return 0;
	}
	snprintf(obj, sizeof(obj), "snapshot:%" PRId64, id);
	return audit_append(db, actor, strcmp(status, "accepted") == 0 ?
	    "approve" : "reject", obj, details);
}

/*
 * The id of the latest accepted snapshot into *id, 0 when none is.
 * Returns 1, or 0 after a warning.
 */
int
store_accepted_id(sqlite3 *db, const char *relay, int64_t *id)
{
	sqlite3_stmt	*st;
	int		 ok;

	*id = 0;
	if ((st = db_prepare(db, "SELECT coalesce(max(id), 0) FROM snapshot "
	    "WHERE status = 'accepted' AND relay IS ?")) == NULL)
		return 0;
	if (relay != NULL)
		sqlite3_bind_text(st, 1, relay, -1, SQLITE_STATIC);
	if ((ok = sqlite3_step(st) == SQLITE_ROW))
		*id = sqlite3_column_int64(st, 0);
	else
		warnx("%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return ok;
}

/* Conditional-request state for url (all "" if none).  0: db error. */
int
store_source_get(sqlite3 *db, const char *url, struct source_state *ss)
{
	sqlite3_stmt	*st;
	int		 rc, ok = 1;

	memset(ss, 0, sizeof(*ss));
	if ((st = db_prepare(db, "SELECT etag, last_modified, body_sha256 "
	    "FROM source WHERE url = ?")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		copy_col(st, 0, ss->etag, sizeof(ss->etag));
		copy_col(st, 1, ss->last_modified, sizeof(ss->last_modified));
		copy_col(st, 2, ss->sha256, sizeof(ss->sha256));
	} else if (rc != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		ok = 0;
	}
	sqlite3_finalize(st);
	return ok;
}

/* The results that mean the upstream answered (schema 005). */
#define ANSWERED "('accepted', 'quarantined', 'rejected', 'not modified')"

/*
 * Remember the outcome of a fetch of url and the result in words.  With
 * a body digest (a new answer) its validators replace the old ones;
 * without (a failure, a 304) the old ones stay.  An answer also moves
 * "answered"; a failure leaves it.
 */
int
store_source_set(sqlite3 *db, const char *url, const char *etag,
    const char *last_modified, const char *sha256, const char *result)
{
	sqlite3_stmt	*st;
	int		 ok;

	if ((st = db_prepare(db, "INSERT INTO source (url, etag, "
	    "last_modified, body_sha256, checked, result, answered) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, iif(?6 IN " ANSWERED ", ?5, "
	    "NULL)) ON CONFLICT (url) DO UPDATE SET etag = iif(?4 IS NULL, "
	    "etag, ?2), last_modified = iif(?4 IS NULL, last_modified, ?3), "
	    "body_sha256 = coalesce(?4, body_sha256), checked = ?5, "
	    "result = ?6, answered = iif(?6 IN " ANSWERED ", ?5, "
	    "answered)")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, etag, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, last_modified, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)time(NULL));
	sqlite3_bind_text(st, 6, result, -1, SQLITE_STATIC);
	ok = db_step_done(db, st);
	sqlite3_finalize(st);
	return ok;
}
