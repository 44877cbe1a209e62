/*
 * revet.c - a snapshot's report on current facts (issue 23).  A stored
 * report holds the diff against the snapshot accepted at ingest; once
 * another one has been accepted that diff is stale.  For a quarantined
 * snapshot this re-derives the added and removed roots against the
 * snapshot accepted now, from the stored certificates, and names what
 * a rollback would bring back: a body identical to an earlier accepted
 * snapshot, roots a later accepted snapshot removed.
 *
 * The per-certificate and churn checks are not re-run: they decided
 * the quarantine, which only a person lifts, and their findings stay
 * as vetted (the report names the baseline they were vetted against).
 * A decided snapshot keeps its stored diff: it is what was decided on.
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "db.h"
#include "revet.h"
#include "timefmt.h"

/* Each added root and each root of the baseline: a bug stops here. */
#define REVET_MAX_ROOTS	100000

static int
roots_add(struct revet_root **v, size_t *n, const char *hex,
    const char *label, int64_t removed_by)
{
	struct revet_root *nv;

	if (hex == NULL || strlen(hex) != 64 || *n == REVET_MAX_ROOTS)
		return 0;
	if ((nv = reallocarray(*v, *n + 1, sizeof(*nv))) == NULL)
		return 0;
	*v = nv;
	nv = &nv[*n];
	memset(nv, 0, sizeof(*nv));
	memcpy(nv->sha256, hex, 65);
	nv->removed_by = removed_by;
	if ((nv->label = strdup(label != NULL ? label : "")) == NULL)
		return 0;
	(*n)++;
	return 1;
}

static void
roots_free(struct revet_root *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i].label);
	free(v);
}

/* Free what revet_snapshot() or revet_stored() filled in. */
void
revet_free(struct revet *rv)
{
	roots_free(rv->added, rv->nadded);
	roots_free(rv->removed, rv->nremoved);
	memset(rv, 0, sizeof(*rv));
}

/*
 * Fill rv from a stored report (JSON text) of snapshot id, as it was
 * vetted: its baseline and its "added" and "removed" rows.  Pure, for
 * a decided snapshot and for the pages, which hold the report.
 * Returns 1, or 0 after a warning (revet_free it either way).
 */
int
revet_stored(int64_t id, const char *report, struct revet *rv)
{
	json_t		*r, *row;
	const char	*check;
	size_t		 i;
	int		 ok = 0;

	memset(rv, 0, sizeof(*rv));
	rv->id = id;
	if ((r = json_loads(report, 0, NULL)) == NULL) {
		warnx("snapshot %" PRId64 ": stored report is not JSON", id);
		return 0;
	}
	rv->baseline = rv->vetted = json_integer_value(json_object_get(r,
	    "baseline"));
	json_array_foreach(json_object_get(r, "rows"), i, row) {
		check = json_string_value(json_object_get(row, "check"));
		if (check == NULL || json_object_get(row, "sha256") == NULL)
			continue;
		if (strcmp(check, "added") == 0 && !roots_add(&rv->added,
		    &rv->nadded, json_string_value(json_object_get(row,
		    "sha256")), json_string_value(json_object_get(row,
		    "label")), 0))
			goto out;
		if (strcmp(check, "removed") == 0 && !roots_add(&rv->removed,
		    &rv->nremoved, json_string_value(json_object_get(row,
		    "sha256")), json_string_value(json_object_get(row,
		    "label")), 0))
			goto out;
	}
	ok = 1;
 out:
	if (!ok)
		warnx("snapshot %" PRId64 ": stored report: malformed row or "
		    "out of memory", id);
	json_decref(r);
	return ok;
}

/* Step st's rows (fingerprint, label[, removed_by]) into v. */
static int
roots_read(sqlite3 *db, sqlite3_stmt *st, struct revet_root **v, size_t *n)
{
	int	 step;

	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		if (!roots_add(v, n, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    sqlite3_column_count(st) > 2 ?
		    sqlite3_column_int64(st, 2) : 0)) {
			warnx("revet: malformed fingerprint or out of memory");
			return 0;
		}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
	return 1;
}

/*
 * The roots of snapshot ?1 that snapshot ?2 lacks, once each in ?1's
 * order.  With ACCEPTED_BY, each added root's remover: the first
 * accepted snapshot (up to ?2, of relay ?3) after the last accepted
 * one that held it; 0 when no accepted snapshot ever held it.
 */
