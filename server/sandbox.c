/*
 * sandbox.c - what serve's processes give up once they hold what they
 * need.  As root, the HTTP process and the signer become [serve] user
 * (all ids and groups, checked afterwards).  The signer then installs
 * a seccomp filter that lets it read, write, map memory and tell the
 * time, and nothing else: no socket, no connect, no exec, no new file.
 */
#define _GNU_SOURCE	/* setresuid(2) */

#include <sys/prctl.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
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
