/*
 * pages.h - every page of a site, one at a time, for the static
 * export (pages.c).
 */
#ifndef CABUNDLED_PAGES_H
#define CABUNDLED_PAGES_H

#include <stddef.h>

#include "buf.h"
#include "site.h"

/* Where pages_next() is; set by pages_init(), opaque otherwise. */
struct pages {
	struct site		 *s;
	struct site_profile	**sel;
	size_t			  n;
	int			  step;
	size_t			  i, j;
};

void	pages_init(struct pages *, struct site *, struct site_profile **,
	    size_t);
int	pages_next(struct pages *, struct buf *, struct buf *);

#endif
