/*
 * extern.h - what the server's files share.
 */
#ifndef CABUNDLED_EXTERN_H
#define CABUNDLED_EXTERN_H

/* Global options, set once in main(). */
struct config {
	const char	*datadir;	/* -d */
	const char	*config;	/* -c */
};

int	cmd_inspect(const struct config *, int, char *[]);

#endif
