/*
 * site.c - load what the HTTP server sends into memory.
 *
 * One read transaction gives a consistent picture: every release with
 * its signature and build (the certificates it holds, by position),
 * the bodies they sign, the certificates' page fields, the snapshots,
 * the audit log, the active public key, and the documents that change
 * with them (history, profiles, the upstream list, the quarantine and
 * the first pages of history and audit), rendered once here.  The rest
 * (a diff, a release page, an older page) is rendered per request from
 * this memory, never from the database.
 *
 * A site is never changed once loaded; reference counting lets a
 * response in flight keep the site it came from while a newer one takes
 * its place.  Bodies are the bulk of it and never change: they are
 * shared between sites (a pool, by digest), read from the database only
 * when new, and trusted by their stored digest ("rebuild --check" is
 * what re-hashes them).
 */
#include <sys/mman.h>

#include <err.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "buf.h"
#include "db.h"
#include "encode.h"
#include "html.h"
#include "log.h"
#include "org.h"
#include "query.h"
#include "release.h"
#include "render_json.h"
#include "revet.h"
#include "sig.h"
#include "site.h"

/*
 * The bodies one load read, in one mapping: a start at 10,000 releases
 * reads some 30 MB, and a page fault per 4 kB of fresh memory was half
 * of its time.  Huge pages where the kernel gives them.
 */
struct body_arena {
	char		*base;
	size_t		 size;
	int		 mapped;	/* mmap()ed, else malloc()ed */
	int		 bodies;	/* in use; under pool.lock */
};

/* A body in memory, shared by every site that lists it. */
struct site_body {
	char		 sha256[65];
	char		*data;		/* NUL-terminated, in arena */
	size_t		 len;
	int		 users;		/* sites; under pool.lock */
	struct body_arena *arena;
};

/* The bodies some site holds, by digest. */
static struct {
	pthread_mutex_t	 lock;
	struct site_body **v;
	size_t		 n;
} pool = { PTHREAD_MUTEX_INITIALIZER, NULL, 0 };

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

static EVP_MD		*sha256_md;
static pthread_once_t	 sha256_once = PTHREAD_ONCE_INIT;

/* OpenSSL 3 looks EVP_sha256() up on every use: 10,000 signatures. */
static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/*
 * Fill d with a NUL-terminated copy of data and its strong ETag (the
 * SHA-256 in quotes).  Returns 1, or 0 after a warning; free d->data.
 */
