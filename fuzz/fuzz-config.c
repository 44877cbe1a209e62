/*
 * fuzz-config.c - cabundled's configuration (server/config.c): the
 * file as inih reads it after our own line checks, then the -o
 * overrides.
 *
 * Input: the file's bytes up to the first NUL; after it, NUL-separated
 * "-o section.key=value" strings (at most CONFIG_MAX_OVERRIDES).  The
 * file lives in a memfd, reached by its /proc/self/fd path, so nothing
 * touches the disk and nothing is left behind.  Checks: a loaded
 * configuration satisfies what config_load promises its callers.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "../server/config.h"
#include "fuzz.h"

static int	 fd = -1;
static char	 path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	if ((fd = memfd_create("fuzz-config", MFD_CLOEXEC)) == -1) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	 cfg;
	const uint8_t	*nul;
	char		*o = NULL, *p, *end;
	size_t		 flen, i;
	int		 ok;

	nul = memchr(data, '\0', size);
	flen = nul != NULL ? (size_t)(nul - data) : size;
	if (ftruncate(fd, 0) == -1 || (flen > 0 &&
	    pwrite(fd, data, flen, 0) != (ssize_t)flen))
		abort();
	memset(&cfg, 0, sizeof(cfg));
	config_defaults(&cfg);
	cfg.config = path;
	if (nul != NULL) {
		/* The overrides, each NUL-terminated, in one copy. */
		if ((o = malloc(size - flen)) == NULL)
			return 0;
		memcpy(o, nul + 1, size - flen - 1);
		o[size - flen - 1] = '\0';
		end = o + (size - flen - 1);
		for (p = o; p < end && cfg.noverrides <
		    CONFIG_MAX_OVERRIDES; p += strlen(p) + 1)
			cfg.overrides[cfg.noverrides++] = p;
	}
	ok = config_load(&cfg);
	if (ok) {
		FUZZ_CHECK(cfg.datadir != NULL && cfg.url != NULL &&
		    cfg.http.listen != NULL && cfg.actor != NULL);
		FUZZ_CHECK(cfg.resign_after < cfg.sign_validity);
		FUZZ_CHECK((cfg.http.tls_cert == NULL) ==
		    (cfg.http.tls_key == NULL));
		FUZZ_CHECK(cfg.mirror.url == NULL || cfg.mirror.nkeys > 0);
		for (i = 0; i < cfg.mirror.nprofiles; i++)
			FUZZ_CHECK(profile_valid(cfg.mirror.profiles[i],
			    strlen(cfg.mirror.profiles[i])));
		FUZZ_CHECK(cfg.mirror.all || cfg.mirror.nprofiles > 0);
		FUZZ_CHECK(cfg.vet.anchors.n <= CONFIG_MAX_PINS &&
		    cfg.vet.digests.n <= CONFIG_MAX_PINS);
		FUZZ_CHECK(cfg.mirror.nkeys <= CONFIG_MAX_MIRROR_KEYS);
	}
	config_free(&cfg);
	free(o);
	FUZZ_CHECK(ERR_peek_error() == 0);
	return 0;
}
