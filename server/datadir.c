/*
 * datadir.c - the data directory as a whole: made (or checked) by
 * "init" with its database and an active signing key, and opened for a
 * command or a server process: DATADIR/keys/ first (every secret key
 * 0600, keys.c), then DATADIR/cabundle.db (db.c).  It sits above both
 * so that db.c need not call keys.c, which writes through db.c.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "config.h"
#include "datadir.h"
#include "db.h"
#include "keys.h"
#include "sign.h"

/*
 * Open the data directory's database for a command: every secret key's
 * mode is checked first and the database must exist (cabundled init
 * makes it).  Returns the handle (db_close it) or NULL after a warning
 * (exit 4).
 */
sqlite3 *
datadir_open(const struct config *cfg)
{
	sqlite3		*db = NULL;
	char		*path = NULL;

	if (!keys_check_modes(cfg) ||
	    (path = config_path(cfg, DB_FILE)) == NULL)
		goto out;
	if (access(path, F_OK) == -1) {
		warn("%s: no database; run: cabundled -d %s init", path,
		    cfg->datadir);
		goto out;
	}
	db = db_open(path, 0);
 out:
	free(path);
	return db;
}

/*
 * Make the data directory (0700) and its database at the current
 * schema if missing, log the first "init" in the audit log, and keep
 * the active signing key (loaded, so checked) or create one; actor is
 * who does it.  Refuses a data directory that is not a directory or
 * has a key open to others.  Fills *di; returns 1, or 0 after a
 * warning, with nothing created left behind.
 */
int
datadir_init(const struct config *cfg, const char *actor,
    struct datadir_init *di)
{
	struct seckey	*sk = NULL;
	struct stat	 st;
	sqlite3		*db = NULL;
	sqlite3_stmt	*rows = NULL;
	char		*dbpath = NULL, *created = NULL;
	char		 keyid[17];
	int		 ok = 0;

	memset(di, 0, sizeof(*di));
	if (mkdir(cfg->datadir, 0700) == -1 && errno != EEXIST) {
		warn("%s", cfg->datadir);
		return 0;
	}
	if (stat(cfg->datadir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		warnx("%s: not a directory", cfg->datadir);
		return 0;
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
	di->kept = sqlite3_column_int(rows, 1) != 0;
	if (sqlite3_column_int64(rows, 0) == 0 && !audit_append(db, actor,
	    "init", "datadir", json_pack("{s:s, s:i}", "datadir",
	    cfg->datadir, "schema", db_schema_version())))
		goto out;
	if (di->kept) {
		if ((sk = keys_load_active(db, cfg, keyid)) == NULL)
			goto out;
		di->pub = sk->pub;
	} else if (!keys_create(db, cfg, "active", actor, &di->pub, &created))
		goto out;
	if (!db_commit(db))
		goto out;
	ok = 1;
 out:
	if (!ok && created != NULL)
		keys_discard(created);
	free(created);
	sqlite3_finalize(rows);
	db_rollback(db);
	db_close(db);
	seckey_free(sk);
	free(dbpath);
	return ok;
}
