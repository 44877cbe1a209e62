/*
 * bare-mhd.c - the least a libmicrohttpd server can do for one file:
 * the bench's second peer.  The same daemon flags as cabundled serve
 * (internal polling thread, epoll, one thread per core), one response
 * prepared at start, a 304 for a matching If-None-Match, nothing else:
 * no routing, no site, no metrics, no log.  cabundled / bare shows
 * what our code costs; bare / nginx what libmicrohttpd does.
 *
 *   cc -O2 -o bare-mhd bare-mhd.c -lmicrohttpd
 *   ./bare-mhd FILE PORT ETAG
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static struct MHD_Response	*full, *notmod;
static const char		*etag;

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *uplen, void **con_cls)
{
	static int	 seen;
	const char	*inm;

	(void)cls, (void)url, (void)method, (void)version, (void)upload;
	(void)uplen;
	if (*con_cls == NULL) {
		*con_cls = &seen;	/* queue on the second call */
		return MHD_YES;
	}
	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm != NULL && strcmp(inm, etag) == 0)
		return MHD_queue_response(c, MHD_HTTP_NOT_MODIFIED, notmod);
	return MHD_queue_response(c, MHD_HTTP_OK, full);
}

int
main(int argc, char *argv[])
{
	static char	 body[4 << 20];
	FILE		*f;
	size_t		 n;
	long		 cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (argc != 4)
		errx(2, "usage: bare-mhd FILE PORT ETAG");
	if ((f = fopen(argv[1], "rb")) == NULL)
		err(1, "%s", argv[1]);
	n = fread(body, 1, sizeof(body), f);
	fclose(f);
	etag = argv[3];
	full = MHD_create_response_from_buffer(n, body,
	    MHD_RESPMEM_PERSISTENT);
	notmod = MHD_create_response_from_buffer(0, NULL,
	    MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(full, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/x-pem-file");
	MHD_add_response_header(full, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(notmod, MHD_HTTP_HEADER_ETAG, etag);
	if (MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
	    (uint16_t)atoi(argv[2]), NULL, NULL, handler, NULL,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cores > 0 ? cores : 1),
	    MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_END) == NULL)
		errx(1, "cannot listen on port %s", argv[2]);
	for (;;)
		pause();
}
