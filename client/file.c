/*
 * file.c - replacing a file so that every reader, and every crash,
 * sees the old bytes or the new ones and never anything between:
 * a temporary file in the same directory, write, fsync, rename over
 * the target, fsync of the directory (SPEC 8 step 11).
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "extern.h"

static int
dir_of(const char *path, char *dir, size_t len)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return snprintf(dir, len, ".") < (int)len;
	if (slash == path)
		return snprintf(dir, len, "/") < (int)len;
	return snprintf(dir, len, "%.*s", (int)(slash - path), path) <
	    (int)len;
}

/* fsync the directory holding path.  Returns 1, or 0 after a warning. */
int
file_syncdir(const char *path)
{
	char	 dir[PATH_MAX];
	int	 fd, ok;

	if (!dir_of(path, dir, sizeof(dir))) {
		warnx("%s: path too long", path);
		return 0;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		warn("%s", dir);
		return 0;
	}
	if (!(ok = fsync(fd) == 0))
		warn("%s: fsync", dir);
	close(fd);
	return ok;
}

/* Create path's parent directory (0755) if missing.  Returns 1 or 0. */
int
file_mkparent(const char *path)
{
	char	 dir[PATH_MAX], *p;
	int	 end;

	if (!dir_of(path, dir, sizeof(dir))) {
		warnx("%s: path too long", path);
		return 0;
	}
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		end = *p == '\0';
		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			warn("%s", dir);
			return 0;
		}
		if (end)
			break;
		*p = '/';
	}
	return 1;
}

/*
 * Replace path with len bytes of data, atomically and durably.  The
 * new file gets old's mode and owner when old is given (the file being
 * replaced), else mode.  Returns 1, or 0 after a warning naming the
 * file and the step (the temporary file is removed; path is as it
 * was).
 */
int
file_replace(const char *path, const void *data, size_t len, mode_t mode,
    const struct stat *old)
{
	char		 tmp[PATH_MAX];
	const char	*p = data;
	ssize_t		 n;
	int		 fd, ok = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.cabundle-XXXXXX", path) >=
	    (int)sizeof(tmp)) {
		warnx("%s: path too long", path);
		return 0;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		warn("%s: cannot create a temporary file beside it", path);
		return 0;
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (fchmod(fd, old != NULL ? old->st_mode & 07777 : mode) == -1) {
		warn("%s: chmod", tmp);
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
			warn("%s: write", tmp);
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1) {
		warn("%s: fsync", tmp);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		warn("%s: close", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		warn("%s: rename", path);
		goto out;
	}
	ok = 1;
	if (!file_syncdir(path))
		ok = 0;		/* renamed, but maybe not durable */
 out:
	if (fd != -1)
		close(fd);
	if (!ok)
		unlink(tmp);
	return ok;
}

/*
 * Read path (at most max bytes) into b with its stat in st.  Returns
 * 1; 0 after a warning (missing, not a regular file, too large).
 */
int
file_read(const char *path, size_t max, struct buf *b, struct stat *st)
{
	buf_init(b, max);
	if (stat(path, st) == -1) {
		warn("%s", path);
		return 0;
	}
	if (!buf_readfile(b, path)) {
		buf_free(b);
		return 0;
	}
	return 1;
}
