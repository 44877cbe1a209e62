/*
 * keylists.c - the mirror's key lists (schema 007): the newest one,
 * and importing the next.  The verification is common/keylist.c's,
 * the same the client runs, so a list the mirror holds is one its
 * clients accept.  The mirror never sees a root secret key.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"
#include "encode.h"
#include "exitcode.h"
#include "keylists.h"

/*
 * The newest list held, parsed, into kl; *found 0 when there is none.
 * Returns 1, or 0 after a warning (a database error, or a stored list
 * that no longer parses).
 */
int
keylists_newest(sqlite3 *db, struct keylist *kl, int *found)
{
	sqlite3_stmt	*st;
	char		 why[200];
	int		 rc = 0, r;

	*found = 0;
	if ((st = db_prepare(db, "SELECT body FROM keylist ORDER BY version "
	    "DESC LIMIT 1")) == NULL)
		return 0;
	if ((r = sqlite3_step(st)) == SQLITE_DONE) {
		rc = 1;
		goto out;
	}
	if (r != SQLITE_ROW) {
		warnx("keylist: %s", sqlite3_errmsg(db));
		goto out;
	}
	if (!keylist_parse((const char *)sqlite3_column_text(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0), kl, why, sizeof(why))) {
		warnx("stored key list: %s", why);
		goto out;
	}
	*found = 1;
	rc = 1;
 out:
	sqlite3_finalize(st);
	return rc;
}

static int
store(sqlite3 *db, const struct keylist *kl, const char *text, size_t len,
    const struct keylist_sig *sigs, size_t nsigs, const unsigned char *valid,
    const char *origin, const char *actor)
{
	sqlite3_stmt	*st = NULL;
	struct minisig	 ms;
	char		 hex[65], id[17], why[200];
	size_t		 i;
	int		 pos = 0, ok = 0;

	hex_encode(kl->sha256, 32, hex);
	if ((st = db_prepare(db, "INSERT INTO keylist (version, body, sha256, "
	    "created, expires, imported, origin) VALUES (?, ?, ?, ?, ?, "
	    "strftime('%s', 'now'), ?)")) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)kl->version);
	sqlite3_bind_text(st, 2, text, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)kl->created);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)kl->expires);
	sqlite3_bind_text(st, 6, origin, -1, SQLITE_STATIC);
	if (!db_step_done(db, st))
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	/* Only what verified, so every file served verifies. */
	for (i = 0; i < nsigs; i++) {
		if (!valid[i] || sig_parse(sigs[i].text, sigs[i].len, &ms, why,
		    sizeof(why)) != SIG_OK)
			continue;
		keyid_format(ms.keyid, id);
		if ((st = db_prepare(db, "INSERT INTO keylist_sig (version, "
		    "pos, keyid, sig) VALUES (?, ?, ?, ?)")) == NULL)
			goto out;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)kl->version);
		sqlite3_bind_int(st, 2, pos++);
		sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, sigs[i].text, (int)sigs[i].len,
		    SQLITE_STATIC);
		if (!db_step_done(db, st))
			goto out;
		sqlite3_finalize(st);
		st = NULL;
	}
	if (!audit_append(db, actor, "keylist-import", hex, json_pack(
	    "{s:I, s:I, s:s, s:i}", "version", (json_int_t)kl->version,
	    "expires", (json_int_t)kl->expires, "origin", origin,
	    "signatures", pos)))
		goto out;
	ok = 1;
 out:
	sqlite3_finalize(st);
	return ok;
}

/*
 * Import the next key list: text with its signature files.  The first
 * list is verified against anchors (the root public keys the operator
 * gives); every later one against the newest held, so it must be its
 * version + 1.  newest: the list is the newest known, so its expiry is
 * checked against now (an older step of a walk may have expired).
 * Returns an exit code: EXIT_DONE with out filled (*same 1 when this
 * very list was held already, nothing written), EXIT_REFUSED with why
 * set (nothing written), EXIT_LOCAL after a warning.
 */
