/*
 * state.c - what the client remembers between runs (SPEC 8 steps 7 and
 * 11): per profile and signing key the highest version installed (the
 * rollback floor), and per target what it holds and where its original
 * went.  One JSON document (jansson), replaced atomically:
 *
 *	{ "format": "cabundle-client/1",
 *	  "floors": [ { "profile", "key_id", "version", "sha256" } ],
 *	  "targets": [ { "path", "kind", "profile", "version", "sha256",
 *			 "key_id", "created", "expires", "installed",
 *			 "backup", "source" } ],
 *	  "keylists": [ { "source", "version", "sha256", "expires" } ],
 *	  "runs": [ { "profile", "last_success" } ],
 *	  "constraints": [ { "profile", "version", "bundle_sha256",
 *			     "roots": [ ... ] } ] }
 *
 * "keylists" (--root, doc/SPEC.md 11) is absent from older files,
 * which still load: per source, the key list version trusted last,
 * its sha256 (to recognise it again) and its expiry.  "runs" (--metrics)
 * is absent too until a run with --metrics succeeds: per profile, the
 * time of the last run that left every target holding the release.
 * "constraints" (doc/SPEC.md 12) is absent too until an install finds
 * a release's signed dates or learns it has none: per profile, the
 * version and bundle they belong to and the dated roots
 * (constraints.c), empty when the release has none.
 *
 * The file is written only by us, but it is read like any input: a
 * cap, and every field's type checked before use.  It is believed only
 * when it is a regular file of root (or ours), writable by nobody
 * else, reached through directories that pass the ownership rule
 * (safepath.c); and each target's backup must be that target's own
 * "-backup" name (SECURITY.md, "Local attackers").
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "extern.h"

#define STATE_MAX	(1u << 20)
#define STATE_FORMAT	"cabundle-client/1"

static int
floor_ok(const json_t *f)
{
	return json_is_string(json_object_get(f, "profile")) &&
	    json_is_string(json_object_get(f, "key_id")) &&
	    json_is_integer(json_object_get(f, "version")) &&
	    json_integer_value(json_object_get(f, "version")) >= 0 &&
	    json_is_string(json_object_get(f, "sha256"));
}

static int
keylist_ok(const json_t *k)
{
	const char	*h = json_string_value(json_object_get(k, "sha256"));

	return json_is_string(json_object_get(k, "source")) &&
	    json_is_integer(json_object_get(k, "version")) &&
	    json_integer_value(json_object_get(k, "version")) > 0 &&
	    json_is_integer(json_object_get(k, "expires")) &&
	    h != NULL && strlen(h) == 64 && strspn(h, "0123456789abcdef") ==
	    64;
}

static int
run_ok(const json_t *r)
{
	return json_is_string(json_object_get(r, "profile")) &&
	    json_is_integer(json_object_get(r, "last_success"));
}

static int
constraints_ok(const json_t *c)
{
	const char	*h = json_string_value(json_object_get(c,
			    "bundle_sha256"));
	const json_t	*r;
	size_t		 i;

	if (!json_is_string(json_object_get(c, "profile")) ||
	    !json_is_integer(json_object_get(c, "version")) ||
	    json_integer_value(json_object_get(c, "version")) <= 0 ||
	    h == NULL || strlen(h) != 64 || strspn(h, "0123456789abcdef") !=
	    64 || !json_is_array(json_object_get(c, "roots")))
		return 0;
	json_array_foreach(json_object_get(c, "roots"), i, r)
		if (!constraints_root_ok(r))
			return 0;
	return 1;
}

/*
 * 1 when st has no array key (a state from before it), or an array
 * whose every record passes ok.
 */
static int
optional_ok(const json_t *st, const char *key, int (*ok)(const json_t *))
{
	const json_t	*a = json_object_get(st, key), *x;
	size_t		 i;

	if (a == NULL)
		return 1;
	if (!json_is_array(a))
		return 0;
	json_array_foreach(a, i, x)
		if (!ok(x))
			return 0;
	return 1;
}

