/*
 * fuzz-cert.c - one certificate's DER, as the PEM reader hands it to
 * cert.c and certshape.c once the base64 is decoded: the fuzzer works
 * on the ASN.1 itself rather than through base64 text.
 *
 * Checks: cert_shape() and cert_init_flags(BUNDLE_DER_ONLY) (the
 * client's fast path) agree, and accept whatever d2i_X509 through
 * cert_init() (the server's full parse) accepts, with the same
 * fingerprint and, for a hashed directory, the subject name hash that
 * OpenSSL computes; a certificate that cert_init() accepts, cert_write()
 * writes as a PEM bundle that the reader accepts back with the same
 * fingerprint and label, both fit for a terminal (fuzz/label.c).  The
 * fast path may accept more (fuzz-pem.c).
 */
#include <string.h>

#include <openssl/err.h>

#include "bundle.h"
#include "fuzz.h"

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
	struct cert		 c, d;
	struct bundle		*b = NULL;
	struct bundle_error	 e;
	struct buf		 out;
	unsigned long		 hash = 0;
	char			 why[256];
	int			 shape, hashed, full, fast;

	shape = cert_shape(data, size, NULL, why, sizeof(why));
	hashed = cert_shape(data, size, &hash, why, sizeof(why));
	fast = cert_init_flags(&d, data, size, NULL, BUNDLE_DER_ONLY, why,
	    sizeof(why));
	full = cert_init(&c, data, size, NULL, why, sizeof(why));
	FUZZ_CHECK(shape == fast);
	FUZZ_CHECK(!hashed || shape);
	FUZZ_CHECK(!full || hashed);
	/* The name of the certificate's file in a hashed directory. */
	if (full)
		FUZZ_CHECK(hash == X509_subject_name_hash(c.x509));
	if (fast)
		FUZZ_CHECK(d.derlen == size && d.x509 == NULL);
	if (full) {
		FUZZ_CHECK(c.derlen == size && memcmp(c.sha256, d.sha256, 32) ==
		    0);
		FUZZ_CHECK(c.label != NULL && c.subject != NULL &&
		    c.issuer != NULL && c.serial != NULL);
		FUZZ_CHECK(fuzz_label_ok(c.label));
		buf_init(&out, BUNDLE_MAX_BYTES);
		if (cert_write(&c, &out)) {
			b = bundle_parse(out.data, out.len, &e);
			FUZZ_CHECK(b != NULL ||
			    fuzz_rewrite_too_long(&e, strlen(c.label)));
		}
		if (b != NULL) {
			FUZZ_CHECK(b->ncerts == 1);
			FUZZ_CHECK(memcmp(b->certs[0].sha256, c.sha256, 32) ==
			    0);
			FUZZ_CHECK(fuzz_label_ok(b->certs[0].label));
			FUZZ_CHECK(fuzz_label_same(c.label,
			    b->certs[0].label));
			bundle_free(b);
		}
		buf_free(&out);
	}
	cert_clear(&c);
	cert_clear(&d);
	FUZZ_CHECK(ERR_peek_error() == 0);
	return 0;
}
