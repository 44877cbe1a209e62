/*
 * test-sig-strict.c - each strictness rule of SPEC 3.2 (and ours) has a
 * case that must fail: the vector's .minisig edited one way at a time.
 */
#include <string.h>

#include "meta.h"
#include "sig.h"
#include "sign.h"
#include "testutil.h"

#define L1 "untrusted comment: signature from key 4C476354A75A4756\n"
#define L2 "RURWR1qnVGNHTNw5vPl7Zpefg2uDmDzPFgVZM7ygaBlo8D29duf65dI6Mk0V9Z" \
	   "jrmyYrvNfHXQ07JRhT3nx6i4QV8/6pmQ6ioA4=\n"
#define T  "format:cabundle/1\tprofile:test\tversion:1\tcreated:1767225600" \
	   "\texpires:1768435200\tsize:538\tsha256:50db2bc8d8af1d0ac5b62bf" \
	   "dfe541a8e87bc082211d68b0532a42e32209f6734"
#define L3 "trusted comment: " T "\n"
#define L4 "9aVI9pVkawnt6yZZJpWAwKPUKERVSnsL4l2K/IesdwAwaeissKY/hAUAUGQ3mZ" \
	   "gR+3V5v/pSnEigvN2iztSYAw==\n"

enum step { PARSE, KEY, COMMENT, DATA };

static const struct {
	const char	*name;
	const char	*text;
	enum step	 fails;		/* first step that must fail */
	enum sig_err	 err;
} cases[] = {
	{ "the vector", L1 L2 L3 L4, DATA + 1, SIG_OK },
	{ "no final LF", L1 L2 L3 "9aVI9pVkawnt6yZZJpWAwKPUKERVSnsL4l2K/"
	    "IesdwAwaeissKY/hAUAUGQ3mZgR+3V5v/pSnEigvN2iztSYAw==", DATA + 1,
	    SIG_OK },
	{ "legacy Ed label", L1 "RWRWR1qnVGNHTNw5vPl7Zpefg2uDmDzPFgVZM7ygaBlo8"
	    "D29duf65dI6Mk0V9ZjrmyYrvNfHXQ07JRhT3nx6i4QV8/6pmQ6ioA4=\n" L3 L4,
	    PARSE, SIG_LEGACY },
	{ "unknown algorithm", L1 "RXRWR1qnVGNHTNw5vPl7Zpefg2uDmDzPFgVZM7ygaB"
	    "lo8D29duf65dI6Mk0V9ZjrmyYrvNfHXQ07JRhT3nx6i4QV8/6pmQ6ioA4=\n" L3 L4,
	    PARSE, SIG_FORMAT },
	{ "other key id", L1 "RURXR1qnVGNHTNw5vPl7Zpefg2uDmDzPFgVZM7ygaBlo8D"
	    "29duf65dI6Mk0V9ZjrmyYrvNfHXQ07JRhT3nx6i4QV8/6pmQ6ioA4=\n" L3 L4,
	    KEY, SIG_UNKNOWN_KEY },
	{ "edited trusted comment", L1 L2 "trusted comment: format:cabundle/1"
	    "\tprofile:test\tversion:2\tcreated:1767225600\texpires:1768435200"
	    "\tsize:538\tsha256:50db2bc8d8af1d0ac5b62bfdfe541a8e87bc082211d68b"
	    "0532a42e32209f6734\n" L4, COMMENT, SIG_BAD_GLOBAL },
	{ "signature bytes edited", L1 "RURWR1qnVGNHTNw5vPl7Zpefg2uDmDzPFgVZM7"
	    "ygaBlo8D29duf65dI6Mk0V9ZjrmyYrvNfHXQ07JRhT3nx6i4QV8/6pmQ6ioA8=\n"
	    L3 L4, COMMENT, SIG_BAD_GLOBAL },
	{ "non-canonical base64, line 2", L1 "RURWR1qnVGNHTNw5vPl7Zpefg2uDmDzP"
	    "FgVZM7ygaBlo8D29duf65dI6Mk0V9ZjrmyYrvNfHXQ07JRhT3nx6i4QV8/6pmQ6ioA"
	    "5=\n" L3 L4, PARSE, SIG_FORMAT },
	{ "non-canonical base64, line 4", L1 L2 L3 "9aVI9pVkawnt6yZZJpWAwKPUKE"
	    "RVSnsL4l2K/IesdwAwaeissKY/hAUAUGQ3mZgR+3V5v/pSnEigvN2iztSYAx==\n",
	    PARSE, SIG_FORMAT },
	{ "base64 with spaces", L1 L2 L3 " 9aVI9pVkawnt6yZZJpWAwKPUKERVSnsL4l2"
	    "K/IesdwAwaeissKY/hAUAUGQ3mZgR+3V5v/pSnEigvN2iztSYAw==\n", PARSE,
	    SIG_FORMAT },
	{ "extra line", L1 L2 L3 L4 "\n", PARSE, SIG_FORMAT },
	{ "extra text", L1 L2 L3 L4 "untrusted comment: again\n", PARSE,
	    SIG_FORMAT },
	{ "truncated after line 3", L1 L2 L3, PARSE, SIG_FORMAT },
	{ "truncated inside line 4", L1 L2 L3 "9aVI9pVkawnt6yZZ", PARSE,
	    SIG_FORMAT },
	{ "truncated after line 2", L1 L2, PARSE, SIG_FORMAT },
	{ "empty", "", PARSE, SIG_FORMAT },
	{ "no untrusted comment prefix", "signature from key\n" L2 L3 L4,
	    PARSE, SIG_FORMAT },
	{ "underscore trusted_comment", L1 L2 "trusted_comment: " T "\n" L4,
	    PARSE, SIG_FORMAT },
	{ "lines swapped", L1 L3 L2 L4, PARSE, SIG_FORMAT },
	{ "stray CR in T", L1 L2 "trusted comment: format:cabundle/1\r\tx\n"
	    L4, PARSE, SIG_FORMAT },
	{ "control character in T", L1 L2 "trusted comment: a\x1b" "b\n" L4,
	    PARSE, SIG_FORMAT },
	{ "non-ASCII in T", L1 L2 "trusted comment: caf\xc3\xa9\n" L4, PARSE,
	    SIG_FORMAT },
};

