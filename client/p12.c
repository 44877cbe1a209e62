/*
 * p12.c - PKCS#12 truststores as Java reads them: one certificate bag
 * per distinct certificate, each carrying Oracle's trusted key usage
 * attribute (2.16.840.1.113894.746875.1.1) with anyExtendedKeyUsage,
 * which is what makes keytool list it as a trustedCertEntry.  Without
 * it Java ignores the bag.
 *
 * The layout is what "openssl pkcs12 -export -jdktrust anyExtendedKeyUsage
 * -nokeys" of OpenSSL 3.2 writes: the bags in one safe encrypted with
 * PBES2 (PBKDF2 hmacWithSHA256, AES-256-CBC), a SHA-256 MAC, 2048
 * iterations each.  Debian 12's OpenSSL 3.0 has no -jdktrust, so the
 * attribute is added here by OID.
 *
 * Reading a store back gives the set of SHA-256s of its trusted
 * certificates, for "holds it already" and status; the MAC must verify
 * with the password first.
 */
#include <ctype.h>
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "bundle.h"
#include "encode.h"
#include "extern.h"
#include "log.h"

#define P12_ITER	2048		/* PKCS12_DEFAULT_ITER */
#define P12_SALT	16
#define P12_ALIAS_MAX	64		/* label part of an alias */
#define OID_JDK_TRUST	"2.16.840.1.113894.746875.1.1"

static int
sha_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/*
 * Add one SHA-256 to s unless it is there (s unsorted until
 * p12set_sort).  Returns 1, or 0 after a warning: out of memory, or
 * more than BUNDLE_MAX_CERTS.
 */
int
p12set_add(struct p12set *s, const unsigned char *sha)
{
	unsigned char	(*n)[32];
	size_t		 i;

	for (i = 0; i < s->n; i++)
		if (memcmp(s->sha[i], sha, 32) == 0)
			return 1;
	if (s->n == BUNDLE_MAX_CERTS) {
		warnx("more than %d certificates", BUNDLE_MAX_CERTS);
		return 0;
	}
	if ((n = reallocarray(s->sha, s->n + 1, sizeof(*n))) == NULL) {
		warn(NULL);
		return 0;
	}
	s->sha = n;
	memcpy(s->sha[s->n++], sha, 32);
	return 1;
}

/* Sort s for p12set_same. */
void
p12set_sort(struct p12set *s)
{
	if (s->n > 0)
		qsort(s->sha, s->n, 32, sha_cmp);
}

/* Free what a set holds. */
void
p12set_free(struct p12set *s)
{
	free(s->sha);
	memset(s, 0, sizeof(*s));
}

/*
 * Compare the store's set a with the release's b: how many of b are
 * missing from a, how many of a are not in b.  Returns 1 when both are
 * the same set (and a held nothing else).
 */
int
p12set_same(const struct p12set *a, const struct p12set *b,
    size_t *missing, size_t *extra)
{
	size_t	 i;

	*missing = *extra = 0;
	for (i = 0; i < b->n; i++)
		if (a->n == 0 || bsearch(b->sha[i], a->sha, a->n, 32,
		    sha_cmp) == NULL)
			(*missing)++;
	for (i = 0; i < a->n; i++)
		if (b->n == 0 || bsearch(a->sha[i], b->sha, b->n, 32,
		    sha_cmp) == NULL)
			(*extra)++;
	return *missing == 0 && *extra == 0 && a->foreign == 0;
}

/*
 * The alias of c: its label (CN, else O, else subject) lowercased, in
 * letters, digits and " -.()", anything else one "_", then the first
 * 8 hex digits of its SHA-256 in brackets ("isrg root x1 [96bcec06]");
 * full hex when those 8 digits already name another certificate.
 */
static void
alias_make(const struct cert *c, int full, char *out, size_t len)
{
	char		 lab[P12_ALIAS_MAX + 1], hex[65];
	const char	*p = c->label != NULL ? c->label : "";
	size_t		 n = 0;

	for (; *p != '\0' && n < P12_ALIAS_MAX; p++) {
		if (isascii((unsigned char)*p) && (isalnum((unsigned char)*p) ||
		    strchr(" -.()", *p) != NULL))
			lab[n++] = (char)tolower((unsigned char)*p);
		else if (n == 0 || lab[n - 1] != '_')
			lab[n++] = '_';
	}
	while (n > 0 && lab[n - 1] == ' ')
		n--;
	lab[n] = '\0';
	hex_encode(c->sha256, 32, hex);
	snprintf(out, len, "%s%s[%.*s]", lab, n > 0 ? " " : "",
	    full ? 64 : 8, hex);
}

