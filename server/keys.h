/*
 * keys.h - the signing keys: secret halves in DATADIR/keys/KEYID.key
 * (0600), every public half in the signing_key table for good.
 */
#ifndef CABUNDLED_KEYS_H
#define CABUNDLED_KEYS_H

#include <sqlite3.h>

#include "config.h"
#include "sig.h"
#include "sign.h"

#define KEYS_DIR	"keys"

char		*keys_path(const struct config *, const char *, const char *);
int		 keys_check_modes(const struct config *);
int		 key_check_mode(const char *);
int		 keys_create(sqlite3 *, const struct config *, const char *,
		    const char *, struct pubkey *, char **);
void		 keys_discard(const char *);
struct seckey	*keys_load_active(sqlite3 *, const struct config *, char *);

#endif
