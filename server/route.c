/*
 * route.c - match a request path against the HTTP contract.
 */
#include <stdint.h>
#include <string.h>

#include "encode.h"
#include "meta.h"
#include "num.h"
#include "route.h"

static int
version_arg(const char *s, size_t len, int64_t *v)
{
	uint64_t	 u;

	if (!num_u63(s, len, &u))
		return 0;
	*v = (int64_t)u;
	return 1;
}

/*
 * /snapshots, /snapshots/{id} and their JSON twins under /v1 (ids from
 * 1): 1 with t filled, 0 when url is none of them.
 */
static int
snapshot_route(const char *url, struct target *t)
{
	const char	*p = url;
	int		 json = 0;

	if (strncmp(p, "/v1/", 4) == 0) {
		json = 1;
		p += 3;
	}
	if (strncmp(p, "/snapshots", 10) != 0)
		return 0;
	p += 10;
	if (*p == '\0') {
		t->route = json ? R_SNAPSHOTS : R_PAGE_SNAPSHOTS;
		return 1;
	}
	if (*p != '/' || !version_arg(p + 1, strlen(p + 1), &t->a) ||
	    t->a == 0) {
		t->a = 0;
		return 0;
	}
	t->route = json ? R_SNAPSHOT : R_PAGE_SNAPSHOT;
	return 1;
}

/*
 * Match a decoded path (NUL-terminated, query string removed) against
 * the contract and fill t: its route, and the profile, versions or
 * fingerprint the path names.  Anything not exactly one of its forms
 * is R_NONE (404): no normalization, so "/v1/../x", "//v1" or an
 * encoded slash never reach anything.  Nothing is allocated.
 */
