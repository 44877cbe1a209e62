/*
 * hook.c - "install --then COMMAND": commands run after a change was
 * installed, so that a service reloads the bundle it holds.
 *
 * No shell unless asked.  COMMAND is split into words here, by these
 * rules and no others: blanks (space, tab) separate words; '...' is
 * taken as it is; in "..." a backslash keeps the next " or \; outside
 * quotes a backslash keeps the next character.  Nothing else means
 * anything: no globbing, no variables, no ;, |, $(...) or redirection.
 * "sh:COMMAND" runs /bin/sh -c COMMAND, for those who want all that.
 *
 * The program is an absolute path, never looked up in PATH: what runs
 * is what the configuration names.  As root, the file that path
 * resolves to must be a regular file that no other user could have
 * changed, on a path whose directories pass the ownership rule
 * (safepath_trusted, as target.c checks an interpreter), and that
 * resolved file is what runs.  It runs in its own process group with a fixed
 * environment (PATH and the CABUNDLE_* variables, nothing inherited: no
 * LD_*), standard input /dev/null, standard output on our standard
 * error (--json keeps standard output), and is killed, with its
 * group, after --then-timeout seconds.
 */
#define _GNU_SOURCE		/* close_range */
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "extern.h"

#define HOOK_WORDS	64
#define HOOK_SHELL	"/bin/sh"
#define HOOK_PATH	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:" \
			"/usr/bin:/sbin:/bin"
#define RUN_AS_ROOT	"run it as root"

/* One command, split: words point into buf; prog is what runs. */
struct hookcmd {
	char	 prog[PATH_MAX];
	char	 buf[4096];
	char	*argv[HOOK_WORDS + 1];
	size_t	 argc;
};

/*
 * Split cmd into h by the rules above ("sh:" gives /bin/sh -c REST).
 * Returns NULL, or why it is refused: empty, an open quote, a trailing
 * backslash, too long or too many words, or a program that is not an
 * absolute path.
 */
static const char *
hook_split(const char *cmd, struct hookcmd *h)
{
	const char	*p;
	char		*o = h->buf, *end = h->buf + sizeof(h->buf) - 1;
	char		 q = 0;
	int		 inword = 0;

	memset(h, 0, sizeof(*h));
	if (strncmp(cmd, "sh:", 3) == 0) {
		if (strlen(cmd + 3) >= sizeof(h->buf))
			return "too long";
		if (cmd[3 + strspn(cmd + 3, " \t")] == '\0')
			return "no command after sh:";
		snprintf(h->buf, sizeof(h->buf), "%s", cmd + 3);
		h->argv[0] = HOOK_SHELL;
		h->argv[1] = "-c";
		h->argv[2] = h->buf;
		h->argc = 3;
		return NULL;
	}
	for (p = cmd; *p != '\0'; p++) {
		if (q == 0 && (*p == ' ' || *p == '\t')) {
			if (inword) {
				*o++ = '\0';
				inword = 0;
			}
			continue;
		}
		if (o >= end)
			return "too long";
		if (!inword) {
			if (h->argc == HOOK_WORDS)
				return "too many words";
			h->argv[h->argc++] = o;
			inword = 1;
		}
		if (q == 0 && (*p == '\'' || *p == '"')) {
			q = *p;
			continue;
		}
		if (q != 0 && *p == q) {
			q = 0;
			continue;
		}
		if (*p == '\\' && q != '\'' && (q == 0 || p[1] == '"' ||
		    p[1] == '\\')) {
			if (*++p == '\0')
				return "a backslash at the end";
		}
		*o++ = *p;
	}
	if (q != 0)
		return "a quote is not closed";
	*o = '\0';
	if (h->argc == 0)
		return "no command";
	if (h->argv[0][0] != '/')
		return "the program must be an absolute path (no PATH search)";
	return NULL;
}

/*
 * The program of h into h->prog.  As root, that is the file its path
 * resolves to (/bin/sh: /usr/bin/dash), which must pass the ownership
 * rule: what runs is that file, not a link that could change after
 * this check.  Returns 1, or 0 after a warning naming cmd.
 */
static int
hook_trusted(const char *cmd, struct hookcmd *h)
{
	if (geteuid() != 0)
		return snprintf(h->prog, sizeof(h->prog), "%s", h->argv[0]) <
		    (int)sizeof(h->prog);
	if (realpath(h->argv[0], h->prog) == NULL) {
		warn("--then %s: %s", cmd, h->argv[0]);
		return 0;
	}
	if (safepath_trusted(h->prog, RUN_AS_ROOT))
		return 1;
	warnx("--then %s: not run as root: another user could have changed "
	    "%s", cmd, h->prog);
	return 0;
}

/*
 * Check every command of cmds before anything is installed: each
 * splits, and as root its program passes the ownership rule.  Returns
 * 1, or 0 after a warning naming the command.
 */
int
hooks_check(char *const *cmds, size_t n)
{
	struct hookcmd	*h;
	const char	*why;
	size_t		 i;
	int		 ok = 0;

	if ((h = malloc(sizeof(*h))) == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if ((why = hook_split(cmds[i], h)) != NULL) {
			warnx("--then %s: %s", cmds[i], why);
			goto out;
		}
		if (!hook_trusted(cmds[i], h))
			goto out;
	}
	ok = 1;
 out:
	free(h);
	return ok;
}

