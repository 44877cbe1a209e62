/*
 * mirrorget.h - one way to read a file of an upstream cabundle mirror:
 * over http(s), or from its export directory (mirrorget.c).
 */
#ifndef CABUNDLED_MIRRORGET_H
#define CABUNDLED_MIRRORGET_H

#include <stddef.h>

#include "buf.h"
#include "config.h"

int	mirror_get(const struct config *, const char *, size_t, struct buf *,
	    int *, char *, size_t);

#endif
