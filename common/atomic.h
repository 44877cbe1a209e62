/*
 * atomic.h - replacing a file so that every reader, and every crash,
 * sees the old bytes or the new ones: a temporary beside it, written,
 * fsynced, renamed over it, the directory fsynced.  On descriptors, so
 * the client can hand in a directory that safepath checked.
 */
#ifndef CABUNDLE_ATOMIC_H
#define CABUNDLE_ATOMIC_H

#include <sys/stat.h>

#include <limits.h>
#include <stddef.h>

#define ATOMIC_TAG	".cabundle-"	/* temporaries: .NAME.cabundle-XXXXXX */

/* What atomic_tmp_at() writes, and what it made. */
struct atomic_file {
	const char		*path;	/* the file's name in messages */
	const void		*data;
	size_t			 len;
	mode_t			 mode;
	const struct stat	*like;	/* its mode and owner instead; NULL */
	char			 tmp[NAME_MAX + 1];	/* made: its name */
	struct stat		 st;	/* made: its status */
};

int	atomic_suffix(char *, size_t);
int	atomic_tmpname(const char *, char *, size_t);
int	atomic_fill(int, const char *, const void *, size_t);
int	atomic_tmp_at(int, const char *, struct atomic_file *);
int	atomic_commit_at(int, const char *, const char *, const char *);
int	atomic_write_at(int, const char *, const char *, const void *,
	    size_t, mode_t);
int	atomic_mkdirs(int, const char *, mode_t);

#endif
