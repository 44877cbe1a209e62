/*
 * ingest.h - vet a body and store it as a snapshot (ingest.c).
 */
#ifndef CABUNDLED_INGEST_H
#define CABUNDLED_INGEST_H

#include <stddef.h>

#include <sqlite3.h>

#include "config.h"

struct buf;
struct relay;
struct snapinfo;

int	ingest_checked(const struct config *, sqlite3 *, const char *,
	    const char *, const struct buf *, const struct relay *);
int	ingest_standing(sqlite3 *, const char *, const char *,
	    struct snapinfo *);
int	ingest_unchanged(const struct snapinfo *, const char *);

#endif