static int
kind_ok(const char *k)
{
	return k != NULL && (strcmp(k, "certifi") == 0 || strcmp(k, "pip") ==
	    0 || strcmp(k, "file") == 0 || strcmp(k, "capath") == 0 ||
	    strcmp(k, "java") == 0 || strcmp(k, "system") == 0 ||
	    strcmp(k, "nssdb") == 0);
}

/*
 * The backup of a target is nothing (null), "" (there was nothing) or
 * exactly "PATH-backup", and its identity has the fields restore
 * checks.  Anything else is refused with a warning naming the file.
 */
static int
backup_ok(const json_t *t, const char *file)
{
	const char	*p = json_string_value(json_object_get(t, "path"));
	const json_t	*b = json_object_get(t, "backup");
	const json_t	*id = json_object_get(t, "backup_id");
	size_t		 n = strlen(p);

	if (*p != '/' || !kind_ok(json_string_value(json_object_get(t,
	    "kind")))) {
		warnx("%s: target %s: not an absolute path of a known kind; "
		    "refusing to believe this state (SECURITY.md: local "
		    "attackers)", file, p);
		return 0;
	}
	if (json_is_string(b) && *json_string_value(b) != '\0' &&
	    (strncmp(json_string_value(b), p, n) != 0 ||
	    strcmp(json_string_value(b) + n, "-backup") != 0)) {
		warnx("%s: target %s: backup %s is not %s-backup; refusing to "
		    "believe this state (SECURITY.md: local attackers)", file,
		    p, json_string_value(b), p);
		return 0;
	}
	if (id != NULL && (!json_is_object(id) ||
	    !json_is_integer(json_object_get(id, "dev")) ||
	    !json_is_integer(json_object_get(id, "ino")) ||
	    !json_is_integer(json_object_get(id, "size")) ||
	    !json_is_string(json_object_get(id, "sha256")))) {
		warnx("%s: target %s: backup_id is not what cabundle writes",
		    file, p);
		return 0;
	}
	return 1;
}

static int
target_ok(const json_t *t)
{
	const json_t	*b = json_object_get(t, "backup");

	return json_is_string(json_object_get(t, "path")) &&
	    json_is_string(json_object_get(t, "kind")) &&
	    json_is_string(json_object_get(t, "profile")) &&
	    json_is_integer(json_object_get(t, "version")) &&
	    json_is_string(json_object_get(t, "sha256")) &&
	    json_is_string(json_object_get(t, "key_id")) &&
	    json_is_integer(json_object_get(t, "expires")) &&
	    (b == NULL || json_is_null(b) || json_is_string(b));
}

/*
 * Read the state at path; a missing file is an empty state.  Returns
 * the document (json_decref it), or NULL after a warning naming the
 * file: unreadable, over 1 MiB, not JSON, or not our format.
 */
json_t *
state_load(const char *path)
{
	struct buf	 b;
	struct stat	 sb;
	json_t		*st = NULL, *a, *x;
	json_error_t	 je;
	char		 name[NAME_MAX + 1];
	size_t		 i;
	int		 dfd, ok;

	buf_init(&b, STATE_MAX);
	if ((dfd = safepath_open_parent(path, 0, name, sizeof(name))) == -1) {
		if (errno != ENOENT)
			return NULL;
		/* A missing directory: a first run, as a missing file. */
		return json_pack("{s:s, s:[], s:[]}", "format", STATE_FORMAT,
		    "floors", "targets");
	}
	ok = safepath_readat(dfd, name, path, &b, &sb);
	close(dfd);
	if (!ok && errno == ENOENT) {
		buf_free(&b);
		return json_pack("{s:s, s:[], s:[]}", "format", STATE_FORMAT,
		    "floors", "targets");
	}
	if (!ok || !safepath_rule_for(&sb, path, geteuid() == 0 ?
	    "believe it as root" : "believe it"))
		goto out;
	if ((st = json_loadb((const char *)b.data, b.len, JSON_REJECT_DUPLICATES,
	    &je)) == NULL) {
		warnx("%s: state file is not JSON: %s (line %d)", path,
		    je.text, je.line);
		goto out;
	}
	if (!json_is_string(json_object_get(st, "format")) ||
	    strcmp(json_string_value(json_object_get(st, "format")),
	    STATE_FORMAT) != 0 ||
	    !json_is_array(json_object_get(st, "floors")) ||
	    !json_is_array(json_object_get(st, "targets")))
		goto bad;
	a = json_object_get(st, "floors");
	json_array_foreach(a, i, x)
		if (!floor_ok(x))
			goto bad;
	a = json_object_get(st, "targets");
	json_array_foreach(a, i, x)
		if (!target_ok(x))
			goto bad;
	if (!optional_ok(st, "keylists", keylist_ok) ||
	    !optional_ok(st, "runs", run_ok) ||
	    !optional_ok(st, "constraints", constraints_ok))
		goto bad;
	json_array_foreach(a, i, x)
		if (!backup_ok(x, path)) {
			json_decref(st);
			st = NULL;
			goto out;
		}
	goto out;
 bad:
	warnx("%s: not a cabundle state file (%s)", path, STATE_FORMAT);
	json_decref(st);
	st = NULL;
 out:
	buf_free(&b);
	return st;
}

