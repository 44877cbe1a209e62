/*
 * store.h - snapshots, certificates and upstream state in SQLite.
 * Every writer here runs inside the caller's transaction.
 */
#ifndef CABUNDLED_STORE_H
#define CABUNDLED_STORE_H

#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "bundle.h"
#include "vet.h"

/* A snapshot row, as listings and the dedupe check need it. */
struct snapinfo {
	int64_t		 id;
	int64_t		 created;
	char		 source[1024];
	char		 sha256[65];
	int64_t		 ncerts;
	char		 verdict[16];
	char		 status[16];
	char		 relay[64];	/* "": upstream roots (schema 006) */
};

/* Conditional-request state of one source URL. */
struct source_state {
	char		 etag[256];
	char		 last_modified[128];
	char		 sha256[65];	/* body the validators belong to */
};

int	store_accepted_roots(sqlite3 *, const char *, struct rootset *);
void	rootset_free(struct rootset *);
int	rootset_from_bundle(const struct bundle *, struct rootset *);
int	store_latest(sqlite3 *, struct snapinfo *);
int	store_snapshot_get(sqlite3 *, int64_t, struct snapinfo *);
int	store_cert(sqlite3 *, const struct cert *, int64_t);
int	store_body(sqlite3 *, const char *, const unsigned char *, size_t);
int	store_snapshot(sqlite3 *, const char *, const char *,
	    const unsigned char *, size_t, const struct bundle *,
	    const struct vet_report *, const char *, int64_t *);
int	store_decide(sqlite3 *, int64_t, const char *, const char *,
	    const char *, json_t *);
int	store_accepted_id(sqlite3 *, const char *, int64_t *);
int	store_source_get(sqlite3 *, const char *, struct source_state *);
int	store_source_set(sqlite3 *, const char *, const char *, const char *,
	    const char *, const char *);

#endif
