/*
 * cmd_key.c - "cabundled key generate|show|rotate": the signing keys
 * on the command line.  The keys themselves (files, the signing_key
 * table) are keys.c.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "datadir.h"
#include "db.h"
#include "exitcode.h"
#include "extern.h"
#include "keys.h"
#include "output.h"
#include "release.h"
#include "sign.h"

static json_t *
key_json(sqlite3_stmt *st, const struct config *cfg)
{
	const char	*id = (const char *)sqlite3_column_text(st, 0);
	char		*pub;
	json_t		*o;

	if ((pub = keys_path(cfg, id, "pub")) == NULL)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:s?}",
	    "key_id", id,
	    "role", (const char *)sqlite3_column_text(st, 2),
	    "public_key", (const char *)sqlite3_column_text(st, 1),
	    "created", (json_int_t)sqlite3_column_int64(st, 3),
	    "activated", sqlite3_column_type(st, 4) == SQLITE_NULL ?
	    json_null() : json_integer(sqlite3_column_int64(st, 4)),
	    "retired", sqlite3_column_type(st, 5) == SQLITE_NULL ?
	    json_null() : json_integer(sqlite3_column_int64(st, 5)),
	    "public_key_file", access(pub, F_OK) == 0 ? pub : NULL);
	free(pub);
	return o;
}

/* key show [--json]: the .pub text and RW string of every key. */
static int
key_show(sqlite3 *db, const struct config *cfg, int json)
{
	sqlite3_stmt	*st;
	json_t		*arr = NULL, *o;
	const char	*role, *pubstr;
	int		 step, rc = EXIT_LOCAL;

	if ((st = db_prepare(db, "SELECT keyid, public_key, role, created, "
	    "activated, retired FROM signing_key ORDER BY CASE role WHEN "
	    "'active' THEN 0 WHEN 'standby' THEN 1 ELSE 2 END, "
	    "created DESC")) == NULL)
		return EXIT_LOCAL;
	if (json && (arr = json_array()) == NULL)
		goto out;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		role = (const char *)sqlite3_column_text(st, 2);
		pubstr = (const char *)sqlite3_column_text(st, 1);
		if (json) {
			if ((o = key_json(st, cfg)) == NULL ||
			    json_array_append_new(arr, o) == -1)
				goto out;
			continue;
		}
		if (strcmp(role, "retired") == 0) {
			printf("retired key %s: %s (verifies history only)\n",
			    (const char *)sqlite3_column_text(st, 0), pubstr);
			continue;
		}
		printf("%s key %s\n", role,
		    (const char *)sqlite3_column_text(st, 0));
		printf("untrusted comment: minisign public key %s\n%s\n\n",
		    (const char *)sqlite3_column_text(st, 0), pubstr);
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	if (json) {
		rc = json_print(arr) ? EXIT_DONE : EXIT_LOCAL;
		arr = NULL;
	} else
		rc = EXIT_DONE;
 out:
	json_decref(arr);
	sqlite3_finalize(st);
	return rc;
}

static int
role_count(sqlite3 *db, const char *role, char *keyid)
{
	sqlite3_stmt	*st;
	int		 n = -1, rc;

	if ((st = db_prepare(db, "SELECT keyid FROM signing_key WHERE "
	    "role = ?")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(keyid, 17, "%s", sqlite3_column_text(st, 0));
		n = 1;
	} else if (rc == SQLITE_DONE)
		n = 0;
	else
		warnx("%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return n;
}

/* key generate [--standby] */
static int
key_generate(sqlite3 *db, const struct config *cfg, const char *actor,
    int standby)
{
	struct pubkey	 pub;
	char		 have[17], keyid[17], pubstr[PUBKEY_STR_LEN + 1];
	char		*created = NULL;
	const char	*role = standby ? "standby" : "active";
	int		 n, rc = EXIT_LOCAL;

	if (!db_begin(db))
		return EXIT_LOCAL;
	if ((n = role_count(db, role, have)) < 0)
		goto out;
	if (n > 0) {
		warnx("there is already %s %s key %s%s", standby ? "a" : "an",
		    role, have, standby ? "; make it the signing key with: "
		    "cabundled key rotate" : "; generate a standby key with "
		    "--standby, then: cabundled key rotate");
		rc = EXIT_REFUSED;
		goto out;
	}
	if (!keys_create(db, cfg, role, actor, &pub, &created) ||
	    !db_commit(db))
		goto out;
	keyid_format(pub.keyid, keyid);
	pubkey_string(&pub, pubstr);
	printf("%s key %s: %s\npublic key file: %s/%s/%s.pub\n", role, keyid,
	    pubstr, cfg->datadir, KEYS_DIR, keyid);
	if (standby)
		printf("publish it to clients now (cabundle install --key "
		    "accepts several); later: cabundled key rotate\n");
	rc = EXIT_DONE;
 out:
	if (rc != EXIT_DONE && created != NULL)
		keys_discard(created);
	free(created);
	db_rollback(db);
	return rc;
}

/*
 * key rotate: the standby key becomes the signing key, the old one is
 * retired (its public half stays to verify history, its secret file is
 * deleted), and every profile is re-signed with the new key.
 */
static int
key_rotate(sqlite3 *db, const struct config *cfg, const char *actor)
{
	struct seckey	*sk = NULL;
	sqlite3_stmt	*st = NULL;
	char		 oldid[17], newid[17], loaded[17];
	char		*oldpath = NULL;
	int64_t		 now = (int64_t)time(NULL);
	int		 n, rc = EXIT_LOCAL;

	if (!db_begin(db))
		return EXIT_LOCAL;
	if ((n = role_count(db, "standby", newid)) < 0)
		goto out;
	if (n == 0) {
		warnx("no standby key to rotate to; first: cabundled key "
		    "generate --standby, and give its public key to clients");
		rc = EXIT_REFUSED;
		goto out;
	}
	if ((n = role_count(db, "active", oldid)) < 0)
		goto out;
	if ((st = db_prepare(db, "UPDATE signing_key SET role = 'retired', "
	    "retired = ?1 WHERE role = 'active'")) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	if (!db_step_done(db, st))
		goto out;
	sqlite3_finalize(st);
	if ((st = db_prepare(db, "UPDATE signing_key SET role = 'active', "
	    "activated = ?1 WHERE role = 'standby'")) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	if (!db_step_done(db, st))
		goto out;
	/* The new key must load before anything depends on it. */
	if ((sk = keys_load_active(db, cfg, loaded)) == NULL)
		goto out;
	if (!audit_append(db, actor, "key-rotate", newid, json_pack(
	    "{s:s, s:s?}", "key_id", newid, "retired", n ? oldid : NULL)) ||
	    !db_commit(db))
		goto out;
	printf("signing key is now %s", newid);
	if (n) {
		printf("; %s retired (kept to verify history)", oldid);
		if ((oldpath = keys_path(cfg, oldid, "key")) != NULL &&
		    unlink(oldpath) == -1 && errno != ENOENT)
			warn("%s", oldpath);
	}
	printf("\n");
	rc = publish_all(db, cfg, actor, NULL, 0);
 out:
	sqlite3_finalize(st);
	seckey_free(sk);
	free(oldpath);
	db_rollback(db);
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
