/*
 * carry.c - the upstream releases a relaying mirror verified (SPEC
 * section 8, relay.c), one row each with the .minisig as received and
 * the snapshot its body became.  A quarantined body is relayed from
 * here once approved, without a second fetch; a countersigned version
 * says from here which upstream release it carries (release.c).
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "carry.h"
#include "db.h"
#include "encode.h"
#include "release.h"

#define CARRY_COLS "c.id, c.profile, c.upstream_version, c.created, " \
	"c.expires, c.size, c.sha256, c.snapshot, s.status, c.keyid, " \
	"c.upstream_key, c.source, c.signature"

/* Free what a carry holds; the struct itself is the caller's. */
void
carry_free(struct carry *c)
{
	free(c->source);
	free(c->signature);
	memset(c, 0, sizeof(*c));
}

/* One row of CARRY_COLS into c.  Returns 1, or 0 out of memory. */
static int
carry_read(sqlite3_stmt *st, struct carry *c)
{
	c->id = sqlite3_column_int64(st, 0);
	snprintf(c->profile, sizeof(c->profile), "%s",
	    sqlite3_column_text(st, 1));
	c->upstream_version = sqlite3_column_int64(st, 2);
	c->created = sqlite3_column_int64(st, 3);
	c->expires = sqlite3_column_int64(st, 4);
	c->size = sqlite3_column_int64(st, 5);
	snprintf(c->sha256, sizeof(c->sha256), "%s",
	    sqlite3_column_text(st, 6));
	c->snapshot = sqlite3_column_int64(st, 7);
	snprintf(c->status, sizeof(c->status), "%s",
	    sqlite3_column_text(st, 8));
	snprintf(c->keyid, sizeof(c->keyid), "%s",
	    sqlite3_column_text(st, 9));
	snprintf(c->upstream_key, sizeof(c->upstream_key), "%s",
	    sqlite3_column_text(st, 10));
	if ((c->source = strdup((const char *)sqlite3_column_text(st, 11)))
	    == NULL || (c->signature = strdup((const char *)
	    sqlite3_column_text(st, 12))) == NULL) {
		warnx("out of memory");
		return 0;
	}
	return 1;
}

