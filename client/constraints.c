/*
 * constraints.c - doc/SPEC.md 12: the distrust-after dates a release's
 * roots carry, beside the release as constraints.json and its
 * signature.  Fetched and checked like the release (SPEC 8: the
 * signature first, the document bounded by its signed size), then
 * held to the release: its version, its profile, its bundle's sha256.
 *
 * The dates are advice (SECURITY.md): a document that is missing or
 * refused only hides dates, it never stops an install.  What is kept
 * in the state, per root:
 *
 *	{ "sha256", "label", "server_distrust_after": Unix seconds,
 *	  "served_until": Unix seconds or null }
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
#include "encode.h"
#include "exitcode.h"
#include "extern.h"
#include "timefmt.h"

#define CONSTRAINTS_MAX		(256u << 10)	/* the document's bytes */
#define CONSTRAINTS_ROOTS_MAX	1024		/* about 7 Mozilla bundles */
#define CONSTRAINTS_LABEL_MAX	256

static int
hex64_ok(const char *s)
{
	return s != NULL && strlen(s) == 64 &&
	    strspn(s, "0123456789abcdef") == 64;
}

/*
 * "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, UTC, no fraction) into *t.  The
 * date must exist: it is formatted back and compared, so 02-30 or
 * 24:00:00 is refused.  Returns 1, or 0.
 */
static int
rfc3339_parse(const char *s, int64_t *t)
{
	static const char	 shape[] = "dddd-dd-ddTdd:dd:ddZ";
	struct tm		 tm;
	char			 back[TIMEFMT_LEN];
	size_t			 i;

	if (s == NULL || strlen(s) != sizeof(shape) - 1)
		return 0;
	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') :
		    s[i] != shape[i])
			return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 +
	    (s[2] - '0') * 10 + (s[3] - '0') - 1900;
	tm.tm_mon = (s[5] - '0') * 10 + (s[6] - '0') - 1;
	tm.tm_mday = (s[8] - '0') * 10 + (s[9] - '0');
	tm.tm_hour = (s[11] - '0') * 10 + (s[12] - '0');
	tm.tm_min = (s[14] - '0') * 10 + (s[15] - '0');
	tm.tm_sec = (s[17] - '0') * 10 + (s[18] - '0');
	if (tm.tm_year < 70)
		return 0;
	*t = (int64_t)timegm(&tm);
	timefmt_iso(*t, back);
	return strcmp(back, s) == 0;
}

/*
 * One ROOT of the document as the state keeps it, or NULL with why
 * naming the rule: exactly label, server_distrust_after, served_until
 * and sha256; a label of 1 to 256 bytes of UTF-8 text; RFC 3339 UTC
 * times; served_until null or a time.
 */
static json_t *
root_read(const json_t *r, size_t n, char *why, size_t whylen)
{
	const char	*label = json_string_value(json_object_get(r, "label"));
	const json_t	*su = json_object_get(r, "served_until");
	int64_t		 after, until = 0;

	if (!json_is_object(r) || json_object_size(r) != 4 ||
	    !json_is_string(json_object_get(r, "label")) ||
	    !json_is_string(json_object_get(r, "sha256")) ||
	    !json_is_string(json_object_get(r, "server_distrust_after")) ||
	    su == NULL) {
		snprintf(why, whylen, "roots[%zu]: want exactly label, "
		    "server_distrust_after, served_until and sha256", n);
		return NULL;
	}
	if (!hex64_ok(json_string_value(json_object_get(r, "sha256")))) {
		snprintf(why, whylen, "roots[%zu]: sha256 must be 64 "
		    "lower-case hex digits", n);
		return NULL;
	}
	if (json_string_length(json_object_get(r, "label")) == 0 ||
	    json_string_length(json_object_get(r, "label")) >
	    CONSTRAINTS_LABEL_MAX || !text_valid(label, json_string_length(
	    json_object_get(r, "label")))) {
		snprintf(why, whylen, "roots[%zu]: label must be 1 to %d "
		    "bytes of text", n, CONSTRAINTS_LABEL_MAX);
		return NULL;
	}
	if (!rfc3339_parse(json_string_value(json_object_get(r,
	    "server_distrust_after")), &after) ||
	    (!json_is_null(su) && !rfc3339_parse(json_string_value(su),
	    &until))) {
		snprintf(why, whylen, "roots[%zu]: times must be "
		    "YYYY-MM-DDTHH:MM:SSZ (served_until may be null)", n);
		return NULL;
	}
	return json_pack("{s:O, s:O, s:I, s:o}", "sha256", json_object_get(r,
	    "sha256"), "label", json_object_get(r, "label"),
	    "server_distrust_after", (json_int_t)after, "served_until",
	    json_is_null(su) ? json_null() : json_integer((json_int_t)until));
}

