/*
 * release.c - compose each profile, and publish: a new build when its
 * composition changed, a new signed release (version + 1) when the
 * build changed, the signature is due for renewal, or the signing key
 * was rotated.  All profiles are published in one transaction, so a
 * reader sees every release of a change or none.
 *
 * A profile's bundle is its certificates in order, the accepted
 * upstream roots first (upstream order, minus exclusions where the
 * profile applies them), then the organization CAs it selects sorted
 * by name and fingerprint, each written by cert_write() in mkcert.org's
 * layout.  Rendering depends on the DER and the label alone, so the
 * same composition always gives the same bytes; "rebuild --check"
 * relies on that.
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "audit.h"
#include "bundle.h"
#include "db.h"
#include "encode.h"
#include "exitcode.h"
#include "extern.h"
#include "keys.h"
#include "log.h"
#include "release.h"
#include "sig.h"
#include "sign.h"
#include "store.h"
#include "timefmt.h"

/* The newest release of a profile. */
struct relinfo {
	int64_t		 version;	/* 0: none yet */
	int64_t		 build;
	int64_t		 created;
	char		 keyid[17];
	char		 sha256[65];
	int		 relay;		/* relayed from an upstream mirror */
};

/* Free a composition's labels and array. */
void
comp_free(struct comp *c)
{
	size_t	 i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].label);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static int
comp_has(const struct comp *c, const char *fp)
{
	size_t	 i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].fp, fp) == 0)
			return 1;
	return 0;
}

static int
comp_add(struct comp *c, const char *fp, const char *label, int64_t org)
{
	struct entry	*nv;

	if (fp == NULL || strlen(fp) != 64 || label == NULL) {
		warnx("malformed certificate row");
		return 0;
	}
	if ((nv = reallocarray(c->v, c->n + 1, sizeof(*nv))) == NULL)
		goto nomem;
	c->v = nv;
	memcpy(c->v[c->n].fp, fp, 65);
	c->v[c->n].org_ca = org;
	if ((c->v[c->n].label = strdup(label)) == NULL)
		goto nomem;
	c->n++;
	return 1;
 nomem:
	warnx("out of memory");
	return 0;
}

/* Append the rows (fp, label, org id) of st, skipping fingerprints in c. */
static int
comp_rows(sqlite3 *db, sqlite3_stmt *st, struct comp *c, int dedupe)
{
	const char	*fp;
	int		 step;

	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		fp = (const char *)sqlite3_column_text(st, 0);
		if (dedupe && fp != NULL && comp_has(c, fp))
			continue;
		if (!comp_add(c, fp, (const char *)sqlite3_column_text(st, 1),
		    sqlite3_column_int64(st, 2)))
			return 0;
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
	return 1;
}

/*
 * Fill p with the named profile.  Returns 1 (p->name empty when there
 * is no such profile), or 0 on a database error.
 */
