/*
 * schedproc.c - serve's schedules in a process of their own.
 *
 * serve forks the scheduler before libmicrohttpd starts a thread, so
 * the fork copies one thread and no lock another thread holds.  The
 * scheduler forks a child per round: a fetch (or, with [mirror] url, a
 * relay) when one is due, then the publications that are due.  A round
 * may wait on a silent upstream as long as the [upstream] timeouts
 * allow, or crash on what an upstream sends: the HTTP process goes on
 * serving and reloading either way, and a stop kills the round instead
 * of waiting for it.  Each round opens the database itself, so no
 * SQLite handle crosses a fork.  A round killed by a signal is logged
 * and run again after a backoff that doubles up to SCHED_BACKOFF_MAX.
 *
 * The scheduler also keeps serve's signer (signer.c), which alone
 * holds the secret key: the rounds inherit the socket to it and never
 * see the key.  A signer that ends (killed, or its key rotated) is
 * logged and started again after its own backoff; a round killed by a
 * signal may have left half a request, so its signer is replaced.
 *
 * The HTTP process holds the other end of a socketpair: a byte from it
 * starts the schedules once it listens, end of file stops them.
 * Linux's PR_SET_PDEATHSIG
 * kills the scheduler when the HTTP process dies, even by SIGKILL, and
 * a round when the scheduler dies: no orphan goes on writing to the
 * database of a mirror that was stopped.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datadir.h"
#include "db.h"
#include "exitcode.h"
#include "extern.h"
#include "release.h"
#include "sandbox.h"
#include "signer.h"
#include "schedproc.h"
#include "timefmt.h"
#include "upstream.h"

#define SCHED_TICK_MS	200	/* how often the scheduler looks around */
#define SCHED_STOP_MS	1500	/* after SIGTERM, before SIGKILL */

static volatile sig_atomic_t sched_quit;

/* A line of the schedules' log on standard output, after the time. */
void
sched_log(const char *fmt, ...)
{
	va_list	 ap;
	char	 when[TIMEFMT_LEN];

	timefmt_iso((int64_t)time(NULL), when);
	printf("%s ", when);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/*
 * One round of the schedules in this process, on db: a fetch (or a
 * relay) when fetch is set, then the publications that are due,
 * signed by sg (none when sg is NULL: the signer is being restarted).
 * The round first gives up the data directory but the database's files
 * (sandbox_hide), for good: call it in a process that ends after.
 * Returns the fetch's exit code, or the publish's when there was no
 * fetch or it succeeded.
 */
int
sched_round(const struct config *cfg, sqlite3 *db, struct signer *sg,
    int fetch)
{
	static const char *const keep[] = { DB_FILE, DB_FILE "-wal",
	    DB_FILE "-shm", NULL };
	const char	*url;
	int		 rc = EXIT_DONE, prc;

	/* What the network sends is parsed here: keys/ out of reach. */
	if (!sandbox_hide(cfg->datadir, keep))
		return EXIT_LOCAL;

	if (fetch) {
		url = cfg->mirror.url != NULL ? cfg->mirror.url_shown :
		    cfg->url_shown;
		sched_log("fetch %s", url != NULL ? url : "");
		rc = fetch_once(cfg, db, cfg->actor);
		sched_log("fetch done: exit %d", rc);
	}
	if (sg == NULL) {
		sched_log("publish skipped: no signer");
		return rc == EXIT_DONE ? EXIT_LOCAL : rc;
	}
	prc = publish_with(db, cfg, sg, cfg->actor, NULL, PUBLISH_QUIET);
	fflush(stdout);
	if (prc != EXIT_DONE)
		sched_log("publish done: exit %d", prc);
	return rc == EXIT_DONE ? prc : rc;
}

static void
sched_onsig(int sig)
{
	(void)sig;
	sched_quit = 1;
}

/*
 * Die with the parent (Linux), and make sure it did not die before
 * we asked.
 */
static void
sched_tie(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		warn("prctl PR_SET_PDEATHSIG");
	if (getppid() != parent)
		_exit(EXIT_LOCAL);
}

/*
 * Fork the child of one round.  Returns its pid, or -1 after a
 * warning.  The child never returns: it exits with the round's code.
 */
static pid_t
sched_fork_round(const struct config *cfg, int fd, struct signer *sg,
    int fetch)
{
	sqlite3	*db;
	pid_t	 pid, parent = getpid();
	int	 rc = EXIT_LOCAL;

	/* Or the child would print what is buffered here once more. */
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		warn("fork");
		return -1;
	}
	if (pid != 0)
		return pid;
	close(fd);
	/* A stop kills a round at once, whatever it waits for. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sched_tie(parent);
	if ((db = datadir_open(cfg)) != NULL) {
		rc = sched_round(cfg, db, sg, fetch);
		db_close(db);
	}
	fflush(stdout);
	exit(rc);
}

/*
 * The scheduler: wait for the go, then run the rounds as they fall
 * due, one at a time, until SIGTERM or the HTTP process hangs up.
 */
static void __attribute__((noreturn))
sched_main(const struct config *cfg, int fd)
{
	struct pollfd	 pfd;
	time_t		 now, next_fetch = 0, next_publish = 0;
	struct signer	*sg = NULL;
	time_t		 next_signer = 0;
	pid_t		 child = -1;
	ssize_t		 n;
	int		 status, started = 0, fetching = 0;
	int		 backoff = SCHED_BACKOFF_MIN;
	int		 sbackoff = SCHED_BACKOFF_MIN;
	char		 c;

	while (!sched_quit) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, SCHED_TICK_MS) == 1) {
			n = read(fd, &c, 1);
			if (n == 0 || (n == -1 && errno != EINTR &&
			    errno != EAGAIN))
				break;
			if (n == 1 && !started) {
				started = 1;
				next_fetch = next_publish = time(NULL);
			}
		}
		now = time(NULL);
		if (sg != NULL && !signer_alive(sg)) {
			/* A key rotation ends it too; it starts again. */
			sched_log("signer ended; a new one in %d s", sbackoff);
			signer_stop(sg);
			sg = NULL;
			next_signer = now + sbackoff;
			sbackoff = sbackoff > SCHED_BACKOFF_MAX / 2 ?
			    SCHED_BACKOFF_MAX : sbackoff * 2;
		}
		if (child != -1 && waitpid(child, &status, WNOHANG) == child) {
			child = -1;
			/* It may have left half a request: a new signer. */
			if (WIFSIGNALED(status) && sg != NULL) {
				signer_stop(sg);
				sg = NULL;
			}
			if (WIFSIGNALED(status) && !sched_quit) {
				warnx("%s process killed by signal %d; "
				    "restarting in %d s", fetching ? "fetch" :
				    "publish", WTERMSIG(status), backoff);
				if (fetching)
					next_fetch = now + backoff;
				next_publish = now + backoff;
				backoff = backoff > SCHED_BACKOFF_MAX / 2 ?
				    SCHED_BACKOFF_MAX : backoff * 2;
			} else
				backoff = SCHED_BACKOFF_MIN;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				sbackoff = SCHED_BACKOFF_MIN;
		}
		if (!started || child != -1 || sched_quit)
			continue;
		if (sg == NULL && now >= next_signer) {
			if ((sg = signer_start(cfg)) == NULL) {
				sched_log("no signer; trying again in %d s",
				    sbackoff);
				next_signer = now + sbackoff;
				sbackoff = sbackoff > SCHED_BACKOFF_MAX / 2 ?
				    SCHED_BACKOFF_MAX : sbackoff * 2;
			}
		}
		/* fetch_interval 0: never, not even at start (air gaps). */
		fetching = cfg->fetch_interval != 0 && now >= next_fetch;
		if (!fetching && now < next_publish)
			continue;
		if ((child = sched_fork_round(cfg, fd, sg, fetching)) == -1) {
			if (fetching)
				next_fetch = now + backoff;
			next_publish = now + backoff;
			continue;
		}
		if (fetching)
			next_fetch = now + cfg->fetch_interval;
		next_publish = now + SCHED_PUBLISH_EVERY;
	}
	if (child != -1) {
		kill(child, SIGTERM);
		while (waitpid(child, &status, 0) == -1 && errno == EINTR)
			continue;
	}
	signer_stop(sg);
	close(fd);
	fflush(stdout);
	exit(EXIT_DONE);
}

