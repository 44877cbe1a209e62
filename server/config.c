/*
 * config.c - read cabundled.conf with inih, strictly: an unknown
 * section or key, a bad value or an over-long line is a configuration
 * error that names the file and line (exit 2), never a silent default.
 */
#include <err.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "buf.h"
#include "config.h"
#include "encode.h"
#include "meta.h"
#include "num.h"
#include "sig.h"
#include "url.h"

/*
 * Long-lived roots present in every Mozilla bundle from 2022 to 2026
 * (tests/fixtures/upstream): a bundle without one of them is not the
 * bundle we know.  Replace with [vet] anchor lines; "anchor = none"
 * empties the list.
 */

/*
 * url as it may be logged or stored: its password, if any, replaced
 * by "***" (url.c).  Returns a string the caller frees, or NULL.
 */
static char *
shown_dup(const char *url)
{
	size_t	 len = strlen(url) + sizeof(URL_REDACTED);
	char	*s;

	if ((s = malloc(len)) == NULL) {
		warn("malloc");
		return NULL;
	}
	url_redact(url, s, len);
	return s;
}
static const struct {
	const char	*label;
	const char	*sha256;
} default_anchors[] = {
	{ "ISRG Root X1",
	  "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6" },
	{ "ISRG Root X2",
	  "69729b8e15a86efc177a57afb7171dfc64add28c2fca8cf1507e34453ccb1470" },
	{ "DigiCert Global Root G2",
	  "cb3ccbb76031e5e0138f8dd39a23f9de47ffc35e43c1144cea27d46a5ab1cb5f" },
	{ "USERTrust RSA Certification Authority",
	  "e793c9b02fd8aa13e21c31228accb08119643b749c898964b1746d46c3d4cbd2" },
	{ "Amazon Root CA 1",
	  "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e" },
	{ "GlobalSign Root R46",
	  "4fa3126d8d3a11d1c4855a4f807cbad6cf919d3a5a88b03bea2c6372d93c40c9" },
	{ "Microsoft RSA Root Certificate Authority 2017",
	  "c741f70f4b2a8d88bf2e71c14122ef53ef10eba0cfa5e64cfa20f418853073e0" },
};

enum type { T_STR, T_LONG, T_BOOL, T_LEVEL, T_DIGESTS, T_ANCHORS, T_PINS,
	T_REMOVED, T_EXPIRED, T_MIRROR, T_FORMAT };

static const struct key {
	const char	*section;
	const char	*name;
	enum type	 type;
	long long	 min, max;
} keys[] = {
	{ "server", "datadir", T_STR, 0, 0 },
	{ "server", "actor", T_STR, 0, 0 },
	{ "upstream", "url", T_STR, 0, 0 },
	{ "upstream", "crosscheck_url", T_STR, 0, 0 },
	{ "upstream", "format", T_FORMAT, 0, 0 },
	{ "upstream", "ca_file", T_STR, 0, 0 },
	{ "upstream", "pinned_pubkey", T_PINS, 0, 0 },
	{ "upstream", "max_bytes", T_LONG, 1024, 64 << 20 },
	{ "upstream", "connect_timeout", T_LONG, 1, 600 },
	{ "upstream", "timeout", T_LONG, 1, 3600 },
	{ "upstream", "low_speed_limit", T_LONG, 0, 1 << 30 },
	{ "upstream", "low_speed_time", T_LONG, 1, 3600 },
	{ "upstream", "retries", T_LONG, 0, 10 },
	{ "upstream", "retry_delay", T_LONG, 0, 300 },
	{ "upstream", "allow_insecure_http", T_BOOL, 0, 0 },
	{ "upstream", "fetch_interval", T_LONG, 0, 30 * 86400 },
	{ "vet", "require_pinned_digest", T_BOOL, 0, 0 },
	{ "vet", "pinned_digest", T_DIGESTS, 0, 0 },
	{ "vet", "anchor", T_ANCHORS, 0, 0 },
	{ "vet", "max_removed", T_REMOVED, 0, 0 },
	{ "vet", "max_added", T_LONG, 0, 100000 },
	{ "vet", "expired", T_EXPIRED, 0, 0 },
	{ "vet", "not_yet_valid", T_LEVEL, 0, 0 },
	{ "vet", "weak_key", T_LEVEL, 0, 0 },
	{ "vet", "min_rsa_bits", T_LONG, 1024, 16384 },
	{ "vet", "min_ec_bits", T_LONG, 160, 521 },
	{ "release", "sign_validity", T_LONG, 3600, 31 * 86400 },
	{ "release", "resign_after", T_LONG, 60, 31 * 86400 },
	{ "release", "org_expiry_warning", T_LONG, 0, 3650 * 86400 },
	{ "http", "listen", T_STR, 0, 0 },
	{ "http", "port", T_LONG, 1, 65535 },
	{ "http", "threads", T_LONG, 0, 256 },
	{ "http", "connection_limit", T_LONG, 1, 65536 },
	{ "http", "per_ip_limit", T_LONG, 0, 65536 },
	{ "http", "connection_timeout", T_LONG, 1, 3600 },
	{ "http", "latest_max_age", T_LONG, 0, 86400 },
	{ "http", "access_log", T_BOOL, 0, 0 },
	{ "http", "tls_cert", T_STR, 0, 0 },
	{ "http", "tls_key", T_STR, 0, 0 },
	{ "serve", "user", T_STR, 0, 0 },
	{ "mirror", "url", T_MIRROR, 0, 0 },
	{ "mirror", "profile", T_MIRROR, 0, 0 },
	{ "mirror", "profiles", T_MIRROR, 0, 0 },
	{ "mirror", "mode", T_MIRROR, 0, 0 },
	{ "mirror", "key", T_MIRROR, 0, 0 },
};