/*
 * The document doc (len bytes, authentic) held to rel: exactly the five
 * fields of SPEC 12, format cabundle-constraints/1, rel's profile,
 * bundle_sha256 rel's, a known policy, at most CONSTRAINTS_ROOTS_MAX
 * roots, each once.  Returns the roots as the state keeps them (the
 * caller json_decrefs), or NULL with why set.
 */
static json_t *
constraints_read(const unsigned char *doc, size_t len,
    const struct release *rel, char *why, size_t whylen)
{
	json_t		*d, *roots = NULL, *r, *x;
	json_error_t	 je;
	const char	*s;
	char		 hex[65];
	size_t		 i, j;

	/* jansson refuses trailing bytes, NUL in strings, bad UTF-8. */
	if ((d = json_loadb((const char *)doc, len, JSON_REJECT_DUPLICATES,
	    &je)) == NULL) {
		snprintf(why, whylen, "not JSON: %s", je.text);
		return NULL;
	}
	hex_encode(rel->meta.sha256, 32, hex);
	if (!json_is_object(d) || json_object_size(d) != 5 ||
	    !json_is_string(json_object_get(d, "bundle_sha256")) ||
	    !json_is_string(json_object_get(d, "format")) ||
	    !json_is_string(json_object_get(d, "policy")) ||
	    !json_is_string(json_object_get(d, "profile")) ||
	    !json_is_array(json_object_get(d, "roots"))) {
		snprintf(why, whylen, "want exactly bundle_sha256, format, "
		    "policy, profile and roots");
		goto bad;
	}
	if (strcmp(json_string_value(json_object_get(d, "format")),
	    META_FORMAT_CONSTRAINTS) != 0) {
		snprintf(why, whylen, "format is not %s",
		    META_FORMAT_CONSTRAINTS);
		goto bad;
	}
	if (strcmp(json_string_value(json_object_get(d, "profile")),
	    rel->meta.profile) != 0) {
		snprintf(why, whylen, "for another profile than %s",
		    rel->meta.profile);
		goto bad;
	}
	if (strcmp(json_string_value(json_object_get(d, "bundle_sha256")),
	    hex) != 0) {
		snprintf(why, whylen, "bundle_sha256 does not name this "
		    "release's bundle (sha256 %s)", hex);
		goto bad;
	}
	s = json_string_value(json_object_get(d, "policy"));
	if (strcmp(s, "keep") != 0 && strcmp(s, "sunset") != 0 &&
	    strcmp(s, "drop") != 0) {
		snprintf(why, whylen, "policy is not keep, sunset or drop");
		goto bad;
	}
	x = json_object_get(d, "roots");
	if (json_array_size(x) > CONSTRAINTS_ROOTS_MAX) {
		snprintf(why, whylen, "more than %d roots",
		    CONSTRAINTS_ROOTS_MAX);
		goto bad;
	}
	if ((roots = json_array()) == NULL)
		goto bad;
	for (i = 0; i < json_array_size(x); i++) {
		if ((r = root_read(json_array_get(x, i), i, why, whylen)) ==
		    NULL || json_array_append_new(roots, r) == -1)
			goto bad;
		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(json_object_get(
			    json_array_get(roots, j), "sha256")),
			    json_string_value(json_object_get(r, "sha256"))) ==
			    0) {
				snprintf(why, whylen, "roots[%zu]: the same "
				    "root as roots[%zu]", i, j);
				goto bad;
			}
	}
	json_decref(d);
	return roots;
 bad:
	json_decref(roots);
	json_decref(d);
	return NULL;
}

/*
 * SPEC 12 for rel, a release that passed verify_sig() under pol and
 * whose bundle is installed: from/v1/PROFILE/VERSION/constraints.json
 * and its signature.  Returns CONSTRAINTS_OK with *roots set (the
 * caller json_decrefs; possibly empty), CONSTRAINTS_NONE when the
 * mirror has no signature for it (404, no such file), or
 * CONSTRAINTS_BAD with why set: unreachable, refused by the rules of
 * verify_sig() with format cabundle-constraints/1, signed by another
 * key than the release, for another version, or constraints_read().
 */
