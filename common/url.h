/*
 * url.h - URLs as they may be shown (without the password), and the
 * one reading of a mirror source's spellings (url.c).
 */
#ifndef CABUNDLE_URL_H
#define CABUNDLE_URL_H

#include <stddef.h>

#define URL_REDACTED	"***"

/* What url_source() made of a source. */
enum url_kind {
	URL_BAD = 0,		/* none of the spellings below */
	URL_FILE,		/* a local directory or file: the path */
	URL_HTTP,		/* http:// */
	URL_HTTPS,		/* https:// */
	URL__MAX
};

int		url_redact(const char *, char *, size_t);
enum url_kind	url_source(const char *, const char **);

#endif
