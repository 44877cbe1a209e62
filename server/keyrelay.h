/*
 * keyrelay.h - a relay mirror's copy of its upstream's key lists
 * (keyrelay.c).
 */
#ifndef CABUNDLED_KEYRELAY_H
#define CABUNDLED_KEYRELAY_H

#include <sqlite3.h>

#include "config.h"

int	keyrelay_once(const struct config *, sqlite3 *, const char *,
	    const char *, const char *);

#endif
