/*
 * fuzz-copts.c - the client's /etc/cabundle.conf (client/opts.c): the
 * same inih-based reading as the server's, with its own settings and
 * lists.  The text goes to opts_parse(): opts_load() first refuses a
 * file that is not root's alone, and a memfd's /proc/self/fd link is
 * not (it would refuse every input).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "../client/extern.h"
#include "fuzz.h"
#include "../client/opts.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct copts	 o;
	struct buf	 b;

	buf_init(&b, size + 1);
	if (!buf_append(&b, data, size))
		abort();
	memset(&o, 0, sizeof(o));
	opts_defaults(&o);
	if (opts_parse(&o, "fuzz.conf", &b)) {
		FUZZ_CHECK(o.nkeys <= MAX_KEYS && o.npy <= MAX_TARGETS &&
		    o.nout <= MAX_TARGETS && o.ncap <= MAX_TARGETS);
		FUZZ_CHECK(o.get.timeout >= 1 && o.get.timeout <= 3600);
	}
	opts_free(&o);
	buf_free(&b);
	return 0;
}
