/*
 * extern.h - what the server's files share: the commands and the
 * pieces serve and the commands both call.
 */
#ifndef CABUNDLED_EXTERN_H
#define CABUNDLED_EXTERN_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <sqlite3.h>

#include "config.h"

struct buf;
struct relay;
struct rootset;

int	cmd_init(const struct config *, int, char *[]);
int	cmd_fetch(const struct config *, int, char *[]);
int	cmd_import(const struct config *, int, char *[]);
int	cmd_inspect(const struct config *, int, char *[]);
int	cmd_snapshots(const struct config *, int, char *[]);
int	cmd_report(const struct config *, int, char *[]);
int	cmd_approve(const struct config *, int, char *[]);
int	cmd_reject(const struct config *, int, char *[]);
int	cmd_audit(const struct config *, int, char *[]);
int	cmd_serve(const struct config *, int, char *[]);
int	cmd_key(const struct config *, int, char *[]);
int	cmd_org(const struct config *, int, char *[]);
int	cmd_exclude(const struct config *, int, char *[]);
int	cmd_profile(const struct config *, int, char *[]);
int	cmd_publish(const struct config *, int, char *[]);
int	cmd_history(const struct config *, int, char *[]);
int	cmd_diff(const struct config *, int, char *[]);
int	cmd_rebuild(const struct config *, int, char *[]);

#define PUBLISH_FORCE	0x1	/* re-sign every profile now */
#define PUBLISH_QUIET	0x2	/* no line for an empty profile */
int	publish_all(sqlite3 *, const struct config *, const char *,
	    const char *, int);

#define HISTORY_MAX	(256u << 20)	/* history_dump: ~350 B a release */
json_t	*history_json(sqlite3 *, const char *);
int	history_dump(sqlite3 *, const char *, size_t, struct buf *);
json_t	*history_release(sqlite3 *, const char *, int64_t, int64_t *, int *);
json_t	*diff_json(sqlite3 *, const char *, int64_t, int64_t, int *);
json_t	*profiles_json(sqlite3 *);
json_t	*snapshots_json(sqlite3 *, int);
json_t	*audit_json(sqlite3 *, int64_t, int64_t);
int	fetch_once(const struct config *, sqlite3 *, const char *);
int	ingest_body(sqlite3 *, const struct config *, const char *,
	    const char *, const unsigned char *, size_t,
	    const struct rootset *, const struct relay *);
int	ingest_checked(const struct config *, sqlite3 *, const char *,
	    const char *, const struct buf *, const struct relay *);
int	relay_once(const struct config *, sqlite3 *, const char *);
int	cmd_export(const struct config *, int, char *[]);

#endif