/*
 * Fork the scheduler process; call it while this process has a single
 * thread and no database handle open.  Returns 1 with sc filled in
 * (end it with sched_stop()), or 0 after a warning.  The scheduler
 * runs nothing before sched_go().
 */
int
sched_start(const struct config *cfg, struct sched *sc)
{
	struct sigaction sa;
	sigset_t	 block, old;
	pid_t		 parent = getpid();
	int		 sv[2];

	sc->pid = -1;
	sc->fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		warn("socketpair");
		return 0;
	}
	/* No SIGTERM may reach the child before its own handler is set. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(stdout);
	fflush(stderr);
	if ((sc->pid = fork()) == -1) {
		warn("fork");
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	if (sc->pid == 0) {
		close(sv[0]);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = sched_onsig;	/* no SA_RESTART: wake poll */
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		sched_tie(parent);
		sched_main(cfg, sv[1]);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	sc->fd = sv[0];
	return 1;
}

/* Start the schedules.  Returns 1, or 0 after a warning. */
int
sched_go(struct sched *sc)
{
	if (write(sc->fd, "g", 1) != 1) {
		warn("scheduler");
		return 0;
	}
	return 1;
}

/*
 * 1 while the scheduler runs.  0 once it has ended, which it does only
 * when stopped or killed: then it is reaped and logged.
 */
int
sched_alive(struct sched *sc)
{
	pid_t	 r;
	int	 status;

	if (sc->pid == -1)
		return 0;
	if ((r = waitpid(sc->pid, &status, WNOHANG)) == 0 ||
	    (r == -1 && errno == EINTR))
		return 1;
	if (r == sc->pid && WIFSIGNALED(status))
		warnx("scheduler process killed by signal %d",
		    WTERMSIG(status));
	else if (r == sc->pid)
		warnx("scheduler process exited %d", WEXITSTATUS(status));
	sc->pid = -1;
	return 0;
}

/*
 * Stop the scheduler and the round it runs, if any, and reap it:
 * SIGTERM, and SIGKILL after SCHED_STOP_MS.  sc may hold no process.
 */
void
sched_stop(struct sched *sc)
{
	struct timespec	 ts = { 0, 10 * 1000000L };
	pid_t		 r;
	int		 status, waited = 0;

	if (sc->fd != -1)
		close(sc->fd);
	sc->fd = -1;
	if (sc->pid == -1)
		return;
	kill(sc->pid, SIGTERM);
	while ((r = waitpid(sc->pid, &status, WNOHANG)) == 0 ||
	    (r == -1 && errno == EINTR)) {
		if (waited >= SCHED_STOP_MS) {
			warnx("scheduler process %d did not stop; killing it",
			    (int)sc->pid);
			kill(sc->pid, SIGKILL);
			while (waitpid(sc->pid, &status, 0) == -1 &&
			    errno == EINTR)
				continue;
			break;
		}
		nanosleep(&ts, NULL);
		waited += 10;
	}
	sc->pid = -1;
}
