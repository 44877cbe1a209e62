/*
 * test-verify-policy.c - the trust decision of the client and the relay
 * (SPEC 8 steps 2-7 and 9-10) on releases signed here, with an injected
 * clock and floor.  Each rule has a case one step past its boundary,
 * and one on it.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "encode.h"
#include "verify.h"
#include "testutil.h"
#include "sign.h"

#define DAY		86400
#define CREATED		1767225600	/* 2026-01-01, long past */

static struct seckey	*k1, *k2, *k3;
static struct pubkey	 trusted[2];	/* K1 and its standby K2 */
static struct buf	 pem;

static int
setup(void **state)
{
	(void)state;
	k1 = testkey_vector();
	k2 = testkey_new();
	k3 = testkey_new();
	trusted[0] = k1->pub;
	trusted[1] = k2->pub;
	fixture_read("vectors/bundle.pem", &pem);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	seckey_free(k1);
	seckey_free(k2);
	seckey_free(k3);
	buf_free(&pem);
	return 0;
}

/* The lowercase hex SHA-256 of body into hex (65 bytes). */
static void
sha_hex(const void *body, size_t len, char *hex)
{
	unsigned char	 h[32];

	EVP_Digest(body, len, h, NULL, EVP_sha256(), NULL);
	hex_encode(h, 32, hex);
}

/*
 * Sign sbody (slen bytes) with key under metadata built from the
 * arguments, describing body (len bytes); format NULL means
 * cabundle/1.  The .minisig text lands in out.
 */
static void
make_sig_over(const struct seckey *key, const char *format,
    const char *profile, uint64_t created, uint64_t expires,
    const void *body, size_t len, const void *sbody, size_t slen,
    struct buf *out)
{
	char	 hex[65], t[512];

	sha_hex(body, len, hex);
	snprintf(t, sizeof(t), "format:%s\tprofile:%s\tversion:7\t"
	    "created:%llu\texpires:%llu\tsize:%zu\tsha256:%s",
	    format ? format : "cabundle/1", profile,
	    (unsigned long long)created, (unsigned long long)expires, len, hex);
	buf_init(out, SIG_FILE_MAX);
	assert_true(sig_sign(key, sbody, slen, t, 0, out));
}

/* Sign body with key under metadata that describes it. */
static void
make_sig(const struct seckey *key, const char *format, const char *profile,
    uint64_t created, uint64_t expires, const void *body, size_t len,
    struct buf *out)
{
	make_sig_over(key, format, profile, created, expires, body, len, body,
	    len, out);
}

/* verify_sig with keys K1 and K2 trusted, profile "org", clock now. */
static int
check_sig(const struct buf *sig, int64_t now, struct release *r, char *why)
{
	struct policy	 p = { trusted, 2, "org", now, 1, NULL };

	return verify_sig((char *)sig->data, sig->len, &p, r, why, 512);
}

static void
test_freeze(void **state)
{
	static const struct {
		const char	*name;
		uint64_t	 created, expires;
		int64_t		 now;
		int		 ok;
		const char	*words;
	} c[] = {
		{ "fresh", CREATED, CREATED + 14 * DAY, CREATED + DAY, 1, NULL },
		{ "last second", CREATED, CREATED + 14 * DAY,
		    CREATED + 14 * DAY - 1, 1, NULL },
		{ "expired", CREATED, CREATED + 14 * DAY, CREATED + 14 * DAY,
		    0, "expired" },
		{ "expired 6 days ago", CREATED, CREATED + 14 * DAY,
		    CREATED + 20 * DAY, 0, "expired" },
		{ "valid 31 days", CREATED, CREATED + 31 * DAY, CREATED + DAY,
		    1, NULL },
		{ "valid 400 days", CREATED, CREATED + 400 * DAY,
		    CREATED + DAY, 0, "valid for 400 days" },
		{ "created within skew", CREATED + 600, CREATED + 14 * DAY,
		    CREATED, 1, NULL },
		{ "created a day ahead", CREATED + DAY, CREATED + 14 * DAY,
		    CREATED, 0, "in the future" },
	};
	struct release	 r;
	struct buf	 sig;
	char		 why[512];
	size_t		 i;
	int		 ok;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		make_sig(k1, NULL, "org", c[i].created, c[i].expires, pem.data,
		    pem.len, &sig);
		ok = check_sig(&sig, c[i].now, &r, why);
		if (ok != c[i].ok)
			fail_msg("%s: %s", c[i].name, ok ? "accepted" : why);
		if (!ok && strstr(why, c[i].words) == NULL)
			fail_msg("%s: reason '%s'", c[i].name, why);
		buf_free(&sig);
	}
}

