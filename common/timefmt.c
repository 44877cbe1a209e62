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

/*
 * t as timefmt_iso() writes it, then how far it is from now in the
 * largest unit that keeps two digits of sense: "2038-01-19T03:14:07Z
 * (6 days ago)", "(in 3 hours)", "(now)".  Into out (TIMEFMT_RELLEN
 * bytes).  For messages a person reads; JSON keeps the integer.
 */
void
timefmt_rel(int64_t t, int64_t now, char *out)
{
	char		 iso[TIMEFMT_LEN];
	const char	*unit = "second";
	uint64_t	 d;

	timefmt_iso(t, iso);
	d = t >= now ? (uint64_t)t - (uint64_t)now :
	    (uint64_t)now - (uint64_t)t;
	if (d >= 2 * 86400) {
		d /= 86400;
		unit = "day";
	} else if (d >= 2 * 3600) {
		d /= 3600;
		unit = "hour";
	} else if (d >= 2 * 60) {
		d /= 60;
		unit = "minute";
	}
	if (d == 0)
		snprintf(out, TIMEFMT_RELLEN, "%s (now)", iso);
	else
		snprintf(out, TIMEFMT_RELLEN, "%s (%s%llu %s%s%s)", iso,
		    t > now ? "in " : "", (unsigned long long)d, unit,
		    d == 1 ? "" : "s", t > now ? "" : " ago");
}