int
profile_get(sqlite3 *db, const char *name, struct profile *p)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(p, 0, sizeof(*p));
	if ((st = db_prepare(db, "SELECT name, upstream, exclusions, org "
	    "FROM profile WHERE name = ?")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(p->name, sizeof(p->name), "%s",
		    sqlite3_column_text(st, 0));
		p->upstream = sqlite3_column_int(st, 1);
		p->exclusions = sqlite3_column_int(st, 2);
		snprintf(p->org, sizeof(p->org), "%s",
		    sqlite3_column_text(st, 3));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
	return 1;
}

/*
 * What the profile holds now: the served upstream set (accepted
 * snapshot with the highest id, dropped roots left out), minus the
 * current exclusions when the profile applies them, then the current
 * organization CAs it selects that have not expired, by name and
 * fingerprint.  A certificate already in the list is not added twice.
 * Returns 1 (comp_free it) or 0 after a warning.
 */
static int
compose(sqlite3 *db, const struct profile *p, int64_t now, struct comp *c)
{
	sqlite3_stmt	*st = NULL;
	int		 ok = 0;

	memset(c, 0, sizeof(*c));
	if (p->upstream) {
		if ((st = db_prepare(db, "SELECT c.cert, c.label, 0 "
		    "FROM snapshot_cert c WHERE c.snapshot = "
		    "(SELECT max(id) FROM snapshot WHERE status = 'accepted') "
		    "AND NOT c.dropped AND NOT (?1 AND c.cert IN (SELECT cert "
		    "FROM exclusion WHERE removed IS NULL)) ORDER BY "
		    "c.position")) == NULL)
			goto out;
		sqlite3_bind_int(st, 1, p->exclusions);
		if (!comp_rows(db, st, c, 1))
			goto out;
		sqlite3_finalize(st);
		st = NULL;
		if ((st = db_prepare(db, "SELECT max(id) FROM snapshot WHERE "
		    "status = 'accepted'")) == NULL ||
		    sqlite3_step(st) != SQLITE_ROW)
			goto out;
		c->snapshot = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
	}
	if (strcmp(p->org, "none") != 0) {
		if ((st = db_prepare(db, "SELECT o.cert, o.name, o.id FROM "
		    "org_ca o JOIN certificate k ON k.sha256 = o.cert WHERE "
		    "o.removed IS NULL AND k.not_after > ?1 AND (?2 = 'all' "
		    "OR EXISTS (SELECT 1 FROM org_ca_tag t JOIN profile_tag "
		    "g ON g.tag = t.tag WHERE t.org_ca = o.id AND g.profile = "
		    "?3)) ORDER BY o.name, o.cert")) == NULL)
			goto out;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_text(st, 2, p->org, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, p->name, -1, SQLITE_STATIC);
		if (!comp_rows(db, st, c, 1))
			goto out;
	}
	ok = 1;
 out:
	sqlite3_finalize(st);
	if (!ok)
		comp_free(c);
	return ok;
}

/*
 * The composition recorded for a build, in bundle order.  Returns 1
 * (comp_free it) or 0 after a warning.
 */
int
comp_build(sqlite3 *db, int64_t build, struct comp *c)
{
	sqlite3_stmt	*st;
	int		 ok;

	memset(c, 0, sizeof(*c));
	if ((st = db_prepare(db, "SELECT cert, label, coalesce(org_ca, 0) "
	    "FROM build_cert WHERE build = ? ORDER BY position")) == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, build);
	ok = comp_rows(db, st, c, 0);
	sqlite3_finalize(st);
	if (!ok)
		comp_free(c);
	return ok;
}

static int
comp_equal(const struct comp *a, const struct comp *b)
{
	size_t	 i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].fp, b->v[i].fp) != 0 ||
		    strcmp(a->v[i].label, b->v[i].label) != 0)
			return 0;
	return 1;
}

static size_t
comp_missing(const struct comp *a, const struct comp *b)
{
	size_t	 i, n = 0;

	for (i = 0; i < a->n; i++)
		if (!comp_has(b, a->v[i].fp))
			n++;
	return n;
}

/*
 * Write the bundle of a composition into out: each certificate from
 * its stored DER with its label, in mkcert.org's layout.  Returns 1,
 * or 0 after a warning naming the certificate.
 */
int
comp_render(sqlite3 *db, const struct comp *c, struct buf *out)
{
	sqlite3_stmt	*st;
	struct cert	 crt;
	char		 why[256];
	size_t		 i;
	int		 ok = 0, written;

	if ((st = db_prepare(db, "SELECT der FROM certificate WHERE "
	    "sha256 = ?")) == NULL)
		return 0;
	for (i = 0; i < c->n; i++) {
		sqlite3_bind_text(st, 1, c->v[i].fp, 64, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW) {
			warnx("certificate %s: not in the database", c->v[i].fp);
			goto out;
		}
		if (!cert_init(&crt, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), c->v[i].label, why,
		    sizeof(why))) {
			warnx("certificate %s: %s", c->v[i].fp, why);
			goto out;
		}
		written = cert_write(&crt, out);
		cert_clear(&crt);
		if (!written) {
			warnx("bundle larger than %zu bytes", out->max);
			goto out;
		}
		sqlite3_reset(st);
	}
	ok = 1;
 out:
	sqlite3_finalize(st);
	return ok;
}

