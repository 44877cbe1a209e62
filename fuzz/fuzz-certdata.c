/*
 * fuzz-certdata.c - the certdata.txt reader (common/certdata.c and
 * certdata_obj.c) on any bytes.
 *
 * Besides crashes, leaks and undefined behaviour it checks what
 * certdata.c promises: an error exactly when there is no result, with
 * a known name, a message and (but for empty or oversized input) a
 * line; every entry with a certificate has its DER, a SHA-256 of it
 * and a label fit for a terminal; an entry without one (a trust object
 * alone) trusts no purpose; and the counts are those of the entries.
 *
 * Not checked: that certdata_sniff() says yes to everything that
 * parses (a BEGINDATA past its first 16 KiB is certdata.txt all the
 * same) or no to everything that does not.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "certdata.h"
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
check_error(const struct certdata *cd, const struct certdata_error *e)
{
	FUZZ_CHECK((cd == NULL) == (e->code != CERTDATA_OK));
	FUZZ_CHECK(e->code < CERTDATA__MAX);
	FUZZ_CHECK(strcmp(certdata_errname(e->code), "unknown") != 0);
	FUZZ_CHECK(memchr(e->msg, '\0', sizeof(e->msg)) != NULL);
	if (cd != NULL)
		return;
	FUZZ_CHECK(e->msg[0] != '\0');
	FUZZ_CHECK(e->line > 0 || e->code == CERTDATA_EMPTY ||
	    e->code == CERTDATA_TOO_LARGE || e->code == CERTDATA_NOMEM);
	FUZZ_CHECK(e->object <= CERTDATA_MAX_OBJECTS + 1);
}

static int
grants(enum cd_trust t)
{
	return t == CD_TRUST_DELEGATOR || t == CD_TRUST_TRUSTED;
}

static void
check_result(const struct certdata *cd)
{
	unsigned char	 md[32];
	size_t		 i, certs = 0, server = 0, dated = 0;

	for (i = 0; i < cd->n; i++) {
		const struct cd_cert	*c = &cd->v[i];

		FUZZ_CHECK(c->label != NULL && fuzz_label_ok(c->label));
		FUZZ_CHECK(c->line > 0 && c->object > 0);
		FUZZ_CHECK(i == 0 || c->object > cd->v[i - 1].object);
		FUZZ_CHECK(certdata_trustname(c->server) != NULL &&
		    strcmp(certdata_trustname(c->server), "unknown") != 0);
		if (c->der == NULL) {
			FUZZ_CHECK(c->derlen == 0);
			FUZZ_CHECK(!grants(c->server) && !grants(c->email) &&
			    !grants(c->code));
			continue;
		}
		certs++;
		FUZZ_CHECK(c->derlen > 0 && c->derlen <= CERTDATA_MAX_VALUE);
		FUZZ_CHECK(EVP_Digest(c->der, c->derlen, md, NULL,
		    EVP_sha256(), NULL));
		FUZZ_CHECK(memcmp(md, c->sha256, 32) == 0);
		FUZZ_CHECK(c->server_after >= 0 && c->email_after >= 0);
		if (c->server == CD_TRUST_DELEGATOR) {
			server++;
			dated += c->server_after != 0;
		}
	}
	FUZZ_CHECK(certs == cd->ncertobjs);
	FUZZ_CHECK(server == cd->nserver);
	FUZZ_CHECK(dated == cd->nserver_dated);
	FUZZ_CHECK(cd->ncertobjs_dated <= cd->ncertobjs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certdata		*cd;
	struct certdata_error	 e;

	(void)certdata_sniff(data, size);
	cd = certdata_parse(data, size, &e);
	check_error(cd, &e);
	if (cd != NULL)
		check_result(cd);
	certdata_free(cd);
	/* Nothing may leave a stale OpenSSL error for the next caller. */
	FUZZ_CHECK(ERR_peek_error() == 0);
	return 0;
}
