/*
 * release.c - compose each profile, and publish: a new build when its
 * composition changed, a new signed release (version + 1) when the
 * build changed, the signature is due for renewal, or the signing key
 * was rotated.  New builds are committed first, then every profile's
 * release in one transaction, so a reader sees every release of a
 * change or none; the signatures come from a signer process (signer.c)
 * that checks each request against the committed builds.
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
#include "carry.h"
#include "config.h"
#include "constraints.h"
#include "db.h"
#include "encode.h"
#include "exitcode.h"
#include "extern.h"
#include "log.h"
#include "release.h"
#include "sig.h"
#include "signer.h"
#include "store.h"
#include "timefmt.h"

/*
 * Rounds publish_with() plans again when another process published in
 * between: each lost round is another's release, so this bounds how many
 * publishers may queue, not how long one waits.
 */
#define PUBLISH_ROUNDS	8

/* The audit row a publish cites as its releases' cause (schema 009). */
struct cause {
	int64_t	 id;		/* 0: none */
	char	 hash[65];
};

/* The newest release of a profile. */
struct relinfo {
	int64_t		 version;	/* 0: none yet */
	int64_t		 build;
	int64_t		 created;
	char		 keyid[17];
	char		 sha256[65];
	int		 relay;		/* relayed from an upstream mirror */
	int		 carried;	/* countersigned (release_carry) */
};

static int	comp_snapshot(sqlite3 *, int64_t, struct comp *);

/* profile.distrust_after's values, by enum distrust. */
const char *const distrust_names[DISTRUST__MAX] = {
	"sunset", "keep", "drop",
};

/*
 * The policy named s (keep, sunset, drop) into *d.  Returns 1, or 0
 * for any other text.
 */
int
distrust_parse(const char *s, enum distrust *d)
{
	int	 i;

	for (i = 0; i < DISTRUST__MAX; i++)
		if (strcmp(s, distrust_names[i]) == 0) {
			*d = (enum distrust)i;
			return 1;
		}
	return 0;
}

/* Free a composition's labels, rules and arrays. */
void
comp_free(struct comp *c)
{
	size_t	 i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].label);
	free(c->v);
	for (i = 0; i < c->nleft; i++) {
		free(c->left[i].label);
		free(c->left[i].rule);
	}
	free(c->left);
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
comp_left_has(const struct comp *c, const char *fp)
{
	size_t	 i;

	for (i = 0; i < c->nleft; i++)
		if (strcmp(c->left[i].fp, fp) == 0)
			return 1;
	return 0;
}

static int
comp_add(struct comp *c, const char *fp, const char *label, int64_t org,
    int64_t server_after)
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
	c->v[c->n].server_after = server_after;
	if ((c->v[c->n].label = strdup(label)) == NULL)
		goto nomem;
	c->n++;
	return 1;
 nomem:
	warnx("out of memory");
	return 0;
}

/*
 * Append the rows (fp, label, org id, server distrust-after or NULL) of
 * st, skipping fingerprints in c.
 */
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
		    sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3)))
			return 0;
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
	return 1;
}

/*
 * Whether profile p serves an upstream root whose TLS distrust-after
 * date is sa (0: none) at time now; when it does not, the rule that
 * leaves it out, in words, into why.
 */
static int
distrust_serves(const struct profile *p, int64_t sa, int64_t now, char *why,
    size_t whysz)
{
	char	 date[TIMEFMT_LEN], until[TIMEFMT_LEN];

	if (sa == 0 || p->distrust == DISTRUST_KEEP)
		return 1;
	/*
	 * Certificates issued before the date stay trusted, and the
	 * last of them expires at most 398 days after it.
	 */
	if (p->distrust == DISTRUST_SUNSET &&
	    now < sa + DISTRUST_SUNSET_SECONDS)
		return 1;
	timefmt_date(sa, date);
	timefmt_date(sa + DISTRUST_SUNSET_SECONDS, until);
	if (p->distrust == DISTRUST_SUNSET)
		snprintf(why, whysz, "sunset: Mozilla distrusts TLS "
		    "certificates it issued after %s; the last of them "
		    "expired by %s (date + 398 days)", date, until);
	else
		snprintf(why, whysz, "drop: Mozilla distrusts TLS "
		    "certificates it issued after %s", date);
	return 0;
}

static int
left_add(struct comp *c, const char *fp, const char *label, int64_t sa,
    const char *rule)
{
	struct left	*nv;

	if ((nv = reallocarray(c->left, c->nleft + 1, sizeof(*nv))) == NULL)
		goto nomem;
	c->left = nv;
	memset(&c->left[c->nleft], 0, sizeof(*nv));
	memcpy(c->left[c->nleft].fp, fp, 65);
	c->left[c->nleft].server_after = sa;
	if ((c->left[c->nleft].label = strdup(label)) == NULL ||
	    (c->left[c->nleft].rule = strdup(rule)) == NULL) {
		free(c->left[c->nleft].label);
		goto nomem;
	}
	c->nleft++;
	return 1;
 nomem:
	warnx("out of memory");
	return 0;
}

