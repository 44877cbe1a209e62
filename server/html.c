/*
 * html.c - the pages for people: server-rendered from what the API
 * serves (the read side's structures, query.h, or the API's JSON where
 * those are not moved yet), every value escaped, one small inline
 * style sheet, no script and no external asset.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "html.h"
#include "query.h"
#include "render_json.h"
#include "timefmt.h"

static const char *
str(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static json_int_t
num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* The cells of html_page.c, by their short names here. */
static int
td(struct buf *b, const char *s)
{
	return html_td(b, s);
}

static int
td_date(struct buf *b, const char *s)
{
	return html_td_date(b, s);
}

static int
td_time(struct buf *b, int64_t t)
{
	char	 when[TIMEFMT_LEN];

	timefmt_iso(t, when);
	return td_date(b, when);
}

static int
td_fp(struct buf *b, const char *fp)
{
	return html_td_fp(b, fp);
}

/* "/": every profile with its latest release. */
int
html_index(struct buf *b, const struct query_profiles *ps)
{
	const struct query_profile *p;
	size_t		 i;
	int		 ok;

	ok = html_begin(b, "CA bundles") && buf_printf(b, "<p>Signed, "
	    "versioned CA bundles. Verify a download with <code>minisign -H "
	    "-Vm cacert.pem -p pubkey</code> using <a href=\"/v1/pubkey\">"
	    "the public key</a>.</p>\n<p>For auditors: the <a href=\"/audit"
	    "\">audit log</a>, the <a href=\"/org\">organization CAs</a>, the "
	    "<a href=\"/exclusions\">exclusions</a>, the <a href=\"/quarantine"
	    "\">quarantine</a>.</p>\n<form action=\"/search\" method=\"get\">"
	    "<input name=\"q\" size=\"50\" maxlength=\"128\" placeholder=\""
	    "fingerprint or label\"> <button>search</button></form>\n"
	    "<table><tr><th>profile</th><th>"
	    "holds</th><th>version</th><th>certificates</th><th>expires</th>"
	    "<th>files</th></tr>\n");
	for (i = 0; i < ps->n; i++) {
		p = &ps->v[i];
		ok = ok && buf_append(b, "<tr><td><a href=\"/p/", 20) &&
		    html_text(b, p->name) && buf_append(b, "\">", 2) &&
		    html_text(b, p->name) && buf_append(b, "</a></td>", 9) &&
		    td(b, p->description);
		if (!p->has_release) {
			ok = ok && buf_printf(b, "<td colspan=\"4\" class=\""
			    "muted\">no release yet</td></tr>\n");
			continue;
		}
		ok = ok && buf_printf(b, "<td>%" PRId64 "</td><td>%" PRId64
		    "</td>", p->version, p->certificates) &&
		    td_time(b, p->expires) &&
		    buf_append(b, "<td><a href=\"/v1/", 17) &&
		    html_text(b, p->name) &&
		    buf_append(b, "/cacert.pem\">cacert.pem</a> <a href=\""
		    "/v1/", 41) && html_text(b, p->name) &&
		    buf_append(b, "/cacert.pem.minisig\">.minisig</a></td>"
		    "</tr>\n", 44);
	}
	return ok && buf_printf(b, "</table>\n") && html_end(b);
}

static int
version_link(struct buf *b, const char *profile, int64_t v)
{
	return buf_append(b, "<td><a href=\"/p/", 16) &&
	    html_text(b, profile) && buf_printf(b, "/%" PRId64 "\">%" PRId64
	    "</a></td>", v, v);
}

/* After a key id: " countersigns vN (KEYID)" for a countersigned one. */
static int
html_carried(struct buf *b, const struct query_release *r)
{
	return r->carried == 0 || (buf_printf(b, "</code> countersigns "
	    "upstream v%" PRId64 " (<code>", r->carried) &&
	    html_text(b, r->carried_key) && buf_append(b, "</code>)<code>",
	    14));
}

/*
 * Under a history row, the roots that release newly left out by the
 * profile's distrust_after policy, each with the rule.
 */
static int
left_rows(struct buf *b, const struct query_release *r)
{
	json_t	*arr, *o;
	size_t	 i;
	int	 ok = 1;

	if (r->left == NULL)
		return 1;
	if ((arr = json_loads(r->left, 0, NULL)) == NULL)
		return 0;
	json_array_foreach(arr, i, o)
		ok = ok && buf_printf(b, "<tr class=\"rm\"><td></td>"
		    "<td colspan=\"7\">&minus; ") && html_text(b, str(o,
		    "label")) && buf_printf(b, " left out by distrust-after ") &&
		    html_text(b, str(o, "rule")) &&
		    buf_printf(b, "</td></tr>\n");
	json_decref(arr);
	return ok;
}

