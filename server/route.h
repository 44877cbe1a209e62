/*
 * route.h - the paths of the HTTP contract (BRIEF.md "HTTP contract
 * (v1)") as a strict grammar, apart from libmicrohttpd so that it can
 * be tested and fuzzed alone (fuzz/fuzz-route.c).
 */
#ifndef CABUNDLED_ROUTE_H
#define CABUNDLED_ROUTE_H

#include <stdint.h>

#include "meta.h"

enum route {
	R_NONE = 0,	/* 404 */
	R_INDEX,
	R_HEALTHZ,
	R_METRICS,
	R_PUBKEY,
	R_PROFILES,
	R_LATEST_PEM,
	R_LATEST_SIG,
	R_VERSION_PEM,
	R_VERSION_SIG,
	R_HISTORY,
	R_DIFF,
	R_UPSTREAM,
	R_AUDIT,
	R_PAGE_PROFILE,
	R_PAGE_RELEASE,
	R_PAGE_QUARANTINE,
	R_PAGE_AUDIT,
	R_PAGE_CERT,
	R_KEYS,			/* /v1/keys: the newest key list */
	R_KEYS_SIG,		/* /v1/keys.minisig: its first signature */
	R_KEYS_VERSION,		/* /v1/keylists/{version}/keys */
	R_KEYS_VERSION_SIG,	/* /v1/keylists/{version}/{KEYID,keys}.minisig */
	R_LATEST_CONS,		/* /v1/{profile}/constraints.json */
	R_LATEST_CONS_SIG,	/* ... constraints.json.minisig */
	R_LATEST_P11KIT,	/* /v1/{profile}/cacert.p11-kit */
	R_VERSION_CONS,		/* .../{version}/constraints.json */
	R_VERSION_CONS_SIG,
	R_VERSION_P11KIT,
	/* Pages for auditors (issue 23). */
	R_PAGE_ORG,		/* /org: every organization CA */
	R_PAGE_EXCLUSIONS,	/* /exclusions */
	R_PAGE_SEARCH,		/* /search?q=: by fingerprint or label */
	/* issue 23 "decide": the snapshots and their reports. */
	R_PAGE_SNAPSHOTS,	/* /snapshots */
	R_PAGE_SNAPSHOT,	/* /snapshots/{id} */
	R_SNAPSHOTS,		/* /v1/snapshots */
	R_SNAPSHOT,		/* /v1/snapshots/{id} */
	R__MAX
};

/* A matched path: the route and what its path named. */
struct target {
	enum route	 route;
	char		 profile[META_PROFILE_MAX + 1];
	int64_t		 a, b;		/* versions; a snapshot id */
	char		 fp[65];	/* /cert/{sha256}; a key id */
};

void	route_parse(const char *, struct target *);
int	route_unescape(const char *, char *, size_t);

#endif
