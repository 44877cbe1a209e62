/*
 * cert.c - one certificate of a bundle: DER in, the fields people and
 * policy look at out (fingerprint, names, label, serial, validity, CA
 * flag, key).  No policy here: a v1 root without basicConstraints or a
 * negative serial is recorded as it is, and vetting decides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "bundle.h"
#include "encode.h"
#include "log.h"

/*
 * Append s to b as comment-safe text: valid UTF-8 is kept, control
 * characters and bytes that are not UTF-8 become \xNN, so a hostile
 * name can never start a new line in a bundle or a terminal.
 */
static int
append_safe(struct buf *b, const unsigned char *s, size_t len)
{
	size_t	 i, n;

	for (i = 0; i < len; i += n) {
		n = utf8_seqlen(s + i, len - i);
		/* Keep printable ASCII and UTF-8 past the C1 controls. */
		if ((n == 1 && s[i] >= 0x20 && s[i] < 0x7f) ||
		    (n > 1 && !(s[i] == 0xc2 && s[i + 1] < 0xa0))) {
			if (!buf_append(b, s + i, n))
				return 0;
			continue;
		}
		n = 1;
		if (!buf_printf(b, "\\x%02x", s[i]))
			return 0;
	}
	return 1;
}

static int
append_entry(struct buf *b, const X509_NAME_ENTRY *e)
{
	const ASN1_STRING	*v = X509_NAME_ENTRY_get_data(e);
	unsigned char		*u = NULL;
	int			 n, rc;

	if ((n = ASN1_STRING_to_UTF8(&u, v)) < 0) {
		/* Not convertible (bad UTF8String): escape raw bytes. */
		ERR_clear_error();
		return append_safe(b, ASN1_STRING_get0_data(v),
		    (size_t)ASN1_STRING_length(v));
	}
	rc = append_safe(b, u, (size_t)n);
	OPENSSL_free(u);
	return rc;
}

/* Index of the last nid entry of name, or -1 (Go keeps the last CN). */
static int
name_last(const X509_NAME *name, int nid)
{
	int	 i = -1, j;

	while ((j = X509_NAME_get_index_by_NID(name, nid, i)) >= 0)
		i = j;
	return i;
}

/*
 * Append a name the way mkcert.org writes it: "CN=... O=... OU=...",
 * each part only when present, the last CN, all O (and all OU) values
 * joined by "/".  Returns 1, or 0 on allocation failure or cap.
 */
int
cert_mkcert_name(const X509_NAME *name, struct buf *b)
{
	static const int	 nids[] = { NID_organizationName,
				    NID_organizationalUnitName };
	static const char	*tags[] = { "O=", "OU=" };
	const X509_NAME_ENTRY	*e;
	int			 i, k, first = 1, any, rc;

	if ((i = name_last(name, NID_commonName)) >= 0) {
		e = X509_NAME_get_entry(name, i);
		if (ASN1_STRING_length(X509_NAME_ENTRY_get_data(e)) > 0) {
			if (!buf_append(b, "CN=", 3) || !append_entry(b, e))
				return 0;
			first = 0;
		}
	}
	for (k = 0; k < 2; k++) {
		any = 0;
		for (i = -1; (i = X509_NAME_get_index_by_NID(name, nids[k],
		    i)) >= 0; ) {
			e = X509_NAME_get_entry(name, i);
			if (any)
				rc = buf_append(b, "/", 1);
			else
				rc = buf_printf(b, "%s%s", first ? "" : " ",
				    tags[k]);
			if (!rc || !append_entry(b, e))
				return 0;
			any = 1;
			first = 0;
		}
	}
	return 1;
}

