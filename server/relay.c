/*
 * relay.c - a cabundled whose upstream is another cabundle mirror
 * ([mirror] url, profile, key), over http(s) or as an export directory
 * carried in on a USB stick.
 *
 * The upstream's latest release of the profile is judged with the
 * client's rules (SPEC section 8, common/verify.c): a strict signature
 * by a configured key, the profile asked for, not expired, the version
 * never going down, the body of exactly the signed size and digest.
 * The body is then vetted with this mirror's own policy like any
 * snapshot, and once it stands accepted the release is kept verbatim
 * (release.c relay_store) and re-served with the upstream signature.
 * Anything refused changes nothing that is served.
 */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "db.h"
#include "encode.h"
#include "exitcode.h"
#include "fetch.h"
#include "ingest.h"
#include "keyrelay.h"
#include "relay.h"
#include "release.h"
#include "store.h"
#include "verify.h"

/*
 * Read base/rel into out, at most max bytes: a file of an export
 * directory (file:///path or /path) or an http(s) URL.  Returns
 * EXIT_DONE, or EXIT_UNREACHABLE, EXIT_REFUSED (too large) or
 * EXIT_USAGE (a URL policy refuses) with why set.
 */
static int
relay_get(const struct config *cfg, const char *url, size_t max,
    struct buf *out, char *why, size_t whylen)
{
	struct fetch_result	 fr;
	enum fetch_status	 fs;
	const char		*path = NULL;
	int			 rc;

	if (url[0] == '/')
		path = url;
	else if (strncmp(url, "file://", 7) == 0)
		path = url + 7;
	if (path != NULL) {
		buf_init(out, max);
		if (buf_readfile(out, path))
			return EXIT_DONE;
		snprintf(why, whylen, "%s: %s", path, errno == EFBIG ?
		    "larger than allowed" : strerror(errno));
		return errno == EFBIG ? EXIT_REFUSED : EXIT_UNREACHABLE;
	}
	fetch_result_init(&fr, max);
	fs = fetch_url(&cfg->fetch, url, NULL, NULL, &fr);
	if (fs == FETCH_OK) {
		*out = fr.body;		/* the result's buffer is ours now */
		buf_init(&fr.body, 0);
		rc = EXIT_DONE;
	} else {
		snprintf(why, whylen, "%s", fr.error);
		rc = fs == FETCH_TOO_LARGE ? EXIT_REFUSED :
		    fs == FETCH_REFUSED ? EXIT_USAGE : EXIT_UNREACHABLE;
	}
	fetch_result_free(&fr);
	return rc;
}

/*
 * The newest release of profile here: *version (0: none), its body's
 * digest and whether it was relayed.  Returns 1, or 0 after a warning.
 */
