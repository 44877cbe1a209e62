/*
 * db.c - open the SQLite store in WAL mode with a busy timeout (so the
 * CLI and a running server share it) and bring its schema up to date
 * with the embedded migrations, each in its own transaction together
 * with PRAGMA user_version.
 */
#include <err.h>
#include <stdio.h>

#include "db.h"

/* The number of migrations this binary carries. */
int
db_schema_version(void)
{
	int	 n;

	for (n = 0; db_migrations[n] != NULL; n++)
		;
	return n;
}

/*
 * Warn with SQLite's message for the last failure on db (after
 * "path: " unless path is NULL), and what it leaves unsaid: that a
 * lock was waited for the whole busy timeout, and that "disk I/O
 * error" was a failed write (all SQLite says when a file size limit,
 * ulimit -f, refuses a write with EFBIG; the errno is gone by then).
 */
static void
db_warn(sqlite3 *db, const char *path, const char *msg)
{
	char		 why[96] = "";
	int		 xrc = sqlite3_extended_errcode(db);

	if (msg == NULL)
		msg = sqlite3_errmsg(db);
	if ((xrc & 0xff) == SQLITE_BUSY)
		snprintf(why, sizeof(why), " (another process held it longer "
		    "than the %d s busy timeout)", DB_BUSY_MS / 1000);
	else if (xrc == SQLITE_IOERR_WRITE)
		snprintf(why, sizeof(why), " (a write failed: disk full, "
		    "quota or file size limit?)");
	warnx("%s%s%s%s", path != NULL ? path : "", path != NULL ? ": " : "",
	    msg, why);
}

/* Run SQL without results; warn with SQLite's message on failure. */
int
db_exec(sqlite3 *db, const char *sql)
{
	char	*msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		db_warn(db, sqlite3_db_filename(db, "main"), msg);
		sqlite3_free(msg);
		return 0;
	}
	return 1;
}

/* A prepared statement the caller finalizes, or NULL with a warning. */
sqlite3_stmt *
db_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		warnx("%s: %s", sqlite3_db_filename(db, "main"),
		    sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/*
 * Step a statement that returns no rows, then reset it for the next
 * bindings.  Returns 1, or 0 after a warning with SQLite's message.
 */
int
db_step_done(sqlite3 *db, sqlite3_stmt *st)
{
	int	 rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		db_warn(db, NULL, NULL);
		return 0;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return 1;
}

/*
 * BEGIN IMMEDIATE: take the write lock now, waiting up to the busy
 * timeout, so a transaction never fails halfway for a lock.
 */
int
db_begin(sqlite3 *db)
{
	return db_exec(db, "BEGIN IMMEDIATE");
}

int
db_commit(sqlite3 *db)
{
	return db_exec(db, "COMMIT");
}

/* Roll back if a transaction is open; safe when none is, or no db. */
void
db_rollback(sqlite3 *db)
{
	if (db != NULL && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt	*st;
	int		 ok = 0;

	if ((st = db_prepare(db, "PRAGMA user_version")) == NULL)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		ok = 1;
	} else
		warnx("%s: %s", sqlite3_db_filename(db, "main"),
		    sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return ok;
}

static int
migrate(sqlite3 *db)
{
	char	 sql[64];
	int	 have, want = db_schema_version();

	/*
	 * Up to date (every run but the first after an upgrade): no write
	 * lock, so reading commands and a starting server never wait for
	 * (or fail behind) another process's write transaction.
	 */
	if (!user_version(db, &have))
		return 0;
	if (have == want)
		return 1;
	if (!db_begin(db))
		return 0;
	if (!user_version(db, &have))
		goto fail;
	if (have > want) {
		warnx("%s: schema version %d is newer than this cabundled "
		    "knows (%d)", sqlite3_db_filename(db, "main"), have, want);
		goto fail;
	}
	for (; have < want; have++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    have + 1);
		if (!db_exec(db, db_migrations[have]) || !db_exec(db, sql))
			goto fail;
	}
	return db_commit(db);
 fail:
	db_rollback(db);
	return 0;
}

/*
 * Open (create when asked) the database at path, set WAL mode, a busy
 * timeout, foreign keys and full sync, and apply missing migrations.
 * Returns the handle (db_close it) or NULL after a warning; a database
 * from a newer cabundled is refused, not downgraded.
 */
sqlite3 *
db_open(const char *path, int create)
{
	sqlite3		*db = NULL;
	int		 flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		warnx("%s: %s", path, db != NULL ? sqlite3_errmsg(db) :
		    "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	if (sqlite3_busy_timeout(db, DB_BUSY_MS) != SQLITE_OK ||
	    !db_exec(db, "PRAGMA journal_mode = WAL") ||
	    !db_exec(db, "PRAGMA synchronous = FULL") ||
	    !db_exec(db, "PRAGMA foreign_keys = ON") ||
	    !migrate(db))
		goto fail;
	return db;
 fail:
	sqlite3_close(db);
	return NULL;
}

void
db_close(sqlite3 *db)
{
	if (db != NULL)
		sqlite3_close(db);
}

/*
 * Open the database at path read-only, with the busy timeout and no
 * migration (a reader never writes).  Returns the handle (db_close it)
 * or NULL after a warning.
 */
sqlite3 *
db_open_readonly(const char *path)
{
	sqlite3	*db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		warnx("%s: %s", path, db != NULL ? sqlite3_errmsg(db) :
		    "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, DB_BUSY_MS);
	return db;
}
