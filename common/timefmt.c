/*
 * timefmt.c - dates for people and JSON, always UTC.
 */
#include <stdio.h>
#include <time.h>

#include "timefmt.h"

/* Literal formats only: -Wformat=2 checks every strftime call. */
static void
timefmt(int64_t t, int with_time, char *out)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	size_t		 n = 0;

	if (gmtime_r(&tt, &tm) != NULL)
		n = with_time ?
		    strftime(out, TIMEFMT_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) :
		    strftime(out, TIMEFMT_LEN, "%Y-%m-%d", &tm);
	if (n == 0)
		snprintf(out, TIMEFMT_LEN, "@%lld", (long long)t);
}

/* "2038-01-19T03:14:07Z" into out (TIMEFMT_LEN bytes). */
void
timefmt_iso(int64_t t, char *out)
{
	timefmt(t, 1, out);
}

/* "2038-01-19" into out (TIMEFMT_LEN bytes). */
void
timefmt_date(int64_t t, char *out)
{
	timefmt(t, 0, out);
}
