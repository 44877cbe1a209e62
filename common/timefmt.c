/*
 * timefmt.c - dates for people and JSON, always UTC.
 */
#include <stdio.h>
#include <time.h>

#include "timefmt.h"

/* The attribute lets -Wformat check callers' literal formats. */
static void __attribute__((format(strftime, 2, 0)))
timefmt(int64_t t, const char *fmt, char *out)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, TIMEFMT_LEN, fmt, &tm) == 0)
		snprintf(out, TIMEFMT_LEN, "@%lld", (long long)t);
}

/* "2038-01-19T03:14:07Z" into out (TIMEFMT_LEN bytes). */
void
timefmt_iso(int64_t t, char *out)
{
	timefmt(t, "%Y-%m-%dT%H:%M:%SZ", out);
}

/* "2038-01-19" into out (TIMEFMT_LEN bytes). */
void
timefmt_date(int64_t t, char *out)
{
	timefmt(t, "%Y-%m-%d", out);
}
