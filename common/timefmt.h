/*
 * timefmt.h - Unix seconds as ISO 8601 UTC text.
 */
#ifndef CABUNDLE_TIMEFMT_H
#define CABUNDLE_TIMEFMT_H

#include <stdint.h>

#define TIMEFMT_LEN	32

void	timefmt_iso(int64_t, char *);
void	timefmt_date(int64_t, char *);

#endif
