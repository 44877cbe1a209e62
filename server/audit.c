/*
 * audit.c - every state change is a row whose hash chains to the one
 * before it:
 *
 *	hash = hex(SHA-256(prev || N(id) N(time) N(actor) N(action)
 *	    N(object) N(details)))
 *
 * prev is the previous row's hash as 32 raw bytes (zeros for row 1) and
 * N(x) the netstring "LEN:x," of the field's text.  Triggers forbid
 * UPDATE and DELETE; audit_verify recomputes the chain so a row edited
 * with the triggers dropped is found all the same.
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "audit.h"
#include "db.h"
#include "encode.h"
#include "log.h"

#define AUDIT_FIELDS	6

/* The newest row appended by this process: audit_take(). */
static struct {
	int64_t	 id;
	char	 hash[65];
} last;

static int
netstring(EVP_MD_CTX *ctx, const char *s, size_t len)
{
	char	 n[32];

	snprintf(n, sizeof(n), "%zu:", len);
	return EVP_DigestUpdate(ctx, n, strlen(n)) &&
	    EVP_DigestUpdate(ctx, s, len) && EVP_DigestUpdate(ctx, ",", 1);
}

/* The row's hash in hex (65 bytes with the NUL), chained to prev. */
static int
row_hash(const unsigned char prev[32], const char *const f[AUDIT_FIELDS],
    const size_t len[AUDIT_FIELDS], char *hex)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 h[32];
	size_t		 i;
	int		 ok = 0;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, prev, 32))
		goto out;
	for (i = 0; i < AUDIT_FIELDS; i++)
		if (!netstring(ctx, f[i], len[i]))
			goto out;
	if (!EVP_DigestFinal_ex(ctx, h, NULL))
		goto out;
	hex_encode(h, 32, hex);
	ok = 1;
 out:
	if (!ok)
		cryptowarnx("SHA-256");
	EVP_MD_CTX_free(ctx);
	return ok;
}

/*
 * Append one row (the caller holds the write transaction, so the row
 * lands with the change it records, or neither does).  details is a
 * JSON object; its reference is taken (NULL means {}).  Returns 1, or 0
 * after a warning.
 */
