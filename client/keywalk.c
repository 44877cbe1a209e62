/*
 * keywalk.c - "cabundle install --root": the key list walk of
 * doc/SPEC.md section 11.4, before any release is looked at.  From the
 * list trusted last (the state's floor for this source) or from the
 * configured root keys, fetch and verify N+1, N+2, ... up to the
 * newest the mirror serves, each against the one before (common/
 * keylist.c), then apply the freeze rule to the newest.  Only a
 * verified list's keys may then sign a release.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "encode.h"
#include "exitcode.h"
#include "extern.h"
#include "keylist.h"

struct fetched {
	struct buf	 text;
	struct buf	 sigb[KEYLIST_SIGS_MAX];
	struct keylist_sig sigs[KEYLIST_SIGS_MAX];
	size_t		 nsigs;
};

static void
fetched_init(struct fetched *f)
{
	size_t	 i;

	memset(f, 0, sizeof(*f));
	buf_init(&f->text, KEYLIST_MAX);
	for (i = 0; i < KEYLIST_SIGS_MAX; i++)
		buf_init(&f->sigb[i], SIG_FILE_MAX);
}

static void
fetched_free(struct fetched *f)
{
	size_t	 i;

	buf_free(&f->text);
	for (i = 0; i < KEYLIST_SIGS_MAX; i++)
		buf_free(&f->sigb[i]);
}

/*
 * Version v of the list (0: the newest, /v1/keys) and, if cand is
 * given, the signature of each candidate key that the mirror has
 * (missing ones are skipped: the threshold decides).
 */
static int
fetch_list(struct getopts *g, const char *from, uint64_t v,
    const struct pubkey *cand, size_t ncand, struct fetched *f, char *why,
    size_t whylen)
{
	char	 url[PATH_MAX], id[17], ignored[256];
	size_t	 i;
	int	 rc;

	buf_reset(&f->text);
	if (v == 0)
		snprintf(url, sizeof(url), "%s/v1/keys", from);
	else
		snprintf(url, sizeof(url), "%s/v1/keylists/%llu/keys", from,
		    (unsigned long long)v);
	if ((rc = get_url(g, url, &f->text, KEYLIST_MAX, why, whylen)) !=
	    EXIT_DONE)
		return rc;
	f->nsigs = 0;
	for (i = 0; i < ncand && f->nsigs < KEYLIST_SIGS_MAX; i++) {
		keyid_format(cand[i].keyid, id);
		snprintf(url, sizeof(url), "%s/v1/keylists/%llu/%s.minisig",
		    from, (unsigned long long)v, id);
		buf_reset(&f->sigb[f->nsigs]);
		if (get_url(g, url, &f->sigb[f->nsigs], SIG_FILE_MAX, ignored,
		    sizeof(ignored)) != EXIT_DONE)
			continue;
		f->sigs[f->nsigs].text = (const char *)f->sigb[f->nsigs].data;
		f->sigs[f->nsigs].len = f->sigb[f->nsigs].len;
		f->nsigs++;
	}
	return EXIT_DONE;
}

/* The roots of a and of the text's list (unverified: only to ask). */
static size_t
candidates(const struct pubkey *a, size_t na, const struct buf *text,
    struct pubkey *out)
{
	struct keylist	 kl;
	char		 why[200];
	size_t		 n = 0, i;

	for (i = 0; i < na && i < KEYLIST_ROOTS_MAX; i++)
		out[n++] = a[i];
	if (keylist_parse((const char *)text->data, text->len, &kl, why,
	    sizeof(why)))
		for (i = 0; i < kl.nroots; i++)
			out[n++] = kl.roots[i];
	return n;
}

/* One verified step: version v against prev (NULL: the anchors). */
static int
step(struct getopts *g, const char *from, uint64_t v,
    const struct keylist *prev, const struct pubkey *anchors,
    size_t nanchors, struct fetched *f, struct keylist *out, char *why,
    size_t whylen)
{
	struct pubkey	 cand[2 * KEYLIST_ROOTS_MAX];
	size_t		 n;
	int		 rc;

	/* The list first, to learn its roots; then the signatures. */
	if ((rc = fetch_list(g, from, v, NULL, 0, f, why, whylen)) !=
	    EXIT_DONE)
		return rc;
	n = candidates(prev != NULL ? prev->roots : anchors, prev != NULL ?
	    prev->nroots : nanchors, &f->text, cand);
	if ((rc = fetch_list(g, from, v, cand, n, f, why, whylen)) !=
	    EXIT_DONE)
		return rc;
	return keylist_verify(prev, anchors, nanchors,
	    (const char *)f->text.data, f->text.len, f->sigs, f->nsigs, out,
	    NULL, why, whylen) ? EXIT_DONE : EXIT_REFUSED;
}

