/*
 * log.h - diagnostics.  warn(3)/warnx(3) from <err.h> for everything,
 * plus cryptowarnx() which also drains OpenSSL's error queue so that a
 * failure names the library's reason, not just ours.
 */
#ifndef CABUNDLE_LOG_H
#define CABUNDLE_LOG_H

#include <err.h>

void	cryptowarnx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
