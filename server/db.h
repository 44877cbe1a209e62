/*
 * db.h - the SQLite store: open, migrate, transactions.  Opening the
 * data directory (keys checked, then the database) is datadir.h.
 */
#ifndef CABUNDLED_DB_H
#define CABUNDLED_DB_H

#include <sqlite3.h>

#define DB_FILE		"cabundle.db"
#define DB_BUSY_MS	10000	/* CLI and server share the file */

extern const char *const db_migrations[];	/* migrations.c */

sqlite3		*db_open(const char *, int);
sqlite3		*db_open_readonly(const char *);
void		 db_close(sqlite3 *);
int		 db_exec(sqlite3 *, const char *);
sqlite3_stmt	*db_prepare(sqlite3 *, const char *);
int		 db_step_done(sqlite3 *, sqlite3_stmt *);
int		 db_begin(sqlite3 *);
int		 db_commit(sqlite3 *);
void		 db_rollback(sqlite3 *);
int		 db_schema_version(void);

#endif
