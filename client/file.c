/*
 * file.c - replacing a file so that every reader, and every crash,
 * sees the old bytes or the new ones and never anything between:
 * a temporary file in the same directory, write, fsync, rename over
 * the target, fsync of the directory (SPEC 8 step 11).
 *
 * Every path goes through safepath_open_parent(): the directories on
 * the way pass the ownership rule and the last name is used with the
 * *at() calls, never followed.
 */
#define _GNU_SOURCE		/* renameat2, RENAME_NOREPLACE */
#include <sys/random.h>
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

/* "name.cabundle-XXXXXX" with six random letters or digits. */
static int
tmp_name(const char *name, char *tmp, size_t len)
{
	static const char	 set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char		 r[6];
	size_t			 i, n;

	if (getentropy(r, sizeof(r)) == -1 || (n = (size_t)snprintf(tmp, len,
	    "%s.cabundle-XXXXXX", name)) >= len)
		return 0;
	for (i = 0; i < 6; i++)
		tmp[n - 6 + i] = set[r[i] % (sizeof(set) - 1)];
	return 1;
}

/*
 * A new file in dfd holding data, fsynced, mode and owner of old (else
 * mode), its name in tmp and its status in st.  Returns 1, or 0 after
 * a warning with nothing left behind.
 */
static int
tmp_write(int dfd, const char *path, const void *data, size_t len,
    mode_t mode, const struct stat *old, char *tmp, size_t tmplen,
    struct stat *st)
{
	const char	*p = data, *base = strrchr(path, '/') + 1;
	ssize_t		 n;
	int		 fd = -1, tries, ok = 0;

	for (tries = 0; fd == -1 && tries < 100; tries++) {
		if (!tmp_name(base, tmp, tmplen)) {
			warnx("%s: name too long", path);
			return 0;
		}
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	if (fd == -1) {
		warn("%s: cannot create a temporary file beside it", path);
		return 0;
	}
	if (fchmod(fd, old != NULL ? old->st_mode & 07777 : mode) == -1) {
		warn("%s: chmod", path);
		goto out;
	}
	if (old != NULL && (old->st_uid != geteuid() ||
	    old->st_gid != getegid()) &&
	    fchown(fd, old->st_uid, old->st_gid) == -1) {
		warn("%s: cannot keep the owner %u:%u", path,
		    (unsigned)old->st_uid, (unsigned)old->st_gid);
		goto out;
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			warn("%s: write", path);
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1 || fstat(fd, st) == -1) {
		warn("%s: fsync", path);
		goto out;
	}
	ok = 1;
 out:
	if (close(fd) == -1 && ok) {
		warn("%s: close", path);
		ok = 0;
	}
	if (!ok)
		(void)unlinkat(dfd, tmp, 0);
	return ok;
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
	char		 name[NAME_MAX + 1], tmp[NAME_MAX + 1];
	struct stat	 st;
	int		 dfd, ok = 0;

	if ((dfd = parent_open(path, name, sizeof(name))) == -1)
		return 0;
	if (!tmp_write(dfd, path, data, len, mode, old, tmp, sizeof(tmp),
	    &st))
		goto out;
	if (renameat(dfd, tmp, dfd, name) == -1) {
		warn("%s: rename", path);
		(void)unlinkat(dfd, tmp, 0);
		goto out;
	}
	ok = 1;
	if (fsync(dfd) == -1) {
		warn("%s: fsync of its directory", path);
		ok = 0;		/* renamed, but maybe not durable */
	}
 out:
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
	char		 name[NAME_MAX + 1], tmp[NAME_MAX + 1];
	struct stat	 st;
	int		 dfd, e, ok = 0;

	if ((dfd = parent_open(backup, name, sizeof(name))) == -1)
		return 0;
	if (!tmp_write(dfd, backup, data, len, 0600, old, tmp, sizeof(tmp),
	    &st))
		goto out;
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == -1) {
		e = errno;
		if (e != EEXIST || !same_bytes(dfd, name, backup, data, len)) {
			errno = e;
			if (e == EEXIST)
				warnx("%s: already there, and cabundle did not "
				    "make it as the original of %s: refusing to "
				    "adopt it; move it away", backup, target);
			else
				warn("%s: rename", backup);
			(void)unlinkat(dfd, tmp, 0);
			goto out;
		}
		if (renameat(dfd, tmp, dfd, name) == -1) {
			warn("%s: rename", backup);
			(void)unlinkat(dfd, tmp, 0);
			goto out;
		}
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	file_sha256(data, len, id->sha256);
	ok = fsync(dfd) == 0;
	if (!ok)
		warn("%s: fsync of its directory", backup);
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
