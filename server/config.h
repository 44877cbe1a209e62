/*
 * config.h - cabundled's settings: built-in defaults, then the INI file
 * (-c, else /etc/cabundle/cabundled.conf when it exists), then -d and
 * -o section.key=value from the command line.  Every key is described
 * in cabundled.conf.example and README.md.
 */
#ifndef CABUNDLED_CONFIG_H
#define CABUNDLED_CONFIG_H

#include <stddef.h>
#include <time.h>

#include "fetch.h"
#include "meta.h"
#include "sig.h"

#define CONFIG_DEFAULT_PATH	"/etc/cabundle/cabundled.conf"
#define CONFIG_MAX_BYTES	(256u << 10)
#define CONFIG_MAX_LINE		198	/* inih reads 200-byte lines */
#define CONFIG_MAX_PINS		64	/* per list: digests, anchors */
#define CONFIG_MAX_OVERRIDES	32
#define CONFIG_MAX_MIRROR_KEYS	8
#define CONFIG_MAX_RELAYED	32	/* [mirror] profiles named */

/* How bad a finding is; the worst one decides the verdict. */
enum level {
	LEVEL_INFO = 0,
	LEVEL_WARNING,
	LEVEL_QUARANTINE,
	LEVEL_ERROR
};

/* A list of SHA-256 values (bundle digests or root fingerprints). */
struct hashlist {
	unsigned char	 v[CONFIG_MAX_PINS][32];
	const char	*label[CONFIG_MAX_PINS];	/* built-in ones only */
	size_t		 n;
};

/* What vetting enforces (README "Vetting"). */
struct vet_policy {
	int		 require_pinned_digest;
	struct hashlist	 digests;	/* known-good bundle bodies */
	struct hashlist	 anchors;	/* roots that must be present */
	long		 max_removed;	/* roots, or percent if ..._pct */
	int		 max_removed_pct;
	long		 max_added;
	int		 drop_expired;	/* expired = drop */
	enum level	 expired;
	enum level	 not_yet_valid;
	enum level	 weak_key;
	int		 min_rsa_bits;
	int		 min_ec_bits;
	int		 composition;	/* not set by config: a relayed
					   profile's body (vet.c) */
};

/* The HTTP server ([http]). */
struct http_opts {
	char		*listen;	/* IPv4 or IPv6 address */
	int		 port;
	int		 threads;	/* 0: one per core */
	int		 connection_limit;
	int		 per_ip_limit;	/* 0: none */
	int		 timeout;	/* seconds a connection may idle */
	long		 latest_max_age; /* Cache-Control of latest paths */
	int		 access_log;
	char		*tls_cert;	/* PEM chain; with tls_key: https */
	char		*tls_key;
};

/*
 * An upstream cabundle mirror ([mirror]): when url is set, fetch takes
 * that mirror's signed releases of profiles (all its profiles with
 * all) instead of [upstream] url, served verbatim or countersigned.
 */
struct mirror_opts {
	char		*url;		/* https, http, file:// or /path */
	char		*url_shown;	/* url without its password */
	char		 profiles[CONFIG_MAX_RELAYED][META_PROFILE_MAX + 1];
	size_t		 nprofiles;
	int		 all;		/* profiles = *: every one upstream */
	int		 countersign;	/* mode = countersign */
	int		 spelled;	/* 1 profile =, 2 profiles =, 3 both */
	struct pubkey	 keys[CONFIG_MAX_MIRROR_KEYS];
	size_t		 nkeys;
};

/* What an upstream body is ([upstream] format): auto sniffs it. */
enum upstream_format {
	FORMAT_AUTO = 0,
	FORMAT_PEM,		/* a PEM bundle (mkcert.org) */
	FORMAT_CERTDATA		/* Mozilla's certdata.txt */
};

/* Who serve's HTTP process and signer run as when started as root. */
#define SERVE_USER	"_cabundled"

struct config {
	const char	*config;	/* -c, or the default if it exists */
	const char	*overrides[CONFIG_MAX_OVERRIDES];	/* -o */
	size_t		 noverrides;
	int		 verbose;	/* -v: say also what was not done */

	char		*datadir;	/* [server] datadir, -d */
	char		*actor;		/* [server] actor: audit log name */
	char		*serve_user;	/* [serve] user: serve's HTTP process
					   and signer, when started as root */
	char		*url;		/* [upstream] url */
	char		*url_shown;	/* url without its password: logs,
					   messages, the database */
	char		*crosscheck_url; /* [upstream] crosscheck_url */
	enum upstream_format format;	/* [upstream] format */
	char		*cafile;	/* [upstream] ca_file */
	char		*pinned_pubkey;	/* [upstream] pinned_pubkey, joined */
	long		 fetch_interval; /* [upstream] seconds, 0: never */
	long		 sign_validity;	/* [release] seconds a signature holds */
	long		 resign_after;	/* [release] renew when this old */
	long		 org_expiry_warning; /* [release] org add warns */
	struct fetch_opts fetch;	/* points into the strings above */
	struct vet_policy vet;		/* [vet] */
	struct http_opts http;		/* [http] */
	struct mirror_opts mirror;	/* [mirror] */
};

void	config_defaults(struct config *);
int	config_load(struct config *);
void	config_free(struct config *);
char	*config_path(const struct config *, const char *);
int	config_relays(const struct config *, const char *);

#endif
