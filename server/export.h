/*
 * export.h - the HTTP contract's tree as static files (export.c).
 */
#ifndef CABUNDLED_EXPORT_H
#define CABUNDLED_EXPORT_H

#include <stddef.h>

#include <sqlite3.h>

#include "site.h"

struct config;
struct package;

#define EXPORT_MAX_PROFILES	64

/* What an export did, file by file. */
struct export_result {
	size_t		 written;
	size_t		 linked;	/* a body another version has */
	size_t		 kept;		/* already there, unchanged */
	size_t		 repaired;	/* --repair replaced a bad file */
};

/* --client-deb: the client packages to hand out, signed by the signer. */
struct export_client {
	const struct config	*cfg;		/* to start the signer */
	struct package		**pkg;		/* package_load()ed */
	size_t			 n;		/* PACKAGE_MAX_FILES at most */
};

int	export_tree(sqlite3 *, struct site *, const char *,
	    struct site_profile **, size_t, int, int, int,
	    const struct export_client *, struct export_result *);

#endif