static void
test_cases(void **state)
{
	struct pubkey	 pk;
	struct buf	 body;
	struct minisig	 s;
	enum sig_err	 e;
	char		 why[256];
	size_t		 i;

	(void)state;
	assert_true(pubkey_load(fixture_path("vectors/test.pub"), &pk));
	fixture_read("vectors/bundle.pem", &body);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e = sig_parse(cases[i].text, strlen(cases[i].text), &s, why,
		    sizeof(why));
		if (cases[i].fails == PARSE) {
			if (e != cases[i].err)
				fail_msg("%s: parse gave %s", cases[i].name,
				    sig_errname(e));
			continue;
		}
		if (e != SIG_OK)
			fail_msg("%s: parse: %s", cases[i].name, why);
		if (cases[i].fails == KEY) {
			assert_null(sig_find_key(&s, &pk, 1));
			continue;
		}
		assert_non_null(sig_find_key(&s, &pk, 1));
		e = sig_verify_comment(&s, &pk);
		if (cases[i].fails == COMMENT) {
			if (e != cases[i].err)
				fail_msg("%s: comment gave %s", cases[i].name,
				    sig_errname(e));
			continue;
		}
		assert_int_equal(e, SIG_OK);
		assert_int_equal(sig_verify_data(&s, &pk, body.data, body.len),
		    SIG_OK);
	}
	buf_free(&body);
}

/* CR LF line ends are line ends; T does not include the CR. */
static void
test_crlf(void **state)
{
	const char	*t = "untrusted comment: x\r\n" "RURWR1qnVGNHTNw5vPl7Zpe"
	    "fg2uDmDzPFgVZM7ygaBlo8D29duf65dI6Mk0V9ZjrmyYrvNfHXQ07JRhT3nx6i4QV"
	    "8/6pmQ6ioA4=\r\n" "trusted comment: " T "\r\n" "9aVI9pVkawnt6yZZJ"
	    "pWAwKPUKERVSnsL4l2K/IesdwAwaeissKY/hAUAUGQ3mZgR+3V5v/pSnEigvN2iztS"
	    "YAw==\r\n";
	struct pubkey	 pk;
	struct minisig	 s;
	char		 why[256];

	(void)state;
	assert_true(pubkey_load(fixture_path("vectors/test.pub"), &pk));
	assert_int_equal(sig_parse(t, strlen(t), &s, why, sizeof(why)),
	    SIG_OK);
	assert_int_equal(s.commentlen, 159);
	assert_int_equal(sig_verify_comment(&s, &pk), SIG_OK);
}

