/*
 * p11kit.h - a release as p11-kit's persistence format (cacert.p11-kit,
 * doc/SPEC.md section 12).
 */
#ifndef CABUNDLED_P11KIT_H
#define CABUNDLED_P11KIT_H

#include <stddef.h>

#include "buf.h"

#define P11KIT_FILE	"cacert.p11-kit"

int	p11kit_render(const char *, size_t, const char *, size_t,
	    struct buf *);

#endif
