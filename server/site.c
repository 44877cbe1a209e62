/*
 * site.c - load what the HTTP server sends for releases into memory.
 *
 * One read transaction gives a consistent picture: every release's
 * signature, the bodies they sign (each once), the active public key
 * and the JSON documents that list them.  A site is never changed once
 * loaded; reference counting lets a response in flight keep the site it
 * came from while a newer one takes its place.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "buf.h"
#include "db.h"
#include "encode.h"
#include "html.h"
#include "log.h"
#include "query.h"
#include "render_json.h"
#include "sig.h"
#include "site.h"

/* The generation of the data: every change writes an audit row. */
int64_t
site_generation(sqlite3 *db)
{
	sqlite3_stmt	*st;
	int64_t		 g = -1;

	if ((st = db_prepare(db, "SELECT coalesce(max(id), 0) FROM audit")) ==
	    NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		g = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return g;
}

/*
 * Fill d with a NUL-terminated copy of data and its strong ETag (the
 * SHA-256 in quotes).  Returns 1, or 0 after a warning; free d->data.
 */
int
doc_set(struct doc *d, const void *data, size_t len)
{
	unsigned char	 h[32];

	if ((d->data = malloc(len + 1)) == NULL) {
		warnx("out of memory");
		return 0;
	}
	memcpy(d->data, data, len);
	d->data[len] = '\0';
	d->len = len;
	if (!EVP_Digest(data, len, h, NULL, EVP_sha256(), NULL)) {
		cryptowarnx("SHA-256");
		return 0;
	}
	d->etag[0] = '"';
	hex_encode(h, 32, d->etag + 1);
	memcpy(d->etag + 65, "\"", 2);
	return 1;
}

/*
 * Fill d with o as serve sends JSON (compact, ASCII) and its ETag;
 * steals the reference.  Returns 1, or 0 after a warning (o NULL too).
 */
int
doc_json(struct doc *d, json_t *o)
{
	char	*s;
	int	 ok;

	if (o == NULL)
		return 0;
	s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (s == NULL) {
		warnx("out of memory");
		return 0;
	}
	ok = doc_set(d, s, strlen(s));
	free(s);
	return ok;
}

static int
bodycmp(const void *a, const void *b)
{
	return strcmp(((const struct doc *)a)->etag,
	    ((const struct doc *)b)->etag);
}

static int
load_bodies(sqlite3 *db, struct site *s)
{
	sqlite3_stmt	*st;
	struct doc	*nb;
	int		 step;

	if ((st = db_prepare(db, "SELECT y.data FROM body y WHERE y.sha256 "
	    "IN (SELECT b.body_sha256 FROM build b JOIN release r ON "
	    "r.build = b.id)")) == NULL)
		return 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nb = reallocarray(s->bodies, s->nbodies + 1,
		    sizeof(*nb))) == NULL)
			goto fail;
		s->bodies = nb;
		memset(&s->bodies[s->nbodies], 0, sizeof(*nb));
		s->nbodies++;
		if (!doc_set(&s->bodies[s->nbodies - 1],
		    sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0)))
			goto fail;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return 0;
	if (s->nbodies > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(s->bodies, s->nbodies, sizeof(*s->bodies), bodycmp);
	return 1;
 fail:
	sqlite3_finalize(st);
	return 0;
}

static struct doc *
find_body(const struct site *s, const char *hex)
{
	struct doc	 key;

	if (s->nbodies == 0)	/* bsearch(.., NULL, 0, ..) is undefined */
		return NULL;
	memset(&key, 0, sizeof(key));
	key.etag[0] = '"';
	memcpy(key.etag + 1, hex, 64);
	memcpy(key.etag + 65, "\"", 2);
	return bsearch(&key, s->bodies, s->nbodies, sizeof(*s->bodies),
	    bodycmp);
}

static struct site_profile *
add_profile(struct site *s, const char *name)
{
	struct site_profile	*np;

	if ((np = reallocarray(s->prof, s->nprof + 1, sizeof(*np))) == NULL)
		return NULL;
	s->prof = np;
	np = &s->prof[s->nprof++];
	memset(np, 0, sizeof(*np));
	snprintf(np->name, sizeof(np->name), "%s", name);
	return np;
}

