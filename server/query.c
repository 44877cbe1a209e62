/*
 * query.c - the read side of the store: a profile's history, the diff
 * between two of its versions, the list of profiles, the snapshots
 * with their reports and the audit log, as C structures for the renderers (render_json.c, html.c, the commands).
 * Nothing here writes, prints or knows a format.
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "db.h"
#include "query.h"
#include "release.h"

/* Copy column col, text of at most sz - 1 bytes, into dst; 0 if not. */
static int
col_copy(sqlite3_stmt *st, int col, char *dst, size_t sz)
{
	const char	*s = (const char *)sqlite3_column_text(st, col);

	if (s == NULL || strlen(s) >= sz)
		return 0;
	memcpy(dst, s, strlen(s) + 1);
	return 1;
}

/* *dst: a copy of column col, NULL for SQL NULL; 0 when out of memory. */
static int
col_dup(sqlite3_stmt *st, int col, char **dst)
{
	const char	*s = (const char *)sqlite3_column_text(st, col);

	*dst = NULL;
	if (s == NULL)
		return sqlite3_column_type(st, col) == SQLITE_NULL;
	if ((*dst = strdup(s)) == NULL) {
		warn("strdup");
		return 0;
	}
	return 1;
}

/*
 * The cause columns (RELEASE_CAUSE_COLS) from column col into *a, its
 * text borrowed from the statement's row.  Returns 1, or 0 when the
 * release has no cause.
 */
int
query_cause_row(sqlite3_stmt *st, int col, struct query_audit *a)
{
	memset(a, 0, sizeof(*a));
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return 0;
	a->id = sqlite3_column_int64(st, col);
	a->time = sqlite3_column_int64(st, col + 1);
	/* The row's text, not written through: query_audit's is char *. */
	a->actor = (char *)sqlite3_column_text(st, col + 2);
	a->action = (char *)sqlite3_column_text(st, col + 3);
	a->object = (char *)sqlite3_column_text(st, col + 4);
	a->details = (char *)sqlite3_column_text(st, col + 5);
	return a->actor != NULL && a->action != NULL && a->object != NULL &&
	    a->details != NULL;
}

/*
 * Call fn with each release of a profile from version "from" to "to",
 * oldest first; a re-signing shows +0/-0 (the first release called
 * shows its build's, as if nothing came before it).  One row at a time,
 * so a long history never sits in memory; the row is fn's to read, not
 * to keep.  Returns 1, or 0 after a warning or when fn returns 0.
 */