/*
 * The upstream roots of st (fp, label, 0, server distrust-after or
 * NULL) as profile p serves them at time now: the ones its
 * distrust_after policy leaves out go to c->left with the rule.
 */
static int
comp_upstream(sqlite3 *db, sqlite3_stmt *st, const struct profile *p,
    int64_t now, struct comp *c)
{
	const char	*fp, *label;
	char		 why[256];
	int64_t		 sa;
	int		 step;

	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		fp = (const char *)sqlite3_column_text(st, 0);
		label = (const char *)sqlite3_column_text(st, 1);
		sa = sqlite3_column_int64(st, 3);
		if (fp == NULL || strlen(fp) != 64 || label == NULL) {
			warnx("malformed certificate row");
			return 0;
		}
		if (comp_has(c, fp))
			continue;
		if (distrust_serves(p, sa, now, why, sizeof(why))) {
			if (!comp_add(c, fp, label, 0, sa))
				return 0;
		} else if (!left_add(c, fp, label, sa, why))
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
	if ((st = db_prepare(db, "SELECT name, upstream, exclusions, org, "
	    "coalesce(base, ''), distrust_after, coalesce(removed, 0) FROM "
	    "profile WHERE name = ?"))
	    == NULL)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(p->name, sizeof(p->name), "%s",
		    sqlite3_column_text(st, 0));
		p->upstream = sqlite3_column_int(st, 1);
		p->exclusions = sqlite3_column_int(st, 2);
		p->removed = sqlite3_column_int64(st, 6);
		snprintf(p->org, sizeof(p->org), "%s",
		    sqlite3_column_text(st, 3));
		snprintf(p->base, sizeof(p->base), "%s",
		    sqlite3_column_text(st, 4));
		/* schema 008's CHECK keeps it one of the three */
		if (sqlite3_column_text(st, 5) == NULL ||
		    !distrust_parse((const char *)sqlite3_column_text(st, 5),
		    &p->distrust)) {
			warnx("%s: malformed distrust_after", name);
			rc = SQLITE_ERROR;
		}
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ERROR)
		return 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
	return 1;
}

