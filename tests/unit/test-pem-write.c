/*
 * test-pem-write.c - the writer reproduces mkcert.org's bytes: the raw
 * UTF-8 sample exactly, and each real bundle exactly once its non-ASCII
 * text is escaped the way certifi's strip-non-ascii does.  A hostile
 * name cannot break the layout.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "bundle.h"
#include "testutil.h"

static const char *files[] = {
	"upstream/cacert-2019.11.28.pem", "upstream/cacert-2021.05.30.pem",
	"upstream/cacert-2022.12.07.pem", "upstream/cacert-2024.02.02.pem",
	"upstream/cacert-2025.07.14.pem", "upstream/cacert-2026.07.22.pem",
};

/* Python's errors='backslashreplace' on UTF-8 text. */
static void
backslashreplace(const struct buf *in, struct buf *out)
{
	const unsigned char	*s = in->data;
	size_t			 i, n;
	unsigned int		 cp;

	buf_init(out, 4 * in->len + 1);
	for (i = 0; i < in->len; i += n) {
		if (s[i] < 0x80) {
			n = 1;
			assert_true(buf_append(out, s + i, 1));
			continue;
		}
		if (s[i] >= 0xf0) {
			n = 4;
			cp = s[i] & 0x07;
		} else if (s[i] >= 0xe0) {
			n = 3;
			cp = s[i] & 0x0f;
		} else {
			n = 2;
			cp = s[i] & 0x1f;
		}
		for (size_t k = 1; k < n; k++)
			cp = cp << 6 | (s[i + k] & 0x3f);
		if (cp < 0x100)
			assert_true(buf_printf(out, "\\x%02x", cp));
		else if (cp < 0x10000)
			assert_true(buf_printf(out, "\\u%04x", cp));
		else
			assert_true(buf_printf(out, "\\U%08x", cp));
	}
}

static struct bundle *
parse(const struct buf *in)
{
	struct bundle_error	 e;
	struct bundle		*b;

	if ((b = bundle_parse(in->data, in->len, &e)) == NULL)
		fail_msg("%s", e.msg);
	return b;
}

static void
test_utf8_sample_exact(void **state)
{
	struct buf	 in, out;
	struct bundle	*b;

	(void)state;
	fixture_read("edge/mkcert-utf8-sample.pem", &in);
	b = parse(&in);
	buf_init(&out, 1u << 20);
	assert_true(bundle_write(b, &out));
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.data, in.data, in.len);
	bundle_free(b);
	buf_free(&in);
	buf_free(&out);
}

static void
test_upstream_exact(void **state)
{
	struct buf	 in, out, esc;
	struct bundle	*b, *again;
	size_t		 i, j;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		fixture_read(files[i], &in);
		b = parse(&in);
		buf_init(&out, 4u << 20);
		assert_true(bundle_write(b, &out));
		backslashreplace(&out, &esc);
		if (esc.len != in.len || memcmp(esc.data, in.data, in.len))
			fail_msg("%s: written bundle differs", files[i]);
		/* What we write we read back to the same certificates. */
		again = parse(&out);
		assert_int_equal(again->ncerts, b->ncerts);
		for (j = 0; j < b->ncerts; j++) {
			assert_memory_equal(again->certs[j].sha256,
			    b->certs[j].sha256, 32);
			assert_string_equal(again->certs[j].label,
			    b->certs[j].label);
		}
		bundle_free(again);
		bundle_free(b);
		buf_free(&in);
		buf_free(&out);
		buf_free(&esc);
	}
}

static void
patch(unsigned char *der, size_t len, const char *from, const char *to)
{
	size_t	 i, n = strlen(from);

	for (i = 0; i + n <= len; i++)
		if (memcmp(der + i, from, n) == 0) {
			memcpy(der + i, to, n);
			return;
		}
	fail_msg("patch: %s not found", from);
}

/* A certificate whose names try to inject lines and bad UTF-8. */
static void
test_hostile_name(void **state)
{
	const char	*cn = "evil\n-----END CERTIFICATE-----\n# Label: x\x01";
	const char	*o = "bad XXX utf-8 YY";
	EVP_PKEY	*key = NULL;
	EVP_PKEY_CTX	*kctx;
	X509		*x;
	X509_NAME	*name;
	unsigned char	*der = NULL, *bad;
	struct cert	 c;
	struct bundle	 one, *back;
	struct buf	 out;
	char		 why[256];
	int		 derlen;

	(void)state;
	assert_non_null(kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL));
	assert_int_equal(EVP_PKEY_keygen_init(kctx), 1);
	assert_int_equal(EVP_PKEY_keygen(kctx, &key), 1);
	assert_non_null(x = X509_new());
	assert_true(X509_set_version(x, 2));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	name = X509_get_subject_name(x);
	assert_true(X509_NAME_add_entry_by_NID(name, NID_commonName,
	    MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0));
	assert_true(X509_NAME_add_entry_by_NID(name, NID_organizationName,
	    MBSTRING_UTF8, (const unsigned char *)o, -1, -1, 0));
	assert_true(X509_set_issuer_name(x, name));
	assert_true(X509_set_pubkey(x, key));
	assert_true(X509_sign(x, key, NULL) > 0);
	assert_true((derlen = i2d_X509(x, &der)) > 0);
	/*
	 * What a hostile file can carry but OpenSSL will not build: a
	 * UTF8String holding a surrogate and an overlong form, patched
	 * into a copy of the DER.  The reader refuses the certificate.
	 */
	assert_non_null(bad = OPENSSL_memdup(der, (size_t)derlen));
	patch(bad, (size_t)derlen, "XXX", "\xed\xa0\x80");
	patch(bad, (size_t)derlen, "YY", "\xc0\xaf");
	assert_false(cert_init(&c, bad, (size_t)derlen, NULL, why,
	    sizeof(why)));
	assert_non_null(strstr(why, "DER:"));
	OPENSSL_free(bad);

	if (!cert_init(&c, der, (size_t)derlen, NULL, why, sizeof(why)))
		fail_msg("cert_init: %s", why);
	assert_true(c.self_signed);
	/* The label falls back to the CN, with control bytes escaped. */
	assert_null(strchr(c.label, '\n'));
	assert_non_null(strstr(c.label, "evil\\x0a"));
	assert_null(strchr(c.subject, '\n'));
	one.certs = &c;
	one.ncerts = 1;
	buf_init(&out, 1u << 20);
	assert_true(bundle_write(&one, &out));
	back = parse(&out);
	assert_int_equal(back->ncerts, 1);
	assert_memory_equal(back->certs[0].sha256, c.sha256, 32);
	assert_string_equal(back->certs[0].label, c.label);
	assert_non_null(strstr((char *)out.data, "# Subject: CN=evil\\x0a-----"
	    "END CERTIFICATE-----\\x0a# Label: x\\x01 O=bad XXX utf-8 YY\n"));
	bundle_free(back);
	buf_free(&out);
	cert_clear(&c);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(kctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_sample_exact),
		cmocka_unit_test(test_upstream_exact),
		cmocka_unit_test(test_hostile_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
