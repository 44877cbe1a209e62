/*
 * keylist.c - the key list of doc/SPEC.md section 11: the online keys
 * that may sign releases, announced by offline root keys (SPEC 9
 * phase 2, TUF's root role).  One procedure for every reader: the
 * client's walk, the server's import and a relay's copy.
 *
 *	keylist_parse:  the text, strictly: one canonical form (it must
 *			equal what keylist_write makes of it), every
 *			field checked, capped sizes.
 *	keylist_verify: one step of the walk: list N+1 against list N
 *			(or, to start, against the configured root keys)
 *			and against its own roots, by threshold.
 *
 * No network, no files, no clock but the one passed in.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "encode.h"
#include "keylist.h"
#include "num.h"
#include "timefmt.h"

static const char *const rolenames[KEYROLE__MAX] = {
	[KEYROLE_ACTIVE] = "active",
	[KEYROLE_STANDBY] = "standby",
	[KEYROLE_RETIRED] = "retired",
};

/* The word for a role in the list. */
const char *
keyrole_name(enum keyrole r)
{
	return r < KEYROLE__MAX ? rolenames[r] : "unknown";
}

/* Parse a role word.  Returns 1 with *r set, or 0. */
int
keyrole_parse(const char *s, enum keyrole *r)
{
	int	 i;

	for (i = 0; i < KEYROLE__MAX; i++)
		if (strcmp(s, rolenames[i]) == 0) {
			*r = (enum keyrole)i;
			return 1;
		}
	return 0;
}

/* A time of the list, for a message: ISO 8601 UTC (TIMEFMT_LEN). */
static void
iso_u64(uint64_t t, char *out)
{
	timefmt_iso(t > INT64_MAX ? INT64_MAX : (int64_t)t, out);
}

static int
same_key(const struct pubkey *a, const struct pubkey *b)
{
	return memcmp(a->keyid, b->keyid, KEYID_LEN) == 0 &&
	    memcmp(a->pk, b->pk, sizeof(a->pk)) == 0;
}

/* Whether k is one of the list's root keys.  Returns 1 or 0. */
int
keylist_has_root(const struct keylist *kl, const struct pubkey *k)
{
	size_t	 i;

	for (i = 0; i < kl->nroots; i++)
		if (same_key(&kl->roots[i], k))
			return 1;
	return 0;
}

/* The list's entry for a key id, or NULL: borrowed from kl. */
const struct keylist_key *
keylist_find(const struct keylist *kl, const unsigned char *keyid)
{
	size_t	 i;

	for (i = 0; i < kl->nkeys; i++)
		if (memcmp(kl->keys[i].pub.keyid, keyid, KEYID_LEN) == 0)
			return &kl->keys[i];
	return NULL;
}

/*
 * Append the canonical text of kl to b.  Returns 1, or 0 when b's cap
 * is reached.  keylist_parse accepts exactly this form.
 */
int
keylist_write(const struct keylist *kl, struct buf *b)
{
	char	 id[17], s[PUBKEY_STR_LEN + 1];
	size_t	 i;

	if (!buf_printf(b, "format:%s\nversion:%llu\ncreated:%llu\n"
	    "expires:%llu\nthreshold:%u\n", KEYLIST_FORMAT,
	    (unsigned long long)kl->version, (unsigned long long)kl->created,
	    (unsigned long long)kl->expires, kl->threshold))
		return 0;
	for (i = 0; i < kl->nroots; i++) {
		keyid_format(kl->roots[i].keyid, id);
		pubkey_string(&kl->roots[i], s);
		if (!buf_printf(b, "root:%s %s\n", id, s))
			return 0;
	}
	for (i = 0; i < kl->nkeys; i++) {
		keyid_format(kl->keys[i].pub.keyid, id);
		pubkey_string(&kl->keys[i].pub, s);
		if (!buf_printf(b, "key:%s %s %llu %llu %s\n", id, s,
		    (unsigned long long)kl->keys[i].not_before,
		    (unsigned long long)kl->keys[i].not_after,
		    keyrole_name(kl->keys[i].role)))
			return 0;
	}
	return 1;
}

/*
 * The trusted comment every signature of kl carries, into out:
 * format, version, created, expires and the list's sha256, TAB
 * separated.  Returns 1, or 0 if out is too small.
 */
