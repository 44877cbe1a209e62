/*
 * num.h - number parsing without atoi(3) surprises.
 */
#ifndef CABUNDLE_NUM_H
#define CABUNDLE_NUM_H

#include <stddef.h>
#include <stdint.h>

#define U63_MAX		INT64_MAX

int	num_u63(const char *, size_t, uint64_t *);
int	num_range(const char *, long long, long long, long long *);

#endif
