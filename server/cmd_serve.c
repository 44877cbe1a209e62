/*
 * cmd_serve.c - "cabundled serve": the long-running mirror.  The HTTP
 * server (http.c) answers from an in-memory site; this thread runs the
 * schedules: a fetch at start and every fetch_interval seconds, a
 * publish after each fetch and every PUBLISH_EVERY seconds (renewing
 * signatures in time), and once a second a look at the audit log's
 * newest id, which every change by anyone (this process or the CLI)
 * moves: then the site is reloaded and served without a restart.
 * "--once" runs one round of the schedules without HTTP.
 */
#include <err.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "exitcode.h"
#include "extern.h"
#include "http.h"
#include "site.h"
#include "timefmt.h"

#define PUBLISH_EVERY	60

static volatile sig_atomic_t quit;

static void
logline(const char *what, const char *arg, int rc)
{
	char	 when[TIMEFMT_LEN];

	timefmt_iso((int64_t)time(NULL), when);
	if (rc < 0)
		printf("%s %s %s\n", when, what, arg != NULL ? arg : "");
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

/* Reload the site when the data changed; 1 when serving something. */
static int
refresh(sqlite3 *db, struct http *h, int64_t *generation)
{
	struct site	*s;
	int64_t		 g;

	if ((g = site_generation(db)) < 0 || g == *generation)
		return g >= 0;
	if ((s = site_load(db)) == NULL) {
		warnx("reload failed; still serving generation %lld",
		    (long long)*generation);
		return 0;
	}
	*generation = s->generation;
	http_set_site(h, s);
	return 1;
}

/* cabundled serve [--once] */
int
cmd_serve(const struct config *cfg, int argc, char *argv[])
{
	struct sigaction sa;
	struct http	*h = NULL;
	sqlite3		*db;
	time_t		 next_fetch = 0, next_publish = 0, now;
	int64_t		 generation = -1;
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	int		 ch, once = 0, rc = EXIT_DONE, prc, v6;

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
	if ((db = db_open_datadir(cfg)) == NULL)
		return EXIT_LOCAL;
	if (!once) {
		if ((h = http_start(cfg)) == NULL) {
			db_close(db);
			return EXIT_LOCAL;
		}
		v6 = strchr(cfg->http.listen, ':') != NULL;
		printf("serving %s://%s%s%s:%d/\n",
		    cfg->http.tls_cert != NULL ? "https" : "http",
		    v6 ? "[" : "", cfg->http.listen, v6 ? "]" : "",
		    cfg->http.port);
		fflush(stdout);
		refresh(db, h, &generation);
	}
	while (!quit) {
		now = time(NULL);
		/* fetch_interval 0: never, not even at start (air gaps). */
		if (cfg->fetch_interval != 0 && now >= next_fetch) {
			logline("fetch", cfg->mirror.url != NULL ?
			    cfg->mirror.url_shown : cfg->url_shown, -1);
			rc = fetch_once(cfg, db, cfg->actor);
			logline("fetch", NULL, rc);
			next_fetch = now + cfg->fetch_interval;
			next_publish = 0;
		}
		if (now >= next_publish) {
			prc = publish_all(db, cfg, cfg->actor, NULL,
			    PUBLISH_QUIET);
			fflush(stdout);
			if (prc != EXIT_DONE)
				logline("publish", NULL, prc);
			if (rc == EXIT_DONE)
				rc = prc;
			next_publish = now + PUBLISH_EVERY;
		}
		if (once)
			break;
		refresh(db, h, &generation);
		sleep(1);
	}
	http_stop(h);
	db_close(db);
	return once ? rc : EXIT_DONE;
}
