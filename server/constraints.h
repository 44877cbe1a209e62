/*
 * constraints.h - the constraints document beside a release: the
 * distrust-after dates of its bundle's roots (doc/SPEC.md section 12).
 */
#ifndef CABUNDLED_CONSTRAINTS_H
#define CABUNDLED_CONSTRAINTS_H

#include "buf.h"

#define CONSTRAINTS_FILE	"constraints.json"

struct comp;

int	constraints_render(const char *, const char *, const char *,
	    const struct comp *, struct buf *);

#endif
