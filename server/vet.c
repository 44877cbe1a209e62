/*
 * vet.c - the vetting rules (README "Vetting").  Levels:
 *
 *	error		rejected: not a bundle, nothing becomes a candidate
 *	quarantine	stored, waits for a human's approve or reject
 *	warning		accepted, said out loud
 *	info		the record: every added and removed root
 *
 * A body whose digest is pinned is accepted whatever the churn: its
 * quarantine findings drop to warnings.  Errors stay errors: a pinned
 * body the reader refuses, or with a finding the operator made an
 * error (weak_key = error, a new root the cross-check source lacks),
 * is still refused.
 */
#include <err.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certdata.h"
#include "encode.h"
#include "timefmt.h"
#include "vet.h"

/*
 * Each certificate gives at most 7 rows, each root of the baseline and
 * of the cross-check source one more: the cap only stops a bug.
 */
#define VET_MAX_ROWS	(12 * BUNDLE_MAX_CERTS)

static const char *const verdictnames[] = {
	[VERDICT_ACCEPTED] = "accepted",
	[VERDICT_QUARANTINED] = "quarantined",
	[VERDICT_REJECTED] = "rejected",
};

static const char *const levelnames[] = {
	[LEVEL_INFO] = "info",
	[LEVEL_WARNING] = "warning",
	[LEVEL_QUARANTINE] = "quarantine",
	[LEVEL_ERROR] = "error",
};

/* "accepted", "quarantined" or "rejected". */
const char *
vet_verdictname(enum verdict v)
{
	return verdictnames[v];
}

/* "info", "warning", "quarantine" or "error". */
const char *
vet_levelname(enum level l)
{
	return levelnames[l];
}

/*
 * Append one finding to r: check (a static name), level, the root's
 * label and fingerprint (both may be NULL), the rule in words.  Also
 * for vettrust.c's rows.  Returns 1, or 0 when out of memory or rows.
 */
int
vet_row_add(struct vet_report *r, const char *check, enum level level,
    const char *label, const unsigned char *fp, const char *fmt, ...)
{
	struct vet_row	*rows, *row;
	va_list		 ap;
	char		 rule[1024];

	if (r->nrows == VET_MAX_ROWS)
		return 0;
	rows = reallocarray(r->rows, r->nrows + 1, sizeof(*rows));
	if (rows == NULL)
		return 0;
	r->rows = rows;
	row = &rows[r->nrows];
	memset(row, 0, sizeof(*row));
	va_start(ap, fmt);
	vsnprintf(rule, sizeof(rule), fmt, ap);
	va_end(ap);
	row->check = check;
	row->level = level;
	if (fp != NULL)
		hex_encode(fp, 32, row->sha256);
	if ((label != NULL && (row->label = strdup(label)) == NULL) ||
	    (row->rule = strdup(rule)) == NULL) {
		free(row->label);
		return 0;
	}
	r->nrows++;
	if (level > r->worst)
		r->worst = level;
	return 1;
}

/* This file's short name for it. */
#define add_row	vet_row_add

static int
fpcmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* A sorted copy of a set's fingerprints, for bsearch; NULL if empty. */
static unsigned char (*sorted(const unsigned char (*fp)[32], size_t n))[32]
{
	unsigned char	(*s)[32];

	if (n == 0 || (s = calloc(n, 32)) == NULL)
		return NULL;
	memcpy(s, fp, n * 32);
	qsort(s, n, 32, fpcmp);
	return s;
}

static int
has(unsigned char (*set)[32], size_t n, const unsigned char *fp)
{
	return set != NULL && bsearch(fp, set, n, 32, fpcmp) != NULL;
}

static const char *
date(int64_t t, char *buf)
{
	timefmt_date(t, buf);
	return buf;
}

