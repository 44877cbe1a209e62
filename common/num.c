/*
 * num.c - canonical decimal numbers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"

/*
 * Parse the canonical decimal form of 1 .. 2^63-1 (SPEC 7's u63): only
 * digits, no sign, no leading zero, no spaces, nothing after.  Returns
 * 1, or 0 for any other spelling, so every number has one text.
 */
int
num_u63(const char *s, size_t len, uint64_t *out)
{
	static const char	 max[] = "9223372036854775807";
	uint64_t		 v = 0;
	size_t			 i;

	if (len == 0 || len > sizeof(max) - 1 || s[0] < '1' || s[0] > '9')
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	if (len == sizeof(max) - 1 && memcmp(s, max, len) > 0)
		return 0;
	for (i = 0; i < len; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	*out = v;
	return 1;
}

/*
 * strtonum(3) for command-line values: a whole decimal number within
 * [min, max], nothing else in the string.  Returns 1, or 0 with errno
 * EINVAL (not a number) or ERANGE.
 */
int
num_range(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || *s == ' ' || *s == '+') {
		errno = EINVAL;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return 0;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return 0;
	}
	*out = v;
	return 1;
}