int
keylist_comment(const struct keylist *kl, char *out, size_t len)
{
	char	 hex[65];
	int	 n;

	hex_encode(kl->sha256, 32, hex);
	n = snprintf(out, len, "format:%s\tversion:%llu\tcreated:%llu\t"
	    "expires:%llu\tsha256:%s", KEYLIST_FORMAT,
	    (unsigned long long)kl->version, (unsigned long long)kl->created,
	    (unsigned long long)kl->expires, hex);
	return n > 0 && (size_t)n < len;
}

/* "KEYID RW..." (the id checked against the key) into k. */
static int
parse_key(const char *p, size_t n, struct pubkey *k)
{
	char	 id[17];

	if (n != 16 + 1 + PUBKEY_STR_LEN || p[16] != ' ' ||
	    !pubkey_from_string(p + 17, PUBKEY_STR_LEN, k))
		return 0;
	keyid_format(k->keyid, id);
	return memcmp(id, p, 16) == 0;
}

/* A time: "0" or a u63. */
static int
parse_time(const char *p, size_t n, uint64_t *t)
{
	if (n == 1 && *p == '0') {
		*t = 0;
		return 1;
	}
	return num_u63(p, n, t);
}

/* "KEYID RW... NOT_BEFORE NOT_AFTER ROLE" into k. */
static int
parse_online(const char *p, size_t n, struct keylist_key *k)
{
	const char	*end = p + n, *a, *b;
	char		 role[16];

	if (n < 16 + 1 + PUBKEY_STR_LEN + 1 ||
	    !parse_key(p, 16 + 1 + PUBKEY_STR_LEN, &k->pub) ||
	    p[16 + 1 + PUBKEY_STR_LEN] != ' ')
		return 0;
	a = p + 16 + 1 + PUBKEY_STR_LEN + 1;
	if ((b = memchr(a, ' ', (size_t)(end - a))) == NULL ||
	    !parse_time(a, (size_t)(b - a), &k->not_before))
		return 0;
	a = b + 1;
	if ((b = memchr(a, ' ', (size_t)(end - a))) == NULL ||
	    !parse_time(a, (size_t)(b - a), &k->not_after))
		return 0;
	a = b + 1;
	if ((size_t)(end - a) >= sizeof(role))
		return 0;
	memcpy(role, a, (size_t)(end - a));
	role[end - a] = '\0';
	return keyrole_parse(role, &k->role) && k->not_before < k->not_after;
}

/* The next LF-terminated line of [*p, end) that starts with tag. */
static int
take(const char **p, const char *end, const char *tag, const char **v,
    size_t *n)
{
	const char	*nl;
	size_t		 tl = strlen(tag);

	if ((nl = memchr(*p, '\n', (size_t)(end - *p))) == NULL ||
	    (size_t)(nl - *p) < tl || memcmp(*p, tag, tl) != 0)
		return 0;
	*v = *p + tl;
	*n = (size_t)(nl - *v);
	*p = nl + 1;
	return 1;
}

static int
peek(const char *p, const char *end, const char *tag)
{
	size_t	 tl = strlen(tag);

	return (size_t)(end - p) >= tl && memcmp(p, tag, tl) == 0;
}

/*
 * Parse a key list strictly.  Returns 1 with kl filled (sha256 of the
 * bytes included), or 0 with why set: larger than KEYLIST_MAX, not
 * the canonical form (field order, one LF after each line, no leading
 * zeros, nothing else), another format, created not before expires,
 * a threshold of 0 or above the root count, more than
 * KEYLIST_ROOTS_MAX roots or KEYLIST_KEYS_MAX keys, a key id given
 * twice, or a root key that is also an online key.
 */
