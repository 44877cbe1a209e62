/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * Every input that comes from outside (a file, a download, a rendered
 * bundle) lands in a struct buf whose cap is set by the caller, so no
 * code path can grow memory without bound.
 */
#ifndef CABUNDLE_BUF_H
#define CABUNDLE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	unsigned char	*data;	/* NUL-terminated after every append */
	size_t		 len;	/* bytes used, excluding the NUL */
	size_t		 cap;	/* bytes allocated */
	size_t		 max;	/* never hold more than this */
};

void	buf_init(struct buf *, size_t);
int	buf_append(struct buf *, const void *, size_t);
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_reset(struct buf *);
void	buf_free(struct buf *);
int	buf_readfile(struct buf *, const char *);

#endif
