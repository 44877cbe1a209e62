/*
 * release.h - profiles composed into deterministic bundles, signed as
 * versioned releases (SPEC.md section 7).
 */
#ifndef CABUNDLED_RELEASE_H
#define CABUNDLED_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "buf.h"
#include "meta.h"
#include "sig.h"

struct config;

/* One certificate of a composition, in bundle order. */
struct entry {
	char		 fp[65];	/* SHA-256 hex of the DER */
	char		*label;
	int64_t		 org_ca;	/* org_ca id, 0 for upstream */
	int64_t		 server_after;	/* Mozilla's TLS distrust-after date
					   (Unix seconds), 0: none */
};

/* An upstream root a composition left out because of its date. */
struct left {
	char		 fp[65];
	char		*label;
	int64_t		 server_after;
	char		*rule;		/* the rule, in words */
};

/* What a profile's bundle holds. */
struct comp {
	struct entry	*v;
	size_t		 n;
	int64_t		 snapshot;	/* upstream snapshot, 0: none */
	struct left	*left;		/* roots left out by distrust_after */
	size_t		 nleft;
};

/*
 * The longest lifetime a TLS certificate issued before a distrust-after
 * date may still have (CA/B Forum Baseline Requirements 6.3.2: 398
 * days): under "sunset" a dated root is served until date + this.
 */
#define DISTRUST_SUNSET_SECONDS	((int64_t)398 * 86400)

/* What a profile does with a root that has a distrust-after date. */
enum distrust {
	DISTRUST_SUNSET = 0,	/* served until date + 398 days (default) */
	DISTRUST_KEEP,		/* served, with its date */
	DISTRUST_DROP,		/* never served once dated */
	DISTRUST__MAX
};
extern const char *const distrust_names[DISTRUST__MAX];

/* A profile row. */
struct profile {
	char		 name[META_PROFILE_MAX + 1];
	int		 upstream;	/* the accepted upstream roots */
	int		 exclusions;	/* minus the excluded ones */
	char		 org[8];	/* none, all, tags */
	char		 base[META_PROFILE_MAX + 1]; /* "": upstream roots */
	enum distrust	 distrust;	/* profile.distrust_after */
	int64_t		 removed;	/* schema 009; 0: current */
};

/*
 * A release of an upstream cabundle mirror that passed SPEC section 8
 * (relay.c), to be stored verbatim: the .minisig bytes, their metadata
 * and the key that verified them.
 */
struct relay {
	const char	*source;	/* the upstream mirror */
	const char	*sig;		/* its .minisig, verbatim */
	size_t		 siglen;
	struct meta	 meta;
	char		 keyid[17];
	char		 pubkey[PUBKEY_STR_LEN + 1];
	int		 roots;		/* upstream roots ("mozilla"): vetted
					   and kept as this mirror's roots */
	int		 countersign;	/* signed here, not kept verbatim */
};

#define PUBLISH_FORCE	0x1	/* re-sign every profile now */
#define PUBLISH_QUIET	0x2	/* no line for an empty profile */
struct signer;
int	publish_all(sqlite3 *, const struct config *, const char *,
	    const char *, int);
int	publish_with(sqlite3 *, const struct config *, struct signer *,
	    const char *, const char *, int);
void	comp_free(struct comp *);
int	comp_build(sqlite3 *, int64_t, struct comp *);
int	comp_render(sqlite3 *, const struct comp *, struct buf *);
int	profile_get(sqlite3 *, const char *, struct profile *);
int	distrust_parse(const char *, enum distrust *);
int	relay_store(sqlite3 *, const char *, const struct relay *, int64_t);

#endif
