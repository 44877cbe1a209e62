/*
 * keylists.h - the key lists held by the mirror (keylists.c): every
 * version imported or relayed, with the signatures that verified.
 */
#ifndef CABUNDLED_KEYLISTS_H
#define CABUNDLED_KEYLISTS_H

#include <sqlite3.h>

#include "keylist.h"

/* keylists_names(): what the newest list says of a key. */
enum keylists_name {
	KEYLISTS_ERROR = -1,
	KEYLISTS_NONE = 0,	/* no list held */
	KEYLISTS_UNNAMED,	/* not named, retired or outside its window */
	KEYLISTS_NAMED,		/* may sign now */
	KEYLISTS_FOREIGN,	/* the list is not about this mirror's keys */
};

int	keylists_newest(sqlite3 *, struct keylist *, int *);
int	keylists_import(sqlite3 *, const char *, size_t,
	    const struct keylist_sig *, size_t, const struct pubkey *, size_t,
	    int, const char *, const char *, struct keylist *, int *, char *,
	    size_t);
enum keylists_name keylists_names(sqlite3 *, const char *, const char *,
	    int64_t);

#endif
