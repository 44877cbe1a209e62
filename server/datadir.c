/*
 * datadir.c - opening the data directory for a command or a server
 * process: DATADIR/keys/ first (every secret key 0600, keys.c), then
 * DATADIR/cabundle.db (db.c).  It sits above both so that db.c need
 * not call keys.c, which writes through db.c.
 */
#include <err.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "datadir.h"
#include "db.h"
#include "keys.h"

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
