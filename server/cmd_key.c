/*
 * cmd_key.c - "cabundled key generate|show|rotate": the signing keys
 * on the command line.  The keys themselves (files, the signing_key
 * table) are keys.c, their roles keyset.c, the list query.c.
 */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "datadir.h"
#include "db.h"
#include "exitcode.h"
#include "extern.h"
#include "keylists.h"
#include "keys.h"
#include "keyset.h"
#include "output.h"
#include "query.h"
#include "release.h"
#include "sign.h"
#include "timefmt.h"
#include "usage.h"

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
	char		 oldid[17], newid[17], have[17], act[17];
	int		 retired, rc;

	/*
	 * Clients that follow the key list (--root) accept only the keys
	 * it names: activating another would cut them all off.
	 */
	if (keyset_standby(db, have) == 1) {
		if (keyset_active(db, act) != 1)
			return EXIT_LOCAL;
		switch (keylists_names(db, have, act, (int64_t)time(NULL))) {
		case KEYLISTS_ERROR:
			return EXIT_LOCAL;
		case KEYLISTS_FOREIGN:
			warnx("warning: the key list held here names none of "
			    "this mirror's keys (an upstream mirror's, relayed): "
			    "clients of the profiles signed here pin %s with "
			    "--key", have);
			break;
		case KEYLISTS_NONE:
			warnx("warning: no key list is held (cabundled key "
			    "import-list): clients that pin keys with --key "
			    "must be given %s before they can install what it "
			    "signs", have);
			break;
		case KEYLISTS_UNNAMED:
			warnx("standby key %s is not named (active or standby, "
			    "within its window) by the newest key list, so no "
			    "client following it (--root) would accept what it "
			    "signs; refusing to rotate.  Fix: on the offline "
			    "machine, cabundled root sign a new list version "
			    "with --standby for this key (key show --json "
			    "lists it), then cabundled key import-list it "
			    "here, then rotate", have);
			return EXIT_REFUSED;
		case KEYLISTS_NAMED:
			break;
		}
	}
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

/* Read path into b; 0 (quietly) when it does not exist. */
static int
read_if(const char *path, struct buf *b)
{
	if (access(path, F_OK) != 0)
		return 0;
	return buf_readfile(b, path);
}

/*
 * key import-list [--root PUB]... FILE: the next key list with its
 * signatures FILE.minisig and FILE.KEYID.minisig, one per root key of
 * the held list, of FILE itself and of --root.  Refused: anything
 * keylists_import refuses; nothing is written then.
 */
