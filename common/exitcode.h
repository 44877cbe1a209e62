/*
 * exitcode.h - the exit codes of BRIEF.md, shared by both programs so a
 * provisioning script can act on them.
 */
#ifndef CABUNDLE_EXITCODE_H
#define CABUNDLE_EXITCODE_H

enum exitcode {
	EXIT_DONE = 0,		/* done: accepted, installed or unchanged */
	EXIT_REFUSED = 1,	/* rejected input, failed verification */
	EXIT_USAGE = 2,		/* usage or configuration */
	EXIT_UNREACHABLE = 3,	/* upstream or source unreachable */
	EXIT_LOCAL = 4,		/* local error: database, disk, key */
	EXIT_QUARANTINED = 5,	/* server: waiting for a human */
	EXIT_HOOK = 6		/* client: installed, a --then command failed */
};

#endif
