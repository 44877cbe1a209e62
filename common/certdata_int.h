/*
 * certdata_int.h - what the two halves of the certdata.txt reader
 * share: certdata.c reads the lines into objects, certdata_obj.c checks
 * the objects, pairs certificates with their trust and builds the
 * result.  Not for other modules: include certdata.h.
 */
#ifndef CABUNDLE_CERTDATA_INT_H
#define CABUNDLE_CERTDATA_INT_H

#include <stddef.h>
#include <stdint.h>

#include "certdata.h"

#define MAX_ATTRS	64		/* attributes in one object */

enum cls { CLS_NONE, CLS_CERT, CLS_TRUST, CLS_ROOTLIST };

/* The attributes whose values are kept; the rest are checked only. */
enum att {
	A_CLASS, A_LABEL, A_CERTTYPE, A_VALUE, A_SUBJECT, A_ISSUER,
	A_SERIAL, A_SHA1, A_MD5, A_SERVER_AFTER, A_EMAIL_AFTER,
	A_TRUST_SERVER, A_TRUST_EMAIL, A_TRUST_CODE, A__MAX, A_OTHER = A__MAX
};

/* A decoded MULTILINE_OCTAL value and the line of its attribute. */
struct oct {
	unsigned char	*p;
	size_t		 len;
	size_t		 line;
};

/* One object as read, before certificates and trust are matched. */
struct obj {
	enum cls	 cls;
	size_t		 num;		/* 1-based */
	size_t		 line;		/* of CKA_CLASS */
	unsigned int	 seen;		/* 1 << enum att */
	char		*label;
	struct oct	 v[A__MAX];	/* octal values by attribute */
	enum cd_trust	 trust[3];	/* server, email, code */
	int		 grants;	/* some CKA_TRUST_* trusts */
	int64_t		 server_after, email_after;
	size_t		 trust_obj;	/* cert: trust's index + 1 */
	int		 paired;	/* trust: has its certificate */
	unsigned char	 sha256[32];
};

struct reader {
	struct certdata_error	*err;
	size_t			 lineno;
	int			 begun;		/* BEGINDATA seen */
	struct obj		*objs;
	size_t			 nobjs, objcap;
	char			*names[MAX_ATTRS]; /* this object's */
	size_t			 nnames;
	/* An open MULTILINE_OCTAL value. */
	int			 inoct;
	enum att		 octatt;
	size_t			 octline;
	char			 octname[64];
	unsigned char		*octbuf;	/* CERTDATA_MAX_VALUE */
	size_t			 octlen;
};

int		 certdata_fail(struct reader *, enum certdata_err, size_t,
		    size_t, const char *, ...)
		    __attribute__((format(printf, 5, 6)));
const char	*certdata_attname(enum att);
int		 certdata_check(struct reader *);
int		 certdata_match(struct reader *);
struct certdata	*certdata_build(struct reader *);

#endif
