/*
 * sig.h - minisign signatures, the prehashed "ED" form only (SPEC 2-4).
 */
#ifndef CABUNDLE_SIG_H
#define CABUNDLE_SIG_H

#include <stddef.h>

#include <openssl/evp.h>

#include "buf.h"

#define KEYID_LEN	8
#define SIG_FILE_MAX	16384	/* minisign's four lines fit in 9,406 */
#define SIG_COMMENT_MAX	4077	/* longest T that minisign -S writes */
#define PUBKEY_STR_LEN	56	/* base64 of 42 bytes, "RW..." */
#define PUBKEY_FILE_MAX	4096

struct pubkey {
	unsigned char	 keyid[KEYID_LEN];
	unsigned char	 pk[32];
};

/* A parsed .minisig.  comment is T, the signed trusted comment. */
struct minisig {
	unsigned char	 alg[2];
	unsigned char	 keyid[KEYID_LEN];
	unsigned char	 sig[64];
	char		 comment[SIG_COMMENT_MAX + 1];
	size_t		 commentlen;
	unsigned char	 global[64];
};

enum sig_err {
	SIG_OK = 0,
	SIG_FORMAT,		/* not four well-formed lines */
	SIG_LEGACY,		/* "Ed": whole-file signature, refused */
	SIG_UNKNOWN_KEY,	/* key id names no trusted key */
	SIG_BAD_GLOBAL,		/* trusted comment signature fails */
	SIG_BAD_SIG,		/* file signature fails */
	SIG_INTERNAL,
	SIG__MAX
};

void		 keyid_format(const unsigned char *, char *);
int		 pubkey_from_string(const char *, size_t, struct pubkey *);
int		 pubkey_parse(const char *, size_t, struct pubkey *,
		    char *, size_t);
int		 pubkey_load(const char *, struct pubkey *);
void		 pubkey_string(const struct pubkey *, char *);
int		 pubkey_write(const struct pubkey *, struct buf *);

int		 sig_prehash(const unsigned char *, size_t, unsigned char *);
int		 sig_comment_ok(const char *, size_t);
enum sig_err	 sig_parse(const char *, size_t, struct minisig *, char *,
		    size_t);
const struct pubkey *sig_find_key(const struct minisig *,
		    const struct pubkey *, size_t);
enum sig_err	 sig_verify_comment(const struct minisig *,
		    const struct pubkey *);
enum sig_err	 sig_verify_data(const struct minisig *,
		    const struct pubkey *, const unsigned char *, size_t);
const char	*sig_errname(enum sig_err);

#endif
