/*
 * html_audit.c - the pages an auditor works from (issue 23): why each
 * release exists (its cause, schema 009), the audit log newest first
 * with readable details, the organization CAs, the exclusions and the
 * search.  Rendered from what the CLI's --json prints (org.c's lists,
 * render_json.c's rows); every value escaped, every link built from a
 * value checked to have the shape the link needs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "html.h"
#include "meta.h"
#include "num.h"
#include "query.h"
#include "timefmt.h"

static const char *
str(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* A SHA-256 fingerprint as the routes spell it: 64 lowercase hex. */
static int
is_fp(const char *s)
{
	return s != NULL && strlen(s) == 64 &&
	    strspn(s, "0123456789abcdef") == 64;
}

/* A snapshot id from "snapshot:N"; 0 when the object is not one. */
static int64_t
snapshot_of(const char *object)
{
	uint64_t	 u;

	if (object == NULL || strncmp(object, "snapshot:", 9) != 0 ||
	    !num_u63(object + 9, strlen(object + 9), &u))
		return 0;
	return (int64_t)u;
}

/*
 * A release from "profile/version" into profile (META_PROFILE_MAX + 1)
 * and *v; 0 when the object is not one.
 */
static int
release_of(const char *object, char *profile, int64_t *v)
{
	const char	*slash;
	uint64_t	 u;
	size_t		 n;

	if (object == NULL || (slash = strchr(object, '/')) == NULL ||
	    (n = (size_t)(slash - object)) > META_PROFILE_MAX ||
	    !profile_valid(object, n) ||
	    !num_u63(slash + 1, strlen(slash + 1), &u))
		return 0;
	memcpy(profile, object, n);
	profile[n] = '\0';
	*v = (int64_t)u;
	return 1;
}

static int
link_snapshot(struct buf *b, int64_t id)
{
	return buf_printf(b, "<a href=\"/snapshots/%" PRId64 "\">snapshot %"
	    PRId64 "</a>", id, id);
}

static int
link_cert(struct buf *b, const char *fp, const char *text)
{
	if (!is_fp(fp))
		return html_text(b, text);
	return buf_printf(b, "<a%s href=\"/cert/%s\">", strcmp(fp, text) ==
	    0 ? " class=\"fp\"" : "", fp) && html_text(b, text) &&
	    buf_append(b, "</a>", 4);
}

/* The audit row's place in /audit: the page that holds it, anchored. */
static int
link_audit(struct buf *b, int64_t id)
{
	return buf_printf(b, "<a href=\"/audit?before=%" PRId64 "#a%" PRId64
	    "\">audit row %" PRId64 "</a>", id + 1, id, id);
}

/*
 * The link an audit row's object leads to: a snapshot's page, a
 * certificate with the organization CA or exclusion list, a release
 * page, a profile; its text alone when it names none of these.
 */
static int
object_link(struct buf *b, const char *action, const char *object)
{
	char		 profile[META_PROFILE_MAX + 1];
	int64_t		 id, v;

	if ((id = snapshot_of(object)) != 0)
		return link_snapshot(b, id);
	if (is_fp(object) && strncmp(action, "org-", 4) == 0)
		return link_cert(b, object, object) &&
		    buf_printf(b, " (<a href=\"/org\">organization CAs</a>)");
	if (is_fp(object) && strncmp(action, "exclude-", 8) == 0)
		return link_cert(b, object, object) &&
		    buf_printf(b, " (<a href=\"/exclusions\">exclusions</a>)");
	if (release_of(object, profile, &v))
		return buf_printf(b, "<a href=\"/p/%s/%" PRId64 "\">", profile,
		    v) && html_text(b, object) && buf_append(b, "</a>", 4);
	if (strncmp(action, "profile-", 8) == 0 && object != NULL &&
	    strlen(object) <= META_PROFILE_MAX &&
	    profile_valid(object, strlen(object)))
		return buf_printf(b, "<a href=\"/p/%s\">", object) &&
		    html_text(b, object) && buf_append(b, "</a>", 4);
	return html_text(b, object);
}

/*
 * Keys whose integer value is a time, shown as ISO 8601 UTC.  "added"
 * and "removed" are times in org and exclusion rows but counts in an
 * approve's: a count is never as large as a time since 2000.
 */
