/*
 * test-cert-shape.c - the client's fast reader (BUNDLE_DER_ONLY, which
 * checks each certificate with cert_shape() instead of d2i_X509) must
 * accept and refuse exactly what the full reader does on every real and
 * hostile fixture, compute the subject hash "openssl rehash" uses, and
 * never accept a mutated certificate that d2i_X509 refuses.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "bundle.h"
#include "testutil.h"

static const char *const files[] = {
	"upstream/cacert-2019.11.28.pem",
	"upstream/cacert-2021.05.30.pem",
	"upstream/cacert-2022.12.07.pem",
	"upstream/cacert-2024.02.02.pem",
	"upstream/cacert-2025.07.14.pem",
	"upstream/cacert-2026.07.22.pem",
	"hostile/truncated-mid-cert.pem",
	"hostile/captive-portal.html",
	"hostile/corrupted-base64.pem",
	"hostile/empty.pem",
	"hostile/der-instead-of-pem.der",
	"hostile/leaf-appended.pem",
	"hostile/duplicate-cert.pem",
	"hostile/only-3-certs.pem",
	"hostile/evil-root-added.pem",
};

static void
test_same_verdicts(void **state)
{
	struct bundle_error	 ef, eq;
	struct bundle		*f, *q;
	struct buf		 in;
	size_t			 i, k;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		fixture_read(files[i], &in);
		f = bundle_parse(in.data, in.len, &ef);
		q = bundle_read(in.data, in.len, BUNDLE_DER_ONLY, &eq);
		if ((f == NULL) != (q == NULL))
			fail_msg("%s: full reader %s, fast reader %s",
			    files[i], f ? "accepts" : ef.msg,
			    q ? "accepts" : eq.msg);
		if (f == NULL) {
			assert_int_equal(ef.code, eq.code);
			assert_int_equal(ef.line, eq.line);
			assert_string_equal(ef.msg, eq.msg);
		} else {
			assert_int_equal(f->ncerts, q->ncerts);
			for (k = 0; k < f->ncerts; k++) {
				assert_memory_equal(f->certs[k].sha256,
				    q->certs[k].sha256, 32);
				assert_int_equal(f->certs[k].derlen,
				    q->certs[k].derlen);
				assert_null(q->certs[k].x509);
			}
		}
		bundle_free(f);
		bundle_free(q);
		buf_free(&in);
	}
}

/* The subject hash is OpenSSL's own, for every real root. */
static void
test_subject_hash(void **state)
{
	struct bundle_error	 e;
	struct bundle		*b;
	struct buf		 in;
	unsigned long		 h;
	char			 why[256];
	size_t			 i, k, n = 0;

	(void)state;
	for (i = 0; i < 6; i++) {
		fixture_read(files[i], &in);
		assert_non_null(b = bundle_parse(in.data, in.len, &e));
		for (k = 0; k < b->ncerts; k++, n++) {
			if (!cert_shape(b->certs[k].der, b->certs[k].derlen,
			    &h, why, sizeof(why)))
				fail_msg("%s #%zu: %s", files[i], k + 1, why);
			assert_int_equal(h,
			    X509_subject_name_hash(b->certs[k].x509));
		}
		bundle_free(b);
		buf_free(&in);
	}
	assert_true(n > 700);
}

/*
 * Every byte of a real root XORed with each of a few masks, every
 * truncation and one byte appended: when d2i_X509 refuses the result,
 * cert_shape refuses it too.
 */
static void
test_never_laxer(void **state)
{
	static const unsigned char masks[] = { 0x01, 0x02, 0x03, 0x20, 0x80,
	    0xff };
	struct bundle_error	 e;
	struct bundle		*b;
	struct buf		 in;
	const struct cert	*c;
	const unsigned char	*p;
	unsigned char		*m;
	X509			*x;
	char			 why[256];
	size_t			 pos, k, len, tries = 0, refused = 0;
	int			 full, fast;

	(void)state;
	fixture_read("upstream/cacert-2026.07.22.pem", &in);
	assert_non_null(b = bundle_parse(in.data, in.len, &e));
	c = &b->certs[0];
	assert_non_null(m = malloc(c->derlen + 1));
	for (pos = 0; pos <= c->derlen; pos++)
		for (k = 0; k <= sizeof(masks); k++) {
			memcpy(m, c->der, c->derlen);
			m[c->derlen] = 0;
			len = c->derlen;
			if (k == sizeof(masks))
				len = pos < c->derlen ? pos : c->derlen + 1;
			else if (pos < c->derlen)
				m[pos] ^= masks[k];
			else
				continue;
			p = m;
			x = d2i_X509(NULL, &p, (long)len);
			full = x != NULL && p == m + len;
			X509_free(x);
			fast = cert_shape(m, len, NULL, why, sizeof(why));
			if (fast && !full)
				fail_msg("byte %zu of %zu changed (mask %zu): "
				    "d2i_X509 refuses, cert_shape accepts",
				    pos, len, k);
			tries++;
			refused += !fast;
		}
	/* Most changes break something; the test is not vacuous. */
	print_message("%zu of %zu changes refused\n", refused, tries);
	assert_true(refused > tries / 4);
	free(m);
	bundle_free(b);
	buf_free(&in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_verdicts),
		cmocka_unit_test(test_subject_hash),
		cmocka_unit_test(test_never_laxer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
