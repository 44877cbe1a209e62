/*
 * http.c - the read-only HTTP mirror on libmicrohttpd (BRIEF.md "HTTP
 * contract (v1)").
 *
 * An internal polling thread with epoll and a thread pool; every
 * document comes from memory, never from the database: the in-memory
 * site (site.c) holds the releases and the documents that change with
 * them, sent without a copy, each response holding a reference to the
 * site it came from, so a reload never frees bytes still being sent.
 * What never changes once made (a diff, a release page) is made from
 * the site on first request and kept in a cache that outlives reloads.
 * GET and HEAD only: there is no write endpoint.  Paths are matched
 * against a strict grammar; anything else is 404 before it touches
 * anything.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "buf.h"
#include "html.h"
#include "http.h"
#include "meta.h"
#include "num.h"
#include "p11kit.h"
#include "render_json.h"
#include "route.h"
#include "site.h"
#include "tls.h"

#define CONN_MEMORY_LIMIT	(32 * 1024)	/* request line + headers */
#define URL_MAX			512
#define AUDIT_PAGE_MAX		1000
#define CACHE_SLOTS		8192	/* a power of two */
#define CACHE_ENTRIES		(CACHE_SLOTS / 2)
#define CACHE_BYTES		(32u << 20)
#define MMAP_THRESHOLD		(64 * 1024)
#define WHOLE_WAIT_MS		2000	/* a request during a start */
#define CT_PEM		"application/x-pem-file"
#define CT_JSON		"application/json"
#define CT_P11KIT	"text/plain; charset=utf-8"
#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_HTML		"text/html; charset=utf-8"
#define CT_METRICS	"text/plain; version=0.0.4"
#define CC_IMMUTABLE	"public, max-age=31536000, immutable"
#define CC_NONE		"no-store"
/*
 * Pages: no script, frame or outside resource, whatever they say; a
 * form only to this mirror (the search).
 */
#define CSP_HTML	"default-src 'none'; style-src 'unsafe-inline'; " \
			"base-uri 'none'; form-action 'self'; " \
			"frame-ancestors 'none'"

/* The metrics label of each route, in enum route's order. */
static const char *const route_names[] = {
	"none", "index", "healthz", "metrics", "pubkey", "profiles",
	"latest_pem", "latest_sig", "version_pem", "version_sig", "history",
	"diff", "upstream", "audit", "page_profile", "page_release",
	"page_quarantine", "page_audit", "page_cert", "keys", "keys_sig",
	"keys_version", "keys_version_sig", "latest_constraints",
	"latest_constraints_sig", "latest_p11kit", "version_constraints",
	"version_constraints_sig", "version_p11kit", "page_org",
	"page_exclusions", "page_search", "page_snapshots", "page_snapshot",
	"snapshots", "snapshot",
};
/* A route added to route.h without a name here stops the build. */
_Static_assert(sizeof(route_names) / sizeof(route_names[0]) == R__MAX,
    "route_names: one name for each enum route");

static const unsigned statuses[] = { 200, 304, 400, 404, 405, 500, 503 };
#define NSTATUS	(sizeof(statuses) / sizeof(statuses[0]))

/* Per request: what the access log and the metrics need. */
struct req {
	int		 seen;
	enum route	 route;
	unsigned	 status;
	size_t		 bytes;
	struct timespec	 t0;
	char		 method[8];
	char		 url[URL_MAX / 4];
};

/*
 * A document that never changes once made (a diff, a release page),
 * under a key that names it and the releases it was made from (their
 * signatures' ETags): a database whose releases were replaced makes
 * other keys.  Entries are added, never removed, until http_stop.
 */
struct centry {
	char		*key;
	struct doc	 doc;
	const char	*ctype;
	const char	*cache;
};

struct http {
	struct MHD_Daemon *d;
	pthread_mutex_t	 lock;
	struct site	*site;		/* under lock */
	pthread_cond_t	 whole;		/* a whole site, or stopping */
	int		 stopping;	/* under lock */
	struct centry	**slots;	/* CACHE_SLOTS, atomic */
	size_t		 centries;	/* atomic */
	size_t		 cbytes;	/* atomic */
	const struct http_opts *opts;
	char		 latest[64];	/* Cache-Control of latest paths */
	uint64_t	 count[R__MAX][NSTATUS];	/* atomic */
	uint64_t	 bytes;				/* atomic */
	struct buf	 tls_cert, tls_key;	/* PEM; empty without TLS */
};

static void	retire_site(struct site *);

static struct site *
current(struct http *h)
{
	struct site	*s;

	pthread_mutex_lock(&h->lock);
	if ((s = h->site) != NULL)
		site_ref(s);
	pthread_mutex_unlock(&h->lock);
	return s;
}

/*
 * The whole site, waited for (at most WHOLE_WAIT_MS) while a start
 * serves only the newest releases; NULL when it has not come.
 */
static struct site *
current_whole(struct http *h)
{
	struct site	*s = NULL;
	struct timespec	 until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += WHOLE_WAIT_MS / 1000;
	until.tv_nsec += (WHOLE_WAIT_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&h->lock);
	while (!h->stopping && (h->site == NULL || h->site->partial))
		if (pthread_cond_timedwait(&h->whole, &h->lock, &until) ==
		    ETIMEDOUT)
			break;
	if (h->site != NULL && !h->site->partial) {
		s = h->site;
		site_ref(s);
	}
	pthread_mutex_unlock(&h->lock);
	return s;
}

/*
 * Serve a new site from now on; the old one goes when its last response
 * is sent.  Takes the caller's reference.
 */
void
http_set_site(struct http *h, struct site *s)
{
	struct site	*old;

	s->retire = retire_site;
	pthread_mutex_lock(&h->lock);
	old = h->site;
	h->site = s;
	if (!s->partial)
		pthread_cond_broadcast(&h->whole);
	pthread_mutex_unlock(&h->lock);
	site_unref(old);
}

