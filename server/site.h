/*
 * site.h - everything the HTTP server sends, loaded from the database
 * in one read transaction and kept in memory, immutable: a new site
 * replaces the old one when the database changes, and the old one is
 * freed when its last response is sent.  Requests read only this; no
 * request opens the database.
 */
#ifndef CABUNDLED_SITE_H
#define CABUNDLED_SITE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "buf.h"
#include "query.h"
#include "revet.h"

#define ETAG_LEN	67	/* '"' hex64 '"' NUL */

#define DOC_PREP	4	/* 200 and 304, latest and immutable */

#define HISTORY_PAGE	100	/* rows of a history page by default */
#define HISTORY_PAGE_MAX 1000
#define SITE_AUDIT_PAGE	100	/* rows of /v1/audit and /audit by default */

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

/* A certificate as a build lists it. */
struct site_entry {
	char		 fp[65];
	char		*label;
	int		 org;		/* an organization CA */
	int64_t		 server_after;	/* distrust-after date, 0: none */
};

/* A root a build left out by its profile's distrust_after policy. */
struct site_left {
	char		 fp[65];
	char		*label;
	int64_t		 server_after;
	char		*rule;
};

/* A build: the certificates of a body, by position. */
struct site_build {
	int64_t		 id;
	int64_t		 ncerts;
	int64_t		 added;
	int64_t		 removed;
	int64_t		 snapshot;	/* when has_snapshot */
	int		 has_snapshot;
	char		 sha256[65];	/* the body */
	char		 constraints[65]; /* SPEC 12 document; "": none */
	struct site_entry *v;
	size_t		 n;
	size_t		*byfp;		/* indexes into v, by fingerprint */
	struct site_left *left;		/* by fingerprint */
	size_t		 nleft;
};

/* A certificate's page fields. */
struct site_cert {
	char		 fp[65];
	char		*subject;
	char		*issuer;
	char		*serial;
	char		*key;
	char		*label;
	int64_t		 not_before;
	int64_t		 not_after;
	int		 ca;
	int		 self_signed;
};

/* A certificate a snapshot holds (snapshot_cert), in body order. */
struct site_held {
	const struct site_cert *cert;	/* its page fields, in certs */
	char		*label;		/* as that snapshot names it */
	int		 dropped;	/* left out of the served set */
};

struct site_text;

struct site_release {
	int64_t		 version;
	int64_t		 created;
	int64_t		 expires;
	char		 key_id[17];
	char		 reason[8];
	struct doc	 sig;		/* the .minisig file */
	struct doc	*body;		/* shared between re-signings */
	struct doc	 csig;		/* constraints.json.minisig (SPEC
					   12); data NULL: none */
	struct doc	*cbody;		/* constraints.json, shared; or NULL */
	struct site_build *build;
	int64_t		 carried;	/* countersigned: upstream version */
	char		 carried_key[17];
	char		*carried_from;	/* freed with sig.data */
	char		*left;		/* query_release's left; NULL: none */
	struct query_audit cause;	/* schema 009, id 0: none; its text
					   the carried audit log's */
};

struct site_profile {
	char		 name[65];
	struct site_release *rel;	/* by version, ascending */
	size_t		 nrel;
	struct doc	 history;	/* /v1/{profile}/history */
	struct site_text *histtext;	/* history's bytes, shared */
	struct doc	 page;		/* /p/{profile}, its newest page */
	int64_t		 cert_expiry;	/* soonest notAfter in latest */
	char		 distrust[8];	/* its distrust_after policy now */
};

/* A key list version (doc/SPEC.md 11) and its signature files. */
struct site_keylist {
	int64_t		 version;
	struct doc	 body;
	struct doc	*sigs;		/* in the order imported */
	char		(*sigids)[17];	/* the key id of each */
	size_t		 nsigs;
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
	int		 partial;	/* site_load_newest(): newest only */
	int64_t		 loaded;
	double		 load_seconds;	/* what site_load took */
	int64_t		 last_fetch_ok;	/* 0: never */
	int64_t		 quarantined;	/* snapshots waiting */
	struct doc	 pubkey;	/* the active key's .pub file */
	struct doc	 profiles;	/* /v1/profiles */
	struct doc	 index;		/* / */
	struct doc	 upstream;	/* /v1/upstream */
	struct doc	 quarantine;	/* /quarantine */
	struct doc	 snapshots;	/* /snapshots */
	struct doc	 snapshotsjson;	/* /v1/snapshots */
	struct query_snapshots snaps;	/* every snapshot, oldest first,
					   each with its stored report */
	struct revet	*revets;	/* by snaps index: a quarantined one
					   on current facts; id 0: decided */
	struct site_held *held;		/* every snapshot's certificates,
					   by snapshot id, then position */
	size_t		*heldat;	/* by snaps index: its first in held;
					   [snaps.n]: nheld */
	size_t		 nheld;
	struct doc	 audit;		/* /v1/audit, its first page */
	struct doc	 auditpage;	/* /audit, its first page */
	json_t		*orgs;		/* org_list(all), each with the
					   profiles holding it now */
	json_t		*excls;		/* exclude_list(all) */
	struct doc	 orgpage;	/* /org */
	struct doc	 exclpage;	/* /exclusions */
	struct doc	*bodies;	/* data shared with other sites */
	struct site_body **bodyref;
	size_t		 nbodies;
	struct site_cert *certs;	/* by fingerprint */
	size_t		 ncerts;
	struct query_audits audits;	/* the whole log, oldest first */
	struct site_profile *prof;
	size_t		 nprof;
	struct site_keylist *keylists;	/* by version, ascending */
	size_t		 nkeylists;
};

int		 doc_set(struct doc *, const void *, size_t);
int		 doc_json(struct doc *, json_t *);
int64_t		 site_generation(sqlite3 *);
struct site	*site_load(sqlite3 *);
struct site	*site_load_newest(sqlite3 *);
void		 site_ref(struct site *);
void		 site_unref(struct site *);
void		 site_hold(struct site *);
void		 site_unhold(struct site *);
int		 site_foreach_doc(struct site *, void (*)(struct doc *));
struct site_profile *site_profile(struct site *, const char *);
struct site_release *site_release(struct site_profile *, int64_t);
struct doc	*site_keylist_doc(struct site *, int64_t, const char *);
int		 site_history_json(const struct site_profile *, int64_t,
		    int64_t, struct buf *);
int		 site_history_html(const struct site_profile *, int64_t,
		    int64_t, struct buf *);
json_t		*site_diff_json(const struct site *,
		    const struct site_profile *, int64_t, int64_t, int *);
int		 site_release_html(const struct site *,
		    const struct site_profile *, int64_t, struct buf *,
		    int *);
int		 site_cert_html(const struct site *, const char *,
		    struct buf *, int *);
json_t		*site_audit_json(const struct site *, int64_t, int64_t);
int		 site_audit_html(const struct site *, int64_t, int64_t,
		    int64_t, struct buf *);
int		 site_search_html(const struct site *, const char *,
		    struct buf *);
json_t		*site_snapshot_json(const struct site *, int64_t, int *);
int		 site_snapshot_html(const struct site *, int64_t, struct buf *,
		    int *);

#define SEARCH_QUERY_MAX 128	/* bytes of /search?q= */
#define SEARCH_HITS_MAX	100

#endif
