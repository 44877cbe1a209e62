/*
 * fuzz-privmsg.c - the messages between serve's processes
 * (server/privmsg.c) on any bytes, as the signer reads them from a
 * publisher it does not trust.
 *
 * Checks that a stream decodes into messages that never reach past
 * the input, that each message encodes back to the same bytes, and
 * that a sign request the signer accepts is the one canonical trusted
 * comment of its metadata.
 */
#include <string.h>

#include "fuzz.h"
#include "meta.h"
#include "../server/privmsg.h"

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
	static unsigned char	 again[4 + PRIVMSG_MAX];
	const unsigned char	*p = data, *payload;
	struct meta		 m;
	size_t			 left = size, len, used;
	const char		*fmt;
	char			 why[256], t[256];
	int			 type, rc;

	while ((rc = privmsg_decode(p, left, &type, &payload, &len,
	    &used)) == 1) {
		FUZZ_CHECK(used == 5 + len && used <= left);
		FUZZ_CHECK(payload == p + 5 && len < PRIVMSG_MAX);
		FUZZ_CHECK(privmsg_encode(type, payload, len, again) == used);
		FUZZ_CHECK(memcmp(again, p, used) == 0);
		if (type == PM_SIGN || type == PM_SIGN_CONSTRAINTS) {
			fmt = type == PM_SIGN ? META_FORMAT :
			    META_FORMAT_CONSTRAINTS;
			if (privmsg_parse_sign_as(fmt, (const char *)payload,
			    len, &m, why, sizeof(why))) {
				FUZZ_CHECK(meta_format_as(fmt, &m, t,
				    sizeof(t)));
				FUZZ_CHECK(strlen(t) == len &&
				    memcmp(t, payload, len) == 0);
			} else
				FUZZ_CHECK(why[0] != '\0');
		}
		p += used;
		left -= used;
	}
	FUZZ_CHECK(rc == 0 || rc == -1);
	return 0;
}
