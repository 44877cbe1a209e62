/*
 * fuzz-pem.c - the strict PEM bundle reader (common/pem.c) and the
 * certificate code it calls (cert.c, certshape.c) on any bytes.
 *
 * Besides crashes, leaks and undefined behaviour it checks what pem.c
 * promises: an error exactly when there is no bundle, with a known
 * name; what bundle_parse (the server) accepts, bundle_read with
 * BUNDLE_DER_ONLY (the client's fast path) accepts too, with the same
 * certificates; every label is fit for a terminal (fuzz_label_ok); and
 * bundle_write writes the bundle back readably, with the same
 * certificates and labels (fuzz_label_same).
 *
 * Not checked: the converse.  cert_shape() does not canonicalize names
 * as d2i_X509 does (that is its point), so the fast path accepts a few
 * certificates the full parse refuses, such as a UTF8String that is not
 * UTF-8 in a name.  A signed release never holds one: the server parsed
 * every certificate in full before signing.
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

static void
check_error(const struct bundle *b, const struct bundle_error *e)
{
	FUZZ_CHECK((b == NULL) == (e->code != BUNDLE_OK));
	FUZZ_CHECK(e->code < BUNDLE__MAX);
	FUZZ_CHECK(strcmp(bundle_errname(e->code), "unknown") != 0);
	FUZZ_CHECK(memchr(e->msg, '\0', sizeof(e->msg)) != NULL);
	FUZZ_CHECK(b != NULL || e->msg[0] != '\0');
}

/* The bundle as bundle_write renders it reads back the same. */
static void
check_rewrite(const struct bundle *b)
{
	struct bundle		*again;
	struct bundle_error	 e;
	struct buf		 out;
	size_t			 i, longest = 0;

	buf_init(&out, BUNDLE_MAX_BYTES);
	if (!bundle_write(b, &out)) {
		buf_free(&out);
		return;
	}
	if ((again = bundle_parse(out.data, out.len, &e)) == NULL) {
		for (i = 0; i < b->ncerts; i++)
			if (strlen(b->certs[i].label) > longest)
				longest = strlen(b->certs[i].label);
		FUZZ_CHECK(fuzz_rewrite_too_long(&e, longest));
		buf_free(&out);
		return;
	}
	FUZZ_CHECK(again->ncerts == b->ncerts);
	for (i = 0; i < b->ncerts; i++) {
		FUZZ_CHECK(memcmp(again->certs[i].sha256, b->certs[i].sha256,
		    32) == 0);
		FUZZ_CHECK(fuzz_label_ok(again->certs[i].label));
		FUZZ_CHECK(fuzz_label_same(b->certs[i].label,
		    again->certs[i].label));
	}
	bundle_free(again);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle		*b, *d;
	struct bundle_error	 eb, ed;
	size_t			 i;

	b = bundle_parse(data, size, &eb);
	check_error(b, &eb);
	d = bundle_read(data, size, BUNDLE_DER_ONLY, &ed);
	check_error(d, &ed);
	FUZZ_CHECK(b == NULL || d != NULL);
	if (b != NULL) {
		for (i = 0; i < b->ncerts; i++) {
			FUZZ_CHECK(b->certs[i].x509 != NULL);
			FUZZ_CHECK(b->certs[i].label != NULL &&
			    fuzz_label_ok(b->certs[i].label));
			FUZZ_CHECK(d->certs[i].x509 == NULL);
			FUZZ_CHECK(d->certs[i].derlen == b->certs[i].derlen);
			FUZZ_CHECK(memcmp(d->certs[i].sha256,
			    b->certs[i].sha256, 32) == 0);
		}
		FUZZ_CHECK(b->ncerts == d->ncerts);
		check_rewrite(b);
	}
	bundle_free(b);
	bundle_free(d);
	/* Nothing may leave a stale OpenSSL error for the next caller. */
	FUZZ_CHECK(ERR_peek_error() == 0);
	return 0;
}
