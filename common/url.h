/*
 * url.h - URLs as they may be shown: without the password (url.c).
 */
#ifndef CABUNDLE_URL_H
#define CABUNDLE_URL_H

#include <stddef.h>

#define URL_REDACTED	"***"

int	url_redact(const char *, char *, size_t);

#endif