/* Body edits, a NUL, a huge file, and a signature by another key. */
static void
test_body_and_keys(void **state)
{
	struct seckey	*k1 = testkey_vector(), *k3 = testkey_new();
	struct buf	 body, out;
	struct minisig	 s;
	char		 why[256], longt[SIG_COMMENT_MAX + 2];
	size_t		 i;

	(void)state;
	fixture_read("vectors/bundle.pem", &body);
	buf_init(&out, SIG_FILE_MAX + 16);
	assert_true(sig_sign(k1, body.data, body.len, T, 0, &out));
	assert_int_equal(sig_parse((char *)out.data, out.len, &s, why,
	    sizeof(why)), SIG_OK);
	body.data[100] ^= 1;
	assert_int_equal(sig_verify_data(&s, &k1->pub, body.data, body.len),
	    SIG_BAD_SIG);
	body.data[100] ^= 1;
	assert_int_equal(sig_verify_data(&s, &k1->pub, body.data,
	    body.len - 1), SIG_BAD_SIG);
	assert_int_equal(sig_verify_data(&s, &k1->pub, body.data, body.len),
	    SIG_OK);

	/* K3 signs, then claims K1's id: the id selects, never proves. */
	buf_reset(&out);
	assert_true(sig_sign(k3, body.data, body.len, T, 0, &out));
	assert_int_equal(sig_parse((char *)out.data, out.len, &s, why,
	    sizeof(why)), SIG_OK);
	assert_null(sig_find_key(&s, &k1->pub, 1));
	memcpy(s.keyid, k1->pub.keyid, KEYID_LEN);
	assert_int_equal(sig_verify_comment(&s, &k1->pub), SIG_BAD_GLOBAL);
	assert_int_equal(sig_verify_data(&s, &k1->pub, body.data, body.len),
	    SIG_BAD_SIG);

	/* NUL anywhere, and more than 16 KiB, are refused unread. */
	out.data[30] = '\0';
	assert_int_equal(sig_parse((char *)out.data, out.len, &s, why,
	    sizeof(why)), SIG_FORMAT);
	buf_reset(&out);
	assert_true(buf_append(&out, L1, strlen(L1)));
	while (out.len <= SIG_FILE_MAX)
		assert_true(buf_append(&out, "x", 1));
	assert_int_equal(sig_parse((char *)out.data, out.len, &s, why,
	    sizeof(why)), SIG_FORMAT);

	/* T: 4077 bytes sign and parse, 4078 do neither (minisign -S). */
	for (i = 0; i < SIG_COMMENT_MAX; i++)
		longt[i] = 'a';
	longt[i] = '\0';
	buf_reset(&out);
	assert_true(sig_sign(k1, body.data, body.len, longt, 0, &out));
	assert_int_equal(sig_parse((char *)out.data, out.len, &s, why,
	    sizeof(why)), SIG_OK);
	assert_int_equal(sig_verify_comment(&s, &k1->pub), SIG_OK);
	longt[i] = 'a';
	longt[i + 1] = '\0';
	assert_false(sig_sign(k1, body.data, body.len, longt, 0, &out));
	assert_false(sig_sign(k1, body.data, body.len, "a\nb", 0, &out));
	seckey_free(k1);
	seckey_free(k3);
	buf_free(&body);
	buf_free(&out);
}

static void
test_pubkey_strict(void **state)
{
	static const char *bad[] = {
		"RWRWR1qnVGNHTAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4\n",
		"minisign public key\n"
		    "RWRWR1qnVGNHTAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4\n",
		"untrusted comment: x\n"
		    "RWRWR1qnVGNHTAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG!\n",
		"untrusted comment: x\n"
		    "RURWR1qnVGNHTAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4\n",
		"untrusted comment: x\n"
		    "RWRWR1qnVGNHTAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVT\n",
		"untrusted comment: x\n"
		    "RWRWR1qnVGNHTAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4\nx\n",
	};
	struct pubkey	 pk;
	char		 why[128];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pubkey_parse(bad[i], strlen(bad[i]), &pk, why, sizeof(why)))
			fail_msg("public key case %zu accepted", i);
	assert_false(pubkey_from_string("RWRWR1qn", 8, &pk));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_body_and_keys),
		cmocka_unit_test(test_pubkey_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
