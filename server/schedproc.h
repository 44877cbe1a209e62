/*
 * schedproc.h - serve's schedules (fetch or relay, publish) in a process
 * of their own, so that nothing they wait for holds up the HTTP
 * process.
 */
#ifndef CABUNDLED_SCHEDPROC_H
#define CABUNDLED_SCHEDPROC_H

#include <sys/types.h>

#include <sqlite3.h>

#define SCHED_PUBLISH_EVERY	60	/* seconds: signature renewals */
#define SCHED_BACKOFF_MIN	2	/* seconds before the first restart */
#define SCHED_BACKOFF_MAX	600

struct config;

/* The scheduler process as the HTTP process sees it. */
struct sched {
	pid_t		 pid;	/* -1: none */
	int		 fd;	/* our end of the socketpair, -1: closed */
};

void	sched_log(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
struct signer;
int	sched_round(const struct config *, sqlite3 *, struct signer *, int);
int	sched_start(const struct config *, struct sched *);
int	sched_go(struct sched *);
int	sched_alive(struct sched *);
void	sched_stop(struct sched *);

#endif
