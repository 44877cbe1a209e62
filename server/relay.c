/*
 * relay.c - a cabundled whose upstream is another cabundle mirror
 * ([mirror] url, profiles, mode, key), over http(s) or as an export
 * directory carried in on a USB stick.
 *
 * Each relayed profile's latest release is judged with the client's
 * rules (SPEC section 8, common/verify.c): a strict signature by a
 * configured key, the profile asked for, not expired, the version
 * never going down, the body of exactly the signed size and digest.
 * The body is then vetted with this mirror's own policy (ingest.c:
 * as roots for "mozilla", as a composition for any other profile) and
 * kept with its signature (carry.c).  Once it stands accepted it is
 * served verbatim (release.c relay_store) or, with mode = countersign,
 * signed here as the profile's next version by the publish that
 * follows.  Anything refused changes nothing that is served.
 */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
#include "carry.h"
#include "db.h"
#include "encode.h"
#include "exitcode.h"
#include "fetch.h"
#include "ingest.h"
#include "keylists.h"
#include "keyrelay.h"
#include "mirrorget.h"
#include "relay.h"
#include "release.h"
#include "store.h"
#include "timefmt.h"
#include "url.h"
#include "verify.h"

#define RELAY_LIST_MAX	(256u << 10)	/* an upstream's /v1/profiles */

/* Who signed a profile's newest release here. */
enum origin {
	ORIGIN_NONE = 0,	/* no release yet */
	ORIGIN_VERBATIM,	/* relayed, the upstream's signature */
	ORIGIN_COUNTERSIGNED,	/* signed here, carrying an upstream one */
	ORIGIN_COMPOSED,	/* signed here, composed here */
	ORIGIN__MAX
};

/*
 * Where profile stands here.  served: the upstream version clients
 * get from here (verbatim: the newest relayed release; countersigned:
 * the newest carried release whose body stands accepted), 0 none.
 * floor and hex: the highest upstream version verified here at all,
 * carried or relayed, and its body's digest: the rollback floor.
 * *origin: who signed the newest release here (ORIGIN_NONE: no
 * release yet).  Returns 1, or 0 after a warning.
 */
