/*
 * encode.h - hex and base64, strict both ways.
 */
#ifndef CABUNDLE_ENCODE_H
#define CABUNDLE_ENCODE_H

#include <stddef.h>

#define B64_LEN(n)	(4 * (((n) + 2) / 3))

void	hex_encode(const unsigned char *, size_t, char *);
void	hex_encode_colons(const unsigned char *, size_t, char *);
int	hex_decode(const char *, size_t, unsigned char *, size_t);
void	b64_encode(const unsigned char *, size_t, char *);
int	b64_decode_exact(const char *, size_t, unsigned char *, size_t);
size_t	utf8_seqlen(const unsigned char *, size_t);
int	text_valid(const char *, size_t);
void	text_excerpt(const char *, size_t, char *, size_t);
int	fp_decode(const char *, unsigned char *);

#endif