void
route_parse(const char *url, struct target *t)
{
	const char	*p, *slash, *rest;
	size_t		 n;

	memset(t, 0, sizeof(*t));
	if (snapshot_route(url, t))
		return;
	if (strcmp(url, "/") == 0)
		t->route = R_INDEX;
	else if (strcmp(url, "/healthz") == 0)
		t->route = R_HEALTHZ;
	else if (strcmp(url, "/metrics") == 0)
		t->route = R_METRICS;
	else if (strcmp(url, "/v1/pubkey") == 0)
		t->route = R_PUBKEY;
	else if (strcmp(url, "/v1/profiles") == 0)
		t->route = R_PROFILES;
	else if (strcmp(url, "/v1/upstream") == 0)
		t->route = R_UPSTREAM;
	else if (strcmp(url, "/v1/audit") == 0)
		t->route = R_AUDIT;
	else if (strcmp(url, "/quarantine") == 0)
		t->route = R_PAGE_QUARANTINE;
	else if (strcmp(url, "/audit") == 0)
		t->route = R_PAGE_AUDIT;
	else if (strcmp(url, "/org") == 0)
		t->route = R_PAGE_ORG;
	else if (strcmp(url, "/exclusions") == 0)
		t->route = R_PAGE_EXCLUSIONS;
	else if (strcmp(url, "/search") == 0)
		t->route = R_PAGE_SEARCH;
	else if (strncmp(url, "/cert/", 6) == 0 && strlen(url + 6) == 64 &&
	    strspn(url + 6, "0123456789abcdef") == 64) {
		memcpy(t->fp, url + 6, 65);
		t->route = R_PAGE_CERT;
	} else if (strncmp(url, "/p/", 3) == 0) {
		p = url + 3;
		n = (slash = strchr(p, '/')) != NULL ? (size_t)(slash - p) :
		    strlen(p);
		if (n > META_PROFILE_MAX || !profile_valid(p, n))
			return;
		memcpy(t->profile, p, n);
		t->profile[n] = '\0';
		if (slash == NULL)
			t->route = R_PAGE_PROFILE;
		else if (version_arg(slash + 1, strlen(slash + 1), &t->a))
			t->route = R_PAGE_RELEASE;
		return;
	}
	if (t->route != R_NONE || strncmp(url, "/v1/", 4) != 0)
		return;
	if (strcmp(url, "/v1/keys") == 0 || strcmp(url, "/v1/keys.minisig") ==
	    0) {
		t->route = url[8] == '\0' ? R_KEYS : R_KEYS_SIG;
		return;
	}
	/*
	 * /v1/keylists/{version}/keys, .../keys.minisig (the first
	 * signature) and .../{KEYID}.minisig: apart from /v1/keys, so
	 * that an exported tree can hold both as files.
	 */
	if (strncmp(url, "/v1/keylists/", 13) == 0 &&
	    (slash = strchr(url + 13, '/')) != NULL &&
	    version_arg(url + 13, (size_t)(slash - url - 13), &t->a)) {
		rest = slash + 1;
		if (strcmp(rest, "keys") == 0)
			t->route = R_KEYS_VERSION;
		else if (strcmp(rest, "keys.minisig") == 0)
			t->route = R_KEYS_VERSION_SIG;
		else if (strlen(rest) == 16 + 8 &&
		    strspn(rest, "0123456789ABCDEF") == 16 &&
		    strcmp(rest + 16, ".minisig") == 0) {
			memcpy(t->fp, rest, 16);
			t->fp[16] = '\0';
			t->route = R_KEYS_VERSION_SIG;
		}
		if (t->route != R_NONE)
			return;
	}
	p = url + 4;
	if ((slash = strchr(p, '/')) == NULL ||
	    (n = (size_t)(slash - p)) > META_PROFILE_MAX ||
	    !profile_valid(p, n))
		return;
	memcpy(t->profile, p, n);
	t->profile[n] = '\0';
	rest = slash + 1;
	if (strcmp(rest, "cacert.pem") == 0)
		t->route = R_LATEST_PEM;
	else if (strcmp(rest, "cacert.pem.minisig") == 0)
		t->route = R_LATEST_SIG;
	else if (strcmp(rest, "constraints.json") == 0)
		t->route = R_LATEST_CONS;
	else if (strcmp(rest, "constraints.json.minisig") == 0)
		t->route = R_LATEST_CONS_SIG;
	else if (strcmp(rest, "cacert.p11-kit") == 0)
		t->route = R_LATEST_P11KIT;
	else if (strcmp(rest, "history") == 0)
		t->route = R_HISTORY;
	else if (strncmp(rest, "diff/", 5) == 0) {
		p = rest + 5;
		if ((slash = strchr(p, '/')) != NULL &&
		    version_arg(p, (size_t)(slash - p), &t->a) &&
		    version_arg(slash + 1, strlen(slash + 1), &t->b))
			t->route = R_DIFF;
	} else if ((slash = strchr(rest, '/')) != NULL &&
	    version_arg(rest, (size_t)(slash - rest), &t->a)) {
		if (strcmp(slash + 1, "cacert.pem") == 0)
			t->route = R_VERSION_PEM;
		else if (strcmp(slash + 1, "cacert.pem.minisig") == 0)
			t->route = R_VERSION_SIG;
		else if (strcmp(slash + 1, "constraints.json") == 0)
			t->route = R_VERSION_CONS;
		else if (strcmp(slash + 1, "constraints.json.minisig") == 0)
			t->route = R_VERSION_CONS_SIG;
		else if (strcmp(slash + 1, "cacert.p11-kit") == 0)
			t->route = R_VERSION_P11KIT;
	}
}

/*
 * A query value as a form sends it (application/x-www-form-urlencoded:
 * "%XX" a byte; libmicrohttpd has made each "+" a space before the
 * unescape callback, which decodes nothing) decoded into out,
 * NUL-terminated, at most outlen - 1 bytes: the one value that needs
 * it (/search?q=; the server decodes nothing else).  Returns 1, or 0
 * for a bad escape, a control character (%00 included) or a value too
 * long.
 */
int
route_unescape(const char *in, char *out, size_t outlen)
{
	unsigned char	 u;
	size_t		 n = 0;
	char		 c;

	for (; *in != '\0'; in++) {
		if ((c = *in) == '%') {
			if (in[1] == '\0' || !hex_decode(in + 1, 2, &u, 1))
				return 0;
			c = (char)u;
			in += 2;
		}
		if ((unsigned char)c < 0x20 || c == 0x7f || n + 1 >= outlen)
			return 0;
		out[n++] = c;
	}
	out[n] = '\0';
	return 1;
}
