/*
 * fuzz-route.c - the HTTP request routing of cabundled (server/route.c)
 * on any path, as libmicrohttpd hands it over: decoded, NUL-terminated,
 * without the query string.
 *
 * Checks the "no normalization" rule: every path that routes is the
 * one canonical spelling of its target, so rebuilding the path from
 * the target gives the input back byte for byte; "/v1/../x" and "//v1"
 * can therefore never reach anything.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "meta.h"
#include "../server/route.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

/* The path of a target, as the BRIEF's contract spells it. */
static void
unroute(const struct target *t, char *out, size_t outlen)
{
	static const char *const fixed[R__MAX] = {
		[R_INDEX] = "/", [R_HEALTHZ] = "/healthz",
		[R_METRICS] = "/metrics", [R_PUBKEY] = "/v1/pubkey",
		[R_PROFILES] = "/v1/profiles", [R_UPSTREAM] = "/v1/upstream",
		[R_AUDIT] = "/v1/audit", [R_PAGE_QUARANTINE] = "/quarantine",
		[R_PAGE_AUDIT] = "/audit", [R_KEYS] = "/v1/keys",
		[R_KEYS_SIG] = "/v1/keys.minisig",
		[R_PAGE_ORG] = "/org", [R_PAGE_EXCLUSIONS] = "/exclusions",
		[R_PAGE_SEARCH] = "/search",
		[R_PAGE_SNAPSHOTS] = "/snapshots", [R_SNAPSHOTS] = "/v1/snapshots",
	};
	const char	*p = t->profile;

	switch (t->route) {
	case R_LATEST_PEM:
		snprintf(out, outlen, "/v1/%s/cacert.pem", p);
		break;
	case R_LATEST_SIG:
		snprintf(out, outlen, "/v1/%s/cacert.pem.minisig", p);
		break;
	case R_VERSION_PEM:
		snprintf(out, outlen, "/v1/%s/%" PRId64 "/cacert.pem", p, t->a);
		break;
	case R_VERSION_SIG:
		snprintf(out, outlen, "/v1/%s/%" PRId64 "/cacert.pem.minisig",
		    p, t->a);
		break;
	case R_LATEST_CONS:
		snprintf(out, outlen, "/v1/%s/constraints.json", p);
		break;
	case R_LATEST_CONS_SIG:
		snprintf(out, outlen, "/v1/%s/constraints.json.minisig", p);
		break;
	case R_LATEST_P11KIT:
		snprintf(out, outlen, "/v1/%s/cacert.p11-kit", p);
		break;
	case R_VERSION_CONS:
		snprintf(out, outlen, "/v1/%s/%" PRId64 "/constraints.json", p,
		    t->a);
		break;
	case R_VERSION_CONS_SIG:
		snprintf(out, outlen, "/v1/%s/%" PRId64
		    "/constraints.json.minisig", p, t->a);
		break;
	case R_VERSION_P11KIT:
		snprintf(out, outlen, "/v1/%s/%" PRId64 "/cacert.p11-kit", p,
		    t->a);
		break;
	case R_HISTORY:
		snprintf(out, outlen, "/v1/%s/history", p);
		break;
	case R_DIFF:
		snprintf(out, outlen, "/v1/%s/diff/%" PRId64 "/%" PRId64, p,
		    t->a, t->b);
		break;
	case R_PAGE_PROFILE:
		snprintf(out, outlen, "/p/%s", p);
		break;
	case R_PAGE_RELEASE:
		snprintf(out, outlen, "/p/%s/%" PRId64, p, t->a);
		break;
	case R_PAGE_CERT:
		snprintf(out, outlen, "/cert/%s", t->fp);
		break;
	case R_PAGE_SNAPSHOT:
		snprintf(out, outlen, "/snapshots/%" PRId64, t->a);
		break;
	case R_SNAPSHOT:
		snprintf(out, outlen, "/v1/snapshots/%" PRId64, t->a);
		break;
	case R_KEYS_VERSION:
		snprintf(out, outlen, "/v1/keylists/%" PRId64 "/keys", t->a);
		break;
	case R_KEYS_VERSION_SIG:
		snprintf(out, outlen, "/v1/keylists/%" PRId64 "/%s.minisig",
		    t->a, t->fp[0] != '\0' ? t->fp : "keys");
		break;
	default:
		FUZZ_CHECK(t->route > R_NONE && t->route < R__MAX &&
		    fixed[t->route] != NULL);
		snprintf(out, outlen, "%s", fixed[t->route]);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target	 t;
	char		*url, again[256];
	int		 named;

	/* A C string, as MHD gives it: up to the first NUL. */
	if ((url = malloc(size + 1)) == NULL)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';
	route_parse(url, &t);
	FUZZ_CHECK(t.route >= R_NONE && t.route < R__MAX);
	if (t.route != R_NONE) {
		named = t.route == R_LATEST_PEM || t.route == R_LATEST_SIG ||
		    t.route == R_VERSION_PEM || t.route == R_VERSION_SIG ||
		    t.route == R_HISTORY || t.route == R_DIFF ||
		    t.route == R_PAGE_PROFILE || t.route == R_PAGE_RELEASE ||
		    (t.route >= R_LATEST_CONS && t.route <= R_VERSION_P11KIT);
		FUZZ_CHECK(!named ||
		    profile_valid(t.profile, strlen(t.profile)));
		FUZZ_CHECK(named || t.profile[0] == '\0');
		FUZZ_CHECK(t.a >= 0 && t.b >= 0);
		unroute(&t, again, sizeof(again));
		FUZZ_CHECK(strcmp(again, url) == 0);
	}
	free(url);
	return 0;
}
