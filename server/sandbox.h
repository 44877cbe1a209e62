/*
 * sandbox.h - giving up privileges: another user, no new privileges,
 * a seccomp filter (libseccomp).
 */
#ifndef CABUNDLED_SANDBOX_H
#define CABUNDLED_SANDBOX_H

int	sandbox_user(const char *, int);
int	sandbox_signer(void);

#endif