static int
latest_release(sqlite3 *db, const char *profile, struct relinfo *r)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(r, 0, sizeof(*r));
	if ((st = db_prepare(db, "SELECT r.version, r.build, r.created, "
	    "r.keyid, b.body_sha256, r.reason = 'relay' FROM release r JOIN "
	    "build b ON b.id = r.build WHERE r.profile = ? ORDER BY r.version "
	    "DESC LIMIT 1")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r->version = sqlite3_column_int64(st, 0);
		r->build = sqlite3_column_int64(st, 1);
		r->created = sqlite3_column_int64(st, 2);
		snprintf(r->keyid, sizeof(r->keyid), "%s",
		    sqlite3_column_text(st, 3));
		snprintf(r->sha256, sizeof(r->sha256), "%s",
		    sqlite3_column_text(st, 4));
		r->relay = sqlite3_column_int(st, 5);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
	return 1;
}

/*
 * A stored body, checked against its digest: a body altered in the
 * database is never signed again.  Returns 1 with the bytes in out.
 */
static int
body_load(sqlite3 *db, const char *hex, struct buf *out)
{
	sqlite3_stmt	*st;
	unsigned char	 d[32];
	char		 got[65];
	int		 ok = 0;

	if ((st = db_prepare(db, "SELECT data FROM body WHERE sha256 = ?"))
	    == NULL)
		return 0;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		warnx("body %s: not in the database", hex);
		goto out;
	}
	if (!buf_append(out, sqlite3_column_blob(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0))) {
		warnx("body %s: too large", hex);
		goto out;
	}
	if (!EVP_Digest(out->data, out->len, d, NULL, EVP_sha256(), NULL)) {
		cryptowarnx("SHA-256");
		goto out;
	}
	hex_encode(d, 32, got);
	if (strcmp(got, hex) != 0) {
		warnx("body %s: stored bytes have digest %s (altered in the "
		    "database); refusing to sign it; see: cabundled rebuild "
		    "--check", hex, got);
		goto out;
	}
	ok = 1;
 out:
	sqlite3_finalize(st);
	return ok;
}

/*
 * Record a new build: the body, the build row with added/removed
 * counts against prev, and its certificates.  Returns the build id, or
 * 0 after a warning.
 */
static int64_t
build_store(sqlite3 *db, const struct profile *p, const struct comp *c,
    const struct comp *prev, const char *hex, const struct buf *body,
    int64_t now)
{
	sqlite3_stmt	*st = NULL;
	int64_t		 id = 0;
	size_t		 i;

	if (!store_body(db, hex, body->data, body->len))
		return 0;
	if ((st = db_prepare(db, "INSERT INTO build (profile, snapshot, "
	    "body_sha256, ncerts, added, removed, created) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?)")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
	if (c->snapshot)
		sqlite3_bind_int64(st, 2, c->snapshot);
	sqlite3_bind_text(st, 3, hex, 64, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)c->n);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)comp_missing(c, prev));
	sqlite3_bind_int64(st, 6, (sqlite3_int64)comp_missing(prev, c));
	sqlite3_bind_int64(st, 7, now);
	if (!db_step_done(db, st))
		goto out;
	sqlite3_finalize(st);
	if ((st = db_prepare(db, "INSERT INTO build_cert (build, position, "
	    "cert, label, org_ca) VALUES (?, ?, ?, ?, ?)")) == NULL)
		goto out;
	id = sqlite3_last_insert_rowid(db);
	for (i = 0; i < c->n; i++) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i + 1);
		sqlite3_bind_text(st, 3, c->v[i].fp, 64, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, c->v[i].label, -1, SQLITE_STATIC);
		if (c->v[i].org_ca)
			sqlite3_bind_int64(st, 5, c->v[i].org_ca);
		if (!db_step_done(db, st)) {
			id = 0;
			goto out;
		}
	}
 out:
	sqlite3_finalize(st);
	return id;
}

/*
 * Sign body as the next version of the profile and store the release
 * with its audit row.  The signature is verified before it is stored.
 */
