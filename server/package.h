/*
 * package.h - the client's Debian package as the mirror hands it out
 * (package.c): checked, recorded, and its trusted comment, format
 * cabundle-package/1 (doc/SPEC.md 13).
 */
#ifndef CABUNDLED_PACKAGE_H
#define CABUNDLED_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define PACKAGE_FORMAT		"cabundle-package/1"
#define PACKAGE_NAME		"cabundle"	/* the only one handed out */
#define PACKAGE_MAX		(32u << 20)	/* bytes of a .deb */
#define PACKAGE_FILE_MAX	160		/* NAME_VERSION_ARCH.deb */
#define PACKAGE_COMMENT_MAX	512
#define PACKAGE_MAX_FILES	8		/* --client-deb, one per arch */

/* A checked .deb: its bytes and what its control file says. */
struct package {
	char		 file[PACKAGE_FILE_MAX + 1];	/* its name */
	char		 version[PACKAGE_FILE_MAX + 1];
	char		 arch[33];
	unsigned char	*data;
	size_t		 len;
	unsigned char	 sha256[32];
};

/* A parsed cabundle-package/1 trusted comment. */
struct package_meta {
	char		 file[PACKAGE_FILE_MAX + 1];
	uint64_t	 created;
	uint64_t	 size;
	unsigned char	 sha256[32];
};

struct package	*package_load(const char *);
void		 package_free(struct package *);
int		 package_is_deb(const unsigned char *, size_t);
int		 package_comment(const struct package *, int64_t, char *,
		    size_t);
int		 package_comment_parse(const char *, size_t,
		    struct package_meta *, char *, size_t);
int		 package_record(sqlite3 *, const struct package *,
		    const char *);

#endif
