/*
 * opts.c - the settings install, status and restore share: from the
 * command line, over /etc/cabundle.conf (or --config), so that a
 * provisioning step is one short line.
 *
 *	; /etc/cabundle.conf
 *	from = https://cabundle.example.org
 *	key = RWQ...			(repeatable: rotation)
 *	root = RWQ...			(instead of key: the key list's
 *					 root keys, repeatable)
 *	profile = org
 *	python = /usr/bin/python3	(repeatable)
 *	pip = no
 *	output = /etc/pki/org.pem	(repeatable)
 *	nssdb = /etc/pki/nssdb		(repeatable)
 *	java = /etc/pki/org.p12		(repeatable)
 *	java-password = changeit
 *	system = no			(yes: the Debian store, system.c)
 *	state = /var/lib/cabundle-client/state.json
 *	cacert = /etc/cabundle/mirror-ca.pem
 *	timeout = 60
 *	then = /usr/sbin/service nginx reload	(repeatable)
 *	then-timeout = 60
 *	metrics = /var/lib/prometheus/node-exporter/cabundle.prom
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "exitcode.h"
#include "extern.h"
#include "num.h"
#include "opts.h"

static int
opt_add(char **list, size_t *n, size_t max, const char *what,
    const char *v)
{
	if (*n == max) {
		warnx("more than %zu %s", max, what);
		return 0;
	}
	if ((list[*n] = strdup(v)) == NULL)
		return 0;
	(*n)++;
	return 1;
}

static int
opt_set(char **dst, const char *v)
{
	free(*dst);
	return (*dst = strdup(v)) != NULL;
}

/* Apply one setting by name; 0 with *why set when it is refused. */
static int
opt_apply(struct copts *o, const char *name, const char *v,
    const char **why)
{
	long long	 n;

	*why = NULL;
	if (strcmp(name, "from") == 0)
		return opt_set(&o->from, v);
	if (strcmp(name, "key") == 0)
		return opt_add(o->keys, &o->nkeys, MAX_KEYS, "keys", v);
	if (strcmp(name, "root") == 0)
		return opt_add(o->roots, &o->nroots, MAX_KEYS, "root keys", v);
	if (strcmp(name, "profile") == 0)
		return opt_set(&o->profile, v);
	if (strcmp(name, "python") == 0)
		return opt_add(o->pythons, &o->npy, MAX_TARGETS,
		    "interpreters", v);
	if (strcmp(name, "output") == 0)
		return opt_add(o->outputs, &o->nout, MAX_TARGETS, "outputs",
		    v);
	if (strcmp(name, "capath") == 0)
		return opt_add(o->capaths, &o->ncap, MAX_TARGETS,
		    "hashed directories", v);
	if (strcmp(name, "then") == 0)
		return opt_add(o->thens, &o->nthen, MAX_TARGETS,
		    "--then commands", v);
	if (strcmp(name, "metrics") == 0)
		return opt_set(&o->metrics, v);
	if (strcmp(name, "then-timeout") == 0) {
		if (!num_range(v, 1, 3600, &n)) {
			*why = "want seconds, 1..3600";
			return 0;
		}
		o->then_timeout = (long)n;
		return 1;
	}
	if (strcmp(name, "java") == 0)
		return opt_add(o->javas, &o->njava, MAX_TARGETS,
		    "Java truststores", v);
	if (strcmp(name, "java-password") == 0)
		return opt_set(&o->java_password, v);
	if (strcmp(name, "nssdb") == 0)
		return opt_add(o->nssdbs, &o->nnss, MAX_TARGETS,
		    "NSS databases", v);
	if (strcmp(name, "state") == 0)
		return opt_set(&o->state, v);
	if (strcmp(name, "cacert") == 0)
		return opt_set(&o->cafile, v);
	if (strcmp(name, "pip") == 0) {
		if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0) {
			o->pip = strcmp(v, "yes") == 0;
			return 1;
		}
		*why = "want yes or no";
		return 0;
	}
	if (strcmp(name, "system") == 0) {
		if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0) {
			o->system = strcmp(v, "yes") == 0;
			return 1;
		}
		*why = "want yes or no";
		return 0;
	}
	if (strcmp(name, "timeout") == 0) {
		if (!num_range(v, 1, 3600, &n)) {
			*why = "want seconds, 1..3600";
			return 0;
		}
		o->get.timeout = (long)n;
		return 1;
	}
	*why = "unknown setting";
	return 0;
}

