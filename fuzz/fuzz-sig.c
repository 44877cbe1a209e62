/*
 * fuzz-sig.c - the minisign parsers of common/sig.c on any bytes: a
 * .minisig (sig_parse) and a public key file (pubkey_parse, and the
 * bare "RW..." string it contains, pubkey_from_string).
 *
 * Checks: a parsed trusted comment is the NUL-terminated text of line
 * 3 within SIG_COMMENT_MAX; a parsed key file's line 2 is exactly the
 * key's canonical string and pubkey_write gives a file that parses to
 * the same key.  A signature by the spec's test key (tests/fixtures/
 * vectors/test.pub) is verified, and its comment goes on to the
 * metadata grammar, as the client's verify_sig would.
 */
#include <string.h>

#include <openssl/err.h>

#include "fuzz.h"
#include "meta.h"
#include "sig.h"

/* SPEC section 5's test key, key id 4C476354A75A4756. */
#define TEST_PUBKEY \
	"RWRWR1qnVGNHTAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"

static struct pubkey	 testkey;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	if (!pubkey_from_string(TEST_PUBKEY, strlen(TEST_PUBKEY), &testkey))
		abort();
	return 0;
}

static void
fuzz_minisig(const char *text, size_t len)
{
	struct minisig	 s;
	struct meta	 m;
	enum sig_err	 e;
	char		 why[256];

	e = sig_parse(text, len, &s, why, sizeof(why));
	FUZZ_CHECK(e == SIG_OK || e == SIG_LEGACY || e == SIG_FORMAT);
	FUZZ_CHECK(strcmp(sig_errname(e), "unknown") != 0);
	if (e == SIG_FORMAT) {
		FUZZ_CHECK(why[0] != '\0');
		return;
	}
	FUZZ_CHECK(s.commentlen <= SIG_COMMENT_MAX);
	FUZZ_CHECK(strlen(s.comment) == s.commentlen);
	FUZZ_CHECK(s.alg[0] == 'E' && s.alg[1] == (e == SIG_OK ? 'D' : 'd'));
	if (e == SIG_LEGACY) {
		FUZZ_CHECK(sig_verify_comment(&s, &testkey) == SIG_LEGACY);
		return;
	}
	if (sig_find_key(&s, &testkey, 1) == NULL ||
	    sig_verify_comment(&s, &testkey) != SIG_OK)
		return;
	/* Authentic: what verify_sig() does next. */
	(void)meta_parse(s.comment, s.commentlen, &m, why, sizeof(why));
}

static void
fuzz_pubkey(const char *text, size_t len)
{
	struct pubkey	 pk, again;
	struct buf	 out;
	char		 s[PUBKEY_STR_LEN + 1], why[128];
	const char	*nl;

	if (pubkey_from_string(text, len, &pk)) {
		pubkey_string(&pk, s);
		FUZZ_CHECK(len == PUBKEY_STR_LEN && memcmp(s, text, len) == 0);
	}
	if (!pubkey_parse(text, len, &pk, why, sizeof(why)))
		return;
	/* Line 2, its line end dropped, is the canonical string. */
	pubkey_string(&pk, s);
	nl = memchr(text, '\n', len);
	FUZZ_CHECK(nl != NULL && (size_t)(text + len - (nl + 1)) >=
	    PUBKEY_STR_LEN && memcmp(nl + 1, s, PUBKEY_STR_LEN) == 0);
	buf_init(&out, PUBKEY_FILE_MAX);
	FUZZ_CHECK(pubkey_write(&pk, &out));
	FUZZ_CHECK(pubkey_parse((const char *)out.data, out.len, &again, why,
	    sizeof(why)));
	FUZZ_CHECK(memcmp(&again, &pk, sizeof(pk)) == 0);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_minisig((const char *)data, size);
	fuzz_pubkey((const char *)data, size);
	FUZZ_CHECK(ERR_peek_error() == 0);
	return 0;
}