/* What the parse callback needs besides the config. */
struct parse {
	struct config	*cfg;
	const char	*file;		/* for messages */
	int		 anchors_set;	/* the first anchor line replaces */
	char		 error[256];
};

static int
set_string(char **dst, const char *v)
{
	char	*s;

	if ((s = strdup(v)) == NULL)
		return 0;
	free(*dst);
	*dst = *v == '\0' ? NULL : s;
	if (*dst == NULL)
		free(s);
	return 1;
}

static int
parse_bool(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "0") == 0)
		*out = 0;
	else
		return 0;
	return 1;
}

static int
parse_level(const char *v, enum level *out)
{
	if (strcmp(v, "warning") == 0)
		*out = LEVEL_WARNING;
	else if (strcmp(v, "quarantine") == 0)
		*out = LEVEL_QUARANTINE;
	else if (strcmp(v, "error") == 0)
		*out = LEVEL_ERROR;
	else
		return 0;
	return 1;
}

/* Hex SHA-256 values separated by spaces or commas; colons allowed. */
static int
parse_hashes(const char *v, struct hashlist *l, char *err, size_t errsz)
{
	char		 hex[65];
	size_t		 i, n;

	while (*v != '\0') {
		while (*v == ' ' || *v == ',' || *v == '\t')
			v++;
		if (*v == '\0')
			break;
		for (n = 0; *v != '\0' && *v != ' ' && *v != ',' &&
		    *v != '\t'; v++) {
			if (*v == ':')
				continue;
			if (n == 64) {
				snprintf(err, errsz, "not a SHA-256 value");
				return 0;
			}
			hex[n++] = *v;
		}
		hex[n] = '\0';
		if (l->n == CONFIG_MAX_PINS) {
			snprintf(err, errsz, "more than %d values",
			    CONFIG_MAX_PINS);
			return 0;
		}
		if (n != 64 || !hex_decode(hex, 64, l->v[l->n], 32)) {
			snprintf(err, errsz, "not a SHA-256 value: %s", hex);
			return 0;
		}
		for (i = 0; i < l->n; i++)
			if (memcmp(l->v[i], l->v[l->n], 32) == 0)
				break;
		if (i == l->n)
			l->n++;
	}
	return 1;
}

