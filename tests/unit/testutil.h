/*
 * testutil.h - shared by the cmocka unit tests.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "sign.h"

void	fixture_read(const char *, struct buf *);
char	*fixture_path(const char *);
void	text_replace(struct buf *, const char *, const char *);



struct seckey;
struct seckey	*testkey_vector(void);
struct seckey	*testkey_new(void);
#endif