/*
 * What the profile holds now: the served upstream set (accepted
 * snapshot with the highest id, dropped roots left out), minus the
 * current exclusions when the profile applies them, minus the dated
 * roots its distrust_after policy leaves out at time now (into
 * c->left, with the rule), then the current
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
	if (p->upstream && p->base[0] != '\0') {
		/*
		 * profile add --base: the newest relayed body of the base
		 * profile that stands accepted (committed before any
		 * publish, so a new carry shows in the same round), else
		 * the newest release of it, instead of the roots.
		 */
		if ((st = db_prepare(db, "SELECT c.cert, c.label, 0, "
		    "NULL FROM snapshot_cert c WHERE c.snapshot = "
		    "(SELECT k.snapshot FROM carry k JOIN snapshot s ON s.id = "
		    "k.snapshot WHERE k.profile = ?1 AND s.status = 'accepted' "
		    "ORDER BY k.upstream_version DESC, k.id DESC LIMIT 1) AND "
		    "NOT c.dropped AND NOT (?2 AND c.cert IN (SELECT cert FROM "
		    "exclusion WHERE removed IS NULL)) ORDER BY c.position"))
		    == NULL)
			goto out;
		sqlite3_bind_text(st, 1, p->base, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, p->exclusions);
		if (!comp_rows(db, st, c, 1))
			goto out;
		sqlite3_finalize(st);
		st = NULL;
		if (c->n == 0 && ((st = db_prepare(db, "SELECT c.cert, "
		    "c.label, 0, NULL FROM build_cert c WHERE c.build = (SELECT "
		    "build FROM release WHERE profile = ?1 ORDER BY version "
		    "DESC LIMIT 1) AND NOT (?2 AND c.cert IN (SELECT cert FROM "
		    "exclusion WHERE removed IS NULL)) ORDER BY c.position")) ==
		    NULL))
			goto out;
		if (st != NULL) {
			sqlite3_bind_text(st, 1, p->base, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 2, p->exclusions);
			if (!comp_rows(db, st, c, 1))
				goto out;
			sqlite3_finalize(st);
			st = NULL;
		}
	} else if (p->upstream) {
		/* schema 008: the dates this snapshot's roots carry */
		if ((st = db_prepare(db, "SELECT c.cert, c.label, 0, "
		    "d.server_after FROM snapshot_cert c LEFT JOIN "
		    "snapshot_distrust d ON d.snapshot = c.snapshot AND d.cert "
		    "= c.cert WHERE c.snapshot = (SELECT max(id) FROM snapshot "
		    "WHERE status = 'accepted' AND relay IS NULL) AND NOT "
		    "c.dropped AND NOT (?1 AND c.cert IN (SELECT cert FROM "
		    "exclusion WHERE removed IS NULL)) ORDER BY c.position"))
		    == NULL)
			goto out;
		sqlite3_bind_int(st, 1, p->exclusions);
		if (!comp_upstream(db, st, p, now, c))
			goto out;
		sqlite3_finalize(st);
		st = NULL;
		if ((st = db_prepare(db, "SELECT max(id) FROM snapshot WHERE "
		    "status = 'accepted' AND relay IS NULL")) == NULL ||
		    sqlite3_step(st) != SQLITE_ROW)
			goto out;
		c->snapshot = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
	}
	if (strcmp(p->org, "none") != 0) {
		if ((st = db_prepare(db, "SELECT o.cert, o.name, o.id, NULL "
		    "FROM org_ca o JOIN certificate k ON k.sha256 = o.cert WHERE "
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
 * The composition recorded for a build, in bundle order, with the
 * roots it left out (build_left).  Returns 1 (comp_free it) or 0 after
 * a warning.
 */
int
comp_build(sqlite3 *db, int64_t build, struct comp *c)
{
	sqlite3_stmt	*st;
	const char	*fp, *label, *rule;
	int		 ok, step;

	memset(c, 0, sizeof(*c));
	if ((st = db_prepare(db, "SELECT cert, label, coalesce(org_ca, 0), "
	    "server_after FROM build_cert WHERE build = ? ORDER BY position"))
	    == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, build);
	ok = comp_rows(db, st, c, 0);
	sqlite3_finalize(st);
	if (!ok || (st = db_prepare(db, "SELECT cert, label, server_after, "
	    "rule FROM build_left WHERE build = ? ORDER BY cert")) == NULL) {
		comp_free(c);
		return 0;
	}
	sqlite3_bind_int64(st, 1, build);
	while (ok && (step = sqlite3_step(st)) == SQLITE_ROW) {
		fp = (const char *)sqlite3_column_text(st, 0);
		label = (const char *)sqlite3_column_text(st, 1);
		rule = (const char *)sqlite3_column_text(st, 3);
		if (fp == NULL || strlen(fp) != 64 || label == NULL ||
		    rule == NULL) {
			warnx("build %" PRId64 ": malformed build_left row",
			    build);
			ok = 0;
		} else
			ok = left_add(c, fp, label, sqlite3_column_int64(st,
			    2), rule);
	}
	if (ok && step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		ok = 0;
	}
	sqlite3_finalize(st);
	if (!ok)
		comp_free(c);
	return ok;
}

static int
comp_equal(const struct comp *a, const struct comp *b)
{
	size_t	 i;

	if (a->n != b->n || a->nleft != b->nleft)
		return 0;
	/* A date that appears (under keep) makes a new build too. */
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].fp, b->v[i].fp) != 0 ||
		    strcmp(a->v[i].label, b->v[i].label) != 0 ||
		    a->v[i].server_after != b->v[i].server_after)
			return 0;
	for (i = 0; i < a->nleft; i++)
		if (!comp_left_has(b, a->left[i].fp))
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
	    "r.keyid, b.body_sha256, r.reason = 'relay', EXISTS (SELECT 1 "
	    "FROM release_carry c WHERE c.profile = r.profile AND c.version = "
	    "r.version) FROM release r JOIN build b ON b.id = r.build WHERE "
	    "r.profile = ? ORDER BY r.version DESC LIMIT 1")) == NULL)
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
		r->carried = sqlite3_column_int(st, 6);
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

/* The roots build id left out, with the rule (schema 008 build_left). */
static int
build_store_left(sqlite3 *db, int64_t id, const struct comp *c)
{
	sqlite3_stmt	*st;
	size_t		 i;
	int		 ok = 1;

	if (c->nleft == 0)
		return 1;
	if ((st = db_prepare(db, "INSERT INTO build_left (build, cert, "
	    "label, server_after, rule) VALUES (?, ?, ?, ?, ?)")) == NULL)
		return 0;
	for (i = 0; ok && i < c->nleft; i++) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, c->left[i].fp, 64, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, c->left[i].label, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, c->left[i].server_after);
		sqlite3_bind_text(st, 5, c->left[i].rule, -1, SQLITE_STATIC);
		ok = db_step_done(db, st);
	}
	sqlite3_finalize(st);
	return ok;
}

/*
 * The constraints document (constraints.c) of composition c, the
 * bundle hex of profile p, in doc with its SHA-256 in chex; chex ""
 * when no root of it has a date.  Returns 1, or 0 after a warning.
 */
static int
build_constraints(const struct profile *p, const struct comp *c,
    const char *hex, struct buf *doc, char *chex)
{
	unsigned char	 d[32];

	chex[0] = '\0';
	if (!constraints_render(p->name, distrust_names[p->distrust], hex, c, doc))
		return 0;
	if (doc->len == 0)
		return 1;
	if (!EVP_Digest(doc->data, doc->len, d, NULL, EVP_sha256(), NULL)) {
		cryptowarnx("SHA-256");
		return 0;
	}
	hex_encode(d, 32, chex);
	return 1;
}

/*
 * Record a new build: the body, the build row with added/removed
 * counts against prev, its certificates with their dates, the roots it
 * left out with the rule (build_left), and its constraints document
 * when it has one.  Returns the build id, or 0 after a warning.
 */
