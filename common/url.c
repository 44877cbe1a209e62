/*
 * url.c - keep credentials out of what we print and store.
 *
 * A mirror or upstream URL may carry a password ("https://user:secret@
 * host/"); libcurl uses it, but it must not reach a log line, an error
 * message, --json, the client's 0644 state file or the mirror's
 * database (whose upstream source is published at /v1/upstream).  One
 * careful scanner rather than libcurl's URL API, so that every binary
 * that links common/ can use it and so that it also works on messages
 * that merely contain a URL.
 */
#include <ctype.h>
#include <string.h>

#include "url.h"

/* 1 when text[0..n) is an RFC 3986 scheme: ALPHA *(ALPHA/DIGIT/+-.). */
static int
is_scheme(const char *text, size_t n)
{
	size_t	 i;

	if (n == 0 || !isalpha((unsigned char)text[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)text[i]) && text[i] != '+' &&
		    text[i] != '-' && text[i] != '.')
			return 0;
	return 1;
}

/* Append n bytes of s to out (at *o, room len), truncating. */
static void
put(char *out, size_t len, size_t *o, const char *s, size_t n)
{
	if (*o + 1 >= len)
		return;
	if (n > len - 1 - *o)
		n = len - 1 - *o;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
}

/*
 * Copy in to out (room len, always NUL-terminated when len > 0) with
 * the password of every URL in it replaced by "***": "scheme://user:
 * secret@host" becomes "scheme://user:***@host".  in may be a URL or a
 * message holding URLs.  Returns 1 when something was redacted, 0 when
 * the copy is verbatim (possibly truncated).
 */
int
url_redact(const char *in, char *out, size_t len)
{
	const char	*p = in, *sep, *auth, *end, *at, *colon, *s;
	size_t		 o = 0;
	int		 did = 0;

	if (len == 0)
		return 0;
	out[0] = '\0';
	while ((sep = strstr(p, "://")) != NULL) {
		/* The scheme: back from "://" over scheme characters. */
		for (s = sep; s > p && (isalnum((unsigned char)s[-1]) ||
		    strchr("+-.", s[-1]) != NULL); s--)
			;
		auth = sep + 3;
		end = auth + strcspn(auth, "/?# \t\r\n\"'<>");
		at = NULL;
		for (colon = auth; colon < end; colon++)
			if (*colon == '@')
				at = colon;	/* the last one: RFC 3986 */
		colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) :
		    NULL;
		if (!is_scheme(s, (size_t)(sep - s)) || colon == NULL) {
			put(out, len, &o, p, (size_t)(end - p));
			p = end;
			continue;
		}
		put(out, len, &o, p, (size_t)(colon + 1 - p));
		put(out, len, &o, URL_REDACTED, strlen(URL_REDACTED));
		put(out, len, &o, at, (size_t)(end - at));
		p = end;
		did = 1;
	}
	put(out, len, &o, p, strlen(p));
	return did;
}

/*
 * The one reading of a mirror source, for the server's [mirror] url and
 * the client's --from and url: "https://..." and "http://..." as they
 * are, and a local path spelled "file:///path", "file:/path" or
 * "/path".  Returns the kind, with *path (for URL_FILE) pointing into
 * url at the absolute path; URL_BAD for anything else: another scheme,
 * "file://host/path" (a remote host) or a relative path.
 */
enum url_kind
url_source(const char *url, const char **path)
{
	*path = NULL;
	if (strncmp(url, "https://", 8) == 0 && url[8] != '\0')
		return URL_HTTPS;
	if (strncmp(url, "http://", 7) == 0 && url[7] != '\0')
		return URL_HTTP;
	if (strncmp(url, "file://", 7) == 0)
		url += 7;		/* must go on with "/": no host */
	else if (strncmp(url, "file:", 5) == 0)
		url += 5;
	if (url[0] != '/')
		return URL_BAD;
	*path = url;
	return URL_FILE;
}
