/*
 * mirrorget.c - read one file of an upstream cabundle mirror ([mirror]
 * url): an http(s) URL, or a file of an export directory carried in
 * (any spelling url_source() takes: file:///path, file:/path, /path).
 * The relay of releases (relay.c) and of key lists (keyrelay.c) both
 * read through here, so both take the same sources the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "exitcode.h"
#include "fetch.h"
#include "mirrorget.h"
#include "url.h"

/*
 * Read url into out, a fresh buffer of at most max bytes; free it
 * whatever the result.  Plain http needs no switch: every byte read
 * here is checked against a signature by a configured key before it
 * is believed.  Returns EXIT_DONE; EXIT_REFUSED when it is larger than
 * max; EXIT_USAGE when a URL policy refuses it; else EXIT_UNREACHABLE.
 * why is set on failure; *absent is 1 when the source was there but
 * that file is not (an HTTP answer other than 200, or no such file in
 * the directory).
 */
int
mirror_get(const struct config *cfg, const char *url, size_t max,
    struct buf *out, int *absent, char *why, size_t whylen)
{
	struct fetch_opts	 fo = cfg->fetch;
	struct fetch_result	 fr;
	enum fetch_status	 fs;
	const char		*path;
	int			 rc;

	*absent = 0;
	buf_init(out, max);
	if (url_source(url, &path) == URL_FILE) {
		if (buf_readfile(out, path))
			return EXIT_DONE;
		*absent = errno == ENOENT;
		snprintf(why, whylen, "%s: %s", path, errno == EFBIG ?
		    "larger than allowed" : strerror(errno));
		return errno == EFBIG ? EXIT_REFUSED : EXIT_UNREACHABLE;
	}
	fo.allow_insecure_http = 1;
	fetch_result_init(&fr, max);
	fs = fetch_url(&fo, url, NULL, NULL, &fr);
	if (fs == FETCH_OK) {
		buf_free(out);
		*out = fr.body;		/* the result's buffer is ours now */
		buf_init(&fr.body, 0);
		rc = EXIT_DONE;
	} else {
		snprintf(why, whylen, "%s", fr.error);
		*absent = fr.status != 0;
		rc = fs == FETCH_TOO_LARGE ? EXIT_REFUSED :
		    fs == FETCH_REFUSED ? EXIT_USAGE : EXIT_UNREACHABLE;
	}
	fetch_result_free(&fr);
	return rc;
}
