/*
 * profile.c - "profile add": a new profile's row, its tags and its
 * audit row in one transaction; "profile edit" (and its alias "profile
 * set"): its rule, description and policy for dated roots, with an
 * audit row holding the rule before and after; "profile remove": the
 * removed stamp (schema 009), with an audit row.  The caller publishes
 * after (release.c); the command is cmd_release.c's cmd_profile.
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
#include "query.h"
#include "release.h"

/*
 * A --base must be a profile relayed from an upstream mirror (relayed
 * verbatim, or carried to be countersigned), other than the new one.
 * Returns EXIT_DONE, EXIT_USAGE (no such profile) or EXIT_REFUSED (one
 * that is not relayed) after a warning, or EXIT_LOCAL.
 */
static int
base_check(sqlite3 *db, const struct profile_new *n)
{
	sqlite3_stmt	*st;
	struct profile	 p;
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
	if (!ok && !profile_get(db, n->base, &p))
		return EXIT_LOCAL;
	/* An unknown name is a usage error, as for every command. */
	if (!ok && p.name[0] == '\0') {
		warnx("--base %s: no such profile (cabundled profile list)",
		    n->base);
		return EXIT_USAGE;
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
 * transaction.  Refuses a name that exists or existed (a removed
 * profile's) and a base that is not a relayed profile (exit 1), or no
 * profile at all (exit 2).  Returns an exit code: 0 added (nothing
 * published yet), 1 refused, 2 unknown base, 4 local error.
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
		if (p.removed)
			warnx("%s: a removed profile's name; its releases are "
			    "still served under it, so it is not given to "
			    "another profile: choose another name", n->name);
		else
			warnx("%s: profile exists already (cabundled profile "
			    "edit changes it)", n->name);
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
 * The rule of profile name as a new JSON object (upstream, exclusions,
 * org, tags, description, distrust_after), with *builtin, *removed and
 * *base (a relayed profile's, "" none) from the same row.  *rule is
 * NULL when there is no such profile.  Returns 1, or 0 after a warning.
 */
static int
rule_get(sqlite3 *db, const char *name, json_t **rule, int *builtin,
    int64_t *removed)
{
	sqlite3_stmt	*st;
	json_t		*tags = NULL;
	int		 step, ok = 0;

	*rule = NULL;
	if ((st = db_prepare(db, "SELECT upstream, exclusions, org, "
	    "description, distrust_after, builtin, coalesce(removed, 0) FROM "
	    "profile WHERE name = ?")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_DONE) {
		ok = 1;
		goto out;
	}
	if (step != SQLITE_ROW || (tags = json_array()) == NULL) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	*builtin = sqlite3_column_int(st, 5);
	*removed = sqlite3_column_int64(st, 6);
	if ((*rule = json_pack("{s:b, s:b, s:s, s:O, s:s, s:s}",
	    "upstream", sqlite3_column_int(st, 0),
	    "exclusions", sqlite3_column_int(st, 1),
	    "org", sqlite3_column_text(st, 2), "tags", tags,
	    "description", sqlite3_column_text(st, 3),
	    "distrust_after", sqlite3_column_text(st, 4))) == NULL)
		goto out;
	sqlite3_finalize(st);
	if ((st = db_prepare(db, "SELECT tag FROM profile_tag WHERE profile = "
	    "? ORDER BY tag")) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		if (json_array_append_new(tags, json_string((const char *)
		    sqlite3_column_text(st, 0))) == -1)
			goto out;
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	ok = 1;
 out:
	if (!ok) {
		json_decref(*rule);
		*rule = NULL;
	}
	json_decref(tags);
	sqlite3_finalize(st);
	return ok;
}

/* Apply e to the rule r (a copy of the profile's); 0: out of memory. */
static int
rule_apply(json_t *r, const struct profile_edit *e)
{
	json_t	*tags;
	size_t	 i;
	int	 excl = e->exclusions;

	/*
	 * As profile add: no upstream roots, nothing to exclude; roots
	 * that come in come minus the exclusions unless told otherwise.
	 */
	if (excl == -1 && e->upstream == 0)
		excl = 0;
	if (excl == -1 && e->upstream == 1 &&
	    !json_is_true(json_object_get(r, "upstream")))
		excl = 1;
	if (e->upstream != -1 && json_object_set_new(r, "upstream",
	    json_boolean(e->upstream)) == -1)
		return 0;
	if (excl != -1 && json_object_set_new(r, "exclusions",
	    json_boolean(excl)) == -1)
		return 0;
	if (e->description != NULL && json_object_set_new(r, "description",
	    json_string(e->description)) == -1)
		return 0;
	if (e->distrust != NULL && json_object_set_new(r, "distrust_after",
	    json_string(e->distrust)) == -1)
		return 0;
	if (e->org != NULL && json_object_set_new(r, "org",
	    json_string(e->org)) == -1)
		return 0;
	if (e->org == NULL && e->ntags == 0)
		return 1;
	if ((tags = json_array()) == NULL ||
	    json_object_set_new(r, "tags", tags) == -1)
		return 0;
	for (i = 0; i < e->ntags; i++)
		if (json_array_append_new(tags, json_string(e->tags[i])) == -1)
			return 0;
	return 1;
}

/* Write rule r into profile name's row and tags. */
static int
rule_store(sqlite3 *db, const char *name, const json_t *r)
{
	sqlite3_stmt	*st;
	int		 ok = 0;

	if ((st = db_prepare(db, "UPDATE profile SET upstream = ?, exclusions "
	    "= ?, org = ?, description = ?, distrust_after = ? WHERE name = ?"))
	    == NULL)
		return 0;
	sqlite3_bind_int(st, 1, json_is_true(json_object_get(r, "upstream")));
	sqlite3_bind_int(st, 2, json_is_true(json_object_get(r,
	    "exclusions")));
	sqlite3_bind_text(st, 3, json_string_value(json_object_get(r, "org")),
	    -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, json_string_value(json_object_get(r,
	    "description")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, json_string_value(json_object_get(r,
	    "distrust_after")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, name, -1, SQLITE_STATIC);
	if (!db_step_done(db, st) || !query_tags_set(db, "profile_tag",
	    "profile", name, json_object_get(r, "tags")))
		goto out;
	ok = 1;
 out:
	sqlite3_finalize(st);
	return ok;
}

/*
 * Whether rule r (after an edit) may stand, from b (before) and
 * builtin.  Returns EXIT_DONE, or EXIT_REFUSED after a warning.
 */
static int
rule_check(const char *name, const json_t *b, const json_t *r, int builtin)
{
	static const char *const what[] = { "upstream", "exclusions", "org",
	    "tags" };
	const char	*org = json_string_value(json_object_get(r, "org"));
	size_t		 i, ntags = json_array_size(json_object_get(r, "tags"));

	for (i = 0; builtin && i < sizeof(what) / sizeof(what[0]); i++)
		if (!json_equal(json_object_get(b, what[i]),
		    json_object_get(r, what[i]))) {
			warnx("%s: a built-in profile keeps its rule (%s); "
			    "only --description and --distrust-after change "
			    "it. Add a profile of your own instead (cabundled "
			    "profile add)", name, what[i]);
			return EXIT_REFUSED;
		}
	if (strcmp(org, "tags") == 0 && ntags == 0) {
		warnx("%s: --org tags needs at least one --tag", name);
		return EXIT_REFUSED;
	}
	if (strcmp(org, "tags") != 0 && ntags != 0) {
		warnx("%s: --tag selects organization CAs by tag; it goes with "
		    "--org tags, not --org %s", name, org);
		return EXIT_REFUSED;
	}
	if (!json_is_true(json_object_get(r, "upstream")) &&
	    json_is_true(json_object_get(r, "exclusions"))) {
		warnx("%s: --exclusions yes needs the upstream roots "
		    "(--upstream yes)", name);
		return EXIT_REFUSED;
	}
	if (!json_is_true(json_object_get(r, "upstream")) &&
	    strcmp(org, "none") == 0) {
		warnx("%s: without the upstream roots and without organization "
		    "CAs the profile would hold nothing", name);
		return EXIT_REFUSED;
	}
	return EXIT_DONE;
}

/*
 * Change profile e->name as e says (what e leaves unset stays), with
 * one audit row "profile-edit" holding the rule before and after, in
 * one transaction; the caller publishes after.  Refuses an unknown
 * profile (exit 2, as every command does), a removed one, a new rule
 * for a built-in one, and a rule that holds nothing (exit 1).
 * *changes: a new object the caller frees, each changed field with
 * [before, after]; NULL when nothing changed (no audit row then).
 * Returns an exit code: 0, 1 refused, 2 unknown, 4 local error.
 */
int
profile_edit(sqlite3 *db, const struct profile_edit *e, json_t **changes)
{
	json_t		*before = NULL, *after = NULL, *v;
	const char	*k;
	int64_t		 removed = 0;
	int		 builtin = 0, rc = EXIT_LOCAL;

	*changes = NULL;
	if (!db_begin(db) || !rule_get(db, e->name, &before, &builtin,
	    &removed))
		goto out;
	if (before == NULL) {
		warnx("%s: no such profile (cabundled profile list)", e->name);
		rc = EXIT_USAGE;
		goto out;
	}
	rc = EXIT_REFUSED;
	if (removed) {
		warnx("%s: removed; a removed profile is not changed", e->name);
		goto out;
	}
	rc = EXIT_LOCAL;
	if ((after = json_deep_copy(before)) == NULL || !rule_apply(after, e))
		goto out;
	if ((rc = rule_check(e->name, before, after, builtin)) != EXIT_DONE)
		goto out;
	if (json_equal(before, after))
		goto out;
	rc = EXIT_LOCAL;
	if ((*changes = json_object()) == NULL)
		goto out;
	json_object_foreach(after, k, v)
		if (!json_equal(v, json_object_get(before, k)) &&
		    json_object_set_new(*changes, k, json_pack("[O, O]",
		    json_object_get(before, k), v)) == -1)
			goto out;
	if (!rule_store(db, e->name, after) ||
	    !audit_append(db, e->actor, "profile-edit", e->name, json_pack(
	    "{s:s, s:O, s:O}", "profile", e->name, "before", before,
	    "after", after)) || !db_commit(db))
		goto out;
	rc = EXIT_DONE;
 out:
	if (rc != EXIT_DONE) {
		json_decref(*changes);
		*changes = NULL;
	}
	json_decref(before);
	json_decref(after);
	db_rollback(db);
	return rc;
}

/* The current profiles built on name (--base); 0 after a warning. */
static int
base_users(sqlite3 *db, const char *name, int *n)
{
	sqlite3_stmt	*st;
	int		 step;

	*n = 0;
	if ((st = db_prepare(db, "SELECT name FROM profile WHERE base = ? AND "
	    "removed IS NULL ORDER BY name")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		warnx("%s: profile %s is built on it (--base); remove that "
		    "one first", name, sqlite3_column_text(st, 0));
		(*n)++;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
	return 1;
}

/*
 * Stamp profile name removed (schema 009) by actor for reason, with an
 * audit row "profile-remove" holding its last rule, in one transaction.
 * It is no longer composed, published or renewed; its releases stay.
 * Refuses an unknown profile (exit 2, as every command does), a removed
 * one, a built-in one and one another profile is built on (exit 1).
 * Returns an exit code: 0, 1 refused, 2 unknown, 4 local error.
 */
int
profile_remove(sqlite3 *db, const char *name, const char *reason,
    const char *actor)
{
	sqlite3_stmt	*st = NULL;
	json_t		*rule = NULL;
	int64_t		 removed = 0;
	int		 builtin = 0, users, rc = EXIT_LOCAL;

	if (!db_begin(db) || !rule_get(db, name, &rule, &builtin, &removed))
		goto out;
	rc = rule == NULL ? EXIT_USAGE : EXIT_REFUSED;
	if (rule == NULL)
		warnx("%s: no such profile (cabundled profile list)", name);
	else if (removed)
		warnx("%s: removed already", name);
	else if (builtin)
		warnx("%s: a built-in profile; it cannot be removed", name);
	if (rule == NULL || removed || builtin)
		goto out;
	rc = EXIT_LOCAL;
	if (!base_users(db, name, &users))
		goto out;
	if (users) {
		rc = EXIT_REFUSED;
		goto out;
	}
	if ((st = db_prepare(db, "UPDATE profile SET removed = ?, removed_by = "
	    "? WHERE name = ?")) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	if (!db_step_done(db, st) ||
	    !audit_append(db, actor, "profile-remove", name, json_pack(
	    "{s:s, s:s, s:O}", "profile", name, "reason", reason,
	    "rule", rule)) || !db_commit(db))
		goto out;
	rc = EXIT_DONE;
 out:
	json_decref(rule);
	sqlite3_finalize(st);
	db_rollback(db);
	return rc;
}