/* "sha256//BASE64" values, joined with ';' as libcurl wants them. */
static int
add_pins(struct config *cfg, const char *v, char *err, size_t errsz)
{
	struct buf	 b;
	const char	*p, *e;
	unsigned char	 h[32];
	int		 ok = 0;

	buf_init(&b, 4096);
	if (cfg->pinned_pubkey != NULL &&
	    !buf_printf(&b, "%s", cfg->pinned_pubkey))
		goto out;
	for (p = v; *p != '\0'; p = e) {
		while (*p == ' ' || *p == ';' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' ' && *e != ';' &&
		    *e != ','; e++)
			;
		if ((size_t)(e - p) != 8 + 44 ||
		    strncmp(p, "sha256//", 8) != 0 ||
		    !b64_decode_exact(p + 8, 44, h, sizeof(h))) {
			snprintf(err, errsz, "not a sha256//BASE64 public "
			    "key pin: %.*s", (int)(e - p), p);
			goto out;
		}
		if (!buf_printf(&b, "%s%.*s", b.len ? ";" : "",
		    (int)(e - p), p)) {
			snprintf(err, errsz, "too many pins");
			goto out;
		}
	}
	free(cfg->pinned_pubkey);
	cfg->pinned_pubkey = b.len ? strdup((char *)b.data) : NULL;
	ok = b.len == 0 || cfg->pinned_pubkey != NULL;
 out:
	buf_free(&b);
	return ok;
}

static int
set_long(struct config *cfg, const char *name, long long n)
{
	struct vet_policy *vp = &cfg->vet;
	struct fetch_opts *f = &cfg->fetch;

	if (strcmp(name, "max_bytes") == 0)
		f->max_bytes = (size_t)n;
	else if (strcmp(name, "connect_timeout") == 0)
		f->connect_timeout = (long)n;
	else if (strcmp(name, "timeout") == 0)
		f->timeout = (long)n;
	else if (strcmp(name, "low_speed_limit") == 0)
		f->low_speed_limit = (long)n;
	else if (strcmp(name, "low_speed_time") == 0)
		f->low_speed_time = (long)n;
	else if (strcmp(name, "retries") == 0)
		f->retries = (int)n;
	else if (strcmp(name, "retry_delay") == 0)
		f->retry_delay_ms = (long)n * 1000;
	else if (strcmp(name, "fetch_interval") == 0)
		cfg->fetch_interval = (long)n;
	else if (strcmp(name, "max_added") == 0)
		vp->max_added = (long)n;
	else if (strcmp(name, "min_rsa_bits") == 0)
		vp->min_rsa_bits = (int)n;
	else if (strcmp(name, "min_ec_bits") == 0)
		vp->min_ec_bits = (int)n;
	else if (strcmp(name, "sign_validity") == 0)
		cfg->sign_validity = (long)n;
	else if (strcmp(name, "resign_after") == 0)
		cfg->resign_after = (long)n;
	else if (strcmp(name, "org_expiry_warning") == 0)
		cfg->org_expiry_warning = (long)n;
	else if (strcmp(name, "port") == 0)
		cfg->http.port = (int)n;
	else if (strcmp(name, "threads") == 0)
		cfg->http.threads = (int)n;
	else if (strcmp(name, "connection_limit") == 0)
		cfg->http.connection_limit = (int)n;
	else if (strcmp(name, "per_ip_limit") == 0)
		cfg->http.per_ip_limit = (int)n;
	else if (strcmp(name, "connection_timeout") == 0)
		cfg->http.timeout = (int)n;
	else if (strcmp(name, "latest_max_age") == 0)
		cfg->http.latest_max_age = (long)n;
	else
		return 0;
	return 1;
}

/*
 * [mirror] profiles: names separated by spaces or commas, or "*" for
 * every profile the upstream lists; profile (the old spelling) is one
 * name.  The last line of each replaces the list; giving both is
 * refused in config_load().
 */
