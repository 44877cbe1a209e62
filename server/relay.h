/*
 * relay.h - one look at an upstream cabundle mirror (relay.c).
 */
#ifndef CABUNDLED_RELAY_H
#define CABUNDLED_RELAY_H

#include <stdint.h>

#include <sqlite3.h>

#include "config.h"

/* The relayed profile whose body is upstream roots (vetted as such). */
#define RELAY_ROOTS	"mozilla"

int	relay_once(const struct config *, sqlite3 *, const char *);
int	relay_approved(const struct config *, sqlite3 *, const char *,
	    int64_t, int *);

#endif
