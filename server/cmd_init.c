/*
 * cmd_init.c - "cabundled init": the data directory (mode 0700), the
 * database at the current schema and an active Ed25519 signing key
 * (keys/KEYID.key, 0600, with KEYID.pub beside it).  Running it again
 * is safe: it keeps the active key (after checking it) and migrates
 * the database.  The work is datadir_init() (datadir.c).
 */
#include <getopt.h>
#include <stdio.h>

#include "datadir.h"
#include "db.h"
#include "exitcode.h"
#include "extern.h"
#include "keys.h"
#include "sig.h"

/* cabundled init [--actor NAME] */
int
cmd_init(const struct config *cfg, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "actor", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct datadir_init di;
	const char	*actor = cfg->actor;
	char		 keyid[17], pubstr[PUBKEY_STR_LEN + 1];
	int		 ch;

	optind = 0;	/* glibc: full reset, permute again */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'a')
			goto usage;
		actor = optarg;
	}
	if (optind != argc)
		goto usage;
	if (!datadir_init(cfg, actor, &di))
		return EXIT_LOCAL;
	keyid_format(di.pub.keyid, keyid);
	pubkey_string(&di.pub, pubstr);
	printf("%s: database %s (schema %d), signing key %s %s\n"
	    "public key %s/%s/%s.pub: %s\n", cfg->datadir, DB_FILE,
	    db_schema_version(), keyid, di.kept ? "(kept)" : "(new)",
	    cfg->datadir, KEYS_DIR, keyid, pubstr);
	return EXIT_DONE;
 usage:
	fprintf(stderr, "usage: cabundled init [--actor NAME]\n");
	return EXIT_USAGE;
}
