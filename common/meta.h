/*
 * meta.h - the signed release metadata, SPEC section 7:
 * "format:cabundle/1" TAB "profile:" ... TAB "sha256:" hex64.
 */
#ifndef CABUNDLE_META_H
#define CABUNDLE_META_H

#include <stddef.h>
#include <stdint.h>

#define META_FORMAT		"cabundle/1"
#define META_FORMAT_CONSTRAINTS	"cabundle-constraints/1"	/* SPEC 12 */
#define META_PROFILE_MAX	64

struct meta {
	char		 profile[META_PROFILE_MAX + 1];
	uint64_t	 version;
	uint64_t	 created;
	uint64_t	 expires;
	uint64_t	 size;
	unsigned char	 sha256[32];
};

int	profile_valid(const char *, size_t);
int	profile_name_ok(const char *);
int	meta_format(const struct meta *, char *, size_t);
int	meta_parse(const char *, size_t, struct meta *, char *, size_t);
int	meta_format_as(const char *, const struct meta *, char *, size_t);
int	meta_parse_as(const char *, const char *, size_t, struct meta *,
	    char *, size_t);

#endif
