/*
 * sandbox.h - giving up privileges: another user, no new privileges,
 * a seccomp filter (libseccomp), a data directory out of reach
 * (Landlock).
 */
#ifndef CABUNDLED_SANDBOX_H
#define CABUNDLED_SANDBOX_H

int	sandbox_user(const char *, int);
int	sandbox_signer(void);
int	sandbox_hide(const char *, const char *const *);

#endif
