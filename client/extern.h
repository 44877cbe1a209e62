/*
 * extern.h - what the client's files share.
 */
#ifndef CABUNDLE_EXTERN_H
#define CABUNDLE_EXTERN_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"

#include "meta.h"
#include "sig.h"
#include "verify.h"

#define BODY_MAX		(4u << 20)	/* SPEC 8: hard limit */
#define MAX_KEYS		8

/* How downloads behave (get.c). */
struct getopts {
	long		 timeout;	/* seconds for one transfer */
	long		 low_speed_time; /* abort below 256 B/s this long */
	const char	*cafile;	/* TLS trust for https mirrors */
	void		*easy;		/* kept between fetches: one connection */
	int		 absent;	/* set by get_url: 404, 410, no file */
	int		 tls;		/* set by get_url: certificate refused */
};

int	get_url(struct getopts *, const char *, struct buf *, size_t,
	    char *, size_t);
void	get_close(struct getopts *);

/* What a backup was when we made it: restore puts back only that. */
struct fileid {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	char		 sha256[65];
};

#define TARGET_OLD_MAX	(8u << 20)	/* a file we replace and may restore */

/* One place a bundle goes. */
struct target {
	const char	*kind;		/* certifi, pip, file, capath, nssdb, java,
					   system */
	char		*path;
	char		*python;	/* certifi, pip: the interpreter */
	/* During an install: */
	int		 exists;
	struct stat	 st;
	struct buf	 old;		/* the bytes it held */
	char		*backup;	/* the original's copy, if any */
	int		 backup_made;	/* by this run */
	struct fileid	 bid;		/* what it was when made */
	int		 replaced;	/* 1 by this run, -1 held it */
	/* capath, nssdb: */
	char		*tree;		/* the tree this run built */
	char		*oldlink;	/* where DIR pointed before */
	int		 wasdir;	/* DIR was a directory, now -backup */
	/* certifi, pip: found in the state, the interpreter not asked */
	int		 cached;
	struct javastore *java;		/* java: the store (java.c) */
	/* system: */
	struct system	*sys;		/* what a rollback needs (system.c) */
};

/* First lines of every program we give an interpreter (python.c). */
#define PY_NOCWD	"import sys\nif sys.path[:1] == ['']: del sys.path[0]\n"

int	python_run(const char *, const char *, const char *, struct buf *,
	    char *, size_t);

int	child_run(const char *, char *const [], char *const [], const void *,
	    size_t, struct buf *, char *, size_t);

int	target_certifi(const char *, int, int, struct target *);
int	target_certifi_cached(const json_t *, const char *, int,
	    struct target *);
int	target_python_stat(const char *, struct stat *);
json_t	*target_stat_json(const struct stat *);
int	target_file(const char *, struct target *);
int	target_capath(const char *, struct target *);
int	target_tree(const char *, const char *, struct target *);
int	target_place_ok(const char *, const char *);
void	target_free(struct target *);
int	target_holds(const json_t *, const char *, char *, size_t);

/*
 * What a tree beside DIR holds besides cacert.pem (capath.c): fill
 * makes it in the new tree (descriptor, path) from the verified body;
 * holds checks a tree (path) against the body its cacert.pem holds.
 * Both return 1, or 0 (fill after a warning).
 */
struct treekind {
	int	(*fill)(int, const char *, const unsigned char *, size_t);
	int	(*holds)(const char *, const unsigned char *, size_t);
};

int	tree_replace(struct target *, const unsigned char *, size_t, int,
	    const struct treekind *);
int	tree_holds(const char *, const char *, const struct treekind *);
int	capath_check(struct target *);
int	capath_holds(const char *, const char *);
int	capath_replace(struct target *, const unsigned char *, size_t, int);
void	capath_rollback(struct target *);
void	capath_commit(struct target *);
int	pem_put(struct buf *, const unsigned char *, size_t);
int	tree_put(int, const char *, const char *, const void *, size_t);
void	tree_rmdir(int, const char *, const char *);
int	capath_restore(const char *, const char *, const json_t *);

/* The SHA-256s of a truststore's trusted certificates (p12.c). */
struct p12set {
	unsigned char	(*sha)[32];
	size_t		 n;
	size_t		 foreign;	/* bags Java does not trust */
};

int	p12_build(const unsigned char *, size_t, const char *, struct buf *,
	    struct p12set *);
int	p12_read(const char *, const unsigned char *, size_t, const char *,
	    struct p12set *);
int	p12set_add(struct p12set *, const unsigned char *);
void	p12set_sort(struct p12set *);
int	p12set_same(const struct p12set *, const struct p12set *, size_t *,
	    size_t *);
void	p12set_free(struct p12set *);

#define JAVA_PASSWORD	"changeit"	/* Java's own default */

