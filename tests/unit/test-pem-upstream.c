/*
 * test-pem-upstream.c - the six real Mozilla bundles (as mkcert.org
 * served them, via certifi) parse with exactly the counts of their
 * README, and the quirks real bundles have are read faithfully.
 */
#include <string.h>

#include "bundle.h"
#include "encode.h"
#include "testutil.h"

static const struct {
	const char	*file;
	size_t		 count;
} upstream[] = {
	{ "upstream/cacert-2019.11.28.pem", 137 },
	{ "upstream/cacert-2021.05.30.pem", 128 },
	{ "upstream/cacert-2022.12.07.pem", 137 },
	{ "upstream/cacert-2024.02.02.pem", 147 },
	{ "upstream/cacert-2025.07.14.pem", 146 },
	{ "upstream/cacert-2026.07.22.pem", 121 },
};

static struct bundle *
load(const char *file)
{
	struct bundle_error	 e;
	struct bundle		*b;
	struct buf		 in;

	fixture_read(file, &in);
	b = bundle_parse(in.data, in.len, &e);
	if (b == NULL)
		fail_msg("%s: %s", file, e.msg);
	buf_free(&in);
	return b;
}

static const struct cert *
by_sha256(const struct bundle *b, const char *hex)
{
	char	 fp[65];
	size_t	 i;

	for (i = 0; i < b->ncerts; i++) {
		hex_encode(b->certs[i].sha256, 32, fp);
		if (strcmp(fp, hex) == 0)
			return &b->certs[i];
	}
	fail_msg("no certificate %s", hex);
	return NULL;
}

static void
test_counts(void **state)
{
	struct bundle	*b;
	size_t		 i, j;

	(void)state;
	for (i = 0; i < sizeof(upstream) / sizeof(upstream[0]); i++) {
		b = load(upstream[i].file);
		assert_int_equal(b->ncerts, upstream[i].count);
		for (j = 0; j < b->ncerts; j++) {
			/* README: every certificate is self-signed. */
			assert_true(b->certs[j].self_signed);
			assert_non_null(b->certs[j].label);
			assert_true(b->certs[j].line > 0);
		}
		bundle_free(b);
	}
}

/* The 2019 bundle's X.509 v1 root has no basicConstraints at all. */
static void
test_v1_root(void **state)
{
	struct bundle		*b = load(upstream[0].file);
	const struct cert	*c;
	size_t			 i, notca = 0;

	(void)state;
	c = by_sha256(b, "eb04cf5eb1f39afa762f2bb120f296cba520c1b97db1589565"
	    "b81cb9a17b7244");
	assert_int_equal(c->version, 1);
	assert_false(c->ca);
	assert_true(c->self_signed);
	assert_string_equal(c->label, "Verisign Class 3 Public Primary "
	    "Certification Authority - G3");
	for (i = 0; i < b->ncerts; i++)
		notca += !b->certs[i].ca;
	assert_int_equal(notca, 1);
	bundle_free(b);
}

/* Serial 0 and a negative serial are kept as they are. */
static void
test_serials(void **state)
{
	struct bundle	*b = load(upstream[1].file);
	size_t		 i, zero = 0, neg = 0;

	(void)state;
	for (i = 0; i < b->ncerts; i++) {
		if (strcmp(b->certs[i].serial, "0") == 0)
			zero++;
		if (strcmp(b->certs[i].label, "EC-ACC") == 0) {
			assert_string_equal(b->certs[i].serial,
			    "-23701579247955709139626555126524820479");
			neg++;
		}
	}
	assert_true(zero >= 3);
	assert_int_equal(neg, 1);
	bundle_free(b);
}

/* Two different roots share one label in 2022.12.07. */
static void
test_duplicate_label(void **state)
{
	struct bundle	*b = load(upstream[2].file);
	size_t		 i, n = 0;

	(void)state;
	for (i = 0; i < b->ncerts; i++)
		if (strcmp(b->certs[i].label, "Autoridad de Certificacion "
		    "Firmaprofesional CIF A62634068") == 0)
			n++;
	assert_int_equal(n, 2);
	bundle_free(b);
}

/* Key types: RSA and EC with named curves, one P-521 in 2026.07.22. */
static void
test_keys_and_dates(void **state)
{
	struct bundle	*b = load(upstream[5].file);
	size_t		 i, p521 = 0, rsa = 0;
	const struct cert *c;

	(void)state;
	for (i = 0; i < b->ncerts; i++) {
		c = &b->certs[i];
		if (strcmp(c->key_desc, "EC P-521") == 0)
			p521++;
		if (strcmp(c->key_type, "RSA") == 0) {
			rsa++;
			assert_true(c->key_bits == 2048 || c->key_bits == 4096 ||
			    c->key_bits == 3072);
		}
		assert_true(c->not_before < c->not_after);
	}
	assert_int_equal(p521, 1);
	assert_true(rsa > 50);
	/* ISRG Root X1: 2015-06-04T11:04:38Z .. 2035-06-04T11:04:38Z */
	c = by_sha256(b, "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffc"
	    "ee05c0bddf08c6");
	assert_int_equal(c->not_before, 1433415878);
	assert_int_equal(c->not_after, 2064567878);
	assert_string_equal(c->label, "ISRG Root X1");
	assert_string_equal(c->subject,
	    "CN=ISRG Root X1,O=Internet Security Research Group,C=US");
	assert_string_equal(c->key_desc, "RSA 4096");
	bundle_free(b);
}

/*
 * certifi's escaped comment lines and mkcert.org's raw UTF-8 give the
 * same label for the NetLock root.
 */
static void
test_escaped_label(void **state)
{
	struct bundle	*esc = load(upstream[5].file);
	struct bundle	*raw = load("edge/mkcert-utf8-sample.pem");
	const struct cert *c;

	(void)state;
	assert_int_equal(raw->ncerts, 1);
	c = by_sha256(esc, "6c61dac3a2def031506be036d2a6fe401994fbd13df9c8d466"
	    "599274c446ec98");
	assert_string_equal(c->label, "NetLock Arany (Class Gold) "
	    "F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny");
	assert_string_equal(raw->certs[0].label, c->label);
	assert_memory_equal(raw->certs[0].sha256, c->sha256, 32);
	bundle_free(esc);
	bundle_free(raw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_v1_root),
		cmocka_unit_test(test_serials),
		cmocka_unit_test(test_duplicate_label),
		cmocka_unit_test(test_keys_and_dates),
		cmocka_unit_test(test_escaped_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
