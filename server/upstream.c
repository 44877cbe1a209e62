/*
 * upstream.c - one look at the configured upstream: a plain URL,
 * asked conditionally and ingested (ingest.c), or another cabundle
 * mirror (relay.c).
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "encode.h"
#include "exitcode.h"
#include "fetch.h"
#include "ingest.h"
#include "log.h"
#include "relay.h"
#include "store.h"
#include "upstream.h"

/*
 * One fetch of the configured upstream, conditional on the validators
 * of the last answer, or of the upstream mirror ([mirror] url) when
 * one is set.  Called by "fetch" and by serve's schedule.  Returns the
 * exit code of "fetch".
 */
int
fetch_once(const struct config *cfg, sqlite3 *db, const char *actor)
{
	struct fetch_result	 fr;
	struct source_state	 ss;
	struct snapinfo		 si;
	enum fetch_status	 fs;
	unsigned char		 digest[32];
	char			 hex[65];
	const char		*url = cfg->url;
	const char		*src = cfg->url_shown;	/* recorded */
	int			 rc = EXIT_LOCAL;

	if (cfg->mirror.url != NULL)
		return relay_once(cfg, db, actor);
	fetch_result_init(&fr, cfg->fetch.max_bytes);
	if (!store_source_get(db, src, &ss))
		goto out;
	fs = fetch_url(&cfg->fetch, url, ss.etag[0] ? ss.etag : NULL,
	    ss.last_modified[0] ? ss.last_modified : NULL, &fr);
	switch (fs) {
	case FETCH_OK:
		break;
	case FETCH_NOT_MODIFIED:
		if (!ingest_standing(db, ss.sha256, NULL, &si))
			goto out;
		if (si.id != 0) {
			store_source_set(db, src, NULL, NULL, NULL,
			    "not modified");
			rc = ingest_unchanged(&si, " (HTTP 304)");
			goto out;
		}
		/* Nothing stands for those validators: ask afresh. */
		fetch_result_free(&fr);
		fetch_result_init(&fr, cfg->fetch.max_bytes);
		if ((fs = fetch_url(&cfg->fetch, url, NULL, NULL, &fr)) ==
		    FETCH_OK)
			break;
		/* FALLTHROUGH */
	default:
		warnx("%s", fr.error);
		store_source_set(db, src, NULL, NULL, NULL, fr.error);
		if (fs == FETCH_TOO_LARGE)
			printf("rejected: %s: nothing stored, nothing "
			    "changed\n", fr.error);
		rc = fs == FETCH_TOO_LARGE ? EXIT_REFUSED :
		    fs == FETCH_REFUSED ? EXIT_USAGE : EXIT_UNREACHABLE;
		goto out;
	}
	if (!EVP_Digest(fr.body.data, fr.body.len, digest, NULL,
	    EVP_sha256(), NULL)) {
		cryptowarnx("SHA-256");
		goto out;
	}
	hex_encode(digest, 32, hex);
	rc = ingest_checked(cfg, db, actor, src, &fr.body, NULL);
	if (rc != EXIT_LOCAL)
		store_source_set(db, src, fr.etag[0] ? fr.etag : NULL,
		    fr.last_modified[0] ? fr.last_modified : NULL, hex,
		    rc == EXIT_DONE ? "accepted" : rc == EXIT_QUARANTINED ?
		    "quarantined" : "rejected");
 out:
	fetch_result_free(&fr);
	return rc;
}