/*
 * /p/{profile}: a page of the release history table, newest first
 * (hist holds it oldest first), and a link to the older page: next is
 * its before= (0: none), limit its limit= (0: the default, left out).
 */
int
html_history(struct buf *b, const char *profile,
    const struct query_history *hist, int64_t next, int64_t limit)
{
	const struct query_release *r;
	size_t		 i;
	int		 ok;

	ok = html_begin(b, profile) && buf_printf(b, "<table><tr><th>version"
	    "</th><th>created</th><th>certificates</th><th>change</th>"
	    "<th>reason</th><th>expires</th><th>key</th><th>files</th>"
	    "</tr>\n");
	for (i = hist->n; ok && i-- > 0;) {
		r = &hist->v[i];
		ok = buf_append(b, "<tr>", 4) &&
		    version_link(b, profile, r->version) &&
		    td_time(b, r->created) &&
		    buf_printf(b, "<td>%" PRId64 "</td><td>"
		    "<span class=\"add\">+%" PRId64 "</span> "
		    "<span class=\"rm\">&minus;%" PRId64
		    "</span></td>", r->certificates, r->added, r->removed) &&
		    buf_append(b, "<td>", 4) && html_cause_words(b, r) &&
		    buf_append(b, "</td>", 5) && td_time(b, r->expires) &&
		    buf_append(b, "<td><code>", 10) &&
		    html_text(b, r->key_id) && html_carried(b, r) &&
		    buf_append(b, "</code></td><td><a href=\"/v1/", 29) &&
		    html_text(b, profile) && buf_printf(b, "/%" PRId64
		    "/cacert.pem\">body</a> <a href=\"/v1/", r->version) &&
		    html_text(b, profile) &&
		    buf_printf(b, "/%" PRId64 "/cacert.pem.minisig"
		    "\">signature</a></td></tr>\n", r->version) &&
		    left_rows(b, r);
	}
	ok = ok && buf_printf(b, "</table>\n");
	if (next != 0) {
		ok = ok && buf_append(b, "<p><a href=\"/p/", 15) &&
		    html_text(b, profile) &&
		    buf_printf(b, "?before=%" PRId64, next);
		if (limit != 0)
			ok = ok && buf_printf(b, "&amp;limit=%" PRId64, limit);
		ok = ok && buf_printf(b, "\">older releases &rarr;</a></p>\n");
	}
	return ok && html_end(b);
}

static int
cert_rows(struct buf *b, const struct query_diff_cert *v, size_t n,
    const char *cls, char sign)
{
	char		 na[TIMEFMT_LEN];
	size_t		 i;
	int		 ok = 1;

	for (i = 0; i < n; i++) {
		timefmt_date(v[i].not_after, na);
		ok = ok && buf_printf(b, "<tr class=\"%s\"><td>%c</td>", cls,
		    sign) && td(b, v[i].label) &&
		    td_fp(b, v[i].sha256) && td_date(b, na) &&
		    td(b, v[i].organization ? "organization" : "upstream") &&
		    buf_append(b, "</tr>\n", 6);
		/* Why the distrust_after policy removed it. */
		if (v[i].rule != NULL)
			ok = ok && buf_printf(b, "<tr class=\"%s\"><td></td>"
			    "<td colspan=\"4\">left out by distrust-after ",
			    cls) && html_text(b, v[i].rule) &&
			    buf_printf(b, "</td></tr>\n");
	}
	return ok;
}

/*
 * The release's roots with a distrust-after date: served with the
 * date (and until when), or left out with the rule.
 */
