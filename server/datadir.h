/*
 * datadir.h - the data directory as a whole: made by init, and
 * opened with its secret keys' modes checked first (datadir.c).
 * Above db.c and keys.c, which know nothing of each other's files.
 */
#ifndef CABUNDLED_DATADIR_H
#define CABUNDLED_DATADIR_H

#include <sqlite3.h>

#include "config.h"
#include "sig.h"

/* What datadir_init() found or made. */
struct datadir_init {
	struct pubkey	 pub;	/* the active signing key's public half */
	int		 kept;	/* 1: it was there, 0: made now */
};

sqlite3	*datadir_open(const struct config *);
int	 datadir_init(const struct config *, const char *,
	    struct datadir_init *);

#endif