/*
 * The walk.  from is the mirror's URL, source its name in the state
 * (its floor).  Returns EXIT_DONE with out the newest verified list
 * and *changed 1 when st got a new floor (to be saved with the rest);
 * EXIT_REFUSED with why set: a rollback below the floor, the floor's
 * version served with other bytes, any step refused by
 * keylist_verify, more than KEYLIST_WALK_MAX versions, or the newest
 * list expired; EXIT_UNREACHABLE (or EXIT_REFUSED for a missing list)
 * when a fetch fails.  st is changed only on success.
 */
int
keywalk(struct getopts *g, const char *from, const char *source,
    const struct pubkey *anchors, size_t nanchors, json_t *st, int64_t now,
    struct keylist *out, int *changed, char *why, size_t whylen)
{
	struct fetched	*f;
	struct keylist	*prev = NULL, *cur = NULL, newest;
	char		 floor_sha[65], hex[65], pwhy[300];
	uint64_t	 floor = 0, v, target;
	int64_t		 floor_exp;
	int		 have, rc = EXIT_LOCAL;

	*changed = 0;
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (prev = calloc(1, sizeof(*prev))) == NULL ||
	    (cur = calloc(1, sizeof(*cur))) == NULL)
		goto out;
	fetched_init(f);
	have = state_keylist(st, source, &floor, floor_sha, &floor_exp);
	if ((rc = fetch_list(g, from, 0, NULL, 0, f, why, whylen)) !=
	    EXIT_DONE) {
		snprintf(why + strlen(why), whylen - strlen(why), " (the key "
		    "list: with --root, nothing is installed without it)");
		goto out;
	}
	rc = EXIT_REFUSED;
	if (!keylist_parse((const char *)f->text.data, f->text.len, &newest,
	    pwhy, sizeof(pwhy))) {
		snprintf(why, whylen, "%s/v1/keys: %s", source, pwhy);
		goto out;
	}
	target = newest.version;
	if (have) {
		if (target < floor) {
			snprintf(why, whylen, "rollback: %s offers key list "
			    "version %llu, older than version %llu trusted "
			    "before", source, (unsigned long long)target,
			    (unsigned long long)floor);
			goto out;
		}
		if ((rc = fetch_list(g, from, floor, NULL, 0, f, why,
		    whylen)) != EXIT_DONE)
			goto out;
		rc = EXIT_REFUSED;
		if (!keylist_parse((const char *)f->text.data, f->text.len,
		    prev, pwhy, sizeof(pwhy)) ||
		    (hex_encode(prev->sha256, 32, hex), strcmp(hex,
		    floor_sha) != 0)) {
			snprintf(why, whylen, "%s serves key list version %llu "
			    "with other contents than the one trusted before "
			    "(sha256 %s)", source, (unsigned long long)floor,
			    floor_sha);
			goto out;
		}
	} else {
		/*
		 * First contact: the newest list if the configured roots
		 * sign it, else from version 1, so a client configured
		 * with an old root key follows every root rotation since.
		 */
		if ((rc = step(g, from, target, NULL, anchors, nanchors, f,
		    prev, why, whylen)) != EXIT_DONE &&
		    (target == 1 || (rc = step(g, from, 1, NULL, anchors,
		    nanchors, f, prev, why, whylen)) != EXIT_DONE))
			goto out;
	}
	if (target - prev->version > KEYLIST_WALK_MAX) {
		snprintf(why, whylen, "key list: %llu versions to walk, more "
		    "than %d", (unsigned long long)(target - prev->version),
		    KEYLIST_WALK_MAX);
		rc = EXIT_REFUSED;
		goto out;
	}
	for (v = prev->version + 1; v <= target; v++) {
		if ((rc = step(g, from, v, prev, anchors, nanchors, f, cur, why,
		    whylen)) != EXIT_DONE)
			goto out;
		*prev = *cur;
	}
	rc = EXIT_REFUSED;
	if (!keylist_check_time(prev, now, why, whylen))
		goto out;
	hex_encode(prev->sha256, 32, hex);
	if (!have || prev->version != floor) {
		rc = EXIT_LOCAL;
		if (!state_set_keylist(st, source, prev->version, hex,
		    (int64_t)prev->expires))
			goto out;
		*changed = 1;
	}
	*out = *prev;
	rc = EXIT_DONE;
 out:
	if (f != NULL)
		fetched_free(f);
	free(f);
	free(prev);
	free(cur);
	return rc;
}