static int
load_releases(sqlite3 *db, struct site *s)
{
	sqlite3_stmt		*st;
	struct site_profile	*p = NULL;
	struct site_release	*nr, *r;
	const char		*name, *hex;
	size_t			 cap = 0;
	int			 step;

	if ((st = db_prepare(db, "SELECT r.profile, r.version, r.created, "
	    "r.expires, r.signature, b.body_sha256 FROM release r JOIN build "
	    "b ON b.id = r.build ORDER BY r.profile, r.version")) == NULL)
		return 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		hex = (const char *)sqlite3_column_text(st, 5);
		if (p == NULL || strcmp(p->name, name) != 0) {
			if ((p = add_profile(s, name)) == NULL)
				goto fail;
			cap = 0;
		}
		/* Grow by doubling, not by one: 10,000 releases. */
		if (p->nrel == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nr = reallocarray(p->rel, cap, sizeof(*nr))) ==
			    NULL)
				goto fail;
			p->rel = nr;
		}
		r = &p->rel[p->nrel++];
		memset(r, 0, sizeof(*r));
		r->version = sqlite3_column_int64(st, 1);
		r->created = sqlite3_column_int64(st, 2);
		r->expires = sqlite3_column_int64(st, 3);
		if (!doc_set(&r->sig, sqlite3_column_text(st, 4),
		    (size_t)sqlite3_column_bytes(st, 4)))
			goto fail;
		if (hex == NULL || strlen(hex) != 64 ||
		    (r->body = find_body(s, hex)) == NULL) {
			warnx("%s version %lld: body missing", name,
			    (long long)r->version);
			goto fail;
		}
	}
	sqlite3_finalize(st);
	return step == SQLITE_DONE;
 fail:
	sqlite3_finalize(st);
	return 0;
}

/* History JSON and the soonest certificate expiry of each profile. */
static int
load_profile_docs(sqlite3 *db, struct site *s)
{
	sqlite3_stmt	*st;
	struct buf	 b;
	size_t		 i;

	buf_init(&b, HISTORY_MAX);
	if ((st = db_prepare(db, "SELECT min(k.not_after) FROM build_cert c "
	    "JOIN certificate k ON k.sha256 = c.cert WHERE c.build = (SELECT "
	    "build FROM release WHERE profile = ? ORDER BY version DESC "
	    "LIMIT 1)")) == NULL)
		return 0;
	for (i = 0; i < s->nprof; i++) {
		/* As doc_json() of render_history(), a row at a time. */
		buf_reset(&b);
		if (!render_history_dump(db, s->prof[i].name, JSON_COMPACT |
		    JSON_ENSURE_ASCII, &b) ||
		    !doc_set(&s->prof[i].history, b.data, b.len))
			goto fail;
		sqlite3_bind_text(st, 1, s->prof[i].name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			s->prof[i].cert_expiry = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	buf_free(&b);
	return 1;
 fail:
	sqlite3_finalize(st);
	buf_free(&b);
	return 0;
}

static int
load_pubkey(sqlite3 *db, struct site *s)
{
	sqlite3_stmt	*st;
	struct pubkey	 pk;
	struct buf	 b;
	const char	*str;
	int		 ok = 0;

	buf_init(&b, PUBKEY_FILE_MAX);
	if ((st = db_prepare(db, "SELECT public_key FROM signing_key WHERE "
	    "role = 'active'")) == NULL)
		return 0;
	if (sqlite3_step(st) != SQLITE_ROW ||
	    (str = (const char *)sqlite3_column_text(st, 0)) == NULL ||
	    !pubkey_from_string(str, strlen(str), &pk) ||
	    !pubkey_write(&pk, &b)) {
		warnx("no active signing key");
		goto out;
	}
	ok = doc_set(&s->pubkey, b.data, b.len);
 out:
	sqlite3_finalize(st);
	buf_free(&b);
	return ok;
}

static int
load_state(sqlite3 *db, struct site *s)
{
	sqlite3_stmt	*st;
	int		 ok = 0;

	if ((st = db_prepare(db, "SELECT (SELECT coalesce(max(answered), 0) "
	    "FROM source), (SELECT count(*) FROM snapshot WHERE status = "
	    "'quarantined')")) == NULL)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->last_fetch_ok = sqlite3_column_int64(st, 0);
		s->quarantined = sqlite3_column_int64(st, 1);
		ok = 1;
	}
	sqlite3_finalize(st);
	return ok;
}

/* /v1/profiles and the front page, from one read of the profiles. */
static int
load_profiles(sqlite3 *db, struct site *s)
{
	struct query_profiles ps;
	struct buf	 b;
	int		 ok;

	buf_init(&b, 1u << 20);
	ok = query_profiles(db, &ps) &&
	    doc_json(&s->profiles, render_profiles(&ps)) &&
	    html_index(&b, &ps) && doc_set(&s->index, b.data, b.len);
	query_profiles_free(&ps);
	buf_free(&b);
	return ok;
}

static void
site_free(struct site *s)
{
	size_t	 i, j;

	if (s == NULL)
		return;
	for (i = 0; i < s->nprof; i++) {
		for (j = 0; j < s->prof[i].nrel; j++)
			free(s->prof[i].rel[j].sig.data);
		free(s->prof[i].rel);
		free(s->prof[i].history.data);
	}
	free(s->prof);
	for (i = 0; i < s->nbodies; i++)
		free(s->bodies[i].data);
	free(s->bodies);
	free(s->pubkey.data);
	free(s->profiles.data);
	free(s->index.data);
	free(s);
}

/*
 * Load a site from the database in one read transaction.  Returns it
 * with one reference (site_unref it), or NULL after a warning.
 */
struct site *
site_load(sqlite3 *db)
{
	struct site	*s;
	int		 ok = 0;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		warnx("out of memory");
		return NULL;
	}
	s->refs = 1;
	s->holds = 1;
	s->loaded = (int64_t)time(NULL);
	if (!db_exec(db, "BEGIN"))
		goto out;
	if ((s->generation = site_generation(db)) < 0 ||
	    !load_bodies(db, s) || !load_releases(db, s) ||
	    !load_profile_docs(db, s) || !load_pubkey(db, s) ||
	    !load_state(db, s) || !load_profiles(db, s))
		goto out;
	ok = 1;
 out:
	db_rollback(db);
	if (!ok) {
		site_free(s);
		return NULL;
	}
	return s;
}

