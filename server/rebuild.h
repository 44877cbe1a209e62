/*
 * rebuild.h - checking the stored releases against their inputs
 * (rebuild.c).
 */
#ifndef CABUNDLED_REBUILD_H
#define CABUNDLED_REBUILD_H

#include <stddef.h>

#include <sqlite3.h>

/* What rebuild_check() went through and found. */
struct rebuild_result {
	size_t		 builds;	/* bundles rebuilt */
	size_t		 releases;	/* releases checked */
	size_t		 bad;		/* releases that do not match */
};

int	rebuild_check(sqlite3 *, struct rebuild_result *);

#endif