static int
dated_rows(struct buf *b, const struct query_dated *v, size_t n)
{
	char		 date[TIMEFMT_LEN], until[TIMEFMT_LEN];
	size_t		 i;
	int		 ok;

	if (n == 0)
		return 1;
	ok = buf_printf(b, "<h2>Roots with a distrust-after date</h2>\n"
	    "<p class=\"muted\">Mozilla distrusts TLS certificates these "
	    "roots issued after the date.</p>\n<table><tr><th>label</th>"
	    "<th>sha256</th><th>distrust after</th><th>here</th></tr>\n");
	for (i = 0; i < n; i++) {
		timefmt_date(v[i].server_after, date);
		timefmt_date(v[i].until, until);
		ok = ok && buf_printf(b, "<tr class=\"%s\">",
		    v[i].rule != NULL ? "rm" : "dated") &&
		    td(b, v[i].label) && td_fp(b, v[i].sha256) &&
		    td_date(b, date) && buf_append(b, "<td>", 4) &&
		    (v[i].rule != NULL ? html_text(b, "left out: ") &&
		    html_text(b, v[i].rule) : v[i].until != 0 ?
		    html_text(b, "served until ") && html_text(b, until) &&
		    html_text(b, " (sunset: date + 398 days)") :
		    html_text(b, "served (keep)")) &&
		    buf_append(b, "</td></tr>\n", 11);
	}
	return ok && buf_printf(b, "</table>\n");
}

/*
 * /p/{profile}/{version}: one release, its roots with a distrust-after
 * date, and its diff to the previous (diff NULL: the first release).
 */
int
html_release(struct buf *b, const char *profile,
    const struct query_release *rel, const struct query_diff *diff,
    const struct query_dated *dated, size_t ndated)
{
	char	 title[128];
	int	 ok;

	snprintf(title, sizeof(title), "%s version %" PRId64, profile,
	    rel->version);
	ok = html_begin(b, title) && buf_printf(b, "<table>") &&
	    buf_printf(b, "<tr><th>created</th>") &&
	    td_time(b, rel->created) &&
	    buf_printf(b, "</tr><tr><th>expires</th>") &&
	    td_time(b, rel->expires) &&
	    buf_printf(b, "</tr><tr><th>certificates</th><td>%" PRId64
	    "</td></tr><tr><th>sha256</th><td class=\"fp\">",
	    rel->certificates) && html_text(b, rel->has_sha256 ?
	    rel->sha256 : "") &&
	    buf_printf(b, "</td></tr><tr><th>signed by</th><td><code>") &&
	    html_text(b, rel->key_id) &&
	    buf_printf(b, "</code> (%s)</td></tr>",
	    strcmp(rel->reason, "inputs") == 0 ? "new bundle" :
	    "re-signed, same bundle") && html_cause(b, rel) &&
	    (rel->carried == 0 ||
	    (buf_printf(b, "<tr><th>countersigns</th><td>upstream version %"
	    PRId64 " from <code>", rel->carried) &&
	    html_text(b, rel->carried_from) &&
	    buf_printf(b, "</code>, verified with key <code>") &&
	    html_text(b, rel->carried_key) &&
	    buf_printf(b, "</code></td></tr>"))) &&
	    buf_printf(b, "</table>\n") && dated_rows(b, dated, ndated);
	if (!ok)
		return 0;
	if (diff == NULL)
		return buf_printf(b, "<p class=\"muted\">The first release of "
		    "this profile.</p>\n") && html_end(b);
	return buf_printf(b, "<h2>Changes since version %" PRId64 "</h2>\n",
	    diff->from) && (diff->nadded + diff->nremoved == 0 ?
	    buf_printf(b, "<p class=\"muted\">None: the same certificates."
	    "</p>\n") : (buf_printf(b, "<table><tr><th></th><th>label</th>"
	    "<th>sha256</th><th>expires</th><th>from</th></tr>\n") &&
	    cert_rows(b, diff->added, diff->nadded, "add", '+') &&
	    cert_rows(b, diff->removed, diff->nremoved, "rm", '-') &&
	    buf_printf(b, "</table>\n"))) && html_end(b);
}

/* A table of roots (revet_roots_json()), each linked to /cert/FP. */
static int
roots_table(struct buf *b, const json_t *roots, const char *cls,
    const char *sign)
{
	const json_t	*o;
	size_t		 i;
	int		 ok;

	if (json_array_size(roots) == 0)
		return buf_printf(b, "<p class=\"muted\">none</p>\n");
	ok = buf_printf(b, "<table><tr><th></th><th>root</th><th>sha256</th>"
	    "<th>note</th></tr>\n");
	json_array_foreach(roots, i, o) {
		ok = ok && buf_printf(b, "<tr class=\"%s\"><td>%s</td>", cls,
		    sign) && td(b, str(o, "label")) && td_fp(b, str(o,
		    "sha256"));
		if (num(o, "removed_by") != 0)
			ok = ok && buf_printf(b, "<td class=\"warn\">removed by "
			    "<a href=\"/snapshots/%" JSON_INTEGER_FORMAT
			    "\">snapshot %" JSON_INTEGER_FORMAT "</a>: a "
			    "rollback</td></tr>\n", num(o, "removed_by"),
			    num(o, "removed_by"));
		else
			ok = ok && buf_printf(b, "<td></td></tr>\n");
	}
	return ok && buf_printf(b, "</table>\n");
}