static int
key_import_list(sqlite3 *db, const char *file, const struct pubkey *anchors,
    size_t nanchors, const char *actor)
{
	struct buf	 text, sigb[KEYLIST_SIGS_MAX];
	struct keylist_sig sigs[KEYLIST_SIGS_MAX];
	struct keylist	 peek, prev, kl;
	struct pubkey	 cand[3 * KEYLIST_ROOTS_MAX];
	char		 path[PATH_MAX], id[17], why[512], when[TIMEFMT_LEN];
	size_t		 ncand = 0, nsigs = 0, i;
	int		 found, same, rc = EXIT_LOCAL;

	buf_init(&text, KEYLIST_MAX);
	for (i = 0; i < KEYLIST_SIGS_MAX; i++)
		buf_init(&sigb[i], SIG_FILE_MAX);
	if (!buf_readfile(&text, file))
		goto out;
	if (!keylist_parse((const char *)text.data, text.len, &peek, why,
	    sizeof(why))) {
		warnx("%s: refused: %s", file, why);
		rc = EXIT_REFUSED;
		goto out;
	}
	if (!keylists_newest(db, &prev, &found))
		goto out;
	for (i = 0; found && i < prev.nroots; i++)
		cand[ncand++] = prev.roots[i];
	for (i = 0; i < peek.nroots; i++)
		cand[ncand++] = peek.roots[i];
	for (i = 0; i < nanchors && i < KEYLIST_ROOTS_MAX; i++)
		cand[ncand++] = anchors[i];
	snprintf(path, sizeof(path), "%s.minisig", file);
	if (read_if(path, &sigb[nsigs]))
		nsigs++;
	for (i = 0; i < ncand && nsigs < KEYLIST_SIGS_MAX; i++) {
		keyid_format(cand[i].keyid, id);
		snprintf(path, sizeof(path), "%s.%s.minisig", file, id);
		if (read_if(path, &sigb[nsigs]))
			nsigs++;
	}
	for (i = 0; i < nsigs; i++) {
		sigs[i].text = (const char *)sigb[i].data;
		sigs[i].len = sigb[i].len;
	}
	rc = keylists_import(db, (const char *)text.data, text.len, sigs,
	    nsigs, anchors, nanchors, 1, "import", actor, &kl, &same, why,
	    sizeof(why));
	if (rc == EXIT_REFUSED)
		warnx("%s: refused: %s", file, why);
	if (rc != EXIT_DONE)
		goto out;
	timefmt_iso(kl.expires > INT64_MAX ? INT64_MAX :
	    (int64_t)kl.expires, when);
	printf("key list version %llu %s (expires %s, %zu keys)\n",
	    (unsigned long long)kl.version, same ? "held already" :
	    "imported", when, kl.nkeys);
 out:
	buf_free(&text);
	for (i = 0; i < KEYLIST_SIGS_MAX; i++)
		buf_free(&sigb[i]);
	return rc;
}

/* cabundled key generate [--standby] | show [--json] | rotate */
int
cmd_key(const struct config *cfg, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "standby", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "actor", required_argument, NULL, 'a' },
		{ "root", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct pubkey	 anchors[KEYLIST_ROOTS_MAX];
	size_t		 nanchors = 0;
	const char	*file = NULL;
	sqlite3		*db = NULL;
	const char	*actor = cfg->actor, *sub;
	char		 name[64];
	int		 ch, standby = 0, json = 0, given = 0, rc;

	if (argc < 2)
		goto usage;
	sub = usage_subname(argv, name, sizeof(name));
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
		case 'r':
			if (strcmp(sub, "import-list") != 0 ||
			    nanchors == KEYLIST_ROOTS_MAX ||
			    !pubkey_load(optarg, &anchors[nanchors]))
				goto usage;
			nanchors++;
			break;
		default:
			goto usage;
		}
	}
	/* show records nothing: an --actor there would be ignored. */
	if (strcmp(sub, "import-list") == 0) {
		if (optind != argc - 2 || standby || json)
			goto usage;
		file = argv[argc - 1];
	} else if (optind != argc - 1 ||
	    (given && strcmp(sub, "show") == 0) ||
	    (standby && strcmp(sub, "generate") != 0) ||
	    (json && strcmp(sub, "show") != 0))
		goto usage;
	if (strcmp(sub, "generate") != 0 && strcmp(sub, "show") != 0 &&
	    strcmp(sub, "rotate") != 0 && strcmp(sub, "import-list") != 0)
		goto usage;
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	if (strcmp(sub, "generate") == 0)
		rc = key_generate(db, cfg, actor, standby);
	else if (strcmp(sub, "show") == 0)
		rc = key_show(db, cfg, json);
	else if (strcmp(sub, "import-list") == 0)
		rc = key_import_list(db, file, anchors, nanchors, actor);
	else
		rc = key_rotate(db, cfg, actor);
	db_close(db);
	return rc;
 usage:
	fprintf(stderr, "usage: cabundled key generate [--standby] "
	    "[--actor NAME]\n       cabundled key show [--json]\n"
	    "       cabundled key rotate [--actor NAME]\n"
	    "       cabundled key import-list [--root PUB]... [--actor NAME] "
	    "FILE\n");
	return EXIT_USAGE;
}
