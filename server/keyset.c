/*
 * keyset.c - the roles of the signing keys: "key generate" adds the
 * active or the standby key, "key rotate" makes the standby key the
 * signing key and retires the old one.  Each is one transaction with
 * its audit row; the files and rows are keys.c's, the commands
 * cmd_key.c's.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"
#include "exitcode.h"
#include "keys.h"
#include "keyset.h"
#include "sign.h"

/* How many keys (0 or 1) hold role, the one's id in keyid; -1: error. */
static int
role_count(sqlite3 *db, const char *role, char *keyid)
{
	sqlite3_stmt	*st;
	int		 n = -1, rc;

	if ((st = db_prepare(db, "SELECT keyid FROM signing_key WHERE "
	    "role = ?")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(keyid, 17, "%s", sqlite3_column_text(st, 0));
		n = 1;
	} else if (rc == SQLITE_DONE)
		n = 0;
	else
		warnx("%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return n;
}

/*
 * The standby key's id into keyid (17 bytes).  Returns 1 when there is
 * one, 0 when there is none, -1 after a warning.
 */
int
keyset_standby(sqlite3 *db, char *keyid)
{
	return role_count(db, "standby", keyid);
}

/*
 * The active key's id into keyid (17 bytes).  Returns 1 when there is
 * one, 0 when there is none, -1 after a warning.
 */
int
keyset_active(sqlite3 *db, char *keyid)
{
	return role_count(db, "active", keyid);
}

/*
 * A new key for role ("active" or "standby"), made by actor: its
 * public half in *pub.  Refuses, without a warning, when a key holds
 * the role already (its id in have, 17 bytes).  Returns an exit code:
 * 0 made, 1 refused, 4 local error (warned, no file left behind).
 */
int
keyset_generate(sqlite3 *db, const struct config *cfg, const char *role,
    const char *actor, struct pubkey *pub, char *have)
{
	char		*created = NULL;
	int		 n, rc = EXIT_LOCAL;

	if (!db_begin(db))
		return EXIT_LOCAL;
	if ((n = role_count(db, role, have)) < 0)
		goto out;
	if (n > 0) {
		rc = EXIT_REFUSED;
		goto out;
	}
	if (!keys_create(db, cfg, role, actor, pub, &created) ||
	    !db_commit(db))
		goto out;
	rc = EXIT_DONE;
 out:
	if (rc != EXIT_DONE && created != NULL)
		keys_discard(created);
	free(created);
	db_rollback(db);
	return rc;
}

/*
 * The standby key becomes the signing key (its id in newid, 17 bytes)
 * and the active one, if any (*retired 1, its id in oldid), is
 * retired: its public half stays to verify history, its secret file is
 * deleted once the change is committed.  The new key must load first.
 * Refuses, without a warning, when there is no standby key.  Returns
 * an exit code: 0 done (nothing re-signed yet), 1 refused, 4 local
 * error.
 */
int
keyset_rotate(sqlite3 *db, const struct config *cfg, const char *actor,
    char *newid, char *oldid, int *retired)
{
	struct seckey	*sk = NULL;
	sqlite3_stmt	*st = NULL;
	char		 loaded[17];
	char		*oldpath = NULL;
	int64_t		 now = (int64_t)time(NULL);
	int		 n, rc = EXIT_LOCAL;

	*retired = 0;
	if (!db_begin(db))
		return EXIT_LOCAL;
	if ((n = role_count(db, "standby", newid)) < 0)
		goto out;
	if (n == 0) {
		rc = EXIT_REFUSED;
		goto out;
	}
	if ((n = role_count(db, "active", oldid)) < 0)
		goto out;
	if ((st = db_prepare(db, "UPDATE signing_key SET role = 'retired', "
	    "retired = ?1 WHERE role = 'active'")) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	if (!db_step_done(db, st))
		goto out;
	sqlite3_finalize(st);
	if ((st = db_prepare(db, "UPDATE signing_key SET role = 'active', "
	    "activated = ?1 WHERE role = 'standby'")) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	if (!db_step_done(db, st))
		goto out;
	/* The new key must load before anything depends on it. */
	if ((sk = keys_load_active(db, cfg, loaded)) == NULL)
		goto out;
	if (!audit_append(db, actor, "key-rotate", newid, json_pack(
	    "{s:s, s:s?}", "key_id", newid, "retired", n ? oldid : NULL)) ||
	    !db_commit(db))
		goto out;
	if ((*retired = n) && (oldpath = keys_path(cfg, oldid, "key")) !=
	    NULL && unlink(oldpath) == -1 && errno != ENOENT)
		warn("%s", oldpath);
	rc = EXIT_DONE;
 out:
	sqlite3_finalize(st);
	seckey_free(sk);
	free(oldpath);
	db_rollback(db);
	return rc;
}
