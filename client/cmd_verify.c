/*
 * cmd_verify.c - "cabundle verify --key KEY FILE [SIG]": check a bundle
 * and its signature on disk with exactly the rules install uses, and
 * print the signed metadata.  For provisioning scripts (exit code) and
 * auditors (--at, --ignore-expiry for archived releases).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle.h"
#include "buf.h"
#include "encode.h"
#include "exitcode.h"
#include "extern.h"
#include "log.h"
#include "num.h"
#include "timefmt.h"

static void
print_release(const char *fn, const struct release *r)
{
	char	 id[17], c[TIMEFMT_LEN], e[TIMEFMT_LEN], hex[65];

	keyid_format(r->key->keyid, id);
	timefmt_iso((int64_t)r->meta.created, c);
	timefmt_iso((int64_t)r->meta.expires, e);
	hex_encode(r->meta.sha256, 32, hex);
	printf("%s: verified\n"
	    "profile: %s\nversion: %llu\ncreated: %s\nexpires: %s\n"
	    "size: %llu\nsha256: %s\nkey: %s\ncertificates: %zu\n",
	    fn, r->meta.profile, (unsigned long long)r->meta.version, c, e,
	    (unsigned long long)r->meta.size, hex, id, r->ncerts);
}

/*
 * Exit 0 when FILE and SIG pass SPEC 8 steps 2-6 and 9-10; 1 with the
 * rule that failed (a missing signature included); 2 for usage or a
 * key that cannot be loaded.
 */
int
cmd_verify(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "ignore-expiry", no_argument, NULL, 'i' },
		{ "key", required_argument, NULL, 'k' },
		{ "profile", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 }
	};
	struct pubkey	 keys[MAX_KEYS];
	struct policy	 pol;
	struct release	 rel;
	struct buf	 sig, body;
	const char	*file, *sigfile;
	char		 defsig[PATH_MAX], why[512];
	long long	 at;
	int		 ch, quiet = 0, rc = EXIT_REFUSED;

	memset(&pol, 0, sizeof(pol));
	pol.keys = keys;
	pol.now = (int64_t)time(NULL);
	pol.check_time = 1;
	buf_init(&sig, SIG_FILE_MAX);
	buf_init(&body, BODY_MAX);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "k:p:q", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (!num_range(optarg, 1, INT64_MAX, &at)) {
				warnx("--at %s: not a Unix time", optarg);
				return EXIT_USAGE;
			}
			pol.now = at;
			break;
		case 'i':
			pol.check_time = 0;
			break;
		case 'k':
			if (pol.nkeys == MAX_KEYS) {
				warnx("at most %d keys", MAX_KEYS);
				return EXIT_USAGE;
			}
			if (!pubkey_load(optarg, &keys[pol.nkeys]))
				return EXIT_USAGE;
			pol.nkeys++;
			break;
		case 'p':
			if (!profile_valid(optarg, strlen(optarg))) {
				warnx("--profile %s: not a profile name",
				    optarg);
				return EXIT_USAGE;
			}
			pol.profile = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (pol.nkeys == 0 || argc < 1 || argc > 2) {
		warnx("verify: %s", pol.nkeys == 0 ? "--key KEY is required" :
		    argc < 1 ? "FILE, the bundle to verify, is required" :
		    "too many arguments: want FILE and at most one SIG");
		goto usage;
	}
	file = argv[0];
	if (argc == 2)
		sigfile = argv[1];
	else {
		if ((size_t)snprintf(defsig, sizeof(defsig), "%s.minisig",
		    file) >= sizeof(defsig)) {
			warnx("%s: name too long", file);
			return EXIT_USAGE;
		}
		sigfile = defsig;
	}
	/* Step 1: no signature, no trust; a missing one is a refusal. */
	if (!buf_readfile(&sig, sigfile))
		goto out;
	if (!verify_sig((const char *)sig.data, sig.len, &pol, &rel, why,
	    sizeof(why))) {
		warnx("%s: %s", sigfile, why);
		goto out;
	}
	/* Step 8: read no more than the signed size (and the hard cap). */
	if (rel.meta.size > BODY_MAX) {
		warnx("%s: signed size %llu is above the %u byte limit",
		    sigfile, (unsigned long long)rel.meta.size, BODY_MAX);
		goto out;
	}
	body.max = (size_t)rel.meta.size + 1;
	if (!buf_readfile(&body, file))
		goto out;
	if (!verify_body(&rel, body.data, body.len, why, sizeof(why))) {
		warnx("%s: %s", file, why);
		goto out;
	}
	if (!quiet)
		print_release(file, &rel);
	rc = EXIT_DONE;
 out:
	buf_free(&sig);
	buf_free(&body);
	return rc;
 usage:
	fprintf(stderr, "usage: cabundle verify --key KEY [--key KEY] "
	    "[--profile NAME]\n"
	    "\t[--at UNIXTIME | --ignore-expiry] [--quiet] FILE [SIG]\n");
	return EXIT_USAGE;
}