static int64_t
build_store(sqlite3 *db, const struct profile *p, const struct comp *c,
    const struct comp *prev, const char *hex, const struct buf *body,
    int64_t now)
{
	sqlite3_stmt	*st = NULL;
	struct buf	 cdoc;
	char		 chex[65];
	int64_t		 id = 0;
	size_t		 i;

	buf_init(&cdoc, BUNDLE_MAX_BYTES);
	if (!store_body(db, hex, body->data, body->len) ||
	    !build_constraints(p, c, hex, &cdoc, chex) ||
	    (chex[0] != '\0' && !store_body(db, chex, cdoc.data, cdoc.len))) {
		buf_free(&cdoc);
		return 0;
	}
	buf_free(&cdoc);
	if ((st = db_prepare(db, "INSERT INTO build (profile, snapshot, "
	    "body_sha256, ncerts, added, removed, created, constraints) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) == NULL)
		return 0;
	if (chex[0] != '\0')
		sqlite3_bind_text(st, 8, chex, 64, SQLITE_TRANSIENT);
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
	    "cert, label, org_ca, server_after) VALUES (?, ?, ?, ?, ?, ?)"))
	    == NULL)
		goto out;
	id = sqlite3_last_insert_rowid(db);
	for (i = 0; i < c->n; i++) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i + 1);
		sqlite3_bind_text(st, 3, c->v[i].fp, 64, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, c->v[i].label, -1, SQLITE_STATIC);
		if (c->v[i].org_ca)
			sqlite3_bind_int64(st, 5, c->v[i].org_ca);
		if (c->v[i].server_after)
			sqlite3_bind_int64(st, 6, c->v[i].server_after);
		if (!db_step_done(db, st)) {
			id = 0;
			goto out;
		}
	}
	if (!build_store_left(db, id, c))
		id = 0;
 out:
	sqlite3_finalize(st);
	return id;
}

/*
 * What publishing one profile needs once its build is committed: the
 * first transaction decides and stores builds, the second asks the
 * signer and stores releases (the signer reads builds from its own
 * handle, so they must be committed before it is asked).
 */
struct plan {
	struct profile	 p;
	int64_t		 last;		/* the newest version seen */
	int64_t		 build;
	int64_t		 ncerts;
	size_t		 added, removed;
	const char	*reason;	/* NULL: nothing due */
	char		 hex[65];
	struct buf	 body;
	int64_t		 carry;		/* countersigned: carry row, or 0 */
};

/*
 * The signature of the constraints document of plan's build, if it
 * has one, into csig (left empty when not): signed by sg right after
 * the bundle, with the bundle's trusted comment m in every field but
 * format, size and sha256, and checked against sg's key.  Returns 1,
 * or 0 after a warning.
 */