/* Checks on one certificate; dup is the 1-based earlier copy or 0. */
static int
vet_cert(const struct cert *c, size_t i, size_t dup,
    const struct vet_policy *pol, int64_t now, struct vet_report *r)
{
	char	 d[TIMEFMT_LEN];
	int	 ok = 1, weak = 0;

	if (dup)
		ok &= add_row(r, "duplicate", LEVEL_QUARANTINE, c->label,
		    c->sha256, "certificate #%zu is a second copy of #%zu: "
		    "real upstream bundles hold each root once", i + 1, dup);
	if (!c->ca && c->version == 1 && c->self_signed)
		ok &= add_row(r, "ca", LEVEL_WARNING, c->label, c->sha256,
		    "X.509 v1 root without basicConstraints: accepted, as "
		    "real Mozilla bundles held one");
	else if (!c->ca)
		ok &= add_row(r, "ca", LEVEL_QUARANTINE, c->label, c->sha256,
		    "not a CA (no basicConstraints CA:TRUE): a leaf "
		    "certificate has no place in a root bundle");
	/*
	 * A relayed composition (an upstream mirror's org) may hold the
	 * intermediates its organization added: CAs, but not roots.
	 */
	if (!c->self_signed && pol->composition)
		ok &= add_row(r, "self-signed", LEVEL_INFO, c->label,
		    c->sha256, "intermediate CA (issuer %s) of the upstream "
		    "mirror's composition", c->issuer);
	else if (!c->self_signed)
		ok &= add_row(r, "self-signed", LEVEL_QUARANTINE, c->label,
		    c->sha256, "not self-signed (issuer %s): a root bundle "
		    "holds only roots", c->issuer);
	if (c->not_after < now && pol->composition) {
		/* Signed bytes are relayed whole: nothing can be dropped. */
		ok &= add_row(r, "expired", pol->drop_expired ?
		    LEVEL_QUARANTINE : pol->expired, c->label, c->sha256,
		    "expired on %s, in a body relayed as signed",
		    date(c->not_after, d));
	} else if (c->not_after < now) {
		ok &= add_row(r, "expired", pol->expired, c->label, c->sha256,
		    "expired on %s%s", date(c->not_after, d),
		    pol->drop_expired ? "; dropped from the served set" : "");
		if (pol->drop_expired)
			r->dropped[i] = 1;
	}
	if (c->not_before > now)
		ok &= add_row(r, "not-yet-valid", pol->not_yet_valid,
		    c->label, c->sha256, "not valid before %s",
		    date(c->not_before, d));
	if (strcmp(c->key_type, "RSA") == 0)
		weak = c->key_bits < pol->min_rsa_bits;
	else if (strcmp(c->key_type, "EC") == 0)
		weak = c->key_bits < pol->min_ec_bits;
	else if (strcmp(c->key_type, "DSA") == 0 ||
	    strcmp(c->key_type, "unknown") == 0)
		weak = 1;
	if (weak)
		ok &= add_row(r, "weak-key", pol->weak_key, c->label,
		    c->sha256, "%s key below policy (RSA >= %d, EC >= %d "
		    "bits)", c->key_desc, pol->min_rsa_bits, pol->min_ec_bits);
	return ok;
}

/* Whether c is a TLS trust anchor: a certificate, server-auth DELEGATOR. */
int
vet_anchor(const struct cd_cert *c)
{
	return c->der != NULL && c->server == CD_TRUST_DELEGATOR;
}

/* What certdata says of a certificate it does not make a TLS root. */
const char *
vet_trust_words(const struct cd_cert *c)
{
	if (c->server == CD_TRUST_NOT_TRUSTED)
		return "explicitly distrusted by Mozilla";
	if (c->email == CD_TRUST_DELEGATOR)
		return "trusted for e-mail only";
	if (c->server == CD_TRUST_MUST_VERIFY)
		return "not a trust anchor for TLS (must verify)";
	if (c->email == CD_TRUST_NOT_TRUSTED)
		return "explicitly distrusted by Mozilla for e-mail, not "
		    "trusted for TLS";
	return "not trusted for TLS";
}

/*
 * Record c's server distrust-after date (if any) for root fp in
 * r->dates with a "distrust-after" row; source is where the date came
 * from, NULL: the snapshot's own source.  Returns 1, or 0 when out of
 * memory.
 */
