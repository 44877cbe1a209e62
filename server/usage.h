/*
 * usage.h - a command line judged against its usage text (usage.c).
 */
#ifndef CABUNDLED_USAGE_H
#define CABUNDLED_USAGE_H

#include <stddef.h>

#define USAGE_FORMS_MAX	8	/* forms of one command */
#define USAGE_ARGS_MAX	64	/* options of one line that count */

/* Why a word is needed, said when it alone is missing. */
struct usage_hint {
	const char	*cmd;	/* "approve", "org add" */
	const char	*word;	/* "--reason", "ID" */
	const char	*why;
};

int	usage_judge(const char *, const struct usage_hint *, int, char *[],
	    char *, size_t);
int	usage_takes_value(const char *, const char *);
const char *usage_subname(char *[], char *, size_t);

#endif
