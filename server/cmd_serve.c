/*
 * cmd_serve.c - "cabundled serve": the long-running mirror.  This
 * process serves HTTP (http.c) from an in-memory site and, every
 * RELOAD_MS, looks at the audit log's newest id, which every change by
 * anyone (the schedules or the CLI) moves: then the site is reloaded
 * and served without a restart.  The schedules (a fetch at start and
 * every fetch_interval seconds, a publish after each fetch and every
 * SCHED_PUBLISH_EVERY seconds, renewing signatures in time) run in a
 * process of their own (schedproc.c), so a fetch hanging on a silent
 * upstream never holds up a reload or a stop.  "--once" runs one round
 * of the schedules in this process, without HTTP.
 */
#include <err.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datadir.h"
#include "db.h"
#include "exitcode.h"
#include "extern.h"
#include "http.h"
#include "sandbox.h"
#include "schedproc.h"
#include "signer.h"
#include "site.h"

#define RELOAD_MS	200	/* a CLI change is served within this */

static volatile sig_atomic_t quit;	/* the signal that stops us */

static void
on_signal(int sig)
{
	quit = sig;
}

/* Reload the site when the data changed; 1 when serving something. */
static int
refresh(sqlite3 *db, struct http *h, int64_t *generation)
{
	static int64_t	 failed = -1;
	struct site	*s;
	int64_t		 g;

	if ((g = site_generation(db)) < 0 || g == *generation)
		return g >= 0;
	if ((s = site_load(db)) == NULL) {
		/* Tried again each time; said once a generation. */
		if (g != failed && *generation < 0)
			warnx("load failed: only the newest releases are "
			    "served; trying again every second");
		else if (g != failed)
			warnx("reload failed; still serving generation %lld",
			    (long long)*generation);
		failed = g;
		return 0;
	}
	*generation = s->generation;
	http_set_site(h, s);
	return 1;
}

/* Sleep ms milliseconds, or less when a signal comes: on purpose. */
static void
nap(long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* cabundled serve [--once] */
int
cmd_serve(const struct config *cfg, int argc, char *argv[])
{
	struct sigaction sa;
	struct sched	 sc;
	struct signer	*sg;
	struct site	*s;
	struct http	*h = NULL;
	sqlite3		*db;
	char		*path = NULL;
	int64_t		 generation = -1;
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	int		 ch, once = 0, rc = EXIT_LOCAL, v6;

	optind = 0;	/* glibc: full reset, permute again */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'o')
			break;
		once = 1;
	}
	if (ch != -1 || optind != argc) {
		fprintf(stderr, "usage: cabundled serve [--once]\n");
		return EXIT_USAGE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	if (once) {
		if ((sg = signer_start(cfg)) != NULL) {
			rc = sched_round(cfg, db, sg, cfg->fetch_interval != 0);
			if (!signer_stop(sg) && rc == EXIT_DONE)
				rc = EXIT_LOCAL;
		}
		db_close(db);
		return rc;
	}
	/*
	 * Fork the scheduler now, while this process has one thread and
	 * no database handle: the handle above only proved there is a
	 * database; the scheduler's rounds open their own.
	 */
	db_close(db);
	db = NULL;
	if (!sched_start(cfg, &sc))
		return EXIT_LOCAL;
	/*
	 * The HTTP process binds, reads its TLS key and opens the database
	 * read-only (a first read opens its WAL files too), then, when
	 * started as root, becomes [serve] user for good: it never opens
	 * keys/, and another user's keys/ (mode 0700) is out of its reach.
	 */
	if ((h = http_start(cfg)) == NULL ||
	    (path = config_path(cfg, DB_FILE)) == NULL ||
	    (db = db_open_readonly(path)) == NULL ||
	    site_generation(db) < 0 ||
	    !sandbox_user(cfg->serve_user, 1))
		goto out;
	v6 = strchr(cfg->http.listen, ':') != NULL;
	printf("serving %s://%s%s%s:%d/\n",
	    cfg->http.tls_cert != NULL ? "https" : "http",
	    v6 ? "[" : "", cfg->http.listen, v6 ? "]" : "",
	    cfg->http.port);
	fflush(stdout);
	/*
	 * What provisioning scripts fetch first, then the whole site: at
	 * 10,000 releases reading everything takes a few hundred ms.
	 */
	if ((s = site_load_newest(db)) != NULL)
		http_set_site(h, s);
	refresh(db, h, &generation);
	if (!sched_go(&sc))
		goto out;
	while (!quit) {
		nap(RELOAD_MS);
		/* Without schedules no signature is renewed: stop, loudly. */
		if (!sched_alive(&sc)) {
			warnx("no schedules: stopping");
			goto out;
		}
		refresh(db, h, &generation);
	}
	sched_log("stopping on signal %d", (int)quit);
	rc = EXIT_DONE;
 out:
	sched_stop(&sc);
	http_stop(h);
	db_close(db);
	free(path);
	return rc;
}
