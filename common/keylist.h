/*
 * keylist.h - the key list (doc/SPEC.md section 11): online signing
 * keys announced by offline root keys, parsed and verified the same
 * way by the client, the server's import and a relay (keylist.c).
 */
#ifndef CABUNDLE_KEYLIST_H
#define CABUNDLE_KEYLIST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "sig.h"

#define KEYLIST_FORMAT		"cabundle-keys/1"
#define KEYLIST_MAX		8192	/* bytes of one list */
#define KEYLIST_ROOTS_MAX	8
#define KEYLIST_KEYS_MAX	16
#define KEYLIST_SIGS_MAX	(2 * KEYLIST_ROOTS_MAX)
#define KEYLIST_VALIDITY_MAX	(400 * 86400)	/* expires - created */
#define KEYLIST_WALK_MAX	1000	/* versions walked in one run */
#define KEYLIST_COMMENT_MAX	256

enum keyrole {
	KEYROLE_ACTIVE = 0,	/* signs releases now */
	KEYROLE_STANDBY,	/* may sign: the next key, after a rotation */
	KEYROLE_RETIRED,	/* named for history only: never accepted */
	KEYROLE__MAX
};

struct keylist_key {
	struct pubkey	 pub;
	uint64_t	 not_before;	/* 0: always */
	uint64_t	 not_after;
	enum keyrole	 role;
};

/* One parsed key list; sha256 is of its exact bytes. */
struct keylist {
	uint64_t		 version;
	uint64_t		 created;
	uint64_t		 expires;
	unsigned		 threshold;
	struct pubkey		 roots[KEYLIST_ROOTS_MAX];
	size_t			 nroots;
	struct keylist_key	 keys[KEYLIST_KEYS_MAX];
	size_t			 nkeys;
	unsigned char		 sha256[32];
};

/* A signature file as fetched or read: borrowed bytes. */
struct keylist_sig {
	const char	*text;
	size_t		 len;
};

const char	*keyrole_name(enum keyrole);
int		 keyrole_parse(const char *, enum keyrole *);
int		 keylist_parse(const char *, size_t, struct keylist *, char *,
		    size_t);
int		 keylist_write(const struct keylist *, struct buf *);
int		 keylist_comment(const struct keylist *, char *, size_t);
int		 keylist_verify(const struct keylist *, const struct pubkey *,
		    size_t, const char *, size_t, const struct keylist_sig *,
		    size_t, struct keylist *, unsigned char *, char *, size_t);
int		 keylist_check_time(const struct keylist *, int64_t, char *,
		    size_t);
int		 keylist_signing_keys(const struct keylist *, int64_t,
		    struct pubkey *, size_t);
const struct keylist_key *keylist_find(const struct keylist *,
		    const unsigned char *);
int		 keylist_has_root(const struct keylist *,
		    const struct pubkey *);
int		 keylist_signed_within(const struct keylist *,
		    const unsigned char *, uint64_t, char *, size_t);

#endif
