/*
 * timefmt.h - Unix seconds as ISO 8601 UTC text.
 */
#ifndef CABUNDLE_TIMEFMT_H
#define CABUNDLE_TIMEFMT_H

#include <stdint.h>

#define TIMEFMT_LEN	32

void	timefmt_iso(int64_t, char *);
void	timefmt_date(int64_t, char *);

/* "2038-01-19T03:14:07Z (6 days ago)": timefmt_rel's out. */
#define TIMEFMT_RELLEN	96

void	timefmt_rel(int64_t, int64_t, char *);

#endif