int
query_history_each(sqlite3 *db, const char *profile, int64_t from,
    int64_t to, int (*fn)(const struct query_release *, void *), void *arg)
{
	sqlite3_stmt	*st;
	struct query_release r;
	struct query_audit cause;
	int64_t		 prevbuild = 0;
	int		 step;

	if ((st = db_prepare(db, "SELECT r.version, r.created, r.expires, "
	    "r.keyid, r.reason, r.build, b.ncerts, b.added, b.removed, "
	    "b.snapshot, b.body_sha256, y.size, k.upstream_version, k.keyid, "
	    "k.source, " RELEASE_LEFT_SQL ", " RELEASE_CAUSE_COLS " FROM "
	    "release r LEFT JOIN build b "
	    "ON b.id = r.build LEFT JOIN body y ON y.sha256 = b.body_sha256 LEFT JOIN release_carry "
	    "rc ON rc.profile = r.profile AND rc.version = r.version LEFT "
	    "JOIN carry k ON k.id = rc.carry " RELEASE_CAUSE_JOIN " WHERE "
	    "r.profile = ? AND "
	    "r.version BETWEEN ? AND ? ORDER BY r.version")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.version = sqlite3_column_int64(st, 0);
		r.created = sqlite3_column_int64(st, 1);
		r.expires = sqlite3_column_int64(st, 2);
		r.build = sqlite3_column_int64(st, 5);
		r.certificates = sqlite3_column_int64(st, 6);
		if (r.build != prevbuild) {
			r.added = sqlite3_column_int64(st, 7);
			r.removed = sqlite3_column_int64(st, 8);
		}
		prevbuild = r.build;
		if ((r.has_snapshot = sqlite3_column_type(st, 9) !=
		    SQLITE_NULL))
			r.snapshot = sqlite3_column_int64(st, 9);
		if ((r.has_size = sqlite3_column_type(st, 11) != SQLITE_NULL))
			r.size = sqlite3_column_int64(st, 11);
		r.has_sha256 = sqlite3_column_type(st, 10) != SQLITE_NULL;
		if ((r.carried = sqlite3_column_int64(st, 12)) != 0 &&
		    (!col_copy(st, 13, r.carried_key, sizeof(r.carried_key)) ||
		    (r.carried_from = (const char *)sqlite3_column_text(st,
		    14)) == NULL)) {
			warnx("%s version %" PRId64 ": malformed carry row",
			    profile, r.version);
			break;
		}
		if (!col_copy(st, 3, r.key_id, sizeof(r.key_id)) ||
		    !col_copy(st, 4, r.reason, sizeof(r.reason)) ||
		    (r.has_sha256 && !col_copy(st, 10, r.sha256,
		    sizeof(r.sha256)))) {
			warnx("%s version %" PRId64 ": malformed release row",
			    profile, r.version);
			break;
		}
		r.left = (const char *)sqlite3_column_text(st, 15);
		if (r.left != NULL && strcmp(r.left, "[]") == 0)
			r.left = NULL;
		if (query_cause_row(st, 16, &cause))
			r.cause = &cause;
		if (!fn(&r, arg))
			break;
	}
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		warnx("%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return step == SQLITE_DONE;
}

static int
history_append(const struct query_release *r, void *arg)
{
	struct query_history *h = arg;
	struct query_release *nv;

	if ((nv = reallocarray(h->v, h->n + 1, sizeof(*nv))) == NULL) {
		warn("history");
		return 0;
	}
	h->v = nv;
	h->v[h->n++] = *r;
	h->v[h->n - 1].cause = NULL;	/* the statement's row, gone next */
	return 1;
}

/*
 * Fill h with every release of a profile, oldest first.  Returns 1, or
 * 0 after a warning; either way query_history_free(h) frees it.
 */
int
query_history(sqlite3 *db, const char *profile, struct query_history *h)
{
	memset(h, 0, sizeof(*h));
	return query_history_each(db, profile, 0, INT64_MAX, history_append,
	    h);
}

/* Free what query_history() filled in; h may be zeroed or half-filled. */
void
query_history_free(struct query_history *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}

struct keep_last {
	struct query_release *r;
	int		 have;
};

static int
history_keep(const struct query_release *r, void *arg)
{
	struct keep_last *k = arg;

	*k->r = *r;
	k->r->cause = NULL;	/* the statement's row, gone next */
	k->have = 1;
	return 1;
}

/*
 * Release v of a profile into *r, as its query_history() row, and in
 * *prev the version before it (0: none), from those two rows alone.
 * Returns 1 with *found 0 when there is no such release, 1 with *found
 * 1 and *r filled, or 0 after a warning.
 */
int
query_release(sqlite3 *db, const char *profile, int64_t v,
    struct query_release *r, int64_t *prev, int *found)
{
	sqlite3_stmt	*st;
	struct keep_last k;

	*found = 0;
	if ((st = db_prepare(db, "SELECT coalesce(max(version), 0) FROM "
	    "release WHERE profile = ? AND version < ?")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	*prev = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) :
	    -1;
	sqlite3_finalize(st);
	if (*prev < 0) {
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
	/* The row before v sets v's +/- as in the whole history. */
	k.r = r;
	k.have = 0;
	if (!query_history_each(db, profile, *prev ? *prev : v, v,
	    history_keep, &k))
		return 0;
	*found = k.have && r->version == v;
	return 1;
}

/* The build of a version: 1, 0 (no such version, warned), -1 (error). */
static int
version_build(sqlite3 *db, const char *profile, int64_t version,
    int64_t *build)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_prepare(db, "SELECT build FROM release WHERE profile = ? "
	    "AND version = ?")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*build = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE) {
		warnx("%s: no version %" PRId64, profile, version);
		return 0;
	}
	return rc == SQLITE_ROW ? 1 : -1;
}

static int
has_fp(const struct comp *c, const char *fp)
{
	size_t	 i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].fp, fp) == 0)
			return 1;
	return 0;
}

