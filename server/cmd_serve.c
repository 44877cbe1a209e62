/*
 * cmd_serve.c - "cabundled serve": the long-running mirror.  For now it
 * runs the upstream schedule: a fetch at start and every
 * fetch_interval seconds, each logged with its outcome.  HTTP serving
 * joins it in the serving issue.
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

static volatile sig_atomic_t quit;

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
	char		 when[TIMEFMT_LEN];
	time_t		 next;
	int		 once = 0, rc = EXIT_DONE;

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
		timefmt_iso((int64_t)time(NULL), when);
		printf("%s fetch %s\n", when, cfg->url);
		fflush(stdout);
		rc = fetch_once(cfg, db, cfg->actor);
		timefmt_iso((int64_t)time(NULL), when);
		printf("%s fetch done: exit %d\n", when, rc);
		fflush(stdout);
		if (once || cfg->fetch_interval == 0)
			break;
		next = time(NULL) + cfg->fetch_interval;
		while (!quit && time(NULL) < next)
			sleep(1);
	}
	db_close(db);
	return once ? rc : EXIT_DONE;
}
