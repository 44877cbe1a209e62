/*
 * export.h - the HTTP contract's tree as static files (export.c).
 */
#ifndef CABUNDLED_EXPORT_H
#define CABUNDLED_EXPORT_H

#include <stddef.h>

#include <sqlite3.h>

#include "site.h"

#define EXPORT_MAX_PROFILES	64

/* What an export did, file by file. */
struct export_result {
	size_t		 written;
	size_t		 linked;	/* a body another version has */
	size_t		 kept;		/* already there, unchanged */
	size_t		 repaired;	/* --repair replaced a bad file */
};

int	export_tree(sqlite3 *, struct site *, const char *,
	    struct site_profile **, size_t, int, int, int,
	    struct export_result *);

#endif
