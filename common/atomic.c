/*
 * atomic.c - the one way this project replaces a file (SPEC 8 step
 * 11, the export tree, the signing keys): a temporary file in the same
 * directory, made with O_EXCL | O_NOFOLLOW so that nothing planted
 * there is written through, given its mode, written, fsynced, renamed
 * over the name, then the directory fsynced so that the rename
 * survives a crash.  Every reader sees the old bytes or the new ones.
 *
 * Everything works on a directory descriptor and a name in it: the
 * client reaches the directory through safepath_open_parent() (root
 * must not follow what a local user made), the server opens it with
 * atomic_mkdirs().
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"

#define TMP_TRIES	100

/*
 * Fill s with n random letters or digits (no terminator): the unique
 * part of a temporary name.  Returns 1, or 0 without entropy.
 */
int
atomic_suffix(char *s, size_t n)
{
	static const char	 set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char		 r[16];
	size_t			 i;

	if (n > sizeof(r) || getentropy(r, n) == -1)
		return 0;
	for (i = 0; i < n; i++)
		s[i] = set[r[i] % (sizeof(set) - 1)];
	return 1;
}

/*
 * ".name.cabundle-XXXXXX" in tmp (len bytes), the X from
 * atomic_suffix(): hidden from listings and static servers, and
 * recognisable as ours.  Returns 1, or 0 when it does not fit or there
 * is no entropy (no warning).
 */
int
atomic_tmpname(const char *name, char *tmp, size_t len)
{
	size_t	 n;

	if ((n = (size_t)snprintf(tmp, len, ".%s" ATOMIC_TAG "XXXXXX",
	    name)) >= len)
		return 0;
	return atomic_suffix(tmp + n - 6, 6);
}

/*
 * Write all of data to fd, then fsync it.  Returns 1, or 0 after a
 * warning naming path (fd stays open: the caller closes it).
 */
int
atomic_fill(int fd, const char *path, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			warn("%s: write", path);
			return 0;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1) {
		warn("%s: fsync", path);
		return 0;
	}
	return 1;
}

/*
 * A new temporary file beside name in dfd holding f->data, with
 * f->like's mode and owner (else f->mode), fsynced and closed; its name
 * goes to f->tmp and its status to f->st.  A name already taken is
 * never opened (O_EXCL | O_NOFOLLOW).  Returns 1, or 0 after a warning
 * naming f->path, with nothing left behind.
 */
int
atomic_tmp_at(int dfd, const char *name, struct atomic_file *f)
{
	const struct stat	*old = f->like;
	int			 fd = -1, tries, ok = 0;

	for (tries = 0; fd == -1 && tries < TMP_TRIES; tries++) {
		if (!atomic_tmpname(name, f->tmp, sizeof(f->tmp))) {
			warnx("%s: name too long", f->path);
			return 0;
		}
		fd = openat(dfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	if (fd == -1) {
		warn("%s: cannot create a temporary file beside it", f->path);
		return 0;
	}
	if (fchmod(fd, old != NULL ? old->st_mode & 07777 : f->mode) == -1) {
		warn("%s: chmod", f->path);
		goto out;
	}
	/* Root replacing another user's file keeps it theirs. */
	if (old != NULL && (old->st_uid != geteuid() ||
	    old->st_gid != getegid()) &&
	    fchown(fd, old->st_uid, old->st_gid) == -1) {
		warn("%s: cannot keep the owner %u:%u", f->path,
		    (unsigned)old->st_uid, (unsigned)old->st_gid);
		goto out;
	}
	if (!atomic_fill(fd, f->path, f->data, f->len))
		goto out;
	if (fstat(fd, &f->st) == -1) {
		warn("%s", f->path);
		goto out;
	}
	ok = 1;
 out:
	if (close(fd) == -1 && ok) {
		warn("%s: close", f->path);
		ok = 0;
	}
	if (!ok)
		(void)unlinkat(dfd, f->tmp, 0);
	return ok;
}

/*
 * Rename tmp over name in dfd, then fsync dfd.  Returns 1; 0 after a
 * warning naming path: the rename failed (tmp is removed, name is as
 * it was), or the directory could not be synced (renamed, but maybe
 * not durable).
 */
int
atomic_commit_at(int dfd, const char *tmp, const char *name,
    const char *path)
{
	if (renameat(dfd, tmp, dfd, name) == -1) {
		warn("%s: rename", path);
		(void)unlinkat(dfd, tmp, 0);
		return 0;
	}
	if (fsync(dfd) == -1) {
		warn("%s: fsync of its directory", path);
		return 0;
	}
	return 1;
}

/*
 * Replace name in dfd (path in messages) with len bytes of data, mode
 * mode, atomically and durably.  A link at name is replaced, never
 * followed.  Returns 1, or 0 after a warning naming path and the step,
 * with name as it was.
 */
int
atomic_write_at(int dfd, const char *name, const char *path,
    const void *data, size_t len, mode_t mode)
{
	struct atomic_file	 f;

	memset(&f, 0, sizeof(f));
	f.path = path;
	f.data = data;
	f.len = len;
	f.mode = mode;
	return atomic_tmp_at(dfd, name, &f) &&
	    atomic_commit_at(dfd, f.tmp, name, path);
}

/*
 * mkdir -p: make every missing directory of dir (relative to dfd, or
 * absolute), each with mode, and open it.  Links on the way are
 * followed, as mkdir(1) does: callers that must not follow one check
 * the path first (the export) or walk it with safepath (the client).
 * Returns a descriptor of dir for the caller to close, or -1 after a
 * warning naming the directory that could not be made or opened.
 */
int
atomic_mkdirs(int dfd, const char *dir, mode_t mode)
{
	char	 p[PATH_MAX], *s;
	int	 fd;

	if (*dir == '\0' || snprintf(p, sizeof(p), "%s", dir) >=
	    (int)sizeof(p)) {
		warnx("%s: not a directory path we can use", dir);
		return -1;
	}
	for (s = p + 1; ; s++) {
		if ((s = strchr(s, '/')) != NULL)
			*s = '\0';
		if (mkdirat(dfd, p, mode) == -1 && errno != EEXIST) {
			warn("%s", p);
			return -1;
		}
		if (s == NULL)
			break;
		*s = '/';
	}
	if ((fd = openat(dfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		warn("%s", dir);
	return fd;
}