int	target_java(const char *, const char *, struct target *);
int	java_password_ok(const char *);
int	java_check(struct target *);
int	java_build(struct target *, const unsigned char *, size_t,
	    const void **, size_t *);
int	java_record(const struct target *, json_t *);
int	java_holds(const char *, const json_t *, const char *, char *,
	    size_t);
void	java_free(struct javastore *);
struct system;
int	target_system(struct target *);
int	system_check(struct target *, const char *, int *);
int	system_replace(struct target *, const unsigned char *, size_t, int);
void	system_rollback(struct target *);
void	system_commit(struct target *);
int	system_record(const struct target *, json_t *, const json_t *);
int	system_holds(const char *);
int	system_restore(const json_t *);
void	system_free(struct system *);
int	nssdb_holds(const char *, const char *);
int	nssdb_replace(struct target *, const unsigned char *, size_t, int);

int	file_replace(const char *, const void *, size_t, mode_t,
	    const struct stat *);
int	file_backup(const char *, const char *, const void *, size_t,
	    const struct stat *, struct fileid *);
int	file_read(const char *, size_t, struct buf *, struct stat *);
int	file_lstat(const char *, struct stat *);
int	file_unlink(const char *);
int	file_mkparent(const char *);
int	file_syncdir(const char *);
void	file_sha256(const void *, size_t, char *);
json_t	*fileid_json(const struct fileid *);
int	 fileid_match(const json_t *, const struct stat *, const char *);

#define SP_MKDIR	0x1	/* safepath_open_parent: make directories */

int	safepath_open_parent(const char *, int, char *, size_t);
int	safepath_rule(const struct stat *, const char *);
int	safepath_rule_for(const struct stat *, const char *, const char *);
int	safepath_readat(int, const char *, const char *, struct buf *,
	    struct stat *);
int	safepath_trusted(const char *, const char *);
void	safepath_warnx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	safepath_warn(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	safepath_quiet(int);
const char *safepath_why(void);

int	 state_lock(const char *);
json_t	*state_load(const char *);
int	 state_save(const json_t *, const char *);
int	 state_floor(const json_t *, const char *, const struct pubkey *,
	    size_t, uint64_t *, char *);
int	 state_set_floor(json_t *, const char *, const char *, uint64_t,
	    const char *);
int	 state_keylist(const json_t *, const char *, uint64_t *, char *,
	    int64_t *);
int	 state_set_keylist(json_t *, const char *, uint64_t, const char *,
	    int64_t);
json_t	*state_target(const json_t *, const char *);
int	 state_put_target(json_t *, json_t *);
int	 state_drop_target(json_t *, const char *);
json_t	*state_constraints(const json_t *, const char *);
int	 state_set_constraints(json_t *, const char *, uint64_t,
	    const char *, json_t *);
int	 state_last_success(const json_t *, const char *, int64_t *);
int	 state_set_last_success(json_t *, const char *, int64_t);

/* SPEC 12's distrust-after dates beside a release (constraints.c). */
enum cstatus {
	CONSTRAINTS_NONE = 0,	/* the mirror has none for the release */
	CONSTRAINTS_OK,
	CONSTRAINTS_BAD,	/* unreachable or refused: ignored */
	CONSTRAINTS__MAX
};

enum cstatus constraints_fetch(struct getopts *, const char *,
	    const struct policy *, const struct release *, json_t **,
	    char *, size_t);
int	constraints_root_ok(const json_t *);
json_t	*constraints_root_show(const json_t *);

/* What --then commands are told (hook.c). */
struct hookrun {
	char *const	*cmds;
	size_t		 ncmds;
	long		 timeout;	/* seconds, then the group is killed */
	const char	*profile;
	uint64_t	 version;
	const char	*sha256;
	const char	**targets;	/* replaced by this run */
	size_t		 ntargets;
	int		 quiet;
};

int	hooks_check(char *const *, size_t);
int	hooks_run(const struct hookrun *, json_t *);

int	metrics_write(const char *, const char *, const json_t *, int,
	    const char *);

struct keylist;
int	keywalk(struct getopts *, const char *, const char *,
	    const struct pubkey *, size_t, json_t *, int64_t,
	    struct keylist *, int *, char *, size_t);

/* What a message tells a person to do next (advice.c). */
struct copts;
int	advice_reinstall(struct buf *, const json_t *, const struct copts *,
	    const char *, const char *);
int	advice_profiles(struct getopts *, const char *, const char *,
	    char *, size_t);

int	cmd_verify(int, char *[]);
int	cmd_install(int, char *[]);
int	cmd_status(int, char *[]);
int	cmd_restore(int, char *[]);
int	cmd_doctor(int, char *[]);

#endif
