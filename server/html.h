/*
 * html.h - the pages for people, rendered from the read side's
 * structures (query.h) and, not yet moved, the API's JSON.
 */
#ifndef CABUNDLED_HTML_H
#define CABUNDLED_HTML_H

#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "query.h"

int	html_text(struct buf *, const char *);
int	html_begin(struct buf *, const char *);
int	html_end(struct buf *);
int	html_index(struct buf *, const struct query_profiles *);
int	html_history(struct buf *, const char *,
	    const struct query_history *, int64_t, int64_t);
int	html_release(struct buf *, const char *,
	    const struct query_release *, const struct query_diff *,
	    const struct query_dated *, size_t);
int	html_quarantine(struct buf *, const struct query_snapshots *,
	    json_t *const *);
int	html_snapshots(struct buf *, const struct query_snapshots *);
int	html_snapshot(struct buf *, const json_t *);
int	html_cert(struct buf *, const json_t *);
int	html_td(struct buf *, const char *);
int	html_td_date(struct buf *, const char *);
int	html_td_fp(struct buf *, const char *);

/* html_audit.c: the auditor's pages (issue 23). */
int	html_cause_words(struct buf *, const struct query_release *);
int	html_cause(struct buf *, const struct query_release *);
int	html_audit(struct buf *, const struct query_audits *, int64_t,
	    int64_t, int64_t);
int	html_org(struct buf *, const json_t *);
int	html_exclusions(struct buf *, const json_t *);
int	html_cert_notes(struct buf *, const json_t *, const json_t *);
int	html_search(struct buf *, const char *, const json_t *, int);

#endif
