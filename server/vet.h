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

struct cd_cert;
struct certdata;
struct certdata_error;

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
	struct certdata	*cd;		/* cross-check source was a
					   certdata.txt: its trust */
	unsigned char	(*fp)[32];
	char		**labels;
	size_t		 n;
};

/* A root's Mozilla distrust-after dates (schema 008 snapshot_distrust). */
struct vet_date {
	unsigned char	 fp[32];
	int64_t		 server_after;	/* Unix seconds, never 0 */
	int64_t		 email_after;	/* 0: none */
	const char	*source;	/* NULL: the snapshot's own source */
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
	struct vet_date	*dates;		/* dated roots, from certdata */
	size_t		 ndates;
};

int		 vet_bundle(const struct bundle *, const struct bundle_error *,
		    const unsigned char *, size_t, const struct rootset *,
		    const struct rootset *, const struct vet_policy *,
		    int64_t, struct vet_report *);
int		 vet_refused(const char *, const unsigned char *, size_t,
		    const struct rootset *, const struct vet_policy *,
		    struct vet_report *);
int		 vet_row_add(struct vet_report *, const char *, enum level,
		    const char *, const unsigned char *, const char *, ...)
		    __attribute__((format(printf, 6, 7)));
void		 vet_report_free(struct vet_report *);

int		 vet_anchor(const struct cd_cert *);
const char	*vet_trust_words(const struct cd_cert *);
int		 vet_date_add(struct vet_report *, const struct cd_cert *,
		    const char *, const unsigned char *, const char *);

/* certdata.txt as the upstream (vettrust.c). */
struct bundle	*vettrust_roots(const struct certdata *, char *, size_t);
int		 vettrust_rootset(const struct certdata *, struct rootset *);
int		 vet_certdata(const struct certdata *,
		    const struct certdata_error *, const struct bundle *,
		    const unsigned char *, size_t, const struct rootset *,
		    const struct rootset *, const struct vet_policy *,
		    int64_t, struct vet_report *);

json_t		*vet_report_json(const struct vet_report *);
const char	*vet_verdictname(enum verdict);
const char	*vet_levelname(enum level);

#endif
