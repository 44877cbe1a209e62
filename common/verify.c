/*
 * verify.c - SPEC section 8 top to bottom: the client's trust decision,
 * also made by a cabundled whose upstream is another mirror.
 *
 *	verify_sig:   steps 2-6 on the .minisig alone (format, ED only,
 *		      trusted key, global signature, metadata, profile,
 *		      freeze rules).
 *	verify_floor: step 7, the version against the floor the caller
 *		      keeps (the client's state, the relay's database).
 *	verify_data: step 9 on any signed document (exact size, sha256,
 *		     the ED signature): a bundle, or SPEC 12's constraints.
 *	verify_body: steps 9-10 on the body (verify_data, then a PEM
 *		     bundle of certificates only).
 *
 * No network, no files, no state: callers bring bytes (and their
 * floor) and act on the verdict.  Every refusal says which rule failed.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "bundle.h"
#include "encode.h"
#include "timefmt.h"
#include "verify.h"

/*
 * Steps 2-6.  Returns 1 with r filled (r->key points into p->keys), or
 * 0 with why set: not a strict four-line ED signature, key id of no
 * trusted key, comment signature invalid, metadata not p->format
 * (cabundle/1 when NULL),
 * another profile, expired, valid for longer than MAX_VALIDITY, or
 * created in the future.
 */
int
verify_sig(const char *text, size_t len, const struct policy *p,
    struct release *r, char *why, size_t whylen)
{
	char		 id[17], mwhy[200], fwhy[200], when[TIMEFMT_RELLEN];

	memset(r, 0, sizeof(*r));
	if (sig_parse(text, len, &r->sig, fwhy, sizeof(fwhy)) != SIG_OK) {
		snprintf(why, whylen, "%s", fwhy);
		return 0;
	}
	if ((r->key = sig_find_key(&r->sig, p->keys, p->nkeys)) == NULL) {
		keyid_format(r->sig.keyid, id);
		snprintf(why, whylen, "signed by key id %s, which is not "
		    "trusted", id);
		return 0;
	}
	if (sig_verify_comment(&r->sig, r->key) != SIG_OK) {
		snprintf(why, whylen, "signature verification failed: the "
		    "trusted comment is not signed by the trusted key");
		return 0;
	}
	/* From here on T is authentic; its contents decide. */
	if (!meta_parse_as(p->format != NULL ? p->format : META_FORMAT,
	    r->sig.comment, r->sig.commentlen, &r->meta, mwhy,
	    sizeof(mwhy))) {
		snprintf(why, whylen, "signed metadata refused: %s", mwhy);
		return 0;
	}
	if (p->profile != NULL && strcmp(p->profile, r->meta.profile) != 0) {
		snprintf(why, whylen, "signed for profile '%s', not '%s'",
		    r->meta.profile, p->profile);
		return 0;
	}
	if (!p->check_time)
		return 1;
	if ((uint64_t)p->now >= r->meta.expires) {
		timefmt_rel((int64_t)r->meta.expires, p->now, when);
		snprintf(why, whylen, "signature expired %s: the mirror may "
		    "be frozen or stale", when);
		return 0;
	}
	if (r->meta.expires - r->meta.created > MAX_VALIDITY) {
		snprintf(why, whylen, "signature valid for %llu days, more "
		    "than the %d allowed",
		    (unsigned long long)(r->meta.expires - r->meta.created) /
		    86400, MAX_VALIDITY / 86400);
		return 0;
	}
	if (r->meta.created > (uint64_t)p->now + CLOCK_SKEW) {
		timefmt_rel((int64_t)r->meta.created, p->now, when);
		snprintf(why, whylen, "signature created %s, in the future: "
		    "check this machine's clock", when);
		return 0;
	}
	return 1;
}

/*
 * Step 7 for a release that passed verify_sig(): floor is the newest
 * version held (0: none) and floor_hex the lowercase hex sha256 of its
 * body.  source (where the release comes from) and held ("installed",
 * "relayed") only word the refusal.  Returns FLOOR_NEWER, FLOOR_CURRENT
 * for the held version and body, or FLOOR_REFUSED with why set: a
 * version below the floor (rollback), or the floor's version signed
 * for another body (equivocation).
 */
enum floor_verdict
verify_floor(const struct release *r, uint64_t floor, const char *floor_hex,
    const char *source, const char *held, char *why, size_t whylen)
{
	char	 hex[65];

	if (r->meta.version > floor)
		return FLOOR_NEWER;
	if (r->meta.version < floor) {
		snprintf(why, whylen, "rollback: %.512s offers %s version %llu, "
		    "older than version %llu %s before", source,
		    r->meta.profile, (unsigned long long)r->meta.version,
		    (unsigned long long)floor, held);
		return FLOOR_REFUSED;
	}
	hex_encode(r->meta.sha256, 32, hex);
	if (strcmp(hex, floor_hex) == 0)
		return FLOOR_CURRENT;
	snprintf(why, whylen, "equivocation: %s version %llu signed for two "
	    "bodies (sha256 %s %s, %s offered)", r->meta.profile,
	    (unsigned long long)floor, floor_hex, held, hex);
	return FLOOR_REFUSED;
}

/*
 * Step 9 for a document whose signature passed verify_sig().  Returns
 * 1, or 0 with why set: not the signed size, not the signed sha256, or
 * the ED signature over the bytes fails.
 */
int
verify_data(const struct release *r, const unsigned char *body, size_t len,
    char *why, size_t whylen)
{
	unsigned char		 h[32];
	char			 want[65], got[65];

	if (len != r->meta.size) {
		snprintf(why, whylen, "body is %zu bytes, the signature says "
		    "%llu", len, (unsigned long long)r->meta.size);
		return 0;
	}
	if (!EVP_Digest(body, len, h, NULL, EVP_sha256(), NULL)) {
		snprintf(why, whylen, "SHA-256 failed");
		return 0;
	}
	if (memcmp(h, r->meta.sha256, 32) != 0) {
		hex_encode(r->meta.sha256, 32, want);
		hex_encode(h, 32, got);
		snprintf(why, whylen, "body sha256 is %s, the signature says "
		    "%s", got, want);
		return 0;
	}
	if (sig_verify_data(&r->sig, r->key, body, len) != SIG_OK) {
		snprintf(why, whylen, "signature verification failed for the "
		    "body");
		return 0;
	}
	return 1;
}

/*
 * Steps 9-10 for a release that passed verify_sig().  Returns 1 with
 * r->ncerts set, or 0 with why set: verify_data() refused it, or the
 * body is not a strict PEM bundle of at least MIN_CERTS certificates.
 */
int
verify_body(struct release *r, const unsigned char *body, size_t len,
    char *why, size_t whylen)
{
	struct bundle_error	 be;
	struct bundle		*b;

	if (!verify_data(r, body, len, why, whylen))
		return 0;
	if ((b = bundle_read(body, len, BUNDLE_DER_ONLY, &be)) == NULL) {
		snprintf(why, whylen, "validly signed, but not a certificate "
		    "bundle: %s", be.msg);
		return 0;
	}
	r->ncerts = b->ncerts;
	bundle_free(b);
	if (r->ncerts < MIN_CERTS) {
		snprintf(why, whylen, "only %zu certificates", r->ncerts);
		return 0;
	}
	return 1;
}