int
keylist_parse(const char *text, size_t len, struct keylist *kl, char *why,
    size_t whylen)
{
	const char	*p = text, *end = text + len, *v;
	struct buf	 b;
	uint64_t	 t;
	char		 t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];
	size_t		 n, i, j;
	int		 rc = 0;

	memset(kl, 0, sizeof(*kl));
	buf_init(&b, KEYLIST_MAX);
	if (len == 0 || len > KEYLIST_MAX) {
		snprintf(why, whylen, "key list empty or larger than %d "
		    "bytes", KEYLIST_MAX);
		goto out;
	}
	if (memchr(text, '\0', len) != NULL || memchr(text, '\r', len)) {
		snprintf(why, whylen, "NUL or CR in the key list");
		goto out;
	}
	if (!take(&p, end, "format:", &v, &n) || n != strlen(KEYLIST_FORMAT) ||
	    memcmp(v, KEYLIST_FORMAT, n) != 0) {
		snprintf(why, whylen, "line 1 must be format:%s",
		    KEYLIST_FORMAT);
		goto out;
	}
	if (!take(&p, end, "version:", &v, &n) ||
	    !num_u63(v, n, &kl->version) ||
	    !take(&p, end, "created:", &v, &n) ||
	    !num_u63(v, n, &kl->created) ||
	    !take(&p, end, "expires:", &v, &n) ||
	    !num_u63(v, n, &kl->expires) ||
	    !take(&p, end, "threshold:", &v, &n) || !num_u63(v, n, &t) ||
	    t > KEYLIST_ROOTS_MAX) {
		snprintf(why, whylen, "version, created, expires and "
		    "threshold must follow, in this order, as decimal "
		    "numbers from 1");
		goto out;
	}
	kl->threshold = (unsigned)t;
	if (kl->created >= kl->expires) {
		iso_u64(kl->created, t1);
		iso_u64(kl->expires, t2);
		snprintf(why, whylen, "created %s is not before expires %s",
		    t1, t2);
		goto out;
	}
	while (peek(p, end, "root:")) {
		if (kl->nroots == KEYLIST_ROOTS_MAX) {
			snprintf(why, whylen, "more than %d root keys",
			    KEYLIST_ROOTS_MAX);
			goto out;
		}
		if (!take(&p, end, "root:", &v, &n) ||
		    !parse_key(v, n, &kl->roots[kl->nroots])) {
			snprintf(why, whylen, "root %zu: want root:KEYID "
			    "RW... with the key's own id", kl->nroots + 1);
			goto out;
		}
		kl->nroots++;
	}
	if (kl->nroots == 0 || kl->threshold > kl->nroots) {
		snprintf(why, whylen, "threshold %u with %zu root keys",
		    kl->threshold, kl->nroots);
		goto out;
	}
	while (p < end) {
		if (kl->nkeys == KEYLIST_KEYS_MAX) {
			snprintf(why, whylen, "more than %d keys",
			    KEYLIST_KEYS_MAX);
			goto out;
		}
		if (!take(&p, end, "key:", &v, &n) ||
		    !parse_online(v, n, &kl->keys[kl->nkeys])) {
			snprintf(why, whylen, "line %zu: want key:KEYID RW... "
			    "NOT_BEFORE NOT_AFTER active|standby|retired, "
			    "NOT_BEFORE < NOT_AFTER, every line ending in LF",
			    6 + kl->nroots + kl->nkeys);
			goto out;
		}
		kl->nkeys++;
	}
	/* One key, one place: a key id twice would make "which" moot. */
	for (i = 0; i < kl->nroots + kl->nkeys; i++)
		for (j = i + 1; j < kl->nroots + kl->nkeys; j++) {
			const struct pubkey *a = i < kl->nroots ?
			    &kl->roots[i] : &kl->keys[i - kl->nroots].pub;
			const struct pubkey *c = j < kl->nroots ?
			    &kl->roots[j] : &kl->keys[j - kl->nroots].pub;

			if (memcmp(a->keyid, c->keyid, KEYID_LEN) == 0) {
				snprintf(why, whylen, "a key id is named "
				    "twice (a root key must never be an "
				    "online key)");
				goto out;
			}
		}
	/* Canonical: the bytes are what we would write. */
	if (!keylist_write(kl, &b) || b.len != len ||
	    memcmp(b.data, text, len) != 0) {
		snprintf(why, whylen, "not in canonical form");
		goto out;
	}
	if (!EVP_Digest(text, len, kl->sha256, NULL, EVP_sha256(), NULL)) {
		snprintf(why, whylen, "SHA-256 failed");
		goto out;
	}
	rc = 1;
 out:
	buf_free(&b);
	return rc;
}