/*
 * The key list floor of source: 1 with *version, sha256 (65 bytes)
 * and *expires set, 0 when none is recorded.
 */
int
state_keylist(const json_t *st, const char *source, uint64_t *version,
    char *sha256, int64_t *expires)
{
	const json_t	*k;
	size_t		 i;

	json_array_foreach(json_object_get(st, "keylists"), i, k)
		if (strcmp(json_string_value(json_object_get(k, "source")),
		    source) == 0) {
			*version = (uint64_t)json_integer_value(
			    json_object_get(k, "version"));
			snprintf(sha256, 65, "%s", json_string_value(
			    json_object_get(k, "sha256")));
			*expires = json_integer_value(json_object_get(k,
			    "expires"));
			return 1;
		}
	return 0;
}

/*
 * Record the key list trusted for source (a new floor).  Returns 1, or
 * 0 when out of memory.
 */
int
state_set_keylist(json_t *st, const char *source, uint64_t version,
    const char *sha256, int64_t expires)
{
	json_t	*a = json_object_get(st, "keylists"), *k;
	size_t	 i;

	if (a == NULL) {
		if ((a = json_array()) == NULL ||
		    json_object_set_new(st, "keylists", a) == -1)
			return 0;
	}
	json_array_foreach(a, i, k)
		if (strcmp(json_string_value(json_object_get(k, "source")),
		    source) == 0)
			return json_array_set_new(a, i, json_pack(
			    "{s:s, s:I, s:s, s:I}", "source", source,
			    "version", (json_int_t)version, "sha256", sha256,
			    "expires", (json_int_t)expires)) == 0;
	return json_array_append_new(a, json_pack("{s:s, s:I, s:s, s:I}",
	    "source", source, "version", (json_int_t)version, "sha256",
	    sha256, "expires", (json_int_t)expires)) == 0;
}

/*
 * The rollback floor of profile (SPEC 8 step 7): the highest version
 * recorded under a key still trusted.  Returns 1 with *version and
 * sha256 (65 bytes) set, 0 when there is none.
 */
int
state_floor(const json_t *st, const char *profile,
    const struct pubkey *keys, size_t nkeys, uint64_t *version,
    char *sha256)
{
	const json_t	*f;
	char		 id[17];
	size_t		 i, k;
	int		 found = 0;

	json_array_foreach(json_object_get(st, "floors"), i, f) {
		if (strcmp(json_string_value(json_object_get(f, "profile")),
		    profile) != 0)
			continue;
		for (k = 0; k < nkeys; k++) {
			keyid_format(keys[k].keyid, id);
			if (strcmp(id, json_string_value(json_object_get(f,
			    "key_id"))) == 0)
				break;
		}
		if (k == nkeys)
			continue;	/* a key no longer trusted */
		if (!found || (uint64_t)json_integer_value(
		    json_object_get(f, "version")) > *version) {
			*version = (uint64_t)json_integer_value(
			    json_object_get(f, "version"));
			snprintf(sha256, 65, "%s", json_string_value(
			    json_object_get(f, "sha256")));
			found = 1;
		}
	}
	return found;
}

