/*
 * cmd_root.c - "cabundled root init|sign": the offline root keys
 * (doc/SPEC.md section 11).  Both run on a machine that is not the
 * mirror, with no data directory and no configuration: the root
 * secret keys stay in files there, never in a database, and the
 * mirror receives only the signed list (cabundled key import-list).
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "atomic.h"
#include "buf.h"
#include "exitcode.h"
#include "extern.h"
#include "keylist.h"
#include "num.h"
#include "sign.h"
#include "usage.h"

#define ROOT_SECRETS_MAX	KEYLIST_ROOTS_MAX
#define KEYS_JSON_MAX		(1u << 20)

/* root init DIR: a new root key pair, DIR/root-KEYID.{key,pub}. */
static int
root_init(const char *dir)
{
	struct seckey	*sk = NULL;
	struct buf	 pub;
	char		 id[17], path[PATH_MAX], s[PUBKEY_STR_LEN + 1];
	int		 dfd = -1, rc = EXIT_LOCAL;

	buf_init(&pub, PUBKEY_FILE_MAX);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		warn("%s", dir);
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) == -1) {
		warn("%s", dir);
		goto out;
	}
	if ((sk = seckey_new()) == NULL)
		goto out;
	keyid_format(sk->pub.keyid, id);
	snprintf(path, sizeof(path), "%s/root-%s.key", dir, id);
	if (!seckey_write_at(sk, dfd, path + strlen(dir) + 1, path))
		goto out;
	snprintf(path, sizeof(path), "%s/root-%s.pub", dir, id);
	if (!pubkey_write(&sk->pub, &pub) ||
	    !atomic_write_at(dfd, path + strlen(dir) + 1, path, pub.data,
	    pub.len, 0644))
		goto out;
	pubkey_string(&sk->pub, s);
	printf("root key %s: %s\nsecret key file: %s/root-%s.key (keep it "
	    "offline)\npublic key file: %s\n", id, s, dir, id, path);
	rc = EXIT_DONE;
 out:
	if (dfd != -1)
		close(dfd);
	seckey_free(sk);
	buf_free(&pub);
	return rc;
}

/* The keys of "cabundled key show --json" as list entries. */
static int
keys_from_json(const char *file, struct keylist *kl, uint64_t nb,
    uint64_t na)
{
	struct buf	 b;
	json_t		*a = NULL, *o;
	json_error_t	 je;
	const char	*role, *s;
	size_t		 i;
	int		 ok = 0;

	buf_init(&b, KEYS_JSON_MAX);
	if (!buf_readfile(&b, file))
		goto out;
	if ((a = json_loadb((const char *)b.data, b.len,
	    JSON_REJECT_DUPLICATES, &je)) == NULL || !json_is_array(a)) {
		warnx("%s: not the output of cabundled key show --json", file);
		goto out;
	}
	json_array_foreach(a, i, o) {
		role = json_string_value(json_object_get(o, "role"));
		s = json_string_value(json_object_get(o, "public_key"));
		if (role == NULL || s == NULL) {
			warnx("%s: entry %zu: no role or public_key", file, i);
			goto out;
		}
		if (strcmp(role, "retired") == 0)
			continue;	/* not listed: revoked */
		if (kl->nkeys == KEYLIST_KEYS_MAX ||
		    !keyrole_parse(role, &kl->keys[kl->nkeys].role) ||
		    !pubkey_from_string(s, strlen(s),
		    &kl->keys[kl->nkeys].pub)) {
			warnx("%s: entry %zu: not a key to list", file, i);
			goto out;
		}
		kl->keys[kl->nkeys].not_before = nb;
		kl->keys[kl->nkeys].not_after = na;
		kl->nkeys++;
	}
	ok = 1;
 out:
	json_decref(a);
	buf_free(&b);
	return ok;
}

static int
add_key(struct keylist *kl, const char *arg, enum keyrole role,
    uint64_t nb, uint64_t na)
{
	if (kl->nkeys == KEYLIST_KEYS_MAX) {
		warnx("more than %d keys", KEYLIST_KEYS_MAX);
		return 0;
	}
	if (!pubkey_load(arg, &kl->keys[kl->nkeys].pub))
		return 0;
	kl->keys[kl->nkeys].role = role;
	kl->keys[kl->nkeys].not_before = nb;
	kl->keys[kl->nkeys].not_after = na;
	kl->nkeys++;
	return 1;
}

