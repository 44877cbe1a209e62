/*
 * site.h - everything the HTTP server sends for releases, loaded from
 * the database in one read transaction and kept in memory, immutable:
 * a new site replaces the old one when the database changes, and the
 * old one is freed when its last response is sent.
 */
#ifndef CABUNDLED_SITE_H
#define CABUNDLED_SITE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define ETAG_LEN	67	/* '"' hex64 '"' NUL */

/* A document with its strong validator. */
struct doc {
	char		*data;
	size_t		 len;
	char		 etag[ETAG_LEN];
};

struct site_release {
	int64_t		 version;
	int64_t		 created;
	int64_t		 expires;
	struct doc	 sig;		/* the .minisig file */
	const struct doc *body;		/* shared between re-signings */
};

struct site_profile {
	char		 name[65];
	struct site_release *rel;	/* by version, ascending */
	size_t		 nrel;
	struct doc	 history;	/* /v1/{profile}/history */
	int64_t		 cert_expiry;	/* soonest notAfter in latest */
};

struct site {
	int		 refs;		/* atomic */
	int64_t		 generation;	/* max(audit.id) when loaded */
	int64_t		 loaded;
	int64_t		 last_fetch_ok;	/* 0: never */
	int64_t		 quarantined;	/* snapshots waiting */
	struct doc	 pubkey;	/* the active key's .pub file */
	struct doc	 profiles;	/* /v1/profiles */
	struct doc	 index;		/* / */
	struct doc	*bodies;
	size_t		 nbodies;
	struct site_profile *prof;
	size_t		 nprof;
};

int		 doc_set(struct doc *, const void *, size_t);
int64_t		 site_generation(sqlite3 *);
struct site	*site_load(sqlite3 *);
void		 site_ref(struct site *);
void		 site_unref(struct site *);
const struct site_profile *site_profile(const struct site *, const char *);
const struct site_release *site_release(const struct site_profile *,
		    int64_t);

#endif
