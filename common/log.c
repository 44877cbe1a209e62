/*
 * log.c - OpenSSL-aware warnings.
 */
#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>

#include "log.h"

/*
 * Like warnx(), then append the first OpenSSL error of the queue (the
 * one closest to the cause) and clear the rest, so that a later failure
 * does not report a stale reason.
 */
void
cryptowarnx(const char *fmt, ...)
{
	va_list		 ap;
	char		 msg[512], why[256];
	unsigned long	 e;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, why, sizeof(why));
		warnx("%s: %s", msg, why);
	} else
		warnx("%s", msg);
	ERR_clear_error();
}