/* path, atomically, from its directory (atomic.c syncs that). */
static int
write_file(const char *path, const void *data, size_t len)
{
	char		 dir[PATH_MAX];
	const char	*slash = strrchr(path, '/');
	int		 dfd, ok;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
		    (int)(slash - path), path);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1) {
		warn("%s", dir);
		return 0;
	}
	ok = atomic_write_at(dfd, slash != NULL ? slash + 1 : path, path, data,
	    len, 0644);
	close(dfd);
	return ok;
}

/* Write path unless it holds these very bytes already. */
static int
write_new(const char *path, const void *data, size_t len, int force)
{
	struct buf	 old;
	int		 same;

	buf_init(&old, KEYLIST_MAX + SIG_FILE_MAX);
	same = access(path, F_OK) == 0 && buf_readfile(&old, path) &&
	    old.len == len && memcmp(old.data, data, len) == 0;
	if (!same && !force && access(path, F_OK) == 0) {
		warnx("%s: exists and differs; not overwritten", path);
		buf_free(&old);
		return 0;
	}
	buf_free(&old);
	return same || write_file(path, data, len);
}

struct signargs {
	const char	*secrets[ROOT_SECRETS_MAX];
	size_t		 nsecrets;
	const char	*list;		/* --list: cosign this */
	const char	*out;
};

/*
 * root sign: make the list (or read --list) and sign it with every
 * --secret key: OUT, OUT.KEYID.minisig per key, and OUT.minisig (the
 * first signature) so that "minisign -Vm OUT -p root.pub" works.
 */
static int
root_sign(struct signargs *a, struct keylist *kl, int have_roots,
    int have_version)
{
	struct seckey	*sk[ROOT_SECRETS_MAX] = { NULL };
	struct buf	 text, sig;
	struct keylist	 parsed;
	char		 id[17], path[PATH_MAX], tc[KEYLIST_COMMENT_MAX];
	char		 why[256];
	size_t		 i;
	int		 rc = EXIT_LOCAL;

	buf_init(&text, KEYLIST_MAX);
	buf_init(&sig, SIG_FILE_MAX);
	for (i = 0; i < a->nsecrets; i++)
		if ((sk[i] = seckey_load(a->secrets[i])) == NULL)
			goto out;
	if (a->list != NULL) {
		if (!buf_readfile(&text, a->list))
			goto out;
	} else if (!have_version) {
		/* Checked once the keys load: a new list names its version. */
		warnx("a new key list needs --version N (or --list FILE to "
		    "sign an existing one)");
		rc = EXIT_USAGE;
		goto out;
	} else {
		if (!have_roots)
			for (i = 0; i < a->nsecrets; i++)
				kl->roots[kl->nroots++] = sk[i]->pub;
		if (!keylist_write(kl, &text))
			goto out;
	}
	if (!keylist_parse((const char *)text.data, text.len, &parsed, why,
	    sizeof(why))) {
		warnx("%s: %s", a->list != NULL ? a->list : "new key list",
		    why);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!keylist_comment(&parsed, tc, sizeof(tc)))
		goto out;
	if (!write_new(a->out, text.data, text.len, 0))
		goto out;
	for (i = 0; i < a->nsecrets; i++) {
		buf_reset(&sig);
		if (!sig_sign(sk[i], text.data, text.len, tc, 0, &sig))
			goto out;
		keyid_format(sk[i]->pub.keyid, id);
		snprintf(path, sizeof(path), "%s.%s.minisig", a->out, id);
		if (!write_new(path, sig.data, sig.len, 1))
			goto out;
		snprintf(path, sizeof(path), "%s.minisig", a->out);
		if (access(path, F_OK) != 0 &&
		    !write_new(path, sig.data, sig.len, 0))
			goto out;
		printf("%s: key list version %llu signed by root key %s\n",
		    a->out, (unsigned long long)parsed.version, id);
	}
	rc = EXIT_DONE;
 out:
	for (i = 0; i < a->nsecrets; i++)
		seckey_free(sk[i]);
	buf_free(&text);
	buf_free(&sig);
	return rc;
}

static int
number(const char *opt, const char *s, long long lo, long long hi,
    long long *v)
{
	if (!num_range(s, lo, hi, v)) {
		warnx("%s %s: want a number from %lld to %lld", opt, s, lo, hi);
		return 0;
	}
	return 1;
}

/*
 * cabundled root init DIR
 * cabundled root sign --secret FILE... -o FILE (--list FILE |
 *	--version N [--expires-days D] [--threshold K] [--root PUB]...
 *	[--keys-json FILE] [--active PUB]... [--standby PUB]...
 *	[--retired PUB]... [--valid-days D])
 */