int
vet_date_add(struct vet_report *r, const struct cd_cert *c, const char *label,
    const unsigned char *fp, const char *source)
{
	struct vet_date	*d;
	char		 when[TIMEFMT_LEN];

	if (c->server_after == 0)
		return 1;
	if ((d = reallocarray(r->dates, r->ndates + 1, sizeof(*d))) == NULL)
		return 0;
	r->dates = d;
	d = &r->dates[r->ndates++];
	memcpy(d->fp, fp, 32);
	d->server_after = c->server_after;
	d->email_after = c->email_after;
	d->source = source;
	timefmt_iso(c->server_after, when);
	if (source == NULL)
		return add_row(r, "distrust-after", LEVEL_INFO, label, fp,
		    "Mozilla distrusts TLS certificates it issued after %s",
		    when);
	return add_row(r, "distrust-after", LEVEL_INFO, label, fp,
	    "Mozilla distrusts TLS certificates it issued after %s "
	    "(cross-check source %s)", when, source);
}

static const struct cd_cert *
cd_find(const struct certdata *cd, const unsigned char *fp)
{
	size_t	 i;

	for (i = 0; i < cd->n; i++)
		if (cd->v[i].der != NULL &&
		    memcmp(cd->v[i].sha256, fp, 32) == 0)
			return &cd->v[i];
	return NULL;
}

static int
in_bundle(const struct bundle *b, const unsigned char *fp)
{
	size_t	 i;

	for (i = 0; i < b->ncerts; i++)
		if (memcmp(b->certs[i].sha256, fp, 32) == 0)
			return 1;
	return 0;
}

/*
 * Compare a bundle with a certdata.txt cross-check source (cross->cd)
 * on trust: each root certdata does not trust for server auth, and
 * each certdata TLS root the bundle lacks, quarantines with a row
 * naming it and what certdata says.  The roots both have get their
 * dates.  Returns 1, or 0 when out of memory.
 */
static int
vet_trust_cross(const struct bundle *b, const struct rootset *cross,
    struct vet_report *r)
{
	const struct certdata *cd = cross->cd;
	const struct cd_cert *c;
	const struct cert *bc;
	size_t		 i;
	int		 ok = 1;

	for (i = 0; i < b->ncerts; i++) {
		bc = &b->certs[i];
		if ((c = cd_find(cd, bc->sha256)) == NULL)
			ok &= add_row(r, "cross-check", LEVEL_QUARANTINE,
			    bc->label, bc->sha256, "not in the cross-check "
			    "source %s (certdata.txt): Mozilla does not "
			    "trust it", cross->source);
		else if (!vet_anchor(c))
			ok &= add_row(r, "cross-check", LEVEL_QUARANTINE,
			    bc->label, bc->sha256, "%s in the cross-check "
			    "source %s (certdata.txt \"%s\"), served by this "
			    "bundle", vet_trust_words(c), cross->source,
			    c->label);
		else
			ok &= vet_date_add(r, c, bc->label, bc->sha256,
			    cross->source);
	}
	for (i = 0; i < cd->n; i++) {
		c = &cd->v[i];
		if (vet_anchor(c) && !in_bundle(b, c->sha256))
			ok &= add_row(r, "cross-check", LEVEL_QUARANTINE,
			    c->label, c->sha256, "trusted for server "
			    "authentication by the cross-check source %s "
			    "(certdata.txt), missing from this bundle",
			    cross->source);
	}
	return ok;
}

/*
 * Churn against the last accepted snapshot and the cross-check set.  A
 * new root counts against max_added unless the cross-check source has
 * it too; a new root the cross-check source lacks is refused outright.
 */
static int
vet_sets(const struct bundle *b, const struct rootset *prev,
    const struct rootset *cross, const struct vet_policy *pol,
    struct vet_report *r)
{
	unsigned char	(*up)[32] = NULL, (*old)[32] = NULL, (*cx)[32] = NULL;
	const struct cert *c;
	size_t		 i, j, prevn = prev != NULL ? prev->n : 0, unvouched = 0;
	int		 ok = 1, over_removed;

