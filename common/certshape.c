/*
 * certshape.c - is this DER exactly one X.509 certificate?  Decoded
 * with OpenSSL's ASN.1 templates field by field as RFC 5280 section
 * 4.1 lays them out (version, serial, algorithms, names, validity,
 * key info, unique ids, extensions, signature), but the public key is
 * kept as a BIT STRING and a name as its RDN sequence of (type, value)
 * pairs: OpenSSL 3's d2i_X509 hands every key to the provider decoders
 * and canonicalizes every name, which costs about 120 us per
 * certificate here (15 ms for Mozilla's bundle) and tells a client
 * placing a signed bundle nothing it needs.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "bundle.h"

typedef struct {
	ASN1_OBJECT		*type;
	ASN1_STRING		*value;
} SHAPE_ATV;

typedef STACK_OF(SHAPE_ATV) SHAPE_RDN;
typedef STACK_OF(SHAPE_RDN) SHAPE_NAME;

typedef struct {
	X509_ALGOR		*algor;
	ASN1_BIT_STRING		*key;
} SHAPE_SPKI;

typedef struct {
	ASN1_INTEGER		*version;
	ASN1_INTEGER		*serial;
	X509_ALGOR		*sigalg;
	SHAPE_NAME		*issuer;
	X509_VAL		*validity;
	SHAPE_NAME		*subject;
	SHAPE_SPKI		*spki;
	ASN1_BIT_STRING		*issuer_uid;
	ASN1_BIT_STRING		*subject_uid;
	STACK_OF(X509_EXTENSION) *extensions;
} SHAPE_TBS;

typedef struct {
	SHAPE_TBS		*tbs;
	X509_ALGOR		*sigalg;
	ASN1_BIT_STRING		*signature;
} SHAPE_CERT;

ASN1_SEQUENCE(SHAPE_ATV) = {
	ASN1_SIMPLE(SHAPE_ATV, type, ASN1_OBJECT),
	ASN1_SIMPLE(SHAPE_ATV, value, ASN1_PRINTABLE)
} static_ASN1_SEQUENCE_END(SHAPE_ATV)

ASN1_ITEM_TEMPLATE(SHAPE_RDN) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SET_OF, 0, RDNS, SHAPE_ATV)
static_ASN1_ITEM_TEMPLATE_END(SHAPE_RDN)

ASN1_ITEM_TEMPLATE(SHAPE_NAME) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, Name, SHAPE_RDN)
static_ASN1_ITEM_TEMPLATE_END(SHAPE_NAME)

ASN1_SEQUENCE(SHAPE_SPKI) = {
	ASN1_SIMPLE(SHAPE_SPKI, algor, X509_ALGOR),
	ASN1_SIMPLE(SHAPE_SPKI, key, ASN1_BIT_STRING)
} static_ASN1_SEQUENCE_END(SHAPE_SPKI)

ASN1_SEQUENCE(SHAPE_TBS) = {
	ASN1_EXP_OPT(SHAPE_TBS, version, ASN1_INTEGER, 0),
	ASN1_SIMPLE(SHAPE_TBS, serial, ASN1_INTEGER),
	ASN1_SIMPLE(SHAPE_TBS, sigalg, X509_ALGOR),
	ASN1_SIMPLE(SHAPE_TBS, issuer, SHAPE_NAME),
	ASN1_SIMPLE(SHAPE_TBS, validity, X509_VAL),
	ASN1_SIMPLE(SHAPE_TBS, subject, SHAPE_NAME),
	ASN1_SIMPLE(SHAPE_TBS, spki, SHAPE_SPKI),
	ASN1_IMP_OPT(SHAPE_TBS, issuer_uid, ASN1_BIT_STRING, 1),
	ASN1_IMP_OPT(SHAPE_TBS, subject_uid, ASN1_BIT_STRING, 2),
	ASN1_EXP_SEQUENCE_OF_OPT(SHAPE_TBS, extensions, X509_EXTENSION, 3)
} static_ASN1_SEQUENCE_END(SHAPE_TBS)

ASN1_SEQUENCE(SHAPE_CERT) = {
	ASN1_SIMPLE(SHAPE_CERT, tbs, SHAPE_TBS),
	ASN1_SIMPLE(SHAPE_CERT, sigalg, X509_ALGOR),
	ASN1_SIMPLE(SHAPE_CERT, signature, ASN1_BIT_STRING)
} static_ASN1_SEQUENCE_END(SHAPE_CERT)

/*
 * Returns 1 when der[0..len) is exactly one certificate by the grammar
 * above, with *hash (if not NULL) set to its subject name hash as
 * X509_subject_name_hash and "openssl rehash" compute it; else 0 with
 * why set.  Refuses: bytes that do not decode, bytes after the
 * certificate, an X.509 version other than v1, v2 or v3, and validity
 * times that are not UTCTime or GeneralizedTime.
 */
int
cert_shape(const unsigned char *der, size_t len, unsigned long *hash,
    char *why, size_t whylen)
{
	const unsigned char	*p = der, *q;
	unsigned char		*nder = NULL;
	SHAPE_CERT		*c;
	X509_NAME		*name = NULL;
	unsigned long		 e;
	long			 v = 0;
	int			 n, ok = 0;

	if (len == 0 || len > BUNDLE_MAX_BYTES) {
		snprintf(why, whylen, "DER: empty or too large");
		return 0;
	}
	c = (SHAPE_CERT *)ASN1_item_d2i(NULL, &p, (long)len,
	    ASN1_ITEM_rptr(SHAPE_CERT));
	if (c == NULL) {
		e = ERR_peek_last_error();
		snprintf(why, whylen, "DER: %s", e ? ERR_reason_error_string(e) :
		    "unparsable");
		ERR_clear_error();
		return 0;
	}
	if (p != der + len) {
		snprintf(why, whylen, "%zu bytes after the certificate",
		    (size_t)(der + len - p));
		goto out;
	}
	if (c->tbs->version != NULL &&
	    ((v = ASN1_INTEGER_get(c->tbs->version)) < 0 || v > 2)) {
		snprintf(why, whylen, "X.509 version field %ld", v);
		goto out;
	}
	if (ASN1_TIME_check(c->tbs->validity->notBefore) != 1 ||
	    ASN1_TIME_check(c->tbs->validity->notAfter) != 1) {
		snprintf(why, whylen, "unreadable validity dates");
		goto out;
	}
	if (hash != NULL) {
		/* The subject as an X509_NAME, which rehash's hash wants. */
		n = ASN1_item_i2d((ASN1_VALUE *)c->tbs->subject, &nder,
		    ASN1_ITEM_rptr(SHAPE_NAME));
		q = nder;
		if (n > 0 && (name = d2i_X509_NAME(NULL, &q, n)) != NULL)
			*hash = X509_NAME_hash_ex(name, NULL, NULL, &ok);
		if (!ok) {
			snprintf(why, whylen, "cannot hash the subject name");
			goto out;
		}
	}
	ok = 1;
 out:
	ERR_clear_error();
	X509_NAME_free(name);
	OPENSSL_free(nder);
	ASN1_item_free((ASN1_VALUE *)c, ASN1_ITEM_rptr(SHAPE_CERT));
	return ok;
}
