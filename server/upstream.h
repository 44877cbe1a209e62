/*
 * upstream.h - one fetch of the configured upstream (upstream.c).
 */
#ifndef CABUNDLED_UPSTREAM_H
#define CABUNDLED_UPSTREAM_H

#include <sqlite3.h>

#include "config.h"

int	fetch_once(const struct config *, sqlite3 *, const char *);

#endif
