/*
 * pemwrite.c - write a bundle the way mkcert.org does.
 *
 * Per certificate: a blank line, "# Issuer:", "# Subject:", "# Label:",
 * "# Serial:", MD5, SHA1 and SHA256 fingerprint comments, then the PEM
 * block in 64-column base64.  Everything comes from the DER and the
 * label, so the same certificates in the same order always give the
 * same bytes (releases are rebuilt and compared byte for byte).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bundle.h"
#include "encode.h"

static int
fingerprint(struct buf *b, const char *name, const EVP_MD *md,
    const struct cert *c)
{
	unsigned char	 d[EVP_MAX_MD_SIZE];
	unsigned int	 dlen;
	char		 hex[3 * EVP_MAX_MD_SIZE];

	if (!EVP_Digest(c->der, c->derlen, d, &dlen, md, NULL))
		return 0;
	hex_encode_colons(d, dlen, hex);
	return buf_printf(b, "# %s Fingerprint: %s\n", name, hex);
}

/*
 * Append one certificate in mkcert.org style.  The label is written
 * between double quotes as certdata.txt has it.  Returns 1, or 0 when
 * the buffer's cap is reached or a digest fails.
 */
int
cert_write(const struct cert *c, struct buf *b)
{
	if (!buf_append(b, "\n# Issuer: ", 11) ||
	    !cert_mkcert_name(X509_get_issuer_name(c->x509), b) ||
	    !buf_append(b, "\n# Subject: ", 12) ||
	    !cert_mkcert_name(X509_get_subject_name(c->x509), b) ||
	    !buf_printf(b, "\n# Label: \"%s\"\n# Serial: %s\n", c->label,
	    c->serial) ||
	    !fingerprint(b, "MD5", EVP_md5(), c) ||
	    !fingerprint(b, "SHA1", EVP_sha1(), c) ||
	    !fingerprint(b, "SHA256", EVP_sha256(), c))
		return 0;
	return cert_write_pem(c, b);
}

/*
 * Append the certificate's PEM block alone, 64-column base64 between
 * the BEGIN and END lines.  Returns 1, or 0 as cert_write().
 */
int
cert_write_pem(const struct cert *c, struct buf *b)
{
	char	 line[65];
	size_t	 i, n, b64len = B64_LEN(c->derlen);
	char	*b64 = NULL;
	int	 rc = 0;

	if ((b64 = malloc(b64len + 1)) == NULL)
		return 0;
	b64_encode(c->der, c->derlen, b64);
	if (!buf_append(b, "-----BEGIN CERTIFICATE-----\n", 28))
		goto out;
	for (i = 0; i < b64len; i += n) {
		n = b64len - i < 64 ? b64len - i : 64;
		memcpy(line, b64 + i, n);
		line[n] = '\n';
		if (!buf_append(b, line, n + 1))
			goto out;
	}
	if (!buf_append(b, "-----END CERTIFICATE-----\n", 26))
		goto out;
	rc = 1;
 out:
	free(b64);
	return rc;
}

/* Append every certificate of the bundle, in order; 1 or 0 as above. */
int
bundle_write(const struct bundle *bd, struct buf *b)
{
	size_t	 i;

	for (i = 0; i < bd->ncerts; i++)
		if (!cert_write(&bd->certs[i], b))
			return 0;
	return 1;
}