/* "name=value", malloc'd; NULL when out of memory. */
static char *
env_pair(const char *name, const char *value)
{
	char	*s;
	size_t	 len = strlen(name) + strlen(value) + 2;

	if ((s = malloc(len)) != NULL)
		snprintf(s, len, "%s=%s", name, value);
	return s;
}

/*
 * The environment of every hook into env (6 slots, NULL-terminated):
 * a fixed PATH and what was installed.  Returns 1, or 0 when out of
 * memory; hook_env_free() frees it either way.
 */
static int
hook_env(char *env[6], const struct hookrun *hr)
{
	struct buf	 list;
	char		 ver[32];
	size_t		 i;

	memset(env, 0, 6 * sizeof(env[0]));
	buf_init(&list, SIZE_MAX);
	for (i = 0; i < hr->ntargets; i++)
		if (!buf_printf(&list, "%s%s", i > 0 ? "\n" : "",
		    hr->targets[i])) {
			buf_free(&list);
			return 0;
		}
	snprintf(ver, sizeof(ver), "%llu", (unsigned long long)hr->version);
	env[0] = strdup(HOOK_PATH);
	env[1] = env_pair("CABUNDLE_PROFILE", hr->profile);
	env[2] = env_pair("CABUNDLE_VERSION", ver);
	env[3] = env_pair("CABUNDLE_SHA256", hr->sha256);
	env[4] = env_pair("CABUNDLE_TARGETS", list.len > 0 ?
	    (const char *)list.data : "");
	buf_free(&list);
	for (i = 0; i < 5; i++)
		if (env[i] == NULL)
			return 0;
	return 1;
}

static void
hook_env_free(char *env[6])
{
	size_t	 i;

	for (i = 0; i < 6; i++)
		free(env[i]);
}

/* Sleep ms milliseconds. */
static void
nap(long ms)
{
	struct timespec	 ts = { 0, ms * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static double
mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Run one command h, waiting at most timeout seconds.  Returns the
 * wait(2) status, with *timed_out set when it was killed for the
 * time; -1 after a warning when it could not be started.
 */
static int
hook_exec(struct hookcmd *h, char *const env[], long timeout,
    int *timed_out)
{
	double	 deadline = mono() + (double)timeout;
	pid_t	 pid, w;
	int	 st, fd;

	*timed_out = 0;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		warn("fork");
		return -1;
	}
	if (pid == 0) {
		(void)setpgid(0, 0);
		if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(fd, 0) == -1 || dup2(2, 1) == -1)
			_exit(127);
		(void)close_range(3, ~0U, 0);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGXFSZ, SIG_DFL);
		execve(h->prog, h->argv, env);
		dprintf(2, "cabundle: %s: %s\n", h->argv[0], strerror(errno));
		_exit(127);
	}
	(void)setpgid(pid, pid);	/* whichever of us comes first */
	for (;;) {
		if ((w = waitpid(pid, &st, WNOHANG)) == pid)
			return st;
		if (w == -1 && errno != EINTR) {
			warn("waitpid");
			return -1;
		}
		if (mono() >= deadline)
			break;
		nap(10);
	}
	*timed_out = 1;
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);	/* should its group not be its own */
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	return st;
}

/*
 * Run hr's commands in order, every one of them whatever the others
 * did: each reloads its own service, and one that fails must not keep
 * the next on the old bundle.  Each is reported on standard error (a
 * success only when not quiet) and in report (a JSON array, appended
 * to: command, exit, signal, timed_out).  Returns 1 when every command
 * exited 0, else 0.
 */
int
hooks_run(const struct hookrun *hr, json_t *report)
{
	struct hookcmd	*h;
	char		*env[6];
	size_t		 i;
	int		 st, to, ok = 1, good;

	h = malloc(sizeof(*h));
	if (!hook_env(env, hr) || h == NULL) {
		warnx("then: out of memory");
		free(h);
		hook_env_free(env);
		return 0;
	}
	for (i = 0; i < hr->ncmds; i++) {
		to = 0;
		st = -1;
		/* Checked before the install; once more before it runs. */
		if (hook_split(hr->cmds[i], h) == NULL &&
		    hook_trusted(hr->cmds[i], h))
			st = hook_exec(h, env, hr->timeout, &to);
		good = st != -1 && !to && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0;
		ok &= good;
		if (to)
			warnx("then: %s: killed after %ld seconds (the "
			    "release stays installed)", hr->cmds[i],
			    hr->timeout);
		else if (st == -1)
			warnx("then: %s: not run (the release stays "
			    "installed)", hr->cmds[i]);
		else if (WIFSIGNALED(st))
			warnx("then: %s: killed by signal %d (the release "
			    "stays installed)", hr->cmds[i], WTERMSIG(st));
		else if (!good)
			warnx("then: %s: exit status %d (the release stays "
			    "installed)", hr->cmds[i], WEXITSTATUS(st));
		else if (!hr->quiet)
			warnx("then: %s: exit status 0", hr->cmds[i]);
		json_array_append_new(report, json_pack("{s:s, s:o, s:o, "
		    "s:b}", "command", hr->cmds[i], "exit", st != -1 &&
		    WIFEXITED(st) ? json_integer(WEXITSTATUS(st)) :
		    json_null(), "signal", st != -1 && WIFSIGNALED(st) ?
		    json_integer(WTERMSIG(st)) : json_null(), "timed_out",
		    to));
	}
	free(h);
	hook_env_free(env);
	return ok;
}
