/*
 * test-pem-strict.c - every strictness rule of the reader, on bundles
 * built from the one-certificate test vector.  In each text "@" stands
 * for that certificate's PEM block, "$" for its SHA256 comment value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "encode.h"
#include "testutil.h"

#define FP "b5:65:71:50:d5:a2:5c:05:02:da:9b:a6:18:be:62:7e:fe:55:af:77:" \
	   "3c:bd:1f:74:a6:31:b1:2f:c5:e0:fe:01"
#define CN "cabundle test vector (not a real CA)"

static const struct {
	const char	*name;
	const char	*text;
	enum bundle_err	 code;		/* BUNDLE_OK: must parse */
	size_t		 certs;		/* when it parses */
	const char	*label;		/* of the first, when it parses */
} cases[] = {
	{ "plain", "@", BUNDLE_OK, 1, CN },
	{ "two blocks, comments, blank lines", "\n# x\n\n@\n\n@", BUNDLE_OK,
	    2, CN },
	{ "label comment", "# Label: \"Test Root\"\n@", BUNDLE_OK, 1,
	    "Test Root" },
	{ "label without quotes", "# Label: Test Root\n@", BUNDLE_OK, 1,
	    "Test Root" },
	{ "label escapes decoded", "# Label: \"A\\xe9B\\u0151\"\n@",
	    BUNDLE_OK, 1, "A\xc3\xa9" "B\xc5\x91" },
	{ "ASCII escape kept literally", "# Label: \"C:\\x41\\q\"\n@",
	    BUNDLE_OK, 1, "C:\\x41\\q" },
	{ "raw UTF-8 label", "# Label: \"\xc3\xa9t\xc3\xa9\"\n@", BUNDLE_OK,
	    1, "\xc3\xa9t\xc3\xa9" },
	{ "matching fingerprint", "# SHA256 Fingerprint: " FP "\n@",
	    BUNDLE_OK, 1, CN },
	{ "label resets after each block",
	    "# Label: \"first\"\n@# SHA256 Fingerprint: " FP "\n@",
	    BUNDLE_OK, 2, "first" },
	{ "only blank lines", "\n  \n\t\n", BUNDLE_EMPTY, 0, NULL },
	{ "only comments", "# Label: \"x\"\n# nothing\n", BUNDLE_NO_CERTS, 0,
	    NULL },
	{ "text between blocks", "@hello\n@", BUNDLE_TEXT, 0, NULL },
	{ "curl-style label line", "Test Root\n=========\n@", BUNDLE_TEXT,
	    0, NULL },
	{ "indented BEGIN", "  -----BEGIN CERTIFICATE-----\n", BUNDLE_TEXT,
	    0, NULL },
	{ "END without BEGIN", "-----END CERTIFICATE-----\n", BUNDLE_TEXT,
	    0, NULL },
	{ "HTML after a certificate", "@<html><body>login</body></html>\n",
	    BUNDLE_HTML, 0, NULL },
	{ "private key block",
	    "@-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAABAgMEBQYHC"
	    "AkKCwwNDg8QERITFBUWFxgZGhscHR4f\n-----END PRIVATE KEY-----\n",
	    BUNDLE_NOT_CERT, 0, NULL },
	{ "trusted certificate block",
	    "-----BEGIN TRUSTED CERTIFICATE-----\nAAAA\n"
	    "-----END TRUSTED CERTIFICATE-----\n", BUNDLE_NOT_CERT, 0, NULL },
	{ "X509 CRL block", "-----BEGIN X509 CRL-----\n", BUNDLE_NOT_CERT, 0,
	    NULL },
	{ "fingerprint comment mismatch",
	    "# SHA256 Fingerprint: 00:65:71:50:d5:a2:5c:05:02:da:9b:a6:18:be:62:"
	    "7e:fe:55:af:77:3c:bd:1f:74:a6:31:b1:2f:c5:e0:fe:01\n@", BUNDLE_FP_MISMATCH, 0,
	    NULL },
	{ "fingerprint comment malformed",
	    "# SHA256 Fingerprint: b5657150\n@", BUNDLE_BAD_COMMENT, 0, NULL },
	{ "two fingerprint comments",
	    "# SHA256 Fingerprint: " FP "\n# SHA256 Fingerprint: " FP "\n@",
	    BUNDLE_BAD_COMMENT, 0, NULL },
	{ "two labels", "# Label: \"a\"\n# Label: \"b\"\n@",
	    BUNDLE_BAD_COMMENT, 0, NULL },
	{ "empty label", "# Label: \n@", BUNDLE_BAD_COMMENT, 0, NULL },
	{ "comment not UTF-8", "# Label: \"\xe9t\xe9\"\n@", BUNDLE_BAD_UTF8,
	    0, NULL },
	{ "overlong UTF-8", "# \xc0\xaf\n@", BUNDLE_BAD_UTF8, 0, NULL },
	{ "control character in comment", "# a\x1b[2Jb\n@", BUNDLE_BAD_UTF8,
	    0, NULL },
	{ "C1 control (8-bit CSI) in comment", "# Label: \"a\xc2\x9b" "2Jb\"\n@",
	    BUNDLE_BAD_UTF8, 0, NULL },
	{ "NBSP is not a control", "# Label: \"a\xc2\xa0" "b\"\n@",
	    BUNDLE_OK, 1, "a\xc2\xa0" "b" },
	{ "stray CR", "# a\rb\n@", BUNDLE_BAD_LINE_END, 0, NULL },
	{ "PEM headers",
	    "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n",
	    BUNDLE_BAD_BASE64, 0, NULL },
	{ "blank line in block", "-----BEGIN CERTIFICATE-----\n\nAAAA\n",
	    BUNDLE_BAD_BASE64, 0, NULL },
	{ "data after padding",
	    "-----BEGIN CERTIFICATE-----\nAA==\nAAAA\n"
	    "-----END CERTIFICATE-----\n", BUNDLE_BAD_BASE64, 0, NULL },
	{ "base64 not a multiple of 4",
	    "-----BEGIN CERTIFICATE-----\nAAAAA\n-----END CERTIFICATE-----\n",
	    BUNDLE_BAD_BASE64, 0, NULL },
	{ "empty block",
	    "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
	    BUNDLE_BAD_BASE64, 0, NULL },
	{ "wrong END inside block",
	    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n",
	    BUNDLE_BAD_BASE64, 0, NULL },
	{ "BEGIN inside block",
	    "-----BEGIN CERTIFICATE-----\nAAAA\n@", BUNDLE_TRUNCATED, 0, NULL },
	{ "not a certificate",
	    "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQK\n"
	    "-----END CERTIFICATE-----\n", BUNDLE_BAD_DER, 0, NULL },
};

