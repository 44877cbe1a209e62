/*
 * org.h - the organization's own CAs and the upstream roots it
 * excludes (org.c); the commands are cmd_org.c.
 */
#ifndef CABUNDLED_ORG_H
#define CABUNDLED_ORG_H

#include <stddef.h>

#include <jansson.h>
#include <sqlite3.h>

#include "config.h"

#define ORG_MAX_TAGS	16

/* Who makes a change and what it records (NULL: not given). */
struct org_change {
	const char	*actor;
	const char	*name;		/* org add: one certificate only */
	const char	*owner;
	const char	*note;
	const char	*reason;	/* remove, exclude add */
	const char	*tags[ORG_MAX_TAGS];
	size_t		 ntags;
	const char	*untags[ORG_MAX_TAGS];	/* org edit --untag */
	size_t		 nuntags;
	int		 intermediate;	/* org add: allow a non-root CA */
};

int	 org_add(sqlite3 *, const struct config *, const char *,
	    const struct org_change *);
int	 org_edit(sqlite3 *, const struct config *, const char *,
	    const struct org_change *);
int	 org_remove(sqlite3 *, const struct config *, const char *,
	    const struct org_change *);
json_t	*org_list(sqlite3 *, int);
int	 exclude_add(sqlite3 *, const struct config *, const char *,
	    const struct org_change *);
int	 exclude_remove(sqlite3 *, const struct config *, const char *,
	    const struct org_change *);
json_t	*exclude_list(sqlite3 *, int);

#endif
