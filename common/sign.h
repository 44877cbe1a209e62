/*
 * sign.h - secret keys and signing (sign.c): the server's and the test
 * tools', never the client's.
 */
#ifndef CABUNDLE_SIGN_H
#define CABUNDLE_SIGN_H

#include "buf.h"
#include "sig.h"

/* An Ed25519 signing key; the key id is SHA-256(pk)[0..8) (SPEC 9). */
struct seckey {
	EVP_PKEY	*pkey;
	struct pubkey	 pub;
};

struct seckey	*seckey_load(const char *);
struct seckey	*seckey_new(void);
int		 seckey_write_at(const struct seckey *, int, const char *,
		    const char *);
void		 seckey_free(struct seckey *);
int		 sig_sign(const struct seckey *, const unsigned char *,
		    size_t, const char *, int, struct buf *);

#endif