static int
set_relayed(struct parse *p, const char *name, const char *value)
{
	struct mirror_opts *m = &p->cfg->mirror;
	const char	*s = value;
	size_t		 n;

	m->spelled |= strcmp(name, "profile") == 0 ? 1 : 2;
	m->nprofiles = 0;
	m->all = 0;
	if (strcmp(name, "profiles") == 0 && strcmp(value, "*") == 0) {
		m->all = 1;
		return 1;
	}
	while (*(s += strspn(s, " ,")) != '\0') {
		n = strcspn(s, " ,");
		if (n > META_PROFILE_MAX || !profile_valid(s, n) ||
		    (strcmp(name, "profile") == 0 && s[n] != '\0')) {
			snprintf(p->error, sizeof(p->error), "%s: not a "
			    "profile name (a-z, 0-9, then . _ + -)%s", name,
			    strcmp(name, "profiles") == 0 ? ", or *" : "");
			return 0;
		}
		if (m->nprofiles == CONFIG_MAX_RELAYED) {
			snprintf(p->error, sizeof(p->error), "%s: more than "
			    "%d", name, CONFIG_MAX_RELAYED);
			return 0;
		}
		snprintf(m->profiles[m->nprofiles++], META_PROFILE_MAX + 1,
		    "%.*s", (int)n, s);
		s += n;
	}
	if (m->nprofiles == 0) {
		snprintf(p->error, sizeof(p->error), "%s: no profile named",
		    name);
		return 0;
	}
	return 1;
}

/*
 * [mirror] url, mode, profile(s), or key: a minisign public key as its
 * "RW..." string or the path of a .pub file.
 */
static int
set_mirror(struct parse *p, const char *name, const char *value)
{
	struct mirror_opts *m = &p->cfg->mirror;
	const char	*path;

	if (strcmp(name, "url") == 0) {
		/* http too: the signatures carry the trust (relay.c). */
		if (value[0] != '\0' && url_source(value, &path) == URL_BAD) {
			snprintf(p->error, sizeof(p->error), "url: want "
			    "https://, http://, file:///PATH, file:/PATH or "
			    "/PATH");
			return 0;
		}
		return set_string(&m->url, value);
	}
	if (strcmp(name, "mode") == 0) {
		if (strcmp(value, "verbatim") != 0 &&
		    strcmp(value, "countersign") != 0) {
			snprintf(p->error, sizeof(p->error), "mode: want "
			    "verbatim or countersign");
			return 0;
		}
		m->countersign = strcmp(value, "countersign") == 0;
		return 1;
	}
	if (strcmp(name, "profile") == 0 || strcmp(name, "profiles") == 0)
		return set_relayed(p, name, value);
	if (m->nkeys == CONFIG_MAX_MIRROR_KEYS) {
		snprintf(p->error, sizeof(p->error), "key: more than %d",
		    CONFIG_MAX_MIRROR_KEYS);
		return 0;
	}
	if (!pubkey_load(value, &m->keys[m->nkeys])) {
		snprintf(p->error, sizeof(p->error), "key: %s is neither a "
		    "minisign public key nor a readable .pub file", value);
		return 0;
	}
	m->nkeys++;
	return 1;
}