/* Raise profile's floor under key_id to version.  Returns 1, or 0. */
int
state_set_floor(json_t *st, const char *profile, const char *key_id,
    uint64_t version, const char *sha256)
{
	json_t	*a = json_object_get(st, "floors"), *f;
	size_t	 i;

	json_array_foreach(a, i, f)
		if (strcmp(json_string_value(json_object_get(f, "profile")),
		    profile) == 0 && strcmp(json_string_value(
		    json_object_get(f, "key_id")), key_id) == 0) {
			if ((uint64_t)json_integer_value(json_object_get(f,
			    "version")) > version)
				return 1;
			return json_object_set_new(f, "version",
			    json_integer((json_int_t)version)) == 0 &&
			    json_object_set_new(f, "sha256",
			    json_string(sha256)) == 0;
		}
	return json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:s}",
	    "profile", profile, "key_id", key_id, "version",
	    (json_int_t)version, "sha256", sha256)) == 0;
}

/*
 * When a run of profile last succeeded (every target holding the
 * release): 1 with *when set, 0 when none is recorded.
 */
int
state_last_success(const json_t *st, const char *profile, int64_t *when)
{
	const json_t	*r;
	size_t		 i;

	json_array_foreach(json_object_get(st, "runs"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "profile")),
		    profile) == 0) {
			*when = json_integer_value(json_object_get(r,
			    "last_success"));
			return 1;
		}
	return 0;
}

/* Record that a run of profile succeeded at when.  Returns 1, or 0. */
int
state_set_last_success(json_t *st, const char *profile, int64_t when)
{
	json_t	*a = json_object_get(st, "runs"), *r;
	size_t	 i;

	if (a == NULL) {
		if (json_object_set_new(st, "runs", json_array()) == -1)
			return 0;
		a = json_object_get(st, "runs");
	}
	json_array_foreach(a, i, r)
		if (strcmp(json_string_value(json_object_get(r, "profile")),
		    profile) == 0)
			return json_object_set_new(r, "last_success",
			    json_integer((json_int_t)when)) == 0;
	return json_array_append_new(a, json_pack("{s:s, s:I}", "profile",
	    profile, "last_success", (json_int_t)when)) == 0;
}

/*
 * The record of array a whose string key is value (owned by a), with
 * its index in *at unless at is NULL; NULL when there is none.
 */
static json_t *
record_find(const json_t *a, const char *key, const char *value,
    size_t *at)
{
	json_t	*x;
	size_t	 i;

	json_array_foreach(a, i, x)
		if (strcmp(json_string_value(json_object_get(x, key)),
		    value) == 0) {
			if (at != NULL)
				*at = i;
			return x;
		}
	return NULL;
}

/*
 * What is known of profile's distrust-after dates (doc/SPEC.md 12):
 * its record, owned by st, or NULL when nothing is.
 */
json_t *
state_constraints(const json_t *st, const char *profile)
{
	return record_find(json_object_get(st, "constraints"), "profile",
	    profile, NULL);
}

/*
 * Record roots (stolen; NULL: forget what is known) as the dated roots
 * of profile's version, whose bundle has sha256.  Returns 1, or 0 when
 * out of memory.
 */
int
state_set_constraints(json_t *st, const char *profile, uint64_t version,
    const char *sha256, json_t *roots)
{
	json_t	*a = json_object_get(st, "constraints"), *c = NULL;
	size_t	 i;

	if (a == NULL) {
		if (roots == NULL)
			return 1;
		if (json_object_set_new(st, "constraints", json_array()) ==
		    -1) {
			json_decref(roots);
			return 0;
		}
		a = json_object_get(st, "constraints");
	}
	if (roots != NULL && (c = json_pack("{s:s, s:I, s:s, s:o}",
	    "profile", profile, "version", (json_int_t)version,
	    "bundle_sha256", sha256, "roots", roots)) == NULL)
		return 0;
	if (record_find(a, "profile", profile, &i) != NULL)
		return c == NULL ? json_array_remove(a, i) == 0 :
		    json_array_set_new(a, i, c) == 0;
	return c == NULL || json_array_append_new(a, c) == 0;
}