/*
 * The body of a snapshot's report on current facts (render_report()'s
 * r): the decision, the baseline the diff is against and the one it
 * was vetted against, a rollback warning, the findings that are not
 * info, then every added and removed root linked to its page.
 */
static int
report_section(struct buf *b, const json_t *r)
{
	const json_t	*row, *rb = json_object_get(r, "rollback");
	const char	*st = str(r, "status");
	json_int_t	 id = num(r, "id"), base = num(r, "baseline");
	json_int_t	 vetted = num(r, "vetted_against");
	size_t		 i, n = 0;
	int		 ok;

	ok = buf_printf(b, "<p class=\"decision\">Status: <strong>") &&
	    html_text(b, st) && buf_printf(b, "</strong>");
	if (json_is_string(json_object_get(r, "decided_by")))
		ok = ok && buf_printf(b, " by ") && html_text(b, str(r,
		    "decided_by")) && buf_printf(b, " at <span class=\"d\">") &&
		    html_text(b, str(r, "decided_at")) &&
		    buf_printf(b, "</span>: &ldquo;") && html_text(b, str(r,
		    "reason")) && buf_printf(b, "&rdquo;");
	else if (strcmp(st, "quarantined") == 0)
		ok = ok && buf_printf(b, ", waiting for a decision: <code>"
		    "cabundled approve|reject%s --reason TEXT %"
		    JSON_INTEGER_FORMAT "</code>", json_is_object(rb) ?
		    " [--allow-rollback]" : "", id);
	else
		ok = ok && buf_printf(b, " at ingest by the vetting rules");
	ok = ok && buf_printf(b, ".</p>\n<p class=\"baseline\">Vetted ") &&
	    html_text(b, str(r, "verdict")) && buf_printf(b, ": %"
	    JSON_INTEGER_FORMAT " certificates, <span class=\"add\">+%"
	    JSON_INTEGER_FORMAT "</span> <span class=\"rm\">&minus;%"
	    JSON_INTEGER_FORMAT "</span> ", num(r, "certificates"),
	    num(r, "added"), num(r, "removed"));
	if (base == 0)
		ok = ok && buf_printf(b, "with nothing accepted to compare "
		    "with");
	else
		ok = ok && buf_printf(b, "against <a href=\"/snapshots/%"
		    JSON_INTEGER_FORMAT "\">snapshot %" JSON_INTEGER_FORMAT
		    "</a>", base, base);
	if (base != 0 && json_is_string(json_object_get(r,
	    "baseline_accepted")))
		ok = ok && buf_printf(b, ", accepted ") && html_text(b,
		    str(r, "baseline_accepted"));
	if (vetted != base && vetted != 0)
		ok = ok && buf_printf(b, "; vetted originally against <a "
		    "href=\"/snapshots/%" JSON_INTEGER_FORMAT "\">snapshot %"
		    JSON_INTEGER_FORMAT "</a>", vetted, vetted);
	else if (vetted != base)
		ok = ok && buf_printf(b, "; vetted originally against nothing "
		    "(first snapshot)");
	ok = ok && buf_printf(b, ". Body <code class=\"fp\">") &&
	    html_text(b, str(r, "sha256")) && buf_printf(b, "</code>, %"
	    JSON_INTEGER_FORMAT " bytes.</p>\n", num(r, "size"));
	if (json_is_object(rb))
		ok = ok && buf_printf(b, "<p class=\"rollback warn\"><strong>"
		    "Rollback:</strong> ") && html_text(b, str(rb, "words")) &&
		    buf_printf(b, ". Approving it needs <code>"
		    "--allow-rollback</code>.</p>\n");
	ok = ok && buf_printf(b, "<table class=\"findings\"><tr><th>level"
	    "</th><th>check</th><th>certificate</th><th>rule</th></tr>\n");
	json_array_foreach(json_object_get(r, "rows"), i, row) {
		if (strcmp(str(row, "level"), "info") == 0)
			continue;
		n++;
		ok = ok && buf_append(b, "<tr class=\"warn\">", 17) &&
		    td(b, str(row, "level")) && td(b, str(row, "check")) &&
		    td(b, str(row, "label")) && td(b, str(row, "rule")) &&
		    buf_append(b, "</tr>\n", 6);
	}
	if (n == 0)
		ok = ok && buf_printf(b, "<tr><td colspan=\"4\" class=\"muted"
		    "\">no warnings</td></tr>\n");
	return ok && buf_printf(b, "</table>\n<h3>Added roots (%zu)</h3>\n",
	    json_array_size(json_object_get(r, "added_roots"))) &&
	    roots_table(b, json_object_get(r, "added_roots"), "added add",
	    "+") && buf_printf(b, "<h3>Removed roots (%zu)</h3>\n",
	    json_array_size(json_object_get(r, "removed_roots"))) &&
	    roots_table(b, json_object_get(r, "removed_roots"),
	    "removed rm", "&minus;");
}

