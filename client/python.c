/*
 * python.c - ask a Python interpreter: "python -c PROG [ARG]" without a
 * shell, standard input /dev/null, standard error shared, and at most
 * the output buffer's cap of what it prints.
 *
 * Not isolated (-I): the answer must be the one that interpreter gives
 * the user's programs, with their PYTHONPATH and user site-packages.
 * What PY_NOCWD drops is the current directory, which "-c" puts first
 * on sys.path: a certifi.py lying wherever cabundle runs (as root)
 * must not be imported.
 */
#include <stddef.h>

#include "buf.h"
#include "extern.h"

extern char **environ;

/*
 * Run python with prog and arg (NULL: none), in our environment and
 * with standard input /dev/null; what it prints goes to out, whose cap
 * applies.  Returns 1 when it exited 0; else 0 with why set (see
 * child_run).
 */
int
python_run(const char *python, const char *prog, const char *arg,
    struct buf *out, char *why, size_t whylen)
{
	char	*args[] = { (char *)python, "-c", (char *)prog, (char *)arg,
		    NULL };

	return child_run(python, args, environ, NULL, 0, out, why, whylen);
}
