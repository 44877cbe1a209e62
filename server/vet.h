/*
 * vet.h - decide whether an upstream bundle can be trusted.
 *
 * vet_bundle() is pure: a parsed bundle (or the reader's refusal), the
 * last accepted snapshot's roots, an optional cross-check set and the
 * policy go in; a report comes out.  fetch, import and inspect --vet
 * all call it, so one bundle always gets one verdict.
 */
#ifndef CABUNDLED_VET_H
#define CABUNDLED_VET_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bundle.h"
#include "config.h"

enum verdict {
	VERDICT_ACCEPTED = 0,
	VERDICT_QUARANTINED,
	VERDICT_REJECTED
};

/* One finding: the check, how bad, which certificate, the rule. */
struct vet_row {
	const char	*check;		/* "ca", "churn", "anchor" ... */
	enum level	 level;
	char		*label;		/* NULL: about the whole bundle */
	char		 sha256[65];	/* "" when label is NULL */
	char		*rule;		/* in words */
};

/* A set of roots: an earlier snapshot's or a cross-check source's. */
struct rootset {
	int64_t		 id;		/* snapshot id, 0 if none */
	const char	*source;	/* cross-check URL */
	const char	*error;		/* cross-check failed: why */
	unsigned char	(*fp)[32];
	char		**labels;
	size_t		 n;
};

struct vet_report {
	enum verdict	 verdict;
	enum level	 worst;
	unsigned char	 digest[32];	/* of the body */
	size_t		 size;
	size_t		 ncerts;
	size_t		 nadded, nremoved;
	int		 pinned;	/* body digest is pinned */
	int64_t		 baseline;	/* snapshot compared with, 0 none */
	unsigned char	*dropped;	/* ncerts flags: not served */
	struct vet_row	*rows;
	size_t		 nrows;
};

int		 vet_bundle(const struct bundle *, const struct bundle_error *,
		    const unsigned char *, size_t, const struct rootset *,
		    const struct rootset *, const struct vet_policy *,
		    int64_t, struct vet_report *);
void		 vet_report_free(struct vet_report *);
json_t		*vet_report_json(const struct vet_report *);
const char	*vet_verdictname(enum verdict);
const char	*vet_levelname(enum level);

#endif
