/*
 * carry.h - upstream releases that passed SPEC section 8 here, kept
 * with their signatures (carry.c, schema 006).
 */
#ifndef CABUNDLED_CARRY_H
#define CABUNDLED_CARRY_H

#include <stdint.h>

#include <sqlite3.h>

#include "meta.h"
#include "sig.h"

struct relay;

/* One carried release: a row of carry. */
struct carry {
	int64_t		 id;		/* 0: none */
	char		 profile[META_PROFILE_MAX + 1];
	int64_t		 upstream_version;
	int64_t		 created, expires, size;
	char		 sha256[65];
	int64_t		 snapshot;
	char		 status[16];	/* its snapshot's */
	char		 keyid[17];
	char		 upstream_key[PUBKEY_STR_LEN + 1];
	char		*source;
	char		*signature;
};

int	carry_store(sqlite3 *, const char *, const struct relay *, int64_t,
	    int64_t *);
int	carry_newest(sqlite3 *, const char *, int, struct carry *);
int	carry_of_snapshot(sqlite3 *, int64_t, struct carry *);
int	carry_relay(const struct carry *, struct relay *);
void	carry_free(struct carry *);

#endif