static int
relay_floor(sqlite3 *db, const struct config *cfg, const char *profile,
    int64_t *served, int64_t *floor, char *hex, enum origin *origin)
{
	sqlite3_stmt	*st;
	struct carry	 any, ok;
	int		 step, rc = 0;

	*served = *floor = 0;
	*origin = ORIGIN_NONE;
	hex[0] = '\0';
	memset(&any, 0, sizeof(any));
	memset(&ok, 0, sizeof(ok));
	if ((st = db_prepare(db, "SELECT r.version, b.body_sha256, r.reason "
	    "= 'relay', EXISTS (SELECT 1 FROM release_carry c WHERE "
	    "c.profile = r.profile AND c.version = r.version) FROM release r "
	    "JOIN build b ON b.id = r.build WHERE r.profile = ? ORDER BY "
	    "r.version DESC LIMIT 1")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		*origin = sqlite3_column_int(st, 2) ? ORIGIN_VERBATIM :
		    sqlite3_column_int(st, 3) ? ORIGIN_COUNTERSIGNED :
		    ORIGIN_COMPOSED;
		if (*origin == ORIGIN_VERBATIM) {
			*served = *floor = sqlite3_column_int64(st, 0);
			snprintf(hex, 65, "%s", sqlite3_column_text(st, 1));
		}
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
	if (!carry_newest(db, profile, 0, &any) ||
	    !carry_newest(db, profile, 1, &ok))
		goto out;
	if (cfg->mirror.countersign && ok.id != 0)
		*served = ok.upstream_version;
	if (any.id != 0 && any.upstream_version > *floor) {
		*floor = any.upstream_version;
		snprintf(hex, 65, "%s", any.sha256);
	}
	rc = 1;
 out:
	carry_free(&any);
	carry_free(&ok);
	return rc;
}

/*
 * Whether profile was removed here (profile remove, schema 009): a
 * removed profile is never composed, published or renewed, so no
 * upstream release is stored under its name either.  When it was,
 * says on stderr who removed it, when and why (its profile-remove
 * audit row) and that its upstream releases are not relayed here.
 * Returns 1 removed, 0 not (or no such profile yet), -1 after a
 * warning.
 */
static int
relay_removed(sqlite3 *db, const char *profile)
{
	sqlite3_stmt	*st;
	char		 when[TIMEFMT_LEN];
	const char	*who, *why;
	int		 step, rc = -1;

	if ((st = db_prepare(db, "SELECT p.removed, p.removed_by, (SELECT "
	    "json_extract(a.details, '$.reason') FROM audit a WHERE "
	    "a.action = 'profile-remove' AND a.object = p.name ORDER BY "
	    "a.id DESC LIMIT 1) FROM profile p WHERE p.name = ? AND "
	    "p.removed IS NOT NULL")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		timefmt_iso(sqlite3_column_int64(st, 0), when);
		who = (const char *)sqlite3_column_text(st, 1);
		why = (const char *)sqlite3_column_text(st, 2);
		warnx("%s: removed here by %s at %s (\"%s\"); its upstream "
		    "releases are not relayed here", profile,
		    who != NULL ? who : "?", when, why != NULL ? why : "?");
		rc = 1;
	} else if (step == SQLITE_DONE)
		rc = 0;
	else
		warnx("%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

/* "base/v1/profile/rest", base without its trailing slashes. */
static int
relay_url(struct buf *b, const char *base, const char *profile,
    const char *rest)
{
	size_t	 n = strlen(base);

	while (n > 1 && base[n - 1] == '/')
		n--;
	buf_reset(b);
	if (profile == NULL)
		return buf_printf(b, "%.*s/v1/%s", (int)n, base, rest);
	return buf_printf(b, "%.*s/v1/%s/%s", (int)n, base, profile, rest);
}

/*
 * The profiles the upstream mirror lists (its /v1/profiles, in an
 * export too), hostile until checked: at most RELAY_LIST_MAX bytes of
 * strict JSON (no duplicate keys), an array of at most
 * CONFIG_MAX_RELAYED objects, each with a "name" that is a profile
 * name.  Returns EXIT_DONE with names filled, or an exit code with why
 * set; nothing of a refused list is used.
 */
static int
relay_list(const struct config *cfg, char (*names)[META_PROFILE_MAX + 1],
    size_t *n, char *why, size_t whylen)
{
	struct buf	 url, body;
	json_t		*doc = NULL, *o, *name;
	json_error_t	 jerr;
	const char	*s;
	size_t		 i;
	int		 rc, absent;

	*n = 0;
	buf_init(&url, 8192);
	buf_init(&body, 0);
	if (!relay_url(&url, cfg->mirror.url, NULL, "profiles")) {
		snprintf(why, whylen, "URL too long");
		rc = EXIT_USAGE;
		goto out;
	}
	if ((rc = mirror_get(cfg, (const char *)url.data, RELAY_LIST_MAX,
	    &body, &absent, why, whylen)) != EXIT_DONE)
		goto out;
	rc = EXIT_REFUSED;
	if ((doc = json_loadb((const char *)body.data, body.len,
	    JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		snprintf(why, whylen, "v1/profiles: not JSON: %s (line %d)",
		    jerr.text, jerr.line);
		goto out;
	}
	if (!json_is_array(doc) || json_array_size(doc) >
	    CONFIG_MAX_RELAYED) {
		snprintf(why, whylen, "v1/profiles: not an array of at most "
		    "%d profiles", CONFIG_MAX_RELAYED);
		goto out;
	}
	json_array_foreach(doc, i, o) {
		name = json_object_get(o, "name");
		if (!json_is_object(o) || !json_is_string(name) ||
		    (s = json_string_value(name)) == NULL ||
		    json_string_length(name) > META_PROFILE_MAX ||
		    strlen(s) != json_string_length(name) ||
		    !profile_name_ok(s)) {
			snprintf(why, whylen, "v1/profiles: entry %zu has no "
			    "valid profile name", i + 1);
			*n = 0;
			goto out;
		}
		snprintf(names[(*n)++], META_PROFILE_MAX + 1, "%s", s);
	}
	rc = EXIT_DONE;
 out:
	json_decref(doc);
	buf_free(&url);
	buf_free(&body);
	return rc;
}

/*
 * One look at one profile of the upstream mirror: its latest
 * signature, then (when it is newer than what is served here) the
 * body it names.  A profile removed here is left alone, with no
 * request: skipped (0) when it came from "*", refused (1) when
 * [mirror] profiles names it (named).  Returns the exit code of
 * "fetch" for it: 0 relayed, carried, unchanged or skipped, 1 refused,
 * 2 configuration, 3 unreachable, 4 local error, 5 quarantined by our
 * own vetting.
 */
static int
relay_profile(const struct config *cfg, sqlite3 *db, const char *actor,
    const char *profile, int named)
{
	const struct mirror_opts *m = &cfg->mirror;
	struct policy	 pol;
	struct release	 r;
	struct relay	 rl;
	struct buf	 sigurl, bodyurl, sig, body;
	struct buf	 sigshown, bodyshown;	/* no password: recorded */
	char		 why[1024], rest[64], have[65], hex[65];
	char		 when[TIMEFMT_LEN];
	int64_t		 served, floor;
	enum origin	 origin;
	struct keylist	 kl;
	struct pubkey	 lkeys[KEYLIST_KEYS_MAX];
	int		 absent, listed, rc = EXIT_LOCAL;

	switch (relay_removed(db, profile)) {
	case 0:
		break;
	case 1:
		if (!named)
			return EXIT_DONE;
		warnx("[mirror] profiles names %s: take it out, or relay with "
		    "\"*\", which skips it", profile);
		return EXIT_REFUSED;
	default:
		return EXIT_LOCAL;
	}
	buf_init(&sigurl, 8192);
	buf_init(&bodyurl, 8192);
	buf_init(&sigshown, 8192);
	buf_init(&bodyshown, 8192);
	buf_init(&sig, 0);
	buf_init(&body, 0);
	memset(&pol, 0, sizeof(pol));
	pol.keys = m->keys;
	pol.nkeys = m->nkeys;
	pol.profile = profile;
	pol.now = (int64_t)time(NULL);
	pol.check_time = 1;
	/*
	 * Once the upstream's key list is held here (key import-list,
	 * then relayed), it decides which of its keys sign, as it does
	 * for a --root client: rotations and revocations reach this
	 * mirror with no edit of [mirror] key.
	 */
	if (!keylists_newest(db, &kl, &listed))
		goto out;
	if (listed) {
		pol.nkeys = (size_t)keylist_signing_keys(&kl, pol.now, lkeys,
		    KEYLIST_KEYS_MAX);
		pol.keys = lkeys;
	}
	if (!relay_floor(db, cfg, profile, &served, &floor, have, &origin))
		goto out;
	/* One key line for a profile's clients: the mode cannot flip. */
	if (origin != ORIGIN_NONE && origin != (m->countersign ?
	    ORIGIN_COUNTERSIGNED : ORIGIN_VERBATIM) &&
	    !(origin == ORIGIN_COMPOSED && m->countersign)) {
		warnx("[mirror] profiles: %s: %s", profile,
		    origin == ORIGIN_COMPOSED ? "this mirror signs that "
		    "profile itself; relay a profile it does not publish, or "
		    "countersign it" : origin == ORIGIN_VERBATIM ? "relayed "
		    "verbatim before: its clients pin the upstream key, so "
		    "it cannot be countersigned now" : "countersigned "
		    "before: its clients pin this mirror's key, so it cannot "
		    "be relayed verbatim now");
		rc = EXIT_USAGE;
		goto out;
	}
	if (!relay_url(&sigurl, m->url, profile, "cacert.pem.minisig") ||
	    !relay_url(&sigshown, m->url_shown, profile,
	    "cacert.pem.minisig")) {
		warnx("%s: URL too long", m->url_shown);
		rc = EXIT_USAGE;
		goto out;
	}
	/* Steps 1-6: the signature alone, at most SIG_FILE_MAX bytes. */
	if ((rc = mirror_get(cfg, (const char *)sigurl.data, SIG_FILE_MAX,
	    &sig, &absent, why, sizeof(why))) != EXIT_DONE) {
		warnx("%s", why);
		store_source_set(db, (const char *)sigshown.data, NULL, NULL,
		    NULL, why);
		goto out;
	}
	rc = EXIT_REFUSED;
	if (!verify_sig((const char *)sig.data, sig.len, &pol, &r, why,
	    sizeof(why))) {
		if (listed)
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
			    " by key list version %" PRIu64 " held here",
			    kl.version);
		goto refused;
	}
	if (listed && !keylist_signed_within(&kl, r.key->keyid,
	    r.meta.created, why, sizeof(why)))
		goto refused;
	hex_encode(r.meta.sha256, 32, hex);
	/* Step 7: the version never goes down, one body per version. */
	switch (verify_floor(&r, (uint64_t)floor, have, m->url_shown,
	    "relayed", why, sizeof(why))) {
	case FLOOR_REFUSED:
		goto refused;
	case FLOOR_CURRENT:
		if (served != floor)
			break;	/* verified, not served: say where it stands */
		store_source_set(db, (const char *)sigshown.data, NULL, NULL,
		    hex, "not modified");
		printf("unchanged: %s version %" PRId64 " is the latest at "
		    "%s\n", profile, floor, m->url_shown);
		rc = EXIT_DONE;
		goto out;
	default:
		break;
	}
	/* Steps 8-10: the body that version names, exactly its size. */
	if (r.meta.size > cfg->fetch.max_bytes) {
		snprintf(why, sizeof(why), "the body would be %" PRIu64
		    " bytes, over [upstream] max_bytes", r.meta.size);
		goto refused;
	}
	snprintf(rest, sizeof(rest), "%" PRIu64 "/cacert.pem",
	    r.meta.version);
	if (!relay_url(&bodyurl, m->url, profile, rest) ||
	    !relay_url(&bodyshown, m->url_shown, profile, rest)) {
		warnx("%s: URL too long", m->url_shown);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((rc = mirror_get(cfg, (const char *)bodyurl.data,
	    (size_t)r.meta.size, &body, &absent, why, sizeof(why))) !=
	    EXIT_DONE) {
		if (rc == EXIT_REFUSED)
			goto refused;
		warnx("%s", why);
		goto out;
	}
	rc = EXIT_REFUSED;
	if (!verify_body(&r, body.data, body.len, why, sizeof(why)))
		goto refused;
	/* Authentic: now our own policy decides. */
	memset(&rl, 0, sizeof(rl));
	rl.source = m->url_shown;
	rl.sig = (const char *)sig.data;
	rl.siglen = sig.len;
	rl.meta = r.meta;
	rl.roots = strcmp(profile, RELAY_ROOTS) == 0;
	rl.countersign = m->countersign;
	keyid_format(r.key->keyid, rl.keyid);
	pubkey_string(r.key, rl.pubkey);
	rc = ingest_checked(cfg, db, actor, (const char *)bodyshown.data,
	    &body, &rl);
	store_source_set(db, (const char *)sigshown.data, NULL, NULL, hex,
	    rc == EXIT_DONE ? "accepted" : rc == EXIT_QUARANTINED ?
	    "quarantined" : rc == EXIT_REFUSED ? "rejected" : "error");
	if (rc == EXIT_DONE && m->countersign)
		printf("carried: %s version %" PRIu64 " from %s, verified with "
		    "key %s; signed here as %s's next version\n", profile,
		    r.meta.version, m->url_shown, rl.keyid, profile);
	else if (rc == EXIT_DONE) {
		timefmt_iso((int64_t)r.meta.expires, when);
		printf("relayed: %s version %" PRIu64 " from %s, signed by "
		    "key %s, expires %s\n", profile, r.meta.version,
		    m->url_shown, rl.keyid, when);
	}
	else if (rc == EXIT_QUARANTINED)
		printf("not relayed: %s version %" PRIu64 " waits for a "
		    "human; approving the snapshot relays it\n", profile,
		    r.meta.version);
	goto out;
 refused:
	warnx("%s: %s: refused: %s; nothing changed", m->url_shown, profile,
	    why);
	printf("refused: %s: %s\n", profile, why);
	store_source_set(db, (const char *)sigshown.data, NULL, NULL, NULL,
	    "rejected");
 out:
	buf_free(&sigurl);
	buf_free(&bodyurl);
	buf_free(&sigshown);
	buf_free(&bodyshown);
	buf_free(&sig);
	buf_free(&body);
	return rc;
}

/* The worse of two exit codes, as one "fetch" reports several. */
static int
relay_worse(int a, int b)
{
	static const int order[] = { EXIT_DONE, EXIT_QUARANTINED,
	    EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_USAGE, EXIT_LOCAL };
	size_t	 i, ia = 0, ib = 0;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (order[i] == a)
			ia = i;
		if (order[i] == b)
			ib = i;
	}
	return ia >= ib ? a : b;
}

/*
 * One look at the upstream mirror: every profile [mirror] profiles
 * names (with "*", every one its /v1/profiles lists), each judged on
 * its own, so one refused or missing profile (its signature is not
 * there: exit 3 for it) leaves the others to be relayed, and a profile
 * removed here is skipped (refused when named).  Returns the
 * worst of their exit codes (relay_profile).
 */
int
relay_once(const struct config *cfg, sqlite3 *db, const char *actor)
{
	const struct mirror_opts *m = &cfg->mirror;
	char		 (*up)[META_PROFILE_MAX + 1];
	char		 why[1024];
	size_t		 i, nup = 0;
	int		 rc = EXIT_DONE;

	/* The key lists first (keyrelay.c): their refusal is theirs. */
	(void)keyrelay_once(cfg, db, actor, m->url, m->url_shown);
	/* Named profiles cost no list: one request fewer to hang on. */
	if (!m->all) {
		for (i = 0; i < m->nprofiles; i++)
			rc = relay_worse(rc, relay_profile(cfg, db, actor,
			    m->profiles[i], 1));
		return rc;
	}
	if ((up = calloc(CONFIG_MAX_RELAYED, sizeof(*up))) == NULL) {
		warn("calloc");
		return EXIT_LOCAL;
	}
	if ((rc = relay_list(cfg, up, &nup, why, sizeof(why))) !=
	    EXIT_DONE) {
		warnx("%s: cannot list its profiles: %s; nothing changed",
		    m->url_shown, why);
		goto out;
	}
	for (i = 0; i < nup; i++)
		rc = relay_worse(rc, relay_profile(cfg, db, actor, up[i],
		    0));
 out:
	free(up);
	return rc;
}

/*
 * After a human approved snapshot id (inside the caller's
 * transaction): when it is the body of a carried upstream release,
 * relay that release at once from the stored signature, no second
 * fetch.  Verbatim: stored as relay_store does, unless its profile was
 * removed here, its signature expired meanwhile or a newer one is
 * served; countersigned: the publish that follows signs it.  Returns 1 (*relayed set when it was
 * a relayed body), or 0 after a warning.
 */
int
relay_approved(const struct config *cfg, sqlite3 *db, const char *actor,
    int64_t id, int *relayed)
{
	struct carry	 c;
	struct relay	 rl;
	char		 have[65];
	int64_t		 served, floor;
	enum origin	 origin;
	int		 removed, ok = 0;

	*relayed = 0;
	if (!carry_of_snapshot(db, id, &c))
		return 0;
	/* Removed here since it was carried: approved, relayed nowhere. */
	if (c.id != 0 && (removed = relay_removed(db, c.profile)) != 0) {
		ok = removed == 1;
		goto out;
	}
	if (c.id == 0 || cfg->mirror.countersign) {
		*relayed = c.id != 0;
		ok = 1;
		goto out;
	}
	if (c.expires <= (int64_t)time(NULL)) {
		warnx("%s version %" PRId64 ": its signature expired while it "
		    "waited; approved, but fetch a newer release to relay it",
		    c.profile, c.upstream_version);
		ok = 1;
		goto out;
	}
	if (!relay_floor(db, cfg, c.profile, &served, &floor, have, &origin))
		goto out;
	if (origin != ORIGIN_NONE && origin != ORIGIN_VERBATIM) {
		warnx("%s version %" PRId64 ": approved, not relayed: this "
		    "mirror signs %s itself", c.profile, c.upstream_version,
		    c.profile);
		ok = 1;
		goto out;
	}
	if (served >= c.upstream_version) {
		warnx("%s version %" PRId64 ": approved, not relayed: version "
		    "%" PRId64 " is served already", c.profile,
		    c.upstream_version, served);
		ok = 1;
		goto out;
	}
	if (!carry_relay(&c, &rl))
		goto out;
	if (!relay_store(db, actor, &rl, id))
		goto out;
	*relayed = 1;
	printf("relayed: %s version %" PRId64 " from %s, as verified when "
	    "it was fetched (key %s)\n", c.profile, c.upstream_version,
	    c.source, c.keyid);
	ok = 1;
 out:
	carry_free(&c);
	return ok;
}
