/*
 * profile.c - "profile add": a new profile's row, its tags and its
 * audit row in one transaction; "profile set --distrust-after": its
 * policy for dated roots, with an audit row.  The caller publishes it after
 * (release.c); the command is cmd_release.c's cmd_profile.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"
#include "exitcode.h"
#include "profile.h"
#include "release.h"

/*
 * A --base must be a profile relayed from an upstream mirror (relayed
 * verbatim, or carried to be countersigned), other than the new one.
 * Returns EXIT_DONE, EXIT_REFUSED after a warning, or EXIT_LOCAL.
 */
static int
base_check(sqlite3 *db, const struct profile_new *n)
{
	sqlite3_stmt	*st;
	int		 step, ok = 0;

	if ((st = db_prepare(db, "SELECT EXISTS (SELECT 1 FROM release WHERE "
	    "profile = ?1 AND reason = 'relay') OR EXISTS (SELECT 1 FROM "
	    "carry WHERE profile = ?1)")) == NULL)
		return EXIT_LOCAL;
	sqlite3_bind_text(st, 1, n->base, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW)
		ok = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (step != SQLITE_ROW) {
		warnx("%s", sqlite3_errmsg(db));
		return EXIT_LOCAL;
	}
	if (!ok) {
		warnx("--base %s: not a profile relayed from the upstream "
		    "mirror ([mirror] profiles); fetch it first", n->base);
		return EXIT_REFUSED;
	}
	return EXIT_DONE;
}

/*
 * Add profile p->name as p says, with its audit row, in one
 * transaction.  Refuses a name that exists and a base that is not a
 * relayed profile (exit 1).  Returns an exit
 * code: 0 added (nothing published yet), 1 refused, 4 local error.
 */
int
profile_add(sqlite3 *db, const struct profile_new *n)
{
	sqlite3_stmt	*st = NULL;
	struct profile	 p;
	json_t		*tags = NULL;
	const char	*org = n->all_org ? "all" : n->ntags ? "tags" : "none";
	const char	*distrust = n->distrust != NULL ? n->distrust :
			    distrust_names[DISTRUST_SUNSET];
	size_t		 i;
	int		 rc = EXIT_LOCAL;

	if (!db_begin(db) || !profile_get(db, n->name, &p))
		goto out;
	if (p.name[0] != '\0') {
		warnx("%s: profile exists already", n->name);
		rc = EXIT_REFUSED;
		goto out;
	}
	if (n->base != NULL && (rc = base_check(db, n)) != EXIT_DONE)
		goto out;
	rc = EXIT_LOCAL;
	if ((st = db_prepare(db, "INSERT INTO profile (name, upstream, "
	    "exclusions, org, description, builtin, created, base, "
	    "distrust_after) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)")) == NULL)
		goto out;
	sqlite3_bind_text(st, 8, distrust, -1, SQLITE_STATIC);
	if (n->base != NULL)
		sqlite3_bind_text(st, 7, n->base, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 1, n->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, n->upstream);
	sqlite3_bind_int(st, 3, n->exclusions);
	sqlite3_bind_text(st, 4, org, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, n->description != NULL ? n->description :
	    "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	if (!db_step_done(db, st))
		goto out;
	sqlite3_finalize(st);
	if ((st = db_prepare(db, "INSERT OR IGNORE INTO profile_tag (profile, "
	    "tag) VALUES (?, ?)")) == NULL || (tags = json_array()) == NULL)
		goto out;
	for (i = 0; i < n->ntags; i++) {
		sqlite3_bind_text(st, 1, n->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, n->tags[i], -1, SQLITE_STATIC);
		if (!db_step_done(db, st) ||
		    json_array_append_new(tags, json_string(n->tags[i])) == -1)
			goto out;
	}
	if (!audit_append(db, n->actor, "profile-add", n->name, json_pack(
	    "{s:s, s:b, s:b, s:s, s:O, s:s?, s:s?, s:s}", "profile", n->name,
	    "upstream", n->upstream, "exclusions", n->exclusions, "org", org,
	    "tags", tags, "description", n->description, "base", n->base,
	    "distrust_after", distrust)) ||
	    !db_commit(db))
		goto out;
	rc = EXIT_DONE;
 out:
	json_decref(tags);
	sqlite3_finalize(st);
	db_rollback(db);
	return rc;
}

/*
 * Set profile name's distrust_after policy (keep, sunset, drop) with an
 * audit row naming the old and new one, in one transaction; the caller
 * publishes after.  Refuses an unknown profile or policy (exit 1).
 * Returns an exit code: 0 set (or already so), 1 refused, 4 local error.
 */
int
profile_set_distrust(sqlite3 *db, const char *name, const char *policy,
    const char *actor)
{
	sqlite3_stmt	*st = NULL;
	struct profile	 p;
	enum distrust	 d;
	int		 rc = EXIT_LOCAL;

	if (!distrust_parse(policy, &d)) {
		warnx("--distrust-after %s: want keep, sunset or drop",
		    policy);
		return EXIT_REFUSED;
	}
	if (!db_begin(db) || !profile_get(db, name, &p))
		goto out;
	if (p.name[0] == '\0') {
		warnx("%s: no such profile (cabundled profile list)", name);
		rc = EXIT_REFUSED;
		goto out;
	}
	if (p.distrust == d) {
		rc = EXIT_DONE;
		goto out;
	}
	if ((st = db_prepare(db, "UPDATE profile SET distrust_after = ? "
	    "WHERE name = ?")) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, distrust_names[d], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (!db_step_done(db, st) ||
	    !audit_append(db, actor, "profile-set", name, json_pack(
	    "{s:s, s:s, s:s}", "profile", name, "distrust_after",
	    distrust_names[d], "was", distrust_names[p.distrust])) ||
	    !db_commit(db))
		goto out;
	rc = EXIT_DONE;
 out:
	sqlite3_finalize(st);
	db_rollback(db);
	return rc;
}
