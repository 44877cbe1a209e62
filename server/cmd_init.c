/*
 * cmd_init.c - "cabundled init": the data directory (mode 0700), the
 * database at the current schema and an Ed25519 signing key (0600) with
 * its minisign public key file beside it.  Running it again is safe: it
 * keeps an existing key (after checking it) and migrates the database.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "buf.h"
#include "db.h"
#include "exitcode.h"
#include "extern.h"
#include "sig.h"

static int
write_pubkey(const char *path, const struct pubkey *pk)
{
	struct buf	 b;
	FILE		*f = NULL;
	int		 ok = 0;

	buf_init(&b, PUBKEY_FILE_MAX);
	if (!pubkey_write(pk, &b))
		goto out;
	if ((f = fopen(path, "we")) == NULL ||
	    fwrite(b.data, 1, b.len, f) != b.len) {
		warn("%s", path);
		goto out;
	}
	ok = 1;
 out:
	if (f != NULL && fclose(f) == EOF && ok) {
		warn("%s", path);
		ok = 0;
	}
	buf_free(&b);
	return ok;
}

/* cabundled init [--actor NAME] */
int
cmd_init(const struct config *cfg, int argc, char *argv[])
{
	struct seckey	*sk = NULL;
	struct pubkey	 pub;
	struct stat	 st;
	sqlite3		*db = NULL;
	sqlite3_stmt	*rows = NULL;
	char		*keypath = NULL, *pubpath = NULL, *dbpath = NULL;
	char		 keyid[17], pubstr[PUBKEY_STR_LEN + 1];
	const char	*actor = cfg->actor;
	int		 rc = EXIT_LOCAL, newkey = 0;

	if (argc == 3 && strcmp(argv[1], "--actor") == 0)
		actor = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: cabundled init [--actor NAME]\n");
		return EXIT_USAGE;
	}
	if (mkdir(cfg->datadir, 0700) == -1 && errno != EEXIST) {
		warn("%s", cfg->datadir);
		return EXIT_LOCAL;
	}
	if (stat(cfg->datadir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		warnx("%s: not a directory", cfg->datadir);
		return EXIT_LOCAL;
	}
	if ((keypath = config_path(cfg, KEY_FILE)) == NULL ||
	    (pubpath = config_path(cfg, PUBKEY_FILE)) == NULL ||
	    (dbpath = config_path(cfg, DB_FILE)) == NULL)
		goto out;

	if (access(keypath, F_OK) == 0) {
		if (!key_check_mode(keypath) ||
		    (sk = seckey_load(keypath)) == NULL)
			goto out;
		pub = sk->pub;
	} else {
		if (!seckey_generate(keypath, &pub))
			goto out;
		newkey = 1;
	}
	if (!write_pubkey(pubpath, &pub))
		goto out;
	keyid_format(pub.keyid, keyid);
	pubkey_string(&pub, pubstr);

	if ((db = db_open(dbpath, 1)) == NULL || !db_begin(db))
		goto out;
	if ((rows = db_prepare(db, "SELECT count(*) FROM audit")) == NULL ||
	    sqlite3_step(rows) != SQLITE_ROW)
		goto out;
	if (sqlite3_column_int64(rows, 0) == 0 && !audit_append(db, actor,
	    "init", "datadir", json_pack("{s:s, s:i}", "datadir",
	    cfg->datadir, "schema", db_schema_version())))
		goto out;
	if (newkey && !audit_append(db, actor, "key-generate", "key",
	    json_pack("{s:s, s:s}", "key_id", keyid, "public_key", pubstr)))
		goto out;
	if (!db_commit(db))
		goto out;
	printf("%s: database %s (schema %d), signing key %s %s\n"
	    "public key %s: %s\n", cfg->datadir, DB_FILE,
	    db_schema_version(), keyid, newkey ? "(new)" : "(kept)",
	    pubpath, pubstr);
	rc = EXIT_DONE;
 out:
	sqlite3_finalize(rows);
	db_rollback(db);
	db_close(db);
	seckey_free(sk);
	free(keypath);
	free(pubpath);
	free(dbpath);
	return rc;
}
