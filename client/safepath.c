/*
 * safepath.c - reaching a file as root without following anything a
 * local user made (SECURITY.md, "Local attackers").
 *
 * A path is walked from "/" one component at a time, each directory
 * opened with O_NOFOLLOW | O_DIRECTORY and checked on its descriptor:
 * owned by root (or, when not running as root, by us) and writable by
 * nobody else, unless it is a sticky directory owned by root, which
 * protects the entries of others from us and ours from them.  A
 * symbolic link on the way is followed only when such a directory
 * holds it and root (or we) made it; the last component is never
 * followed: callers use the parent's descriptor and the name with the
 * *at() calls.  This is what systemd-tmpfiles and OpenSSH's
 * safe_path() check, done on descriptors so that nothing can be
 * swapped between the check and the use.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "extern.h"

#define HOPS_MAX	40	/* as the kernel's MAXSYMLINKS */
#define RULE		"(SECURITY.md: local attackers)"

static int	 quiet;		/* doctor: keep the why, print nothing */
static char	 lastwhy[1024];

/* The checks' warnings (warnx(3)'s), kept for safepath_why(). */
void
safepath_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(lastwhy, sizeof(lastwhy), fmt, ap);
	va_end(ap);
	if (!quiet)
		warnx("%s", lastwhy);
}

/* The same with ": strerror(errno)" after it, as warn(3). */
void
safepath_warn(const char *fmt, ...)
{
	char	 msg[sizeof(lastwhy)];
	va_list	 ap;
	int	 e = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	safepath_warnx("%s: %s", msg, strerror(e));
	errno = e;
}

/*
 * Quiet (on: 1): the checks print nothing and keep their last warning
 * for safepath_why(), for doctor to show as its own.  Returns nothing.
 */
void
safepath_quiet(int on)
{
	quiet = on;
	if (on)
		lastwhy[0] = '\0';
}

/* The last warning of a check (borrowed; "" when none). */
const char *
safepath_why(void)
{
	return lastwhy;
}

/* The rule's verdict on one directory or file: NULL when it passes. */
static const char *
rule_why(const struct stat *st, char *why, size_t len)
{
	uid_t	 me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me) {
		snprintf(why, len, "writable by uid %u (owner)",
		    (unsigned)st->st_uid);
		return why;
	}
	/* Sticky and root's: others cannot rename or remove our names. */
	if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) &&
	    st->st_uid == 0)
		return NULL;
	if (st->st_mode & S_IWGRP) {
		snprintf(why, len, "writable by group %u",
		    (unsigned)st->st_gid);
		return why;
	}
	if (st->st_mode & S_IWOTH) {
		snprintf(why, len, "writable by others");
		return why;
	}
	return NULL;
}

/*
 * Apply the ownership rule to st, the status of path, before doing
 * what doing says ("write as root there", "believe it").  Returns 1
 * when it passes; 0 after a warning naming path and the rule.
 */
int
safepath_rule_for(const struct stat *st, const char *path,
    const char *doing)
{
	char	 why[64];

	if (rule_why(st, why, sizeof(why)) == NULL)
		return 1;
	if (geteuid() == 0)
		safepath_warnx("%s: %s, refusing to %s " RULE, path, why, doing);
	else
		safepath_warnx("%s: %s, refusing to %s (uid %u) " RULE, path, why,
		    doing, (unsigned)geteuid());
	return 0;
}

/* The rule for a directory we write into.  Returns 1, or 0 (warned). */
int
safepath_rule(const struct stat *st, const char *path)
{
	return safepath_rule_for(st, path, geteuid() == 0 ?
	    "write as root there" : "write there");
}

/* Open component name of dfd, making it when asked; -1 with errno. */
static int
open_dir(int dfd, const char *name, int flags)
{
	int	 fd;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && (flags & SP_MKDIR)) {
		if (mkdirat(dfd, name, 0755) == -1 && errno != EEXIST)
			return -1;
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	return fd;
}

/*
 * buf holds the path being walked, cut at *s (the component at p is a
 * symbolic link in directory dfd).  Put the link's text in its place
 * when root or we made it.  Returns 1, or 0 after a warning.
 */