static int
release_store(sqlite3 *db, const struct config *cfg, const char *actor,
    const struct seckey *sk, const char *keyid, const struct profile *p,
    int64_t build, size_t ncerts, const struct buf *body, const char *hex,
    const char *reason, int64_t now, int64_t *version)
{
	sqlite3_stmt	*st = NULL;
	struct meta	 m;
	struct minisig	 ms;
	struct buf	 sig;
	char		 t[256], why[256], obj[META_PROFILE_MAX + 32];
	int		 ok = 0;

	buf_init(&sig, SIG_FILE_MAX);
	if ((st = db_prepare(db, "SELECT coalesce(max(version), 0) + 1 FROM "
	    "release WHERE profile = ?")) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	*version = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;

	memset(&m, 0, sizeof(m));
	snprintf(m.profile, sizeof(m.profile), "%s", p->name);
	m.version = (uint64_t)*version;
	m.created = (uint64_t)now;
	m.expires = (uint64_t)(now + cfg->sign_validity);
	m.size = body->len;
	if (!hex_decode(hex, 64, m.sha256, 32) ||
	    !meta_format(&m, t, sizeof(t))) {
		warnx("%s: cannot make the trusted comment", p->name);
		goto out;
	}
	if (!sig_sign(sk, body->data, body->len, t, 0, &sig)) {
		warnx("%s: signing failed", p->name);
		goto out;
	}
	if (sig_parse((const char *)sig.data, sig.len, &ms, why,
	    sizeof(why)) != SIG_OK ||
	    sig_verify_comment(&ms, &sk->pub) != SIG_OK ||
	    sig_verify_data(&ms, &sk->pub, body->data, body->len) != SIG_OK) {
		warnx("%s: the new signature does not verify; nothing "
		    "published", p->name);
		goto out;
	}
	if ((st = db_prepare(db, "INSERT INTO release (profile, version, "
	    "build, created, expires, keyid, reason, signature) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?)")) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, *version);
	sqlite3_bind_int64(st, 3, build);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)m.expires);
	sqlite3_bind_text(st, 6, keyid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, (const char *)sig.data, (int)sig.len,
	    SQLITE_STATIC);
	if (!db_step_done(db, st))
		goto out;
	snprintf(obj, sizeof(obj), "%s/%" PRId64, p->name, *version);
	if (!audit_append(db, actor, "release", obj, json_pack("{s:s, s:I, "
	    "s:s, s:I, s:s, s:I, s:I, s:s, s:I}", "profile", p->name,
	    "version", (json_int_t)*version, "reason", reason,
	    "build", (json_int_t)build, "sha256", hex,
	    "size", (json_int_t)body->len, "certificates", (json_int_t)ncerts,
	    "key_id", keyid, "expires", (json_int_t)m.expires)))
		goto out;
	ok = 1;
 out:
	sqlite3_finalize(st);
	buf_free(&sig);
	return ok;
}

/*
 * Publish one profile if it needs it, saying so in msg (printed once
 * the transaction commits).  Returns 1 and sets *made when a release
 * was stored, 1 when nothing was due, 0 after a warning.
 */