#define CONF_MAX	65536
#define CONF_LINE_MAX	198	/* inih splits longer lines */

struct inictx {
	struct copts	*o;
	char		 error[256];
};

static int
opts_ini(void *user, const char *section, const char *name,
    const char *value)
{
	struct inictx	*c = user;
	const char	*why;

	if (*section != '\0') {
		snprintf(c->error, sizeof(c->error), "[%s]: no sections in "
		    "this file", section);
		return 0;
	}
	if (!opt_apply(c->o, name, value, &why)) {
		snprintf(c->error, sizeof(c->error), "%s: %s", name,
		    why != NULL ? why : "out of memory");
		return 0;
	}
	return 1;
}

/*
 * Apply the settings of a configuration file's text in b (name for
 * messages) to o: the parser the fuzzer drives.  Returns 1, or 0 after
 * a warning naming the file and line: a NUL, a line over 198 bytes,
 * not an INI line, an unknown setting or a bad value.
 */
int
opts_parse(struct copts *o, const char *name, const struct buf *b)
{
	struct inictx	 c;
	size_t		 i, start, line = 1;
	int		 r;

	for (i = start = 0; i <= b->len; i++) {
		if (i < b->len && b->data[i] == '\0') {
			warnx("%s:%zu: NUL byte", name, line);
			return 0;
		}
		if (i == b->len || b->data[i] == '\n') {
			if (i - start > CONF_LINE_MAX) {
				warnx("%s:%zu: line longer than %d bytes",
				    name, line, CONF_LINE_MAX);
				return 0;
			}
			start = i + 1;
			line++;
		}
	}
	memset(&c, 0, sizeof(c));
	c.o = o;
	if ((r = ini_parse_string(b->len > 0 ? (const char *)b->data : "",
	    opts_ini, &c)) != 0) {
		warnx("%s:%d: %s", name, r, c.error[0] != '\0' ? c.error :
		    "not an INI line");
		return 0;
	}
	return 1;
}

/* The settings before any configuration file. */
void
opts_defaults(struct copts *o)
{
	o->get.timeout = 60;
	o->get.low_speed_time = 10;
	o->then_timeout = 60;
}

/*
 * Defaults, then the configuration file (--config, or
 * /etc/cabundle.conf when it exists).  The file is believed only as
 * ssh believes authorized_keys: a regular file of root (or ours),
 * writable by nobody else, in directories that pass the ownership rule
 * (safepath.c).  Returns 1, or 0 after a warning naming the file (and
 * line): missing, another user's or writable by others, unreadable,
 * over 64 KiB, or refused by opts_parse().
 */
int
opts_load(struct copts *o, const char *config)
{
	struct buf	 b;
	int		 ok = 0;

	opts_defaults(o);
	if (config == NULL && access(CLIENT_CONFIG, F_OK) == 0)
		config = CLIENT_CONFIG;
	if (config == NULL)
		return 1;
	buf_init(&b, CONF_MAX);
	if (!safepath_trusted(config, geteuid() == 0 ? "believe it as root" :
	    "believe it")) {
		if (errno == ENOENT)
			warn("%s", config);
		goto out;
	}
	if (!buf_readfile(&b, config))
		goto out;
	ok = opts_parse(o, config, &b);
 out:
	buf_free(&b);
	return ok;
}

/*
 * The configuration file a command line names with the option whose
 * getopt_long(3) value is ch in lopts, read as getopt_long reads it:
 * "--config FILE", "--config=FILE" and an unambiguous abbreviation
 * all count, a "--config" that is another option's value or comes
 * after "--" does not, and the last one given wins.  Returns it
 * (borrowed from argv), or NULL when none is given.  Prints nothing:
 * the caller's own pass over the options reports usage errors.
 */
const char *
opts_config(int argc, char *argv[], const struct option *lopts, int ch)
{
	const char	*config = NULL;
	int		 c, saved = opterr;

	opterr = 0;
	optind = 0;	/* glibc: full reset */
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1)
		if (c == ch)
			config = optarg;
	opterr = saved;
	optind = 0;
	return config;
}

/*
 * A setting from the command line: replaces what the file said, except
 * that the first --key, --python, --output, --capath, --nssdb, --java or
 * --then given replaces the file's whole list and later ones add to
 * it.  Returns 1, or 0 after a warning.
 */
