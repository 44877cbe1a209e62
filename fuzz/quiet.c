/*
 * quiet.c - keep the warnings of the code under test off the terminal.
 *
 * warn(3) and friends print to the stdio stream stderr, which glibc
 * lets a program point elsewhere; the sanitizers and libFuzzer write to
 * file descriptor 2 (or their own copy of the stream) and still speak.
 * FUZZ_VERBOSE=1 in the environment keeps the warnings, to see why an
 * input was refused.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

FILE	*fuzz_stderr;

void
fuzz_quiet(void)
{
	FILE	*null;
	char	*v = getenv("FUZZ_VERBOSE");

	if (fuzz_stderr != NULL)
		return;
	fuzz_stderr = stderr;
	if (v != NULL && *v != '\0' && *v != '0')
		return;
	if ((null = fopen("/dev/null", "we")) != NULL)
		stderr = null;
}
