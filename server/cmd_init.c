/*
 * cmd_init.c - "cabundled init": the data directory (mode 0700), the
 * database at the current schema and an active Ed25519 signing key
 * (keys/KEYID.key, 0600, with KEYID.pub beside it).  Running it again
 * is safe: it keeps the active key (after checking it) and migrates
 * the database.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"
#include "exitcode.h"
#include "extern.h"
#include "keys.h"
#include "sig.h"
#include "sign.h"

/* cabundled init [--actor NAME] */
int
cmd_init(const struct config *cfg, int argc, char *argv[])
{
	struct seckey	*sk = NULL;
	struct pubkey	 pub;
	struct stat	 st;
	sqlite3		*db = NULL;
	sqlite3_stmt	*rows = NULL;
	char		*dbpath = NULL, *created = NULL;
	char		 keyid[17], pubstr[PUBKEY_STR_LEN + 1];
	static const struct option opts[] = {
		{ "actor", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*actor = cfg->actor;
	int		 ch, rc = EXIT_LOCAL, active;

	optind = 0;	/* glibc: full reset, permute again */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'a')
			goto usage;
		actor = optarg;
	}
	if (optind != argc)
		goto usage;
	if (mkdir(cfg->datadir, 0700) == -1 && errno != EEXIST) {
		warn("%s", cfg->datadir);
		return EXIT_LOCAL;
	}
	if (stat(cfg->datadir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		warnx("%s: not a directory", cfg->datadir);
		return EXIT_LOCAL;
	}
	if (!keys_check_modes(cfg) ||
	    (dbpath = config_path(cfg, DB_FILE)) == NULL)
		goto out;
	if ((db = db_open(dbpath, 1)) == NULL || !db_begin(db))
		goto out;
	if ((rows = db_prepare(db, "SELECT (SELECT count(*) FROM audit), "
	    "(SELECT count(*) FROM signing_key WHERE role = 'active')")) ==
	    NULL || sqlite3_step(rows) != SQLITE_ROW)
		goto out;
	active = sqlite3_column_int(rows, 1);
	if (sqlite3_column_int64(rows, 0) == 0 && !audit_append(db, actor,
	    "init", "datadir", json_pack("{s:s, s:i}", "datadir",
	    cfg->datadir, "schema", db_schema_version())))
		goto out;
	if (active) {
		if ((sk = keys_load_active(db, cfg, keyid)) == NULL)
			goto out;
		pub = sk->pub;
	} else if (!keys_create(db, cfg, "active", actor, &pub, &created))
		goto out;
	if (!db_commit(db))
		goto out;
	keyid_format(pub.keyid, keyid);
	pubkey_string(&pub, pubstr);
	printf("%s: database %s (schema %d), signing key %s %s\n"
	    "public key %s/%s/%s.pub: %s\n", cfg->datadir, DB_FILE,
	    db_schema_version(), keyid, active ? "(kept)" : "(new)",
	    cfg->datadir, KEYS_DIR, keyid, pubstr);
	rc = EXIT_DONE;
 out:
	if (rc != EXIT_DONE && created != NULL)
		keys_discard(created);
	free(created);
	sqlite3_finalize(rows);
	db_rollback(db);
	db_close(db);
	seckey_free(sk);
	free(dbpath);
	return rc;
 usage:
	fprintf(stderr, "usage: cabundled init [--actor NAME]\n");
	return EXIT_USAGE;
}