static void
test_keys_and_profile(void **state)
{
	struct release	 r;
	struct buf	 sig;
	char		 why[512];

	(void)state;
	/* The standby key K2 is trusted too. */
	make_sig(k2, NULL, "org", CREATED, CREATED + DAY, pem.data, pem.len,
	    &sig);
	assert_true(check_sig(&sig, CREATED, &r, why));
	assert_ptr_not_equal(r.key, NULL);
	assert_memory_equal(r.key->keyid, k2->pub.keyid, KEYID_LEN);
	buf_free(&sig);

	make_sig(k3, NULL, "org", CREATED, CREATED + DAY, pem.data, pem.len,
	    &sig);
	assert_false(check_sig(&sig, CREATED, &r, why));
	assert_non_null(strstr(why, "not trusted"));
	buf_free(&sig);

	make_sig(k1, NULL, "org-only", CREATED, CREATED + DAY, pem.data,
	    pem.len, &sig);
	assert_false(check_sig(&sig, CREATED, &r, why));
	assert_non_null(strstr(why, "profile 'org-only', not 'org'"));
	buf_free(&sig);

	make_sig(k1, "cabundle-keys/1", "org", CREATED, CREATED + DAY,
	    pem.data, pem.len, &sig);
	assert_false(check_sig(&sig, CREATED, &r, why));
	assert_non_null(strstr(why, "another kind of signed document"));
	buf_free(&sig);
}

/* An auditor's check of an archived release ignores the clock only. */
static void
test_archive_mode(void **state)
{
	struct pubkey	 keys[1] = { k1->pub };
	struct policy	 p = { keys, 1, NULL, CREATED + 99 * DAY, 0, NULL };
	struct release	 r;
	struct buf	 sig;
	char		 why[512];

	(void)state;
	make_sig(k1, NULL, "org", CREATED, CREATED + DAY, pem.data, pem.len,
	    &sig);
	assert_true(verify_sig((char *)sig.data, sig.len, &p, &r, why, 512));
	p.check_time = 1;
	assert_false(verify_sig((char *)sig.data, sig.len, &p, &r, why, 512));
	buf_free(&sig);
}

static void
test_body(void **state)
{
	static const char *notpem[] = {
		"hello\n",
		"# only a comment\n",
		"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAABAgMEBQYHC"
		    "AkKCwwNDg8QERITFBUWFxgZGhscHR4f\n-----END PRIVATE KEY-----\n",
		"-----BEGIN CERTIFICATE-----\nMIIBYDCCARKgAwIBAgIBATAFBgMrZXA\n",
	};
	struct release	 r;
	struct buf	 sig, body;
	char		 why[512];
	size_t		 i;

	(void)state;
	make_sig(k1, NULL, "org", CREATED, CREATED + DAY, pem.data, pem.len,
	    &sig);
	/*
	 * The clock is read once, by verify_sig: the body is judged
	 * later without it, though the real time is long past expires.
	 */
	assert_true(check_sig(&sig, CREATED + DAY - 1, &r, why));
	assert_true(verify_body(&r, pem.data, pem.len, why, sizeof(why)));
	assert_int_equal(r.ncerts, 1);

	buf_init(&body, 1u << 20);
	assert_true(buf_append(&body, pem.data, pem.len));
	body.data[200] ^= 0x01;
	assert_false(verify_body(&r, body.data, body.len, why, sizeof(why)));
	assert_non_null(strstr(why, "sha256"));
	assert_true(buf_append(&body, "\n", 1));
	assert_false(verify_body(&r, body.data, body.len, why, sizeof(why)));
	assert_non_null(strstr(why, "bytes, the signature says"));
	assert_false(verify_body(&r, pem.data, pem.len - 1, why, sizeof(why)));
	buf_free(&body);
	buf_free(&sig);

	/* Validly signed, right size and hash, and still not a bundle. */
	for (i = 0; i < sizeof(notpem) / sizeof(notpem[0]); i++) {
		make_sig(k1, NULL, "org", CREATED, CREATED + DAY, notpem[i],
		    strlen(notpem[i]), &sig);
		assert_true(check_sig(&sig, CREATED, &r, why));
		assert_false(verify_body(&r, (const unsigned char *)notpem[i],
		    strlen(notpem[i]), why, sizeof(why)));
		assert_non_null(strstr(why, "not a certificate bundle"));
		buf_free(&sig);
	}
}