static int
constraints_sign(sqlite3 *db, struct signer *sg, const struct plan *pl,
    const struct meta *m, struct buf *csig)
{
	sqlite3_stmt	*st;
	struct minisig	 ms;
	struct meta	 cm;
	struct buf	 doc;
	char		 chex[65], why[256];
	int		 rc, ok = 0;

	if ((st = db_prepare(db, "SELECT constraints FROM build WHERE id = ? "
	    "AND constraints IS NOT NULL")) == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, pl->build);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(chex, sizeof(chex), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 1;
	if (rc != SQLITE_ROW) {
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
	buf_init(&doc, BUNDLE_MAX_BYTES);
	cm = *m;
	if (!body_load(db, chex, &doc) ||
	    !hex_decode(chex, 64, cm.sha256, 32))
		goto out;
	cm.size = doc.len;
	if (!signer_sign_as(sg, META_FORMAT_CONSTRAINTS, &cm, csig))
		goto out;
	if (sig_parse((const char *)csig->data, csig->len, &ms, why,
	    sizeof(why)) != SIG_OK ||
	    sig_verify_comment(&ms, &sg->pub) != SIG_OK ||
	    sig_verify_data(&ms, &sg->pub, doc.data, doc.len) != SIG_OK) {
		warnx("%s: the constraints signature does not verify; "
		    "nothing published", pl->p.name);
		goto out;
	}
	ok = 1;
 out:
	buf_free(&doc);
	return ok;
}

/*
 * Have the signer sign plan's body as the next version, check what it
 * sent against the key it says it holds, and store the release with
 * its audit row.  Returns 1 and sets *version; -1, silently, when
 * another process published this profile since plan was made (plan
 * again); 0 after a warning: the signer refused or the signature does
 * not verify.
 */
static int
release_store(sqlite3 *db, const struct config *cfg, const char *actor,
    struct signer *sg, const struct plan *pl, const struct cause *cause_row,
    int64_t now, int64_t *version)
{
	sqlite3_stmt	*st = NULL;
	struct relinfo	 last;
	struct meta	 m;
	struct minisig	 ms;
	struct buf	 sig, csig;
	char		 why[256], obj[META_PROFILE_MAX + 32];
	int64_t		 cause = 0;
	int		 ok = 0;

	buf_init(&sig, SIG_FILE_MAX);
	buf_init(&csig, SIG_FILE_MAX);
	if (!latest_release(db, pl->p.name, &last))
		goto out;
	if (last.version != pl->last) {
		ok = -1;
		goto out;
	}
	*version = last.version + 1;
	memset(&m, 0, sizeof(m));
	snprintf(m.profile, sizeof(m.profile), "%s", pl->p.name);
	m.version = (uint64_t)*version;
	m.created = (uint64_t)now;
	m.expires = (uint64_t)(now + cfg->sign_validity);
	m.size = pl->body.len;
	if (!hex_decode(pl->hex, 64, m.sha256, 32)) {
		warnx("%s: cannot make the trusted comment", pl->p.name);
		goto out;
	}
	if (!signer_sign(sg, &m, &sig))
		goto out;
	if (sig_parse((const char *)sig.data, sig.len, &ms, why,
	    sizeof(why)) != SIG_OK ||
	    sig_verify_comment(&ms, &sg->pub) != SIG_OK ||
	    sig_verify_data(&ms, &sg->pub, pl->body.data, pl->body.len) !=
	    SIG_OK) {
		warnx("%s: the new signature does not verify; nothing "
		    "published", pl->p.name);
		goto out;
	}
	if (!constraints_sign(db, sg, pl, &m, &csig))
		goto out;
	if ((st = db_prepare(db, "INSERT INTO release (profile, version, "
	    "build, created, expires, keyid, reason, signature) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?)")) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, pl->p.name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, *version);
	sqlite3_bind_int64(st, 3, pl->build);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)m.expires);
	sqlite3_bind_text(st, 6, sg->keyid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, pl->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, (const char *)sig.data, (int)sig.len,
	    SQLITE_STATIC);
	if (!db_step_done(db, st))
		goto out;
	if (csig.len > 0) {
		sqlite3_finalize(st);
		if ((st = db_prepare(db, "INSERT INTO release_constraints "
		    "(profile, version, signature) VALUES (?, ?, ?)")) == NULL)
			goto out;
		sqlite3_bind_text(st, 1, pl->p.name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, *version);
		sqlite3_bind_text(st, 3, (const char *)csig.data,
		    (int)csig.len, SQLITE_STATIC);
		if (!db_step_done(db, st))
			goto out;
	}
	if (pl->carry != 0) {
		sqlite3_finalize(st);
		if ((st = db_prepare(db, "INSERT INTO release_carry (profile, "
		    "version, carry) VALUES (?, ?, ?)")) == NULL)
			goto out;
		sqlite3_bind_text(st, 1, pl->p.name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, *version);
		sqlite3_bind_int64(st, 3, pl->carry);
		if (!db_step_done(db, st))
			goto out;
	}
	/* The cause only if it is still the row that process appended. */
	if (cause_row->id > 0) {
		sqlite3_finalize(st);
		if ((st = db_prepare(db, "INSERT INTO release_cause (profile, "
		    "version, audit) SELECT ?, ?, id FROM audit WHERE id = ? "
		    "AND hash = ?")) == NULL)
			goto out;
		sqlite3_bind_text(st, 1, pl->p.name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, *version);
		sqlite3_bind_int64(st, 3, cause_row->id);
		sqlite3_bind_text(st, 4, cause_row->hash, 64, SQLITE_STATIC);
		if (!db_step_done(db, st))
			goto out;
		cause = sqlite3_changes(db) == 1 ? cause_row->id : 0;
	}
	snprintf(obj, sizeof(obj), "%s/%" PRId64, pl->p.name, *version);
	if (!audit_append(db, actor, "release", obj, json_pack("{s:s, s:I, "
	    "s:s, s:I, s:s, s:I, s:I, s:s, s:I, s:o?, s:o?}",
	    "profile", pl->p.name,
	    "version", (json_int_t)*version, "reason", pl->reason,
	    "build", (json_int_t)pl->build, "sha256", pl->hex,
	    "size", (json_int_t)pl->body.len,
	    "certificates", (json_int_t)pl->ncerts,
	    "key_id", sg->keyid, "expires", (json_int_t)m.expires,
	    "carry", pl->carry != 0 ? json_integer(pl->carry) : NULL,
	    "cause", cause != 0 ? json_integer(cause) : NULL)))
		goto out;
	ok = 1;
 out:
	sqlite3_finalize(st);
	buf_free(&sig);
	buf_free(&csig);
	return ok;
}

/*
 * Whether the newest release's build (last) has the constraints
 * document composition c gives now, c being the same composition: a
 * policy changed by "profile set" changes the document (served_until),
 * not the bundle.  Returns 1 same, 2 differs, 0 after a warning.
 */
static int
constraints_same(sqlite3 *db, const struct profile *p, const struct comp *c,
    const struct relinfo *last)
{
	sqlite3_stmt	*st;
	struct buf	 cdoc;
	char		 chex[65];
	const char	*was;
	int		 rc = 0;

	buf_init(&cdoc, BUNDLE_MAX_BYTES);
	if (!build_constraints(p, c, last->sha256, &cdoc, chex) ||
	    (st = db_prepare(db, "SELECT coalesce(constraints, '') FROM build "
	    "WHERE id = ?")) == NULL) {
		buf_free(&cdoc);
		return 0;
	}
	buf_free(&cdoc);
	sqlite3_bind_int64(st, 1, last->build);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (was = (const char *)sqlite3_column_text(st, 0)) != NULL)
		rc = strcmp(was, chex) == 0 ? 1 : 2;
	else
		warnx("%s: build %" PRId64 " is missing", p->name,
		    last->build);
	sqlite3_finalize(st);
	return rc;
}

