/*
 * relay.h - one look at an upstream cabundle mirror (relay.c).
 */
#ifndef CABUNDLED_RELAY_H
#define CABUNDLED_RELAY_H

#include <sqlite3.h>

#include "config.h"

int	relay_once(const struct config *, sqlite3 *, const char *);

#endif