/*
 * /quarantine: each quarantined snapshot of ss with its report on
 * current facts (reports[i], render_report()'s; NULL for a decided
 * one): every added and removed root, the baseline, rollbacks.
 */
int
html_quarantine(struct buf *b, const struct query_snapshots *ss,
    json_t *const *reports)
{
	const struct query_snapshot *s;
	char		 when[TIMEFMT_LEN];
	size_t		 i, n = 0;
	int		 ok;

	ok = html_begin(b, "Quarantine");
	for (i = ss->n; i-- > 0;) {
		s = &ss->v[i];
		if (reports[i] == NULL || s->status == NULL ||
		    strcmp(s->status, "quarantined") != 0)
			continue;
		n++;
		timefmt_iso(s->created, when);
		ok = ok && buf_printf(b, "<section class=\"snapshot\" id=\"s%"
		    PRId64 "\"><h2><a href=\"/snapshots/%" PRId64 "\">"
		    "Snapshot %" PRId64 "</a></h2>\n<p>", s->id, s->id, s->id) &&
		    html_text(b, when) && buf_append(b, " from <code>", 12) &&
		    html_text(b, s->source) && buf_printf(b, "</code></p>\n") &&
		    report_section(b, reports[i]) &&
		    buf_printf(b, "</section>\n");
	}
	if (n == 0)
		ok = ok && buf_printf(b, "<p class=\"muted\">Nothing waits for "
		    "a decision.</p>\n");
	return ok && html_end(b);
}

/* /snapshots: every snapshot, newest first. */
int
html_snapshots(struct buf *b, const struct query_snapshots *ss)
{
	const struct query_snapshot *s;
	size_t		 i;
	int		 ok;

	ok = html_begin(b, "Snapshots") && buf_printf(b, "<p>Every upstream "
	    "bundle this mirror has fetched or imported, newest first; "
	    "<a href=\"/v1/snapshots\">JSON</a>.</p>\n<table><tr><th>id"
	    "</th><th>created</th><th>source</th><th>status</th><th>"
	    "certificates</th><th>+/&minus; as vetted</th><th>decided by"
	    "</th></tr>\n");
	for (i = ss->n; i-- > 0;) {
		s = &ss->v[i];
		ok = ok && buf_printf(b, "<tr><td><a href=\"/snapshots/%"
		    PRId64 "\">%" PRId64 "</a></td>", s->id, s->id) &&
		    td_time(b, s->created) && td(b, s->source) &&
		    td(b, s->status) && buf_printf(b, "<td>%" PRId64 "</td><td>"
		    "<span class=\"add\">+%" PRId64 "</span> <span class=\""
		    "rm\">&minus;%" PRId64 "</span></td>", s->certificates,
		    s->added, s->removed) && td(b, s->decided_by != NULL ?
		    s->decided_by : "") && buf_append(b, "</tr>\n", 6);
	}
	if (ss->n == 0)
		ok = ok && buf_printf(b, "<tr><td colspan=\"7\" class=\"muted"
		    "\">none yet</td></tr>\n");
	return ok && buf_printf(b, "</table>\n") && html_end(b);
}

/*
 * Where a snapshot came from: the upstream URL (or "file:PATH" of an
 * import), when it was fetched or imported, the body's SHA-256.
 */
static int
provenance(struct buf *b, const json_t *r)
{
	const char	*src = str(r, "source");

	return buf_printf(b, "<table class=\"provenance\"><tr><th>source"
	    "</th><td><code>") && html_text(b, src) &&
	    buf_printf(b, "</code></td></tr>\n<tr><th>%s</th>",
	    strncmp(src, "file:", 5) == 0 ? "imported" : "fetched") &&
	    td_date(b, str(r, "created")) &&
	    buf_printf(b, "</tr>\n<tr><th>body sha256</th><td class=\"fp\">")
	    && html_text(b, str(r, "sha256")) && buf_printf(b, "</td></tr>"
	    "\n</table>\n<p><a href=\"/v1/snapshots/%" JSON_INTEGER_FORMAT
	    "\">JSON</a>, <a href=\"/snapshots\">every snapshot</a>.</p>\n",
	    num(r, "id"));
}