static char *
build(const char *tmpl, const struct buf *pem)
{
	struct buf	 b;
	const char	*p;

	buf_init(&b, 1u << 20);
	for (p = tmpl; *p != '\0'; p++)
		if (*p == '@')
			assert_true(buf_append(&b, pem->data, pem->len));
		else
			assert_true(buf_append(&b, p, 1));
	return (char *)b.data;
}

static void
test_cases(void **state)
{
	struct bundle_error	 e;
	struct bundle		*b;
	struct buf		 pem;
	char			*text;
	size_t			 i;

	(void)state;
	fixture_read("vectors/bundle.pem", &pem);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text = build(cases[i].text, &pem);
		b = bundle_parse((unsigned char *)text, strlen(text), &e);
		if (cases[i].code == BUNDLE_OK) {
			if (b == NULL)
				fail_msg("%s: refused: %s", cases[i].name,
				    e.msg);
			assert_int_equal(b->ncerts, cases[i].certs);
			assert_string_equal(b->certs[0].label,
			    cases[i].label);
		} else {
			if (b != NULL)
				fail_msg("%s: accepted", cases[i].name);
			if (e.code != cases[i].code)
				fail_msg("%s: want %s, got %s: %s",
				    cases[i].name,
				    bundle_errname(cases[i].code),
				    bundle_errname(e.code), e.msg);
			assert_true(e.msg[0] != '\0');
		}
		bundle_free(b);
		free(text);
	}
	buf_free(&pem);
}

