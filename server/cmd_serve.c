/*
 * cmd_serve.c - "cabundled serve": the long-running mirror.  For now it
 * runs the schedules: a fetch at start and every fetch_interval
 * seconds, and a publish after each fetch and every PUBLISH_EVERY
 * seconds (renewing signatures in time, picking up CLI changes), each
 * logged with its outcome.  HTTP serving joins it in the serving issue.
 */
#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "exitcode.h"
#include "extern.h"
#include "timefmt.h"

#define PUBLISH_EVERY	60

static volatile sig_atomic_t quit;

static void
logline(const char *what, const char *arg, int rc)
{
	char	 when[TIMEFMT_LEN];

	timefmt_iso((int64_t)time(NULL), when);
	if (rc < 0)
		printf("%s %s %s\n", when, what, arg);
	else
		printf("%s %s done: exit %d\n", when, what, rc);
	fflush(stdout);
}

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/* cabundled serve [--once] */
int
cmd_serve(const struct config *cfg, int argc, char *argv[])
{
	struct sigaction sa;
	sqlite3		*db;
	time_t		 next_fetch = 0, next_publish = 0, now;
	int		 once = 0, rc = EXIT_DONE, prc;

	if (argc == 2 && strcmp(argv[1], "--once") == 0)
		once = 1;
	else if (argc != 1) {
		fprintf(stderr, "usage: cabundled serve [--once]\n");
		return EXIT_USAGE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((db = db_open_datadir(cfg)) == NULL)
		return EXIT_LOCAL;
	while (!quit) {
		now = time(NULL);
		if (now >= next_fetch && (once || next_fetch == 0 ||
		    cfg->fetch_interval != 0)) {
			logline("fetch", cfg->url, -1);
			rc = fetch_once(cfg, db, cfg->actor);
			logline("fetch", NULL, rc);
			next_fetch = now + cfg->fetch_interval;
			next_publish = 0;
		}
		if (now >= next_publish) {
			prc = publish_all(db, cfg, cfg->actor, NULL, 0);
			fflush(stdout);
			if (prc != EXIT_DONE)
				logline("publish", NULL, prc);
			if (rc == EXIT_DONE)
				rc = prc;
			next_publish = now + PUBLISH_EVERY;
		}
		if (once)
			break;
		sleep(1);
	}
	db_close(db);
	return once ? rc : EXIT_DONE;
}