/*
 * Every certificate a snapshot holds (site_snapshot_json()'s "roots"),
 * in body order, folded in a <details> (no script: the pages' CSP
 * forbids it) so the report above stays the first thing read.
 */
static int
held_table(struct buf *b, const json_t *roots)
{
	const json_t	*o;
	char		 na[TIMEFMT_LEN];
	size_t		 i;
	int		 ok;

	ok = buf_printf(b, "<details class=\"held\" id=\"certificates\">"
	    "<summary>All %zu certificates</summary>\n<table><tr><th>#</th>"
	    "<th>label</th><th>sha256</th><th>expires</th><th>note</th></tr>"
	    "\n", json_array_size(roots));
	json_array_foreach(roots, i, o) {
		timefmt_date(num(o, "not_after"), na);
		ok = ok && buf_printf(b, "<tr><td>%zu</td>", i + 1) &&
		    td(b, str(o, "label")) && td_fp(b, str(o, "sha256")) &&
		    td_date(b, na) && td(b, json_is_true(json_object_get(o,
		    "dropped")) ? "dropped by vetting: not served" : "") &&
		    buf_append(b, "</tr>\n", 6);
	}
	return ok && buf_printf(b, "</table></details>\n");
}

/*
 * /snapshots/ID: where the snapshot came from, its report on current
 * facts (r, site_snapshot_json()'s), then every certificate it holds.
 */
int
html_snapshot(struct buf *b, const json_t *r)
{
	char	 title[64];

	snprintf(title, sizeof(title), "Snapshot %" JSON_INTEGER_FORMAT,
	    num(r, "id"));
	return html_begin(b, title) && provenance(b, r) &&
	    report_section(b, r) && held_table(b, json_object_get(r,
	    "roots")) && html_end(b);
}

/* /cert/{sha256}: one certificate and the releases that held it. */
int
html_cert(struct buf *b, const json_t *c)
{
	const json_t	*r;
	size_t		 i;
	int		 ok;

	ok = html_begin(b, str(c, "label")) && buf_printf(b, "<table>") &&
	    buf_printf(b, "<tr><th>sha256</th><td class=\"fp\">") &&
	    html_text(b, str(c, "sha256")) &&
	    buf_printf(b, "</td></tr><tr><th>subject</th>") &&
	    td(b, str(c, "subject")) &&
	    buf_printf(b, "</tr><tr><th>issuer</th>") &&
	    td(b, str(c, "issuer")) &&
	    buf_printf(b, "</tr><tr><th>serial</th>") &&
	    td(b, str(c, "serial")) &&
	    buf_printf(b, "</tr><tr><th>valid from</th>") &&
	    td_time(b, num(c, "not_before")) &&
	    buf_printf(b, "</tr><tr><th>valid until</th>") &&
	    td_time(b, num(c, "not_after")) &&
	    buf_printf(b, "</tr><tr><th>key</th>") && td(b, str(c, "key")) &&
	    buf_printf(b, "</tr></table>\n<h2>Releases that held it</h2>\n"
	    "<table><tr><th>profile</th><th>versions</th><th>releases</th>"
	    "</tr>\n");
	json_array_foreach(json_object_get(c, "releases"), i, r)
		ok = ok && buf_append(b, "<tr><td><a href=\"/p/", 20) &&
		    html_text(b, str(r, "profile")) && buf_append(b, "\">", 2) &&
		    html_text(b, str(r, "profile")) &&
		    buf_printf(b, "</a></td><td>%" JSON_INTEGER_FORMAT " to %"
		    JSON_INTEGER_FORMAT "</td><td>%" JSON_INTEGER_FORMAT
		    "</td></tr>\n", num(r, "first"), num(r, "last"),
		    num(r, "count"));
	if (json_array_size(json_object_get(c, "releases")) == 0)
		ok = ok && buf_printf(b, "<tr><td colspan=\"3\" class=\"muted"
		    "\">none</td></tr>\n");
	return ok && buf_printf(b, "</table>\n") &&
	    html_cert_notes(b, json_object_get(c, "org"),
	    json_object_get(c, "exclusions")) && html_end(b);
}