/* CR LF everywhere, and no final newline, read like the LF original. */
static void
test_line_ends(void **state)
{
	struct bundle_error	 e;
	struct bundle		*b;
	struct buf		 pem, crlf;
	size_t			 i;

	(void)state;
	fixture_read("upstream/cacert-2026.07.22.pem", &pem);
	buf_init(&crlf, 1u << 20);
	for (i = 0; i < pem.len; i++) {
		if (pem.data[i] == '\n')
			assert_true(buf_append(&crlf, "\r", 1));
		assert_true(buf_append(&crlf, pem.data + i, 1));
	}
	assert_non_null(b = bundle_parse(crlf.data, crlf.len, &e));
	assert_int_equal(b->ncerts, 121);
	bundle_free(b);
	assert_non_null(b = bundle_parse(pem.data, pem.len - 1, &e));
	assert_int_equal(b->ncerts, 121);
	bundle_free(b);
	buf_free(&pem);
	buf_free(&crlf);
}

/* DER followed by extra bytes is not "one certificate". */
static void
test_trailing_der(void **state)
{
	struct bundle_error	 e;
	struct bundle		*b;
	struct buf		 in, text;
	unsigned char		 der[1024];
	char			 b64[2048];
	size_t			 n;

	(void)state;
	fixture_read("hostile/der-instead-of-pem.der", &in);
	n = in.len;
	assert_true(n + 3 <= sizeof(der));
	memcpy(der, in.data, n);
	memcpy(der + n, "\x05\x00\x00", 3);
	b64_encode(der, n + 3, b64);
	buf_init(&text, 1u << 20);
	assert_true(buf_printf(&text, "-----BEGIN CERTIFICATE-----\n%s\n"
	    "-----END CERTIFICATE-----\n", b64));
	assert_null(b = bundle_parse(text.data, text.len, &e));
	assert_int_equal(e.code, BUNDLE_BAD_DER);
	assert_non_null(strstr(e.msg, "3 bytes after the certificate"));
	/* Without the extra bytes the same DER is a fine bundle. */
	b64_encode(der, n, b64);
	buf_reset(&text);
	assert_true(buf_printf(&text, "-----BEGIN CERTIFICATE-----\n%s\n"
	    "-----END CERTIFICATE-----\n", b64));
	assert_non_null(b = bundle_parse(text.data, text.len, &e));
	bundle_free(b);
	buf_free(&in);
	buf_free(&text);
}

/* The caps: certificates, bytes, line length, NUL. */
static void
test_caps(void **state)
{
	struct bundle_error	 e;
	struct bundle		*b;
	struct buf		 pem, big;
	size_t			 i;

	(void)state;
	fixture_read("vectors/bundle.pem", &pem);
	buf_init(&big, BUNDLE_MAX_BYTES + 2);
	for (i = 0; i < BUNDLE_MAX_CERTS; i++)
		assert_true(buf_append(&big, pem.data, pem.len));
	assert_non_null(b = bundle_parse(big.data, big.len, &e));
	assert_int_equal(b->ncerts, BUNDLE_MAX_CERTS);
	bundle_free(b);
	assert_true(buf_append(&big, pem.data, pem.len));
	assert_null(bundle_parse(big.data, big.len, &e));
	assert_int_equal(e.code, BUNDLE_TOO_MANY);
	assert_int_equal(e.block, BUNDLE_MAX_CERTS + 1);

	buf_reset(&big);
	while (big.len <= BUNDLE_MAX_BYTES)
		assert_true(buf_append(&big, "#\n", 2));
	assert_null(bundle_parse(big.data, big.len, &e));
	assert_int_equal(e.code, BUNDLE_TOO_LARGE);

	buf_reset(&big);
	assert_true(buf_append(&big, "# ", 2));
	for (i = 0; i < BUNDLE_MAX_LINE; i++)
		assert_true(buf_append(&big, "x", 1));
	assert_null(bundle_parse(big.data, big.len, &e));
	assert_int_equal(e.code, BUNDLE_LINE_TOO_LONG);

	buf_reset(&big);
	assert_true(buf_append(&big, pem.data, pem.len));
	assert_true(buf_append(&big, "#\n\0", 3));
	assert_null(bundle_parse(big.data, big.len, &e));
	assert_int_equal(e.code, BUNDLE_BINARY);
	assert_int_equal(e.line, 12);
	buf_free(&big);
	buf_free(&pem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_trailing_der),
		cmocka_unit_test(test_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