/* The record of the target at path, or NULL; owned by st. */
json_t *
state_target(const json_t *st, const char *path)
{
	return record_find(json_object_get(st, "targets"), "path", path,
	    NULL);
}

/* Record t (stolen) for its path, replacing any earlier record. */
int
state_put_target(json_t *st, json_t *t)
{
	json_t		*a = json_object_get(st, "targets"), *x;
	const char	*path = json_string_value(json_object_get(t, "path"));
	size_t		 i;

	json_array_foreach(a, i, x)
		if (strcmp(json_string_value(json_object_get(x, "path")),
		    path) == 0)
			return json_array_set_new(a, i, t) == 0;
	return json_array_append_new(a, t) == 0;
}

/* Forget the target at path.  Returns 1 if it was there. */
int
state_drop_target(json_t *st, const char *path)
{
	json_t	*a = json_object_get(st, "targets"), *x;
	size_t	 i;

	json_array_foreach(a, i, x)
		if (strcmp(json_string_value(json_object_get(x, "path")),
		    path) == 0)
			return json_array_remove(a, i) == 0;
	return 0;
}

/*
 * Write st to path the way targets are written (temporary file, fsync,
 * rename, fsync of the directory), creating the directory (0755) if
 * needed.  Returns 1, or 0 after a warning naming the file.
 */
int
state_save(const json_t *st, const char *path)
{
	char	*s;
	int	 ok;

	if ((s = json_dumps(st, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ==
	    NULL) {
		warnx("%s: cannot encode the state", path);
		return 0;
	}
	ok = file_mkparent(path) &&
	    file_replace(path, s, strlen(s), 0644, NULL);
	free(s);
	return ok;
}

/*
 * Take the lock beside the state (state.lock), waiting for another
 * run's.  The lock file is opened without following a link and must be
 * a regular file of ours.  Returns the descriptor to close, or -1
 * after a warning naming it.
 */
int
state_lock(const char *state)
{
	char		 path[PATH_MAX], name[NAME_MAX + 1];
	struct stat	 st;
	int		 dfd, fd = -1;

	if (snprintf(path, sizeof(path), "%s.lock", state) >=
	    (int)sizeof(path)) {
		warnx("%s: path too long", state);
		return -1;
	}
	if ((dfd = safepath_open_parent(path, SP_MKDIR, name,
	    sizeof(name))) == -1)
		return -1;
	fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0600);
	/* With fs.protected_symlinks, a link there is EACCES, not ELOOP. */
	if (fd == -1 && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		errno = ELOOP;
	close(dfd);
	if (fd == -1) {
		if (errno == ELOOP)
			warnx("%s: a symbolic link, refusing to follow it "
			    "(SECURITY.md: local attackers)", path);
		else
			warn("%s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		warnx("%s: not a regular file of uid %u, refusing to use it as "
		    "the lock (SECURITY.md: local attackers)", path,
		    (unsigned)geteuid());
		close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX) == -1) {
		warn("%s: lock", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* A backup's identity as the state records it; NULL on no memory. */
json_t *
fileid_json(const struct fileid *id)
{
	return json_pack("{s:I, s:I, s:I, s:s}", "dev", (json_int_t)id->dev,
	    "ino", (json_int_t)id->ino, "size", (json_int_t)id->size,
	    "sha256", id->sha256);
}

/*
 * Whether st (and sha256, NULL for a directory or link) is the backup
 * recorded as id.  Returns 1, or 0 after a warning naming path.
 */
int
fileid_match(const json_t *id, const struct stat *st, const char *sha256)
{
	if (!json_is_object(id))
		return 0;
	if ((json_int_t)st->st_dev != json_integer_value(json_object_get(id,
	    "dev")) || (json_int_t)st->st_ino != json_integer_value(
	    json_object_get(id, "ino")) || (sha256 != NULL &&
	    ((json_int_t)st->st_size != json_integer_value(json_object_get(id,
	    "size")) || strcmp(sha256, json_string_value(json_object_get(id,
	    "sha256"))) != 0)))
		return 0;
	return 1;
}