/*
 * A build of profile p with body hex and the constraints composition
 * c gives stored after build after (an earlier publish that stored it
 * and then failed): its id, 0 when there is none, -1 after a warning.
 */
static int64_t
build_unreleased(sqlite3 *db, const struct profile *p, const struct comp *c,
    const char *hex, int64_t after)
{
	sqlite3_stmt	*st;
	struct buf	 cdoc;
	char		 chex[65];
	int64_t		 id = 0;
	int		 rc;

	buf_init(&cdoc, BUNDLE_MAX_BYTES);
	rc = build_constraints(p, c, hex, &cdoc, chex);
	buf_free(&cdoc);
	if (!rc || (st = db_prepare(db, "SELECT id FROM build WHERE profile = "
	    "? AND body_sha256 = ? AND id > ? AND constraints IS ? AND id "
	    "NOT IN (SELECT build FROM release) ORDER BY id DESC LIMIT 1")) ==
	    NULL)
		return -1;
	sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hex, 64, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, after);
	if (chex[0] != '\0')
		sqlite3_bind_text(st, 4, chex, 64, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		id = -1;
	}
	sqlite3_finalize(st);
	return id;
}

/*
 * Whether this mirror takes profile name from its upstream mirror:
 * [mirror] names it (config_relays), or it has carried releases (a
 * profile only the upstream has, with profiles = *).  Returns 1 with
 * *relayed set, or 0 after a warning.
 */
static int
profile_relayed(sqlite3 *db, const struct config *cfg, const char *name,
    int *relayed)
{
	struct carry	 cr;

	*relayed = config_relays(cfg, name);
	if (*relayed || cfg->mirror.url == NULL)
		return 1;
	if (!carry_newest(db, name, 0, &cr))
		return 0;
	*relayed = cr.id != 0;
	carry_free(&cr);
	return 1;
}

/*
 * Plan a countersigned profile ([mirror] mode = countersign): its
 * body is the newest carried upstream release whose body stands
 * accepted, signed here as the profile's next version ("inputs" when
 * that body is new, with a build of its own), and renewed on this
 * mirror's schedule ("resign", "key") with no new carry.  Returns 1
 * (pl->reason NULL: nothing due), or 0 after a warning.
 */
static int
plan_carry(sqlite3 *db, const struct config *cfg, const char *keyid,
    int64_t now, int flags, struct buf *msg, struct plan *pl,
    const struct relinfo *last)
{
	struct carry	 cr;
	struct comp	 c, prev;
	int		 ok = 0;

	memset(&c, 0, sizeof(c));
	memset(&prev, 0, sizeof(prev));
	if (!carry_newest(db, pl->p.name, 1, &cr))
		return 0;
	if (cr.id == 0) {
		if (!(flags & PUBLISH_QUIET))
			buf_printf(msg, "%s: countersigned from %s; nothing "
			    "carried yet\n", pl->p.name,
			    cfg->mirror.url_shown != NULL ?
			    cfg->mirror.url_shown : "the upstream mirror");
		ok = 1;
		goto out;
	}
	pl->carry = cr.id;
	snprintf(pl->hex, sizeof(pl->hex), "%s", cr.sha256);
	if (last->version && !comp_build(db, last->build, &prev))
		goto out;
	if (last->version && strcmp(last->sha256, cr.sha256) == 0) {
		if (strcmp(last->keyid, keyid) != 0)
			pl->reason = "key";
		else if ((flags & PUBLISH_FORCE) ||
		    now >= last->created + cfg->resign_after)
			pl->reason = "resign";
		else {
			ok = 1;
			goto out;
		}
		pl->build = last->build;
		pl->ncerts = (int64_t)prev.n;
		ok = body_load(db, pl->hex, &pl->body);
		goto out;
	}
	pl->reason = "inputs";
	if (!comp_snapshot(db, cr.snapshot, &c) ||
	    !body_load(db, pl->hex, &pl->body))
		goto out;
	pl->ncerts = (int64_t)c.n;
	pl->added = comp_missing(&c, &prev);
	pl->removed = comp_missing(&prev, &c);
	if ((pl->build = build_unreleased(db, &pl->p, &c, pl->hex,
	    last->build)) == 0)
		pl->build = build_store(db, &pl->p, &c, &prev, pl->hex,
		    &pl->body, now);
	ok = pl->build > 0;
 out:
	if (!ok)
		pl->reason = NULL;
	carry_free(&cr);
	comp_free(&c);
	comp_free(&prev);
	return ok;
}

/*
 * Decide whether profile p needs a release, storing a new build when
 * its composition changed, and fill pl (pl->reason NULL: nothing due;
 * a line for msg then, unless PUBLISH_QUIET).  Returns 1, or 0 after a
 * warning.
 */
