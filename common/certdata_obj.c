/*
 * certdata_obj.c - the certdata.txt reader's second half: objects as
 * certdata.c read them are checked (each certificate object is the
 * DER certificate its attributes name), paired (each certificate with
 * exactly one trust object, by issuer and serial) and turned into the
 * struct certdata the caller gets.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certdata.h"
#include "certdata_int.h"

/* The attributes each class must have, checked at the end of the file. */
static int
obj_required(struct reader *r, const struct obj *o)
{
	static const enum att cert[] = {
		A_LABEL, A_CERTTYPE, A_VALUE, A_SUBJECT, A_ISSUER, A_SERIAL
	};
	static const enum att trust[] = {
		A_LABEL, A_ISSUER, A_SERIAL, A_TRUST_SERVER, A_TRUST_EMAIL,
		A_TRUST_CODE
	};
	const enum att	*req;
	size_t		 i, n;

	if (o->cls == CLS_CERT) {
		req = cert;
		n = sizeof(cert) / sizeof(cert[0]);
	} else if (o->cls == CLS_TRUST) {
		req = trust;
		n = sizeof(trust) / sizeof(trust[0]);
	} else
		return 1;
	for (i = 0; i < n; i++)
		if (!(o->seen & 1u << req[i]))
			return certdata_fail(r, CERTDATA_MISSING, o->num,
			    o->line, "%s object without %s",
			    o->cls == CLS_CERT ? "certificate" : "trust",
			    certdata_attname(req[i]));
	return 1;
}

static int
same(const struct oct *a, const unsigned char *p, size_t len)
{
	return a->len == len && memcmp(a->p, p, len) == 0;
}

/*
 * CKA_VALUE is one DER X.509 certificate, re-encoding to the same
 * bytes, and CKA_SUBJECT, CKA_ISSUER and CKA_SERIAL_NUMBER are its own.
 */
static int
cert_check(struct reader *r, struct obj *o)
{
	const struct oct	*v = &o->v[A_VALUE];
	const unsigned char	*p = v->p;
	unsigned char		*enc = NULL;
	X509			*x = NULL;
	int			 len, rc = 0;

	x = d2i_X509(NULL, &p, (long)v->len);
	if (x == NULL || p != v->p + v->len) {
		certdata_fail(r, CERTDATA_BAD_DER, o->num, v->line,
		    "CKA_VALUE is %s",
		    x == NULL ? "not a DER X.509 certificate" :
		    "a certificate followed by more bytes");
		goto out;
	}
	if ((len = i2d_X509(x, &enc)) < 0 || !same(v, enc, (size_t)len)) {
		certdata_fail(r, CERTDATA_BAD_DER, o->num, v->line,
		    "CKA_VALUE does not re-encode to itself (not DER)");
		goto out;
	}
	OPENSSL_free(enc);
	enc = NULL;
	if ((len = i2d_X509_NAME(X509_get_subject_name(x), &enc)) < 0 ||
	    !same(&o->v[A_SUBJECT], enc, (size_t)len)) {
		certdata_fail(r, CERTDATA_MISMATCH, o->num,
		    o->v[A_SUBJECT].line,
		    "CKA_SUBJECT is not the certificate's subject");
		goto out;
	}
	OPENSSL_free(enc);
	enc = NULL;
	if ((len = i2d_X509_NAME(X509_get_issuer_name(x), &enc)) < 0 ||
	    !same(&o->v[A_ISSUER], enc, (size_t)len)) {
		certdata_fail(r, CERTDATA_MISMATCH, o->num, o->v[A_ISSUER].line,
		    "CKA_ISSUER is not the certificate's issuer");
		goto out;
	}
	OPENSSL_free(enc);
	enc = NULL;
	if ((len = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &enc)) < 0 ||
	    !same(&o->v[A_SERIAL], enc, (size_t)len)) {
		certdata_fail(r, CERTDATA_MISMATCH, o->num, o->v[A_SERIAL].line,
		    "CKA_SERIAL_NUMBER is not the certificate's serial "
		    "number (a DER INTEGER)");
		goto out;
	}
	if (!EVP_Digest(v->p, v->len, o->sha256, NULL, EVP_sha256(), NULL)) {
		certdata_fail(r, CERTDATA_NOMEM, o->num, v->line,
		    "SHA-256 failed");
		goto out;
	}
	rc = 1;
 out:
	/* The reason is in err; leave no stale error for the caller. */
	if (!rc)
		ERR_clear_error();
	OPENSSL_free(enc);
	X509_free(x);
	return rc;
}

/* CKA_CERT_SHA1_HASH and CKA_CERT_MD5_HASH, when given, are cert's. */
static int
hash_check(struct reader *r, const struct obj *t, const struct obj *c)
{
	static const struct {
		enum att	 a;
		const char	*alg;
	} hashes[] = { { A_SHA1, "SHA-1" }, { A_MD5, "MD5" } };
	const struct oct	*v = &c->v[A_VALUE];
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen;
	size_t			 i;

	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		if (!(t->seen & 1u << hashes[i].a))
			continue;
		if (!EVP_Digest(v->p, v->len, md, &mdlen, hashes[i].a ==
		    A_SHA1 ? EVP_sha1() : EVP_md5(), NULL))
			return certdata_fail(r, CERTDATA_NOMEM, t->num, t->line,
			    "%s failed", hashes[i].alg);
		if (!same(&t->v[hashes[i].a], md, mdlen))
			return certdata_fail(r, CERTDATA_HASH_MISMATCH, t->num,
			    t->v[hashes[i].a].line, "%s is not the %s of "
			    "object %zu's certificate",
			    certdata_attname(hashes[i].a), hashes[i].alg,
			    c->num);
	}
	return 1;
}