/* A prepared response with a body was sent for the last time. */
static void
release_site_cb(void *cls)
{
	site_unhold(cls);
}

static void
retire_doc(struct doc *d)
{
	size_t	 i;

	for (i = 0; i < DOC_PREP; i++)
		if (d->prep[i] != NULL) {
			MHD_destroy_response(d->prep[i]);
			d->prep[i] = NULL;
		}
}

/* No request can reach the site's prepared responses any more. */
static void
retire_site(struct site *s)
{
	site_foreach_doc(s, retire_doc);
}

/* If-None-Match holds this strong validator (or "*"). */
static int
etag_matches(struct MHD_Connection *c, const char *etag)
{
	const char	*inm, *p;
	size_t		 n = strlen(etag);

	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm == NULL)
		return 0;
	for (p = inm; *p != '\0'; p++) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '*')
			return 1;
		if (strncmp(p, etag, n) == 0 &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return 1;
		while (*p != '\0' && *p != ',')
			p++;
		if (*p == '\0')
			break;
	}
	return 0;
}

/*
 * Content-Type, never to be second-guessed by a browser, and for pages
 * a Content-Security-Policy: defence in depth behind the escaping.
 */
static enum MHD_Result
add_type(struct MHD_Response *r, const char *ctype)
{
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) !=
	    MHD_YES || MHD_add_response_header(r, "X-Content-Type-Options",
	    "nosniff") != MHD_YES)
		return MHD_NO;
	if (strcmp(ctype, CT_HTML) == 0)
		return MHD_add_response_header(r, "Content-Security-Policy",
		    CSP_HTML);
	return MHD_YES;
}

static enum MHD_Result
queue(struct MHD_Connection *c, struct req *rq, unsigned status,
    struct MHD_Response *r, size_t len)
{
	enum MHD_Result	 ret;

