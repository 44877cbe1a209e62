/*
 * extern.h - what the client's files share.
 */
#ifndef CABUNDLE_EXTERN_H
#define CABUNDLE_EXTERN_H

#include <stddef.h>
#include <stdint.h>

#include "meta.h"
#include "sig.h"

#define BODY_MAX		(4u << 20)	/* SPEC 8: hard limit */
#define MAX_VALIDITY		(31 * 86400)	/* SPEC 8: longest we accept */
#define CLOCK_SKEW		600
#define MAX_KEYS		8
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
};

/* A signature that passed steps 2-6, ready for its body. */
struct release {
	struct minisig		 sig;
	struct meta		 meta;
	const struct pubkey	*key;
	size_t			 ncerts;	/* set by verify_body */
};

int	verify_sig(const char *, size_t, const struct policy *,
	    struct release *, char *, size_t);
int	verify_body(struct release *, const unsigned char *, size_t,
	    char *, size_t);

int	cmd_verify(int, char *[]);

#endif
