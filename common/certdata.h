/*
 * certdata.h - Mozilla's certdata.txt (NSS lib/ckfw/builtins): strict
 * reader (certdata.c).  Each certificate comes out with its trust per
 * purpose and its server and email distrust-after dates; the PEM
 * bundle mkcert.org derives from it has lost both.
 */
#ifndef CABUNDLE_CERTDATA_H
#define CABUNDLE_CERTDATA_H

#include <stddef.h>
#include <stdint.h>

#define CERTDATA_MAX_BYTES	(16u << 20)	/* 16 MiB: ~11x NSS's */
#define CERTDATA_MAX_OBJECTS	4000		/* NSS has ~370 */
#define CERTDATA_MAX_LINE	4096
#define CERTDATA_MAX_VALUE	(64u << 10)	/* one decoded attribute */

/* A CK_TRUST value for one purpose. */
enum cd_trust {
	CD_TRUST_NONE = 0,		/* no trust object, or not given */
	CD_TRUST_DELEGATOR,		/* CKT_NSS_TRUSTED_DELEGATOR */
	CD_TRUST_MUST_VERIFY,		/* CKT_NSS_MUST_VERIFY_TRUST */
	CD_TRUST_NOT_TRUSTED,		/* CKT_NSS_NOT_TRUSTED */
	CD_TRUST_TRUSTED		/* CKT_NSS_TRUSTED (a leaf) */
};

enum certdata_err {
	CERTDATA_OK = 0,
	CERTDATA_EMPTY,
	CERTDATA_TOO_LARGE,
	CERTDATA_TOO_MANY,		/* objects over the cap */
	CERTDATA_BINARY,		/* NUL or control bytes */
	CERTDATA_BAD_UTF8,		/* a label or comment */
	CERTDATA_LINE_TOO_LONG,
	CERTDATA_NO_BEGINDATA,		/* not certdata.txt at all */
	CERTDATA_SYNTAX,		/* a line that is no attribute */
	CERTDATA_BAD_OCTAL,		/* MULTILINE_OCTAL not \ooo only */
	CERTDATA_NO_END,		/* MULTILINE_OCTAL without END */
	CERTDATA_DUPLICATE,		/* an attribute twice in an object */
	CERTDATA_MISSING,		/* a required attribute absent */
	CERTDATA_BAD_VALUE,		/* type or value not allowed */
	CERTDATA_BAD_DER,		/* CKA_VALUE not one X.509 cert */
	CERTDATA_MISMATCH,		/* CKA_ISSUER/SERIAL/SUBJECT != cert */
	CERTDATA_BAD_DATE,		/* distrust-after not a UTCTime */
	CERTDATA_ORPHAN_TRUST,		/* trusts a certificate not in file */
	CERTDATA_HASH_MISMATCH,		/* CKA_CERT_SHA1/MD5_HASH */
	CERTDATA_TRUST_TWICE,		/* two trust objects for one cert */
	CERTDATA_NO_TRUST,		/* a certificate without trust */
	CERTDATA_NOMEM,
	CERTDATA__MAX
};

/* Where and why a file was refused: 1-based line and object number. */
struct certdata_error {
	enum certdata_err code;
	size_t		 object;	/* 0: outside any object */
	size_t		 line;
	char		 msg[512];
};

/*
 * One certificate object and its trust object, or (der NULL) a trust
 * object alone that distrusts a certificate not in the file: NSS lists
 * mis-issued intermediates that way, by issuer and serial.
 */
struct cd_cert {
	unsigned char	*der;		/* CKA_VALUE; NULL: trust only */
	size_t		 derlen;
	unsigned char	 sha256[32];	/* of der; zero for trust only */
	char		*label;		/* CKA_LABEL, UTF-8 */
	enum cd_trust	 server;	/* CKA_TRUST_SERVER_AUTH */
	enum cd_trust	 email;		/* CKA_TRUST_EMAIL_PROTECTION */
	enum cd_trust	 code;		/* CKA_TRUST_CODE_SIGNING */
	int64_t		 server_after;	/* Unix seconds, 0: none */
	int64_t		 email_after;
	size_t		 line;		/* of its CKA_CLASS line */
	size_t		 object;	/* 1-based object number */
};

struct certdata {
	struct cd_cert	*v;		/* file order */
	size_t		 n;
	size_t		 ncertobjs;	/* CKO_CERTIFICATE objects */
	size_t		 nserver;	/* server DELEGATOR with a cert */
	size_t		 nserver_dated;	/* ... of which server_after != 0 */
	size_t		 ncertobjs_dated; /* certificate objects with a
					    server date of their own */
};

struct certdata	*certdata_parse(const unsigned char *, size_t,
		    struct certdata_error *);
void		 certdata_free(struct certdata *);
int		 certdata_sniff(const unsigned char *, size_t);
const char	*certdata_errname(enum certdata_err);
const char	*certdata_trustname(enum cd_trust);

#endif