static int
time_key(const char *key, json_int_t v)
{
	static const char *const keys[] = { "expires", "not_after",
	    "not_before", "created", "time", "decided_at", NULL };
	size_t	 i;

	if (strcmp(key, "added") == 0 || strcmp(key, "removed") == 0)
		return v >= 946684800;
	for (i = 0; keys[i] != NULL; i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

/* Keys whose strings are certificate fingerprints ("added_roots"). */
static int
roots_key(const char *key)
{
	size_t	 n = strlen(key);

	return n > 6 && strcmp(key + n - 6, "_roots") == 0;
}

/*
 * One value of a details object, as a person reads it; certs: its
 * sha256 names a certificate (not a bundle's body), to link.
 */
static int
detail_value(struct buf *b, const char *key, const json_t *v, int certs)
{
	char		 when[TIMEFMT_LEN];
	const json_t	*e;
	char		*t;
	size_t		 i;
	int		 ok;

	switch (json_typeof(v)) {
	case JSON_STRING:
		if ((strcmp(key, "sha256") == 0 && certs) || roots_key(key))
			return link_cert(b, json_string_value(v),
			    json_string_value(v));
		if (strcmp(key, "sha256") == 0 || strcmp(key, "retired") == 0 ||
		    strcmp(key, "key_id") == 0)
			return buf_append(b, "<code>", 6) &&
			    html_text(b, json_string_value(v)) &&
			    buf_append(b, "</code>", 7);
		return html_text(b, json_string_value(v));
	case JSON_INTEGER:
		if (time_key(key, json_integer_value(v))) {
			timefmt_iso(json_integer_value(v), when);
			return html_text(b, when);
		}
		if (strcmp(key, "snapshot") == 0 && json_integer_value(v) > 0)
			return link_snapshot(b, json_integer_value(v));
		if (strcmp(key, "cause") == 0 && json_integer_value(v) > 0)
			return link_audit(b, json_integer_value(v));
		return buf_printf(b, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	case JSON_TRUE:
		return html_text(b, "yes");
	case JSON_FALSE:
		return html_text(b, "no");
	case JSON_NULL:
		return html_text(b, "none");
	case JSON_ARRAY:
		ok = 1;
		json_array_foreach(v, i, e)
			ok = ok && (i == 0 || html_text(b, ", ")) &&
			    detail_value(b, key, e, certs);
		return ok && (json_array_size(v) > 0 ||
		    html_text(b, "none"));
	default:
		t = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
		ok = t != NULL && html_text(b, t);
		free(t);
		return ok;
	}
}

/*
 * An audit row's details (stored JSON) as "key: value" lines; the
 * text itself when it is not a JSON object.  The row's action says
 * whether a sha256 is a certificate's.
 */
static int
details_lines(struct buf *b, const char *action, const char *details)
{
	int		 certs = strncmp(action, "org-", 4) == 0 ||
	    strncmp(action, "exclude-", 8) == 0;
	json_t		*o;
	const char	*key;
	json_t		*v;
	int		 ok = 1;

	if (details == NULL)
		return 1;
	if ((o = json_loads(details, 0, NULL)) == NULL || !json_is_object(o)) {
		json_decref(o);
		return buf_append(b, "<code>", 6) && html_text(b, details) &&
		    buf_append(b, "</code>", 7);
	}
	json_object_foreach(o, key, v)
		ok = ok && buf_append(b, "<div><span class=\"muted\">", 25) &&
		    html_text(b, key) && buf_append(b, ":</span> ", 9) &&
		    detail_value(b, key, v, certs) &&
		    buf_append(b, "</div>", 6);
	json_decref(o);
	return ok;
}

/*
 * The history's reason column: why the release exists, in a few words
 * (its cause's action, or the release's reason without one).
 */
int
html_cause_words(struct buf *b, const struct query_release *r)
{
	const struct query_audit *c = r->cause;
	const char	*a;

	if (c == NULL)
		return html_text(b, strcmp(r->reason, "resign") == 0 ?
		    "re-signed" : strcmp(r->reason, "key") == 0 ?
		    "signed with the new key" : strcmp(r->reason, "relay") ==
		    0 ? "relayed" : strcmp(r->reason, "inputs") == 0 ?
		    "new bundle" : r->reason);
	a = c->action;
	if (strcmp(a, "approve") == 0)
		return buf_printf(b, "snapshot %" PRId64 " approved",
		    snapshot_of(c->object));
	if (strcmp(a, "snapshot") == 0 || strcmp(a, "verdict") == 0)
		return buf_printf(b, "snapshot %" PRId64 " accepted",
		    snapshot_of(c->object));
	return html_text(b, strcmp(a, "org-add") == 0 ? "organization CA "
	    "added" : strcmp(a, "org-remove") == 0 ? "organization CA "
	    "removed" : strncmp(a, "org-", 4) == 0 ? "organization CA "
	    "changed" : strcmp(a, "exclude-add") == 0 ? "root excluded" :
	    strcmp(a, "exclude-remove") == 0 ? "exclusion lifted" :
	    strncmp(a, "profile-", 8) == 0 ? "profile changed" :
	    strcmp(a, "key-rotate") == 0 ? "key rotated" :
	    strcmp(a, "relay") == 0 || strcmp(a, "carry") == 0 ? "relayed" :
	    a);
}

/* Why, with a cause: the change it published, from the audit row. */
static int
cause_text(struct buf *b, const struct query_audit *c, const json_t *d)
{
	const char	*a = c->action;
	int64_t		 id;
	int		 ok;

	if (strcmp(a, "approve") == 0 || strcmp(a, "snapshot") == 0 ||
	    strcmp(a, "verdict") == 0) {
		id = snapshot_of(c->object);
		ok = html_text(b, "Upstream ") && link_snapshot(b, id);
		if (strcmp(a, "approve") != 0)
			return ok && html_text(b, " accepted by vetting, no "
			    "decision needed");
		return ok && html_text(b, " approved by ") &&
		    buf_append(b, "<strong>", 8) && html_text(b, c->actor) &&
		    buf_append(b, "</strong>", 9) && html_text(b, ": ") &&
		    html_text(b, str(d, "reason"));
	}
	if (strcmp(a, "org-add") == 0)
		return html_text(b, "Organization CA ") &&
		    link_cert(b, c->object, str(d, "name")) &&
		    html_text(b, " (owner: ") && html_text(b,
		    *str(d, "owner") != '\0' ? str(d, "owner") :
		    "none given") && html_text(b, ") added by ") &&
		    html_text(b, c->actor) &&
		    buf_printf(b, "; see <a href=\"/org\">organization "
		    "CAs</a>");
	if (strncmp(a, "org-", 4) == 0)
		return html_text(b, "Organization CA ") &&
		    link_cert(b, c->object, c->object) &&
		    html_text(b, strcmp(a, "org-remove") == 0 ?
		    " removed by " : " changed by ") &&
		    html_text(b, c->actor) && (*str(d, "reason") == '\0' ||
		    (html_text(b, ": ") && html_text(b, str(d,
		    "reason")))) && buf_printf(b, "; see <a href=\"/org\">"
		    "organization CAs</a>");
	if (strncmp(a, "exclude-", 8) == 0)
		return html_text(b, strcmp(a, "exclude-add") == 0 ?
		    "Root " : "Exclusion of ") &&
		    link_cert(b, c->object, *str(d, "label") != '\0' ?
		    str(d, "label") : c->object) &&
		    html_text(b, strcmp(a, "exclude-add") == 0 ?
		    " excluded by " : " lifted by ") &&
		    html_text(b, c->actor) && (*str(d, "reason") == '\0' ||
		    (html_text(b, ": ") && html_text(b, str(d,
		    "reason")))) && buf_printf(b, "; see <a href=\""
		    "/exclusions\">exclusions</a>");
	if (strcmp(a, "key-rotate") == 0)
		return html_text(b, "Signing key rotated by ") &&
		    html_text(b, c->actor) && html_text(b, ": new key ") &&
		    buf_append(b, "<code>", 6) &&
		    html_text(b, str(d, "key_id")) &&
		    buf_append(b, "</code>", 7) && (*str(d, "retired") ==
		    '\0' || (html_text(b, ", old key ") &&
		    buf_append(b, "<code>", 6) &&
		    html_text(b, str(d, "retired")) &&
		    buf_append(b, "</code>", 7)));
	if (strncmp(a, "profile-", 8) == 0)
		return html_text(b, "Profile ") &&
		    object_link(b, a, c->object) &&
		    html_text(b, strcmp(a, "profile-add") == 0 ? " added by " :
		    " changed by ") && html_text(b, c->actor);
	return html_text(b, a) && html_text(b, " ") &&
	    object_link(b, a, c->object) && html_text(b, " by ") &&
	    html_text(b, c->actor);
}

/*
 * The release page's "why" row: its cause with links, the audit row
 * and its details; without a cause, the release's reason (renewal,
 * key change, relay).
 */
int
html_cause(struct buf *b, const struct query_release *r)
{
	const struct query_audit *c = r->cause;
	char		 when[TIMEFMT_LEN];
	json_t		*d;
	int		 ok;

	if (!buf_printf(b, "<tr><th>why</th><td class=\"why\">"))
		return 0;
	if (c == NULL) {
		ok = html_text(b, strcmp(r->reason, "resign") == 0 ?
		    "Re-signed: the same bundle, its signature renewed "
		    "before it expired." : strcmp(r->reason, "key") == 0 ?
		    "Re-signed: the same bundle, signed again with the "
		    "active key after a key change." :
		    strcmp(r->reason, "relay") == 0 ? "Relayed: published "
		    "as the upstream mirror signed it." : "A new bundle (no "
		    "audit row names the change: published before causes "
		    "were recorded).");
		if (ok && r->carried_from != NULL)
			ok = html_text(b, " Upstream: ") &&
			    buf_append(b, "<code>", 6) &&
			    html_text(b, r->carried_from) &&
			    buf_append(b, "</code>", 7);
		return ok && buf_printf(b, "</td></tr>");
	}
	d = json_loads(c->details, 0, NULL);
	timefmt_iso(c->time, when);
	ok = cause_text(b, c, d) && html_text(b, ". ") &&
	    link_audit(b, c->id) && html_text(b, ", ") &&
	    html_text(b, when) && html_text(b, ".") &&
	    details_lines(b, c->action, c->details) &&
	    buf_printf(b, "</td></tr>");
	json_decref(d);
	return ok;
}

/*
 * /audit: a page of the log newest first (a holds it oldest first),
 * each row anchored (#aID) with its object linked and its details as
 * lines; older is the before= of the older page, newer the after= of
 * the newer one (0: none), limit their limit= (0: the default, left
 * out).
 */
int
html_audit(struct buf *b, const struct query_audits *a, int64_t older,
    int64_t newer, int64_t limit)
{
	const struct query_audit *r;
	char		 when[TIMEFMT_LEN];
	size_t		 i;
	int		 ok;

	ok = html_begin(b, "Audit log") && buf_printf(b, "<p>Append-only and "
	    "hash-chained, newest first; check it with <code>cabundled "
	    "audit verify</code>.</p>\n<table><tr><th>id</th><th>time</th>"
	    "<th>actor</th><th>action</th><th>object</th><th>details</th>"
	    "</tr>\n");
	for (i = a->n; ok && i-- > 0;) {
		r = &a->v[i];
		timefmt_iso(r->time, when);
		ok = buf_printf(b, "<tr id=\"a%" PRId64 "\"><td>%" PRId64
		    "</td>", r->id, r->id) && html_td_date(b, when) &&
		    html_td(b, r->actor) && html_td(b, r->action) &&
		    buf_append(b, "<td class=\"obj\">", 16) &&
		    object_link(b, r->action, r->object) &&
		    buf_append(b, "</td><td>", 9) &&
		    details_lines(b, r->action, r->details) &&
		    buf_append(b, "</td></tr>\n", 11);
	}
	if (ok && a->n == 0)
		ok = buf_printf(b, "<tr><td colspan=\"6\" class=\"muted\">no "
		    "entries</td></tr>\n");
	ok = ok && buf_printf(b, "</table>\n<p>");
	if (newer != 0)
		ok = ok && buf_printf(b, "<a rel=\"prev\" href=\"/audit?after=%"
		    PRId64, newer) && (limit == 0 || buf_printf(b,
		    "&amp;limit=%" PRId64, limit)) &&
		    buf_printf(b, "\">&larr; newer entries</a> ");
	if (older != 0)
		ok = ok && buf_printf(b, "<a rel=\"next\" href=\"/audit?before=%"
		    PRId64, older) && (limit == 0 || buf_printf(b,
		    "&amp;limit=%" PRId64, limit)) &&
		    buf_printf(b, "\">older entries &rarr;</a>");
	return ok && buf_printf(b, "</p>\n") && html_end(b);
}

/* The profiles of a row's "profiles" array, each linked. */
static int
profile_links(struct buf *b, const json_t *arr)
{
	const json_t	*e;
	size_t		 i;
	int		 ok = 1;

	json_array_foreach(arr, i, e)
		ok = ok && (i == 0 || buf_append(b, " ", 1)) &&
		    buf_append(b, "<a href=\"/p/", 12) &&
		    html_text(b, json_string_value(e)) &&
		    buf_append(b, "\">", 2) &&
		    html_text(b, json_string_value(e)) &&
		    buf_append(b, "</a>", 4);
	return ok && (json_array_size(arr) > 0 || buf_printf(b,
	    "<span class=\"muted\">none</span>"));
}

/* "when by who" of a row's added or removed pair, in a <td>. */
static int
td_when_who(struct buf *b, const json_t *row, const char *when,
    const char *who)
{
	char		 t[TIMEFMT_LEN];

	if (!json_is_integer(json_object_get(row, when)))
		return buf_append(b, "<td></td>", 9);
	timefmt_iso(json_integer_value(json_object_get(row, when)), t);
	return buf_append(b, "<td class=\"d\">", 14) && html_text(b, t) &&
	    html_text(b, " by ") && html_text(b, str(row, who)) &&
	    buf_append(b, "</td>", 5);
}

static int
org_rows(struct buf *b, const json_t *orgs)
{
	const json_t	*row;
	char		 na[TIMEFMT_LEN];
	size_t		 i;
	int		 ok = 1;

	json_array_foreach(orgs, i, row) {
		timefmt_iso(json_integer_value(json_object_get(row,
		    "not_after")), na);
		ok = ok && buf_printf(b, "<tr%s><td>", json_is_null(
		    json_object_get(row, "removed")) ? "" : " class=\"rm\"") &&
		    link_cert(b, str(row, "sha256"), str(row, "name")) &&
		    (json_is_null(json_object_get(row, "removed")) ||
		    html_text(b, " (removed)")) &&
		    buf_append(b, "</td>", 5) && html_td(b, str(row, "owner")) &&
		    html_td(b, str(row, "tags")) &&
		    html_td(b, str(row, "note")) && html_td_date(b, na) &&
		    buf_append(b, "<td>", 4) &&
		    profile_links(b, json_object_get(row, "profiles")) &&
		    buf_append(b, "</td>", 5) &&
		    td_when_who(b, row, "added", "added_by") &&
		    td_when_who(b, row, "removed", "removed_by") &&
		    buf_append(b, "</tr>\n", 6);
	}
	return ok;
}

#define ORG_HEAD "<table><tr><th>name</th><th>owner</th><th>tags</th>" \
	"<th>note</th><th>expires</th><th>held by</th><th>added</th><th>removed</th>" \
	"</tr>\n"

/*
 * /org: every organization CA (org_list(all) rows with "profiles", the
 * profiles whose newest release holds it), removed ones marked.
 */
int
html_org(struct buf *b, const json_t *orgs)
{
	return html_begin(b, "Organization CAs") && buf_printf(b, "<p>The "
	    "organization's own CAs, as <code>cabundled org list --all "
	    "--json</code> lists them.</p>\n" ORG_HEAD) &&
	    org_rows(b, orgs) && (json_array_size(orgs) > 0 ||
	    buf_printf(b, "<tr><td colspan=\"9\" class=\"muted\">none"
	    "</td></tr>\n")) && buf_printf(b, "</table>\n") && html_end(b);
}

static int
excl_rows(struct buf *b, const json_t *excls)
{
	const json_t	*row;
	size_t		 i;
	int		 ok = 1;

	json_array_foreach(excls, i, row)
		ok = ok && buf_printf(b, "<tr%s><td>", json_is_null(
		    json_object_get(row, "removed")) ? "" : " class=\"rm\"") &&
		    link_cert(b, str(row, "sha256"), *str(row, "label") !=
		    '\0' ? str(row, "label") : str(row, "sha256")) &&
		    (json_is_null(json_object_get(row, "removed")) ||
		    html_text(b, " (lifted)")) &&
		    buf_append(b, "</td>", 5) &&
		    html_td(b, str(row, "reason")) &&
		    td_when_who(b, row, "added", "added_by") &&
		    td_when_who(b, row, "removed", "removed_by") &&
		    buf_append(b, "</tr>\n", 6);
	return ok;
}

#define EXCL_HEAD "<table><tr><th>root</th><th>reason</th><th>excluded</th>" \
	"<th>lifted</th></tr>\n"

/* /exclusions: every exclusion (exclude_list(all)), lifted ones marked. */
int
html_exclusions(struct buf *b, const json_t *excls)
{
	return html_begin(b, "Exclusions") && buf_printf(b, "<p>Upstream "
	    "roots left out of the profiles that apply exclusions, as "
	    "<code>cabundled exclude list --all --json</code> lists them."
	    "</p>\n" EXCL_HEAD) && excl_rows(b, excls) &&
	    (json_array_size(excls) > 0 || buf_printf(b, "<tr><td colspan="
	    "\"4\" class=\"muted\">none</td></tr>\n")) &&
	    buf_printf(b, "</table>\n") && html_end(b);
}

/*
 * On /cert/{sha256}: its organization CA rows and exclusions (arrays
 * of the lists' rows for this certificate; either may be empty).
 */
int
html_cert_notes(struct buf *b, const json_t *orgs, const json_t *excls)
{
	int	 ok = 1;

	if (json_array_size(excls) > 0)
		ok = buf_printf(b, "<h2 class=\"rm\">Excluded</h2>\n<p>See "
		    "<a href=\"/exclusions\">all exclusions</a>.</p>\n"
		    EXCL_HEAD) && excl_rows(b, excls) &&
		    buf_printf(b, "</table>\n");
	if (ok && json_array_size(orgs) > 0)
		ok = buf_printf(b, "<h2>Organization CA</h2>\n<p>See <a href="
		    "\"/org\">all organization CAs</a>.</p>\n" ORG_HEAD) &&
		    org_rows(b, orgs) &&
		    buf_printf(b, "</table>\n");
	return ok;
}

/*
 * /search: the form, and for a query q ("" : none) its hits (rows of
 * sha256, label, not_after, org), more when there were more than shown;
 * q NULL: no form, hits are every certificate (the static export's).
 */
int
html_search(struct buf *b, const char *q, const json_t *hits, int more)
{
	const json_t	*row;
	char		 na[TIMEFMT_LEN];
	size_t		 i;
	int		 ok;

	if (q == NULL)
		ok = html_begin(b, "Search") && buf_printf(b, "<p>This is a "
		    "static copy of the mirror, which cannot answer a query: "
		    "here are all %zu certificates it knows, by fingerprint. "
		    "Find one with the browser's search in the page, by label "
		    "or fingerprint (lower case, no colons).</p>\n",
		    json_array_size(hits));
	else
		ok = html_begin(b, "Search") && buf_printf(b, "<form action=\""
		    "/search\" method=\"get\"><input name=\"q\" size=\"70\" "
		    "maxlength=\"128\" value=\"") && html_text(b, q) &&
		    buf_printf(b, "\" placeholder=\"SHA-256 fingerprint (8+ hex "
		    "digits, colons allowed) or label\"> <button>search"
		    "</button></form>\n");
	if (!ok || (q != NULL && *q == '\0'))
		return ok && html_end(b);
	if (q != NULL)
		ok = buf_printf(b, "<p>%zu certificate%s%s for &ldquo;",
		    json_array_size(hits), json_array_size(hits) == 1 ? "" :
		    "s", more ? " shown (more match: narrow the search)" : "") &&
		    html_text(b, q) && buf_printf(b, "&rdquo;.</p>\n");
	ok = ok && buf_printf(b, "<table><tr><th>label</th><th>sha256</th>"
	    "<th>expires</th><th>from</th></tr>\n");
	json_array_foreach(hits, i, row) {
		timefmt_date(json_integer_value(json_object_get(row,
		    "not_after")), na);
		ok = ok && buf_append(b, "<tr><td>", 8) &&
		    link_cert(b, str(row, "sha256"), str(row, "label")) &&
		    buf_append(b, "</td>", 5) &&
		    html_td_fp(b, str(row, "sha256")) &&
		    html_td_date(b, na) && html_td(b, json_is_true(
		    json_object_get(row, "org")) ? "organization" :
		    "upstream") && buf_append(b, "</tr>\n", 6);
	}
	return ok && buf_printf(b, "</table>\n") && html_end(b);
}
