/*
 * profile.h - adding a profile and changing its distrust_after
 * policy (profile.c); reading them is query.h,
 * composing their releases release.h.
 */
#ifndef CABUNDLED_PROFILE_H
#define CABUNDLED_PROFILE_H

#include <stddef.h>

#include <sqlite3.h>

/* A new profile's rule and who adds it (NULL: not given). */
struct profile_new {
	const char	*name;
	const char	*actor;
	const char	*description;
	const char	*const *tags;	/* organization CAs with a tag */
	size_t		 ntags;
	int		 upstream;	/* the accepted upstream roots */
	int		 exclusions;	/* minus the excluded ones */
	int		 all_org;	/* every organization CA */
	const char	*base;		/* a relayed profile, not the roots */
	const char	*distrust;	/* keep, sunset, drop; NULL: sunset */
};

int	profile_add(sqlite3 *, const struct profile_new *);
int	profile_set_distrust(sqlite3 *, const char *, const char *,
	    const char *);

#endif