/* One trusted certificate bag for c into bags.  Returns 1, or 0. */
static int
bag_add(STACK_OF(PKCS12_SAFEBAG) **bags, const struct cert *c,
    const char *alias, const ASN1_OBJECT *anyeku)
{
	PKCS12_SAFEBAG	*bag;

	/* PKCS12_add_cert adds a localKeyID only when the X509 has one. */
	if ((bag = PKCS12_add_cert(bags, c->x509)) == NULL ||
	    !PKCS12_add_friendlyname_utf8(bag, alias, -1) ||
	    !PKCS12_add1_attr_by_txt(bag, OID_JDK_TRUST, V_ASN1_OBJECT,
	    (const unsigned char *)anyeku, -1)) {
		cryptowarnx("%s: PKCS#12 certificate bag", alias);
		return 0;
	}
	return 1;
}

/*
 * A PKCS#12 truststore of the certificates of the PEM bundle body,
 * each once, protected by pass, into out (initialised by the caller,
 * freed by the caller); their SHA-256s into set (p12set_free).
 * Returns 1, or 0 after a warning: not a bundle, or a library failure.
 */
int
p12_build(const unsigned char *body, size_t len, const char *pass,
    struct buf *out, struct p12set *set)
{
	struct bundle_error	 e;
	struct bundle		*b;
	STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
	STACK_OF(PKCS7)		*safes = NULL;
	PKCS12			*p12 = NULL;
	ASN1_OBJECT		*anyeku = NULL;
	unsigned char		*der = NULL;
	char			 alias[P12_ALIAS_MAX + 80];
	char			 (*names)[sizeof(alias)] = NULL;
	size_t			 i, k, n = 0;
	int			 derlen, rc = 0;

	memset(set, 0, sizeof(*set));
	if ((b = bundle_read(body, len, 0, &e)) == NULL) {
		warnx("not a certificate bundle: %s", e.msg);
		return 0;
	}
	if ((names = calloc(b->ncerts, sizeof(*names))) == NULL) {
		warn(NULL);
		goto out;
	}
	if ((anyeku = OBJ_nid2obj(NID_anyExtendedKeyUsage)) == NULL) {
		cryptowarnx("anyExtendedKeyUsage");
		goto out;
	}
	for (i = 0; i < b->ncerts; i++) {
		k = set->n;
		if (!p12set_add(set, b->certs[i].sha256))
			goto out;
		if (set->n == k)
			continue;	/* a duplicate: one entry */
		alias_make(&b->certs[i], 0, alias, sizeof(alias));
		for (k = 0; k < n; k++)
			if (strcmp(names[k], alias) == 0)
				break;
		if (k < n)
			alias_make(&b->certs[i], 1, alias, sizeof(alias));
		snprintf(names[n++], sizeof(names[0]), "%s", alias);
		if (!bag_add(&bags, &b->certs[i], alias, anyeku))
			goto out;
	}
	if (!PKCS12_add_safe(&safes, bags, NID_aes_256_cbc, P12_ITER, pass) ||
	    (p12 = PKCS12_add_safes(safes, 0)) == NULL ||
	    !PKCS12_set_mac(p12, pass, -1, NULL, P12_SALT, P12_ITER,
	    EVP_sha256())) {
		cryptowarnx("PKCS#12 truststore");
		goto out;
	}
	if ((derlen = i2d_PKCS12(p12, &der)) <= 0) {
		cryptowarnx("i2d_PKCS12");
		goto out;
	}
	buf_reset(out);
	if (!buf_append(out, der, (size_t)derlen))
		goto out;
	p12set_sort(set);
	rc = 1;
 out:
	OPENSSL_free(der);
	PKCS12_free(p12);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	free(names);
	bundle_free(b);
	if (!rc)
		p12set_free(set);
	return rc;
}

