/*
 * verify.h - SPEC section 8's trust decision on bytes, shared by the
 * client and by a cabundled that takes another mirror as its upstream.
 */
#ifndef CABUNDLE_VERIFY_H
#define CABUNDLE_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "meta.h"
#include "sig.h"

#define MAX_VALIDITY		(31 * 86400)	/* SPEC 8: longest we accept */
#define CLOCK_SKEW		600
#define MIN_CERTS		1

/*
 * What a release must satisfy.  now is fixed once per run (TUF), so a
 * signature that expires during a slow download is judged consistently.
 */
struct policy {
	const struct pubkey	*keys;
	size_t			 nkeys;
	const char		*profile;	/* NULL: any */
	int64_t			 now;
	int			 check_time;	/* 0: auditor's archive check */
	const char		*format;	/* NULL: META_FORMAT; SPEC 12's
						   META_FORMAT_CONSTRAINTS */
};

/* A signature that passed steps 2-6, ready for its body. */
struct release {
	struct minisig		 sig;
	struct meta		 meta;
	const struct pubkey	*key;
	size_t			 ncerts;	/* set by verify_body */
};

/* Step 7's verdict on a release against what is held already. */
enum floor_verdict {
	FLOOR_REFUSED = 0,	/* older, or another body for the version */
	FLOOR_NEWER,
	FLOOR_CURRENT,		/* this very version and body */
	FLOOR__MAX
};

int	verify_sig(const char *, size_t, const struct policy *,
	    struct release *, char *, size_t);
enum floor_verdict verify_floor(const struct release *, uint64_t,
	    const char *, const char *, const char *, char *, size_t);
int	verify_data(const struct release *, const unsigned char *, size_t,
	    char *, size_t);
int	verify_body(struct release *, const unsigned char *, size_t,
	    char *, size_t);

#endif