/* Step st (bound by the caller) once into c; c->id 0 when no row. */
static int
carry_one(sqlite3 *db, sqlite3_stmt *st, struct carry *c)
{
	int	 step, ok = 0;

	memset(c, 0, sizeof(*c));
	if ((step = sqlite3_step(st)) == SQLITE_ROW)
		ok = carry_read(st, c);
	else if (step == SQLITE_DONE)
		ok = 1;
	else
		warnx("%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (!ok)
		carry_free(c);
	return ok;
}

/*
 * Record rl (verified, its body stored as snapshot) inside the
 * caller's transaction, with an audit row by actor, unless the same
 * upstream version of the profile with the same body is carried
 * already.  Returns 1 with *id the row's id, or 0 after a warning.
 */
int
carry_store(sqlite3 *db, const char *actor, const struct relay *rl,
    int64_t snapshot, int64_t *id)
{
	sqlite3_stmt	*st;
	char		 hex[65], obj[META_PROFILE_MAX + 32];
	int		 step;

	*id = 0;
	hex_encode(rl->meta.sha256, 32, hex);
	if ((st = db_prepare(db, "SELECT id FROM carry WHERE profile = ? AND "
	    "upstream_version = ? AND sha256 = ? ORDER BY id DESC LIMIT 1"))
	    == NULL)
		return 0;
	sqlite3_bind_text(st, 1, rl->meta.profile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)rl->meta.version);
	sqlite3_bind_text(st, 3, hex, 64, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (step == SQLITE_ROW)
		return 1;
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
	/* A profile only the upstream has is made here, as relay_store. */
	if ((st = db_prepare(db, "INSERT OR IGNORE INTO profile (name, "
	    "upstream, exclusions, org, description, builtin, created) VALUES "
	    "(?, 1, 0, 'none', 'relayed from ' || ?, 0, ?)")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, rl->meta.profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rl->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	step = db_step_done(db, st);
	sqlite3_finalize(st);
	if (!step)
		return 0;
	if ((st = db_prepare(db, "INSERT INTO carry (profile, "
	    "upstream_version, created, expires, size, sha256, snapshot, "
	    "keyid, upstream_key, source, signature, received) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, rl->meta.profile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)rl->meta.version);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)rl->meta.created);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)rl->meta.expires);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)rl->meta.size);
	sqlite3_bind_text(st, 6, hex, 64, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, snapshot);
	sqlite3_bind_text(st, 8, rl->keyid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, rl->pubkey, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, rl->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, rl->sig, (int)rl->siglen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)time(NULL));
	if (!db_step_done(db, st)) {
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	*id = sqlite3_last_insert_rowid(db);
	snprintf(obj, sizeof(obj), "%s/%" PRIu64, rl->meta.profile,
	    rl->meta.version);
	return audit_append(db, actor, "carry", obj, json_pack("{s:I, s:s, "
	    "s:I, s:s, s:s, s:s, s:I, s:I, s:b}", "carry", (json_int_t)*id,
	    "profile", rl->meta.profile, "version",
	    (json_int_t)rl->meta.version, "source", rl->source, "key_id",
	    rl->keyid, "sha256", hex, "snapshot", (json_int_t)snapshot,
	    "expires", (json_int_t)rl->meta.expires, "countersign",
	    rl->countersign));
}

/*
 * The newest carried release of profile (highest upstream version),
 * only among those whose body stands accepted when accepted is set.
 * Returns 1 (c->id 0: none; carry_free it), or 0 after a warning.
 */
int
carry_newest(sqlite3 *db, const char *profile, int accepted, struct carry *c)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "SELECT " CARRY_COLS " FROM carry c JOIN "
	    "snapshot s ON s.id = c.snapshot WHERE c.profile = ? AND (NOT ? "
	    "OR s.status = 'accepted') ORDER BY c.upstream_version DESC, "
	    "c.id DESC LIMIT 1")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, accepted);
	return carry_one(db, st, c);
}

/*
 * The newest carried release whose body is snapshot id.  Returns 1
 * (c->id 0: the snapshot is no relayed body), or 0 after a warning.
 */
int
carry_of_snapshot(sqlite3 *db, int64_t id, struct carry *c)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "SELECT " CARRY_COLS " FROM carry c JOIN "
	    "snapshot s ON s.id = c.snapshot WHERE c.snapshot = ? ORDER BY "
	    "c.upstream_version DESC, c.id DESC LIMIT 1")) == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, id);
	return carry_one(db, st, c);
}

/*
 * The relay (release.h) a carried row stands for, its strings
 * borrowed from c.  The stored signature is parsed again and its
 * trusted comment read back, so what is relayed is what was verified.
 * Returns 1, or 0 after a warning.
 */
int
carry_relay(const struct carry *c, struct relay *rl)
{
	struct minisig	 ms;
	struct pubkey	 k;
	char		 why[200];

	memset(rl, 0, sizeof(*rl));
	if (sig_parse(c->signature, strlen(c->signature), &ms, why,
	    sizeof(why)) != SIG_OK || !pubkey_from_string(c->upstream_key,
	    strlen(c->upstream_key), &k) || sig_verify_comment(&ms, &k) !=
	    SIG_OK || !meta_parse(ms.comment, ms.commentlen,
	    &rl->meta, why, sizeof(why)) || strcmp(rl->meta.profile,
	    c->profile) != 0 || (int64_t)rl->meta.version !=
	    c->upstream_version) {
		warnx("carried release %lld: the stored signature does not "
		    "read back", (long long)c->id);
		return 0;
	}
	rl->source = c->source;
	rl->sig = c->signature;
	rl->siglen = strlen(c->signature);
	snprintf(rl->keyid, sizeof(rl->keyid), "%s", c->keyid);
	snprintf(rl->pubkey, sizeof(rl->pubkey), "%s", c->upstream_key);
	return 1;
}
