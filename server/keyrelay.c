/*
 * keyrelay.c - a relay mirror relays its upstream's key lists
 * (doc/SPEC.md 11.3) verbatim: every version after the newest held
 * here, each verified as a client would (keylists_import, the walk's
 * step of common/keylist.c) and stored with the signature files that
 * verified, byte for byte.  The first list comes from the operator
 * (cabundled key import-list --root): a relay knows the upstream's
 * online keys, not its root keys.  A refused list changes nothing.
 */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "exitcode.h"
#include "fetch.h"
#include "keylists.h"
#include "keyrelay.h"
#include "mirrorget.h"

struct kfetch {
	struct buf		 text;
	struct buf		 sigb[KEYLIST_SIGS_MAX];
	struct keylist_sig	 sigs[KEYLIST_SIGS_MAX];
	size_t			 nsigs;
};

/*
 * base/rel into out (mirror_get).  EXIT_REFUSED also when the source
 * answered that it has no such file.
 */
static int
kget(const struct config *cfg, const char *base, const char *rel,
    size_t max, struct buf *out, char *why, size_t whylen)
{
	char	 url[8192];
	size_t	 n = strlen(base);
	int	 absent, rc;

	while (n > 1 && base[n - 1] == '/')
		n--;
	if ((size_t)snprintf(url, sizeof(url), "%.*s/%s", (int)n, base,
	    rel) >= sizeof(url)) {
		snprintf(why, whylen, "URL too long");
		return EXIT_USAGE;
	}
	buf_free(out);
	rc = mirror_get(cfg, url, max, out, &absent, why, whylen);
	return rc != EXIT_DONE && absent ? EXIT_REFUSED : rc;
}

/* Version v's text and every candidate root's signature. */
static int
kfetch_version(const struct config *cfg, const char *base, uint64_t v,
    const struct keylist *held, struct kfetch *f, char *why, size_t whylen)
{
	struct pubkey	 cand[2 * KEYLIST_ROOTS_MAX];
	struct keylist	 peek;
	char		 rel[128], id[17], ignored[256];
	size_t		 n = 0, i;
	int		 rc;

	snprintf(rel, sizeof(rel), "v1/keylists/%" PRIu64 "/keys", v);
	if ((rc = kget(cfg, base, rel, KEYLIST_MAX, &f->text, why,
	    whylen)) != EXIT_DONE)
		return rc;
	for (i = 0; i < held->nroots; i++)
		cand[n++] = held->roots[i];
	if (keylist_parse((const char *)f->text.data, f->text.len, &peek,
	    ignored, sizeof(ignored)))
		for (i = 0; i < peek.nroots; i++)
			cand[n++] = peek.roots[i];
	f->nsigs = 0;
	for (i = 0; i < n && f->nsigs < KEYLIST_SIGS_MAX; i++) {
		keyid_format(cand[i].keyid, id);
		snprintf(rel, sizeof(rel), "v1/keylists/%" PRIu64
		    "/%s.minisig", v, id);
		if (kget(cfg, base, rel, SIG_FILE_MAX, &f->sigb[f->nsigs],
		    ignored, sizeof(ignored)) != EXIT_DONE)
			continue;
		f->sigs[f->nsigs].text = (const char *)f->sigb[f->nsigs].data;
		f->sigs[f->nsigs].len = f->sigb[f->nsigs].len;
		f->nsigs++;
	}
	return EXIT_DONE;
}

/*
 * Bring the key lists held here up to the upstream's newest.  base is
 * the upstream (with any password), shown its name for messages and
 * the lists' origin.  Returns an exit code: EXIT_DONE (up to date, or
 * nothing to relay: no list here or none upstream), EXIT_REFUSED (a
 * rollback, or a version that does not verify: warned, nothing
 * changed), EXIT_UNREACHABLE or EXIT_LOCAL after a warning.
 */
int
keyrelay_once(const struct config *cfg, sqlite3 *db, const char *actor,
    const char *base, const char *shown)
{
	struct kfetch	*f;
	struct keylist	 held, newest, got;
	char		 why[1024];
	uint64_t	 v;
	size_t		 i;
	int		 found, same, rc = EXIT_LOCAL;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return EXIT_LOCAL;
	if (!keylists_newest(db, &held, &found))
		goto out;
	rc = EXIT_DONE;
	if (!found)
		goto out;	/* the operator imports the first */
	if ((rc = kget(cfg, base, "v1/keys", KEYLIST_MAX, &f->text, why,
	    sizeof(why))) != EXIT_DONE) {
		if (rc == EXIT_REFUSED)	/* an upstream without key lists */
			rc = EXIT_DONE;
		else
			warnx("%s: key list: %s", shown, why);
		goto out;
	}
	rc = EXIT_REFUSED;
	if (!keylist_parse((const char *)f->text.data, f->text.len, &newest,
	    why, sizeof(why)))
		goto refused;
	if (newest.version < held.version) {
		snprintf(why, sizeof(why), "key list version %" PRIu64 " is "
		    "older than version %" PRIu64 " held here (rollback)",
		    newest.version, held.version);
		goto refused;
	}
	for (v = held.version + 1; v <= newest.version &&
	    v - held.version <= KEYLIST_WALK_MAX; v++) {
		if ((rc = kfetch_version(cfg, base, v, &held, f, why,
		    sizeof(why))) != EXIT_DONE) {
			warnx("%s: key list version %" PRIu64 ": %s", shown, v,
			    why);
			goto out;
		}
		if ((rc = keylists_import(db, (const char *)f->text.data,
		    f->text.len, f->sigs, f->nsigs, NULL, 0,
		    v == newest.version, shown, actor, &got, &same, why,
		    sizeof(why))) != EXIT_DONE) {
			if (rc == EXIT_REFUSED)
				goto refused;
			goto out;
		}
		printf("relayed: key list version %" PRIu64 " from %s\n", v,
		    shown);
		held = got;
	}
	rc = EXIT_DONE;
	goto out;
 refused:
	warnx("%s: key list refused: %s; nothing changed", shown, why);
 out:
	buf_free(&f->text);
	for (i = 0; i < KEYLIST_SIGS_MAX; i++)
		buf_free(&f->sigb[i]);
	free(f);
	return rc;
}
