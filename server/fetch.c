/*
 * fetch.c - libcurl into a struct buf: HTTPS only, verified (and
 * optionally pinned) TLS, a hard body cap, timeouts, bounded retries
 * and conditional requests.  One easy handle per fetch_url() call;
 * the caller runs curl_global_init() once in main().
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "fetch.h"
#include "url.h"

#define FETCH_MAXREDIRS		3	/* mkcert.org: /generate, /generate/ */
#define FETCH_BACKOFF_MAX_MS	30000L
#define FETCH_HDRVAL_MAX	255	/* longest validator we send */

/* State shared with the callbacks during one attempt. */
struct fetch_ctx {
	CURL			*curl;
	struct fetch_result	*res;
	size_t			 cap;		/* body cap for this call */
	int			 in_headers;	/* inside a header block */
	int			 too_large;	/* write callback hit the cap */
	int			 nomem;		/* write callback: ENOMEM */
	int			 bad_status;	/* aborted a non-2xx body */
	const char		*host;		/* the URL's host: redirects stay */
	int			 bad_redirect;	/* Location to another host */
	char			 location[FETCH_HDRVAL_MAX + 1];
};

static const char *const fetch_statusnames[FETCH__MAX] = {
	"ok",			/* FETCH_OK */
	"not-modified",		/* FETCH_NOT_MODIFIED */
	"unreachable",		/* FETCH_UNREACHABLE */
	"too-large",		/* FETCH_TOO_LARGE */
	"refused",		/* FETCH_REFUSED */
};

/*
 * Prepare an empty result whose body will never hold more than
 * max_bytes.  Nothing is allocated; release with fetch_result_free().
 */
void
fetch_result_init(struct fetch_result *res, size_t max_bytes)
{
	memset(res, 0, sizeof(*res));
	buf_init(&res->body, max_bytes);
}

/* Release the body; the result may be passed to fetch_url() again. */
void
fetch_result_free(struct fetch_result *res)
{
	buf_free(&res->body);
}

/* A short constant name for a status, for logs; never NULL. */
const char *
fetch_statusname(enum fetch_status st)
{
	if ((unsigned)st >= FETCH__MAX)
		return "unknown";
	return fetch_statusnames[st];
}

/*
 * Copy a header value of len bytes into dst (size dsz), without the
 * surrounding blanks.  A value that does not fit or holds control
 * characters is stored as "": half an ETag is worse than none.
 */
static void
header_copy(char *dst, size_t dsz, const char *v, size_t len)
{
	size_t	 i;

	dst[0] = '\0';
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' ||
	    v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len >= dsz)
		return;
	for (i = 0; i < len; i++)
		if (iscntrl((unsigned char)v[i]) && v[i] != '\t')
			return;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

/*
 * If line is "name: value", return 1 with *v and *vlen set to the
 * value (still untrimmed).  Header names are case-insensitive.
 */
static int
header_match(const char *line, size_t len, const char *name,
    const char **v, size_t *vlen)
{
	size_t	 n = strlen(name);

	if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
		return 0;
	*v = line + n + 1;
	*vlen = len - n - 1;
	return 1;
}

/*
 * A Location header of a redirect libcurl would follow: 1 when it
 * stays on the host of the URL asked for (mkcert.org's /generate ->
 * /generate/), else 0 with ctx->location set to the target.  A
 * redirect to another host would hand the upstream's trust to a host
 * the operator never named (and the snapshot would still be recorded
 * as coming from the configured URL), so it is refused, not followed.
 * A relative Location resolves against the hop that sent it.
 */