static int
config_set(struct parse *p, const char *section, const char *name,
    const char *value)
{
	struct config	*cfg = p->cfg;
	const struct key *k = NULL;
	long long	 n;
	size_t		 i, len;
	int		 b;
	enum level	 lv;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			k = &keys[i];
	if (k == NULL) {
		snprintf(p->error, sizeof(p->error), "unknown key [%s] %s",
		    section, name);
		return 0;
	}
	switch (k->type) {
	case T_MIRROR:
		return set_mirror(p, name, value);
	case T_STR:
		if (strcmp(name, "datadir") == 0)
			return set_string(&cfg->datadir, value);
		if (strcmp(name, "actor") == 0)
			return set_string(&cfg->actor, value);
		if (strcmp(name, "url") == 0)
			return set_string(&cfg->url, value);
		if (strcmp(name, "crosscheck_url") == 0)
			return set_string(&cfg->crosscheck_url, value);
		if (strcmp(name, "listen") == 0)
			return set_string(&cfg->http.listen, value);
		if (strcmp(name, "tls_cert") == 0)
			return set_string(&cfg->http.tls_cert, value);
		if (strcmp(name, "tls_key") == 0)
			return set_string(&cfg->http.tls_key, value);
		if (strcmp(name, "user") == 0)
			return set_string(&cfg->serve_user, value);
		return set_string(&cfg->cafile, value);
	case T_LONG:
		if (!num_range(value, k->min, k->max, &n)) {
			snprintf(p->error, sizeof(p->error), "%s: want a "
			    "number in %lld..%lld", name, k->min, k->max);
			return 0;
		}
		return set_long(cfg, name, n);
	case T_BOOL:
		if (!parse_bool(value, &b)) {
			snprintf(p->error, sizeof(p->error),
			    "%s: want yes or no", name);
			return 0;
		}
		if (strcmp(name, "allow_insecure_http") == 0)
			cfg->fetch.allow_insecure_http = b;
		else if (strcmp(name, "access_log") == 0)
			cfg->http.access_log = b;
		else
			cfg->vet.require_pinned_digest = b;
		return 1;
	case T_LEVEL:
		if (!parse_level(value, &lv)) {
			snprintf(p->error, sizeof(p->error),
			    "%s: want warning, quarantine or error", name);
			return 0;
		}
		if (strcmp(name, "weak_key") == 0)
			cfg->vet.weak_key = lv;
		else
			cfg->vet.not_yet_valid = lv;
		return 1;
	case T_FORMAT:
		if (strcmp(value, "auto") == 0)
			cfg->format = FORMAT_AUTO;
		else if (strcmp(value, "pem") == 0)
			cfg->format = FORMAT_PEM;
		else if (strcmp(value, "certdata") == 0)
			cfg->format = FORMAT_CERTDATA;
		else {
			snprintf(p->error, sizeof(p->error), "format: want "
			    "auto, pem or certdata");
			return 0;
		}
		return 1;
	case T_EXPIRED:
		cfg->vet.drop_expired = strcmp(value, "drop") == 0;
		if (strcmp(value, "drop") == 0 || strcmp(value, "keep") == 0)
			cfg->vet.expired = LEVEL_WARNING;
		else if (!parse_level(value, &cfg->vet.expired) ||
		    cfg->vet.expired == LEVEL_WARNING) {
			snprintf(p->error, sizeof(p->error), "expired: want "
			    "drop, keep, quarantine or error");
			return 0;
		}
		return 1;
	case T_REMOVED:
		len = strlen(value);
		cfg->vet.max_removed_pct = len > 0 && value[len - 1] == '%';
		{
			char	 num[32];

			if (len == 0 || len >= sizeof(num)) {
				snprintf(p->error, sizeof(p->error),
				    "max_removed: want N or N%%");
				return 0;
			}
			snprintf(num, sizeof(num), "%.*s",
			    (int)(len - cfg->vet.max_removed_pct), value);
			if (!num_range(num, 0, cfg->vet.max_removed_pct ?
			    100 : 100000, &n)) {
				snprintf(p->error, sizeof(p->error),
				    "max_removed: want N or N%% (0..100%%)");
				return 0;
			}
		}
		cfg->vet.max_removed = (long)n;
		return 1;
	case T_DIGESTS:
		return parse_hashes(value, &cfg->vet.digests, p->error,
		    sizeof(p->error));
	case T_ANCHORS:
		if (!p->anchors_set) {
			cfg->vet.anchors.n = 0;
			memset(cfg->vet.anchors.label, 0,
			    sizeof(cfg->vet.anchors.label));
			p->anchors_set = 1;
		}
		if (strcmp(value, "none") == 0)
			return 1;
		return parse_hashes(value, &cfg->vet.anchors, p->error,
		    sizeof(p->error));
	case T_PINS:
		return add_pins(cfg, value, p->error, sizeof(p->error));
	}
	return 0;
}

static int
ini_cb(void *user, const char *section, const char *name, const char *value)
{
	struct parse	*p = user;

	if (name == NULL)	/* a section header alone */
		return 1;
	return config_set(p, section, name, value);
}

