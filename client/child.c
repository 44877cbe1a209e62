/*
 * child.c - run a program and take what it prints: posix_spawn, no
 * shell, a few bytes on its standard input, its standard output into
 * a capped buffer, standard error shared.  python.c asks interpreters
 * with it, system.c runs update-ca-certificates and debconf.  hook.c
 * runs --then commands its own way (process group, timeout).
 */
#define _GNU_SOURCE		/* pipe2 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "extern.h"

/*
 * Run prog (searched in PATH only when it holds no slash) with argv
 * and envp.  Its standard input is inlen bytes of in (in NULL:
 * /dev/null), its standard output goes to out, whose cap applies (out
 * NULL: /dev/null), its standard error is ours.  It inherits no other
 * descriptor of ours (close-on-exec) and gets the default SIGPIPE.
 * Refuses more than PIPE_BUF bytes of input: all of it is written
 * before any output is read, so it must fit the pipe at once.
 * Returns 1 when it exited 0; else 0 with why set: it did not start,
 * could not be fed or read, printed more than out's cap (it is killed
 * then), or failed.  Nothing is allocated but in out, which the caller
 * frees.
 */
int
child_run(const char *prog, char *const argv[], char *const envp[],
    const void *in, size_t inlen, struct buf *out, char *why,
    size_t whylen)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 sa;
	struct sigaction		 ign, opipe;
	sigset_t			 def;
	char				 chunk[4096];
	int				 ip[2] = { -1, -1 }, op[2] = { -1, -1 };
	int				 e, st, ok = 0, fa_ok = 0, sa_ok = 0;
	ssize_t				 n;
	pid_t				 pid = -1;

	if (in != NULL && inlen > PIPE_BUF) {
		snprintf(why, whylen, "%zu bytes of input is too many",
		    inlen);
		return 0;
	}
	if ((in != NULL && pipe2(ip, O_CLOEXEC) == -1) ||
	    (out != NULL && pipe2(op, O_CLOEXEC) == -1)) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		goto out;
	}
	/* dup2 clears close-on-exec on the child's copy only. */
	if ((e = posix_spawn_file_actions_init(&fa)) == 0) {
		fa_ok = 1;
		e = in != NULL ? posix_spawn_file_actions_adddup2(&fa, ip[0],
		    0) : posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
		    O_RDONLY, 0);
		if (e == 0)
			e = out != NULL ? posix_spawn_file_actions_adddup2(&fa,
			    op[1], 1) : posix_spawn_file_actions_addopen(&fa,
			    1, "/dev/null", O_WRONLY, 0);
	}
	/* doctor ignores SIGPIPE; what we run must not inherit that. */
	if (e == 0 && (e = posix_spawnattr_init(&sa)) == 0) {
		sa_ok = 1;
		sigemptyset(&def);
		sigaddset(&def, SIGPIPE);
		if ((e = posix_spawnattr_setsigdefault(&sa, &def)) == 0)
			e = posix_spawnattr_setflags(&sa,
			    POSIX_SPAWN_SETSIGDEF);
	}
	if (e != 0 || (e = posix_spawnp(&pid, prog, &fa, &sa, argv,
	    envp)) != 0) {
		pid = -1;
		snprintf(why, whylen, "cannot run it: %s", strerror(e));
		goto out;
	}
	if (in != NULL) {
		close(ip[0]);
		ip[0] = -1;
		/*
		 * At most PIPE_BUF bytes into an empty pipe: one write,
		 * whole.  A child that is already gone is EPIPE, not a
		 * signal that kills us.
		 */
		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		sigemptyset(&ign.sa_mask);
		(void)sigaction(SIGPIPE, &ign, &opipe);
		while ((n = write(ip[1], in, inlen)) == -1 && errno == EINTR)
			;
		e = errno;
		(void)sigaction(SIGPIPE, &opipe, NULL);
		if (n != (ssize_t)inlen) {
			snprintf(why, whylen, "write: %s", n == -1 ?
			    strerror(e) : "short");
			goto out;
		}
		close(ip[1]);
		ip[1] = -1;
	}
	if (out != NULL) {
		close(op[1]);
		op[1] = -1;
		while ((n = read(op[0], chunk, sizeof(chunk))) != 0) {
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				snprintf(why, whylen, "read: %s",
				    strerror(errno));
				goto out;
			}
			if (!buf_append(out, chunk, (size_t)n)) {
				snprintf(why, whylen,
				    "printed more than %zu bytes", out->max);
				goto out;	/* and is killed there */
			}
		}
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(why, whylen, "failed (%s %d)", WIFEXITED(st) ?
		    "exit status" : "signal", WIFEXITED(st) ?
		    WEXITSTATUS(st) : WTERMSIG(st));
		goto out;
	}
	ok = 1;
 out:
	if (pid != -1) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
	}
	if (ip[0] != -1)
		close(ip[0]);
	if (ip[1] != -1)
		close(ip[1]);
	if (op[0] != -1)
		close(op[0]);
	if (op[1] != -1)
		close(op[1]);
	if (sa_ok)
		posix_spawnattr_destroy(&sa);
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	return ok;
}
