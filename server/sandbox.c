/*
 * sandbox.c - what serve's processes give up once they hold what they
 * need.  As root, the HTTP process and the signer become [serve] user
 * (all ids and groups, checked afterwards).  The signer then installs
 * a seccomp filter that lets it read, write, map memory and tell the
 * time, and nothing else: no socket, no connect, no exec, no new file.
 * A fetch round, which parses what the network sends, keeps its user
 * (it writes the database) but loses the data directory but for the
 * database's files, keys/ included, through Landlock.
 */
#define _GNU_SOURCE	/* setresuid(2) */

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/landlock.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

/*
 * When running as root, become user (its uid, its primary group and no
 * other).  Returns 1 (also when not root, or when the user does not
 * exist and required is 0), or 0 after a warning.
 */
int
sandbox_user(const char *user, int required)
{
	struct passwd	*pw;
	uid_t		 r, e, s;
	gid_t		 g;

	if (geteuid() != 0)
		return 1;
	if ((pw = getpwnam(user)) == NULL) {
		if (!required)
			return 1;
		warnx("[serve] user %s: no such user; create it (useradd "
		    "--system --home-dir /nonexistent --shell "
		    "/usr/sbin/nologin %s) or name another", user, user);
		return 0;
	}
	if (pw->pw_uid == 0) {
		warnx("[serve] user %s: is root; name an unprivileged user",
		    user);
		return 0;
	}
	g = pw->pw_gid;
	if (setgroups(1, &g) == -1 || setresgid(g, g, g) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		warn("[serve] user %s", user);
		return 0;
	}
	if (getresuid(&r, &e, &s) == -1 || r != pw->pw_uid ||
	    e != pw->pw_uid || s != pw->pw_uid || setuid(0) != -1) {
		warnx("[serve] user %s: the switch did not hold", user);
		return 0;
	}
	return 1;
}

/* What the signer's loop calls: SQLite reads, OpenSSL, the socket. */
static const int signer_calls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(sendto), SCMP_SYS(recvfrom),
	SCMP_SYS(pread64), SCMP_SYS(lseek), SCMP_SYS(close),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
	SCMP_SYS(fcntl), SCMP_SYS(mmap), SCMP_SYS(munmap),
	SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(mprotect),
	SCMP_SYS(brk), SCMP_SYS(futex), SCMP_SYS(clock_gettime),
	SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(getrandom),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(sched_yield), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* Files the signer does not open say so; they do not kill it. */
static const int signer_refused[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(access),
	SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(stat),
	SCMP_SYS(lstat), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
};

/*
 * No new privileges, no core dump or ptrace by the same user, and a
 * seccomp filter that kills the process on any call not listed above.
 * Returns 1, or 0 after a warning.
 */
int
sandbox_signer(void)
{
	scmp_filter_ctx	 ctx;
	size_t		 i;
	int		 rc = -1;

	if (prctl(PR_SET_DUMPABLE, 0) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		warn("prctl");
		return 0;
	}
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		warnx("seccomp_init failed");
		return 0;
	}
	for (i = 0; i < sizeof(signer_calls) / sizeof(signer_calls[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    signer_calls[i], 0)) < 0)
			goto out;
	for (i = 0; i < sizeof(signer_refused) / sizeof(signer_refused[0]);
	    i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    signer_refused[i], 0)) < 0)
			goto out;
	rc = seccomp_load(ctx);
 out:
	if (rc < 0)
		warnx("seccomp: %s", strerror(-rc));
	seccomp_release(ctx);
	return rc == 0;
}

#define LL_FILE	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_READ_FILE)
#define LL_ALL	(LL_FILE | LANDLOCK_ACCESS_FS_READ_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | \
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
	LANDLOCK_ACCESS_FS_MAKE_SYM)

/* Allow everything (a directory) or the file rights (anything else). */
static int
ll_allow(int ruleset, int dirfd, const char *name, uint64_t all)
{
	struct landlock_path_beneath_attr pb;
	struct stat	 sb;
	int		 fd, rc;

	if ((fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT;
	if (fstat(fd, &sb) == -1 || S_ISLNK(sb.st_mode)) {
		/* A link leads somewhere the rules already cover, or not. */
		close(fd);
		return 1;
	}
	pb.allowed_access = S_ISDIR(sb.st_mode) ? all : LL_FILE;
	pb.parent_fd = fd;
	rc = (int)syscall(SYS_landlock_add_rule, ruleset,
	    LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(fd);
	return rc == 0;
}

/*
 * Allow every entry of directory path but skip (and, for skip NULL,
 * every entry but the names in keep).
 */
static int
ll_allow_dir(int ruleset, const char *path, const char *skip,
    const char *const *keep, uint64_t all)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 i;
	int		 ok = 1, take;

	if ((d = opendir(path)) == NULL) {
		warn("%s", path);
		return 0;
	}
	while (ok && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (skip != NULL)
			take = strcmp(de->d_name, skip) != 0;
		else
			for (take = 0, i = 0; keep[i] != NULL; i++)
				take |= strcmp(de->d_name, keep[i]) == 0;
		if (take && !ll_allow(ruleset, dirfd(d), de->d_name, all)) {
			warn("landlock: %s/%s", path, de->d_name);
			ok = 0;
		}
	}
	closedir(d);
	return ok;
}

/*
 * Landlock (Linux 5.13): from now on this process and its children may
 * reach everything on the file system as before except directory dir,
 * where only the entries named in keep (NULL-terminated) stay within
 * reach; what is open stays open.  Entries created later in a directory
 * on the way to dir are out of reach too.  Returns 1 (also on a kernel
 * without Landlock, saying so once), or 0 after a warning.
 */
int
sandbox_hide(const char *dir, const char *const *keep)
{
	struct landlock_ruleset_attr ra;
	char		*real = NULL, *p, *slash;
	uint64_t	 all = LL_ALL;
	int		 abi, ruleset = -1, rc, ok = 0;

	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		warnx("this kernel has no Landlock: the fetcher can reach "
		    "%s", dir);
		return 1;
	}
	if (abi >= 2)
		all |= LANDLOCK_ACCESS_FS_REFER;
	memset(&ra, 0, sizeof(ra));
	ra.handled_access_fs = all;
	if ((real = realpath(dir, NULL)) == NULL) {
		warn("%s", dir);
		return 0;
	}
	if ((ruleset = (int)syscall(SYS_landlock_create_ruleset, &ra,
	    sizeof(ra), 0)) == -1) {
		warn("landlock_create_ruleset");
		goto out;
	}
	if (real[1] == '\0') {
		warnx("%s: cannot hide the root directory", dir);
		goto out;
	}
	/* "/a/b/dir": "/" but a, "/a" but b, "/a/b" but dir, then dir. */
	for (p = real; p != NULL; p = slash) {
		if ((slash = strchr(p + 1, '/')) != NULL)
			*slash = '\0';
		*p = '\0';
		rc = ll_allow_dir(ruleset, p == real ? "/" : real, p + 1, NULL,
		    all);
		*p = '/';
		if (slash != NULL)
			*slash = '/';
		if (!rc)
			goto out;
	}
	if (!ll_allow_dir(ruleset, real, NULL, keep, all))
		goto out;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) == -1) {
		warn("landlock_restrict_self");
		goto out;
	}
	ok = 1;
 out:
	if (ruleset != -1)
		close(ruleset);
	free(real);
	return ok;
}
