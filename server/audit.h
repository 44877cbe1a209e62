/*
 * audit.h - the append-only, hash-chained audit log (schema 001).
 */
#ifndef CABUNDLED_AUDIT_H
#define CABUNDLED_AUDIT_H

#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

int	audit_append(sqlite3 *, const char *, const char *, const char *,
	    json_t *);
void	audit_take(int64_t *, char [65]);
int	audit_verify(sqlite3 *, int64_t *, char *, size_t);

#endif