/* Take a user reference (a request being handled). */
void
site_ref(struct site *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
}

/*
 * Drop a user reference.  The last one retires the site (no request
 * can reach its prepared responses any more) and drops the site's own
 * hold.  NULL is fine.
 */
void
site_unref(struct site *s)
{
	if (s == NULL || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) !=
	    0)
		return;
	if (s->retire != NULL)
		s->retire(s);
	site_unhold(s);
}

/* Keep the bytes for a prepared response. */
void
site_hold(struct site *s)
{
	__atomic_add_fetch(&s->holds, 1, __ATOMIC_ACQ_REL);
}

/* Let go of the bytes; the last hold frees the site. */
void
site_unhold(struct site *s)
{
	if (__atomic_sub_fetch(&s->holds, 1, __ATOMIC_ACQ_REL) == 0)
		site_free(s);
}

/* Call fn on every document of the site. Returns the number visited. */
int
site_foreach_doc(struct site *s, void (*fn)(struct doc *))
{
	size_t	 i, j;
	int	 n = 0;

	for (i = 0; i < s->nbodies; i++, n++)
		fn(&s->bodies[i]);
	for (i = 0; i < s->nprof; i++, n++) {
		fn(&s->prof[i].history);
		for (j = 0; j < s->prof[i].nrel; j++, n++)
			fn(&s->prof[i].rel[j].sig);
	}
	fn(&s->pubkey);
	fn(&s->profiles);
	fn(&s->index);
	return n + 3;
}

/* The profile of that name, or NULL when it has no release. */
struct site_profile *
site_profile(struct site *s, const char *name)
{
	size_t	 i;

	for (i = 0; i < s->nprof; i++)
		if (strcmp(s->prof[i].name, name) == 0)
			return &s->prof[i];
	return NULL;
}

/* One release of a profile by version, or NULL. */
struct site_release *
site_release(struct site_profile *p, int64_t version)
{
	size_t	 lo = 0, hi = p->nrel, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p->rel[mid].version == version)
			return &p->rel[mid];
		if (p->rel[mid].version < version)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