static int
link_splice(int dfd, char *buf, size_t len, char *p, char *s)
{
	char		 link[PATH_MAX], rest[PATH_MAX];
	struct stat	 st;
	ssize_t		 n;

	if (fstatat(dfd, p, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISLNK(st.st_mode)) {
		safepath_warnx("%s: not a directory", buf);
		return 0;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		safepath_warnx("%s: a symbolic link made by uid %u, refusing to follow "
		    "it " RULE, buf, (unsigned)st.st_uid);
		return 0;
	}
	if ((n = readlinkat(dfd, p, link, sizeof(link) - 1)) <= 0) {
		safepath_warn("%s", buf);
		return 0;
	}
	link[n] = '\0';
	snprintf(rest, sizeof(rest), "%s", s == NULL ? "" : s + 1);
	*p = '\0';
	if ((link[0] == '/' ? snprintf(buf, len, "%s/%s", link, rest) :
	    snprintf(buf + strlen(buf), len - strlen(buf), "%s/%s", link,
	    rest)) >= (int)len) {
		safepath_warnx("%s: path too long", link);
		return 0;
	}
	return 1;
}

/*
 * Walk path from "/" (see above) and return a descriptor of its parent
 * directory, with the last component in name (namelen bytes).  flags:
 * SP_MKDIR creates missing directories (0755).  Returns -1 after a
 * warning naming the directory and the rule it breaks: a relative
 * path, "." or "..", a directory writable by another user, a link
 * another user made; or -1 with errno ENOENT and no warning when a
 * directory is missing.  The caller closes the descriptor.
 */
int
safepath_open_parent(const char *path, int flags, char *name,
    size_t namelen)
{
	char		 buf[PATH_MAX];
	char		*p, *s;
	struct stat	 st;
	int		 fd = -1, nfd, hops = 0;

	if (*path != '/' || snprintf(buf, sizeof(buf), "%s", path) >=
	    (int)sizeof(buf)) {
		safepath_warnx("%s: not an absolute path", path);
		errno = EPERM;
		return -1;
	}
 again:
	if ((fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		safepath_warn("/");
		goto fail;
	}
	if (!safepath_rule(&st, "/"))
		goto fail;
	for (p = buf + 1; ; p = s + 1) {
		while (*p == '/')
			p++;
		s = strchr(p, '/');
		if (s != NULL)
			*s = '\0';
		if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0 ||
		    (s == NULL && *p == '\0')) {
			safepath_warnx("%s: not a plain path (\".\", \"..\" or a "
			    "trailing slash)", path);
			goto fail;
		}
		if (s == NULL)
			break;
		if ((nfd = open_dir(fd, p, flags)) == -1) {
			if (errno == ENOENT) {
				close(fd);
				errno = ENOENT;	/* the caller says so */
				return -1;
			}
			if ((errno != ELOOP && errno != ENOTDIR) ||
			    ++hops > HOPS_MAX) {
				safepath_warn("%s", buf);
				goto fail;
			}
			if (!link_splice(fd, buf, sizeof(buf), p, s))
				goto fail;
			close(fd);
			goto again;
		}
		close(fd);
		fd = nfd;
		if (fstat(fd, &st) == -1) {
			safepath_warn("%s", buf);
			goto fail;
		}
		if (!safepath_rule(&st, buf))
			goto fail;
		*s = '/';
	}
	if (snprintf(name, namelen, "%s", p) >= (int)namelen) {
		safepath_warnx("%s: name too long", path);
		goto fail;
	}
	return fd;
 fail:
	if (fd != -1)
		close(fd);
	errno = EPERM;	/* warned; never ENOENT, which means "missing" */
	return -1;
}

/*
 * Read name in dfd (path for messages) into b, at most b's cap, with
 * its status in st; never through a symbolic link, never blocking on
 * a FIFO.  Returns 1; 0 with errno ENOENT when it is missing (no
 * warning), or 0 after a warning: a link, not a regular file, too
 * large, unreadable.
 */
int
safepath_readat(int dfd, const char *name, const char *path,
    struct buf *b, struct stat *st)
{
	unsigned char	 chunk[65536];
	ssize_t		 n;
	int		 fd, e, ok = 0;

	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		e = errno;
		if (e == ELOOP)
			safepath_warnx("%s: a symbolic link, refusing to follow it "
			    RULE, path);
		else if (e != ENOENT)
			safepath_warn("%s", path);
		errno = e;
		return 0;
	}
	if (fstat(fd, st) == -1) {
		safepath_warn("%s", path);
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		safepath_warnx("%s: not a regular file", path);
		goto out;
	}
	if (!buf_append(b, "", 0))
		goto out;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			safepath_warn("%s", path);
			goto out;
		}
		if (!buf_append(b, chunk, (size_t)n)) {
			safepath_warnx("%s: larger than %zu bytes", path, b->max);
			goto out;
		}
	}
	ok = 1;
 out:
	close(fd);
	errno = 0;
	return ok;
}

/*
 * A file to be believed or run as it is (the state, the configuration,
 * an interpreter): every directory on the way and the file itself pass
 * the rule, and the file is a regular file.  Returns 1, or 0 after a
 * warning naming what fails; missing is 0 with errno ENOENT and no
 * warning.
 */
int
safepath_trusted(const char *path, const char *doing)
{
	char		 name[NAME_MAX + 1];
	struct stat	 st;
	int		 dfd, ok = 0;

	if ((dfd = safepath_open_parent(path, 0, name, sizeof(name))) == -1)
		return 0;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			safepath_warn("%s", path);
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		safepath_warnx("%s: a symbolic link, refusing to follow it " RULE,
		    path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		safepath_warnx("%s: not a regular file", path);
		goto out;
	}
	ok = safepath_rule_for(&st, path, doing);
 out:
	close(dfd);
	return ok;
}