	if (r == NULL)
		return MHD_NO;
	rq->status = status;
	rq->bytes = len;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
send_text(struct MHD_Connection *c, struct req *rq, unsigned status,
    const char *ctype, const char *text)
{
	struct MHD_Response	*r;
	size_t			 len = strlen(text);

	r = MHD_create_response_from_buffer(len, (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	add_type(r, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, CC_NONE);
	return queue(c, rq, status, r, len);
}

/* 503 with Retry-After: the whole site is still being read. */
static enum MHD_Result
send_loading(struct MHD_Connection *c, struct req *rq)
{
	struct MHD_Response	*r;
	static const char	 text[] = "starting; try again\n";

	r = MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	add_type(r, CT_TEXT);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, CC_NONE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	return queue(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, r,
	    sizeof(text) - 1);
}

/*
 * The response for a document, prepared on first use and kept in the
 * document: a 200 pointing at its bytes (holding the site's bytes
 * until MHD is done with it) or a bodiless 304.  Concurrent first uses
 * race with a compare-and-swap; the loser destroys its copy.
 */
static struct MHD_Response *
prepared(struct site *s, struct doc *d, int slot, const char *ctype,
    const char *cache)
{
	struct MHD_Response	*r, *have = NULL;
	int			 nm = slot & 1;

	if ((r = __atomic_load_n(&d->prep[slot], __ATOMIC_ACQUIRE)) != NULL)
		return r;
	if (nm)
		r = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
	else if (s == NULL)	/* a cache entry: kept until http_stop */
		r = MHD_create_response_from_buffer(d->len, d->data,
		    MHD_RESPMEM_PERSISTENT);
	else {
		site_hold(s);
		if ((r = MHD_create_response_from_buffer_with_free_callback_cls(
		    d->len, d->data, release_site_cb, s)) == NULL)
			site_unhold(s);
	}
	if (r == NULL)
		return NULL;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, d->etag) !=
	    MHD_YES || MHD_add_response_header(r,
	    MHD_HTTP_HEADER_CACHE_CONTROL, cache) != MHD_YES || (!nm &&
	    add_type(r, ctype) != MHD_YES)) {
		MHD_destroy_response(r);
		return NULL;
	}
	if (!__atomic_compare_exchange_n((struct MHD_Response **)
	    &d->prep[slot], &have, r, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		MHD_destroy_response(r);
		return have;
	}
	return r;
}

/*
 * A document from its prepared response, with that caching (a document
 * is always sent with the same one: slot 0 and 1 for latest or pages,
 * 2 and 3 for immutable).  s: the site it belongs to, NULL for a cache
 * entry.
 */
static enum MHD_Result
send_prepared(struct MHD_Connection *c, struct req *rq, struct site *s,
    struct doc *d, const char *ctype, const char *cache, int immutable)
{
	struct MHD_Response	*r;
	int			 nm = etag_matches(c, d->etag);

	if ((r = prepared(s, d, immutable * 2 + nm, ctype, cache)) == NULL)
		return MHD_NO;
	rq->status = nm ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK;
	rq->bytes = nm ? 0 : d->len;
	return MHD_queue_response(c, rq->status, r);
}

/*
 * A document of site s, from its prepared response (latest or
 * immutable caching); takes the caller's reference to s.
 */
static enum MHD_Result
send_doc(struct http *h, struct MHD_Connection *c, struct req *rq,
    struct site *s, struct doc *d, const char *ctype, int immutable)
{
	enum MHD_Result		 ret;

	ret = send_prepared(c, rq, s, d, ctype, immutable ? CC_IMMUTABLE :
	    h->latest, immutable);
	site_unref(s);
	return ret;
}

/* A page of site s (no-store); takes the caller's reference to s. */
static enum MHD_Result
send_page(struct MHD_Connection *c, struct req *rq, struct site *s,
    struct doc *d)
{
	enum MHD_Result		 ret;

	ret = send_prepared(c, rq, s, d, CT_HTML, CC_NONE, 0);
	site_unref(s);
	return ret;
}

/*
 * Bytes made for this request (s, len; NULL: failed), sent with their
 * ETag (304 when the client has it).
 */
static enum MHD_Result
send_made(struct MHD_Connection *c, struct req *rq, const void *s,
    size_t len, const char *ctype, const char *cache)
{
	struct MHD_Response	*r;
	struct doc		 d;

	memset(&d, 0, sizeof(d));
	if (s == NULL || !doc_set(&d, s, len)) {
		free(d.data);
		return send_text(c, rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    CT_TEXT, "internal error\n");
	}
	if (etag_matches(c, d.etag)) {
		free(d.data);
		d.data = NULL;
		d.len = 0;
		r = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
	} else
		r = MHD_create_response_from_buffer(d.len, d.data,
		    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(d.data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, d.etag);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
	if (d.data == NULL)
		return queue(c, rq, MHD_HTTP_NOT_MODIFIED, r, 0);
	add_type(r, ctype);
	return queue(c, rq, MHD_HTTP_OK, r, d.len);
}

/* A JSON value made for this request; takes the reference. */
static enum MHD_Result
send_json(struct MHD_Connection *c, struct req *rq, json_t *o,
    const char *cache)
{
	enum MHD_Result	 ret;
	char		*s;

	s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) :
	    NULL;
	json_decref(o);
	ret = send_made(c, rq, s, s != NULL ? strlen(s) : 0, CT_JSON, cache);
	free(s);
	return ret;
}

/* A query argument that must be a number in 0..max; def when absent. */
static int
query_num(struct MHD_Connection *c, const char *name, int64_t def,
    int64_t max, int64_t *v)
{
	const char	*s;
	uint64_t	 u;

	*v = def;
	s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	if (s == NULL)
		return 1;
	if (strcmp(s, "0") == 0) {
		*v = 0;
		return 1;
	}
	if (!num_u63(s, strlen(s), &u) || u > (uint64_t)max)
		return 0;
	*v = (int64_t)u;
	return 1;
}

static uint64_t
cache_hash(const char *k)
{
	uint64_t	 x = 1469598103934665603ULL;	/* FNV-1a */

	for (; *k != '\0'; k++)
		x = (x ^ (unsigned char)*k) * 1099511628211ULL;
	return x;
}

/* The cached document under key, or NULL. */
static struct centry *
cache_get(struct http *h, const char *key)
{
	struct centry	*e;
	size_t		 i = cache_hash(key) & (CACHE_SLOTS - 1);

	while ((e = __atomic_load_n(&h->slots[i], __ATOMIC_ACQUIRE)) !=
	    NULL) {
		if (strcmp(e->key, key) == 0)
			return e;
		i = (i + 1) & (CACHE_SLOTS - 1);
	}
	return NULL;
}

/*
 * Keep e (its key and doc set): returns e, or the entry another thread
 * put there first (free e), or NULL when the cache is full (the caller
 * sends e's bytes itself and frees e).
 */
static struct centry *
cache_put(struct http *h, struct centry *e)
{
	struct centry	*have;
	size_t		 i = cache_hash(e->key) & (CACHE_SLOTS - 1);

	if (__atomic_add_fetch(&h->centries, 1, __ATOMIC_ACQ_REL) >
	    CACHE_ENTRIES || __atomic_add_fetch(&h->cbytes, e->doc.len,
	    __ATOMIC_ACQ_REL) > CACHE_BYTES) {
		/* Full for good: the counters stay above the limits. */
		return NULL;
	}
	for (;;) {
		have = NULL;
		if (__atomic_compare_exchange_n(&h->slots[i], &have, e, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return e;
		if (strcmp(have->key, e->key) == 0) {
			__atomic_sub_fetch(&h->centries, 1, __ATOMIC_ACQ_REL);
			__atomic_sub_fetch(&h->cbytes, e->doc.len,
			    __ATOMIC_ACQ_REL);
			return have;
		}
		i = (i + 1) & (CACHE_SLOTS - 1);
	}
}

static void
centry_free(struct centry *e)
{
	size_t	 i;

	if (e == NULL)
		return;
	for (i = 0; i < DOC_PREP; i++)
		if (e->doc.prep[i] != NULL)
			MHD_destroy_response(e->doc.prep[i]);
	free(e->doc.data);
	free(e->key);
	free(e);
}

/*
 * Send the document under key from the cache, or make it with make(),
 * keep it and send it.  Returns what MHD_queue_response() does; a
 * document make() cannot find (*found 0) is a 404 saying notfound.
 */
static enum MHD_Result
send_cached(struct MHD_Connection *c, struct req *rq, struct http *h,
    const char *key, const char *ctype, const char *cache,
    int (*make)(const void *, struct buf *, int *), const void *arg,
    const char *notfound)
{
	struct centry	*e, *have;
	struct buf	 b;
	enum MHD_Result	 ret;
	int		 found = 1, ok;

	if ((e = cache_get(h, key)) != NULL)
		return send_prepared(c, rq, NULL, &e->doc, ctype, cache, 0);
	buf_init(&b, 16u << 20);
	ok = make(arg, &b, &found);
	if (ok && !found) {
		buf_free(&b);
		return send_text(c, rq, MHD_HTTP_NOT_FOUND, CT_TEXT, notfound);
	}
	if (!ok || (e = calloc(1, sizeof(*e))) == NULL ||
	    (e->key = strdup(key)) == NULL || !doc_set(&e->doc, b.data, b.len)) {
		buf_free(&b);
		centry_free(e);
		return send_text(c, rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    CT_TEXT, "internal error\n");
	}
	buf_free(&b);
	e->ctype = ctype;
	e->cache = cache;
	if ((have = cache_put(h, e)) != NULL) {
		if (have != e)
			centry_free(e);
		return send_prepared(c, rq, NULL, &have->doc, ctype, cache, 0);
	}
	ret = send_made(c, rq, e->doc.data, e->doc.len, ctype, cache);
	centry_free(e);
	return ret;
}

/* What a cached document is made from. */
struct making {
	const struct site *s;
	const struct site_profile *p;
	int64_t		 a, b;
};

static int
make_diff(const void *arg, struct buf *b, int *found)
{
	const struct making *m = arg;
	json_t		*o;
	char		*t;
	int		 ok;

	if ((o = site_diff_json(m->s, m->p, m->a, m->b, found)) == NULL)
		return !*found;
	t = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	ok = t != NULL && buf_append(b, t, strlen(t));
	free(t);
	return ok;
}

static int
make_release_page(const void *arg, struct buf *b, int *found)
{
	const struct making *m = arg;

	return site_release_html(m->s, m->p, m->a, b, found);
}

/* cacert.p11-kit of release m->a: its bundle and constraints. */
static int
make_p11kit(const void *arg, struct buf *b, int *found)
{
	const struct making *m = arg;
	struct site_release *r;

	if ((r = site_release((struct site_profile *)m->p, m->a)) == NULL) {
		*found = 0;
		return 1;
	}
	return p11kit_render(r->body->data, r->body->len, r->cbody != NULL ?
	    r->cbody->data : NULL, r->cbody != NULL ? r->cbody->len : 0, b);
}

/*
 * The key of a document made from releases a and b (b 0: a alone) of a
 * profile: their versions and signatures.  0 when a release is missing.
 */
static int
cache_key(char *key, size_t sz, const char *kind, struct site_profile *p,
    int64_t a, int64_t b)
{
	struct site_release *ra, *rb = NULL;
	size_t		 i;
	int		 n;

	if ((ra = site_release(p, a)) == NULL || (b != 0 &&
	    (rb = site_release(p, b)) == NULL))
		return 0;
	if (b == 0 && (i = (size_t)(ra - p->rel)) > 0)
		rb = &p->rel[i - 1];	/* a release page shows its diff */
	n = snprintf(key, sz, "%s/%s/%" PRId64 "/%" PRId64 "/%s/%s", kind,
	    p->name, a, b, ra->sig.etag, rb != NULL ? rb->sig.etag : "");
	return n > 0 && (size_t)n < sz;
}

/* A history query: ?before=VERSION&limit=N, either may be absent. */
static int
history_args(struct MHD_Connection *c, int64_t *before, int64_t *limit)
{
	if (!query_num(c, "before", 0, INT64_MAX, before) ||
	    (*before == 0 && MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "before") != NULL) ||
	    !query_num(c, "limit", 0, HISTORY_PAGE_MAX, limit) ||
	    (*limit == 0 && MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "limit") != NULL))
		return 0;
	return 1;
}

/*
 * /v1/{profile}/history: without arguments the whole history, made at
 * load; with ?before=&limit= a page of it ({rows, next}) from memory.
 * Takes the caller's reference to s.
 */
static enum MHD_Result
serve_history(struct http *h, struct MHD_Connection *c, struct req *rq,
    struct site *s, struct site_profile *p)
{
	struct buf	 b;
	enum MHD_Result	 ret;
	int64_t		 before, limit;

	if (!history_args(c, &before, &limit)) {
		site_unref(s);
		return send_text(c, rq, MHD_HTTP_BAD_REQUEST, CT_TEXT,
		    "before: a version; limit: 1 to 1000\n");
	}
	if (before == 0 && limit == 0)
		return send_doc(h, c, rq, s, &p->history, CT_JSON, 0);
	buf_init(&b, HISTORY_MAX);
	ret = site_history_json(p, before, limit ? limit : HISTORY_PAGE, &b) ?
	    send_made(c, rq, b.data, b.len, CT_JSON, h->latest) :
	    send_text(c, rq, MHD_HTTP_INTERNAL_SERVER_ERROR, CT_TEXT,
	    "internal error\n");
	buf_free(&b);
	site_unref(s);
	return ret;
}

/*
 * /v1/upstream and /v1/audit: made at load; a page of the audit log
 * other than the first ({rows, next}; ?after=ID&limit=N) from memory.
 * Takes the caller's reference to s.
 */
static enum MHD_Result
serve_json(struct http *h, struct MHD_Connection *c, struct req *rq,
    struct site *s, const struct target *t)
{
	enum MHD_Result	 ret;
	int64_t		 after, limit;

	if (t->route == R_UPSTREAM)
		return send_doc(h, c, rq, s, &s->upstream, CT_JSON, 0);
	if (!query_num(c, "after", 0, INT64_MAX, &after) ||
	    !query_num(c, "limit", SITE_AUDIT_PAGE, AUDIT_PAGE_MAX, &limit) ||
	    limit == 0) {
		site_unref(s);
		return send_text(c, rq, MHD_HTTP_BAD_REQUEST, CT_TEXT,
		    "after: an audit id; limit: 1 to 1000\n");
	}
	if (after == 0 && limit == SITE_AUDIT_PAGE)
		return send_doc(h, c, rq, s, &s->audit, CT_JSON, 0);
	ret = send_json(c, rq, site_audit_json(s, after, limit), h->latest);
	site_unref(s);
	return ret;
}

/*
 * The pages for people: the moving ones made at load, a release page
 * from the cache, older pages of history and audit and the certificate
 * pages from memory.  Takes the caller's reference to s.
 */
static enum MHD_Result
serve_page(struct http *h, struct MHD_Connection *c, struct req *rq,
    struct site *s, struct site_profile *p, const struct target *t)
{
	struct making	 m;
	struct buf	 b;
	enum MHD_Result	 ret;
	char		 key[512];
	const char	*raw;
	char		 q[SEARCH_QUERY_MAX + 1] = "";
	int64_t		 after = 0, before = 0, limit = 0;
	int		 ok = 0, found = 1;

	if ((t->route == R_PAGE_AUDIT && (!query_num(c, "after", 0,
	    INT64_MAX, &after) || !query_num(c, "before", 0, INT64_MAX,
	    &before) || (after != 0 && before != 0) ||
	    !query_num(c, "limit", SITE_AUDIT_PAGE, AUDIT_PAGE_MAX, &limit) ||
	    limit == 0)) ||
	    (t->route == R_PAGE_PROFILE &&
	    !history_args(c, &before, &limit))) {
		site_unref(s);
		return send_text(c, rq, MHD_HTTP_BAD_REQUEST, CT_TEXT,
		    t->route == R_PAGE_AUDIT ? "after or before: an audit id; "
		    "limit: 1 to 1000\n" :
		    "before: a version; limit: 1 to 1000\n");
	}
	/* The query is hostile: bounded, decoded strictly, then escaped. */
	if (t->route == R_PAGE_SEARCH && (raw = MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "q")) != NULL &&
	    !route_unescape(raw, q, sizeof(q))) {
		site_unref(s);
		return send_text(c, rq, MHD_HTTP_BAD_REQUEST, CT_TEXT,
		    "q: at most 128 bytes, no control characters\n");
	}
	switch (t->route) {
	case R_PAGE_QUARANTINE:
		return send_page(c, rq, s, &s->quarantine);
	case R_PAGE_ORG:
		return send_page(c, rq, s, &s->orgpage);
	case R_PAGE_EXCLUSIONS:
		return send_page(c, rq, s, &s->exclpage);
	case R_PAGE_SNAPSHOTS:
		return send_page(c, rq, s, &s->snapshots);
	case R_PAGE_AUDIT:
		if (after == 0 && before == 0 && limit == SITE_AUDIT_PAGE)
			return send_page(c, rq, s, &s->auditpage);
		break;
	case R_PAGE_PROFILE:
		if (before == 0 && limit == 0)
			return send_page(c, rq, s, &p->page);
		break;
	case R_PAGE_RELEASE:
		if (!cache_key(key, sizeof(key), "p", p, t->a, 0)) {
			site_unref(s);
			return send_text(c, rq, MHD_HTTP_NOT_FOUND, CT_TEXT,
			    "not found\n");
		}
		m.s = s;
		m.p = p;
		m.a = t->a;
		m.b = 0;
		ret = send_cached(c, rq, h, key, CT_HTML, CC_NONE,
		    make_release_page, &m, "not found\n");
		site_unref(s);
		return ret;
	default:
		break;
	}
	buf_init(&b, 16u << 20);
	if (t->route == R_PAGE_AUDIT)
		ok = site_audit_html(s, before, after, limit, &b);
	else if (t->route == R_PAGE_SEARCH)
		ok = site_search_html(s, q, &b);
	else if (t->route == R_PAGE_PROFILE)
		ok = site_history_html(p, before, limit ? limit : HISTORY_PAGE,
		    &b);
	else if (t->route == R_PAGE_SNAPSHOT)
		ok = site_snapshot_html(s, t->a, &b, &found);
	else
		ok = site_cert_html(s, t->fp, &b, &found);
	site_unref(s);
	if (ok && !found)
		ret = send_text(c, rq, MHD_HTTP_NOT_FOUND, CT_TEXT,
		    "not found\n");
	else
		ret = send_made(c, rq, ok ? b.data : NULL, b.len, CT_HTML,
		    CC_NONE);
	buf_free(&b);
	return ret;
}

/*
 * /v1/{profile}/diff/{a}/{b}: from the cache, made from memory on
 * first request.  Takes the caller's reference to s.
 */
static enum MHD_Result
serve_diff(struct http *h, struct MHD_Connection *c, struct req *rq,
    struct site *s, struct site_profile *p, const struct target *t)
{
	struct making	 m;
	enum MHD_Result	 ret;
	char		 key[512];

