/*
 * bundle.h - PEM CA bundles: strict reader, mkcert.org-style writer.
 */
#ifndef CABUNDLE_BUNDLE_H
#define CABUNDLE_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "buf.h"

#define BUNDLE_MAX_BYTES	(8u << 20)	/* 8 MiB: 30x Mozilla's */
#define BUNDLE_MAX_CERTS	1000		/* Mozilla ships ~150 */
#define BUNDLE_MAX_LINE		4096		/* comment or base64 line */
#define BUNDLE_MAX_LABEL	1024

enum bundle_err {
	BUNDLE_OK = 0,
	BUNDLE_EMPTY,		/* no bytes, or only blank lines */
	BUNDLE_NO_CERTS,	/* comments only */
	BUNDLE_TOO_LARGE,
	BUNDLE_TOO_MANY,
	BUNDLE_DER,		/* binary DER instead of PEM */
	BUNDLE_BINARY,		/* NUL or other binary bytes */
	BUNDLE_HTML,		/* an HTML page (captive portal) */
	BUNDLE_TEXT,		/* text outside blocks, not a comment */
	BUNDLE_LINE_TOO_LONG,
	BUNDLE_BAD_LINE_END,	/* CR not followed by LF */
	BUNDLE_BAD_UTF8,	/* comment not UTF-8, or control chars */
	BUNDLE_BAD_COMMENT,	/* malformed Label/SHA256 comment */
	BUNDLE_NOT_CERT,	/* PRIVATE KEY, TRUSTED CERTIFICATE ... */
	BUNDLE_BAD_BASE64,
	BUNDLE_TRUNCATED,	/* block without END line */
	BUNDLE_BAD_DER,		/* base64 fine, not an X.509 cert */
	BUNDLE_FP_MISMATCH,	/* SHA256 comment != certificate */
	BUNDLE_NOMEM,
	BUNDLE__MAX
};

/*
 * Where and why a bundle was refused.  block is the 1-based number of
 * the PEM block (0 outside any block), line the 1-based input line; msg
 * says it in words, without the file name, which the caller adds.
 */
struct bundle_error {
	enum bundle_err	 code;
	size_t		 block;
	size_t		 line;
	char		 msg[512];
};

struct cert {
	X509		*x509;
	unsigned char	*der;
	size_t		 derlen;
	unsigned char	 sha256[32];
	char		*subject;	/* RFC 2253, UTF-8 kept */
	char		*issuer;
	char		*label;		/* # Label:, else CN, O, subject */
	char		*serial;	/* decimal, may be 0 or negative */
	int64_t		 not_before;	/* Unix seconds */
	int64_t		 not_after;
	int		 version;	/* X.509 version: 1, 2 or 3 */
	int		 ca;		/* basicConstraints CA:TRUE */
	int		 self_signed;	/* issuer == subject, sig verifies */
	char		 key_type[16];	/* RSA, EC, Ed25519, DSA ... */
	char		 key_desc[80];	/* "RSA 2048", "EC P-384" */
	int		 key_bits;
	size_t		 line;		/* line of its BEGIN in the input */
};

struct bundle {
	struct cert	*certs;
	size_t		 ncerts;
};

#define BUNDLE_DER_ONLY		0x01	/* bundle_read: shape, der, sha256 */

struct bundle	*bundle_parse(const unsigned char *, size_t,
		    struct bundle_error *);
struct bundle	*bundle_read(const unsigned char *, size_t, int,
		    struct bundle_error *);
void		 bundle_free(struct bundle *);
const char	*bundle_errname(enum bundle_err);

int		 cert_init(struct cert *, const unsigned char *, size_t,
		    const char *, char *, size_t);
int		 cert_init_flags(struct cert *, const unsigned char *, size_t,
		    const char *, int, char *, size_t);
int		 cert_shape(const unsigned char *, size_t, unsigned long *,
		    char *, size_t);
void		 cert_clear(struct cert *);
int		 cert_mkcert_name(const X509_NAME *, struct buf *);

int		 bundle_write(const struct bundle *, struct buf *);
int		 cert_write(const struct cert *, struct buf *);
int		 cert_write_pem(const struct cert *, struct buf *);

#endif
