/*
 * python.c - ask a Python interpreter: "python -c PROG [ARG]" without a
 * shell, standard input /dev/null, standard error shared, and at most
 * the output buffer's cap of what it prints.
 *
 * Not isolated (-I): the answer must be the one that interpreter gives
 * the user's programs, with their PYTHONPATH and user site-packages.
 * What PY_NOCWD drops is the current directory, which "-c" puts first
 * on sys.path: a certifi.py lying wherever cabundle runs (as root)
 * must not be imported.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "extern.h"

extern char **environ;

/*
 * Run python with prog and arg (NULL: none); what it prints goes to
 * out, whose cap applies.  Returns 1 when it exited 0; else 0 with why
 * set: it did not start, printed more than out's cap (it is killed),
 * or failed.
 */
int
python_run(const char *python, const char *prog, const char *arg,
    struct buf *out, char *why, size_t whylen)
{
	posix_spawn_file_actions_t	 fa;
	char				 chunk[4096];
	char				*args[] = { (char *)python, "-c",
					    (char *)prog, (char *)arg, NULL };
	ssize_t				 n;
	pid_t				 pid = -1;
	int				 fds[2] = { -1, -1 }, st, e, fa_ok = 0;
	int				 ok = 0;

	if (pipe(fds) == -1 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fds[1], F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		goto out;
	}
	/* dup2 clears close-on-exec on the child's stdout only. */
	if ((e = posix_spawn_file_actions_init(&fa)) == 0) {
		fa_ok = 1;
		if ((e = posix_spawn_file_actions_adddup2(&fa, fds[1], 1)) == 0)
			e = posix_spawn_file_actions_addopen(&fa, 0,
			    "/dev/null", O_RDONLY, 0);
	}
	if (e != 0 || (e = posix_spawnp(&pid, python, &fa, NULL, args,
	    environ)) != 0) {
		pid = -1;
		snprintf(why, whylen, "cannot run it: %s", strerror(e));
		goto out;
	}
	close(fds[1]);
	fds[1] = -1;
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(why, whylen, "read: %s", strerror(errno));
			goto out;
		}
		if (!buf_append(out, chunk, (size_t)n)) {
			snprintf(why, whylen, "printed more than %zu bytes",
			    out->max);
			goto out;	/* and is killed there */
		}
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(why, whylen, "it failed (%s %d)", WIFEXITED(st) ?
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
	if (fds[0] != -1)
		close(fds[0]);
	if (fds[1] != -1)
		close(fds[1]);
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	return ok;
}