/* Built-in defaults: a working mirror of mkcert.org with safe vetting. */
void
config_defaults(struct config *cfg)
{
	size_t	 i;

	cfg->fetch.max_bytes = 4u << 20;
	cfg->fetch.connect_timeout = 15;
	cfg->fetch.timeout = 120;
	cfg->fetch.low_speed_limit = 512;
	cfg->fetch.low_speed_time = 30;
	cfg->fetch.retries = 2;
	cfg->fetch.retry_delay_ms = 5000;
	cfg->fetch.user_agent = "cabundled/1";
	cfg->fetch_interval = 86400;
	snprintf(cfg->mirror.profiles[0], sizeof(cfg->mirror.profiles[0]),
	    "mozilla");
	cfg->mirror.nprofiles = 1;
	cfg->sign_validity = 14 * 86400;
	cfg->resign_after = 7 * 86400;
	cfg->org_expiry_warning = 90 * 86400;
	cfg->http.port = 8080;
	cfg->http.connection_limit = 1024;
	cfg->http.per_ip_limit = 256;
	cfg->http.timeout = 15;
	cfg->http.latest_max_age = 60;
	cfg->http.access_log = 1;
	cfg->vet.max_removed = 10;
	cfg->vet.max_removed_pct = 1;
	cfg->vet.max_added = 0;
	cfg->vet.drop_expired = 1;
	cfg->vet.expired = LEVEL_WARNING;
	cfg->vet.not_yet_valid = LEVEL_QUARANTINE;
	cfg->vet.weak_key = LEVEL_QUARANTINE;
	cfg->vet.min_rsa_bits = 2048;
	cfg->vet.min_ec_bits = 256;
	for (i = 0; i < sizeof(default_anchors) / sizeof(default_anchors[0]);
	    i++) {
		hex_decode(default_anchors[i].sha256, 64,
		    cfg->vet.anchors.v[i], 32);
		cfg->vet.anchors.label[i] = default_anchors[i].label;
	}
	cfg->vet.anchors.n = i;
}

/*
 * The file is read whole under a cap and every line checked for length
 * before inih sees it (inih would split a long line in two).
 */
static int
load_file(struct parse *p, const char *path)
{
	struct buf	 b;
	size_t		 i, start, line = 1;
	int		 rc, ok = 0;

	buf_init(&b, CONFIG_MAX_BYTES);
	if (!buf_readfile(&b, path))
		goto out;
	for (i = start = 0; i <= b.len; i++) {
		if (i < b.len && b.data[i] == '\0') {
			warnx("%s:%zu: NUL byte", path, line);
			goto out;
		}
		if (i == b.len || b.data[i] == '\n') {
			if (i - start > CONFIG_MAX_LINE) {
				warnx("%s:%zu: line longer than %d bytes",
				    path, line, CONFIG_MAX_LINE);
				goto out;
			}
			start = i + 1;
			line++;
		}
	}
	p->file = path;
	if ((rc = ini_parse_string((char *)b.data, ini_cb, p)) != 0) {
		if (p->error[0] != '\0')
			warnx("%s:%d: %s", path, rc, p->error);
		else
			warnx("%s:%d: not an INI line", path, rc);
		goto out;
	}
	ok = 1;
 out:
	buf_free(&b);
	return ok;
}

/* -o section.key=value, after the file. */
static int
load_override(struct parse *p, const char *o)
{
	char		 sect[32], name[64];
	const char	*dot, *eq;

	dot = strchr(o, '.');
	eq = strchr(o, '=');
	if (dot == NULL || eq == NULL || dot > eq ||
	    (size_t)(dot - o) >= sizeof(sect) ||
	    (size_t)(eq - dot - 1) >= sizeof(name)) {
		warnx("-o %s: want section.key=value", o);
		return 0;
	}
	snprintf(sect, sizeof(sect), "%.*s", (int)(dot - o), o);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - dot - 1), dot + 1);
	if (!config_set(p, sect, name, eq + 1)) {
		warnx("-o %s: %s", o, p->error[0] ? p->error : "out of memory");
		return 0;
	}
	return 1;
}

/*
 * Read the configuration file (cfg->config, else the default path when
 * it exists) and the -o overrides over the defaults already in cfg.
 * Returns 1, or 0 after a message naming file and line (exit 2).
 * -d, when given, is applied by the caller afterwards.
 */