int
audit_append(sqlite3 *db, const char *actor, const char *action,
    const char *object, json_t *details)
{
	sqlite3_stmt	*st = NULL;
	unsigned char	 prev[32];
	char		 idtext[32], timetext[32], hex[65], *dtext = NULL;
	const char	*f[AUDIT_FIELDS];
	size_t		 len[AUDIT_FIELDS], i;
	int64_t		 id = 1, now = (int64_t)time(NULL);
	int		 ok = 0;

	/*
	 * A row is kept forever and every reader (JSON, pages, export,
	 * the chain recipe) decodes it as UTF-8: refuse what would break
	 * them, or forge a line in "cabundled audit", before it lands.
	 */
	if (!text_valid(actor, strlen(actor)) ||
	    !text_valid(object, strlen(object))) {
		warnx("audit: actor and object must be UTF-8 text without "
		    "control characters (--actor, [server] actor, login "
		    "name); nothing changed");
		goto out;
	}
	if (details == NULL)
		details = json_object();
	if (details == NULL || (dtext = json_dumps(details, JSON_COMPACT |
	    JSON_SORT_KEYS | JSON_ENSURE_ASCII)) == NULL) {
		warnx("audit: cannot encode details");
		goto out;
	}
	memset(prev, 0, sizeof(prev));
	if ((st = db_prepare(db, "SELECT id, hash FROM audit "
	    "ORDER BY id DESC LIMIT 1")) == NULL)
		goto out;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		id = sqlite3_column_int64(st, 0) + 1;
		if (sqlite3_column_bytes(st, 1) != 64 ||
		    !hex_decode((const char *)sqlite3_column_text(st, 1), 64,
		    prev, 32)) {
			warnx("audit: row %" PRId64 " has a malformed hash; "
			    "run: cabundled audit verify", id - 1);
			goto out;
		}
		break;
	case SQLITE_DONE:
		break;
	default:
		warnx("audit: %s", sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;

	snprintf(idtext, sizeof(idtext), "%" PRId64, id);
	snprintf(timetext, sizeof(timetext), "%" PRId64, now);
	f[0] = idtext;
	f[1] = timetext;
	f[2] = actor;
	f[3] = action;
	f[4] = object;
	f[5] = dtext;
	for (i = 0; i < AUDIT_FIELDS; i++)
		len[i] = strlen(f[i]);
	if (!row_hash(prev, f, len, hex))
		goto out;
	if ((st = db_prepare(db, "INSERT INTO audit (id, time, actor, "
	    "action, object, details, hash) VALUES (?, ?, ?, ?, ?, ?, ?)"))
	    == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, object, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, dtext, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, hex, 64, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		warnx("audit: %s", sqlite3_errmsg(db));
		goto out;
	}
	last.id = id;
	memcpy(last.hash, hex, sizeof(last.hash));
	ok = 1;
 out:
	sqlite3_finalize(st);
	free(dtext);
	json_decref(details);
	return ok;
}

/*
 * The newest row this process appended since the last call: sets *id
 * (0: none) and hash (65 bytes, NUL-terminated) and forgets it.  The
 * row may have been rolled back since; a reader matches both fields.
 */
void
audit_take(int64_t *id, char hash[65])
{
	*id = last.id;
	memcpy(hash, last.hash, sizeof(last.hash));
	memset(&last, 0, sizeof(last));
}

/*
 * Recompute the whole chain.  Returns 1 when every row matches; 0 with
 * *bad set to the first row that does not (a changed field, a removed
 * or inserted row, a gap in the ids) and why in msg; -1 on a database
 * error.
 */
int
audit_verify(sqlite3 *db, int64_t *bad, char *msg, size_t msgsz)
{
	sqlite3_stmt	*st;
	unsigned char	 prev[32];
	char		 hex[65];
	const char	*f[AUDIT_FIELDS];
	size_t		 len[AUDIT_FIELDS];
	int64_t		 want = 1, id;
	int		 i, rc = -1, step;

	*bad = 0;
	memset(prev, 0, sizeof(prev));
	if ((st = db_prepare(db, "SELECT CAST(id AS TEXT), CAST(time AS "
	    "TEXT), actor, action, object, details, hash, id FROM audit "
	    "ORDER BY id")) == NULL)
		return -1;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 7);
		for (i = 0; i < AUDIT_FIELDS; i++) {
			f[i] = (const char *)sqlite3_column_text(st, i);
			len[i] = (size_t)sqlite3_column_bytes(st, i);
			if (f[i] == NULL) {
				f[i] = "";
				len[i] = 0;
			}
		}
		if (id != want) {
			*bad = id;
			snprintf(msg, msgsz, "row %" PRId64 " follows row %"
			    PRId64 ": rows are missing", id, want - 1);
			rc = 0;
			goto out;
		}
		if (!row_hash(prev, f, len, hex))
			goto out;
		if (sqlite3_column_bytes(st, 6) != 64 ||
		    memcmp(hex, sqlite3_column_text(st, 6), 64) != 0) {
			*bad = id;
			snprintf(msg, msgsz, "row %" PRId64 " (%s %s by %s): "
			    "hash does not match its contents or the row "
			    "before it", id, f[3], f[4], f[2]);
			rc = 0;
			goto out;
		}
		hex_decode(hex, 64, prev, 32);
		want++;
	}
	if (step != SQLITE_DONE) {
		warnx("audit: %s", sqlite3_errmsg(db));
		goto out;
	}
	snprintf(msg, msgsz, "%" PRId64 " rows, chain intact", want - 1);
	rc = 1;
 out:
	sqlite3_finalize(st);
	return rc;
}
