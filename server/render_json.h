/*
 * render_json.h - the read side's structures (query.h) as the JSON the
 * API serves and --json prints.
 */
#ifndef CABUNDLED_RENDER_JSON_H
#define CABUNDLED_RENDER_JSON_H

#include <stddef.h>

#include <jansson.h>
#include <sqlite3.h>

#include "buf.h"
#include "query.h"

struct revet;

#define HISTORY_MAX	(256u << 20)	/* render_history_dump: ~350 B a row */

json_t	*render_release(const struct query_release *);
int	 render_release_append(const struct query_release *, struct buf *);
json_t	*render_history(const struct query_history *);
int	 render_history_dump(sqlite3 *, const char *, size_t, struct buf *);
json_t	*render_diff(const struct query_diff *);
json_t	*render_profiles(const struct query_profiles *);
json_t	*render_snapshots(const struct query_snapshots *);
json_t	*render_audit_row(const struct query_audit *, int);
json_t	*render_report(const struct revet *,
	    const struct query_snapshot *);
json_t	*render_audit(const struct query_audits *);
char	*render_details(const char *);
json_t	*render_certificate(const struct query_certificate *);
json_t	*certificate_json(sqlite3 *, const char *, int *);

#endif