	if (!cache_key(key, sizeof(key), "d", p, t->a, t->b)) {
		site_unref(s);
		return send_text(c, rq, MHD_HTTP_NOT_FOUND, CT_TEXT,
		    "no such version\n");
	}
	m.s = s;
	m.p = p;
	m.a = t->a;
	m.b = t->b;
	ret = send_cached(c, rq, h, key, CT_JSON, CC_IMMUTABLE, make_diff, &m,
	    "no such version\n");
	site_unref(s);
	return ret;
}

/*
 * A release's constraints document, its signature (sig) or its
 * cacert.p11-kit (p11kit), latest (r the newest) or immutable; 404
 * for a release without dated roots.  Takes the caller's reference
 * to s.
 */
static enum MHD_Result
serve_constraints(struct http *h, struct MHD_Connection *c,
    struct req *rq, struct site *s, struct site_profile *p,
    struct site_release *r, int what, int immutable)
{
	struct making	 m;
	enum MHD_Result	 ret;
	char		 key[512];
	int		 n;

	if (what == 'p') {
		/* Made from the release's signed bytes, named by its sig. */
		n = snprintf(key, sizeof(key), "k/%s/%" PRId64 "/%s", p->name,
		    r->version, r->sig.etag);
		if (n < 0 || (size_t)n >= sizeof(key)) {
			site_unref(s);
			return send_text(c, rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    CT_TEXT, "internal error\n");
		}
		m.s = s;
		m.p = p;
		m.a = r->version;
		m.b = 0;
		ret = send_cached(c, rq, h, key, CT_P11KIT, immutable ?
		    CC_IMMUTABLE : h->latest, make_p11kit, &m,
		    "no such version\n");
		site_unref(s);
		return ret;
	}
	if (r->cbody == NULL) {
		site_unref(s);
		return send_text(c, rq, MHD_HTTP_NOT_FOUND, CT_TEXT,
		    "no constraints: no root of this release has a "
		    "distrust-after date\n");
	}
	return send_doc(h, c, rq, s, what == 's' ? &r->csig : r->cbody,
	    what == 's' ? CT_TEXT : CT_JSON, immutable);
}

static enum MHD_Result
serve_metrics(struct http *h, struct MHD_Connection *c, struct req *rq,
    const struct site *s)
{
	struct MHD_Response	*r;
	FILE			*f;
	char			*text = NULL;
	size_t			 len = 0, i, j;
	int64_t			 now = (int64_t)time(NULL);
	uint64_t		 n;

	if ((f = open_memstream(&text, &len)) == NULL)
		return MHD_NO;
	fprintf(f, "# HELP cabundle_http_requests_total Requests by route "
	    "and status.\n# TYPE cabundle_http_requests_total counter\n");
	for (i = 0; i < R__MAX; i++)
		for (j = 0; j < NSTATUS; j++)
			if ((n = __atomic_load_n(&h->count[i][j],
			    __ATOMIC_RELAXED)) != 0)
				fprintf(f, "cabundle_http_requests_total{route="
				    "\"%s\",status=\"%u\"} %" PRIu64 "\n",
				    route_names[i], statuses[j], n);
	fprintf(f, "# HELP cabundle_http_sent_bytes_total Body bytes sent.\n"
	    "# TYPE cabundle_http_sent_bytes_total counter\n"
	    "cabundle_http_sent_bytes_total %" PRIu64 "\n",
	    __atomic_load_n(&h->bytes, __ATOMIC_RELAXED));
	fprintf(f, "# HELP cabundle_release_version Latest version per "
	    "profile.\n# TYPE cabundle_release_version gauge\n");
	for (i = 0; i < s->nprof; i++)
		fprintf(f, "cabundle_release_version{profile=\"%s\"} %" PRId64
		    "\n", s->prof[i].name,
		    s->prof[i].rel[s->prof[i].nrel - 1].version);
	fprintf(f, "# HELP cabundle_signature_expiry_seconds Seconds until "
	    "the latest signature expires.\n"
	    "# TYPE cabundle_signature_expiry_seconds gauge\n");
	for (i = 0; i < s->nprof; i++)
		fprintf(f, "cabundle_signature_expiry_seconds{profile=\"%s\"} "
		    "%" PRId64 "\n", s->prof[i].name,
		    s->prof[i].rel[s->prof[i].nrel - 1].expires - now);
	fprintf(f, "# HELP cabundle_certificate_expiry_days Days until the "
	    "soonest certificate expiry in the latest release.\n"
	    "# TYPE cabundle_certificate_expiry_days gauge\n");
	for (i = 0; i < s->nprof; i++)
		fprintf(f, "cabundle_certificate_expiry_days{profile=\"%s\"} "
		    "%" PRId64 "\n", s->prof[i].name,
		    (s->prof[i].cert_expiry - now) / 86400);
	fprintf(f, "# HELP cabundle_quarantined_snapshots Snapshots waiting "
	    "for approve or reject.\n"
	    "# TYPE cabundle_quarantined_snapshots gauge\n"
	    "cabundle_quarantined_snapshots %" PRId64 "\n", s->quarantined);
	fprintf(f, "# HELP cabundle_site_load_seconds Time the last load of "
	    "the site from the database took.\n"
	    "# TYPE cabundle_site_load_seconds gauge\n"
	    "cabundle_site_load_seconds %.6f\n", s->load_seconds);
	if (s->last_fetch_ok)
		fprintf(f, "# HELP cabundle_last_fetch_age_seconds Seconds "
		    "since the last successful fetch.\n"
		    "# TYPE cabundle_last_fetch_age_seconds gauge\n"
		    "cabundle_last_fetch_age_seconds %" PRId64 "\n",
		    now - s->last_fetch_ok);
	if (fclose(f) != 0 || text == NULL) {
		free(text);
		return MHD_NO;
	}
	if ((r = MHD_create_response_from_buffer(len, text,
	    MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(text);
		return MHD_NO;
	}
	add_type(r, CT_METRICS);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, CC_NONE);
	return queue(c, rq, MHD_HTTP_OK, r, len);
}

static enum MHD_Result
dispatch(struct http *h, struct MHD_Connection *c, struct req *rq,
    const struct target *t)
{
	struct site_profile *p = NULL;
	struct site_release *r = NULL;
	struct site	*s;

	/* Healthy means ready: a site is loaded and every route answers. */
	if ((s = current(h)) == NULL)
		return send_text(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, CT_TEXT,
		    "not ready\n");
	/*
	 * Starting: the newest bundles and the key are served at once,
	 * the rest once the whole site is read (a moment's wait).
	 */
	if (s->partial && t->route != R_LATEST_PEM &&
	    t->route != R_LATEST_SIG && t->route != R_LATEST_CONS &&
	    t->route != R_LATEST_CONS_SIG && t->route != R_LATEST_P11KIT &&
	    t->route != R_PUBKEY &&
	    t->route != R_KEYS && t->route != R_KEYS_SIG &&
	    t->route != R_KEYS_VERSION && t->route != R_KEYS_VERSION_SIG) {
		site_unref(s);
		if (t->route == R_HEALTHZ || (s = current_whole(h)) == NULL)
			return send_loading(c, rq);
	}
	if (t->route == R_HEALTHZ) {
		site_unref(s);
		return send_text(c, rq, MHD_HTTP_OK, CT_TEXT, "ok\n");
	}
	if (t->profile[0] != '\0' && (p = site_profile(s, t->profile)) ==
	    NULL && t->route != R_DIFF)
		goto notfound;
	switch (t->route) {
	case R_INDEX:
		return send_doc(h, c, rq, s, &s->index, CT_HTML, 0);
	case R_PUBKEY:
		return send_doc(h, c, rq, s, &s->pubkey, CT_TEXT, 0);
	case R_PROFILES:
		return send_doc(h, c, rq, s, &s->profiles, CT_JSON, 0);
	/* Key lists (doc/SPEC.md 11): a version never changes. */
	case R_KEYS:
	case R_KEYS_SIG:
	case R_KEYS_VERSION:
	case R_KEYS_VERSION_SIG: {
		struct doc *d = site_keylist_doc(s, t->a, t->route == R_KEYS ||
		    t->route == R_KEYS_VERSION ? NULL : t->route == R_KEYS_SIG ?
		    "" : t->fp);

		if (d == NULL)
			goto notfound;
		return send_doc(h, c, rq, s, d, CT_TEXT, t->a != 0);
	}
	/* route() gives each of these a profile; without one, 404. */
	case R_HISTORY:
		if (p == NULL)
			goto notfound;
		return serve_history(h, c, rq, s, p);
	case R_LATEST_PEM:
		if (p == NULL)
			goto notfound;
		return send_doc(h, c, rq, s, p->rel[p->nrel - 1].body, CT_PEM,
		    0);
	case R_LATEST_SIG:
		if (p == NULL)
			goto notfound;
		return send_doc(h, c, rq, s, &p->rel[p->nrel - 1].sig, CT_TEXT,
		    0);
	case R_VERSION_PEM:
	case R_VERSION_SIG:
		if (p == NULL || (r = site_release(p, t->a)) == NULL)
			goto notfound;
		if (t->route == R_VERSION_PEM)
			return send_doc(h, c, rq, s, r->body, CT_PEM, 1);
		return send_doc(h, c, rq, s, &r->sig, CT_TEXT, 1);
	/* doc/SPEC.md 12: the dates beside a release. */
	case R_LATEST_CONS:
	case R_LATEST_CONS_SIG:
	case R_LATEST_P11KIT:
		if (p == NULL)
			goto notfound;
		return serve_constraints(h, c, rq, s, p, &p->rel[p->nrel - 1],
		    t->route == R_LATEST_CONS ? 'c' : t->route ==
		    R_LATEST_CONS_SIG ? 's' : 'p', 0);
	case R_VERSION_CONS:
	case R_VERSION_CONS_SIG:
	case R_VERSION_P11KIT:
		if (p == NULL || (r = site_release(p, t->a)) == NULL)
			goto notfound;
		return serve_constraints(h, c, rq, s, p, r,
		    t->route == R_VERSION_CONS ? 'c' : t->route ==
		    R_VERSION_CONS_SIG ? 's' : 'p', 1);
	case R_METRICS: {
		enum MHD_Result ret = serve_metrics(h, c, rq, s);

		site_unref(s);
		return ret;
	}
	case R_DIFF:
		if (p == NULL)
			goto notfound;
		return serve_diff(h, c, rq, s, p, t);
	case R_UPSTREAM:
	case R_AUDIT:
		return serve_json(h, c, rq, s, t);
	case R_PAGE_PROFILE:
	case R_PAGE_RELEASE:
		if (p == NULL)
			goto notfound;
		return serve_page(h, c, rq, s, p, t);
	case R_PAGE_QUARANTINE:
	case R_PAGE_AUDIT:
	case R_PAGE_CERT:
	case R_PAGE_ORG:
	case R_PAGE_EXCLUSIONS:
	case R_PAGE_SEARCH:
	case R_PAGE_SNAPSHOTS:
	case R_PAGE_SNAPSHOT:
		return serve_page(h, c, rq, s, NULL, t);
	case R_SNAPSHOTS:
		return send_doc(h, c, rq, s, &s->snapshotsjson, CT_JSON, 0);
	case R_SNAPSHOT: {
		int	 found;
		json_t	*o = site_snapshot_json(s, t->a, &found);

		site_unref(s);
		if (o == NULL && !found)
			return send_text(c, rq, MHD_HTTP_NOT_FOUND, CT_TEXT,
			    "not found\n");
		return send_json(c, rq, o, h->latest);
	}
	default:
		break;
	}
 notfound:
	site_unref(s);
	return send_text(c, rq, MHD_HTTP_NOT_FOUND, CT_TEXT, "not found\n");
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *uplen, void **con_cls)
{
	struct http		*h = cls;
	struct req		*rq = *con_cls;
	struct target		 t;
	struct MHD_Response	*r;

	(void)version;
	(void)upload;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &rq->t0);
		snprintf(rq->method, sizeof(rq->method), "%s", method);
		snprintf(rq->url, sizeof(rq->url), "%s", url);
		*con_cls = rq;
		/* MHD 0.9.75: queueing on the first call closes keep-alive. */
		if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
		    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
			return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		*uplen = 0;	/* whatever was sent is not read */
		if (rq->seen++)
			return MHD_YES;
		r = MHD_create_response_from_buffer(19,
		    (void *)"method not allowed\n", MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		add_type(r, CT_TEXT);
		return queue(c, rq, MHD_HTTP_METHOD_NOT_ALLOWED, r, 19);
	}
	if (*uplen != 0) {
		*uplen = 0;
		return MHD_YES;
	}
	if (strlen(url) >= URL_MAX)
		return send_text(c, rq, MHD_HTTP_NOT_FOUND, CT_TEXT,
		    "not found\n");
	route_parse(url, &t);
	rq->route = t.route;
	if (t.route == R_NONE)
		return send_text(c, rq, MHD_HTTP_NOT_FOUND, CT_TEXT,
		    "not found\n");
	return dispatch(h, c, rq, &t);
}

/*
 * No percent-decoding, of the path or the query: the contract's paths
 * and values never need it, and decoding would let "%00" cut a path
 * short ("/v1/pubkey%00.html" served as /v1/pubkey) or "%2F" make a
 * slash.  What arrives is matched as it arrived.
 */
static size_t
unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static void
log_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e ||
		    *s == '"')
			*s = '?';
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http		*h = cls;
	struct req		*rq = *con_cls;
	const union MHD_ConnectionInfo *ci;
	struct timespec		 t1;
	char			 addr[INET6_ADDRSTRLEN] = "-";
	size_t			 i;

	if (rq == NULL)
		return;
	*con_cls = NULL;
	for (i = 0; i < NSTATUS; i++)
		if (statuses[i] == rq->status)
			__atomic_add_fetch(&h->count[rq->route][i], 1,
			    __ATOMIC_RELAXED);
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		__atomic_add_fetch(&h->bytes, rq->bytes, __ATOMIC_RELAXED);
	if (h->opts->access_log) {
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci != NULL && ci->client_addr != NULL) {
			if (ci->client_addr->sa_family == AF_INET)
				inet_ntop(AF_INET, &((const struct sockaddr_in *)
				    (const void *)ci->client_addr)->sin_addr,
				    addr, sizeof(addr));
			else if (ci->client_addr->sa_family == AF_INET6)
				inet_ntop(AF_INET6,
				    &((const struct sockaddr_in6 *)(const void *)
				    ci->client_addr)->sin6_addr, addr,
				    sizeof(addr));
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		log_clean(rq->method);
		log_clean(rq->url);
		printf("%s \"%s %s\" %u %zu %.3fms%s\n", addr, rq->method,
		    rq->url, rq->status, rq->bytes,
		    (double)(t1.tv_sec - rq->t0.tv_sec) * 1e3 +
		    (double)(t1.tv_nsec - rq->t0.tv_nsec) / 1e6,
		    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" :
		    " (aborted)");
		fflush(stdout);
	}
	free(rq);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("cabundled: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/*
 * Start listening as configured.  Returns the server (http_stop it),
 * or NULL after a warning naming the address.
 */
struct http *
http_start(const struct config *cfg)
{
	struct http		*h;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	struct sockaddr		*sa;
	long			 cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned		 threads, flags = 0;
	struct MHD_OptionItem	 tls[3];
	pthread_condattr_t	 ca;

	/*
	 * A reload allocates a site's large documents (the history of
	 * 10,000 releases: 2.6 MB) while the old one is still served.
	 * glibc raises its mmap threshold each time such a block is freed,
	 * after which they come from the heap and what is freed stays
	 * resident; a fixed threshold gives them back.
	 */
	mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	memset(tls, 0, sizeof(tls));
	tls[0].option = MHD_OPTION_END;
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->whole, &ca);
	pthread_condattr_destroy(&ca);
	h->opts = &cfg->http;
	snprintf(h->latest, sizeof(h->latest), "public, max-age=%ld",
	    cfg->http.latest_max_age);
	if ((h->slots = calloc(CACHE_SLOTS, sizeof(struct centry *))) == NULL)
		goto fail;
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, cfg->http.listen, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)cfg->http.port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, cfg->http.listen, &sin6.sin6_addr) ==
	    1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)cfg->http.port);
		sa = (struct sockaddr *)&sin6;
	} else {
		warnx("[http] listen %s: not an IPv4 or IPv6 address",
		    cfg->http.listen);
		goto fail;
	}
	if (cfg->http.tls_cert != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			warnx("[http] tls_cert: this libmicrohttpd was built "
			    "without TLS");
			goto fail;
		}
		if (!tls_load(cfg->http.tls_cert, cfg->http.tls_key,
		    &h->tls_cert, &h->tls_key))
			goto fail;
		flags |= MHD_USE_TLS;
		tls[0].option = MHD_OPTION_HTTPS_MEM_CERT;
		tls[0].ptr_value = h->tls_cert.data;
		tls[1].option = MHD_OPTION_HTTPS_MEM_KEY;
		tls[1].ptr_value = h->tls_key.data;
		tls[2].option = MHD_OPTION_END;
	}
	threads = cfg->http.threads > 0 ? (unsigned)cfg->http.threads :
	    cores > 0 ? (unsigned)cores : 1;
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_EPOLL | MHD_USE_ERROR_LOG | flags |
	    (sa->sa_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    (uint16_t)cfg->http.port, NULL, NULL, handler, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)cfg->http.connection_limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)cfg->http.per_ip_limit,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->http.timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, h,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL,
	    MHD_OPTION_ARRAY, tls,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		warnx("[http] cannot listen on %s port %d", cfg->http.listen,
		    cfg->http.port);
		goto fail;
	}
	return h;
 fail:
	tls_free(&h->tls_cert, &h->tls_key);
	free(h->slots);
	pthread_cond_destroy(&h->whole);
	pthread_mutex_destroy(&h->lock);
	free(h);
	return NULL;
}

/* Stop listening, finish, and free everything. */
void
http_stop(struct http *h)
{
	size_t	 i;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);	/* no wait for a whole site */
	h->stopping = 1;
	pthread_cond_broadcast(&h->whole);
	pthread_mutex_unlock(&h->lock);
	MHD_stop_daemon(h->d);
	site_unref(h->site);
	for (i = 0; i < CACHE_SLOTS; i++)
		centry_free(h->slots[i]);
	free(h->slots);
	tls_free(&h->tls_cert, &h->tls_key);
	pthread_cond_destroy(&h->whole);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