int
keylists_import(sqlite3 *db, const char *text, size_t len,
    const struct keylist_sig *sigs, size_t nsigs, const struct pubkey *anchors,
    size_t nanchors, int newest, const char *origin, const char *actor,
    struct keylist *out, int *same, char *why, size_t whylen)
{
	struct keylist	 prev, peek;
	unsigned char	 valid[KEYLIST_SIGS_MAX];
	char		 pwhy[200];
	int		 found, rc = EXIT_LOCAL;

	*same = 0;
	if (nsigs > KEYLIST_SIGS_MAX)
		nsigs = KEYLIST_SIGS_MAX;
	if (!db_begin(db))
		return EXIT_LOCAL;
	if (!keylists_newest(db, &prev, &found))
		goto out;
	rc = EXIT_REFUSED;
	if (!keylist_parse(text, len, &peek, pwhy, sizeof(pwhy))) {
		snprintf(why, whylen, "key list refused: %s", pwhy);
		goto out;
	}
	if (found && peek.version <= prev.version) {
		if (peek.version == prev.version &&
		    memcmp(peek.sha256, prev.sha256, 32) == 0) {
			*out = prev;
			*same = 1;
			rc = EXIT_DONE;
			goto out;
		}
		snprintf(why, whylen, "key list version %llu is not newer "
		    "than version %llu held here (rollback or another list "
		    "with a used version)", (unsigned long long)peek.version,
		    (unsigned long long)prev.version);
		goto out;
	}
	if (found && peek.version > prev.version + 1) {
		snprintf(why, whylen, "key list version %llu skips versions: "
		    "import %llu first", (unsigned long long)peek.version,
		    (unsigned long long)prev.version + 1);
		goto out;
	}
	if (!found && nanchors == 0) {
		snprintf(why, whylen, "no key list held yet: give the root "
		    "public key(s) with --root for the first import");
		goto out;
	}
	if (!keylist_verify(found ? &prev : NULL, anchors, nanchors, text, len,
	    sigs, nsigs, out, valid, why, whylen))
		goto out;
	if (newest && !keylist_check_time(out, (int64_t)time(NULL), why,
	    whylen))
		goto out;
	rc = EXIT_LOCAL;
	if (!store(db, out, text, len, sigs, nsigs, valid, origin, actor) ||
	    !db_commit(db))
		goto out;
	rc = EXIT_DONE;
 out:
	db_rollback(db);
	return rc;
}

/*
 * What the newest list says of the key with this id (16 hex digits)
 * at time now: KEYLISTS_NAMED when it may sign, KEYLISTS_UNNAMED when
 * it is missing, retired or outside its window, KEYLISTS_NONE when no
 * list is held, KEYLISTS_FOREIGN when the list does not mention the
 * key ours (this mirror's active key, 16 hex digits) at all: it is an
 * upstream mirror's list, relayed here; KEYLISTS_ERROR after a warning.
 */
enum keylists_name
keylists_names(sqlite3 *db, const char *keyid, const char *ours,
    int64_t now)
{
	struct keylist	 kl;
	struct pubkey	 ok[KEYLIST_KEYS_MAX];
	char		 id[17];
	size_t		 j;
	int		 found, n, i;

	if (!keylists_newest(db, &kl, &found))
		return KEYLISTS_ERROR;
	if (!found)
		return KEYLISTS_NONE;
	for (j = 0; ours != NULL && j < kl.nkeys; j++) {
		keyid_format(kl.keys[j].pub.keyid, id);
		if (strcmp(id, ours) == 0)
			break;
	}
	if (ours != NULL && j == kl.nkeys)
		return KEYLISTS_FOREIGN;
	n = keylist_signing_keys(&kl, now, ok, KEYLIST_KEYS_MAX);
	for (i = 0; i < n; i++) {
		keyid_format(ok[i].keyid, id);
		if (strcmp(id, keyid) == 0)
			return KEYLISTS_NAMED;
	}
	return KEYLISTS_UNNAMED;
}
