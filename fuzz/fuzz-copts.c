/*
 * fuzz-copts.c - the client's /etc/cabundle.conf (client/opts.c): the
 * same inih-based reading as the server's, with its own settings and
 * lists.  The file lives in a memfd (see fuzz-config.c).
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../client/extern.h"
#include "fuzz.h"
#include "../client/opts.h"

static int	 fd = -1;
static char	 path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	if ((fd = memfd_create("fuzz-copts", MFD_CLOEXEC)) == -1) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct copts	 o;

	if (ftruncate(fd, 0) == -1 || (size > 0 &&
	    pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	memset(&o, 0, sizeof(o));
	if (opts_load(&o, path)) {
		FUZZ_CHECK(o.nkeys <= MAX_KEYS && o.npy <= MAX_TARGETS &&
		    o.nout <= MAX_TARGETS && o.ncap <= MAX_TARGETS);
		FUZZ_CHECK(o.get.timeout >= 1 && o.get.timeout <= 3600);
	}
	opts_free(&o);
	return 0;
}