/* 1 when bag carries the JDK trust attribute with anyExtendedKeyUsage. */
static int
bag_trusted(const PKCS12_SAFEBAG *bag, const ASN1_OBJECT *oid)
{
	const STACK_OF(X509_ATTRIBUTE) *attrs;
	X509_ATTRIBUTE	*a;
	ASN1_TYPE	*v;
	int		 i;

	attrs = PKCS12_SAFEBAG_get0_attrs(bag);
	if ((i = X509at_get_attr_by_OBJ(attrs, oid, -1)) < 0 ||
	    (a = X509at_get_attr(attrs, i)) == NULL ||
	    (v = X509_ATTRIBUTE_get0_type(a, 0)) == NULL ||
	    v->type != V_ASN1_OBJECT)
		return 0;
	return OBJ_obj2nid(v->value.object) == NID_anyExtendedKeyUsage;
}

/* The trusted certificates of one safe's bags into set. */
static int
bags_read(const STACK_OF(PKCS12_SAFEBAG) *bags, const ASN1_OBJECT *oid,
    struct p12set *set)
{
	const PKCS12_SAFEBAG	*bag;
	X509			*x;
	unsigned char		 md[32];
	unsigned int		 mdlen;
	int			 i, ok;

	for (i = 0; i < sk_PKCS12_SAFEBAG_num(bags); i++) {
		bag = sk_PKCS12_SAFEBAG_value(bags, i);
		if (PKCS12_SAFEBAG_get_nid(bag) != NID_certBag ||
		    PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate ||
		    !bag_trusted(bag, oid)) {
			set->foreign++;	/* a key, or ignored by Java */
			continue;
		}
		if ((x = PKCS12_SAFEBAG_get1_cert(bag)) == NULL)
			return 0;
		ok = X509_digest(x, EVP_sha256(), md, &mdlen) && mdlen == 32;
		X509_free(x);
		if (!ok || !p12set_add(set, md))
			return 0;
	}
	return 1;
}

/*
 * The SHA-256s of the trusted certificates of the PKCS#12 file in
 * der (name for messages) into set (p12set_free), set->foreign
 * counting the bags Java would not list as trusted certificates.
 * Returns 1; 0 after a warning when it is not PKCS#12, has no MAC, or
 * its MAC does not verify with pass (a wrong password).
 */
int
p12_read(const char *name, const unsigned char *der, size_t len,
    const char *pass, struct p12set *set)
{
	const unsigned char	*p = der;
	STACK_OF(PKCS7)		*safes = NULL;
	STACK_OF(PKCS12_SAFEBAG) *bags;
	PKCS12			*p12 = NULL;
	PKCS7			*p7;
	ASN1_OBJECT		*oid = NULL;
	int			 i, nid, rc = 0;

	memset(set, 0, sizeof(*set));
	if (len > LONG_MAX || (p12 = d2i_PKCS12(NULL, &p, (long)len)) ==
	    NULL || p != der + len) {
		warnx("%s: not a PKCS#12 file", name);
		goto out;
	}
	if (!PKCS12_mac_present(p12) || !PKCS12_verify_mac(p12, pass, -1)) {
		warnx("%s: the PKCS#12 MAC does not verify with this password "
		    "(--java-password)", name);
		goto out;
	}
	if ((oid = OBJ_txt2obj(OID_JDK_TRUST, 1)) == NULL ||
	    (safes = PKCS12_unpack_authsafes(p12)) == NULL) {
		cryptowarnx("%s: PKCS#12 contents", name);
		goto out;
	}
	for (i = 0; i < sk_PKCS7_num(safes); i++) {
		p7 = sk_PKCS7_value(safes, i);
		nid = OBJ_obj2nid(p7->type);
		if (nid == NID_pkcs7_data)
			bags = PKCS12_unpack_p7data(p7);
		else if (nid == NID_pkcs7_encrypted)
			bags = PKCS12_unpack_p7encdata(p7, pass, -1);
		else {
			warnx("%s: a PKCS#12 safe of an unknown kind", name);
			goto out;
		}
		if (bags == NULL) {
			cryptowarnx("%s: PKCS#12 safe %d", name, i + 1);
			goto out;
		}
		rc = bags_read(bags, oid, set);
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
		if (!rc) {
			warnx("%s: PKCS#12 certificate bag", name);
			goto out;
		}
		rc = 0;
	}
	p12set_sort(set);
	rc = 1;
 out:
	ASN1_OBJECT_free(oid);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	PKCS12_free(p12);
	if (!rc)
		p12set_free(set);
	return rc;
}
