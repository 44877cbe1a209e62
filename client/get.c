/*
 * get.c - the client's downloads (SPEC 8 steps 1 and 8) with libcurl.
 *
 * http, https and file only (file:// is an export carried across an
 * air gap); redirects only between http and https.  The cap is
 * enforced in the write callback, because libcurl 7.88 applies
 * CURLOPT_MAXFILESIZE_LARGE only to an announced length; no
 * Accept-Encoding, so no decompressed bytes escape the cap; a total
 * timeout and a low-speed abort bound a drip feed.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "exitcode.h"
#include "extern.h"
#include "url.h"

struct getctx {
	struct buf	*b;
	size_t		 cap;
	int		 over;
};

static size_t
get_write(char *p, size_t sz, size_t n, void *arg)
{
	struct getctx	*g = arg;
	size_t		 len = sz * n;

	if (len > g->cap - g->b->len) {
		g->over = 1;
		return 0;	/* CURLE_WRITE_ERROR: stop now */
	}
	if (!buf_append(g->b, p, len))
		return 0;
	return len;
}

/*
 * Download url into b (appending; b's own cap also applies), refusing
 * more than cap bytes.  Returns EXIT_DONE; EXIT_REFUSED with why set
 * when the source answered but not with what was asked (an HTTP status
 * other than 200, more than cap bytes, a transfer cut short, a missing
 * file); EXIT_UNREACHABLE when it did not answer in time (DNS,
 * connect, TLS handshake, timeout, low speed); EXIT_LOCAL if libcurl fails us.
 * o->absent tells an EXIT_REFUSED for a file the source does not have
 * (HTTP 404 or 410, file:// without it) from any other refusal;
 * o->tls an EXIT_REFUSED because the server's TLS certificate did not
 * verify (it answered, but is not the mirror --cacert trusts).  A CA
 * file libcurl cannot use is EXIT_LOCAL.
 */
int
get_url(struct getopts *o, const char *url, struct buf *b,
    size_t cap, char *why, size_t whylen)
{
	CURL		*c;
	CURLcode	 cc;
	struct getctx	 g;
	char		 err[CURL_ERROR_SIZE] = "", shown[2048];
	long		 status = 0;
	int		 rc = EXIT_LOCAL;

	o->absent = 0;
	o->tls = 0;
	memset(&g, 0, sizeof(g));
	g.b = b;
	g.cap = cap;
	/*
	 * One handle for all of a run's fetches: the body comes over the
	 * signature's connection (and TLS session).  A reset drops every
	 * option, so nothing set for one URL leaks into the next.
	 */
	if ((c = o->easy) != NULL)
		curl_easy_reset(c);
	else if ((c = o->easy = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "%s: cannot start libcurl", url);
		return EXIT_LOCAL;
	}
	if ((cc = curl_easy_setopt(c, CURLOPT_URL, url)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
	    "http,https,file")) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
	    "http,https")) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_USERAGENT, "cabundle/1")) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)cap)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 256L)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
	    o->low_speed_time)) != CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, get_write)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_WRITEDATA, &g)) != CURLE_OK ||
	    (o->cafile != NULL &&
	    ((cc = curl_easy_setopt(c, CURLOPT_CAINFO, o->cafile)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(c, CURLOPT_CAPATH, NULL)) != CURLE_OK))) {
		snprintf(why, whylen, "%s: libcurl: %s", url,
		    curl_easy_strerror(cc));
		goto out;
	}
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (g.over || cc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(why, whylen, "%s: more than %zu bytes: refused while "
		    "receiving", url, cap);
		rc = EXIT_REFUSED;
		goto out;
	}
	switch (cc) {
	case CURLE_OK:
		break;
	case CURLE_PARTIAL_FILE:
		snprintf(why, whylen, "%s: truncated: the transfer ended "
		    "before the announced length", url);
		rc = EXIT_REFUSED;
		goto out;
	case CURLE_FILE_COULDNT_READ_FILE:
		o->absent = 1;
		snprintf(why, whylen, "%s: no such file", url);
		rc = EXIT_REFUSED;
		goto out;
	case CURLE_PEER_FAILED_VERIFICATION:	/* = CURLE_SSL_CACERT */
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		/*
		 * Something answered, but not as the mirror we trust: a
		 * retry will not fix that, so it is a refusal (exit 1),
		 * not "unreachable" (exit 3), which retry loops retry.
		 */
		o->tls = 1;
		snprintf(why, whylen, "%s: the mirror answered but its TLS "
		    "certificate did not verify (%s); give the CA that "
		    "issued it with --cacert FILE, or check the host name "
		    "in --from", url, err[0] ? err : curl_easy_strerror(cc));
		rc = EXIT_REFUSED;
		goto out;
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(why, whylen, "%s: cannot use the CA file %s to "
		    "verify the mirror (%s)", url, o->cafile != NULL ?
		    o->cafile : "of the system", err[0] ? err :
		    curl_easy_strerror(cc));
		rc = EXIT_LOCAL;
		goto out;
	case CURLE_UNSUPPORTED_PROTOCOL:
		snprintf(why, whylen, "%s: %s (only http, https and file; "
		    "redirects only to http or https)", url,
		    err[0] ? err : curl_easy_strerror(cc));
		rc = EXIT_REFUSED;
		goto out;
	default:
		snprintf(why, whylen, "%s: %s", url,
		    err[0] ? err : curl_easy_strerror(cc));
		rc = EXIT_UNREACHABLE;
		goto out;
	}
	/* file:// has no status; http(s) must say 200. */
	if (strncmp(url, "file:", 5) != 0 && status != 200) {
		snprintf(why, whylen, "%s: HTTP status %ld", url, status);
		o->absent = status == 404 || status == 410;
		rc = status >= 500 ? EXIT_UNREACHABLE : EXIT_REFUSED;
		goto out;
	}
	rc = EXIT_DONE;
 out:
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);	/* err dies here */
	/* why names the URL: never with its password. */
	if (rc != EXIT_DONE && url_redact(why, shown, sizeof(shown)))
		snprintf(why, whylen, "%s", shown);
	return rc;
}

/* Close the connection get_url kept; o may be used again after. */
void
get_close(struct getopts *o)
{
	curl_easy_cleanup(o->easy);
	o->easy = NULL;
}
