/*
 * opts.h - the client's settings (opts.c).
 */
#ifndef CABUNDLE_OPTS_H
#define CABUNDLE_OPTS_H

#define CLIENT_CONFIG	"/etc/cabundle.conf"
#define MAX_TARGETS	16

struct copts {
	char		*from;
	char		*profile;
	char		*state;
	char		*cafile;
	char		*keys[MAX_KEYS];
	size_t		 nkeys;
	char		*roots[MAX_KEYS];	/* --root: follow the key list */
	size_t		 nroots;
	char		*pythons[MAX_TARGETS];
	size_t		 npy;
	char		*outputs[MAX_TARGETS];
	size_t		 nout;
	char		*capaths[MAX_TARGETS];
	size_t		 ncap;
	char		*thens[MAX_TARGETS];	/* --then: after a change */
	size_t		 nthen;
	long		 then_timeout;
	char		*metrics;	/* --metrics: Prometheus textfile */
	char		*javas[MAX_TARGETS];	/* --java */
	size_t		 njava;
	char		*java_password;
	char		*nssdbs[MAX_TARGETS];	/* --nssdb: NSS databases */
	size_t		 nnss;
	int		 pip, force, json, quiet;
	int		 system;	/* --system: the Debian store */
	int		 cli_keys, cli_py, cli_out, cli_cap, cli_then, cli_java;
	int		 cli_nss;
	struct getopts	 get;
};

struct option;

struct buf;

void	opts_defaults(struct copts *);
int	opts_parse(struct copts *, const char *, const struct buf *);
int	opts_load(struct copts *, const char *);
const char *opts_config(int, char *[], const struct option *, int);
int	opts_cli(struct copts *, const char *, const char *);
int	opts_state(struct copts *);
void	opts_free(struct copts *);

#endif