/*
 * SPEC 12: a constraints document passes only under its own format,
 * a release only under cabundle/1 (domain separation both ways), and
 * verify_data() judges its bytes without asking for PEM.
 */
static void
test_constraints_format(void **state)
{
	static const char	 doc[] = "{\"roots\":[]}\n";
	struct policy		 p = { trusted, 2, "org", CREATED, 1, NULL };
	struct release		 r;
	struct buf		 sig, rsig;
	char			 why[512];

	(void)state;
	make_sig(k1, META_FORMAT_CONSTRAINTS, "org", CREATED, CREATED + DAY,
	    doc, strlen(doc), &sig);
	make_sig(k1, NULL, "org", CREATED, CREATED + DAY, pem.data, pem.len,
	    &rsig);
	assert_false(verify_sig((char *)sig.data, sig.len, &p, &r, why, 512));
	assert_non_null(strstr(why, "another kind of signed document"));
	p.format = META_FORMAT_CONSTRAINTS;
	assert_false(verify_sig((char *)rsig.data, rsig.len, &p, &r, why,
	    512));
	assert_non_null(strstr(why, "another kind of signed document"));
	assert_true(verify_sig((char *)sig.data, sig.len, &p, &r, why, 512));
	assert_true(verify_data(&r, (const unsigned char *)doc, strlen(doc),
	    why, sizeof(why)));
	assert_false(verify_body(&r, (const unsigned char *)doc, strlen(doc),
	    why, sizeof(why)));
	assert_non_null(strstr(why, "not a certificate bundle"));
	assert_false(verify_data(&r, (const unsigned char *)doc,
	    strlen(doc) - 1, why, sizeof(why)));
	buf_free(&sig);
	buf_free(&rsig);
}

/* Step 7: version 7 (make_sig's) against floors around it. */
static void
test_floor(void **state)
{
	static const struct {
		const char		*name;
		uint64_t		 floor;
		int			 same;	/* floor_hex is the body's */
		enum floor_verdict	 want;
		const char		*words;
	} c[] = {
		{ "nothing held", 0, 0, FLOOR_NEWER, NULL },
		{ "one newer", 6, 0, FLOOR_NEWER, NULL },
		{ "held already", 7, 1, FLOOR_CURRENT, NULL },
		{ "another body", 7, 0, FLOOR_REFUSED,
		    "equivocation: org version 7 signed for two bodies" },
		{ "one older", 8, 1, FLOOR_REFUSED,
		    "rollback: https://m offers org version 7, older than "
		    "version 8 installed before" },
	};
	struct release		 r;
	struct buf		 sig;
	enum floor_verdict	 v;
	char			 why[512], hex[65], other[65];
	size_t			 i;

	(void)state;
	sha_hex(pem.data, pem.len, hex);
	memset(other, 'a', 64);
	other[64] = '\0';
	make_sig(k1, NULL, "org", CREATED, CREATED + DAY, pem.data, pem.len,
	    &sig);
	assert_true(check_sig(&sig, CREATED, &r, why));
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		why[0] = '\0';
		v = verify_floor(&r, c[i].floor, c[i].same ? hex : other,
		    "https://m", "installed", why, sizeof(why));
		if (v != c[i].want)
			fail_msg("%s: verdict %d, want %d (%s)", c[i].name, v,
			    c[i].want, why);
		if (c[i].words != NULL && strstr(why, c[i].words) == NULL)
			fail_msg("%s: reason '%s'", c[i].name, why);
	}
	buf_free(&sig);
}

/*
 * Step 9's last rule: size and sha256 as signed, but the signature
 * over the body is another body's.  The trusted comment names pem, the
 * signature covers a body that differs in one byte.
 */
static void
test_body_signature(void **state)
{
	struct release	 r;
	struct buf	 sig, other;
	char		 why[512];

	(void)state;
	buf_init(&other, 1u << 20);
	assert_true(buf_append(&other, pem.data, pem.len));
	other.data[200] ^= 0x01;
	make_sig_over(k1, NULL, "org", CREATED, CREATED + DAY, pem.data,
	    pem.len, other.data, other.len, &sig);
	assert_true(check_sig(&sig, CREATED, &r, why));
	assert_false(verify_body(&r, pem.data, pem.len, why, sizeof(why)));
	assert_non_null(strstr(why, "signature verification failed for the "
	    "body"));
	buf_free(&other);
	buf_free(&sig);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_freeze),
		cmocka_unit_test(test_keys_and_profile),
		cmocka_unit_test(test_archive_mode),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_body_signature),
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_constraints_format),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
