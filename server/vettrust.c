/*
 * vettrust.c - Mozilla's certdata.txt in vetting (README "certdata.txt:
 * Mozilla's trust bits as a source and a cross-check").  As the
 * upstream, only its server-auth trust anchors become roots; the rest
 * is listed and never served; the anchors' distrust-after dates go
 * into the report and, through r->dates, into snapshot_distrust.  (As
 * the cross-check source, vet.c compares it with the bundle.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certdata.h"
#include "store.h"
#include "timefmt.h"
#include "vet.h"

/*
 * The TLS roots of cd, in file order, labelled with CKA_LABEL: a
 * bundle (bundle_free it), or NULL with why set (more roots than a PEM
 * bundle may hold, or out of memory).
 */
struct bundle *
vettrust_roots(const struct certdata *cd, char *why, size_t whylen)
{
	struct bundle	*b;
	size_t		 i;

	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (cd->n && (b->certs = calloc(cd->n, sizeof(*b->certs))) == NULL)) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	for (i = 0; i < cd->n; i++) {
		if (!vet_anchor(&cd->v[i]))
			continue;
		if (b->ncerts == BUNDLE_MAX_CERTS) {
			snprintf(why, whylen, "more than %d TLS roots",
			    BUNDLE_MAX_CERTS);
			goto fail;
		}
		if (!cert_init(&b->certs[b->ncerts], cd->v[i].der,
		    cd->v[i].derlen, cd->v[i].label, why, whylen)) {
			if (why[0] == '\0')
				snprintf(why, whylen, "out of memory");
			goto fail;
		}
		b->ncerts++;
	}
	return b;
 fail:
	bundle_free(b);
	return NULL;
}

/* The TLS roots of cd as a set (the cross-check source).  0: no memory. */
int
vettrust_rootset(const struct certdata *cd, struct rootset *s)
{
	struct bundle	 b;
	struct cert	*certs;
	size_t		 i;
	int		 ok;

	if ((certs = calloc(cd->n + 1, sizeof(*certs))) == NULL)
		return 0;
	b.certs = certs;
	b.ncerts = 0;
	/* Only what rootset_from_bundle() reads: sha256 and label. */
	for (i = 0; i < cd->n; i++) {
		if (!vet_anchor(&cd->v[i]))
			continue;
		memcpy(certs[b.ncerts].sha256, cd->v[i].sha256, 32);
		certs[b.ncerts++].label = cd->v[i].label;
	}
	ok = rootset_from_bundle(&b, s);
	free(certs);
	return ok;
}

/* The report row of a certificate of cd that is no TLS root. */
static int
not_served(struct vet_report *r, const struct cd_cert *c)
{
	char	 when[TIMEFMT_LEN];

	if (c->server_after == 0)
		return vet_row_add(r, "certdata-trust", LEVEL_INFO, c->label,
		    c->der != NULL ? c->sha256 : NULL, "%s: not served%s",
		    vet_trust_words(c), c->der == NULL ? " (a trust object "
		    "without its certificate)" : "");
	timefmt_iso(c->server_after, when);
	return vet_row_add(r, "certdata-trust", LEVEL_INFO, c->label,
	    c->der != NULL ? c->sha256 : NULL, "%s: not served (and for TLS "
	    "certificates issued after %s, distrusted)", vet_trust_words(c),
	    when);
}

/*
 * Vet a certdata.txt upstream body: cd is what the reader made of it,
 * or NULL with cerr saying why it refused; b its TLS roots
 * (vettrust_roots; NULL if cd is).  The roots are vetted as any
 * bundle's, then every certificate not served is listed and every
 * dated root gets a "distrust-after" row and a date.  Arguments and
 * result otherwise as vet_bundle().
 */
int
vet_certdata(const struct certdata *cd, const struct certdata_error *cerr,
    const struct bundle *b, const unsigned char *digest, size_t size,
    const struct rootset *prev, const struct rootset *cross,
    const struct vet_policy *pol, int64_t now, struct vet_report *r)
{
	const struct cd_cert *c;
	char		 why[768];
	size_t		 i;
	int		 ok;

	if (cd == NULL) {
		snprintf(why, sizeof(why), "not a valid certdata.txt: %s: %s "
		    "(object %zu, line %zu)", certdata_errname(cerr->code),
		    cerr->msg, cerr->object, cerr->line);
		return vet_refused(why, digest, size, prev, pol, r);
	}
	if (!vet_bundle(b, NULL, digest, size, prev, cross, pol, now, r))
		return 0;
	if (r->verdict == VERDICT_REJECTED)
		return 1;
	for (ok = 1, i = 0; i < cd->n; i++) {
		c = &cd->v[i];
		if (vet_anchor(c))
			ok &= vet_date_add(r, c, c->label, c->sha256, NULL);
		else
			ok &= not_served(r, c);
	}
	return ok;
}
