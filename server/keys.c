/*
 * keys.c - signing keys (the command is cmd_key.c).
 *
 * The secret half of the active and the standby key is a PKCS#8 file
 * DATADIR/keys/KEYID.key (0600) that never leaves the data directory
 * and is never printed; KEYID.pub beside it is the minisign public key
 * file.  The signing_key table keeps the public half of every key that
 * ever signed, so history stays verifiable after a rotation; it also
 * says which key is active, so a rotation is one transaction.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "atomic.h"
#include "audit.h"
#include "buf.h"
#include "db.h"
#include "keys.h"
#include "sign.h"

/* DATADIR/keys/KEYID.EXT (or DATADIR/keys when keyid is NULL). */
char *
keys_path(const struct config *cfg, const char *keyid, const char *ext)
{
	struct buf	 b;

	buf_init(&b, 4096);
	if ((keyid == NULL && !buf_printf(&b, "%s/%s", cfg->datadir,
	    KEYS_DIR)) || (keyid != NULL && !buf_printf(&b, "%s/%s/%s.%s",
	    cfg->datadir, KEYS_DIR, keyid, ext))) {
		buf_free(&b);
		warnx("%s: path too long", cfg->datadir);
		return NULL;
	}
	return (char *)b.data;
}

/*
 * Refuse a signing key readable or writable by group or others.
 * Returns 1 when the key is private (or absent: commands that need it
 * fail when they load it), 0 after saying why.
 */
int
key_check_mode(const char *path)
{
	struct stat	 st;

	if (stat(path, &st) == -1)
		return errno == ENOENT;
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		warnx("%s: signing key is accessible by group or others "
		    "(mode %04o); refusing to run until: chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		return 0;
	}
	return 1;
}

/*
 * Refuse to run while DATADIR/keys, or any secret key in it, is open to
 * group or others (whoever can write the directory can swap the keys).
 * Returns 1 when all are private (or there are none).
 */
int
keys_check_modes(const struct config *cfg)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	struct buf	 p;
	char		*dir;
	size_t		 n;
	int		 ok = 1;

	if ((dir = keys_path(cfg, NULL, NULL)) == NULL)
		return 0;
	if (stat(dir, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO))) {
		warnx("%s: keys directory is accessible by group or others "
		    "(mode %04o); refusing to run until: chmod 700 %s", dir,
		    (unsigned)(st.st_mode & 07777), dir);
		free(dir);
		return 0;
	}
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return 1;
	}
	buf_init(&p, 4096);
	while (ok && (e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".key") != 0)
			continue;
		buf_reset(&p);
		ok = buf_printf(&p, "%s/%s", dir, e->d_name) &&
		    key_check_mode((char *)p.data);
	}
	closedir(d);
	buf_free(&p);
	free(dir);
	return ok;
}

/* Remove a key's files: the secret at path and the .pub beside it. */
void
keys_discard(const char *path)
{
	char	*pub;
	size_t	 n = strlen(path);

	if (unlink(path) == -1 && errno != ENOENT)
		warn("%s", path);
	if (n < 4 || strcmp(path + n - 4, ".key") != 0 ||
	    (pub = strdup(path)) == NULL)
		return;
	memcpy(pub + n - 3, "pub", sizeof("pub"));	/* "key\0" */
	unlink(pub);
	free(pub);
}

/*
 * Generate a key with role "active" or "standby": KEYID.key (0600) and
 * KEYID.pub written atomically in DATADIR/keys (made 0700 if missing),
 * and the signing_key and audit rows added in the caller's
 * transaction.  Returns 1 with the public key and, in *created, the
 * secret file's path (the caller frees it, and passes it to
 * keys_discard if its transaction fails); 0 after a warning with no
 * file left behind.
 */
int
keys_create(sqlite3 *db, const struct config *cfg, const char *role,
    const char *actor, struct pubkey *pub, char **created)
{
	sqlite3_stmt	*st = NULL;
	struct seckey	*sk = NULL;
	char		*dir = NULL, *key = NULL, *pubpath = NULL;
	char		 keyid[17], pubstr[PUBKEY_STR_LEN + 1], name[32];
	struct buf	 pubfile;
	int		 dfd = -1, ok = 0;

	*created = NULL;
	buf_init(&pubfile, PUBKEY_FILE_MAX);
	if ((dir = keys_path(cfg, NULL, NULL)) == NULL ||
	    (dfd = atomic_mkdirs(AT_FDCWD, dir, 0700)) == -1 ||
	    (sk = seckey_new()) == NULL)
		goto out;
	*pub = sk->pub;
	keyid_format(pub->keyid, keyid);
	pubkey_string(pub, pubstr);
	if ((key = keys_path(cfg, keyid, "key")) == NULL ||
	    (pubpath = keys_path(cfg, keyid, "pub")) == NULL)
		goto out;
	snprintf(name, sizeof(name), "%s.key", keyid);
	if (!seckey_write_at(sk, dfd, name, key))
		goto out;
	snprintf(name, sizeof(name), "%s.pub", keyid);
	if (!pubkey_write(pub, &pubfile) || !atomic_write_at(dfd, name,
	    pubpath, pubfile.data, pubfile.len, 0644))
		goto out;
	if ((st = db_prepare(db, "INSERT INTO signing_key (keyid, "
	    "public_key, role, created, activated) VALUES (?, ?, ?, ?, "
	    "CASE WHEN ?3 = 'active' THEN ?4 END)")) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, keyid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, pubstr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	if (!db_step_done(db, st))
		goto out;
	if (!audit_append(db, actor, "key-generate", keyid, json_pack(
	    "{s:s, s:s, s:s}", "key_id", keyid, "role", role,
	    "public_key", pubstr)))
		goto out;
	*created = key;
	key = NULL;
	ok = 1;
 out:
	if (!ok && key != NULL)
		keys_discard(key);
	if (dfd != -1)
		close(dfd);
	sqlite3_finalize(st);
	seckey_free(sk);
	buf_free(&pubfile);
	free(dir);
	free(key);
	free(pubpath);
	return ok;
}

/*
 * The active signing key, loaded from its file and checked against the
 * database's record of it.  Returns the key (seckey_free it) with its
 * id in keyid (17 bytes), or NULL after a warning naming the file.
 */
struct seckey *
keys_load_active(sqlite3 *db, const struct config *cfg, char *keyid)
{
	sqlite3_stmt	*st;
	struct seckey	*sk = NULL;
	struct pubkey	 want;
	const char	*s;
	char		*path = NULL;
	int		 rc;

	if ((st = db_prepare(db, "SELECT keyid, public_key FROM signing_key "
	    "WHERE role = 'active'")) == NULL)
		return NULL;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			warnx("%s: no active signing key; run: cabundled -d %s "
			    "key generate", cfg->datadir, cfg->datadir);
		else
			warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	snprintf(keyid, 17, "%s", (const char *)sqlite3_column_text(st, 0));
	s = (const char *)sqlite3_column_text(st, 1);
	if (!pubkey_from_string(s, strlen(s), &want)) {
		warnx("signing key %s: malformed public key in the database",
		    keyid);
		goto out;
	}
	if ((path = keys_path(cfg, keyid, "key")) == NULL)
		goto out;
	if (!key_check_mode(path) || (sk = seckey_load(path)) == NULL)
		goto out;
	if (memcmp(&sk->pub, &want, sizeof(want)) != 0) {
		warnx("%s: does not hold signing key %s", path, keyid);
		seckey_free(sk);
		sk = NULL;
	}
 out:
	sqlite3_finalize(st);
	free(path);
	return sk;
}
