/*
 * render_json.c - the read side's structures (query.c) as JSON: the
 * one definition of each document's fields and their order, for the
 * API, the site, export and every --json.
 */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "query.h"
#include "render_json.h"
#include "revet.h"
#include "timefmt.h"

/*
 * A history row as a JSON object (version, created, expires,
 * certificates, added, removed, snapshot, key_id, build, reason,
 * sha256, size, for a countersigned release carries: the upstream
 * version, key_id and source, and left: the roots the distrust_after
 * policy newly left out, each sha256, label, server_after and rule;
 * cause: the audit row of the change it published, render_audit_row()
 * without the hash, or null): the one definition of the row.  Returns a new
 * reference, or NULL after a warning.
 */
json_t *
render_release(const struct query_release *r)
{
	json_t	*o;

	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:s, s:I, s:s, "
	    "s:s?, s:o}",
	    "version", (json_int_t)r->version,
	    "created", (json_int_t)r->created,
	    "expires", (json_int_t)r->expires,
	    "certificates", (json_int_t)r->certificates,
	    "added", (json_int_t)r->added, "removed", (json_int_t)r->removed,
	    "snapshot", r->has_snapshot ? json_integer(r->snapshot) :
	    json_null(),
	    "key_id", r->key_id, "build", (json_int_t)r->build,
	    "reason", r->reason, "sha256", r->has_sha256 ? r->sha256 : NULL,
	    "size", r->has_size ? json_integer(r->size) : json_null());
	/* Schema 008: the roots this release newly left out, and why. */
	if (o != NULL && r->left != NULL && json_object_set_new(o, "left",
	    json_loads(r->left, 0, NULL)) != 0) {
		json_decref(o);
		o = NULL;
	}
	/* Countersigned: which upstream release, verified how. */
	if (o != NULL && r->carried != 0 && json_object_set_new(o, "carries",
	    json_pack("{s:I, s:s, s:s}", "version", (json_int_t)r->carried,
	    "key_id", r->carried_key, "source", r->carried_from)) != 0) {
		json_decref(o);
		o = NULL;
	}
	/* Schema 009: the audit row of the change it published. */
	if (o != NULL && json_object_set_new(o, "cause", r->cause != NULL ?
	    render_audit_row(r->cause, 0) : json_null()) != 0) {
		json_decref(o);
		o = NULL;
	}
	if (o == NULL)
		warnx("%s version %" PRId64 ": release row is not UTF-8 text "
		    "(or out of memory)", "history", r->version);
	return o;
}