static int
publish_plan(sqlite3 *db, const struct config *cfg, const char *keyid,
    int64_t now, int flags, struct buf *msg, struct plan *pl)
{
	struct comp	 c, prev;
	struct relinfo	 last;
	struct bundle	*check = NULL;
	struct bundle_error perr;
	const struct profile *p = &pl->p;
	unsigned char	 d[32];
	int		 relayed, same = 0, ok = 0;

	memset(&prev, 0, sizeof(prev));
	memset(&c, 0, sizeof(c));
	if (!latest_release(db, p->name, &last))
		goto out;
	pl->last = last.version;
	/*
	 * A relayed profile is never composed here: verbatim, it is
	 * signed upstream only; countersigned, its body is the newest
	 * carried upstream release's.  So is one [mirror] names before
	 * its first release is relayed, or an approve would sign it here
	 * and block the relay for good.
	 */
	if (!profile_relayed(db, cfg, p->name, &relayed))
		goto out;
	/*
	 * Once countersigned, always: a configuration that lost [mirror]
	 * renews what was carried, it never composes the profile anew.
	 */
	if (last.carried || (relayed && cfg->mirror.countersign &&
	    !last.relay)) {
		ok = plan_carry(db, cfg, keyid, now, flags, msg, pl, &last);
		goto out;
	}
	if (last.relay || relayed) {
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
	if (last.version && comp_equal(&c, &prev) &&
	    !(same = constraints_same(db, p, &c, &last)))
		goto out;
	if (last.version && comp_equal(&c, &prev) && same == 1) {
		if (strcmp(last.keyid, keyid) != 0)
			pl->reason = "key";
		else if ((flags & PUBLISH_FORCE) ||
		    now >= last.created + cfg->resign_after)
			pl->reason = "resign";
		else {
			ok = 1;
			goto out;
		}
		pl->build = last.build;
		pl->ncerts = (int64_t)prev.n;
		snprintf(pl->hex, sizeof(pl->hex), "%s", last.sha256);
		if (!body_load(db, pl->hex, &pl->body))
			goto out;
		ok = 1;
		goto out;
	}
	pl->reason = "inputs";
	if (!comp_render(db, &c, &pl->body))
		goto out;
	/* What we sign, our own strict reader must take. */
	if ((check = bundle_parse(pl->body.data, pl->body.len, &perr)) ==
	    NULL || check->ncerts != c.n) {
		warnx("%s: the rendered bundle does not read back: %s "
		    "(line %zu)", p->name, check == NULL ? perr.msg :
		    "certificate count differs", perr.line);
		goto out;
	}
	if (!EVP_Digest(pl->body.data, pl->body.len, d, NULL, EVP_sha256(),
	    NULL)) {
		cryptowarnx("SHA-256");
		goto out;
	}
	hex_encode(d, 32, pl->hex);
	pl->ncerts = (int64_t)c.n;
	pl->added = comp_missing(&c, &prev);
	pl->removed = comp_missing(&prev, &c);
	if ((pl->build = build_unreleased(db, p, &c, pl->hex,
	    last.build)) == 0)
		pl->build = build_store(db, p, &c, &prev, pl->hex, &pl->body,
		    now);
	ok = pl->build > 0;
 out:
	if (!ok)
		pl->reason = NULL;
	bundle_free(check);
	comp_free(&c);
	comp_free(&prev);
	return ok;
}

/* The line that says what was published. */
static void
publish_say(const struct config *cfg, const struct plan *pl,
    const char *keyid, int64_t version, int64_t now, struct buf *msg)
{
	char	 when[TIMEFMT_LEN];

	timefmt_iso(now + cfg->sign_validity, when);
	buf_printf(msg, "%s: version %" PRId64 " (%s; %" PRId64
	    " certificate%s", pl->p.name, version,
	    strcmp(pl->reason, "inputs") == 0 ? "new bundle" :
	    strcmp(pl->reason, "key") == 0 ? "re-signed with the new key" :
	    "re-signed", pl->ncerts, pl->ncerts == 1 ? "" : "s");
	if (strcmp(pl->reason, "inputs") == 0)
		buf_printf(msg, ", +%zu -%zu", pl->added, pl->removed);
	buf_printf(msg, "), sha256 %s, key %s, expires %s\n", pl->hex, keyid,
	    when);
}

/*
 * Every current profile's name (or only the one named) into a new plan
 * each; a removed one (schema 009) is no longer composed, published or
 * renewed.
 */
static int
plans_make(sqlite3 *db, const char *only, struct plan **out, size_t *n)
{
	sqlite3_stmt	*st;
	struct plan	*v = NULL, *nv;
	int		 step, ok = 0;

	*n = 0;
	if ((st = db_prepare(db, "SELECT name FROM profile WHERE removed IS "
	    "NULL AND (?1 IS NULL OR name = ?1) ORDER BY name")) == NULL)
		return 0;
	if (only != NULL)
		sqlite3_bind_text(st, 1, only, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nv = reallocarray(v, *n + 1, sizeof(*v))) == NULL) {
			warn("reallocarray");
			goto out;
		}
		v = nv;
		memset(&v[*n], 0, sizeof(v[*n]));
		buf_init(&v[*n].body, BUNDLE_MAX_BYTES);
		if (!profile_get(db, (const char *)sqlite3_column_text(st, 0),
		    &v[(*n)++].p))
			goto out;
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	ok = 1;
 out:
	sqlite3_finalize(st);
	*out = v;
	return ok;
}