/* RFC 2253 text of a name with UTF-8 kept; NULL on failure. */
static char *
name_rfc2253(const X509_NAME *name)
{
	struct buf	 b;
	BIO		*bio;
	char		*p, *s = NULL;
	long		 n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
		/* A malformed string in the name: say so, do not fail. */
		ERR_clear_error();
		s = strdup("(unprintable name)");
		goto out;
	}
	/* Valid UTF-8 without controls, whatever the strings held. */
	n = BIO_get_mem_data(bio, &p);
	buf_init(&b, BUNDLE_MAX_LABEL * 8);
	if (buf_append(&b, "", 0) && append_safe(&b, (unsigned char *)p,
	    (size_t)n))
		s = (char *)b.data;
	else
		buf_free(&b);
 out:
	BIO_free(bio);
	return s;
}

static int
asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm	 tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	*out = (int64_t)timegm(&tm);
	return 1;
}

/* Label fallback for a certificate without a "# Label:" comment. */
static char *
label_from_name(const X509_NAME *name, const char *subject)
{
	struct buf	 b;
	int		 i;

	buf_init(&b, BUNDLE_MAX_LABEL);
	if ((i = name_last(name, NID_commonName)) < 0)
		i = X509_NAME_get_index_by_NID(name, NID_organizationName, -1);
	if (i < 0 || !append_entry(&b, X509_NAME_get_entry(name, i)) ||
	    b.len == 0) {
		buf_free(&b);
		return strdup(subject);
	}
	return (char *)b.data;
}

static void
key_describe(struct cert *c)
{
	EVP_PKEY	*pk = X509_get0_pubkey(c->x509);
	char		 group[64];
	const char	*nist;
	size_t		 glen;

	if (pk == NULL) {
		ERR_clear_error();
		snprintf(c->key_type, sizeof(c->key_type), "%s", "unknown");
		snprintf(c->key_desc, sizeof(c->key_desc), "%s", "unknown");
		return;
	}
	c->key_bits = EVP_PKEY_get_bits(pk);
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		snprintf(c->key_type, sizeof(c->key_type), "%s", "RSA");
		break;
	case EVP_PKEY_EC:
		snprintf(c->key_type, sizeof(c->key_type), "%s", "EC");
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group),
		    &glen) != 1) {
			ERR_clear_error();
			break;
		}
		nist = EC_curve_nid2nist(OBJ_txt2nid(group));
		snprintf(c->key_desc, sizeof(c->key_desc), "EC %s",
		    nist != NULL ? nist : group);
		return;
	case EVP_PKEY_ED25519:
		snprintf(c->key_type, sizeof(c->key_type), "%s", "Ed25519");
		snprintf(c->key_desc, sizeof(c->key_desc), "%s", "Ed25519");
		return;
	case EVP_PKEY_ED448:
		snprintf(c->key_type, sizeof(c->key_type), "%s", "Ed448");
		snprintf(c->key_desc, sizeof(c->key_desc), "%s", "Ed448");
		return;
	case EVP_PKEY_DSA:
		snprintf(c->key_type, sizeof(c->key_type), "%s", "DSA");
		break;
	default:
		snprintf(c->key_type, sizeof(c->key_type), "%s",
		    OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
		break;
	}
	snprintf(c->key_desc, sizeof(c->key_desc), "%s %d", c->key_type,
	    c->key_bits);
}

/*
 * Fill c from one DER certificate.  label is the decoded "# Label:" text
 * or NULL.  Returns 1, or 0 with why set when the bytes are not
 * exactly one X.509 certificate (trailing bytes refused) or memory runs
 * out.  c owns copies of everything; release with cert_clear().
 */
int
cert_init(struct cert *c, const unsigned char *der, size_t derlen,
    const char *label, char *why, size_t whylen)
{
	return cert_init_flags(c, der, derlen, label, 0, why, whylen);
}

/*
 * cert_init, with flags: BUNDLE_DER_ONLY checks the DER with
 * cert_shape() and fills only der, derlen and sha256 (x509 stays NULL):
 * what a client needs to check and place a certificate.  Names, serial,
 * dates, the key and the self-signature check (an RSA verification per
 * certificate) are left out.
 */