static int
publish_profile(sqlite3 *db, const struct config *cfg, const char *actor,
    const struct seckey *sk, const char *keyid, const struct profile *p,
    int64_t now, int flags, struct buf *msg, int *made)
{
	struct comp	 c, prev;
	struct relinfo	 last;
	struct buf	 body;
	struct bundle	*check = NULL;
	struct bundle_error perr;
	unsigned char	 d[32];
	char		 hex[65], when[TIMEFMT_LEN];
	const char	*reason = NULL;
	int64_t		 build, version, ncerts;
	int		 ok = 0;

	*made = 0;
	memset(&prev, 0, sizeof(prev));
	buf_init(&body, BUNDLE_MAX_BYTES);
	memset(&c, 0, sizeof(c));
	if (!latest_release(db, p->name, &last))
		goto out;
	/*
	 * A relayed profile is signed upstream, never here; so is the one
	 * [mirror] names before its first release is relayed, or an
	 * approve would sign it here and block the relay for good.
	 */
	if (last.relay || (cfg->mirror.url != NULL &&
	    strcmp(p->name, cfg->mirror.profile) == 0)) {
		if (!(flags & PUBLISH_QUIET) && !last.relay)
			buf_printf(msg, "%s: relayed from %s; nothing "
			    "relayed yet\n", p->name, cfg->mirror.url_shown);
		ok = 1;
		goto out;
	}
	if (!compose(db, p, now, &c))
		goto out;
	if (last.version && !comp_build(db, last.build, &prev))
		goto out;
	if (c.n == 0) {
		if (!(flags & PUBLISH_QUIET) && last.version)
			buf_printf(msg, "%s: no certificates left; version %"
			    PRId64 " is no longer renewed\n", p->name,
			    last.version);
		else if (!(flags & PUBLISH_QUIET))
			buf_printf(msg, "%s: no certificates yet; nothing to "
			    "publish\n", p->name);
		ok = 1;
		goto out;
	}
	if (last.version && comp_equal(&c, &prev)) {
		if (strcmp(last.keyid, keyid) != 0)
			reason = "key";
		else if ((flags & PUBLISH_FORCE) ||
		    now >= last.created + cfg->resign_after)
			reason = "resign";
		else {
			ok = 1;
			goto out;
		}
		build = last.build;
		ncerts = (int64_t)prev.n;
		snprintf(hex, sizeof(hex), "%s", last.sha256);
		if (!body_load(db, hex, &body))
			goto out;
	} else {
		reason = "inputs";
		if (!comp_render(db, &c, &body))
			goto out;
		/* What we sign, our own strict reader must take. */
		if ((check = bundle_parse(body.data, body.len, &perr)) ==
		    NULL || check->ncerts != c.n) {
			warnx("%s: the rendered bundle does not read back: "
			    "%s (line %zu)", p->name, check == NULL ?
			    perr.msg : "certificate count differs", perr.line);
			goto out;
		}
		if (!EVP_Digest(body.data, body.len, d, NULL, EVP_sha256(),
		    NULL)) {
			cryptowarnx("SHA-256");
			goto out;
		}
		hex_encode(d, 32, hex);
		ncerts = (int64_t)c.n;
		if ((build = build_store(db, p, &c, &prev, hex, &body, now))
		    == 0)
			goto out;
	}
	if (!release_store(db, cfg, actor, sk, keyid, p, build,
	    (size_t)ncerts, &body, hex, reason, now, &version))
		goto out;
	timefmt_iso(now + cfg->sign_validity, when);
	buf_printf(msg, "%s: version %" PRId64 " (%s; %" PRId64
	    " certificate%s", p->name, version,
	    strcmp(reason, "inputs") == 0 ? "new bundle" :
	    strcmp(reason, "key") == 0 ? "re-signed with the new key" :
	    "re-signed", ncerts, ncerts == 1 ? "" : "s");
	if (strcmp(reason, "inputs") == 0)
		buf_printf(msg, ", +%zu -%zu", comp_missing(&c, &prev),
		    comp_missing(&prev, &c));
	buf_printf(msg, "), sha256 %s, key %s, expires %s\n", hex, keyid,
	    when);
	*made = 1;
	ok = 1;
 out:
	bundle_free(check);
	buf_free(&body);
	comp_free(&c);
	comp_free(&prev);
	return ok;
}

/*
 * Publish every profile (or only the one named) whose inputs changed,
 * whose signature is due for renewal (or PUBLISH_FORCE) or that was
 * signed by a key no longer active; all in one transaction.  Prints one
 * line per release, and per empty profile unless PUBLISH_QUIET.  Prints one line per release.
 * Returns an exit code: 0 done, 4 local error (nothing published).
 */