enum cstatus
constraints_fetch(struct getopts *o, const char *from,
    const struct policy *pol, const struct release *rel, json_t **roots,
    char *why, size_t whylen)
{
	struct policy	 cp = *pol;
	struct release	 c;
	struct buf	 sig, doc;
	char		 url[4096], surl[4096 + 8], cwhy[1024];
	enum cstatus	 rc = CONSTRAINTS_BAD;

	*roots = NULL;
	buf_init(&sig, SIG_FILE_MAX);
	buf_init(&doc, CONSTRAINTS_MAX);
	if (snprintf(url, sizeof(url), "%s/v1/%s/%llu/constraints.json",
	    from, rel->meta.profile, (unsigned long long)rel->meta.version) >=
	    (int)sizeof(url)) {
		snprintf(why, whylen, "URL too long");
		goto out;
	}
	snprintf(surl, sizeof(surl), "%s.minisig", url);
	if (get_url(o, surl, &sig, SIG_FILE_MAX, cwhy, sizeof(cwhy)) !=
	    EXIT_DONE) {
		if (o->absent) {
			rc = CONSTRAINTS_NONE;
			goto out;
		}
		snprintf(why, whylen, "%s", cwhy);
		goto out;
	}
	cp.format = META_FORMAT_CONSTRAINTS;
	if (!verify_sig((const char *)sig.data, sig.len, &cp, &c, cwhy,
	    sizeof(cwhy))) {
		snprintf(why, whylen, "its signature: %s", cwhy);
		goto out;
	}
	if (c.key != rel->key) {
		snprintf(why, whylen, "signed by another key than the "
		    "release");
		goto out;
	}
	if (c.meta.version != rel->meta.version) {
		snprintf(why, whylen, "signed for version %llu, not %llu",
		    (unsigned long long)c.meta.version,
		    (unsigned long long)rel->meta.version);
		goto out;
	}
	if (c.meta.size > CONSTRAINTS_MAX) {
		snprintf(why, whylen, "signed size %llu is above the %u-byte "
		    "limit", (unsigned long long)c.meta.size,
		    CONSTRAINTS_MAX);
		goto out;
	}
	if (get_url(o, url, &doc, (size_t)c.meta.size, cwhy,
	    sizeof(cwhy)) != EXIT_DONE) {
		snprintf(why, whylen, "%s", cwhy);
		goto out;
	}
	if (!verify_data(&c, doc.data, doc.len, cwhy, sizeof(cwhy)) ||
	    (*roots = constraints_read(doc.data, doc.len, rel, cwhy,
	    sizeof(cwhy))) == NULL) {
		snprintf(why, whylen, "constraints.json: %s", cwhy);
		goto out;
	}
	rc = CONSTRAINTS_OK;
 out:
	buf_free(&sig);
	buf_free(&doc);
	return rc;
}

/* 1 when r is a root as constraints_read() records it in the state. */
int
constraints_root_ok(const json_t *r)
{
	const json_t	*su = json_object_get(r, "served_until");
	const char	*l = json_string_value(json_object_get(r, "label"));

	return json_is_object(r) &&
	    hex64_ok(json_string_value(json_object_get(r, "sha256"))) &&
	    l != NULL && text_valid(l, strlen(l)) &&
	    json_is_integer(json_object_get(r, "server_distrust_after")) &&
	    (json_is_null(su) || json_is_integer(su));
}

/*
 * A state root for people and --json: its times as RFC 3339 text.
 * Returns a new object, NULL when out of memory.
 */
json_t *
constraints_root_show(const json_t *r)
{
	const json_t	*su = json_object_get(r, "served_until");
	char		 after[TIMEFMT_LEN], until[TIMEFMT_LEN];

	timefmt_iso(json_integer_value(json_object_get(r,
	    "server_distrust_after")), after);
	timefmt_iso(json_integer_value(su), until);
	return json_pack("{s:O, s:O, s:s, s:o}", "sha256", json_object_get(r,
	    "sha256"), "label", json_object_get(r, "label"),
	    "server_distrust_after", after, "served_until",
	    json_is_integer(su) ? json_string(until) : json_null());
}
