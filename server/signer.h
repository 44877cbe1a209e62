/*
 * signer.h - the one signing path (issue 19).  A process of its own
 * alone opens the secret key, gives up what else it can, and signs
 * only cabundle/1 releases that the database says are next.
 */
#ifndef CABUNDLED_SIGNER_H
#define CABUNDLED_SIGNER_H

#include <sys/types.h>

#include <stdint.h>

#include "buf.h"
#include "meta.h"
#include "sig.h"

#define SIGNER_COMMAND	"signer"	/* main.c: not a user's command */
#define SIGNER_FD	3		/* the socket, in the signer */
#define SIGNER_SKEW	300		/* created may differ from now */

struct config;
struct package;

struct signer {
	pid_t		 pid;
	int		 fd;
	char		 keyid[17];
	struct pubkey	 pub;		/* what it signs with */
};

struct signer	*signer_start(const struct config *);
int		 signer_sign(struct signer *, const struct meta *,
		    struct buf *);
int		 signer_sign_as(struct signer *, const char *,
		    const struct meta *, struct buf *);
int		 signer_sign_package(struct signer *, const struct package *,
		    int64_t, struct buf *);
int		 signer_stop(struct signer *);
int		 signer_alive(struct signer *);
int		 signer_main(const struct config *);

#endif
