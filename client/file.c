/*
 * file.c - replacing a file so that every reader, and every crash,
 * sees the old bytes or the new ones and never anything between
 * (SPEC 8 step 11), with common/atomic.c's temporary, fsync, rename
 * and directory fsync.
 *
 * Every path goes through safepath_open_parent(): the directories on
 * the way pass the ownership rule and the last name is used with the
 * *at() calls, never followed.
 */
#define _GNU_SOURCE		/* renameat2, RENAME_NOREPLACE */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "atomic.h"
#include "buf.h"
#include "encode.h"
#include "extern.h"

/* The lowercase hex SHA-256 of data into hex (65 bytes). */
void
file_sha256(const void *data, size_t len, char *hex)
{
	unsigned char	 md[32];

	SHA256(data, len, md);
	hex_encode(md, 32, hex);
}

/*
 * safepath_open_parent(), with a warning for a missing directory too.
 * Returns the descriptor, or -1 (warned).
 */
static int
parent_open(const char *path, char *name, size_t len)
{
	int	 dfd;

	if ((dfd = safepath_open_parent(path, 0, name, len)) == -1 &&
	    errno == ENOENT)
		warn("%s", path);
	return dfd;
}

/* fsync the directory holding path.  Returns 1, or 0 after a warning. */
int
file_syncdir(const char *path)
{
	char	 name[NAME_MAX + 1];
	int	 fd, ok;

	if ((fd = parent_open(path, name, sizeof(name))) == -1)
		return 0;
	if (!(ok = fsync(fd) == 0))
		warn("%s: fsync of its directory", path);
	close(fd);
	return ok;
}

/* Create path's parent directories (0755) if missing.  Returns 1 or 0. */
int
file_mkparent(const char *path)
{
	char	 name[NAME_MAX + 1];
	int	 fd;

	if ((fd = safepath_open_parent(path, SP_MKDIR, name,
	    sizeof(name))) == -1)
		return 0;
	close(fd);
	return 1;
}

/* What atomic_tmp_at() writes for path: data, with old's mode. */
static void
tmp_init(struct atomic_file *f, const char *path, const void *data,
    size_t len, mode_t mode, const struct stat *old)
{
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->data = data;
	f->len = len;
	f->mode = mode;
	f->like = old;
}

/*
 * Replace path with len bytes of data, atomically and durably.  The
 * new file gets old's mode and owner when old is given (the file being
 * replaced), else mode.  Returns 1, or 0 after a warning naming the
 * file and the step (the temporary file is removed; path is as it
 * was), or the directory that breaks the ownership rule.
 */
int
file_replace(const char *path, const void *data, size_t len, mode_t mode,
    const struct stat *old)
{
	struct atomic_file	 f;
	char			 name[NAME_MAX + 1];
	int			 dfd, ok;

	if ((dfd = parent_open(path, name, sizeof(name))) == -1)
		return 0;
	tmp_init(&f, path, data, len, mode, old);
	ok = atomic_tmp_at(dfd, name, &f) &&
	    atomic_commit_at(dfd, f.tmp, name, path);
	close(dfd);
	return ok;
}

/*
 * 1 when name in dfd is a regular file of one link holding exactly
 * data: what a run of ours killed before it saved the state leaves.
 */
static int
same_bytes(int dfd, const char *name, const char *path, const void *data,
    size_t len)
{
	struct buf	 b;
	struct stat	 st;
	int		 same;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode) || st.st_size != (off_t)len)
		return 0;
	buf_init(&b, len + 1);
	same = safepath_readat(dfd, name, path, &b, &st) &&
	    st.st_nlink == 1 && b.len == len && memcmp(b.data, data, len) ==
	    0;
	buf_free(&b);
	return same;
}

/*
 * Make backup, the copy of target's original (data, with old's mode
 * and owner), as a new file: never one found there.  A file already at
 * that name is refused, naming it, unless it is a regular file holding
 * the very same bytes (a killed run's): that one is replaced by ours,
 * not adopted.  Returns 1 with id set, or 0 after a warning.
 */
int
file_backup(const char *target, const char *backup, const void *data,
    size_t len, const struct stat *old, struct fileid *id)
{
	struct atomic_file	 f;
	char			 name[NAME_MAX + 1];
	int			 dfd, e, ok = 0;

	if ((dfd = parent_open(backup, name, sizeof(name))) == -1)
		return 0;
	tmp_init(&f, backup, data, len, 0600, old);
	if (!atomic_tmp_at(dfd, name, &f))
		goto out;
	if (renameat2(dfd, f.tmp, dfd, name, RENAME_NOREPLACE) == -1) {
		e = errno;
		if (e != EEXIST || !same_bytes(dfd, name, backup, data, len)) {
			errno = e;
			if (e == EEXIST)
				warnx("%s: already there, and cabundle did not "
				    "make it as the original of %s: refusing to "
				    "adopt it; move it away", backup, target);
			else
				warn("%s: rename", backup);
			(void)unlinkat(dfd, f.tmp, 0);
			goto out;
		}
		/* A killed run's copy of the same bytes: ours replaces it. */
		if (!atomic_commit_at(dfd, f.tmp, name, backup))
			goto out;
	} else if (fsync(dfd) == -1) {
		warn("%s: fsync of its directory", backup);
		goto out;
	}
	id->dev = f.st.st_dev;
	id->ino = f.st.st_ino;
	id->size = f.st.st_size;
	file_sha256(data, len, id->sha256);
	ok = 1;
 out:
	close(dfd);
	return ok;
}

/*
 * Read path (at most max bytes) into b with its stat in st, never
 * through a symbolic link.  Returns 1; 0 after a warning (missing, a
 * link, not a regular file, too large, a directory on the way that
 * breaks the ownership rule).
 */
int
file_read(const char *path, size_t max, struct buf *b, struct stat *st)
{
	char	 name[NAME_MAX + 1];
	int	 dfd, ok;

	buf_init(b, max);
	if ((dfd = parent_open(path, name, sizeof(name))) == -1)
		return 0;
	ok = safepath_readat(dfd, name, path, b, st);
	if (!ok && errno == ENOENT)
		warn("%s", path);
	close(dfd);
	if (!ok)
		buf_free(b);
	return ok;
}

/*
 * The status of path itself (a link is not followed).  Returns 1, 0
 * when it is missing, -1 after a warning.
 */
int
file_lstat(const char *path, struct stat *st)
{
	char	 name[NAME_MAX + 1];
	int	 dfd, rc = 1;

	if ((dfd = safepath_open_parent(path, 0, name, sizeof(name))) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) == -1) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc == -1)
			warn("%s", path);
	}
	close(dfd);
	return rc;
}

/*
 * Remove the name path (a link itself, never what it points to).
 * Returns 1 (missing included), or 0 after a warning.
 */
int
file_unlink(const char *path)
{
	char	 name[NAME_MAX + 1];
	int	 dfd, ok = 1;

	if ((dfd = safepath_open_parent(path, 0, name, sizeof(name))) == -1)
		return errno == ENOENT;
	if (unlinkat(dfd, name, 0) == -1 && errno != ENOENT) {
		warn("%s: cannot remove", path);
		ok = 0;
	}
	close(dfd);
	return ok;
}