static void
diff_certs_free(struct query_diff_cert *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(v[i].label);
		free(v[i].rule);
	}
	free(v);
}

/*
 * The certificates of a that b lacks, into *out (*n of them); when b is
 * the newer side, each with the rule if b's build left it out by its
 * distrust_after policy.
 */
static int
diff_side(sqlite3 *db, const struct comp *a, const struct comp *b,
    int newer, struct query_diff_cert **out, size_t *n)
{
	size_t		 j;

	sqlite3_stmt	*st;
	struct query_diff_cert *v = NULL, *c;
	size_t		 i, nv = 0;

	*out = NULL;
	*n = 0;
	if ((st = db_prepare(db, "SELECT not_after FROM certificate WHERE "
	    "sha256 = ?")) == NULL)
		return 0;
	for (i = 0; i < a->n; i++) {
		if (has_fp(b, a->v[i].fp))
			continue;
		if (a->v[i].label == NULL ||
		    (c = reallocarray(v, nv + 1, sizeof(*v))) == NULL)
			goto fail;
		v = c;
		c = &v[nv];
		memset(c, 0, sizeof(*c));
		if ((c->label = strdup(a->v[i].label)) == NULL)
			goto fail;
		nv++;
		memcpy(c->sha256, a->v[i].fp, sizeof(c->sha256));
		c->organization = a->v[i].org_ca != 0;
		for (j = 0; newer && j < b->nleft; j++)
			if (strcmp(b->left[j].fp, c->sha256) == 0 &&
			    (c->rule = strdup(b->left[j].rule)) == NULL)
				goto fail;
		sqlite3_bind_text(st, 1, a->v[i].fp, 64, SQLITE_STATIC);
		c->not_after = sqlite3_step(st) == SQLITE_ROW ?
		    sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	*out = v;
	*n = nv;
	return 1;
 fail:
	warnx("diff: out of memory");
	sqlite3_finalize(st);
	diff_certs_free(v, nv);
	return 0;
}

/*
 * Certificates added and removed from version va to vb of a profile,
 * into d (query_diff_free it, whatever this returns).  Returns 1 with
 * *found 0 when either version does not exist (after a warning naming
 * it), 1 with *found 1 and d filled, or 0 after a warning.
 */
int
query_diff(sqlite3 *db, const char *profile, int64_t va, int64_t vb,
    struct query_diff *d, int *found)
{
	struct comp	 ca, cb;
	int64_t		 ba, bb;
	int		 n, ok = 0;

	memset(d, 0, sizeof(*d));
	memset(&ca, 0, sizeof(ca));
	memset(&cb, 0, sizeof(cb));
	*found = 0;
	if ((n = version_build(db, profile, va, &ba)) != 1 ||
	    (n = version_build(db, profile, vb, &bb)) != 1)
		return n == 0;
	*found = 1;
	d->from = va;
	d->to = vb;
	if ((d->profile = strdup(profile)) == NULL) {
		warn("strdup");
		goto out;
	}
	if (!comp_build(db, ba, &ca) || !comp_build(db, bb, &cb))
		goto out;
	if (!diff_side(db, &cb, &ca, 0, &d->added, &d->nadded) ||
	    !diff_side(db, &ca, &cb, 1, &d->removed, &d->nremoved))
		goto out;
	ok = 1;
 out:
	comp_free(&ca);
	comp_free(&cb);
	return ok;
}

/* Free what query_diff() filled in; d may be zeroed or half-filled. */
void
query_diff_free(struct query_diff *d)
{
	free(d->profile);
	diff_certs_free(d->added, d->nadded);
	diff_certs_free(d->removed, d->nremoved);
	memset(d, 0, sizeof(*d));
}

static void
profile_free(struct query_profile *p)
{
	free(p->name);
	free(p->description);
	free(p->org);
	free(p->tags);
	free(p->sha256);
	free(p->distrust_after);
	free(p->removed_by);
}

/*
 * Every current profile with its rule and latest release, by name,
 * into ps (query_profiles_free it, whatever this returns).  Returns 1,
 * or 0 after a warning.
 */
int
query_profiles(sqlite3 *db, struct query_profiles *ps)
{
	return query_profiles_with(db, 0, ps);
}

/*
 * query_profiles(), with the removed profiles (schema 009) too when
 * all.  Returns 1, or 0 after a warning.
 */
int
query_profiles_with(sqlite3 *db, int all, struct query_profiles *ps)
{
	sqlite3_stmt	*st;
	struct query_profile *p;
	int		 step, ok = 0;

	memset(ps, 0, sizeof(*ps));
	if ((st = db_prepare(db, "SELECT p.name, p.description, p.upstream, "
	    "p.exclusions, p.org, p.builtin, (SELECT group_concat(tag, ' ') "
	    "FROM (SELECT tag FROM profile_tag WHERE profile = p.name ORDER "
	    "BY tag)), r.version, r.expires, b.ncerts, b.body_sha256, "
	    "p.distrust_after, coalesce(p.removed, 0), p.removed_by FROM "
	    "profile p LEFT JOIN release r ON r.profile = p.name AND "
	    "r.version = (SELECT max(version) FROM release WHERE profile = "
	    "p.name) LEFT JOIN build b ON b.id = r.build WHERE ?1 OR "
	    "p.removed IS NULL ORDER BY p.name")) == NULL)
		return 0;
	sqlite3_bind_int(st, 1, all);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((p = reallocarray(ps->v, ps->n + 1, sizeof(*p))) == NULL) {
			warn("profiles");
			goto out;
		}
		ps->v = p;
		p = &ps->v[ps->n++];
		memset(p, 0, sizeof(*p));
		if (!col_dup(st, 0, &p->name) ||
		    !col_dup(st, 1, &p->description) ||
		    !col_dup(st, 4, &p->org) || !col_dup(st, 6, &p->tags) ||
		    !col_dup(st, 10, &p->sha256) ||
		    !col_dup(st, 11, &p->distrust_after) ||
		    !col_dup(st, 13, &p->removed_by))
			goto out;
		p->removed = sqlite3_column_int64(st, 12);
		p->upstream = sqlite3_column_int(st, 2);
		p->exclusions = sqlite3_column_int(st, 3);
		p->builtin = sqlite3_column_int(st, 5);
		if ((p->has_release = sqlite3_column_type(st, 7) !=
		    SQLITE_NULL)) {
			p->version = sqlite3_column_int64(st, 7);
			p->expires = sqlite3_column_int64(st, 8);
		}
		if ((p->has_certificates = sqlite3_column_type(st, 9) !=
		    SQLITE_NULL))
			p->certificates = sqlite3_column_int64(st, 9);
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	ok = 1;
 out:
	sqlite3_finalize(st);
	return ok;
}

/* Free what query_profiles() filled in. */
void
query_profiles_free(struct query_profiles *ps)
{
	size_t	 i;

	for (i = 0; i < ps->n; i++)
		profile_free(&ps->v[i]);
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

/* *dst: a copy of column col, NULL when it is NULL or empty. */
static int
col_dup_nonempty(sqlite3_stmt *st, int col, char **dst)
{
	*dst = NULL;
	if (sqlite3_column_bytes(st, col) == 0)
		return 1;
	return col_dup(st, col, dst);
}

/* *dst: a copy of o's string member key, NULL when it has none. */
static int
member_dup(const json_t *o, const char *key, char **dst)
{
	const char	*s = json_string_value(json_object_get(o, key));

	*dst = NULL;
	if (s == NULL)
		return 1;
	if ((*dst = strdup(s)) == NULL) {
		warn("strdup");
		return 0;
	}
	return 1;
}

/*
 * The rows of sn's stored report (level, check, label, rule) into its
 * findings.  Returns 1, or 0 after a warning; query_snapshots_free()
 * frees them.
 */
int
query_findings(struct query_snapshot *sn)
{
	json_t		*r, *row;
	struct query_finding *f;
	size_t		 i;
	int		 ok = 0;

	if ((r = json_loads(sn->report, 0, NULL)) == NULL) {
		warnx("snapshot %" PRId64 ": stored report is not JSON",
		    sn->id);
		return 0;
	}
	if (json_array_size(json_object_get(r, "rows")) > 0 &&
	    (sn->findings = calloc(json_array_size(json_object_get(r,
	    "rows")), sizeof(*sn->findings))) == NULL) {
		warn("report");
		goto out;
	}
	json_array_foreach(json_object_get(r, "rows"), i, row) {
		f = &sn->findings[sn->nfindings++];
		if (!member_dup(row, "level", &f->level) ||
		    !member_dup(row, "check", &f->check) ||
		    !member_dup(row, "label", &f->label) ||
		    !member_dup(row, "rule", &f->rule))
			goto out;
	}
	ok = 1;
 out:
	json_decref(r);
	return ok;
}

/*
 * Snapshot id (0: every snapshot, oldest first) into ss; with report,
 * the stored report verbatim, with findings also as findings.
 */
static int
snapshots_get(sqlite3 *db, int64_t id, int report, int findings,
    struct query_snapshots *ss)
{
	sqlite3_stmt	*st;
	struct query_snapshot *sn;
	int		 step, ok = 0;

	memset(ss, 0, sizeof(*ss));
	if ((st = db_prepare(db, "SELECT id, created, source, body_sha256, "
	    "ncerts, verdict, status, coalesce(decided_by, ''), "
	    "coalesce(reason, ''), json_extract(report, '$.added'), "
	    "json_extract(report, '$.removed'), report, (SELECT count(*) "
	    "FROM snapshot_distrust d WHERE d.snapshot = snapshot.id), "
	    "coalesce(decided_at, 0) FROM snapshot WHERE ?1 = 0 OR id = ?1 "
	    "ORDER BY id")) == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((sn = reallocarray(ss->v, ss->n + 1, sizeof(*sn))) ==
		    NULL) {
			warn("snapshots");
			goto out;
		}
		ss->v = sn;
		sn = &ss->v[ss->n++];
		memset(sn, 0, sizeof(*sn));
		sn->id = sqlite3_column_int64(st, 0);
		sn->created = sqlite3_column_int64(st, 1);
		sn->certificates = sqlite3_column_int64(st, 4);
		sn->added = sqlite3_column_int64(st, 9);
		sn->removed = sqlite3_column_int64(st, 10);
		sn->dated = sqlite3_column_int64(st, 12);
		sn->decided_at = sqlite3_column_int64(st, 13);
		if (!col_dup(st, 2, &sn->source) ||
		    !col_dup(st, 3, &sn->sha256) ||
		    !col_dup(st, 5, &sn->verdict) ||
		    !col_dup(st, 6, &sn->status) ||
		    !col_dup_nonempty(st, 7, &sn->decided_by) ||
		    !col_dup_nonempty(st, 8, &sn->reason) ||
		    (report && (!col_dup(st, 11, &sn->report) ||
		    sn->report == NULL || (findings && !query_findings(sn)))))
			goto out;
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	ok = 1;
 out:
	sqlite3_finalize(st);
	return ok;
}

/*
 * Every snapshot, oldest first, into ss (query_snapshots_free it,
 * whatever this returns); with reports, each one's stored report too,
 * verbatim and as findings.  Returns 1, or 0 after a warning.
 */
int
query_snapshots(sqlite3 *db, int reports, struct query_snapshots *ss)
{
	return snapshots_get(db, 0, reports, reports, ss);
}

/* Free what query_snapshots() or query_snapshot() filled in. */
void
query_snapshots_free(struct query_snapshots *ss)
{
	struct query_snapshot *sn;
	size_t		 i, j;

	for (i = 0; i < ss->n; i++) {
		sn = &ss->v[i];
		free(sn->source);
		free(sn->sha256);
		free(sn->verdict);
		free(sn->status);
		free(sn->decided_by);
		free(sn->reason);
		free(sn->report);
		for (j = 0; j < sn->nfindings; j++) {
			free(sn->findings[j].level);
			free(sn->findings[j].check);
			free(sn->findings[j].label);
			free(sn->findings[j].rule);
		}
		free(sn->findings);
	}
	free(ss->v);
	memset(ss, 0, sizeof(*ss));
}

/*
 * Audit rows with an id above after, oldest first, at most limit of
 * them (0: all), into a (query_audit_free it, whatever this returns).
 * Returns 1, or 0 after a warning.
 */
int
query_audit(sqlite3 *db, int64_t after, int64_t limit,
    struct query_audits *a)
{
	sqlite3_stmt	*st;
	struct query_audit *r;
	int		 step, ok = 0;

	memset(a, 0, sizeof(*a));
	if ((st = db_prepare(db, "SELECT id, time, actor, action, object, "
	    "details, hash FROM audit WHERE id > ? ORDER BY id LIMIT ?")) ==
	    NULL)
		return 0;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = reallocarray(a->v, a->n + 1, sizeof(*r))) == NULL) {
			warn("audit");
			goto out;
		}
		a->v = r;
		r = &a->v[a->n++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		r->time = sqlite3_column_int64(st, 1);
		if (!col_dup(st, 2, &r->actor) || !col_dup(st, 3, &r->action) ||
		    !col_dup(st, 4, &r->object) ||
		    !col_dup(st, 5, &r->details) || !col_dup(st, 6, &r->hash))
			goto out;
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	ok = 1;
 out:
	sqlite3_finalize(st);
	return ok;
}

/* Free what query_audit() filled in. */
void
query_audit_free(struct query_audits *a)
{
	size_t	 i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].actor);
		free(a->v[i].action);
		free(a->v[i].object);
		free(a->v[i].details);
		free(a->v[i].hash);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/*
 * Snapshot id with its stored report verbatim (not as findings) into
 * ss: ss->n is 0 when there is no such snapshot, else 1 (free with
 * query_snapshots_free, whatever this returns).  Returns 1, or 0 after
 * a warning.
 */
int
query_snapshot(sqlite3 *db, int64_t id, struct query_snapshots *ss)
{
	if (id <= 0) {
		memset(ss, 0, sizeof(*ss));
		return 1;
	}
	return snapshots_get(db, id, 1, 0, ss);
}

/*
 * The array v of n elements of size with one more, zeroed, at the end:
 * returns the (moved) array, or NULL after a warning with v unchanged.
 */
static void *
array_grow(void *v, size_t n, size_t size, const char *what)
{
	unsigned char	*p;

	if ((p = reallocarray(v, n + 1, size)) == NULL) {
		warn("%s", what);
		return NULL;
	}
	memset(p + n * size, 0, size);
	return p;
}

/* 1 when a row loop ended with SQLITE_DONE, else 0 after a warning. */
static int
rows_done(sqlite3 *db, int step)
{
	if (step == SQLITE_DONE)
		return 1;
	warnx("%s", sqlite3_errmsg(db));
	return 0;
}

/*
 * The certificate with fingerprint fp (64 hex digits) into c, and per
 * profile the versions of the releases that held it; *found is 0 when
 * there is no such certificate.  Free c with query_certificate_free,
 * whatever this returns.  Returns 1, or 0 after a warning.
 */
int
query_certificate(sqlite3 *db, const char *fp, struct query_certificate *c,
    int *found)
{
	sqlite3_stmt	*st;
	struct query_cert_release *r;
	int		 step, ok = 0;

	memset(c, 0, sizeof(*c));
	*found = 0;
	if ((st = db_prepare(db, "SELECT sha256, subject, issuer, serial, "
	    "not_before, not_after, key_desc, is_ca, self_signed, "
	    "coalesce((SELECT label FROM snapshot_cert WHERE cert = ?1 UNION "
	    "ALL SELECT name FROM org_ca WHERE cert = ?1 LIMIT 1), subject) "
	    "FROM certificate WHERE sha256 = ?1")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, fp, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) != SQLITE_ROW) {
		ok = rows_done(db, step);
		goto out;
	}
	*found = 1;
	c->not_before = sqlite3_column_int64(st, 4);
	c->not_after = sqlite3_column_int64(st, 5);
	c->ca = sqlite3_column_int(st, 7);
	c->self_signed = sqlite3_column_int(st, 8);
	if (!col_dup(st, 0, &c->sha256) || !col_dup(st, 1, &c->subject) ||
	    !col_dup(st, 2, &c->issuer) || !col_dup(st, 3, &c->serial) ||
	    !col_dup(st, 6, &c->key) || !col_dup(st, 9, &c->label))
		goto out;
	sqlite3_finalize(st);
	if ((st = db_prepare(db, "SELECT profile, min(version), max(version), "
	    "count(*) FROM release WHERE build IN (SELECT build FROM "
	    "build_cert WHERE cert = ?) GROUP BY profile ORDER BY profile"))
	    == NULL)
		return 0;
	sqlite3_bind_text(st, 1, fp, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = array_grow(c->rel, c->nrel, sizeof(*r),
		    "certificate")) == NULL)
			goto out;
		c->rel = r;
		r = &c->rel[c->nrel++];
		r->first = sqlite3_column_int64(st, 1);
		r->last = sqlite3_column_int64(st, 2);
		r->count = sqlite3_column_int64(st, 3);
		if (!col_dup(st, 0, &r->profile))
			goto out;
	}
	ok = rows_done(db, step);
 out:
	sqlite3_finalize(st);
	return ok;
}