static size_t
count_in(const struct pubkey *set, size_t nset, const struct pubkey *who,
    size_t nwho)
{
	size_t	 i, j, c = 0;

	for (i = 0; i < nwho; i++)
		for (j = 0; j < nset; j++)
			if (same_key(&who[i], &set[j])) {
				c++;
				break;
			}
	return c;
}

/*
 * One step of the walk (TUF 5.3): the list text with its signature
 * files.  prev is the list trusted so far; or NULL to start from the
 * configured root keys anchors.  Returns 1 with out filled and, if
 * valid is not NULL, valid[i] set to 1 for each sigs[i] that verified;
 * or 0 with why set.  Refused: a list that does not parse; a version
 * other than prev's + 1; fewer than prev's threshold of valid
 * signatures by prev's roots (to start: fewer than the list's
 * threshold by anchors that are also its roots); fewer than its own
 * threshold by its own roots; a new root key that did not sign.  A
 * signature counts when it is a strict ED minisig by a candidate key
 * over the list, with exactly keylist_comment() as trusted comment.
 * Time is not judged here (keylist_check_time, for the newest).
 */
int
keylist_verify(const struct keylist *prev, const struct pubkey *anchors,
    size_t nanchors, const char *text, size_t len,
    const struct keylist_sig *sigs, size_t nsigs, struct keylist *out,
    unsigned char *valid, char *why, size_t whylen)
{
	struct pubkey	 cand[2 * KEYLIST_ROOTS_MAX], signers[KEYLIST_SIGS_MAX];
	struct minisig	 ms;
	const struct pubkey *k, *old;
	char		 want[KEYLIST_COMMENT_MAX], id[17], swhy[200];
	size_t		 ncand = 0, nsigners = 0, i, nold, c;

	if (!keylist_parse(text, len, out, swhy, sizeof(swhy))) {
		snprintf(why, whylen, "key list refused: %s", swhy);
		return 0;
	}
	if (prev != NULL && out->version != prev->version + 1) {
		snprintf(why, whylen, "key list version %llu where %llu was "
		    "asked for", (unsigned long long)out->version,
		    (unsigned long long)prev->version + 1);
		return 0;
	}
	old = prev != NULL ? prev->roots : anchors;
	nold = prev != NULL ? prev->nroots : nanchors;
	if (nold > KEYLIST_ROOTS_MAX)
		nold = KEYLIST_ROOTS_MAX;
	for (i = 0; i < nold; i++)
		cand[ncand++] = old[i];
	for (i = 0; i < out->nroots; i++)
		if (count_in(cand, ncand, &out->roots[i], 1) == 0)
			cand[ncand++] = out->roots[i];
	if (!keylist_comment(out, want, sizeof(want)))
		return 0;
	if (nsigs > KEYLIST_SIGS_MAX)
		nsigs = KEYLIST_SIGS_MAX;
	for (i = 0; i < nsigs; i++) {
		if (valid != NULL)
			valid[i] = 0;
		if (sig_parse(sigs[i].text, sigs[i].len, &ms, swhy,
		    sizeof(swhy)) != SIG_OK ||
		    (k = sig_find_key(&ms, cand, ncand)) == NULL ||
		    sig_verify_comment(&ms, k) != SIG_OK ||
		    ms.commentlen != strlen(want) ||
		    memcmp(ms.comment, want, ms.commentlen) != 0 ||
		    sig_verify_data(&ms, k, (const unsigned char *)text,
		    len) != SIG_OK)
			continue;
		if (count_in(signers, nsigners, k, 1) > 0)
			continue;	/* one key counts once */
		signers[nsigners++] = *k;
		if (valid != NULL)
			valid[i] = 1;
	}
	if (prev != NULL) {
		if ((c = count_in(prev->roots, prev->nroots, signers,
		    nsigners)) < prev->threshold) {
			snprintf(why, whylen, "key list version %llu is signed "
			    "by %zu of the root keys of version %llu, which "
			    "asks for %u: a new root must be announced by the "
			    "old one", (unsigned long long)out->version, c,
			    (unsigned long long)prev->version,
			    prev->threshold);
			return 0;
		}
	} else {
		for (i = c = 0; i < nsigners; i++)
			if (count_in(anchors, nanchors, &signers[i], 1) &&
			    keylist_has_root(out, &signers[i]))
				c++;
		if (c < out->threshold) {
			snprintf(why, whylen, "key list version %llu is signed "
			    "by %zu of the configured root keys (--root), "
			    "%u needed", (unsigned long long)out->version, c,
			    out->threshold);
			return 0;
		}
	}
	if ((c = count_in(out->roots, out->nroots, signers, nsigners)) <
	    out->threshold) {
		snprintf(why, whylen, "key list version %llu is signed by %zu "
		    "of its own root keys, %u needed",
		    (unsigned long long)out->version, c, out->threshold);
		return 0;
	}
	/* Proof of possession: a root no one can sign with is refused. */
	if (prev != NULL)
		for (i = 0; i < out->nroots; i++)
			if (!keylist_has_root(prev, &out->roots[i]) &&
			    count_in(signers, nsigners, &out->roots[i], 1) ==
			    0) {
				keyid_format(out->roots[i].keyid, id);
				snprintf(why, whylen, "key list version %llu "
				    "names root key %s, which did not sign it",
				    (unsigned long long)out->version, id);
				return 0;
			}
	return 1;
}