int
cmd_root(const struct config *cfg, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "secret", required_argument, NULL, 's' },
		{ "list", required_argument, NULL, 'l' },
		{ "version", required_argument, NULL, 'V' },
		{ "expires-days", required_argument, NULL, 'e' },
		{ "threshold", required_argument, NULL, 't' },
		{ "root", required_argument, NULL, 'r' },
		{ "keys-json", required_argument, NULL, 'j' },
		{ "active", required_argument, NULL, 'A' },
		{ "standby", required_argument, NULL, 'S' },
		{ "retired", required_argument, NULL, 'R' },
		{ "valid-days", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct signargs	 a;
	struct keylist	*kl = NULL;
	const char	*sub, *json = NULL;
	char		 name[64];
	const char	*keyargs[3][KEYLIST_KEYS_MAX];
	size_t		 nkeyargs[3] = { 0, 0, 0 }, r, i;
	long long	 v = 0, days = 180, valid = 730, thr = 1;
	int		 ch, rc = EXIT_USAGE, building = 0, kidx;
	uint64_t	 now = (uint64_t)time(NULL);

	(void)cfg;
	memset(&a, 0, sizeof(a));
	if (argc < 2)
		goto usage;
	sub = usage_subname(argv, name, sizeof(name));
	if (strcmp(sub, "init") == 0) {
		if (argc != 3 || argv[2][0] == '-')
			goto usage;
		return root_init(argv[2]);
	}
	if (strcmp(sub, "sign") != 0 || (kl = calloc(1, sizeof(*kl))) == NULL)
		goto usage;
	optind = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "o:", opts, NULL)) !=
	    -1) {
		kidx = -1;
		switch (ch) {
		case 's':
			if (a.nsecrets == ROOT_SECRETS_MAX)
				goto usage;
			a.secrets[a.nsecrets++] = optarg;
			break;
		case 'o':
			a.out = optarg;
			break;
		case 'l':
			a.list = optarg;
			break;
		case 'V':
			building = 1;
			if (!number("--version", optarg, 1, INT64_MAX, &v))
				goto out;
			break;
		case 'e':
			building = 1;
			if (!number("--expires-days", optarg, 1,
			    KEYLIST_VALIDITY_MAX / 86400, &days))
				goto out;
			break;
		case 't':
			building = 1;
			if (!number("--threshold", optarg, 1,
			    KEYLIST_ROOTS_MAX, &thr))
				goto out;
			break;
		case 'v':
			building = 1;
			if (!number("--valid-days", optarg, 1, 36500, &valid))
				goto out;
			break;
		case 'r':
			building = 1;
			if (kl->nroots == KEYLIST_ROOTS_MAX ||
			    !pubkey_load(optarg, &kl->roots[kl->nroots]))
				goto out;
			kl->nroots++;
			break;
		case 'j':
			building = 1;
			json = optarg;
			break;
		case 'A':
			kidx = KEYROLE_ACTIVE;
			break;
		case 'S':
			kidx = KEYROLE_STANDBY;
			break;
		case 'R':
			kidx = KEYROLE_RETIRED;
			break;
		default:
			goto usage;
		}
		if (kidx >= 0) {
			building = 1;
			if (nkeyargs[kidx] == KEYLIST_KEYS_MAX)
				goto usage;
			keyargs[kidx][nkeyargs[kidx]++] = optarg;
		}
	}
	if (optind != argc - 1 || a.nsecrets == 0 || a.out == NULL ||
	    (a.list != NULL && building))
		goto usage;
	if (a.list == NULL) {
		kl->version = (uint64_t)v;
		kl->created = now;
		kl->expires = now + (uint64_t)days * 86400;
		kl->threshold = (unsigned)thr;
		rc = EXIT_LOCAL;
		if (json != NULL && !keys_from_json(json, kl, 0,
		    now + (uint64_t)valid * 86400))
			goto out;
		for (r = 0; r < 3; r++)
			for (i = 0; i < nkeyargs[r]; i++)
				if (!add_key(kl, keyargs[r][i],
				    (enum keyrole)r, 0,
				    now + (uint64_t)valid * 86400))
					goto out;
	}
	rc = root_sign(&a, kl, kl->nroots > 0, v != 0);
	goto out;
 usage:
	fprintf(stderr, "usage: cabundled root init DIR\n"
	    "       cabundled root sign --secret FILE... -o FILE "
	    "--list FILE\n"
	    "       cabundled root sign --secret FILE... -o FILE --version N\n"
	    "\t[--expires-days D] [--threshold K] [--root PUB]... "
	    "[--keys-json FILE]\n"
	    "\t[--active PUB]... [--standby PUB]... [--retired PUB]... "
	    "[--valid-days D]\n");
	rc = EXIT_USAGE;
 out:
	free(kl);
	return rc;
}