#define LACKS	"FROM snapshot_cert c WHERE c.snapshot = ?1 AND c.cert NOT " \
	"IN (SELECT cert FROM snapshot_cert WHERE snapshot = ?2) GROUP BY " \
	"c.cert ORDER BY min(c.position)"
#define REMOVED_BY "coalesce((SELECT min(n.id) FROM snapshot n WHERE " \
	"n.status = 'accepted' AND n.relay IS ?3 AND n.id <= ?2 AND n.id > " \
	"(SELECT max(h.snapshot) FROM snapshot_cert h JOIN snapshot o ON " \
	"o.id = h.snapshot WHERE h.cert = c.cert AND o.status = 'accepted' " \
	"AND o.relay IS ?3 AND o.id <= ?2)), 0)"

static int
diff_read(sqlite3 *db, const char *sql, int64_t a, int64_t b,
    const char *relay, struct revet_root **v, size_t *n)
{
	sqlite3_stmt	*st;
	int		 ok;

	if ((st = db_prepare(db, sql)) == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	if (relay != NULL)
		sqlite3_bind_text(st, 3, relay, -1, SQLITE_STATIC);
	ok = roots_read(db, st, v, n);
	sqlite3_finalize(st);
	return ok;
}

/* One row of st as two integers into *x and *y; 1, or 0 on an error. */
static int
two_ints(sqlite3 *db, sqlite3_stmt *st, int64_t *x, int64_t *y)
{
	int	 step;

	*x = *y = 0;
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		*x = sqlite3_column_int64(st, 0);
		*y = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
	return 1;
}

/* The current diff and rollback of quarantined snapshot rv->id. */
static int
revet_current(sqlite3 *db, const char *relay, const char *body,
    struct revet *rv)
{
	sqlite3_stmt	*st;
	size_t		 i;

	rv->current = 1;
	/* Accepted by a person (decided_at) or at ingest (created). */
	if ((st = db_prepare(db, "SELECT id, coalesce(decided_at, created) "
	    "FROM snapshot WHERE status = 'accepted' AND relay IS ? ORDER BY "
	    "id DESC LIMIT 1")) == NULL)
		return 0;
	if (relay != NULL)
		sqlite3_bind_text(st, 1, relay, -1, SQLITE_STATIC);
	if (!two_ints(db, st, &rv->baseline, &rv->baseline_at))
		return 0;
	if (!diff_read(db, "SELECT c.cert, c.label, " REMOVED_BY " " LACKS,
	    rv->id, rv->baseline, relay, &rv->added, &rv->nadded) ||
	    !diff_read(db, "SELECT c.cert, c.label " LACKS, rv->baseline,
	    rv->id, relay, &rv->removed, &rv->nremoved))
		return 0;
	for (i = 0; i < rv->nadded; i++)
		rv->nreadded += rv->added[i].removed_by != 0;
	/* The same bytes as an accepted snapshot since superseded. */
	if ((st = db_prepare(db, "SELECT id, created FROM snapshot WHERE "
	    "body_sha256 = ?1 AND relay IS ?2 AND status = 'accepted' AND "
	    "id < ?3 ORDER BY id DESC LIMIT 1")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, body, -1, SQLITE_STATIC);
	if (relay != NULL)
		sqlite3_bind_text(st, 2, relay, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, rv->baseline);
	return two_ints(db, st, &rv->identical, &rv->identical_at);
}

/*
 * Snapshot id on current facts into rv (revet_free it, whatever this
 * returns): quarantined, its diff against the snapshot accepted now
 * (with rv->vetted the baseline it was vetted against) and what it
 * rolls back; decided, its stored diff (revet_stored).  rv->id 0: no
 * such snapshot.  Reads only; returns 1, or 0 after a warning.
 */
int
revet_snapshot(sqlite3 *db, int64_t id, struct revet *rv)
{
	sqlite3_stmt	*st;
	const char	*status, *relay, *body, *report;
	int		 step, ok = 0;

	memset(rv, 0, sizeof(*rv));
	if ((st = db_prepare(db, "SELECT status, relay, body_sha256, report, "
	    "coalesce(baseline, 0) FROM snapshot WHERE id = ?")) == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, id);
	if ((step = sqlite3_step(st)) != SQLITE_ROW) {
		if (step != SQLITE_DONE)
			warnx("%s", sqlite3_errmsg(db));
		ok = step == SQLITE_DONE;
		goto out;
	}
	status = (const char *)sqlite3_column_text(st, 0);
	relay = (const char *)sqlite3_column_text(st, 1);
	body = (const char *)sqlite3_column_text(st, 2);
	report = (const char *)sqlite3_column_text(st, 3);
	if (status == NULL || body == NULL || report == NULL) {
		warnx("snapshot %" PRId64 ": malformed row", id);
		goto out;
	}
	if (strcmp(status, "quarantined") != 0) {
		ok = revet_stored(id, report, rv);
		goto out;
	}
	rv->id = id;
	rv->vetted = sqlite3_column_int64(st, 4);
	ok = revet_current(db, relay, body, rv);
 out:
	sqlite3_finalize(st);
	return ok;
}

/* Whether accepting the snapshot would roll content back. */
int
revet_rollback(const struct revet *rv)
{
	return rv->identical != 0 || rv->nreadded != 0;
}

/*
 * The rollback in words ("identical to snapshot 1 (created ...);
 * re-adds 41 roots removed by snapshot 4") into b; nothing when none.
 * Returns 1, or 0 at the buffer's cap.
 */
static int
rollback_words(const struct revet *rv, struct buf *b)
{
	char		 when[TIMEFMT_LEN];
	int64_t		 by, last = 0;
	size_t		 i, j, n;
	int		 ok = 1;

	if (rv->identical) {
		timefmt_iso(rv->identical_at, when);
		ok = buf_printf(b, "identical to snapshot %" PRId64
		    " (created %s)", rv->identical, when);
	}
	/* Group by remover, lowest first: a few removers, many roots. */
	for (;;) {
		by = 0;
		for (i = 0; i < rv->nadded; i++)
			if (rv->added[i].removed_by > last &&
			    (by == 0 || rv->added[i].removed_by < by))
				by = rv->added[i].removed_by;
		if (by == 0)
			break;
		for (n = 0, j = 0; j < rv->nadded; j++)
			n += rv->added[j].removed_by == by;
		ok = ok && buf_printf(b, "%sre-adds %zu root%s removed by "
		    "snapshot %" PRId64, b->len ? "; " : "", n, n == 1 ? "" :
		    "s", by);
		last = by;
	}
	return ok;
}

/*
 * The rollback in words, as a string to free; NULL when the snapshot
 * rolls nothing back or when out of memory.
 */
char *
revet_rollback_words(const struct revet *rv)
{
	struct buf	 b;
	char		*s = NULL;

	if (!revet_rollback(rv))
		return NULL;
	buf_init(&b, 1u << 20);
	if (rollback_words(rv, &b) && b.len > 0)
		s = strdup((const char *)b.data);
	buf_free(&b);
	return s;
}

/*
 * Roots as a JSON array of {sha256, label[, removed_by]}.  Returns a
 * new reference, or NULL when out of memory.
 */
json_t *
revet_roots_json(const struct revet_root *v, size_t n)
{
	json_t		*a, *o;
	size_t		 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		o = json_pack("{s:s, s:s}", "sha256", v[i].sha256, "label",
		    v[i].label);
		if (o == NULL || (v[i].removed_by && json_object_set_new(o,
		    "removed_by", json_integer(v[i].removed_by)) == -1) ||
		    json_array_append_new(a, o) == -1) {
			json_decref(o);
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* The stored rows minus added/removed, then the current ones. */
static int
rows_current(json_t *r, const struct revet *rv)
{
	json_t		*rows;
	char		 rule[256];
	size_t		 i;

	if ((rows = json_array()) == NULL ||
	    json_object_set_new(r, "rows", rows) == -1)
		return 0;
	for (i = 0; i < rv->nadded; i++) {
		if (rv->added[i].removed_by)
			snprintf(rule, sizeof(rule), "root removed by "
			    "accepted snapshot %" PRId64 ", re-added: a "
			    "rollback", rv->added[i].removed_by);
		else if (rv->baseline)
			snprintf(rule, sizeof(rule), "new root, not in "
			    "accepted snapshot %" PRId64, rv->baseline);
		else
			snprintf(rule, sizeof(rule), "new root (first "
			    "snapshot)");
		if (json_array_append_new(rows, json_pack("{s:s, s:s, s:s, "
		    "s:s, s:s}", "check", "added", "level", "info", "label",
		    rv->added[i].label, "sha256", rv->added[i].sha256, "rule",
		    rule)) == -1)
			return 0;
	}
	for (i = 0; i < rv->nremoved; i++) {
		snprintf(rule, sizeof(rule), "root in accepted snapshot %"
		    PRId64 " is gone", rv->baseline);
		if (json_array_append_new(rows, json_pack("{s:s, s:s, s:s, "
		    "s:s, s:s}", "check", "removed", "level", "info", "label",
		    rv->removed[i].label, "sha256", rv->removed[i].sha256,
		    "rule", rule)) == -1)
			return 0;
	}
	return 1;
}

/*
 * The stored report (JSON text) of rv's snapshot on current facts: its
 * findings, with "added", "removed" and "baseline" now rv's, the
 * added/removed rows re-derived when rv's baseline or a rollback
 * changed them, and "vetted_against", "baseline_accepted", "current",
 * "added_roots", "removed_roots" and "rollback" (null, or {identical,
 * identical_created, readded, words}).  Returns a new reference, or
 * NULL after a warning.
 */
json_t *
revet_report(const struct revet *rv, const char *stored)
{
	json_t		*r, *rows, *row, *keep = NULL, *rb = NULL;
	const char	*check;
	char		 when[TIMEFMT_LEN], *words = NULL;
	size_t		 i;
	int		 ok = 0;

	if ((r = json_loads(stored, 0, NULL)) == NULL) {
		warnx("snapshot %" PRId64 ": stored report is not JSON",
		    rv->id);
		return NULL;
	}
	rows = json_object_get(r, "rows");
	if (rv->current && (rv->baseline != rv->vetted || rv->nreadded)) {
		/* The other findings stay as vetted, first. */
		if ((keep = json_array()) == NULL)
			goto out;
		json_array_foreach(rows, i, row) {
			check = json_string_value(json_object_get(row,
			    "check"));
			if (check != NULL && (strcmp(check, "added") == 0 ||
			    strcmp(check, "removed") == 0))
				continue;
			if (json_array_append(keep, row) == -1)
				goto out;
		}
		if (!rows_current(r, rv) || json_array_extend(keep,
		    json_object_get(r, "rows")) == -1 ||
		    json_object_set(r, "rows", keep) == -1)
			goto out;
	}
	if (revet_rollback(rv)) {
		timefmt_iso(rv->identical_at, when);
		if ((words = revet_rollback_words(rv)) == NULL ||
		    (rb = json_pack("{s:o?, s:s?, s:I, s:s}", "identical",
		    rv->identical ? json_integer(rv->identical) : NULL,
		    "identical_created", rv->identical ? when : NULL,
		    "readded", (json_int_t)rv->nreadded, "words", words)) ==
		    NULL)
			goto out;
	}
	/* set_new takes rb even when it fails. */
	if (json_object_set_new(r, "rollback", rb != NULL ? rb :
	    json_null()) == -1) {
		rb = NULL;
		goto out;
	}
	rb = NULL;
	timefmt_iso(rv->baseline_at, when);
	if (json_object_set_new(r, "added", json_integer((json_int_t)
	    rv->nadded)) == -1 || json_object_set_new(r, "removed",
	    json_integer((json_int_t)rv->nremoved)) == -1 ||
	    json_object_set_new(r, "baseline", rv->baseline ?
	    json_integer(rv->baseline) : json_null()) == -1 ||
	    json_object_set_new(r, "baseline_accepted", rv->current &&
	    rv->baseline ? json_string(when) : json_null()) == -1 ||
	    json_object_set_new(r, "vetted_against", rv->vetted ?
	    json_integer(rv->vetted) : json_null()) == -1 ||
	    json_object_set_new(r, "current", json_boolean(rv->current)) ==
	    -1 || json_object_set_new(r, "added_roots",
	    revet_roots_json(rv->added, rv->nadded)) == -1 ||
	    json_object_set_new(r, "removed_roots",
	    revet_roots_json(rv->removed, rv->nremoved)) == -1)
		goto out;
	ok = 1;
 out:
	if (!ok)
		warnx("snapshot %" PRId64 ": report: out of memory", rv->id);
	json_decref(keep);
	json_decref(rb);
	free(words);
	if (!ok) {
		json_decref(r);
		r = NULL;
	}
	return r;
}