static int
relay_floor(sqlite3 *db, const char *profile, int64_t *version, char *hex,
    int *relayed)
{
	sqlite3_stmt	*st;
	int		 step;

	*version = 0;
	*relayed = 1;
	hex[0] = '\0';
	if ((st = db_prepare(db, "SELECT r.version, b.body_sha256, r.reason "
	    "= 'relay' FROM release r JOIN build b ON b.id = r.build WHERE "
	    "r.profile = ? ORDER BY r.version DESC LIMIT 1")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		*version = sqlite3_column_int64(st, 0);
		snprintf(hex, 65, "%s", sqlite3_column_text(st, 1));
		*relayed = sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		return 0;
	}
	return 1;
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
	return buf_printf(b, "%.*s/v1/%s/%s", (int)n, base, profile, rest);
}

/*
 * One look at the upstream mirror: its latest signature, then (when it
 * is newer than ours) the body it names.  Returns the exit code of
 * "fetch": 0 relayed or unchanged, 1 refused, 2 configuration, 3
 * unreachable, 4 local error, 5 quarantined by our own vetting.
 */
int
relay_once(const struct config *cfg, sqlite3 *db, const char *actor)
{
	const struct mirror_opts *m = &cfg->mirror;
	struct policy	 pol;
	struct release	 r;
	struct relay	 rl;
	struct buf	 sigurl, bodyurl, sig, body;
	struct buf	 sigshown, bodyshown;	/* no password: recorded */
	char		 why[1024], rest[64], have[65], hex[65];
	int64_t		 floor;
	int		 relayed, rc = EXIT_LOCAL;

	buf_init(&sigurl, 8192);
	buf_init(&bodyurl, 8192);
	buf_init(&sigshown, 8192);
	buf_init(&bodyshown, 8192);
	buf_init(&sig, 0);
	buf_init(&body, 0);
	memset(&pol, 0, sizeof(pol));
	pol.keys = m->keys;
	pol.nkeys = m->nkeys;
	pol.profile = m->profile;
	pol.now = (int64_t)time(NULL);
	pol.check_time = 1;
	if (!relay_floor(db, m->profile, &floor, have, &relayed))
		goto out;
	if (!relayed) {
		warnx("[mirror] profile %s: this mirror signs that profile "
		    "itself; relay a profile it does not publish", m->profile);
		rc = EXIT_USAGE;
		goto out;
	}
	/* The key lists first (keyrelay.c): their refusal is theirs. */
	(void)keyrelay_once(cfg, db, actor, m->url, m->url_shown);
	if (!relay_url(&sigurl, m->url, m->profile, "cacert.pem.minisig") ||
	    !relay_url(&sigshown, m->url_shown, m->profile,
	    "cacert.pem.minisig")) {
		warnx("%s: URL too long", m->url_shown);
		rc = EXIT_USAGE;
		goto out;
	}
	/* Steps 1-6: the signature alone, at most SIG_FILE_MAX bytes. */
	if ((rc = relay_get(cfg, (const char *)sigurl.data, SIG_FILE_MAX,
	    &sig, why, sizeof(why))) != EXIT_DONE) {
		warnx("%s", why);
		store_source_set(db, (const char *)sigshown.data, NULL, NULL,
		    NULL, why);
		goto out;
	}
	rc = EXIT_REFUSED;
	if (!verify_sig((const char *)sig.data, sig.len, &pol, &r, why,
	    sizeof(why)))
		goto refused;
	hex_encode(r.meta.sha256, 32, hex);
	/* Step 7: the version never goes down, one body per version. */
	switch (verify_floor(&r, (uint64_t)floor, have, m->url_shown,
	    "relayed", why, sizeof(why))) {
	case FLOOR_REFUSED:
		goto refused;
	case FLOOR_CURRENT:
		store_source_set(db, (const char *)sigshown.data, NULL, NULL,
		    hex, "not modified");
		printf("unchanged: %s version %" PRId64 " is the latest at "
		    "%s\n", m->profile, floor, m->url_shown);
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
	if (!relay_url(&bodyurl, m->url, m->profile, rest) ||
	    !relay_url(&bodyshown, m->url_shown, m->profile, rest)) {
		warnx("%s: URL too long", m->url_shown);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((rc = relay_get(cfg, (const char *)bodyurl.data,
	    (size_t)r.meta.size, &body, why, sizeof(why))) != EXIT_DONE) {
		if (rc == EXIT_REFUSED)
			goto refused;
		warnx("%s", why);
		goto out;
	}
	rc = EXIT_REFUSED;
	if (!verify_body(&r, body.data, body.len, why, sizeof(why)))
		goto refused;
	/* Authentic: now our own policy decides, like any snapshot. */
	memset(&rl, 0, sizeof(rl));
	rl.source = m->url_shown;
	rl.sig = (const char *)sig.data;
	rl.siglen = sig.len;
	rl.meta = r.meta;
	keyid_format(r.key->keyid, rl.keyid);
	pubkey_string(r.key, rl.pubkey);
	rc = ingest_checked(cfg, db, actor, (const char *)bodyshown.data,
	    &body, &rl);
	store_source_set(db, (const char *)sigshown.data, NULL, NULL, hex,
	    rc == EXIT_DONE ? "accepted" : rc == EXIT_QUARANTINED ?
	    "quarantined" : rc == EXIT_REFUSED ? "rejected" : "error");
	if (rc == EXIT_DONE)
		printf("relayed: %s version %" PRIu64 " from %s, signed by "
		    "key %s, expires %" PRIu64 "\n", m->profile,
		    r.meta.version, m->url_shown, rl.keyid, r.meta.expires);
	else if (rc == EXIT_QUARANTINED)
		printf("not relayed: %s version %" PRIu64 " waits for a "
		    "human; approve the snapshot, then fetch again\n",
		    m->profile, r.meta.version);
	goto out;
 refused:
	warnx("%s: refused: %s; nothing changed", m->url_shown, why);
	printf("refused: %s\n", why);
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