static int
redirect_allowed(struct fetch_ctx *ctx, const char *v, size_t vlen)
{
	CURLU	*u = NULL;
	char	*eff = NULL, *host = NULL;
	long	 code = 0;
	int	 ok = 0;

	curl_easy_getinfo(ctx->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code / 100 != 3 || code == 304)
		return 1;
	header_copy(ctx->location, sizeof(ctx->location), v, vlen);
	if (ctx->location[0] == '\0') {
		snprintf(ctx->location, sizeof(ctx->location), "%s",
		    "(a Location too long or with control bytes)");
		goto out;
	}
	if ((u = curl_url()) == NULL ||
	    curl_easy_getinfo(ctx->curl, CURLINFO_EFFECTIVE_URL, &eff) !=
	    CURLE_OK || eff == NULL ||
	    curl_url_set(u, CURLUPART_URL, eff, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, ctx->location, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	ok = ctx->host != NULL && strcasecmp(host, ctx->host) == 0;
 out:
	ctx->bad_redirect = !ok;
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/*
 * CURLOPT_HEADERFUNCTION: called once per header line of every
 * response, redirect hops included, and for chunked trailers.  A
 * status line starts a new response, so forget what the previous hop
 * said; the blank line ends the block, so trailers are ignored.
 */
static size_t
fetch_header(char *line, size_t sz, size_t n, void *arg)
{
	struct fetch_ctx	*ctx = arg;
	struct fetch_result	*res = ctx->res;
	const char		*v;
	size_t			 len = sz * n, vlen;

	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		res->etag[0] = '\0';
		res->last_modified[0] = '\0';
		res->content_type[0] = '\0';
		ctx->in_headers = 1;
		return len;
	}
	if (len <= 2 && (line[0] == '\r' || line[0] == '\n')) {
		ctx->in_headers = 0;
		return len;
	}
	if (!ctx->in_headers)
		return len;
	if (header_match(line, len, "Location", &v, &vlen) &&
	    !redirect_allowed(ctx, v, vlen))
		return 0;	/* abort before libcurl follows it */
	if (header_match(line, len, "ETag", &v, &vlen))
		header_copy(res->etag, sizeof(res->etag), v, vlen);
	else if (header_match(line, len, "Last-Modified", &v, &vlen))
		header_copy(res->last_modified, sizeof(res->last_modified),
		    v, vlen);
	else if (header_match(line, len, "Content-Type", &v, &vlen))
		header_copy(res->content_type, sizeof(res->content_type),
		    v, vlen);
	return len;
}

/*
 * CURLOPT_WRITEFUNCTION: append to the body under the cap.  libcurl
 * 7.88 enforces CURLOPT_MAXFILESIZE_LARGE only when a Content-Length
 * is announced, so a chunked or endless body is stopped here, as soon
 * as it would pass the cap.  Error bodies (not 2xx) are not wanted:
 * abort them at once; a followed 3xx body is skipped.
 */
static size_t
fetch_write(char *p, size_t sz, size_t n, void *arg)
{
	struct fetch_ctx	*ctx = arg;
	struct buf		*b = &ctx->res->body;
	size_t			 len = sz * n;
	long			 code = 0;

	curl_easy_getinfo(ctx->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 300 && code < 400)
		return len;
	if (code < 200 || code >= 300) {
		ctx->bad_status = 1;
		return CURL_WRITEFUNC_ERROR;
	}
	if (len > ctx->cap - b->len) {
		ctx->too_large = 1;
		return CURL_WRITEFUNC_ERROR;
	}
	if (!buf_append(b, p, len)) {
		if (errno == EFBIG)
			ctx->too_large = 1;
		else
			ctx->nomem = 1;
		return CURL_WRITEFUNC_ERROR;
	}
	return len;
}

/*
 * Transport failures worth another attempt: the network, the peer or
 * the clock.  Certificate, pin, CA file, protocol and size failures
 * come out the same every time, so they are not retried.
 */
static int
fetch_transient(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* Sleep ms milliseconds, resuming after signals. */
static void
fetch_sleep(long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/*
 * Check the URL's scheme against the policy and pick libcurl's
 * protocol lists.  Returns 1 with *host set to the URL's host (free
 * with curl_free()), or 0 with res->error set.  https may only
 * redirect to https; http (when allowed) may go either way; neither
 * may leave the host (redirect_allowed()).
 */
static int
fetch_policy(const struct fetch_opts *o, const char *url,
    struct fetch_result *res, const char **protos, char **host)
{
	CURLU		*u = NULL;
	CURLUcode	 uc;
	char		*scheme = NULL;
	int		 rc = 0;

	if ((u = curl_url()) == NULL) {
		snprintf(res->error, sizeof(res->error), "%s: out of memory",
		    url);
		goto out;
	}
	if ((uc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK ||
	    (uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0)) !=
	    CURLUE_OK ||
	    (uc = curl_url_get(u, CURLUPART_HOST, host, 0)) != CURLUE_OK) {
		snprintf(res->error, sizeof(res->error), "%s: bad URL: %s",
		    url, curl_url_strerror(uc));
		goto out;
	}
	if (strcmp(scheme, "https") == 0)
		*protos = "https";
	else if (strcmp(scheme, "http") == 0 && o->allow_insecure_http)
		*protos = "http,https";
	else if (strcmp(scheme, "http") == 0) {
		snprintf(res->error, sizeof(res->error), "%s: plain http "
		    "refused (allow_insecure_http is off)", url);
		goto out;
	} else {
		snprintf(res->error, sizeof(res->error), "%s: scheme %s "
		    "refused (https only)", url, scheme);
		goto out;
	}
	rc = 1;
 out:
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

/*
 * Set every option that stays the same across attempts.  Returns
 * CURLE_OK or the first failure.
 */
static CURLcode
fetch_setup(CURL *c, const struct fetch_opts *o, const char *url,
    const char *protos, struct curl_slist *hdrs, struct fetch_ctx *ctx,
    char *errbuf)
{
	curl_off_t	 maxfs;
	CURLcode	 cc;

	maxfs = ctx->cap > (uint64_t)INT64_MAX ? INT64_MAX :
	    (curl_off_t)ctx->cap;
	if ((cc = curl_easy_setopt(c, CURLOPT_URL, url)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protos)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protos)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_MAXREDIRS,
	    (long)FETCH_MAXREDIRS)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, maxfs)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
	    o->connect_timeout)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT,
	    o->low_speed_limit)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
	    o->low_speed_time)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, fetch_header)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_HEADERDATA, ctx)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_WRITEDATA, ctx)) != CURLE_OK)
		return cc;
	/*
	 * Debian's libcurl is built with a CA path (/etc/ssl/certs) as
	 * well as a CA bundle: CURLOPT_CAINFO alone would still trust the
	 * whole system store through the path.  A CA file means "only
	 * these", so clear the path too.
	 */
	if (o->cafile != NULL &&
	    ((cc = curl_easy_setopt(c, CURLOPT_CAINFO, o->cafile)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_CAPATH, NULL)) != CURLE_OK))
		return cc;
	if (o->pinned_pubkey != NULL &&
	    (cc = curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY,
	    o->pinned_pubkey)) != CURLE_OK)
		return cc;
	if (o->user_agent != NULL &&
	    (cc = curl_easy_setopt(c, CURLOPT_USERAGENT, o->user_agent)) !=
	    CURLE_OK)
		return cc;
	if (hdrs != NULL &&
	    (cc = curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs)) != CURLE_OK)
		return cc;
	return CURLE_OK;
}