int
publish_all(sqlite3 *db, const struct config *cfg, const char *actor,
    const char *only, int flags)
{
	sqlite3_stmt	*st = NULL;
	struct seckey	*sk = NULL;
	struct profile	 p;
	struct buf	 msg;
	char		 keyid[17];
	int64_t		 now = (int64_t)time(NULL);
	int		 step, made, n = 0, rc = EXIT_LOCAL;

	buf_init(&msg, 1 << 20);
	if (!db_begin(db))
		return EXIT_LOCAL;
	if ((sk = keys_load_active(db, cfg, keyid)) == NULL)
		goto out;
	if ((st = db_prepare(db, "SELECT name FROM profile WHERE ?1 IS NULL "
	    "OR name = ?1 ORDER BY name")) == NULL)
		goto out;
	if (only != NULL)
		sqlite3_bind_text(st, 1, only, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (!profile_get(db, (const char *)sqlite3_column_text(st, 0),
		    &p) || !publish_profile(db, cfg, actor, sk, keyid, &p,
		    now, flags, &msg, &made))
			goto out;
		n += made;
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	if (!db_commit(db))
		goto out;
	if (msg.len > 0)
		fwrite(msg.data, 1, msg.len, stdout);
	rc = EXIT_DONE;
 out:
	if (rc != EXIT_DONE)
		warnx("publishing failed; nothing was published");
	buf_free(&msg);
	sqlite3_finalize(st);
	seckey_free(sk);
	db_rollback(db);
	return rc;
}

/*
 * Every certificate of snapshot id, dropped ones too, in body order
 * with its upstream label: what an upstream mirror's body holds.
 */
static int
comp_snapshot(sqlite3 *db, int64_t id, struct comp *c)
{
	sqlite3_stmt	*st;
	int		 ok;

	memset(c, 0, sizeof(*c));
	c->snapshot = id;
	if ((st = db_prepare(db, "SELECT cert, label, 0 FROM snapshot_cert "
	    "WHERE snapshot = ? ORDER BY position")) == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, id);
	ok = comp_rows(db, st, c, 0);
	sqlite3_finalize(st);
	return ok;
}

/*
 * Store an upstream mirror's release verbatim as the same version of
 * the same profile here, its body being snapshot id (already vetted
 * and stored), inside the caller's transaction.  The profile is made
 * when missing.  Returns 1, or 0 after a warning: the profile is signed
 * here, the version does not go up, or a database error.
 */
int
relay_store(sqlite3 *db, const char *actor, const struct relay *rl,
    int64_t snapshot)
{
	sqlite3_stmt	*st = NULL;
	struct profile	 p;
	struct relinfo	 last;
	struct comp	 c, prev;
	struct buf	 body;
	char		 hex[65], obj[META_PROFILE_MAX + 32];
	int64_t		 now = (int64_t)time(NULL), build;
	int		 ok = 0;

	memset(&c, 0, sizeof(c));
	memset(&prev, 0, sizeof(prev));
	buf_init(&body, BUNDLE_MAX_BYTES);
	hex_encode(rl->meta.sha256, 32, hex);
	if (!profile_get(db, rl->meta.profile, &p))
		goto out;
	if (p.name[0] == '\0') {
		if ((st = db_prepare(db, "INSERT INTO profile (name, upstream, "
		    "exclusions, org, description, builtin, created) VALUES "
		    "(?, 1, 0, 'none', 'relayed from ' || ?, 0, ?)")) == NULL)
			goto out;
		sqlite3_bind_text(st, 1, rl->meta.profile, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, rl->source, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		if (!db_step_done(db, st) ||
		    !profile_get(db, rl->meta.profile, &p))
			goto out;
		sqlite3_finalize(st);
		st = NULL;
	}
	if (!latest_release(db, p.name, &last))
		goto out;
	if (last.version && !last.relay) {
		warnx("%s: this mirror signs profile %s itself; it cannot "
		    "also relay it", rl->source, p.name);
		goto out;
	}
	/* A re-signing upstream keeps its build, as our own do. */
	if (last.version && strcmp(last.sha256, hex) == 0)
		build = last.build;
	else {
		if (!comp_snapshot(db, snapshot, &c) ||
		    (last.version && !comp_build(db, last.build, &prev)) ||
		    !body_load(db, hex, &body))
			goto out;
		if ((build = build_store(db, &p, &c, &prev, hex, &body,
		    now)) == 0)
			goto out;
	}
	if ((st = db_prepare(db, "INSERT INTO release (profile, version, "
	    "build, created, expires, keyid, reason, signature, upstream_key, "
	    "source) VALUES (?, ?, ?, ?, ?, ?, 'relay', ?, ?, ?)")) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, p.name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)rl->meta.version);
	sqlite3_bind_int64(st, 3, build);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)rl->meta.created);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)rl->meta.expires);
	sqlite3_bind_text(st, 6, rl->keyid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, rl->sig, (int)rl->siglen, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, rl->pubkey, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, rl->source, -1, SQLITE_STATIC);
	if (!db_step_done(db, st))
		goto out;
	snprintf(obj, sizeof(obj), "%s/%" PRIu64, p.name, rl->meta.version);
	if (!audit_append(db, actor, "relay", obj, json_pack("{s:s, s:I, "
	    "s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "profile", p.name,
	    "version", (json_int_t)rl->meta.version, "source", rl->source,
	    "key_id", rl->keyid, "sha256", hex,
	    "size", (json_int_t)rl->meta.size, "build", (json_int_t)build,
	    "snapshot", (json_int_t)snapshot,
	    "expires", (json_int_t)rl->meta.expires)))
		goto out;
	ok = 1;
 out:
	sqlite3_finalize(st);
	buf_free(&body);
	comp_free(&c);
	comp_free(&prev);
	return ok;
}