	if ((up = calloc(b->ncerts, 32)) == NULL)
		return 0;
	for (i = 0; i < b->ncerts; i++)
		memcpy(up[i], b->certs[i].sha256, 32);
	qsort(up, b->ncerts, 32, fpcmp);
	if (prev != NULL)
		old = sorted((const unsigned char (*)[32])prev->fp, prev->n);
	if (cross != NULL && cross->error == NULL)
		cx = sorted((const unsigned char (*)[32])cross->fp, cross->n);
	if ((prevn && old == NULL) || (cross != NULL && cross->error == NULL &&
	    cross->n && cx == NULL)) {
		ok = 0;
		goto out;
	}

	for (i = 0; i < b->ncerts; i++) {
		c = &b->certs[i];
		if (has(old, prevn, c->sha256))
			continue;
		/* A duplicate was counted at its first copy. */
		for (j = 0; j < i; j++)
			if (memcmp(b->certs[j].sha256, c->sha256, 32) == 0)
				break;
		if (j < i)
			continue;
		r->nadded++;
		if (cx != NULL && has(cx, cross->n, c->sha256)) {
			ok &= add_row(r, "added", LEVEL_INFO, c->label,
			    c->sha256, "new root, vouched for by the "
			    "cross-check source");
			continue;
		}
		if (cross != NULL && cross->error == NULL &&
		    cross->cd != NULL) {
			/* vettrust_cross() says what certdata says of it. */
			ok &= add_row(r, "added", LEVEL_INFO, c->label,
			    c->sha256, "new root the cross-check source does "
			    "not trust for server authentication");
			continue;
		}
		if (cross != NULL && cross->error == NULL) {
			ok &= add_row(r, "cross-check", LEVEL_ERROR, c->label,
			    c->sha256, "new root missing from the cross-check "
			    "source %s: refused", cross->source);
			continue;
		}
		unvouched++;
		if (prevn == 0)
			ok &= add_row(r, "added", LEVEL_INFO, c->label,
			    c->sha256, "new root (first snapshot)");
		else
			ok &= add_row(r, "added", LEVEL_INFO, c->label,
			    c->sha256, "new root, not in accepted snapshot %"
			    PRId64, prev->id);
	}
	if (unvouched > (size_t)pol->max_added)
		ok &= add_row(r, "churn", LEVEL_QUARANTINE, NULL, NULL,
		    "%zu new root(s) not vouched for by a pinned digest or "
		    "the cross-check source (max_added %ld)%s", unvouched,
		    pol->max_added, prevn == 0 ? ": first snapshot, trust "
		    "on first use needs approval" : "");

	for (i = 0; prev != NULL && i < prev->n; i++) {
		if (has(up, b->ncerts, prev->fp[i]))
			continue;
		r->nremoved++;
		ok &= add_row(r, "removed", LEVEL_INFO, prev->labels[i],
		    prev->fp[i], "root in accepted snapshot %" PRId64
		    " is gone", prev->id);
	}
	if (pol->max_removed_pct)
		over_removed = r->nremoved * 100 >
		    (size_t)pol->max_removed * prevn;
	else
		over_removed = r->nremoved > (size_t)pol->max_removed;
	if (over_removed)
		ok &= add_row(r, "churn", LEVEL_QUARANTINE, NULL, NULL,
		    "%zu of %zu roots removed (%.1f%%), more than "
		    "max_removed %ld%s", r->nremoved, prevn, prevn ?
		    (double)r->nremoved * 100 / (double)prevn : 0.0,
		    pol->max_removed, pol->max_removed_pct ? "%" : "");