/*
 * One round of publish_with(): plan every profile, commit new builds,
 * then store every due release in one transaction, lines into msg.
 * Returns 1, -1 when another process published a planned profile
 * between the two transactions (nothing stored; plan again), or 0
 * after a warning.
 */
static int
publish_round(sqlite3 *db, const struct config *cfg, struct signer *sg,
    const char *actor, const char *only, int flags,
    const struct cause *cause_row, struct buf *msg)
{
	struct plan	*pl = NULL;
	int64_t		 now = (int64_t)time(NULL), version;
	size_t		 i, n = 0;
	int		 due = 0, ok = 0, stored;

	if (!db_begin(db) || !plans_make(db, only, &pl, &n))
		goto out;
	for (i = 0; i < n; i++) {
		if (!publish_plan(db, cfg, sg->keyid, now, flags, msg,
		    &pl[i]))
			goto out;
		due += pl[i].reason != NULL;
	}
	if (!db_commit(db))
		goto out;
	if (due > 0) {
		if (!db_begin(db))
			goto out;
		for (i = 0; i < n; i++) {
			if (pl[i].reason == NULL)
				continue;
			if ((stored = release_store(db, cfg, actor, sg,
			    &pl[i], cause_row, now, &version)) != 1) {
				ok = stored;
				goto out;
			}
			publish_say(cfg, &pl[i], sg->keyid, version, now,
			    msg);
		}
		if (!db_commit(db))
			goto out;
	}
	ok = 1;
 out:
	db_rollback(db);
	for (i = 0; i < n; i++)
		buf_free(&pl[i].body);
	free(pl);
	return ok;
}

/*
 * Publish every profile (or only the one named) whose inputs changed,
 * whose signature is due for renewal (or PUBLISH_FORCE) or that was
 * signed by a key no longer active, with signer sg (signer.c).  New
 * builds are committed first; then every release in one transaction,
 * so a reader sees every release of a change or none.  When another
 * process publishes in between, the round is planned again, at most
 * PUBLISH_ROUNDS times.  Each release cites as its cause (schema 009)
 * the newest audit row this process appended before.  Prints one line
 * per release, and per empty profile only with -v (cfg->verbose) and
 * without PUBLISH_QUIET.  Returns an exit code: 0 done, 4 local
 * error (no release published).
 */
int
publish_with(sqlite3 *db, const struct config *cfg, struct signer *sg,
    const char *actor, const char *only, int flags)
{
	struct buf	 msg;
	struct cause	 cause_row, none;
	int		 round, r = -1;

	/* What was not done is said only when asked (-v). */
	if (!cfg->verbose)
		flags |= PUBLISH_QUIET;
	buf_init(&msg, 1 << 20);
	audit_take(&cause_row.id, cause_row.hash);
	for (round = 0; round < PUBLISH_ROUNDS && r == -1; round++) {
		msg.len = 0;
		r = publish_round(db, cfg, sg, actor, only, flags, &cause_row,
		    &msg);
	}
	/* The release rows just appended cause nothing later. */
	audit_take(&none.id, none.hash);
	if (r == -1)
		warnx("other processes kept publishing meanwhile (%d "
		    "rounds)", PUBLISH_ROUNDS);
	if (r == 1 && msg.len > 0)
		fwrite(msg.data, 1, msg.len, stdout);
	if (r != 1)
		warnx("publishing failed; nothing was published");
	buf_free(&msg);
	return r == 1 ? EXIT_DONE : EXIT_LOCAL;
}

/*
 * publish_with() through a signer of its own, started for the purpose.
 * Returns an exit code: 0 done, 4 local error (no release published).
 */
int
publish_all(sqlite3 *db, const struct config *cfg, const char *actor,
    const char *only, int flags)
{
	struct signer	*sg;
	int		 rc;

	if ((sg = signer_start(cfg)) == NULL) {
		warnx("publishing failed; nothing was published");
		return EXIT_LOCAL;
	}
	rc = publish_with(db, cfg, sg, actor, only, flags);
	if (!signer_stop(sg) && rc == EXIT_DONE)
		warnx("the signer did not end cleanly");
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
	if ((st = db_prepare(db, "SELECT cert, label, 0, NULL FROM "
	    "snapshot_cert WHERE snapshot = ? ORDER BY position")) == NULL)
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
 * here or removed here, the version does not go up, or a database
 * error.
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
	/* relay.c skips a removed profile; nothing stores under one. */
	if (p.removed) {
		warnx("%s: profile %s was removed here; its upstream releases "
		    "are not relayed here", rl->source, p.name);
		goto out;
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
