/*
 * keyset.h - the roles of the signing keys: a new active or standby
 * key, and the rotation from standby to active (keyset.c).  The key
 * files and the signing_key rows themselves are keys.h; listing them
 * is query.h.
 */
#ifndef CABUNDLED_KEYSET_H
#define CABUNDLED_KEYSET_H

#include <sqlite3.h>

#include "config.h"
#include "sig.h"

int	keyset_generate(sqlite3 *, const struct config *, const char *,
	    const char *, struct pubkey *, char *);
int	keyset_standby(sqlite3 *, char *);
int	keyset_active(sqlite3 *, char *);
int	keyset_rotate(sqlite3 *, const struct config *, const char *,
	    char *, char *, int *);

#endif
