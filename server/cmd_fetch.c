/*
 * cmd_fetch.c - "fetch" (one shot, for cron) and "import FILE" (across
 * an air gap): get a body, vet it, store the snapshot in one
 * transaction.  A bad answer never changes what is accepted.
 *
 * Exit: 0 accepted or unchanged, 1 rejected, 3 upstream unreachable,
 * 4 local error, 5 quarantined (BRIEF.md).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "buf.h"
#include "datadir.h"
#include "db.h"
#include "exitcode.h"
#include "extern.h"
#include "ingest.h"
#include "release.h"
#include "upstream.h"

static int
parse_actor(const struct config *cfg, int argc, char *argv[],
    const char **actor, const char *usage)
{
	static const struct option opts[] = {
		{ "actor", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	int	 ch;

	*actor = cfg->actor;
	optind = 0;	/* glibc: full reset, permute again */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'a') {
			fprintf(stderr, "usage: cabundled %s\n", usage);
			return 0;
		}
		*actor = optarg;
	}
	return 1;
}

/*
 * After a fetch or an import: publish what changed, and renew what is
 * due even when nothing did, so a cron job running "fetch" alone keeps
 * signatures fresh.  The ingest's exit code stands unless it was a
 * success and publishing failed.
 */
static int
then_publish(sqlite3 *db, const struct config *cfg, const char *actor,
    int rc)
{
	int	 prc;

	if (rc == EXIT_LOCAL || rc == EXIT_USAGE)
		return rc;
	prc = publish_all(db, cfg, actor, NULL, 0);
	return rc == EXIT_DONE ? prc : rc;
}

/* cabundled fetch [--actor NAME] */
int
cmd_fetch(const struct config *cfg, int argc, char *argv[])
{
	sqlite3		*db;
	const char	*actor;
	int		 rc;

	if (!parse_actor(cfg, argc, argv, &actor, "fetch [--actor NAME]") ||
	    optind != argc)
		return EXIT_USAGE;
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	rc = then_publish(db, cfg, actor, fetch_once(cfg, db, actor));
	db_close(db);
	return rc;
}

/* cabundled import [--actor NAME] FILE */
int
cmd_import(const struct config *cfg, int argc, char *argv[])
{
	struct buf	 body, source;
	sqlite3		*db = NULL;
	const char	*actor;
	char		 real[PATH_MAX];
	int		 rc = EXIT_LOCAL;

	if (!parse_actor(cfg, argc, argv, &actor,
	    "import [--actor NAME] FILE") || optind != argc - 1) {
		if (optind == argc)
			fprintf(stderr, "usage: cabundled import [--actor "
			    "NAME] FILE\n");
		return EXIT_USAGE;
	}
	buf_init(&body, cfg->fetch.max_bytes);
	buf_init(&source, PATH_MAX + 8);
	if ((db = datadir_open(cfg)) == NULL)
		goto out;
	if (!buf_readfile(&body, argv[optind])) {
		/* Too large is a refused input; unreadable, a local error. */
		if (errno == EFBIG)
			rc = EXIT_REFUSED;
		goto out;
	}
	if (realpath(argv[optind], real) == NULL)
		snprintf(real, sizeof(real), "%s", argv[optind]);
	if (!buf_printf(&source, "file:%s", real))
		goto out;
	rc = then_publish(db, cfg, actor, ingest_checked(cfg, db, actor,
	    (char *)source.data, &body, NULL));
 out:
	db_close(db);
	buf_free(&body);
	buf_free(&source);
	return rc;
}
