/*
 * fuzz-keylist.c - the key list parser and verifier of common/
 * keylist.c on any bytes (doc/SPEC.md 11): what a client reads from
 * /v1/keys and a mirror from an import or its upstream.
 *
 * Checks: a list that parses is canonical (keylist_write gives back
 * exactly the input), within its caps, with a threshold between 1 and
 * its root count, created before expires, and its trusted comment fits
 * in a minisign comment.  The input is also offered as the signature of
 * the doc/vectors/keys-1 list and, split at the first "\n\n\n", as a
 * list followed by one signature, to the verifier with the spec's test
 * key as the configured root: a forged input can never verify.
 */
#include <string.h>

#include "fuzz.h"
#include "keylist.h"

/* SPEC section 5's test key, the root of doc/vectors/keys-1. */
#define TEST_PUBKEY \
	"RWRWR1qnVGNHTAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"

static struct pubkey	 root;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	if (!pubkey_from_string(TEST_PUBKEY, strlen(TEST_PUBKEY), &root))
		abort();
	return 0;
}

static void
fuzz_parse(const char *text, size_t len)
{
	struct keylist	 kl;
	struct buf	 b;
	char		 why[300], tc[KEYLIST_COMMENT_MAX];

	if (!keylist_parse(text, len, &kl, why, sizeof(why))) {
		FUZZ_CHECK(why[0] != '\0');
		return;
	}
	FUZZ_CHECK(kl.nroots >= 1 && kl.nroots <= KEYLIST_ROOTS_MAX);
	FUZZ_CHECK(kl.nkeys <= KEYLIST_KEYS_MAX);
	FUZZ_CHECK(kl.threshold >= 1 && kl.threshold <= kl.nroots);
	FUZZ_CHECK(kl.created < kl.expires);
	buf_init(&b, KEYLIST_MAX);
	FUZZ_CHECK(keylist_write(&kl, &b));
	FUZZ_CHECK(b.len == len && memcmp(b.data, text, len) == 0);
	buf_free(&b);
	FUZZ_CHECK(keylist_comment(&kl, tc, sizeof(tc)));
	FUZZ_CHECK(sig_comment_ok(tc, strlen(tc)));
}

/* The first "\n\n\n" in text, or NULL (memmem is not C11). */
static const char *
separator(const char *text, size_t len)
{
	size_t	 i;

	for (i = 0; i + 3 <= len; i++)
		if (memcmp(text + i, "\n\n\n", 3) == 0)
			return text + i;
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*text = (const char *)data, *sep;
	struct keylist_sig	 sig;
	struct keylist		 out;
	char			 why[300];

	fuzz_parse(text, size);
	/* list "\n\n\n" signature: only a real signature verifies. */
	if ((sep = separator(text, size)) != NULL) {
		sig.text = sep + 3;
		sig.len = size - (size_t)(sep + 3 - text);
		if (keylist_verify(NULL, &root, 1, text,
		    (size_t)(sep - text) + 1, &sig, 1, &out, NULL, why,
		    sizeof(why)))
			FUZZ_CHECK(keylist_has_root(&out, &root));
	}
	return 0;
}
