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

#include <jansson.h>
#include <sqlite3.h>

#define ETAG_LEN	67	/* '"' hex64 '"' NUL */

#define DOC_PREP	4	/* 200 and 304, latest and immutable */

/*
 * A document with its strong validator.  prep: responses the HTTP
 * server prepared for it on first use, destroyed by site->retire.
 */
struct doc {
	char		*data;
	size_t		 len;
	char		 etag[ETAG_LEN];
	void		*prep[DOC_PREP];
};

struct site_release {
	int64_t		 version;
	int64_t		 created;
	int64_t		 expires;
	struct doc	 sig;		/* the .minisig file */
	struct doc	*body;		/* shared between re-signings */
};

struct site_profile {
	char		 name[65];
	struct site_release *rel;	/* by version, ascending */
	size_t		 nrel;
	struct doc	 history;	/* /v1/{profile}/history */
	int64_t		 cert_expiry;	/* soonest notAfter in latest */
};

/*
 * refs counts users (the server's current pointer, requests being
 * handled); when the last goes, retire (if set) drops the prepared
 * responses.  holds counts what keeps the bytes: the site itself while
 * it has users, and each prepared response with a body until MHD has
 * sent it for the last time.
 */
struct site {
	int		 refs;		/* atomic */
	int		 holds;		/* atomic */
	void		(*retire)(struct site *);
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
int		 doc_json(struct doc *, json_t *);
int64_t		 site_generation(sqlite3 *);
struct site	*site_load(sqlite3 *);
void		 site_ref(struct site *);
void		 site_unref(struct site *);
void		 site_hold(struct site *);
void		 site_unhold(struct site *);
int		 site_foreach_doc(struct site *, void (*)(struct doc *));
struct site_profile *site_profile(struct site *, const char *);
struct site_release *site_release(struct site_profile *, int64_t);

#endif
