/*
 * fuzz-meta.c - the trusted comment grammar (common/meta.c, SPEC 7) on
 * any bytes.
 *
 * Checks the promise of one canonical text per metadata set: whatever
 * meta_parse() accepts, meta_format() writes back byte for byte.
 */
#include <string.h>

#include "fuzz.h"
#include "meta.h"

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
	struct meta	 m;
	char		 why[256], out[256];
	const char	*t = (const char *)data;

	if (!meta_parse(t, size, &m, why, sizeof(why))) {
		FUZZ_CHECK(why[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(profile_valid(m.profile, strlen(m.profile)));
	FUZZ_CHECK(m.created < m.expires);
	FUZZ_CHECK(meta_format(&m, out, sizeof(out)));
	FUZZ_CHECK(strlen(out) == size && memcmp(out, t, size) == 0);
	return 0;
}