int
cert_init_flags(struct cert *c, const unsigned char *der, size_t derlen,
    const char *label, int flags, char *why, size_t whylen)
{
	const unsigned char	*p = der;
	ASN1_INTEGER		*sn;
	BIGNUM			*bn = NULL;
	char			*dec;
	unsigned long		 e;
	uint32_t		 fl;
	long			 v;
	int			 rc = 0;

	memset(c, 0, sizeof(*c));
	if (derlen == 0 || derlen > BUNDLE_MAX_BYTES)
		return 0;
	if ((flags & BUNDLE_DER_ONLY) && !cert_shape(der, derlen, NULL, why,
	    whylen))
		return 0;
	snprintf(why, whylen, "out of memory");
	if (flags & BUNDLE_DER_ONLY)
		goto der;
	if ((c->x509 = d2i_X509(NULL, &p, (long)derlen)) == NULL) {
		e = ERR_peek_last_error();
		snprintf(why, whylen, "DER: %s", e ? ERR_reason_error_string(e) :
		    "unparsable");
		ERR_clear_error();
		return 0;
	}
	if (p != der + derlen) {
		snprintf(why, whylen, "%zu bytes after the certificate",
		    (size_t)(der + derlen - p));
		goto out;
	}
	/*
	 * OpenSSL 3.0's d2i_X509 takes any version number; cert_shape(),
	 * the client's reader, takes v1, v2 or v3 only (RFC 5280 4.1.2.1).
	 * Refuse here too, or the server signs bundles clients refuse.
	 */
	if ((v = X509_get_version(c->x509)) < 0 || v > 2) {
		snprintf(why, whylen, "X.509 version field %ld", v);
		goto out;
	}
 der:
	if ((c->der = malloc(derlen)) == NULL)
		goto out;
	memcpy(c->der, der, derlen);
	c->derlen = derlen;
	if (!EVP_Digest(der, derlen, c->sha256, NULL, EVP_sha256(), NULL))
		goto out;
	if (flags & BUNDLE_DER_ONLY) {
		rc = 1;
		goto out;
	}
	if ((c->subject = name_rfc2253(X509_get_subject_name(c->x509))) ==
	    NULL ||
	    (c->issuer = name_rfc2253(X509_get_issuer_name(c->x509))) == NULL)
		goto out;
	c->label = label != NULL ? strdup(label) :
	    label_from_name(X509_get_subject_name(c->x509), c->subject);
	if (c->label == NULL)
		goto out;
	sn = (ASN1_INTEGER *)X509_get0_serialNumber(c->x509);
	if ((bn = ASN1_INTEGER_to_BN(sn, NULL)) == NULL ||
	    (dec = BN_bn2dec(bn)) == NULL)
		goto out;
	c->serial = strdup(dec);
	OPENSSL_free(dec);
	if (c->serial == NULL)
		goto out;
	if (!asn1_time_unix(X509_get0_notBefore(c->x509), &c->not_before) ||
	    !asn1_time_unix(X509_get0_notAfter(c->x509), &c->not_after)) {
		snprintf(why, whylen, "unreadable validity dates");
		goto out;
	}
	c->version = (int)X509_get_version(c->x509) + 1;
	/* Also caches the extensions, which X509_self_signed needs. */
	fl = X509_get_extension_flags(c->x509);
	c->ca = (fl & EXFLAG_CA) != 0;
	c->self_signed = X509_self_signed(c->x509, 1) == 1;
	ERR_clear_error();
	key_describe(c);
	rc = 1;
 out:
	BN_free(bn);
	if (!rc)
		cert_clear(c);
	return rc;
}

/* Release what cert_init() allocated; safe on a zeroed struct. */
void
cert_clear(struct cert *c)
{
	X509_free(c->x509);
	free(c->der);
	free(c->subject);
	free(c->issuer);
	free(c->label);
	free(c->serial);
	memset(c, 0, sizeof(*c));
}