/* Text JSON writes as it is: printable ASCII but '"' and '\\'. */
static int
plain(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

/* Append "key":v for an integer, as jansson writes it. */
static char *
put_int(char *p, const char *key, int64_t v)
{
	char		 tmp[24];
	uint64_t	 u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	size_t		 n = 0;

	while (*key != '\0')
		*p++ = *key++;
	if (v < 0)
		*p++ = '-';
	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* Append "key":"s" for text that needs no escaping (plain()). */
static char *
put_str(char *p, const char *key, const char *v)
{
	while (*key != '\0')
		*p++ = *key++;
	*p++ = '"';
	while (*v != '\0')
		*p++ = *v++;
	*p++ = '"';
	return p;
}

static char *
put_null(char *p, const char *key)
{
	const char	*null = "null";

	while (*key != '\0')
		*p++ = *key++;
	while (*null != '\0')
		*p++ = *null++;
	return p;
}

/*
 * Append the bytes json_dumps(render_release(r), JSON_COMPACT |
 * JSON_ENSURE_ASCII) makes, without building the object when its text
 * needs no escaping (a history of 10,000 rows is rendered at every
 * reload).  Returns 1, or 0 after a warning.
 */
int
render_release_append(const struct query_release *r, struct buf *out)
{
	/* 13 keys, 9 integers, 3 strings of at most 64 bytes, a null. */
	char	 row[512], *p = row;
	json_t	*o;
	char	*t;
	int	 ok;

	if (r->carried == 0 && r->left == NULL && r->cause == NULL &&
	    plain(r->key_id) &&
	    plain(r->reason) && plain(r->sha256)) {
		p = put_int(p, "{\"version\":", r->version);
		p = put_int(p, ",\"created\":", r->created);
		p = put_int(p, ",\"expires\":", r->expires);
		p = put_int(p, ",\"certificates\":", r->certificates);
		p = put_int(p, ",\"added\":", r->added);
		p = put_int(p, ",\"removed\":", r->removed);
		p = r->has_snapshot ? put_int(p, ",\"snapshot\":",
		    r->snapshot) : put_null(p, ",\"snapshot\":");
		p = put_str(p, ",\"key_id\":", r->key_id);
		p = put_int(p, ",\"build\":", r->build);
		p = put_str(p, ",\"reason\":", r->reason);
		p = r->has_sha256 ? put_str(p, ",\"sha256\":", r->sha256) :
		    put_null(p, ",\"sha256\":");
		p = r->has_size ? put_int(p, ",\"size\":", r->size) :
		    put_null(p, ",\"size\":");
		p = put_null(p, ",\"cause\":");
		*p++ = '}';
		return buf_append(out, row, (size_t)(p - row));
	}
	if ((o = render_release(r)) == NULL)
		return 0;
	t = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	ok = t != NULL && buf_append(out, t, strlen(t));
	free(t);
	return ok;
}

/*
 * A profile's releases, oldest first, as a JSON array of objects
 * (render_release).  Returns a new reference, or NULL after a warning.
 */
json_t *
render_history(const struct query_history *h)
{
	json_t	*arr;
	size_t	 i;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < h->n; i++)
		if (json_array_append_new(arr, render_release(&h->v[i])) != 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

struct history_text {
	struct buf	*out;
	size_t		 flags;
	size_t		 n;
};

/*
 * Append one row as json_dumps() of the whole array would write it:
 * the row dumped by jansson on its own, one level deeper when
 * indenting (a JSON text holds no raw newline but between tokens).
 */
static int
history_dump_row(const struct query_release *r, void *arg)
{
	struct history_text *h = arg;
	json_t		*o;
	char		*t = NULL, *p, *nl;
	size_t		 indent = h->flags & JSON_MAX_INDENT;
	static const char spaces[JSON_MAX_INDENT + 1] =
	    "                               ";
	int		 ok = 0;

	errno = 0;
	if ((o = render_release(r)) == NULL ||
	    (t = json_dumps(o, h->flags)) == NULL)
		goto out;
	if (!buf_append(h->out, h->n++ == 0 ? "[" : ",", 1))
		goto out;
	if (indent > 0) {
		if (!buf_append(h->out, "\n", 1) ||
		    !buf_append(h->out, spaces, indent))
			goto out;
	} else if (h->n > 1 && !(h->flags & JSON_COMPACT) &&
	    !buf_append(h->out, " ", 1))
		goto out;
	for (p = t; (nl = strchr(p, '\n')) != NULL && indent > 0; p = nl + 1)
		if (!buf_append(h->out, p, (size_t)(nl + 1 - p)) ||
		    !buf_append(h->out, spaces, indent))
			goto out;
	ok = buf_append(h->out, p, strlen(p));
 out:
	if (!ok && (errno == EFBIG || errno == ENOMEM))
		warnx("history: %s", strerror(errno));
	free(t);
	json_decref(o);
	return ok;
}

/*
 * The bytes json_dumps(render_history(all of profile's releases),
 * flags) makes, appended to out a row at a time, so a long history
 * never sits in memory as a tree.  Returns 1, or 0 after a warning.
 */
int
render_history_dump(sqlite3 *db, const char *profile, size_t flags,
    struct buf *out)
{
	struct history_text h;

	h.out = out;
	h.flags = flags;
	h.n = 0;
	if (!query_history_each(db, profile, 0, INT64_MAX, history_dump_row,
	    &h))
		return 0;
	if (h.n == 0)
		return buf_append(out, "[]", 2);
	return ((flags & JSON_MAX_INDENT) == 0 || buf_append(out, "\n", 1)) &&
	    buf_append(out, "]", 1);
}

/*
 * One side of a diff as JSON rows (sha256, label, not_after,
 * organization, and rule for a root the distrust_after policy removed).
 */
static json_t *
diff_side(const struct query_diff_cert *v, size_t n)
{
	json_t	*arr, *row;
	size_t	 i;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		row = json_pack("{s:s, s:s, s:I, s:b, s:s?}", "sha256",
		    v[i].sha256, "label", v[i].label, "not_after",
		    (json_int_t)v[i].not_after, "organization",
		    v[i].organization, "rule", v[i].rule);
		if (row == NULL || json_array_append_new(arr, row) == -1) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/*
 * A diff as {profile, from, to, added: [...], removed: [...]}, each row
 * sha256, label, not_after, organization (and rule: why the
 * distrust_after policy removed it).  Returns a new reference, or
 * NULL when out of memory.
 */
json_t *
render_diff(const struct query_diff *d)
{
	json_t	*added, *removed, *o = NULL;

	added = diff_side(d->added, d->nadded);
	removed = diff_side(d->removed, d->nremoved);
	if (added != NULL && removed != NULL)
		o = json_pack("{s:s, s:I, s:I, s:O, s:O}", "profile",
		    d->profile, "from", (json_int_t)d->from,
		    "to", (json_int_t)d->to, "added", added,
		    "removed", removed);
	json_decref(added);
	json_decref(removed);
	return o;
}

/*
 * Every profile with its rule and latest release, as a JSON array
 * (name, description, upstream, exclusions, org, builtin, tags,
 * version, expires, certificates, sha256, distrust_after; removed and
 * removed_by for a removed one).  Returns a new reference,
 * or NULL when out of memory.
 */
json_t *
render_profiles(const struct query_profiles *ps)
{
	const struct query_profile *p;
	json_t		*arr, *row;
	size_t		 i;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < ps->n; i++) {
		p = &ps->v[i];
		row = json_pack("{s:s, s:s, s:b, s:b, s:s, s:b, s:s?, s:o, "
		    "s:o, s:o, s:s?, s:s}",
		    "name", p->name,
		    "description", p->description,
		    "upstream", p->upstream,
		    "exclusions", p->exclusions,
		    "org", p->org,
		    "builtin", p->builtin,
		    "tags", p->tags,
		    "version", p->has_release ? json_integer(p->version) :
		    json_null(),
		    "expires", p->has_release ? json_integer(p->expires) :
		    json_null(),
		    "certificates", p->has_certificates ?
		    json_integer(p->certificates) : json_null(),
		    "sha256", p->sha256,
		    "distrust_after", p->distrust_after);
		/* profile list --all: when and by whom (schema 009) */
		if (row != NULL && p->removed && (json_object_set_new(row,
		    "removed", json_integer(p->removed)) == -1 ||
		    json_object_set_new(row, "removed_by", p->removed_by ?
		    json_string(p->removed_by) : json_null()) == -1)) {
			json_decref(row);
			row = NULL;
		}
		if (row == NULL || json_array_append_new(arr, row) == -1) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/*
 * Every snapshot as a JSON array (id, created, source, sha256,
 * certificates, verdict, status, added, removed, distrust_after (how
 * many roots carry a date), decided_by, reason;
 * report, the stored document, when ss holds them).  Returns a new
 * reference, or NULL after a warning.
 */
json_t *
render_snapshots(const struct query_snapshots *ss)
{
	const struct query_snapshot *sn;
	json_t		*a, *o;
	char		 when[TIMEFMT_LEN], decided[TIMEFMT_LEN];
	size_t		 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < ss->n; i++) {
		sn = &ss->v[i];
		timefmt_iso(sn->created, when);
		timefmt_iso(sn->decided_at, decided);
		o = json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:s, s:I, "
		    "s:I, s:I, s:s?, s:s?, s:s?}",
		    "id", (json_int_t)sn->id,
		    "created", when,
		    "source", sn->source,
		    "sha256", sn->sha256,
		    "certificates", (json_int_t)sn->certificates,
		    "verdict", sn->verdict,
		    "status", sn->status,
		    "added", (json_int_t)sn->added,
		    "removed", (json_int_t)sn->removed,
		    "distrust_after", (json_int_t)sn->dated,
		    "decided_by", sn->decided_by,
		    "reason", sn->reason,
		    "decided_at", sn->decided_by != NULL ? decided : NULL);
		if (o == NULL || (sn->report != NULL &&
		    json_object_set_new(o, "report", json_loads(sn->report, 0,
		    NULL)) == -1) || json_array_append_new(a, o) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/*
 * An audit row as a JSON object (id, time, actor, action, object,
 * details and, with hash, hash): a row of /v1/audit, or without the
 * hash a release's cause.  Returns a new reference, or NULL when out
 * of memory.
 */
json_t *
render_audit_row(const struct query_audit *r, int hash)
{
	char		 when[TIMEFMT_LEN];

	timefmt_iso(r->time, when);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o?, s:s*}",
	    "id", (json_int_t)r->id,
	    "time", when,
	    "actor", r->actor,
	    "action", r->action,
	    "object", r->object,
	    "details", json_loads(r->details, 0, NULL),
	    "hash", hash ? r->hash : NULL);
}

/*
 * Audit rows as a JSON array (render_audit_row, with the hash).
 * Returns a new reference, or NULL when out of memory.
 */
json_t *
render_audit(const struct query_audits *au)
{
	json_t		*a, *o;
	size_t		 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < au->n; i++) {
		o = render_audit_row(&au->v[i], 1);
		if (o == NULL || json_array_append_new(a, o) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/*
 * An audit row's details (stored JSON) on one line, ASCII only, as the
 * text and HTML listings show them.  Returns a string to free, or NULL
 * when the details are not a JSON object or array.
 */
char *
render_details(const char *details)
{
	json_t	*o;
	char	*s;

	if (details == NULL || (o = json_loads(details, 0, NULL)) == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return s;
}

/*
 * A certificate as its page's JSON: fields, and per profile the
 * versions of the releases that held it ({profile, first, last,
 * count}).  Returns a new reference, or NULL after a warning.
 */
json_t *
render_certificate(const struct query_certificate *c)
{
	json_t	*rels, *r;
	size_t	 i;

	if ((rels = json_array()) == NULL)
		return NULL;
	for (i = 0; i < c->nrel; i++)
		if ((r = json_pack("{s:s, s:I, s:I, s:I}",
		    "profile", c->rel[i].profile,
		    "first", (json_int_t)c->rel[i].first,
		    "last", (json_int_t)c->rel[i].last,
		    "count", (json_int_t)c->rel[i].count)) == NULL ||
		    json_array_append_new(rels, r) == -1) {
			json_decref(rels);
			return NULL;
		}
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:b, s:b, "
	    "s:s, s:o}", "sha256", c->sha256, "subject", c->subject,
	    "issuer", c->issuer, "serial", c->serial,
	    "not_before", (json_int_t)c->not_before,
	    "not_after", (json_int_t)c->not_after, "key", c->key,
	    "ca", c->ca, "self_signed", c->self_signed, "label", c->label,
	    "releases", rels);
}

/*
 * The certificate with fingerprint fp from db, as render_certificate()
 * makes it.  Returns a new reference, NULL with *found 0 when there is
 * no such certificate, or NULL after a warning.
 */
json_t *
certificate_json(sqlite3 *db, const char *fp, int *found)
{
	struct query_certificate c;
	json_t	*o = NULL;

	if (query_certificate(db, fp, &c, found) && *found)
		o = render_certificate(&c);
	query_certificate_free(&c);
	return o;
}

/*
 * Snapshot sn's report on current facts (revet_report() of rv, made
 * from sn->report) with where it came from and its decision: id,
 * source, created (fetched or imported, ISO 8601 as in /v1/snapshots),
 * status, decided_by, decided_at (ISO 8601) and reason, null where no
 * person decided.  The one definition for report --json and
 * /v1/snapshots/ID.  Returns a new reference, or NULL after a warning.
 */
json_t *
render_report(const struct revet *rv, const struct query_snapshot *sn)
{
	json_t		*r;
	char		 when[TIMEFMT_LEN], created[TIMEFMT_LEN];

	if (sn->report == NULL || (r = revet_report(rv, sn->report)) == NULL)
		return NULL;
	timefmt_iso(sn->decided_at, when);
	timefmt_iso(sn->created, created);
	if (json_object_set_new(r, "id", json_integer(sn->id)) == 0 &&
	    json_object_set_new(r, "source", json_string(sn->source)) == 0 &&
	    json_object_set_new(r, "created", json_string(created)) == 0 &&
	    json_object_set_new(r, "status", json_string(sn->status)) == 0 &&
	    json_object_set_new(r, "decided_by", sn->decided_by != NULL ?
	    json_string(sn->decided_by) : json_null()) == 0 &&
	    json_object_set_new(r, "decided_at", sn->decided_by != NULL ?
	    json_string(when) : json_null()) == 0 &&
	    json_object_set_new(r, "reason", sn->reason != NULL ?
	    json_string(sn->reason) : json_null()) == 0)
		return r;
	warnx("snapshot %" PRId64 ": report: out of memory", sn->id);
	json_decref(r);
	return NULL;
}
