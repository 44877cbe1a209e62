/*
 * cmd_key.c - "cabundled key generate|show|rotate": the signing keys
 * on the command line.  The keys themselves (files, the signing_key
 * table) are keys.c, their roles keyset.c, the list query.c.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "datadir.h"
#include "db.h"
#include "exitcode.h"
#include "extern.h"
#include "keys.h"
#include "keyset.h"
#include "output.h"
#include "query.h"
#include "release.h"
#include "sign.h"

static json_t *
key_json(const struct query_key *k, const struct config *cfg)
{
	char		*pub;
	json_t		*o;

	if ((pub = keys_path(cfg, k->keyid, "pub")) == NULL)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:s?}",
	    "key_id", k->keyid,
	    "role", k->role,
	    "public_key", k->public_key,
	    "created", (json_int_t)k->created,
	    "activated", k->has_activated ? json_integer(k->activated) :
	    json_null(),
	    "retired", k->has_retired ? json_integer(k->retired) :
	    json_null(),
	    "public_key_file", access(pub, F_OK) == 0 ? pub : NULL);
	free(pub);
	return o;
}

/* key show [--json]: the .pub text and RW string of every key. */
static int
key_show(sqlite3 *db, const struct config *cfg, int json)
{
	struct query_keys ks;
	const struct query_key *k;
	json_t		*arr = NULL, *o;
	size_t		 i;
	int		 rc = EXIT_LOCAL;

	if (!query_keys(db, &ks))
		goto out;
	if (json) {
		if ((arr = json_array()) == NULL)
			goto out;
		for (i = 0; i < ks.n; i++)
			if ((o = key_json(&ks.v[i], cfg)) == NULL ||
			    json_array_append_new(arr, o) == -1)
				goto out;
		rc = json_print(arr) ? EXIT_DONE : EXIT_LOCAL;
		arr = NULL;
		goto out;
	}
	for (i = 0; i < ks.n; i++) {
		k = &ks.v[i];
		if (strcmp(k->role, "retired") == 0) {
			printf("retired key %s: %s (verifies history only)\n",
			    k->keyid, k->public_key);
			continue;
		}
		printf("%s key %s\n", k->role, k->keyid);
		printf("untrusted comment: minisign public key %s\n%s\n\n",
		    k->keyid, k->public_key);
	}
	rc = EXIT_DONE;
 out:
	json_decref(arr);
	query_keys_free(&ks);
	return rc;
}

/* key generate [--standby] */
static int
key_generate(sqlite3 *db, const struct config *cfg, const char *actor,
    int standby)
{
	struct pubkey	 pub;
	char		 have[17], keyid[17], pubstr[PUBKEY_STR_LEN + 1];
	const char	*role = standby ? "standby" : "active";
	int		 rc;

	rc = keyset_generate(db, cfg, role, actor, &pub, have);
	if (rc == EXIT_REFUSED)
		warnx("there is already %s %s key %s%s", standby ? "a" : "an",
		    role, have, standby ? "; make it the signing key with: "
		    "cabundled key rotate" : "; generate a standby key with "
		    "--standby, then: cabundled key rotate");
	if (rc != EXIT_DONE)
		return rc;
	keyid_format(pub.keyid, keyid);
	pubkey_string(&pub, pubstr);
	printf("%s key %s: %s\npublic key file: %s/%s/%s.pub\n", role, keyid,
	    pubstr, cfg->datadir, KEYS_DIR, keyid);
	if (standby)
		printf("publish it to clients now (cabundle install --key "
		    "accepts several); later: cabundled key rotate\n");
	return EXIT_DONE;
}

/*
 * key rotate: the standby key becomes the signing key, the old one is
 * retired (keyset.c), and every profile is re-signed with the new key.
 */
static int
key_rotate(sqlite3 *db, const struct config *cfg, const char *actor)
{
	char		 oldid[17], newid[17];
	int		 retired, rc;

	rc = keyset_rotate(db, cfg, actor, newid, oldid, &retired);
	if (rc == EXIT_REFUSED)
		warnx("no standby key to rotate to; first: cabundled key "
		    "generate --standby, and give its public key to clients");
	if (rc != EXIT_DONE)
		return rc;
	printf("signing key is now %s", newid);
	if (retired)
		printf("; %s retired (kept to verify history)", oldid);
	printf("\n");
	return publish_all(db, cfg, actor, NULL, 0);
}

/* cabundled key generate [--standby] | show [--json] | rotate */
int
cmd_key(const struct config *cfg, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "standby", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "actor", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	sqlite3		*db = NULL;
	const char	*actor = cfg->actor, *sub;
	int		 ch, standby = 0, json = 0, given = 0, rc;

	if (argc < 2)
		goto usage;
	sub = argv[1];
	optind = 0;	/* glibc: full reset, permute again */
	while ((ch = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			standby = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'a':
			actor = optarg;
			given = 1;
			break;
		default:
			goto usage;
		}
	}
	/* show records nothing: an --actor there would be ignored. */
	if (optind != argc - 1 ||
	    (given && strcmp(sub, "show") == 0) ||
	    (standby && strcmp(sub, "generate") != 0) ||
	    (json && strcmp(sub, "show") != 0))
		goto usage;
	if (strcmp(sub, "generate") != 0 && strcmp(sub, "show") != 0 &&
	    strcmp(sub, "rotate") != 0)
		goto usage;
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	if (strcmp(sub, "generate") == 0)
		rc = key_generate(db, cfg, actor, standby);
	else if (strcmp(sub, "show") == 0)
		rc = key_show(db, cfg, json);
	else
		rc = key_rotate(db, cfg, actor);
	db_close(db);
	return rc;
 usage:
	fprintf(stderr, "usage: cabundled key generate [--standby] "
	    "[--actor NAME]\n       cabundled key show [--json]\n"
	    "       cabundled key rotate [--actor NAME]\n");
	return EXIT_USAGE;
}