/*
 * A value we may put on a header line: non-empty, no longer than any
 * of our result fields, no control bytes (no header injection).
 */
static int
header_safe(const char *v)
{
	size_t	 i;

	if (v == NULL || *v == '\0' || strlen(v) > FETCH_HDRVAL_MAX)
		return 0;
	for (i = 0; v[i] != '\0'; i++)
		if (iscntrl((unsigned char)v[i]) && v[i] != '\t')
			return 0;
	return 1;
}

/*
 * Add "name: v" to *hdrs.  Returns 1, or 0 if out of memory (the list
 * is then left as it was).  header_safe() bounds v's length.
 */
static int
header_add(struct curl_slist **hdrs, const char *name, const char *v)
{
	struct curl_slist	*l;
	char			 line[FETCH_HDRVAL_MAX + 64];

	snprintf(line, sizeof(line), "%s: %s", name, v);
	if ((l = curl_slist_append(*hdrs, line)) == NULL)
		return 0;
	*hdrs = l;
	return 1;
}

/*
 * Judge one finished attempt.  Returns the status and sets *retry
 * when another attempt could end differently.
 */
static enum fetch_status
fetch_judge(struct fetch_ctx *ctx, CURLcode cc, const char *url,
    const char *errbuf, int conditional, int *retry)
{
	struct fetch_result	*res = ctx->res;
	const char		*who = url;
	char			*eff = NULL;

	*retry = 0;
	curl_easy_getinfo(ctx->curl, CURLINFO_RESPONSE_CODE, &res->status);
	if (ctx->bad_redirect) {
		snprintf(res->error, sizeof(res->error), "%s: HTTP %ld "
		    "redirect to %s refused (another host than %s)", url,
		    res->status, ctx->location, ctx->host);
		return FETCH_UNREACHABLE;
	}
	if (ctx->too_large || (cc == CURLE_FILESIZE_EXCEEDED &&
	    res->status / 100 == 2)) {
		snprintf(res->error, sizeof(res->error),
		    "%s: body larger than %zu bytes", url, ctx->cap);
		return FETCH_TOO_LARGE;
	}
	if (ctx->nomem) {
		snprintf(res->error, sizeof(res->error), "%s: out of memory",
		    url);
		return FETCH_UNREACHABLE;
	}
	if (cc != CURLE_OK && !ctx->bad_status &&
	    cc != CURLE_FILESIZE_EXCEEDED) {
		/*
		 * A Location outside CURLOPT_REDIR_PROTOCOLS_STR comes back
		 * as "Protocol "http" not supported or disabled": say that
		 * it was a redirect, and where to.  libcurl 7.88 has then
		 * already made the refused target the effective URL (and
		 * CURLINFO_REDIRECT_URL is NULL when following).
		 */
		if (cc == CURLE_UNSUPPORTED_PROTOCOL &&
		    res->status / 100 == 3 &&
		    curl_easy_getinfo(ctx->curl, CURLINFO_EFFECTIVE_URL,
		    &eff) == CURLE_OK && eff != NULL && strcmp(eff, url) != 0)
			snprintf(res->error, sizeof(res->error), "%s: HTTP %ld "
			    "redirect to %s refused", url, res->status, eff);
		else
			snprintf(res->error, sizeof(res->error), "%s: %s", url,
			    errbuf[0] != '\0' ? errbuf :
			    curl_easy_strerror(cc));
		*retry = fetch_transient(cc);
		return FETCH_UNREACHABLE;
	}
	if (res->status / 100 == 2)
		return FETCH_OK;
	if (res->status == 304 && conditional)
		return FETCH_NOT_MODIFIED;

	/* Name the hop that answered, and the URL asked for if it differs. */
	if (curl_easy_getinfo(ctx->curl, CURLINFO_EFFECTIVE_URL, &eff) ==
	    CURLE_OK && eff != NULL)
		who = eff;
	snprintf(res->error, sizeof(res->error), "HTTP %ld%s from %s%s%s",
	    res->status, res->status == 304 ? " to an unconditional request" :
	    "", who, strcmp(who, url) != 0 ? ", redirected from " : "",
	    strcmp(who, url) != 0 ? url : "");
	*retry = res->status == 429 || res->status / 100 == 5;
	return FETCH_UNREACHABLE;
}