/*
 * Each object has what its class needs and each certificate object is
 * the certificate it says, in file order; the first failure is kept.
 */
int
certdata_check(struct reader *r)
{
	size_t	 i;

	for (i = 0; i < r->nobjs; i++) {
		if (!obj_required(r, &r->objs[i]))
			return 0;
		if (r->objs[i].cls == CLS_CERT && !cert_check(r, &r->objs[i]))
			return 0;
	}
	return 1;
}

/*
 * Pair each trust object with the certificate of the same issuer and
 * serial bytes, wherever it is in the file (NSS writes the certificate
 * first).  Quadratic, but in at most CERTDATA_MAX_OBJECTS objects.
 */
int
certdata_match(struct reader *r)
{
	struct obj	*t, *c;
	size_t		 i, j;

	for (i = 0; i < r->nobjs; i++) {
		t = &r->objs[i];
		if (t->cls != CLS_TRUST)
			continue;
		for (j = 0; j < r->nobjs; j++) {
			c = &r->objs[j];
			/* Serials first: short, and they differ. */
			if (c->cls == CLS_CERT &&
			    same(&c->v[A_SERIAL], t->v[A_SERIAL].p,
			    t->v[A_SERIAL].len) &&
			    same(&c->v[A_ISSUER], t->v[A_ISSUER].p,
			    t->v[A_ISSUER].len))
				break;
		}
		if (j == r->nobjs) {
			if (t->grants)
				return certdata_fail(r, CERTDATA_ORPHAN_TRUST,
				    t->num, t->line,
				    "trust object \"%s\" trusts a "
				    "certificate that is not in the file",
				    t->label);
			continue;
		}
		if (c->trust_obj != 0)
			return certdata_fail(r, CERTDATA_TRUST_TWICE, t->num,
			    t->line,
			    "second trust object for object %zu (\"%s\"), "
			    "the first is object %zu", c->num, c->label,
			    r->objs[c->trust_obj - 1].num);
		if (!hash_check(r, t, c))
			return 0;
		if ((t->server_after != 0 && c->server_after != 0 &&
		    t->server_after != c->server_after) ||
		    (t->email_after != 0 && c->email_after != 0 &&
		    t->email_after != c->email_after))
			return certdata_fail(r, CERTDATA_MISMATCH, t->num,
			    t->line,
			    "trust object's distrust-after date differs from "
			    "object %zu's", c->num);
		c->trust_obj = i + 1;
		t->paired = 1;
	}
	for (j = 0; j < r->nobjs; j++) {
		c = &r->objs[j];
		if (c->cls == CLS_CERT && c->trust_obj == 0)
			return certdata_fail(r, CERTDATA_NO_TRUST, c->num,
			    c->line, "certificate \"%s\" has no trust object",
			    c->label);
	}
	return 1;
}

/* The result, in file order: certificates, and trust objects alone. */
struct certdata *
certdata_build(struct reader *r)
{
	struct certdata	*cd;
	struct cd_cert	*e;
	struct obj	*o, *t;
	size_t		 i;

	if ((cd = calloc(1, sizeof(*cd))) == NULL ||
	    (r->nobjs > 0 &&
	    (cd->v = calloc(r->nobjs, sizeof(*cd->v))) == NULL)) {
		free(cd);
		certdata_fail(r, CERTDATA_NOMEM, 0, 0, "out of memory");
		return NULL;
	}
	for (i = 0; i < r->nobjs; i++) {
		o = &r->objs[i];
		if (o->cls == CLS_ROOTLIST)
			continue;
		/* A trust object with its certificate is in that entry. */
		if (o->cls == CLS_TRUST && o->paired)
			continue;
		t = o->cls == CLS_CERT ? &r->objs[o->trust_obj - 1] : o;
		e = &cd->v[cd->n];
		e->line = o->line;
		e->object = o->num;
		e->server = t->trust[0];
		e->email = t->trust[1];
		e->code = t->trust[2];
		if (o->cls == CLS_CERT) {
			/* Moved, not copied: the reader frees the rest. */
			e->der = o->v[A_VALUE].p;
			e->derlen = o->v[A_VALUE].len;
			o->v[A_VALUE].p = NULL;
			memcpy(e->sha256, o->sha256, sizeof(e->sha256));
			/* Either object may carry a date; match() checked. */
			e->server_after = o->server_after != 0 ?
			    o->server_after : t->server_after;
			e->email_after = o->email_after != 0 ?
			    o->email_after : t->email_after;
			cd->ncertobjs++;
			if (o->server_after != 0)
				cd->ncertobjs_dated++;
			if (e->server == CD_TRUST_DELEGATOR) {
				cd->nserver++;
				if (e->server_after != 0)
					cd->nserver_dated++;
			}
		}
		e->label = o->label;
		o->label = NULL;
		cd->n++;
	}
	return cd;
}