/*
 * Freeze rules for the newest list (SPEC 8 step 6, applied to keys).
 * Returns 1, or 0 with why set: expired, valid longer than
 * KEYLIST_VALIDITY_MAX, or created in the future beyond 600 s.
 */
int
keylist_check_time(const struct keylist *kl, int64_t now, char *why,
    size_t whylen)
{
	char	 when[TIMEFMT_RELLEN];

	if ((uint64_t)now >= kl->expires) {
		timefmt_rel((int64_t)kl->expires, now, when);
		snprintf(why, whylen, "key list version %llu expired at %s: the "
		    "root key holders must sign a new one",
		    (unsigned long long)kl->version, when);
		return 0;
	}
	if (kl->expires - kl->created > KEYLIST_VALIDITY_MAX) {
		snprintf(why, whylen, "key list version %llu is valid for "
		    "more than %d days", (unsigned long long)kl->version,
		    KEYLIST_VALIDITY_MAX / 86400);
		return 0;
	}
	if (kl->created > (uint64_t)now + 600) {
		timefmt_rel((int64_t)kl->created, now, when);
		snprintf(why, whylen, "key list version %llu was created %s, "
		    "in the future: check this machine's clock",
		    (unsigned long long)kl->version, when);
		return 0;
	}
	return 1;
}

/*
 * The keys that may sign a release at time now: active or standby,
 * with now inside [not_before, not_after).  Copies at most max into
 * out; returns how many.
 */
int
keylist_signing_keys(const struct keylist *kl, int64_t now,
    struct pubkey *out, size_t max)
{
	size_t	 i, n = 0;

	for (i = 0; i < kl->nkeys && n < max; i++) {
		if (kl->keys[i].role == KEYROLE_RETIRED ||
		    (uint64_t)now < kl->keys[i].not_before ||
		    (uint64_t)now >= kl->keys[i].not_after)
			continue;
		out[n++] = kl->keys[i].pub;
	}
	return (int)n;
}

/*
 * Whether the key with that id may have made a release created at
 * created: the list names it, not retired, with created inside its
 * window (doc/SPEC.md 11.4 step 5).  Returns 1, or 0 with why set.
 */
int
keylist_signed_within(const struct keylist *kl, const unsigned char *keyid,
    uint64_t created, char *why, size_t whylen)
{
	const struct keylist_key *k;
	char			  id[17], at[TIMEFMT_LEN];
	char			  from[TIMEFMT_LEN], to[TIMEFMT_LEN];

	if ((k = keylist_find(kl, keyid)) != NULL &&
	    k->role != KEYROLE_RETIRED && created >= k->not_before &&
	    created < k->not_after)
		return 1;
	keyid_format(keyid, id);
	timefmt_iso((int64_t)created, at);
	if (k == NULL || k->role == KEYROLE_RETIRED) {
		snprintf(why, whylen, "signed at %s by key %s, outside the "
		    "window the key list gives it (%s)", at, id, k == NULL ?
		    "not named" : "retired");
		return 0;
	}
	timefmt_iso((int64_t)k->not_before, from);
	timefmt_iso((int64_t)k->not_after, to);
	snprintf(why, whylen, "signed at %s by key %s, outside the window "
	    "the key list gives it (%s to %s)", at, id, from, to);
	return 0;
}