/* Free what query_certificate() filled in. */
void
query_certificate_free(struct query_certificate *c)
{
	size_t	 i;

	free(c->sha256);
	free(c->subject);
	free(c->issuer);
	free(c->serial);
	free(c->key);
	free(c->label);
	for (i = 0; i < c->nrel; i++)
		free(c->rel[i].profile);
	free(c->rel);
	memset(c, 0, sizeof(*c));
}

/*
 * Every signing key, active first, then standby, then retired, newest
 * first within a role, into ks (query_keys_free it, whatever this
 * returns).  Returns 1, or 0 after a warning.
 */
int
query_keys(sqlite3 *db, struct query_keys *ks)
{
	sqlite3_stmt	*st;
	struct query_key *k;
	int		 step, ok = 0;

	memset(ks, 0, sizeof(*ks));
	if ((st = db_prepare(db, "SELECT keyid, public_key, role, created, "
	    "activated, retired FROM signing_key ORDER BY CASE role WHEN "
	    "'active' THEN 0 WHEN 'standby' THEN 1 ELSE 2 END, "
	    "created DESC")) == NULL)
		return 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((k = array_grow(ks->v, ks->n, sizeof(*k), "keys")) == NULL)
			goto out;
		ks->v = k;
		k = &ks->v[ks->n++];
		k->created = sqlite3_column_int64(st, 3);
		if ((k->has_activated = sqlite3_column_type(st, 4) !=
		    SQLITE_NULL))
			k->activated = sqlite3_column_int64(st, 4);
		if ((k->has_retired = sqlite3_column_type(st, 5) !=
		    SQLITE_NULL))
			k->retired = sqlite3_column_int64(st, 5);
		if (!col_copy(st, 0, k->keyid, sizeof(k->keyid)) ||
		    !col_copy(st, 2, k->role, sizeof(k->role)) ||
		    !col_dup(st, 1, &k->public_key) || k->public_key == NULL) {
			warnx("signing key %s: malformed row", k->keyid);
			goto out;
		}
	}
	ok = rows_done(db, step);
 out:
	sqlite3_finalize(st);
	return ok;
}

