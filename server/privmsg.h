/*
 * privmsg.h - the messages serve's processes send each other over a
 * socketpair: a 4-byte big-endian length, then that many bytes, the
 * first of which names the message.
 */
#ifndef CABUNDLED_PRIVMSG_H
#define CABUNDLED_PRIVMSG_H

#include <stddef.h>

#define PRIVMSG_MAX	4096	/* type byte and payload */

enum privmsg_type {
	PM_HELLO = 'K',		/* signer: "KEYID PUBKEY", once, first */
	PM_SIGN = 'S',		/* a cabundle/1 trusted comment to sign */
	PM_SIGN_CONSTRAINTS = 'C', /* a cabundle-constraints/1 one (SPEC 12) */
	PM_SIGN_PACKAGE = 'P',	/* a cabundle-package/1 one (SPEC 13) */
	PM_SIG = 'G',		/* signer: the .minisig file */
	PM_ERROR = 'E',		/* signer: why it refused */
};

struct meta;

size_t	privmsg_encode(int, const void *, size_t, unsigned char *);
int	privmsg_decode(const unsigned char *, size_t, int *,
	    const unsigned char **, size_t *, size_t *);
int	privmsg_send(int, int, const void *, size_t);
int	privmsg_recv(int, int *, char *, size_t, size_t *);
int	privmsg_parse_sign(const char *, size_t, struct meta *, char *,
	    size_t);
int	privmsg_parse_sign_as(const char *, const char *, size_t,
	    struct meta *, char *, size_t);

#endif
