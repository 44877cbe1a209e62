/*
 * constraints.c - render the constraints document of a composition
 * (doc/SPEC.md section 12): one line of JSON, keys sorted, no spaces,
 * an LF at the end, naming the bundle it goes with and, in bundle
 * order, every root of it that carries a server distrust-after date.
 * It depends on the composition, the policy and the bundle's digest
 * alone, so the same build always gives the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "constraints.h"
#include "log.h"
#include "meta.h"
#include "release.h"
#include "timefmt.h"

/* One dated root: label, server_distrust_after, served_until, sha256. */
static json_t *
root_json(const struct entry *e, const char *policy)
{
	char	 after[TIMEFMT_LEN], until[TIMEFMT_LEN];
	int	 sunset = strcmp(policy, "sunset") == 0;

	timefmt_iso(e->server_after, after);
	if (sunset)
		timefmt_iso(e->server_after + DISTRUST_SUNSET_SECONDS, until);
	return json_pack("{s:s, s:s, s:o, s:s}", "label", e->label,
	    "server_distrust_after", after,
	    "served_until", sunset ? json_string(until) : json_null(),
	    "sha256", e->fp);
}

/*
 * The constraints document of composition c, the bundle of profile
 * under policy (keep, sunset or drop) whose SHA-256 is bundle_hex,
 * appended to out.  Returns 1, out left empty when no entry has a
 * date; 0 after a warning (a label that is not UTF-8, out of memory,
 * a document larger than out's cap).
 */
int
constraints_render(const char *profile, const char *policy,
    const char *bundle_hex, const struct comp *c, struct buf *out)
{
	json_t	*doc = NULL, *roots = NULL, *r;
	char	*s = NULL;
	size_t	 i;
	int	 ok = 0;

	if ((roots = json_array()) == NULL)
		goto nomem;
	for (i = 0; i < c->n; i++) {
		if (c->v[i].server_after <= 0)
			continue;
		if ((r = root_json(&c->v[i], policy)) == NULL) {
			warnx("%s: certificate %s: its label cannot go into "
			    "the constraints document", profile, c->v[i].fp);
			goto out;
		}
		if (json_array_append_new(roots, r) == -1)
			goto nomem;
	}
	if (json_array_size(roots) == 0) {
		ok = 1;
		goto out;
	}
	doc = json_pack("{s:s, s:s, s:s, s:s, s:O}", "bundle_sha256",
	    bundle_hex, "format", META_FORMAT_CONSTRAINTS, "policy", policy,
	    "profile", profile, "roots", roots);
	if (doc == NULL ||
	    (s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto nomem;
	if (!buf_append(out, s, strlen(s)) || !buf_append(out, "\n", 1)) {
		warnx("%s: constraints document larger than %zu bytes",
		    profile, out->max);
		goto out;
	}
	ok = 1;
	goto out;
 nomem:
	warnx("out of memory");
 out:
	free(s);
	json_decref(doc);
	json_decref(roots);
	return ok;
}
