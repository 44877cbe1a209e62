/*
 * fetch.h - download one URL into a capped buffer with libcurl:
 * HTTPS only, verified TLS (optionally pinned), size cap, timeouts,
 * bounded retries and conditional requests.
 */
#ifndef CABUNDLED_FETCH_H
#define CABUNDLED_FETCH_H

#include <stddef.h>

#include "buf.h"

struct fetch_opts {
	const char	*cafile;	/* upstream's TLS CAs; NULL: system */
	const char	*pinned_pubkey;	/* "sha256//b64;sha256//b64" or NULL */
	size_t		 max_bytes;	/* body cap, e.g. 4 MiB */
	long		 connect_timeout; /* seconds */
	long		 timeout;	/* total seconds per attempt */
	long		 low_speed_limit; /* bytes per second ... */
	long		 low_speed_time;  /* ... for this many seconds aborts */
	int		 retries;	/* extra attempts after the first */
	long		 retry_delay_ms; /* first backoff; doubles, max 30 s */
	int		 allow_insecure_http; /* else http:// is refused */
	const char	*user_agent;
};

/*
 * UNREACHABLE covers DNS, connect, TLS, pin, timeouts and any HTTP
 * error status; REFUSED is the URL's fault (a scheme other than https,
 * or http without allow_insecure_http) and no request was made.
 */
enum fetch_status {
	FETCH_OK,		/* 2xx, body in result->body */
	FETCH_NOT_MODIFIED,	/* 304 to a conditional request */
	FETCH_UNREACHABLE,	/* network, TLS, HTTP error status */
	FETCH_TOO_LARGE,	/* body over max_bytes: aborted, discarded */
	FETCH_REFUSED,		/* URL refused by policy */
	FETCH__MAX
};

struct fetch_result {
	long		 status;	/* of the final answer, 0 if none */
	struct buf	 body;
	char		 etag[256];	/* "" if none or too long */
	char		 last_modified[128];
	char		 content_type[128];
	char		 error[512];	/* why not OK/NOT_MODIFIED, with URL */
	int		 attempts;
};

void		 fetch_result_init(struct fetch_result *, size_t max_bytes);
void		 fetch_result_free(struct fetch_result *);
enum fetch_status fetch_url(const struct fetch_opts *, const char *url,
		    const char *etag, const char *last_modified,
		    struct fetch_result *);
const char	*fetch_statusname(enum fetch_status);

#endif
