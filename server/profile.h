/*
 * profile.h - adding, editing and removing a profile (profile.c);
 * reading them is query.h,
 * composing their releases release.h.
 */
#ifndef CABUNDLED_PROFILE_H
#define CABUNDLED_PROFILE_H

#include <stddef.h>

#include <jansson.h>
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

/* What "profile edit" changes (-1 or NULL: leave it as it is). */
struct profile_edit {
	const char	*name;
	const char	*actor;
	const char	*description;
	int		 upstream;	/* 0, 1; -1 */
	int		 exclusions;	/* 0, 1; -1 */
	const char	*org;		/* none, all, tags; NULL */
	const char	*const *tags;	/* given: the whole new set */
	size_t		 ntags;
	const char	*distrust;	/* keep, sunset, drop; NULL */
};

int	profile_add(sqlite3 *, const struct profile_new *);
int	profile_edit(sqlite3 *, const struct profile_edit *, json_t **);
int	profile_remove(sqlite3 *, const char *, const char *, const char *);

#endif