/*
 * GET url into res->body, trying 1 + o->retries times with doubling
 * backoff while the failure looks transient.  Sends If-None-Match /
 * If-Modified-Since for etag / last_modified when given (NULL or ""
 * for none).  Returns FETCH_OK with the body in res->body (owned by
 * res, freed by fetch_result_free()); otherwise the body is freed and
 * res->error says why, naming the URL.  Refuses any scheme but https
 * (and http with o->allow_insecure_http), redirects from https to
 * http, and bodies over the smaller of o->max_bytes and the cap given
 * to fetch_result_init().  Logs nothing: the caller reports
 * res->error.
 */
enum fetch_status
fetch_url(const struct fetch_opts *o, const char *url, const char *etag,
    const char *last_modified, struct fetch_result *res)
{
	struct fetch_ctx	 ctx;
	struct curl_slist	*hdrs = NULL;
	CURL			*c = NULL;
	CURLcode		 cc;
	enum fetch_status	 st = FETCH_UNREACHABLE;
	const char		*protos = NULL;
	char			*host = NULL;
	char			 errbuf[CURL_ERROR_SIZE];
	char			 shown[sizeof(res->error)];
	long			 delay;
	int			 conditional = 0, retry;

	res->status = 0;
	res->etag[0] = res->last_modified[0] = res->content_type[0] = '\0';
	res->error[0] = '\0';
	res->attempts = 0;
	buf_reset(&res->body);

	if (url == NULL || *url == '\0') {
		snprintf(res->error, sizeof(res->error), "empty URL refused");
		st = FETCH_REFUSED;
		goto out;
	}
	if (!fetch_policy(o, url, res, &protos, &host)) {
		st = FETCH_REFUSED;
		goto out;
	}

	memset(&ctx, 0, sizeof(ctx));
	ctx.res = res;
	ctx.host = host;
	ctx.cap = o->max_bytes < res->body.max ? o->max_bytes :
	    res->body.max;

	/* Out of memory below is FETCH_UNREACHABLE: st's initial value. */
	if (header_safe(etag)) {
		if (!header_add(&hdrs, "If-None-Match", etag)) {
			snprintf(res->error, sizeof(res->error),
			    "%s: out of memory", url);
			goto out;
		}
		conditional = 1;
	}
	if (header_safe(last_modified)) {
		if (!header_add(&hdrs, "If-Modified-Since", last_modified)) {
			snprintf(res->error, sizeof(res->error),
			    "%s: out of memory", url);
			goto out;
		}
		conditional = 1;
	}
	if ((c = ctx.curl = curl_easy_init()) == NULL) {
		snprintf(res->error, sizeof(res->error), "%s: curl_easy_init "
		    "failed", url);
		goto out;
	}
	errbuf[0] = '\0';
	if ((cc = fetch_setup(c, o, url, protos, hdrs, &ctx, errbuf)) !=
	    CURLE_OK) {
		snprintf(res->error, sizeof(res->error), "%s: libcurl: %s",
		    url, curl_easy_strerror(cc));
		goto out;
	}

	delay = o->retry_delay_ms > 0 ? o->retry_delay_ms : 0;
	if (delay > FETCH_BACKOFF_MAX_MS)
		delay = FETCH_BACKOFF_MAX_MS;
	for (;;) {
		res->attempts++;
		ctx.in_headers = ctx.too_large = ctx.nomem = 0;
		ctx.bad_status = ctx.bad_redirect = 0;
		res->error[0] = errbuf[0] = '\0';
		buf_reset(&res->body);
		cc = curl_easy_perform(c);
		st = fetch_judge(&ctx, cc, url, errbuf, conditional, &retry);
		if (st != FETCH_UNREACHABLE || !retry ||
		    res->attempts > o->retries)
			break;
		if (delay > 0)
			fetch_sleep(delay);
		delay = delay > FETCH_BACKOFF_MAX_MS / 2 ?
		    FETCH_BACKOFF_MAX_MS : delay * 2;
	}
	/* As buf_readfile(): an empty body still gets a valid pointer. */
	if (st == FETCH_OK && !buf_append(&res->body, "", 0)) {
		snprintf(res->error, sizeof(res->error), "%s: out of memory",
		    url);
		st = FETCH_UNREACHABLE;
	}
 out:
	if (st != FETCH_OK)
		buf_free(&res->body);
	/* The error names the URL: never with its password. */
	if (url_redact(res->error, shown, sizeof(shown)))
		snprintf(res->error, sizeof(res->error), "%s", shown);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	curl_free(host);
	return st;
}