	if (cross != NULL && cross->error != NULL)
		ok &= add_row(r, "cross-check", LEVEL_QUARANTINE, NULL, NULL,
		    "cross-check source %s unavailable: %s", cross->source,
		    cross->error);
	else if (cross != NULL && cross->cd != NULL)
		ok &= vet_trust_cross(b, cross, r);
	else if (cross != NULL) {
		for (i = 0; i < b->ncerts; i++) {
			c = &b->certs[i];
			if (has(cx, cross->n, c->sha256) ||
			    !has(old, prevn, c->sha256))
				continue;	/* new: judged above */
			ok &= add_row(r, "cross-check", LEVEL_QUARANTINE,
			    c->label, c->sha256, "root missing from the "
			    "cross-check source %s", cross->source);
		}
		for (i = 0; i < cross->n; i++) {
			if (has(up, b->ncerts, cross->fp[i]))
				continue;
			ok &= add_row(r, "cross-check", LEVEL_QUARANTINE,
			    cross->labels[i],
			    cross->fp[i], "root in the cross-check source %s "
			    "is missing upstream", cross->source);
		}
	}
 out:
	free(up);
	free(old);
	free(cx);
	return ok;
}

/* Start r: until vet_end() says otherwise, an unfinished one refuses. */
static void
vet_begin(const unsigned char *digest, size_t size,
    const struct rootset *prev, const struct vet_policy *pol,
    struct vet_report *r)
{
	size_t	 i;

	memset(r, 0, sizeof(*r));
	r->verdict = VERDICT_REJECTED;
	memcpy(r->digest, digest, 32);
	r->size = size;
	r->baseline = prev != NULL ? prev->id : 0;
	for (i = 0; i < pol->digests.n; i++)
		if (memcmp(pol->digests.v[i], digest, 32) == 0)
			r->pinned = 1;
	r->worst = LEVEL_INFO;
}

/* The verdict the worst row gives; ok 0 (out of memory) refuses. */
static int
vet_end(int ok, struct vet_report *r)
{
	if (!ok) {
		r->verdict = VERDICT_REJECTED;
		return 0;
	}
	if (r->worst == LEVEL_ERROR)
		r->verdict = VERDICT_REJECTED;
	else if (r->worst == LEVEL_QUARANTINE)
		r->verdict = VERDICT_QUARANTINED;
	else
		r->verdict = VERDICT_ACCEPTED;
	return ok;
}

/*
 * Vet one upstream answer.  b is the parsed bundle, or NULL with perr
 * saying why the reader refused it; digest and size describe the body.
 * prev is the last accepted snapshot's roots (NULL: none yet), cross
 * the cross-check source's (NULL: not configured).  Fills r (free with
 * vet_report_free) and returns 1, or 0 when out of memory.
 */
int
vet_bundle(const struct bundle *b, const struct bundle_error *perr,
    const unsigned char *digest, size_t size, const struct rootset *prev,
    const struct rootset *cross, const struct vet_policy *pol, int64_t now,
    struct vet_report *r)
{
	size_t		 i, j, dup, n;
	int		 ok = 1;
	char		 hex[65];

	vet_begin(digest, size, prev, pol, r);
	hex_encode(digest, 32, hex);
	if (b == NULL) {
		ok &= add_row(r, "reader", LEVEL_ERROR, NULL, NULL,
		    "not a PEM bundle: %s: %s (block %zu, line %zu)",
		    bundle_errname(perr->code), perr->msg, perr->block,
		    perr->line);
		goto done;
	}
	r->ncerts = b->ncerts;
	if (b->ncerts == 0) {
		ok &= add_row(r, "reader", LEVEL_ERROR, NULL, NULL,
		    "no certificates");
		goto done;
	}
	if ((r->dropped = calloc(b->ncerts, 1)) == NULL)
		return 0;
	if (r->pinned)
		ok &= add_row(r, "pinned-digest", LEVEL_INFO, NULL, NULL,
		    "body sha256 %s is a pinned known-good digest", hex);
	else if (pol->require_pinned_digest)
		ok &= add_row(r, "pinned-digest", LEVEL_ERROR, NULL, NULL,
		    "body sha256 %s is not in the pinned digest list "
		    "(require_pinned_digest)", hex);