int
opts_cli(struct copts *o, const char *name, const char *v)
{
	const char	*why;
	size_t		 i;

	/* --key and --root replace the file's trust, both kinds. */
	if ((strcmp(name, "key") == 0 || strcmp(name, "root") == 0) &&
	    !o->cli_keys) {
		for (i = 0; i < o->nkeys; i++)
			free(o->keys[i]);
		o->nkeys = 0;
		for (i = 0; i < o->nroots; i++)
			free(o->roots[i]);
		o->nroots = 0;
		o->cli_keys = 1;
	}
	if (strcmp(name, "python") == 0 && !o->cli_py) {
		for (i = 0; i < o->npy; i++)
			free(o->pythons[i]);
		o->npy = 0;
		o->cli_py = 1;
	}
	if (strcmp(name, "output") == 0 && !o->cli_out) {
		for (i = 0; i < o->nout; i++)
			free(o->outputs[i]);
		o->nout = 0;
		o->cli_out = 1;
	}
	if (strcmp(name, "capath") == 0 && !o->cli_cap) {
		for (i = 0; i < o->ncap; i++)
			free(o->capaths[i]);
		o->ncap = 0;
		o->cli_cap = 1;
	}
	if (strcmp(name, "then") == 0 && !o->cli_then) {
		for (i = 0; i < o->nthen; i++)
			free(o->thens[i]);
		o->nthen = 0;
		o->cli_then = 1;
	}
	if (strcmp(name, "java") == 0 && !o->cli_java) {
		for (i = 0; i < o->njava; i++)
			free(o->javas[i]);
		o->njava = 0;
		o->cli_java = 1;
	}
	if (strcmp(name, "nssdb") == 0 && !o->cli_nss) {
		for (i = 0; i < o->nnss; i++)
			free(o->nssdbs[i]);
		o->nnss = 0;
		o->cli_nss = 1;
	}
	if (!opt_apply(o, name, v, &why)) {
		warnx("--%s %s: %s", name, v, why != NULL ? why :
		    "out of memory");
		return 0;
	}
	return 1;
}

/*
 * The state file: --state or the file's state, else
 * /var/lib/cabundle-client/state.json for root and
 * $XDG_STATE_HOME/cabundle/state.json (~/.local/state/...) for
 * others.  Returns 1, or 0 when there is no home to put it in.
 */
int
opts_state(struct copts *o)
{
	const char	*xdg = getenv("XDG_STATE_HOME"), *home;
	struct passwd	*pw;
	char		 path[4096];

	if (o->state != NULL)
		return 1;
	if (geteuid() == 0)
		return opt_set(&o->state,
		    "/var/lib/cabundle-client/state.json");
	if (xdg != NULL && *xdg == '/')
		snprintf(path, sizeof(path), "%s/cabundle/state.json", xdg);
	else {
		if ((home = getenv("HOME")) == NULL || *home != '/') {
			if ((pw = getpwuid(geteuid())) == NULL) {
				warnx("no home directory for the state file; "
				    "give --state FILE");
				return 0;
			}
			home = pw->pw_dir;
		}
		snprintf(path, sizeof(path),
		    "%s/.local/state/cabundle/state.json", home);
	}
	return opt_set(&o->state, path);
}

/* Free what the settings hold. */
void
opts_free(struct copts *o)
{
	size_t	 i;

	for (i = 0; i < o->nkeys; i++)
		free(o->keys[i]);
	for (i = 0; i < o->nroots; i++)
		free(o->roots[i]);
	for (i = 0; i < o->npy; i++)
		free(o->pythons[i]);
	for (i = 0; i < o->nout; i++)
		free(o->outputs[i]);
	for (i = 0; i < o->ncap; i++)
		free(o->capaths[i]);
	for (i = 0; i < o->nthen; i++)
		free(o->thens[i]);
	free(o->metrics);
	for (i = 0; i < o->njava; i++)
		free(o->javas[i]);
	if (o->java_password != NULL)
		OPENSSL_cleanse(o->java_password, strlen(o->java_password));
	free(o->java_password);
	for (i = 0; i < o->nnss; i++)
		free(o->nssdbs[i]);
	free(o->from);
	free(o->profile);
	free(o->state);
	free(o->cafile);
	get_close(&o->get);
	memset(o, 0, sizeof(*o));
}