/* Free what query_keys() filled in. */
void
query_keys_free(struct query_keys *ks)
{
	size_t	 i;

	for (i = 0; i < ks->n; i++)
		free(ks->v[i].public_key);
	free(ks->v);
	memset(ks, 0, sizeof(*ks));
}

/*
 * Make the strings of the JSON array tags the whole tag set of key in
 * table (profile_tag by profile, org_ca_tag by org_ca), inside the
 * caller's transaction: "profile edit" and "org edit".  Returns 1, or 0
 * after a warning.
 */
int
query_tags_set(sqlite3 *db, const char *table, const char *col,
    const char *key, const json_t *tags)
{
	sqlite3_stmt	*st;
	const json_t	*v;
	char		 sql[128];
	size_t		 i;
	int		 ok = 0;

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE %s = ?", table, col);
	if ((st = db_prepare(db, sql)) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (!db_step_done(db, st))
		goto out;
	sqlite3_finalize(st);
	snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO %s (%s, tag) VALUES "
	    "(?, ?)", table, col);
	if ((st = db_prepare(db, sql)) == NULL)
		return 0;
	json_array_foreach(tags, i, v) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, json_string_value(v), -1,
		    SQLITE_STATIC);
		if (!db_step_done(db, st))
			goto out;
	}
	ok = 1;
 out:
	sqlite3_finalize(st);
	return ok;
}