	for (i = 0; i < b->ncerts; i++) {
		for (dup = 0, j = 0; j < i && !dup; j++)
			if (memcmp(b->certs[j].sha256, b->certs[i].sha256,
			    32) == 0)
				dup = j + 1;
		ok &= vet_cert(&b->certs[i], i, dup, pol, now, r);
	}
	/* Anchors are Mozilla roots: an org-only profile lacks them. */
	for (i = 0; !pol->composition && i < pol->anchors.n; i++) {
		for (j = 0; j < b->ncerts; j++)
			if (memcmp(b->certs[j].sha256, pol->anchors.v[i],
			    32) == 0)
				break;
		if (j == b->ncerts)
			ok &= add_row(r, "anchor", LEVEL_QUARANTINE,
			    pol->anchors.label[i] != NULL ?
			    pol->anchors.label[i] : "(configured anchor)",
			    pol->anchors.v[i], "pinned anchor root is missing");
	}
	ok &= vet_sets(b, prev, cross, pol, r);

	/* Everything served must still leave something to serve. */
	for (n = 0, i = 0; i < b->ncerts; i++)
		n += !r->dropped[i];
	if (n == 0)
		ok &= add_row(r, "reader", LEVEL_ERROR, NULL, NULL,
		    "no certificate left after dropping expired ones");

	if (r->pinned) {
		r->worst = LEVEL_INFO;
		for (i = 0; i < r->nrows; i++) {
			if (r->rows[i].level == LEVEL_QUARANTINE)
				r->rows[i].level = LEVEL_WARNING;
			if (r->rows[i].level > r->worst)
				r->worst = r->rows[i].level;
		}
	}
 done:
	return vet_end(ok, r);
}

/*
 * Vet a body the caller's own reader refused (a certdata.txt): one
 * "reader" error row saying why, so the snapshot is rejected.  Fills r
 * as vet_bundle() does; returns 1, or 0 when out of memory.
 */
int
vet_refused(const char *why, const unsigned char *digest, size_t size,
    const struct rootset *prev, const struct vet_policy *pol,
    struct vet_report *r)
{
	vet_begin(digest, size, prev, pol, r);
	return vet_end(add_row(r, "reader", LEVEL_ERROR, NULL, NULL, "%s",
	    why), r);
}

void
vet_report_free(struct vet_report *r)
{
	size_t	 i;

	for (i = 0; i < r->nrows; i++) {
		free(r->rows[i].label);
		free(r->rows[i].rule);
	}
	free(r->rows);
	free(r->dropped);
	free(r->dates);
	memset(r, 0, sizeof(*r));
}

/*
 * The report as JSON (stored with the snapshot, printed by report and
 * inspect --vet).  Returns a new reference, or NULL when out of memory.
 */
json_t *
vet_report_json(const struct vet_report *r)
{
	json_t		*o, *rows, *row;
	char		 hex[65];
	size_t		 i;

	hex_encode(r->digest, 32, hex);
	o = json_pack("{s:s, s:s, s:I, s:I, s:b, s:I, s:I}",
	    "verdict", vet_verdictname(r->verdict),
	    "sha256", hex, "size", (json_int_t)r->size,
	    "certificates", (json_int_t)r->ncerts, "pinned", r->pinned,
	    "added", (json_int_t)r->nadded,
	    "removed", (json_int_t)r->nremoved);
	if (o == NULL || (rows = json_array()) == NULL ||
	    json_object_set_new(o, "rows", rows) == -1 ||
	    json_object_set_new(o, "baseline", r->baseline ?
	    json_integer(r->baseline) : json_null()) == -1)
		goto fail;
	for (i = 0; i < r->nrows; i++) {
		row = json_pack("{s:s, s:s, s:s?, s:s?, s:s}",
		    "check", r->rows[i].check,
		    "level", vet_levelname(r->rows[i].level),
		    "label", r->rows[i].label,
		    "sha256", r->rows[i].sha256[0] ? r->rows[i].sha256 : NULL,
		    "rule", r->rows[i].rule);
		if (json_array_append_new(rows, row) == -1)
			goto fail;
	}
	return o;
 fail:
	json_decref(o);
	return NULL;
}