int
config_load(struct config *cfg)
{
	struct parse	 p;
	struct passwd	*pw;
	const char	*path = cfg->config;
	size_t		 i;

	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	if (path == NULL && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		path = CONFIG_DEFAULT_PATH;
	if (path != NULL && !load_file(&p, path))
		return 0;
	p.file = "-o";
	for (i = 0; i < cfg->noverrides; i++)
		if (!load_override(&p, cfg->overrides[i]))
			return 0;
	if (cfg->resign_after >= cfg->sign_validity) {
		warnx("%s: [release] resign_after (%ld s) must be less than "
		    "sign_validity (%ld s), or clients see expired "
		    "signatures", path != NULL ? path : "-o",
		    cfg->resign_after, cfg->sign_validity);
		return 0;
	}
	if (cfg->mirror.url != NULL && cfg->mirror.url[0] == '\0') {
		free(cfg->mirror.url);
		cfg->mirror.url = NULL;
	}
	if (cfg->mirror.spelled == 3) {
		warnx("%s: [mirror] profile and profiles are both set: "
		    "profile is the old spelling of profiles (one name); keep "
		    "profiles = NAME... (or *) alone",
		    path != NULL ? path : "-o");
		return 0;
	}
	if (cfg->mirror.url != NULL && cfg->mirror.nkeys == 0) {
		warnx("%s: [mirror] url needs the upstream mirror's public "
		    "key: add [mirror] key", path != NULL ? path : "-o");
		return 0;
	}
	if ((cfg->http.tls_cert == NULL) != (cfg->http.tls_key == NULL)) {
		warnx("%s: [http] tls_cert and tls_key go together: set both "
		    "for https, or neither", path != NULL ? path : "-o");
		return 0;
	}
	if (cfg->datadir == NULL && (cfg->datadir =
	    strdup("/var/lib/cabundle")) == NULL)
		return 0;
	if (cfg->http.listen == NULL && (cfg->http.listen =
	    strdup("127.0.0.1")) == NULL)
		return 0;
	if (cfg->serve_user == NULL && (cfg->serve_user =
	    strdup(SERVE_USER)) == NULL)
		return 0;
	if (cfg->url == NULL && (cfg->url =
	    strdup("https://mkcert.org/generate/")) == NULL)
		return 0;
	if ((cfg->url_shown = shown_dup(cfg->url)) == NULL ||
	    (cfg->mirror.url != NULL && (cfg->mirror.url_shown =
	    shown_dup(cfg->mirror.url)) == NULL))
		return 0;
	if (cfg->actor == NULL) {
		if ((pw = getpwuid(getuid())) != NULL)
			cfg->actor = strdup(pw->pw_name);
		else
			cfg->actor = strdup("unknown");
		if (cfg->actor == NULL)
			return 0;
	}
	cfg->fetch.cafile = cfg->cafile;
	cfg->fetch.pinned_pubkey = cfg->pinned_pubkey;
	return 1;
}

/* A file inside the data directory; the caller frees it. */
char *
config_path(const struct config *cfg, const char *name)
{
	struct buf	 b;

	buf_init(&b, 4096);
	if (!buf_printf(&b, "%s/%s", cfg->datadir, name)) {
		buf_free(&b);
		warnx("%s/%s: path too long", cfg->datadir, name);
		return NULL;
	}
	return (char *)b.data;
}

/*
 * Whether this mirror takes profile name from its upstream mirror
 * instead of composing it: [mirror] url is set and profiles names it,
 * or profiles is "*" and it is one of the built-in profiles every
 * mirror has.  (A profile only an upstream has is recognised by its
 * relayed releases, release.c.)
 */
int
config_relays(const struct config *cfg, const char *name)
{
	size_t	 i;

	if (cfg->mirror.url == NULL)
		return 0;
	if (cfg->mirror.all)
		return strcmp(name, "mozilla") == 0 ||
		    strcmp(name, "org") == 0 || strcmp(name, "org-only") == 0;
	for (i = 0; i < cfg->mirror.nprofiles; i++)
		if (strcmp(cfg->mirror.profiles[i], name) == 0)
			return 1;
	return 0;
}

/* Free what config_load allocated. */
void
config_free(struct config *cfg)
{
	free(cfg->datadir);
	free(cfg->actor);
	free(cfg->url);
	free(cfg->crosscheck_url);
	free(cfg->cafile);
	free(cfg->pinned_pubkey);
	free(cfg->http.listen);
	free(cfg->http.tls_cert);
	free(cfg->http.tls_key);
	free(cfg->serve_user);
	free(cfg->mirror.url);
	free(cfg->url_shown);
	free(cfg->mirror.url_shown);
}