int
doc_set(struct doc *d, const void *data, size_t len)
{
	unsigned char	 h[32];

	pthread_once(&sha256_once, sha256_fetch);

	if ((d->data = malloc(len + 1)) == NULL) {
		warnx("out of memory");
		return 0;
	}
	memcpy(d->data, data, len);
	d->data[len] = '\0';
	d->len = len;
	if (!EVP_Digest(data, len, h, NULL, sha256_md != NULL ? sha256_md :
	    EVP_sha256(), NULL)) {
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
poolcmp(const void *key, const void *b)
{
	return strcmp(key, (*(struct site_body *const *)b)->sha256);
}

/* The pooled body of that digest, one user more; NULL: not in memory. */
static struct site_body *
pool_get(const char *hex)
{
	struct site_body **p = NULL;

	pthread_mutex_lock(&pool.lock);
	if (pool.n > 0)
		p = bsearch(hex, pool.v, pool.n, sizeof(struct site_body *),
		    poolcmp);
	if (p != NULL)
		(*p)->users++;
	pthread_mutex_unlock(&pool.lock);
	return p != NULL ? *p : NULL;
}

/* Pool a new body (one user); 0 when out of memory. */
static int
pool_put(struct site_body *y)
{
	struct site_body **nv;
	size_t		 i;

	pthread_mutex_lock(&pool.lock);
	if ((nv = reallocarray(pool.v, pool.n + 1,
	    sizeof(struct site_body *))) == NULL) {
		pthread_mutex_unlock(&pool.lock);
		return 0;
	}
	pool.v = nv;
	for (i = pool.n; i > 0 && strcmp(nv[i - 1]->sha256, y->sha256) > 0;
	    i--)
		nv[i] = nv[i - 1];
	nv[i] = y;
	pool.n++;
	y->users = 1;
	pthread_mutex_unlock(&pool.lock);
	return 1;
}

/* Room for size bytes, in huge pages when it is worth it; NULL: none. */
static struct body_arena *
arena_new(size_t size)
{
	struct body_arena *a;
	const size_t	 huge = 2u << 20;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->size = size;
	if (size >= huge) {
		a->size = (size + huge - 1) / huge * huge;
		a->base = mmap(NULL, a->size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a->base == MAP_FAILED)
			a->base = NULL;
		else {
			a->mapped = 1;
			/* A hint: without it, 4 kB pages as before. */
			(void)madvise(a->base, a->size, MADV_HUGEPAGE);
		}
	}
	if (a->base == NULL && (a->base = malloc(size)) == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

static void
arena_free(struct body_arena *a)
{
	if (a == NULL)
		return;
	if (a->mapped)
		munmap(a->base, a->size);
	else
		free(a->base);
	free(a);
}

/* One user less; the last frees the body, the arena's last the arena. */
static void
pool_drop(struct site_body *y)
{
	struct body_arena *a = NULL;
	size_t	 i;
	int	 last;

	pthread_mutex_lock(&pool.lock);
	if ((last = --y->users == 0)) {
		for (i = 0; i < pool.n && pool.v[i] != y; i++)
			;
		if (i < pool.n) {
			memmove(&pool.v[i], &pool.v[i + 1],
			    (pool.n - i - 1) * sizeof(struct site_body *));
			pool.n--;
		}
		if (pool.n == 0) {	/* nothing left for a leak check */
			free(pool.v);
			pool.v = NULL;
		}
	}
	if (last && --y->arena->bodies == 0)
		a = y->arena;
	pthread_mutex_unlock(&pool.lock);
	if (last)
		free(y);
	arena_free(a);
}

/* A body the pool lacks: where it is, how long, which of the site's. */
struct body_want {
	char		 sha256[65];
	sqlite3_int64	 rowid;
	size_t		 len;
	size_t		 at;
};

/*
 * Read the bodies in want into one arena, straight from the database's
 * pages (no copy of each in between), pool them and give them to s.  A
 * stored size other than the blob's is refused.  Returns 1, or 0 after
 * a warning (site_free() drops what s was given).
 */
static int
bodies_read(sqlite3 *db, struct site *s, struct body_want *want, size_t n)
{
	struct body_arena *a;
	struct site_body **y;
	sqlite3_blob	*blob = NULL;
	size_t		 i, size = 0, at = 0;
	int		 rc, last, ok = 0;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++)
		size += want[i].len + 1;
	if ((y = calloc(n, sizeof(struct site_body *))) == NULL ||
	    (a = arena_new(size)) == NULL) {
		free(y);
		warnx("out of memory");
		return 0;
	}
	for (i = 0; i < n; i++) {
		rc = blob == NULL ? sqlite3_blob_open(db, "main", "body",
		    "data", want[i].rowid, 0, &blob) :
		    sqlite3_blob_reopen(blob, want[i].rowid);
		if (rc != SQLITE_OK) {
			warnx("body %s: %s", want[i].sha256,
			    sqlite3_errmsg(db));
			goto out;
		}
		if ((size_t)sqlite3_blob_bytes(blob) != want[i].len) {
			warnx("body %s: %d bytes stored, %zu recorded",
			    want[i].sha256, sqlite3_blob_bytes(blob),
			    want[i].len);
			goto out;
		}
		if (want[i].len > 0 && sqlite3_blob_read(blob, a->base + at,
		    (int)want[i].len, 0) != SQLITE_OK) {
			warnx("body %s: %s", want[i].sha256,
			    sqlite3_errmsg(db));
			goto out;
		}
		if ((y[i] = calloc(1, sizeof(**y))) == NULL) {
			warnx("out of memory");
			goto out;
		}
		y[i]->data = a->base + at;
		y[i]->len = want[i].len;
		y[i]->data[y[i]->len] = '\0';
		y[i]->arena = a;
		memcpy(y[i]->sha256, want[i].sha256, 65);
		at += want[i].len + 1;
	}
	a->bodies = (int)n;
	for (i = 0; i < n; i++) {
		if (!pool_put(y[i])) {
			warnx("out of memory");
			goto out;
		}
		s->bodyref[want[i].at] = y[i];
	}
	ok = 1;
 out:
	sqlite3_blob_close(blob);
	if (!ok) {
		/* The bodies pooled are s's: site_free() drops them. */
		pthread_mutex_lock(&pool.lock);
		if (a->bodies > 0)
			a->bodies -= (int)(n - i);
		last = a->bodies == 0;
		pthread_mutex_unlock(&pool.lock);
		for (; i < n; i++)
			free(y[i]);
		if (last)
			arena_free(a);
	}
	free(y);
	return ok;
}

/* The newest release of each profile. */
#define NEWEST_SQL "SELECT build FROM release r WHERE version = " \
	"(SELECT max(version) FROM release WHERE profile = r.profile)"

/*
 * The bodies the releases sign (newest: only the newest of each
 * profile), each once: from the pool when another site has it, else
 * from the database.  The stored digest is the ETag.
 */
static int
load_bodies(sqlite3 *db, struct site *s, int newest)
{
	sqlite3_stmt	*st;
	struct body_want *want = NULL;
	const char	*hex;
	size_t		 i, nwant = 0, cap = 0;
	void		*nv;
	int		 step, ok = 0;

	/* Constraints documents (SPEC 12) are bodies too. */
	if ((st = db_prepare(db, newest ? "SELECT sha256, rowid, size FROM "
	    "body WHERE sha256 IN (SELECT body_sha256 FROM build WHERE id IN "
	    "(" NEWEST_SQL ") UNION SELECT constraints FROM build WHERE id IN "
	    "(" NEWEST_SQL ")) ORDER BY 1" : "SELECT sha256, rowid, size FROM "
	    "body WHERE sha256 IN (SELECT body_sha256 FROM build WHERE id IN "
	    "(SELECT build FROM release) UNION SELECT constraints FROM build "
	    "WHERE id IN (SELECT build FROM release)) ORDER BY 1")) == NULL)
		return 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		hex = (const char *)sqlite3_column_text(st, 0);
		if (hex == NULL || strlen(hex) != 64 ||
		    sqlite3_column_int64(st, 2) < 0 ||
		    sqlite3_column_int64(st, 2) >= INT32_MAX) {
			warnx("body %s: malformed row", hex ? hex : "?");
			goto out;
		}
		if (s->nbodies == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = reallocarray(s->bodies, cap,
			    sizeof(*s->bodies))) == NULL)
				goto out;
			s->bodies = nv;
			if ((nv = reallocarray(s->bodyref, cap,
			    sizeof(struct site_body *))) == NULL)
				goto out;
			s->bodyref = nv;
			if ((nv = reallocarray(want, cap, sizeof(*want))) ==
			    NULL)
				goto out;
			want = nv;
		}
		memset(&s->bodies[s->nbodies], 0, sizeof(*s->bodies));
		s->bodies[s->nbodies].etag[0] = '"';
		memcpy(s->bodies[s->nbodies].etag + 1, hex, 64);
		memcpy(s->bodies[s->nbodies].etag + 65, "\"", 2);
		if ((s->bodyref[s->nbodies] = pool_get(hex)) == NULL) {
			memcpy(want[nwant].sha256, hex, 65);
			want[nwant].rowid = sqlite3_column_int64(st, 1);
			want[nwant].len = (size_t)sqlite3_column_int64(st, 2);
			want[nwant].at = s->nbodies;
			nwant++;
		}
		s->nbodies++;
	}
	if (step != SQLITE_DONE || !bodies_read(db, s, want, nwant))
		goto out;
	for (i = 0; i < s->nbodies; i++) {
		s->bodies[i].data = s->bodyref[i]->data;
		s->bodies[i].len = s->bodyref[i]->len;
	}
	/* ORDER BY 1 sorts them as bodycmp() does: the ETags differ in hex. */
	ok = 1;
 out:
	if (!ok)
		warnx("bodies: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	free(want);
	return ok;
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

/*
 * What a reload carries over from the loads before it: the builds, the
 * releases (without their prepared responses) and the audit rows.  The
 * schema keeps each as it was written (triggers refuse UPDATE and
 * DELETE, versions only go up), so a reload reads only what is new.
 * The reload path alone adds to it (one thread); sites copy the arrays
 * and point at what they hold, and it is freed with the last site.
 */
/*
 * Bytes shared by the site that serves them and the carry, which makes
 * the next from them: freed by the last of the two.
 */
struct site_text {
	int		 refs;		/* atomic */
	size_t		 len;
	unsigned char	*data;		/* len bytes and a NUL */
};

static void
site_text_drop(struct site_text *t)
{
	if (t != NULL && __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) ==
	    0) {
		free(t->data);
		free(t);
	}
}

struct carried {
	char		 name[65];
	struct site_release *rel;	/* by version; no body, no prep */
	size_t		 nrel;
	struct site_text *hist;		/* the last history made */
	size_t		 nhist;		/* rows in hist */
	EVP_MD_CTX	*hsha;		/* SHA-256 of hist but its "]" */
	char		 distrust[8];	/* its policy, read at each load */
};

static struct {
	pthread_mutex_t	 lock;		/* sites, and freeing at zero */
	int		 sites;
	struct site_build **builds;	/* by id */
	size_t		 nbuilds;
	struct carried	*prof;		/* by name */
	size_t		 nprof;
	struct query_audit *audit;	/* oldest first */
	size_t		 naudit;
} carry = { PTHREAD_MUTEX_INITIALIZER, 0, NULL, 0, NULL, 0, NULL, 0 };

static void
build_free(struct site_build *b)
{
	size_t	 i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		free(b->v[i].label);
	free(b->v);
	free(b->byfp);
	for (i = 0; i < b->nleft; i++) {
		free(b->left[i].label);
		free(b->left[i].rule);
	}
	free(b->left);
	free(b);
}

/* Called with carry.lock held, when no site is left. */
static void
carry_free(void)
{
	size_t	 i, j;

	for (i = 0; i < carry.nbuilds; i++)
		build_free(carry.builds[i]);
	free(carry.builds);
	for (i = 0; i < carry.nprof; i++) {
		for (j = 0; j < carry.prof[i].nrel; j++) {
			free(carry.prof[i].rel[j].sig.data);
			free(carry.prof[i].rel[j].csig.data);
			free(carry.prof[i].rel[j].carried_from);
			free(carry.prof[i].rel[j].left);
		}
		free(carry.prof[i].rel);
		site_text_drop(carry.prof[i].hist);
		EVP_MD_CTX_free(carry.prof[i].hsha);
	}
	free(carry.prof);
	for (i = 0; i < carry.naudit; i++) {
		free(carry.audit[i].actor);
		free(carry.audit[i].action);
		free(carry.audit[i].object);
		free(carry.audit[i].details);
		free(carry.audit[i].hash);
	}
	free(carry.audit);
	carry.builds = NULL;
	carry.prof = NULL;
	carry.audit = NULL;
	carry.nbuilds = carry.nprof = carry.naudit = 0;
}

static void
carry_enter(void)
{
	pthread_mutex_lock(&carry.lock);
	carry.sites++;
	pthread_mutex_unlock(&carry.lock);
}

static void
carry_leave(void)
{
	pthread_mutex_lock(&carry.lock);
	if (--carry.sites == 0)
		carry_free();
	pthread_mutex_unlock(&carry.lock);
}

/*
 * The database is the one the carried rows came from: the last audit
 * row carried is still there, with the same hash.  A database put in
 * place of another under a running serve is refused, not mixed.
 */
static int
carry_valid(sqlite3 *db)
{
	sqlite3_stmt	*st;
	const struct query_audit *last;
	const char	*h;
	int		 ok;

	if (carry.naudit == 0)
		return 1;
	last = &carry.audit[carry.naudit - 1];
	if ((st = db_prepare(db, "SELECT hash FROM audit WHERE id = ?")) ==
	    NULL)
		return 0;
	sqlite3_bind_int64(st, 1, last->id);
	ok = sqlite3_step(st) == SQLITE_ROW &&
	    (h = (const char *)sqlite3_column_text(st, 0)) != NULL &&
	    strcmp(h, last->hash) == 0;
	sqlite3_finalize(st);
	if (!ok)
		warnx("the database is not the one being served (audit row "
		    "%" PRId64 " differs): restart serve to serve it",
		    last->id);
	return ok;
}

/* The carried audit row id, or NULL (id 0, or not carried). */
static const struct query_audit *
carry_audit(int64_t id)
{
	size_t	 lo = 0, hi = carry.naudit, mid;

	while (id > 0 && lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (carry.audit[mid].id == id)
			return &carry.audit[mid];
		if (carry.audit[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct site_build *sort_build;

static int
fpcmp(const void *a, const void *b)
{
	return strcmp(sort_build->v[*(const size_t *)a].fp,
	    sort_build->v[*(const size_t *)b].fp);
}

/*
 * The statement that reads a build with its certificates: prepared
 * once a load, not once a build.
 */
#define BUILD_SQL "SELECT b.ncerts, b.added, b.removed, b.snapshot, " \
	"b.body_sha256, c.cert, c.label, coalesce(c.org_ca, 0), " \
	"c.server_after, b.constraints FROM build b LEFT JOIN build_cert c " \
	"ON c.build = b.id WHERE b.id = ? ORDER BY c.position"

/* The roots build b left out (schema 008 build_left), by fingerprint. */
static int
build_read_left(sqlite3 *db, struct site_build *b)
{
	sqlite3_stmt	*st;
	struct site_left *nl, *l;
	const char	*fp, *label, *rule;
	int		 step;

	if ((st = db_prepare(db, "SELECT cert, label, server_after, rule "
	    "FROM build_left WHERE build = ? ORDER BY cert")) == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, b->id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		fp = (const char *)sqlite3_column_text(st, 0);
		label = (const char *)sqlite3_column_text(st, 1);
		rule = (const char *)sqlite3_column_text(st, 3);
		if (fp == NULL || strlen(fp) != 64 || label == NULL ||
		    rule == NULL || (nl = reallocarray(b->left, b->nleft + 1,
		    sizeof(*nl))) == NULL)
			break;
		b->left = nl;
		l = &nl[b->nleft];
		memset(l, 0, sizeof(*l));
		memcpy(l->fp, fp, 65);
		l->server_after = sqlite3_column_int64(st, 2);
		if ((l->label = strdup(label)) == NULL ||
		    (l->rule = strdup(rule)) == NULL) {
			free(l->label);
			break;
		}
		b->nleft++;
	}
	sqlite3_finalize(st);
	return step == SQLITE_DONE;
}

/* Build id with its certificates, read by st; NULL: warned. */
static struct site_build *
build_read(sqlite3 *db, sqlite3_stmt *st, int64_t id)
{
	struct site_build *b;
	struct site_entry *ne;
	const char	*fp, *label, *hex;
	size_t		 cap = 0, j;
	int		 step = SQLITE_ERROR, ok = 0;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		goto out;
	b->id = id;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (b->sha256[0] == '\0') {
			b->ncerts = sqlite3_column_int64(st, 0);
			b->added = sqlite3_column_int64(st, 1);
			b->removed = sqlite3_column_int64(st, 2);
			if ((b->has_snapshot = sqlite3_column_type(st, 3) !=
			    SQLITE_NULL))
				b->snapshot = sqlite3_column_int64(st, 3);
			hex = (const char *)sqlite3_column_text(st, 4);
			if (hex == NULL || strlen(hex) != 64)
				goto out;
			memcpy(b->sha256, hex, 65);
			hex = (const char *)sqlite3_column_text(st, 9);
			if (hex != NULL && strlen(hex) != 64)
				goto out;
			if (hex != NULL)
				memcpy(b->constraints, hex, 65);
		}
		if ((fp = (const char *)sqlite3_column_text(st, 5)) == NULL)
			continue;	/* a build without certificates */
		label = (const char *)sqlite3_column_text(st, 6);
		if (strlen(fp) != 64 || label == NULL)
			goto out;
		if (b->n == cap) {
			cap = cap ? cap * 2 : 256;
			if ((ne = reallocarray(b->v, cap, sizeof(*ne))) == NULL)
				goto out;
			b->v = ne;
		}
		memcpy(b->v[b->n].fp, fp, 65);
		b->v[b->n].org = sqlite3_column_int64(st, 7) != 0;
		b->v[b->n].server_after = sqlite3_column_int64(st, 8);
		if ((b->v[b->n].label = strdup(label)) == NULL)
			goto out;
		b->n++;
	}
	if (step != SQLITE_DONE || b->sha256[0] == '\0' ||
	    !build_read_left(db, b))
		goto out;
	if (b->n > 0) {
		if ((b->byfp = calloc(b->n, sizeof(*b->byfp))) == NULL)
			goto out;
		for (j = 0; j < b->n; j++)
			b->byfp[j] = j;
		sort_build = b;	/* the reload path is one thread */
		qsort(b->byfp, b->n, sizeof(*b->byfp), fpcmp);
	}
	ok = 1;
 out:
	if (!ok) {
		warnx("build %" PRId64 ": %s", id, step == SQLITE_ROW ||
		    step == SQLITE_DONE ? "malformed, or out of memory" :
		    sqlite3_errmsg(db));
		build_free(b);
		b = NULL;
	}
	return b;
}

/* The carried build of that id, read and carried when new. */
static struct site_build *
carry_build(sqlite3 *db, sqlite3_stmt *st, int64_t id)
{
	struct site_build **nb, *b;
	size_t		 lo = 0, hi = carry.nbuilds, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (carry.builds[mid]->id == id)
			return carry.builds[mid];
		if (carry.builds[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if ((b = build_read(db, st, id)) == NULL)
		return NULL;
	if ((nb = reallocarray(carry.builds, carry.nbuilds + 1,
	    sizeof(struct site_build *))) == NULL) {
		build_free(b);
		return NULL;
	}
	carry.builds = nb;
	memmove(&nb[lo + 1], &nb[lo], (carry.nbuilds - lo) *
	    sizeof(struct site_build *));
	nb[lo] = b;
	carry.nbuilds++;
	return b;
}

/* The build's entry for that certificate, or NULL. */
static const struct site_entry *
build_has(const struct site_build *b, const char *fp)
{
	size_t	 lo = 0, hi = b->n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(b->v[b->byfp[mid]].fp, fp)) == 0)
			return &b->v[b->byfp[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Copy column col, text of at most sz - 1 bytes, into dst; 0 if not. */
static int
col_copy(sqlite3_stmt *st, int col, char *dst, size_t sz)
{
	const char	*v = (const char *)sqlite3_column_text(st, col);

	if (v == NULL || strlen(v) >= sz)
		return 0;
	memcpy(dst, v, strlen(v) + 1);
	return 1;
}

/* The carried profile of that name, added (empty) when new. */
static struct carried *
carry_profile(const char *name)
{
	struct carried	*np;
	size_t		 i;

	for (i = 0; i < carry.nprof; i++)
		if (strcmp(carry.prof[i].name, name) == 0)
			return &carry.prof[i];
	if ((np = reallocarray(carry.prof, carry.nprof + 1, sizeof(*np))) ==
	    NULL)
		return NULL;
	carry.prof = np;
	/* By name, as the site lists them (SQLite's BINARY is strcmp). */
	for (i = carry.nprof; i > 0 && strcmp(np[i - 1].name, name) > 0; i--)
		np[i] = np[i - 1];
	memset(&np[i], 0, sizeof(*np));
	snprintf(np[i].name, sizeof(np[i].name), "%s", name);
	carry.nprof++;
	return &np[i];
}

/*
 * The constraints signature of r (SPEC 12) from column col, when the
 * release has one, and the build a document for it; 0 after a warning.
 */
static int
csig_set(sqlite3_stmt *st, int col, struct site_release *r)
{
	if ((sqlite3_column_type(st, col) == SQLITE_NULL) !=
	    (r->build != NULL && r->build->constraints[0] == '\0')) {
		warnx("version %" PRId64 ": a constraints document without "
		    "its signature, or the other way round", r->version);
		return 0;
	}
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return 1;
	return doc_set(&r->csig, sqlite3_column_text(st, col),
	    (size_t)sqlite3_column_bytes(st, col));
}

/* Releases of one profile newer than those carried, carried. */
static int
carry_releases(sqlite3 *db, sqlite3_stmt *st, sqlite3_stmt *bst,
    struct carried *c)
{
	struct site_release *nr, *r;
	const struct query_audit *cause;
	size_t		 cap = c->nrel;
	int		 step;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, c->nrel ? c->rel[c->nrel - 1].version : 0);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		/* Grow by doubling, not by one: 10,000 releases. */
		if (c->nrel == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nr = reallocarray(c->rel, cap, sizeof(*nr))) ==
			    NULL)
				return 0;
			c->rel = nr;
		}
		r = &c->rel[c->nrel];
		memset(r, 0, sizeof(*r));
		r->version = sqlite3_column_int64(st, 0);
		r->created = sqlite3_column_int64(st, 1);
		r->expires = sqlite3_column_int64(st, 2);
		if (!col_copy(st, 5, r->key_id, sizeof(r->key_id)) ||
		    !col_copy(st, 6, r->reason, sizeof(r->reason)) ||
		    ((r->carried = sqlite3_column_int64(st, 7)) != 0 &&
		    (!col_copy(st, 8, r->carried_key, sizeof(r->carried_key)) ||
		    sqlite3_column_text(st, 9) == NULL))) {
			warnx("%s version %" PRId64 ": malformed release row",
			    c->name, r->version);
			return 0;
		}
		/* Schema 006: the upstream release it countersigns. */
		if (r->carried != 0 && (r->carried_from = strdup((const char *)
		    sqlite3_column_text(st, 9))) == NULL)
			return 0;
		/* Schema 008: the roots it newly left out, as JSON. */
		if (sqlite3_column_text(st, 11) != NULL && strcmp((const char *)
		    sqlite3_column_text(st, 11), "[]") != 0 && (r->left =
		    strdup((const char *)sqlite3_column_text(st, 11))) ==
		    NULL) {
			free(r->carried_from);
			return 0;
		}
		if ((r->build = carry_build(db, bst,
		    sqlite3_column_int64(st, 4))) ==
		    NULL) {
			free(r->carried_from);
			free(r->left);
			return 0;
		}
		/* Schema 009: the change it published (load_audit first). */
		if ((cause = carry_audit(sqlite3_column_int64(st, 12))) !=
		    NULL)
			r->cause = *cause;
		if (!doc_set(&r->sig, sqlite3_column_text(st, 3),
		    (size_t)sqlite3_column_bytes(st, 3)) ||
		    !csig_set(st, 10, r)) {
			free(r->sig.data);
			free(r->csig.data);
			free(r->carried_from);
			free(r->left);
			return 0;
		}
		c->nrel++;
	}
	return step == SQLITE_DONE;
}

/*
 * Every release, by profile and version: the new ones read and
 * carried, then the carried arrays copied into the site, each release
 * pointed at this site's copy of its body.
 */
static int
load_releases(sqlite3 *db, struct site *s)
{
	sqlite3_stmt		*names, *st = NULL, *bst = NULL;
	struct site_profile	*p;
	struct carried		*c;
	const struct site_build	*last;
	struct doc		*body;
	size_t			 i, j;
	int			 step, ok = 0;

	if ((names = db_prepare(db, "SELECT DISTINCT r.profile, "
	    "coalesce(p.distrust_after, 'sunset') FROM release r LEFT JOIN "
	    "profile p ON p.name = r.profile ORDER BY r.profile")) == NULL ||
	    (st = db_prepare(db, "SELECT "
	    "r.version, r.created, r.expires, r.signature, r.build, r.keyid, "
	    "r.reason, k.upstream_version, k.keyid, k.source, x.signature, "
	    RELEASE_LEFT_SQL ", rca.audit FROM release r LEFT JOIN "
	    "release_carry c ON "
	    "c.profile = r.profile AND c.version = r.version LEFT JOIN carry k "
	    "ON k.id = c.carry LEFT JOIN release_constraints x ON x.profile = "
	    "r.profile AND x.version = r.version LEFT JOIN release_cause rca "
	    "ON rca.profile = r.profile AND rca.version = r.version WHERE "
	    "r.profile = ? AND "
	    "r.version > ? ORDER BY r.version")) == NULL ||
	    (bst = db_prepare(db, BUILD_SQL)) == NULL)
		goto out;
	while ((step = sqlite3_step(names)) == SQLITE_ROW) {
		if ((c = carry_profile((const char *)sqlite3_column_text(names,
		    0))) == NULL || !carry_releases(db, st, bst, c))
			goto out;
		snprintf(c->distrust, sizeof(c->distrust), "%s",
		    sqlite3_column_text(names, 1));
	}
	if (step != SQLITE_DONE)
		goto out;
	if ((s->prof = calloc(carry.nprof + 1, sizeof(*s->prof))) == NULL)
		goto out;
	for (i = 0; i < carry.nprof; i++) {
		c = &carry.prof[i];
		if (c->nrel == 0)
			continue;
		p = &s->prof[s->nprof++];
		memcpy(p->name, c->name, sizeof(p->name));
		memcpy(p->distrust, c->distrust, sizeof(p->distrust));
		if ((p->rel = calloc(c->nrel, sizeof(*p->rel))) == NULL)
			goto out;
		memcpy(p->rel, c->rel, c->nrel * sizeof(*p->rel));
		p->nrel = c->nrel;
		last = NULL;
		body = NULL;
		for (j = 0; j < p->nrel; j++) {
			if (p->rel[j].build != last) {
				last = p->rel[j].build;
				body = find_body(s, last->sha256);
			}
			if ((p->rel[j].body = body) == NULL) {
				warnx("%s version %" PRId64 ": body missing",
				    p->name, p->rel[j].version);
				goto out;
			}
			if (last->constraints[0] != '\0' &&
			    (p->rel[j].cbody = find_body(s,
			    last->constraints)) == NULL) {
				warnx("%s version %" PRId64 ": constraints "
				    "document missing", p->name,
				    p->rel[j].version);
				goto out;
			}
		}
	}
	ok = 1;
 out:
	if (!ok)
		warnx("releases: %s", sqlite3_errmsg(db));
	sqlite3_finalize(names);
	sqlite3_finalize(st);
	sqlite3_finalize(bst);
	return ok;
}

/* Every certificate's page fields, by fingerprint. */
static int
load_certs(sqlite3 *db, struct site *s)
{
	sqlite3_stmt	*st;
	struct site_cert *c, *nc;
	size_t		 cap = 0;
	int		 step, ok = 0;

	/* The label as certificate_json() picks it (store.c). */
	if ((st = db_prepare(db, "SELECT k.sha256, k.subject, k.issuer, "
	    "k.serial, k.not_before, k.not_after, k.key_desc, k.is_ca, "
	    "k.self_signed, (SELECT label FROM snapshot_cert WHERE cert = "
	    "k.sha256 UNION ALL SELECT name FROM org_ca WHERE cert = "
	    "k.sha256 LIMIT 1) FROM certificate k ORDER BY k.sha256")) ==
	    NULL)
		return 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (s->ncerts == cap) {
			cap = cap ? cap * 2 : 256;
			if ((nc = reallocarray(s->certs, cap, sizeof(*nc))) ==
			    NULL)
				goto out;
			s->certs = nc;
		}
		c = &s->certs[s->ncerts++];
		memset(c, 0, sizeof(*c));
		if (!col_copy(st, 0, c->fp, sizeof(c->fp)))
			goto out;
		c->not_before = sqlite3_column_int64(st, 4);
		c->not_after = sqlite3_column_int64(st, 5);
		c->ca = sqlite3_column_int(st, 7);
		c->self_signed = sqlite3_column_int(st, 8);
		if ((c->subject = strdup((const char *)sqlite3_column_text(st,
		    1))) == NULL || (c->issuer = strdup((const char *)
		    sqlite3_column_text(st, 2))) == NULL || (c->serial =
		    strdup((const char *)sqlite3_column_text(st, 3))) == NULL ||
		    (c->key = strdup((const char *)sqlite3_column_text(st,
		    6))) == NULL || (c->label = strdup((const char *)
		    sqlite3_column_text(st, sqlite3_column_type(st, 9) ==
		    SQLITE_NULL ? 1 : 9))) == NULL)
			goto out;
	}
	ok = step == SQLITE_DONE;
 out:
	if (!ok)
		warnx("certificates: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return ok;
}

static const struct site_cert *
find_cert(const struct site *s, const char *fp)
{
	size_t	 lo = 0, hi = s->ncerts, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(s->certs[mid].fp, fp)) == 0)
			return &s->certs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Release i of a profile as its history row: a re-signing (the build of
 * the release before) shows +0/-0, the first its build's.
 */
static void
release_row(const struct site_profile *p, size_t i, struct query_release *q)
{
	const struct site_release *r = &p->rel[i];
	const struct site_build *b = r->build;

	memset(q, 0, sizeof(*q));
	q->version = r->version;
	q->created = r->created;
	q->expires = r->expires;
	q->build = b->id;
	q->certificates = b->ncerts;
	if (i == 0 || p->rel[i - 1].build != b) {
		q->added = b->added;
		q->removed = b->removed;
	}
	if ((q->has_snapshot = b->has_snapshot))
		q->snapshot = b->snapshot;
	q->has_size = 1;
	q->size = (int64_t)r->body->len;
	q->has_sha256 = 1;
	memcpy(q->sha256, b->sha256, sizeof(q->sha256));
	memcpy(q->key_id, r->key_id, sizeof(q->key_id));
	memcpy(q->reason, r->reason, sizeof(q->reason));
	q->carried = r->carried;
	memcpy(q->carried_key, r->carried_key, sizeof(q->carried_key));
	q->carried_from = r->carried_from;
	q->left = r->left;
	q->cause = r->cause.id != 0 ? &r->cause : NULL;
}

/* Index of the newest release older than before (0: the newest); n. */
static size_t
page_end(const struct site_profile *p, int64_t before)
{
	size_t	 lo = 0, hi = p->nrel, mid;

	if (before == 0)
		return p->nrel;
	while (lo < hi) {	/* the first version >= before */
		mid = lo + (hi - lo) / 2;
		if (p->rel[mid].version < before)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Rows [from, to) of the history as the JSON array's elements. */
static int
history_rows(const struct site_profile *p, size_t from, size_t to,
    struct buf *b)
{
	struct query_release q;
	size_t		 i;

	for (i = from; i < to; i++) {
		release_row(p, i, &q);
		if ((i > from && !buf_append(b, ",", 1)) ||
		    !render_release_append(&q, b))
			return 0;
	}
	return 1;
}

/*
 * A page of a profile's history as JSON into b: {rows, next}, rows the
 * limit newest releases older than version before (0: all), oldest
 * first as in the whole history, next the before= of the older page
 * (null: none).  limit 0 is the whole history, the array alone.
 * Returns 1, or 0 after a warning.
 */
int
site_history_json(const struct site_profile *p, int64_t before,
    int64_t limit, struct buf *b)
{
	size_t	 end = page_end(p, before), from = 0;

	if (limit == 0)
		return buf_append(b, "[", 1) && history_rows(p, 0, p->nrel, b) &&
		    buf_append(b, "]", 1);
	if ((uint64_t)limit < end)
		from = end - (size_t)limit;
	if (!buf_append(b, "{\"rows\":[", 9) || !history_rows(p, from, end, b))
		return 0;
	if (from > 0)
		return buf_printf(b, "],\"next\":%" PRId64 "}",
		    p->rel[from].version);
	return buf_append(b, "],\"next\":null}", 14);
}

/*
 * /p/{profile}: the limit newest releases older than version before
 * (0: the newest), newest first, linking to the older page.  Returns 1,
 * or 0 after a warning.
 */
int
site_history_html(const struct site_profile *p, int64_t before,
    int64_t limit, struct buf *b)
{
	struct query_history h;
	size_t		 end = page_end(p, before), from = 0, i;
	int		 ok;

	if ((uint64_t)limit < end)
		from = end - (size_t)limit;
	h.n = end - from;
	if ((h.v = calloc(h.n > 0 ? h.n : 1, sizeof(*h.v))) == NULL)
		return 0;
	for (i = from; i < end; i++)
		release_row(p, i, &h.v[i - from]);
	ok = html_history(b, p->name, &h, from > 0 ? p->rel[from].version :
	    0, limit == HISTORY_PAGE ? 0 : limit);
	free(h.v);
	return ok;
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
 * The certificates of a that b lacks, in a's order; when b is the
 * newer side, each with the rule if b left it out by its distrust_after
 * policy.
 */
static int
diff_side(const struct site *s, const struct site_build *a,
    const struct site_build *b, int newer, struct query_diff_cert **out,
    size_t *n)
{
	struct query_diff_cert *v = NULL, *c;
	const struct site_cert *k;
	size_t		 i, j, nv = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < a->n; i++) {
		if (build_has(b, a->v[i].fp) != NULL)
			continue;
		if ((c = reallocarray(v, nv + 1, sizeof(*v))) == NULL)
			goto fail;
		v = c;
		c = &v[nv];
		memset(c, 0, sizeof(*c));
		if ((c->label = strdup(a->v[i].label)) == NULL)
			goto fail;
		nv++;
		memcpy(c->sha256, a->v[i].fp, sizeof(c->sha256));
		c->organization = a->v[i].org;
		c->not_after = (k = find_cert(s, a->v[i].fp)) != NULL ?
		    k->not_after : 0;
		for (j = 0; newer && j < b->nleft; j++)
			if (strcmp(b->left[j].fp, c->sha256) == 0 &&
			    (c->rule = strdup(b->left[j].rule)) == NULL)
				goto fail;
	}
	*out = v;
	*n = nv;
	return 1;
 fail:
	warnx("diff: out of memory");
	diff_certs_free(v, nv);
	return 0;
}

/* As query_diff(), from memory: 1, or 0 after a warning. */
static int
diff_fill(const struct site *s, const char *profile,
    const struct site_release *ra, const struct site_release *rb,
    struct query_diff *d)
{
	memset(d, 0, sizeof(*d));
	d->from = ra->version;
	d->to = rb->version;
	if ((d->profile = strdup(profile)) == NULL) {
		warn("strdup");
		return 0;
	}
	return diff_side(s, rb->build, ra->build, 0, &d->added, &d->nadded) &&
	    diff_side(s, ra->build, rb->build, 1, &d->removed, &d->nremoved);
}

static void
diff_free(struct query_diff *d)
{
	free(d->profile);
	diff_certs_free(d->added, d->nadded);
	diff_certs_free(d->removed, d->nremoved);
	memset(d, 0, sizeof(*d));
}

/*
 * The diff from version a to b of a profile as the API's JSON
 * (render_diff).  Returns a new reference; NULL with *found 0 when
 * either version does not exist, or NULL after a warning.
 */
json_t *
site_diff_json(const struct site *s, const struct site_profile *p,
    int64_t a, int64_t b, int *found)
{
	struct site_release *ra, *rb;
	struct query_diff d;
	json_t		*o = NULL;

	*found = 0;
	if ((ra = site_release((struct site_profile *)p, a)) == NULL ||
	    (rb = site_release((struct site_profile *)p, b)) == NULL)
		return NULL;
	*found = 1;
	if (diff_fill(s, p->name, ra, rb, &d))
		o = render_diff(&d);
	diff_free(&d);
	return o;
}

/*
 * The roots of build b with a distrust-after date, served ones first,
 * then the ones it left out, into *out (free it; the text is b's).
 * Under sunset, a served root says until when.  Returns 1, or 0 when
 * out of memory.
 */
static int
release_dated(const struct site_profile *p, const struct site_build *b,
    struct query_dated **out, size_t *n)
{
	struct query_dated *v;
	size_t		 i;

	*out = NULL;
	*n = 0;
	if ((v = calloc(b->n + b->nleft + 1, sizeof(*v))) == NULL) {
		warn("calloc");
		return 0;
	}
	for (i = 0; i < b->n; i++) {
		if (b->v[i].server_after == 0)
			continue;
		v[*n].sha256 = b->v[i].fp;
		v[*n].label = b->v[i].label;
		v[*n].server_after = b->v[i].server_after;
		if (strcmp(p->distrust, "sunset") == 0)
			v[*n].until = b->v[i].server_after +
			    DISTRUST_SUNSET_SECONDS;
		(*n)++;
	}
	for (i = 0; i < b->nleft; i++) {
		v[*n].sha256 = b->left[i].fp;
		v[*n].label = b->left[i].label;
		v[*n].server_after = b->left[i].server_after;
		v[*n].rule = b->left[i].rule;
		(*n)++;
	}
	*out = v;
	return 1;
}

/*
 * /p/{profile}/{version}: the release and its diff to the one before,
 * into b.  Returns 1 (*found 0: no such version), or 0 after a warning.
 */
int
site_release_html(const struct site *s, const struct site_profile *p,
    int64_t v, struct buf *b, int *found)
{
	struct site_release *r;
	struct query_release q;
	struct query_diff d;
	struct query_dated *dv = NULL;
	size_t		 i, ndv = 0;
	int		 ok;

	*found = 0;
	memset(&d, 0, sizeof(d));
	if ((r = site_release((struct site_profile *)p, v)) == NULL)
		return 1;
	*found = 1;
	i = (size_t)(r - p->rel);
	release_row(p, i, &q);
	ok = (i == 0 || diff_fill(s, p->name, &p->rel[i - 1], r, &d)) &&
	    release_dated(p, r->build, &dv, &ndv) &&
	    html_release(b, p->name, &q, i == 0 ? NULL : &d, dv, ndv);
	free(dv);
	diff_free(&d);
	return ok;
}

/*
 * Rows of a list (org_list(), exclude_list()) for one certificate, as a
 * new array (NULL when out of memory).
 */
static json_t *
rows_of(const json_t *list, const char *fp)
{
	json_t		*arr, *row;
	size_t		 i;

	if ((arr = json_array()) == NULL)
		return NULL;
	json_array_foreach(list, i, row)
		if (strcmp(json_string_value(json_object_get(row, "sha256")) !=
		    NULL ? json_string_value(json_object_get(row, "sha256")) :
		    "", fp) == 0 && json_array_append(arr, row) == -1) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

/*
 * /cert/{sha256}: the certificate and, per profile, the versions of the
 * releases that held it.  Returns 1 (*found 0: no such certificate), or
 * 0 after a warning.
 */
int
site_cert_html(const struct site *s, const char *fp, struct buf *b,
    int *found)
{
	const struct site_cert *c;
	const struct site_profile *p;
	const struct site_build *last;
	json_t		*o, *rels, *r;
	int64_t		 first, lastv, count;
	size_t		 i, j;
	int		 in = 0, ok = 0;

	*found = 0;
	if ((c = find_cert(s, fp)) == NULL)
		return 1;
	*found = 1;
	if ((rels = json_array()) == NULL)
		return 0;
	for (i = 0; i < s->nprof; i++) {
		p = &s->prof[i];
		count = first = lastv = 0;
		last = NULL;
		for (j = 0; j < p->nrel; j++) {
			if (p->rel[j].build != last) {
				last = p->rel[j].build;
				in = build_has(last, fp) != NULL;
			}
			if (!in)
				continue;
			if (count++ == 0)
				first = p->rel[j].version;
			lastv = p->rel[j].version;
		}
		if (count > 0 && ((r = json_pack("{s:s, s:I, s:I, s:I}",
		    "profile", p->name, "first", (json_int_t)first, "last",
		    (json_int_t)lastv, "count", (json_int_t)count)) == NULL ||
		    json_array_append_new(rels, r) == -1))
			goto out;
	}
	if ((o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:b, s:b, "
	    "s:s, s:O, s:o, s:o}", "sha256", c->fp, "subject", c->subject,
	    "issuer", c->issuer, "serial", c->serial, "not_before",
	    (json_int_t)c->not_before, "not_after", (json_int_t)c->not_after,
	    "key", c->key, "ca", c->ca, "self_signed", c->self_signed,
	    "label", c->label, "releases", rels, "org", rows_of(s->orgs, fp),
	    "exclusions", rows_of(s->excls, fp))) == NULL)
		goto out;
	ok = html_cert(b, o);
	json_decref(o);
 out:
	json_decref(rels);
	return ok;
}

/* Audit rows with an id above after, at most limit, borrowed from s. */
static void
audit_slice(const struct site *s, int64_t after, int64_t limit,
    struct query_audits *a)
{
	size_t	 lo = 0, hi = s->audits.n, mid;

	while (lo < hi) {	/* the first id > after */
		mid = lo + (hi - lo) / 2;
		if (s->audits.v[mid].id <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	a->v = s->audits.v + lo;
	a->n = s->audits.n - lo;
	if (limit > 0 && (uint64_t)limit < a->n)
		a->n = (size_t)limit;
}

/*
 * A page of the audit log as /v1/audit sends it: {rows, next}, next
 * the last id of a full page.  Returns a new reference, or NULL after
 * a warning.
 */
json_t *
site_audit_json(const struct site *s, int64_t after, int64_t limit)
{
	struct query_audits a;
	json_t		*rows;

	audit_slice(s, after, limit, &a);
	if ((rows = render_audit(&a)) == NULL)
		return NULL;
	return json_pack("{s:o, s:o}", "rows", rows, "next",
	    (int64_t)a.n == limit ? json_integer(a.v[a.n - 1].id) :
	    json_null());
}

/*
 * /audit: limit rows newest first: the newest (before and
 * after 0), the ones just older than id before, or the ones just newer
 * than id after; linking to the older and newer pages by the ids at
 * their edges, a cursor that stays put as the log grows.  Returns 1, or
 * 0 when out of memory.
 */
int
site_audit_html(const struct site *s, int64_t before, int64_t after,
    int64_t limit, struct buf *b)
{
	struct query_audits a;
	size_t		 from, end;

	if (after != 0) {
		audit_slice(s, after, limit, &a);
		from = (size_t)(a.v - s->audits.v);
		end = from + a.n;
	} else {
		audit_slice(s, before > 0 ? before - 1 : INT64_MAX, 0, &a);
		end = before > 0 ? (size_t)(a.v - s->audits.v) : s->audits.n;
		from = end > (uint64_t)limit ? end - (size_t)limit : 0;
	}
	a.v = s->audits.v + from;
	a.n = end - from;
	return html_audit(b, &a, from > 0 ? a.v[0].id : 0,
	    end < s->audits.n ? a.v[a.n - 1].id : 0,
	    limit == SITE_AUDIT_PAGE ? 0 : limit);
}

/* Whether s holds q, ASCII letters in any case. */
static int
has_icase(const char *s, const char *q)
{
	size_t	 n = strlen(q);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, q, n) == 0)
			return 1;
	return 0;
}

/* A search hit: the certificate's fingerprint, label, expiry, origin. */
static int
search_hit(const struct site *s, const struct site_cert *c, json_t *hits)
{
	json_t	*org;
	int	 ok;

	if ((org = rows_of(s->orgs, c->fp)) == NULL)
		return 0;
	ok = json_array_append_new(hits, json_pack("{s:s, s:s, s:I, s:b}",
	    "sha256", c->fp, "label", c->label, "not_after",
	    (json_int_t)c->not_after, "org", json_array_size(org) > 0)) == 0;
	json_decref(org);
	return ok;
}

/*
 * The certificates whose fingerprint starts with q (any case, colons
 * and spaces ignored, at least 8 hex digits) or whose label holds q
 * (any case), at most SEARCH_HITS_MAX, appended to hits; *more set
 * when there were more.  Returns 1, or 0 when out of memory.
 */
static int
search_match(const struct site *s, const char *q, json_t *hits, int *more)
{
	const struct site_cert *c;
	char		 hex[65];
	size_t		 n = 0, i, lo, hi, mid;

	for (i = 0; q[i] != '\0'; i++) {
		if (q[i] == ':' || q[i] == ' ')
			continue;
		if (n == 64 || strchr("0123456789abcdefABCDEF", q[i]) ==
		    NULL) {
			n = 0;
			break;
		}
		hex[n++] = (char)(q[i] >= 'A' && q[i] <= 'F' ? q[i] + 32 :
		    q[i]);
	}
	hex[n] = '\0';
	if (n >= 8) {		/* the first fingerprint >= hex */
		lo = 0;
		hi = s->ncerts;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (strcmp(s->certs[mid].fp, hex) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (i = lo; i < s->ncerts && !*more &&
		    strncmp(s->certs[i].fp, hex, n) == 0; i++)
			if (json_array_size(hits) == SEARCH_HITS_MAX)
				*more = 1;
			else if (!search_hit(s, &s->certs[i], hits))
				return 0;
	}
	for (i = 0; *q != '\0' && i < s->ncerts && !*more; i++) {
		c = &s->certs[i];
		if (!has_icase(c->label, q) ||
		    (n >= 8 && strncmp(c->fp, hex, n) == 0))
			continue;
		if (json_array_size(hits) == SEARCH_HITS_MAX)
			*more = 1;
		else if (!search_hit(s, c, hits))
			return 0;
	}
	return 1;
}

/*
 * /search?q=: the certificates search_match() finds, each linking to
 * /cert/{sha256}.  q is at most SEARCH_QUERY_MAX bytes (http.c refuses
 * longer).  q NULL: every certificate, for a static copy that cannot
 * answer a query (pages.c).  Returns 1, or 0 when out of memory.
 */
int
site_search_html(const struct site *s, const char *q, struct buf *b)
{
	json_t		*hits;
	size_t		 i;
	int		 more = 0, ok = 0;

	if ((hits = json_array()) == NULL)
		return 0;
	for (i = 0; q == NULL && i < s->ncerts; i++)
		if (!search_hit(s, &s->certs[i], hits))
			goto out;
	if (q == NULL || search_match(s, q, hits, &more))
		ok = html_search(b, q, hits, more);
 out:
	json_decref(hits);
	return ok;
}

/*
 * The whole history of p as JSON into p->history, as
 * site_history_json(p, 0, 0) writes it.  Rows never change once
 * written, so a reload renders and hashes only the new rows: the text
 * is the last one made (shared with the site that serves it) up to its
 * "]", then the new rows, and the carry keeps the running SHA-256 of
 * all but the "]".  Returns 1, or 0 after a warning (and the carry
 * forgets the history, to make it whole next time).
 */
static int
history_doc(struct carried *c, struct site_profile *p)
{
	struct query_release q;
	struct site_text *t = NULL;
	struct buf	 b;
	EVP_MD_CTX	*x = NULL;
	unsigned char	 h[32];
	size_t		 i, keep;
	int		 ok = 0;

	pthread_once(&sha256_once, sha256_fetch);
	/*
	 * The rows carried (all but the closing "]"), then the new ones,
	 * rendered where they stay: 10,000 rows are 3.6 MB.
	 */
	buf_init(&b, HISTORY_MAX);
	if (c->hsha == NULL && ((c->hsha = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(c->hsha, sha256_md != NULL ? sha256_md :
	    EVP_sha256(), NULL) || !EVP_DigestUpdate(c->hsha, "[", 1)))
		goto out;
	keep = c->hist != NULL ? c->hist->len - 1 : 1;
	if (!buf_append(&b, c->hist != NULL ? (void *)c->hist->data :
	    (void *)"[", keep))
		goto out;
	for (i = c->nhist; i < p->nrel; i++) {
		release_row(p, i, &q);
		if ((i > 0 && !buf_append(&b, ",", 1)) ||
		    !render_release_append(&q, &b))
			goto out;
	}
	if (!EVP_DigestUpdate(c->hsha, b.data + keep, b.len - keep) ||
	    !buf_append(&b, "]", 1) || (x = EVP_MD_CTX_new()) == NULL ||
	    !EVP_MD_CTX_copy_ex(x, c->hsha) || !EVP_DigestUpdate(x, "]", 1) ||
	    !EVP_DigestFinal_ex(x, h, NULL) ||
	    (t = malloc(sizeof(*t))) == NULL)
		goto out;
	t->refs = 2;	/* p and the carry */
	t->data = b.data;
	t->len = b.len;
	memset(&b, 0, sizeof(b));
	site_text_drop(c->hist);
	c->hist = t;
	c->nhist = p->nrel;
	p->histtext = t;
	p->history.data = (char *)t->data;
	p->history.len = t->len;
	p->history.etag[0] = '"';
	hex_encode(h, 32, p->history.etag + 1);
	memcpy(p->history.etag + 65, "\"", 2);
	ok = 1;
 out:
	EVP_MD_CTX_free(x);
	buf_free(&b);
	if (!ok) {
		warnx("%s: history: out of memory", p->name);
		site_text_drop(c->hist);
		c->hist = NULL;
		EVP_MD_CTX_free(c->hsha);
		c->hsha = NULL;
		c->nhist = 0;
	}
	return ok;
}

/*
 * The documents of each profile: the whole history as JSON, the first
 * page of its HTML history, the soonest certificate expiry.
 */
static int
load_profile_docs(sqlite3 *db, struct site *s)
{
	sqlite3_stmt	*st;
	struct buf	 b;
	size_t		 i, j;

	buf_init(&b, HISTORY_MAX);
	if ((st = db_prepare(db, "SELECT min(k.not_after) FROM build_cert c "
	    "JOIN certificate k ON k.sha256 = c.cert WHERE c.build = ?")) ==
	    NULL)
		return 0;
	for (i = 0; i < s->nprof; i++) {
		for (j = 0; j < carry.nprof; j++)
			if (strcmp(carry.prof[j].name, s->prof[i].name) == 0)
				break;
		if (j == carry.nprof || !history_doc(&carry.prof[j],
		    &s->prof[i]))
			goto fail;
		buf_reset(&b);
		if (!site_history_html(&s->prof[i], 0, HISTORY_PAGE, &b) ||
		    !doc_set(&s->prof[i].page, b.data, b.len))
			goto fail;
		sqlite3_bind_int64(st, 1,
		    s->prof[i].rel[s->prof[i].nrel - 1].build->id);
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

/*
 * Every key list version with its signatures (schema 007), small and
 * few: read whole for the newest-only start as well.
 */
static int
load_keylists(sqlite3 *db, struct site *s)
{
	sqlite3_stmt		*st = NULL;
	struct site_keylist	*k;
	int64_t			 n;
	size_t			 i, j;
	int			 ok = 0;

	if ((st = db_prepare(db, "SELECT count(*) FROM keylist")) == NULL)
		return 0;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (n == 0)
		return 1;
	if ((s->keylists = calloc((size_t)n, sizeof(*s->keylists))) == NULL)
		goto out;
	if ((st = db_prepare(db, "SELECT version, body FROM keylist ORDER BY "
	    "version")) == NULL)
		goto out;
	while (s->nkeylists < (size_t)n && sqlite3_step(st) == SQLITE_ROW) {
		k = &s->keylists[s->nkeylists++];
		k->version = sqlite3_column_int64(st, 0);
		if (!doc_set(&k->body, sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1)))
			goto out;
	}
	sqlite3_finalize(st);
	if ((st = db_prepare(db, "SELECT count(*) FROM keylist_sig WHERE "
	    "version = ?")) == NULL)
		goto out;
	for (i = 0; i < s->nkeylists; i++) {
		k = &s->keylists[i];
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, k->version);
		if (sqlite3_step(st) != SQLITE_ROW)
			goto out;
		n = sqlite3_column_int64(st, 0);
		if (n == 0)
			continue;
		if ((k->sigs = calloc((size_t)n, sizeof(*k->sigs))) == NULL ||
		    (k->sigids = calloc((size_t)n, sizeof(*k->sigids))) ==
		    NULL)
			goto out;
		k->nsigs = (size_t)n;
	}
	sqlite3_finalize(st);
	if ((st = db_prepare(db, "SELECT version, keyid, sig FROM keylist_sig "
	    "ORDER BY version, pos")) == NULL)
		goto out;
	i = j = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		while (i < s->nkeylists && s->keylists[i].version !=
		    sqlite3_column_int64(st, 0)) {
			i++;
			j = 0;
		}
		if (i == s->nkeylists || j == s->keylists[i].nsigs)
			goto out;
		k = &s->keylists[i];
		if (col_copy(st, 1, k->sigids[j], sizeof(k->sigids[j])) == 0 ||
		    !doc_set(&k->sigs[j], sqlite3_column_blob(st, 2),
		    (size_t)sqlite3_column_bytes(st, 2)))
			goto out;
		j++;
	}
	ok = 1;
 out:
	if (!ok)
		warnx("key lists: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return ok;
}

/*
 * A key list document: version 0 the newest; keyid NULL the list
 * itself, "" its first signature, else that key's signature.  NULL
 * when there is none.  Borrowed from s.
 */
struct doc *
site_keylist_doc(struct site *s, int64_t version, const char *keyid)
{
	struct site_keylist	*k = NULL;
	size_t			 i;

	if (s->nkeylists == 0)
		return NULL;
	if (version == 0)
		k = &s->keylists[s->nkeylists - 1];
	else
		for (i = 0; i < s->nkeylists; i++)
			if (s->keylists[i].version == version)
				k = &s->keylists[i];
	if (k == NULL)
		return NULL;
	if (keyid == NULL)
		return &k->body;
	if (*keyid == '\0')
		return k->nsigs > 0 ? &k->sigs[0] : NULL;
	for (i = 0; i < k->nsigs; i++)
		if (strcmp(k->sigids[i], keyid) == 0)
			return &k->sigs[i];
	return NULL;
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

/*
 * /v1/upstream as render_snapshots() makes it, each row with its stored
 * report spliced in as stored: store.c writes it as json_dumps(...,
 * JSON_COMPACT | JSON_ENSURE_ASCII), the bytes a parse and a dump make
 * again (60 reports of 10 KB parsed at every reload: 70 ms).
 */
static int
upstream_doc(struct site *s, const struct query_snapshots *ss,
    char **reports)
{
	struct query_snapshots one;
	struct buf	 b;
	json_t		*a;
	char		*t;
	size_t		 i, n;
	int		 ok = 0;

	buf_init(&b, 256u << 20);
	if (!buf_append(&b, "[", 1))
		goto out;
	for (i = 0; i < ss->n; i++) {
		one.v = &ss->v[i];
		one.n = 1;
		if ((a = render_snapshots(&one)) == NULL)
			goto out;
		t = json_dumps(json_array_get(a, 0), JSON_COMPACT |
		    JSON_ENSURE_ASCII);
		json_decref(a);
		if (t == NULL || (n = strlen(t)) < 2 || t[n - 1] != '}' ||
		    (i > 0 && !buf_append(&b, ",", 1)) ||
		    !buf_append(&b, t, n - 1) ||
		    !buf_append(&b, ",\"report\":", 10) ||
		    !buf_append(&b, reports[i], strlen(reports[i])) ||
		    !buf_append(&b, "}", 1)) {
			free(t);
			goto out;
		}
		free(t);
	}
	ok = buf_append(&b, "]", 1) && doc_set(&s->upstream, b.data, b.len);
 out:
	if (!ok)
		warnx("upstream: out of memory");
	buf_free(&b);
	return ok;
}

/*
 * /quarantine, /snapshots and /v1/snapshots from s->snaps: each
 * quarantined snapshot on current facts (s->revets[i], read now), the
 * others as stored.  Returns 1, or 0 after a warning.
 */
static int
snapshot_docs(sqlite3 *db, struct site *s)
{
	struct query_snapshots *ss = &s->snaps;
	struct buf	 b;
	json_t		**reps = NULL;
	size_t		 i;
	int		 ok = 0;

	buf_init(&b, 16u << 20);
	if ((s->revets = calloc(ss->n + 1, sizeof(*s->revets))) == NULL)
		goto out;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	if ((reps = calloc(ss->n + 1, sizeof(*reps))) == NULL)
		goto out;
	for (i = 0; i < ss->n; i++) {
		if (strcmp(ss->v[i].status, "quarantined") != 0)
			continue;
		if (!revet_snapshot(db, ss->v[i].id, &s->revets[i]) ||
		    (reps[i] = render_report(&s->revets[i], &ss->v[i])) ==
		    NULL)
			goto out;
	}
	ok = html_quarantine(&b, ss, reps) &&
	    doc_set(&s->quarantine, b.data, b.len);
	buf_reset(&b);
	ok = ok && html_snapshots(&b, ss) &&
	    doc_set(&s->snapshots, b.data, b.len);
 out:
	for (i = 0; reps != NULL && i < ss->n; i++)
		json_decref(reps[i]);
	free(reps);
	buf_free(&b);
	return ok;
}

/*
 * /v1/upstream, /v1/snapshots, /snapshots and /quarantine from one
 * read of the snapshots; their stored reports are kept in s->snaps for
 * the pages of each (site_snapshot_json, site_snapshot_html), parsed
 * when one is asked for.
 */
static int
load_snapshots(sqlite3 *db, struct site *s)
{
	struct query_snapshots *ss = &s->snaps;
	sqlite3_stmt	*st = NULL;
	char		**reports = NULL;
	const char	*t;
	size_t		 i = 0, j;
	int		 ok = 0;

	if (!query_snapshots(db, 0, ss))
		goto out;
	if ((reports = calloc(ss->n + 1, sizeof(*reports))) == NULL ||
	    (st = db_prepare(db, "SELECT id, report FROM snapshot ORDER BY "
	    "id")) == NULL)
		goto out;
	while (i < ss->n && sqlite3_step(st) == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(st, 1);
		if (sqlite3_column_int64(st, 0) != ss->v[i].id || t == NULL ||
		    t[0] != '{') {
			warnx("snapshot %" PRId64 ": no stored report",
			    ss->v[i].id);
			goto out;
		}
		if ((reports[i] = strdup(t)) == NULL)
			goto out;
		i++;
	}
	if (i != ss->n || !upstream_doc(s, ss, reports) ||
	    !doc_json(&s->snapshotsjson, render_snapshots(ss)))
		goto out;
	/* The snapshots own their reports from here. */
	for (j = 0; j < ss->n; j++) {
		ss->v[j].report = reports[j];
		reports[j] = NULL;
	}
	ok = snapshot_docs(db, s);
 out:
	for (j = 0; reports != NULL && j < ss->n; j++)
		free(reports[j]);
	free(reports);
	sqlite3_finalize(st);
	return ok;
}

/*
 * Every certificate of every snapshot in body order, with the label
 * that snapshot gave it and whether vetting dropped it: what each
 * snapshot's page lists, read here once so no request reads the
 * database.  After load_certs and load_snapshots.  Returns 1, or 0
 * after a warning.
 */
static int
load_held(sqlite3 *db, struct site *s)
{
	sqlite3_stmt	*st;
	struct site_held *h, *nh;
	size_t		 cap = 0, at = 0;
	int64_t		 id;
	int		 step, ok = 0;

	if ((s->heldat = calloc(s->snaps.n + 1, sizeof(*s->heldat))) ==
	    NULL) {
		warnx("out of memory");
		return 0;
	}
	if ((st = db_prepare(db, "SELECT snapshot, cert, label, dropped "
	    "FROM snapshot_cert ORDER BY snapshot, position")) == NULL)
		return 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		/* Rows and s->snaps both go by id: heldat[i] starts i. */
		id = sqlite3_column_int64(st, 0);
		while (at < s->snaps.n && s->snaps.v[at].id < id)
			s->heldat[++at] = s->nheld;
		if (at == s->snaps.n || s->snaps.v[at].id != id) {
			warnx("snapshot_cert: snapshot %" PRId64 " unknown", id);
			goto out;
		}
		if (s->nheld == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((nh = reallocarray(s->held, cap, sizeof(*nh))) ==
			    NULL) {
				warnx("out of memory");
				goto out;
			}
			s->held = nh;
		}
		h = &s->held[s->nheld];
		memset(h, 0, sizeof(*h));
		if ((h->cert = find_cert(s, (const char *)sqlite3_column_text(
		    st, 1))) == NULL) {
			warnx("snapshot %" PRId64 ": a certificate not stored",
			    id);
			goto out;
		}
		h->dropped = sqlite3_column_int(st, 3);
		if ((h->label = strdup((const char *)sqlite3_column_text(st,
		    2))) == NULL) {
			warnx("out of memory");
			goto out;
		}
		s->nheld++;
	}
	if (step != SQLITE_DONE) {
		warnx("snapshot certificates: %s", sqlite3_errmsg(db));
		goto out;
	}
	while (at < s->snaps.n)
		s->heldat[++at] = s->nheld;
	ok = 1;
 out:
	sqlite3_finalize(st);
	return ok;
}

/*
 * Snapshot at's certificates (load_held), in body order, as the
 * "roots" of /v1/snapshots/ID: sha256, label, not_after (Unix
 * seconds, as the API's other dates) and dropped.  Returns a new
 * reference, or NULL after a warning.
 */
static json_t *
held_json(const struct site *s, size_t at)
{
	const struct site_held *h;
	json_t		*a, *o;
	size_t		 i;

	if ((a = json_array()) == NULL)
		goto oom;
	for (i = s->heldat[at]; i < s->heldat[at + 1]; i++) {
		h = &s->held[i];
		if ((o = json_pack("{s:s, s:s, s:I, s:b}", "sha256",
		    h->cert->fp, "label", h->label, "not_after",
		    (json_int_t)h->cert->not_after, "dropped", h->dropped)) ==
		    NULL || json_array_append_new(a, o) == -1)
			goto oom;
	}
	return a;
 oom:
	warnx("snapshot roots: out of memory");
	json_decref(a);
	return NULL;
}

static const struct query_snapshot *
find_snapshot(const struct site *s, int64_t id, size_t *at)
{
	size_t	 lo = 0, hi = s->snaps.n, mid;

	/* By id, ascending. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->snaps.v[mid].id == id) {
			*at = mid;
			return &s->snaps.v[mid];
		}
		if (s->snaps.v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * /v1/snapshots/ID: snapshot id's report on current facts (as loaded)
 * with its decision, and "roots": every certificate it holds
 * (held_json).  Returns a new reference, or NULL with *found 0 when
 * there is no such snapshot, NULL with *found 1 after a warning.
 */
json_t *
site_snapshot_json(const struct site *s, int64_t id, int *found)
{
	const struct query_snapshot *sn;
	struct revet	 rv;
	json_t		*r = NULL;
	size_t		 at;

	*found = 0;
	if ((sn = find_snapshot(s, id, &at)) == NULL)
		return NULL;
	*found = 1;
	/* Quarantined: re-derived at load; decided: as stored. */
	if (s->revets[at].id != 0)
		r = render_report(&s->revets[at], sn);
	else {
		if (revet_stored(id, sn->report, &rv))
			r = render_report(&rv, sn);
		revet_free(&rv);
	}
	if (r != NULL && json_object_set_new(r, "roots", held_json(s, at)) !=
	    0) {
		json_decref(r);
		r = NULL;
	}
	return r;
}

/*
 * /snapshots/ID into b.  Returns 1 (*found 0: no such snapshot), or 0
 * after a warning.
 */
int
site_snapshot_html(const struct site *s, int64_t id, struct buf *b,
    int *found)
{
	json_t	*r;
	int	 ok;

	if ((r = site_snapshot_json(s, id, found)) == NULL)
		return !*found;
	ok = html_snapshot(b, r);
	json_decref(r);
	return ok;
}

/*
 * The audit log: rows after those carried read and carried, the whole
 * log copied into the site (its text stays the carry's); and the first
 * pages of /v1/audit and /audit.
 */
static int
load_audit(sqlite3 *db, struct site *s)
{
	struct query_audits more;
	struct query_audit *na;
	struct buf	 b;
	int		 ok = 0;

	buf_init(&b, 16u << 20);
	if (!query_audit(db, carry.naudit ? carry.audit[carry.naudit - 1].id :
	    0, 0, &more))
		goto out;
	if (more.n > 0) {
		if ((na = reallocarray(carry.audit, carry.naudit + more.n,
		    sizeof(*na))) == NULL)
			goto out;
		carry.audit = na;
		memcpy(na + carry.naudit, more.v, more.n * sizeof(*na));
		carry.naudit += more.n;
		free(more.v);	/* the text is the carry's now */
		memset(&more, 0, sizeof(more));
	}
	if ((s->audits.v = calloc(carry.naudit + 1, sizeof(*na))) == NULL)
		goto out;
	memcpy(s->audits.v, carry.audit, carry.naudit * sizeof(*na));
	s->audits.n = carry.naudit;
	ok = doc_json(&s->audit, site_audit_json(s, 0, SITE_AUDIT_PAGE)) &&
	    site_audit_html(s, 0, 0, SITE_AUDIT_PAGE, &b) &&
	    doc_set(&s->auditpage, b.data, b.len);
 out:
	query_audit_free(&more);
	buf_free(&b);
	return ok;
}

/*
 * /org and /exclusions, and what /cert/{sha256} says of an organization
 * CA or an exclusion: the lists as "org list --all --json" and
 * "exclude list --all --json" print them (org.c), each organization CA
 * with "profiles", those whose newest release holds it.  After
 * load_releases().
 */
static int
load_lists(sqlite3 *db, struct site *s)
{
	struct buf	 b;
	const struct site_profile *p;
	json_t		*row, *held;
	const char	*fp;
	size_t		 i, j;
	int		 ok = 0;

	buf_init(&b, 16u << 20);
	if ((s->orgs = org_list(db, 1)) == NULL ||
	    (s->excls = exclude_list(db, 1)) == NULL)
		goto out;
	json_array_foreach(s->orgs, i, row) {
		fp = json_string_value(json_object_get(row, "sha256"));
		if ((held = json_array()) == NULL ||
		    json_object_set_new(row, "profiles", held) == -1)
			goto out;
		for (j = 0; fp != NULL && j < s->nprof; j++) {
			p = &s->prof[j];
			if (build_has(p->rel[p->nrel - 1].build, fp) != NULL &&
			    json_array_append_new(held, json_string(p->name)) ==
			    -1)
				goto out;
		}
	}
	if (!html_org(&b, s->orgs) || !doc_set(&s->orgpage, b.data, b.len))
		goto out;
	buf_reset(&b);
	ok = html_exclusions(&b, s->excls) &&
	    doc_set(&s->exclpage, b.data, b.len);
 out:
	if (!ok)
		warnx("organization CAs and exclusions: out of memory");
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
		/* A full site's signatures are the carry's. */
		for (j = 0; s->partial && j < s->prof[i].nrel; j++) {
			free(s->prof[i].rel[j].sig.data);
			free(s->prof[i].rel[j].csig.data);
		}
		free(s->prof[i].rel);
		site_text_drop(s->prof[i].histtext);	/* history's bytes */
		free(s->prof[i].page.data);
	}
	free(s->prof);
	for (i = 0; i < s->nbodies; i++)
		if (s->bodyref[i] != NULL)	/* a load that failed */
			pool_drop(s->bodyref[i]);
	free(s->bodies);
	free(s->bodyref);
	for (i = 0; i < s->ncerts; i++) {
		free(s->certs[i].subject);
		free(s->certs[i].issuer);
		free(s->certs[i].serial);
		free(s->certs[i].key);
		free(s->certs[i].label);
	}
	free(s->certs);
	free(s->audits.v);	/* the text is the carry's */
	free(s->pubkey.data);
	free(s->profiles.data);
	free(s->index.data);
	free(s->upstream.data);
	free(s->quarantine.data);
	free(s->snapshots.data);
	free(s->snapshotsjson.data);
	for (i = 0; s->revets != NULL && i < s->snaps.n; i++)
		revet_free(&s->revets[i]);
	free(s->revets);
	query_snapshots_free(&s->snaps);
	for (i = 0; i < s->nheld; i++)
		free(s->held[i].label);
	free(s->held);
	free(s->heldat);
	free(s->audit.data);
	free(s->auditpage.data);
	json_decref(s->orgs);
	json_decref(s->excls);
	free(s->orgpage.data);
	free(s->exclpage.data);
	for (i = 0; i < s->nkeylists; i++) {
		free(s->keylists[i].body.data);
		for (j = 0; j < s->keylists[i].nsigs; j++)
			free(s->keylists[i].sigs[j].data);
		free(s->keylists[i].sigs);
		free(s->keylists[i].sigids);
	}
	free(s->keylists);
	if (!s->partial)
		carry_leave();
	free(s);
}

/*
 * The newest release of each profile, with its body and signature, and
 * the public key: what provisioning scripts fetch.  A start at 10,000
 * releases serves these from this while site_load() reads the rest.
 */
static int
load_newest(sqlite3 *db, struct site *s)
{
	sqlite3_stmt	*st;
	struct site_profile *p;
	struct site_release *r;
	const char	*name, *hex;
	size_t		 cap = 0;
	void		*nv;
	int		 step, ok = 0;

	if ((st = db_prepare(db, "SELECT r.profile, r.version, r.created, "
	    "r.expires, r.signature, r.keyid, r.reason, b.body_sha256, "
	    "b.constraints, x.signature FROM release r JOIN build b ON b.id = "
	    "r.build LEFT JOIN release_constraints x ON x.profile = r.profile "
	    "AND x.version = r.version WHERE r.version = (SELECT max(version) "
	    "FROM release WHERE profile = r.profile) ORDER BY r.profile")) ==
	    NULL)
		return 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (s->nprof == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = reallocarray(s->prof, cap,
			    sizeof(*s->prof))) == NULL)
				goto out;
			s->prof = nv;
		}
		p = &s->prof[s->nprof];
		memset(p, 0, sizeof(*p));
		if ((p->rel = calloc(1, sizeof(*p->rel))) == NULL)
			goto out;
		s->nprof++;
		p->nrel = 1;
		r = &p->rel[0];
		name = (const char *)sqlite3_column_text(st, 0);
		hex = (const char *)sqlite3_column_text(st, 7);
		if (name == NULL || strlen(name) >= sizeof(p->name) ||
		    hex == NULL || strlen(hex) != 64 ||
		    !col_copy(st, 5, r->key_id, sizeof(r->key_id)) ||
		    !col_copy(st, 6, r->reason, sizeof(r->reason))) {
			warnx("newest releases: malformed row");
			goto out;
		}
		memcpy(p->name, name, strlen(name) + 1);
		r->version = sqlite3_column_int64(st, 1);
		r->created = sqlite3_column_int64(st, 2);
		r->expires = sqlite3_column_int64(st, 3);
		if (!doc_set(&r->sig, sqlite3_column_text(st, 4),
		    (size_t)sqlite3_column_bytes(st, 4)))
			goto out;
		if ((r->body = find_body(s, hex)) == NULL) {
			warnx("%s version %" PRId64 ": body missing", p->name,
			    r->version);
			goto out;
		}
		hex = (const char *)sqlite3_column_text(st, 8);
		if ((hex == NULL) != (sqlite3_column_type(st, 9) ==
		    SQLITE_NULL) || (hex != NULL && ((r->cbody = find_body(s,
		    hex)) == NULL || !doc_set(&r->csig,
		    sqlite3_column_text(st, 9),
		    (size_t)sqlite3_column_bytes(st, 9))))) {
			warnx("%s version %" PRId64 ": constraints document "
			    "or its signature missing", p->name, r->version);
			goto out;
		}
	}
	ok = step == SQLITE_DONE;
 out:
	sqlite3_finalize(st);
	return ok;
}

/*
 * A site from the database, in one read transaction: the whole of it,
 * or (newest) what load_newest() reads, marked partial.
 */
static struct site *
load(sqlite3 *db, int newest)
{
	struct site	*s;
	struct timespec	 t0, t1;
	int		 ok = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		warnx("out of memory");
		return NULL;
	}
	s->refs = 1;
	s->holds = 1;
	s->partial = newest;
	s->loaded = (int64_t)time(NULL);
	if (!newest)
		carry_enter();
	if (!db_exec(db, "BEGIN"))
		goto out;
	if (newest) {
		if ((s->generation = site_generation(db)) < 0 ||
		    !load_bodies(db, s, 1) || !load_newest(db, s) ||
		    !load_pubkey(db, s) || !load_keylists(db, s))
			goto out;
	} else if ((s->generation = site_generation(db)) < 0 ||
	    !carry_valid(db) || !load_bodies(db, s, 0) ||
	    !load_audit(db, s) || !load_releases(db, s) ||
	    !load_certs(db, s) ||
	    !load_profile_docs(db, s) || !load_pubkey(db, s) ||
	    !load_keylists(db, s) || !load_state(db, s) || !load_profiles(db, s) ||
	    !load_snapshots(db, s) || !load_held(db, s) || !load_lists(db, s))
		goto out;
	ok = 1;
 out:
	db_rollback(db);
	if (!ok) {
		site_free(s);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s->load_seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return s;
}

/*
 * Load a site from the database in one read transaction.  Returns it
 * with one reference (site_unref it), or NULL after a warning.
 */
struct site *
site_load(sqlite3 *db)
{
	return load(db, 0);
}

/*
 * Load the part of a site that a start serves first (load_newest()),
 * marked partial: the HTTP server answers only those routes from it
 * and holds the rest until site_load()'s site replaces it.  Returns it
 * with one reference, or NULL after a warning.
 */
struct site *
site_load_newest(sqlite3 *db)
{
	return load(db, 1);
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
	for (i = 0; i < s->nprof; i++, n += 2) {
		fn(&s->prof[i].history);
		fn(&s->prof[i].page);
		for (j = 0; j < s->prof[i].nrel; j++, n += 2) {
			fn(&s->prof[i].rel[j].sig);
			fn(&s->prof[i].rel[j].csig);
		}
	}
	fn(&s->pubkey);
	fn(&s->profiles);
	fn(&s->index);
	fn(&s->upstream);
	fn(&s->quarantine);
	fn(&s->snapshots);
	fn(&s->snapshotsjson);
	fn(&s->audit);
	fn(&s->auditpage);
	fn(&s->orgpage);
	fn(&s->exclpage);
	for (i = 0; i < s->nkeylists; i++, n++) {
		fn(&s->keylists[i].body);
		for (j = 0; j < s->keylists[i].nsigs; j++, n++)
			fn(&s->keylists[i].sigs[j]);
	}
	return n + 9;
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
