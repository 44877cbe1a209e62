/*
 * fuzz.h - what the harnesses in fuzz/ share.  Each fuzz-NAME.c
 * defines libFuzzer's two entry points; linked with libFuzzer (clang
 * -fsanitize=fuzzer) it fuzzes, linked with replay.c (any compiler) it
 * replays the seed corpus and the regression inputs (make fuzz-replay).
 */
#ifndef CABUNDLE_FUZZ_H
#define CABUNDLE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The real stderr, while the code under test writes to /dev/null. */
extern FILE	*fuzz_stderr;

/*
 * An invariant of the code under test; a broken one aborts, which
 * libFuzzer and the replay driver report like a crash.
 */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(fuzz_stderr != NULL ? fuzz_stderr : stderr,	\
		    "%s:%d: invariant broken: %s\n", __FILE__,		\
		    __LINE__, #cond);					\
		abort();						\
	}								\
} while (0)

void	fuzz_quiet(void);
int	fuzz_label_ok(const char *);
int	fuzz_label_same(const char *, const char *);

struct bundle_error;
int	fuzz_rewrite_too_long(const struct bundle_error *, size_t);

#endif
