/*
 * cmd_export.c - "cabundled export [--profile NAME]... [--all-versions]
 * [--repair] [--client-deb FILE]... DIR": which profiles and packages,
 * then what export.c wrote.
 */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "datadir.h"
#include "db.h"
#include "exitcode.h"
#include "export.h"
#include "extern.h"
#include "package.h"
#include "site.h"

/*
 * Load the client packages named by --client-deb into cl: each checked
 * (package_load), one per architecture.  Returns an exit code.
 */
static int
load_client(const char **files, size_t n, struct export_client *cl)
{
	size_t	 i, j;

	for (i = 0; i < n; i++) {
		if ((cl->pkg[cl->n] = package_load(files[i])) == NULL)
			return EXIT_REFUSED;
		cl->n++;
		for (j = 0; j + 1 < cl->n; j++)
			if (strcmp(cl->pkg[j]->arch, cl->pkg[i]->arch) == 0) {
				warnx("export: two client packages for %s; "
				    "name one per architecture",
				    cl->pkg[i]->arch);
				return EXIT_USAGE;
			}
	}
	return EXIT_DONE;
}

/*
 * cabundled export [--profile NAME]... [--all-versions] [--repair]
 * [--client-deb FILE]... DIR
 */
int
cmd_export(const struct config *cfg, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "all-versions", no_argument, NULL, 'a' },
		{ "repair", no_argument, NULL, 'r' },
		{ "client-deb", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct package	*pkg[PACKAGE_MAX_FILES];
	struct export_client cl;
	const char	*debs[PACKAGE_MAX_FILES];
	struct site_profile *sel[EXPORT_MAX_PROFILES];
	const char	*want[EXPORT_MAX_PROFILES];
	struct export_result res;
	struct site	*s = NULL;
	sqlite3		*db = NULL;
	const char	*dir;
	size_t		 i, j, nwant = 0, n = 0, ndebs = 0;
	int		 ch, all = 0, repair = 0, rc = EXIT_USAGE;

	memset(&cl, 0, sizeof(cl));
	cl.cfg = cfg;
	cl.pkg = pkg;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'a')
			all = 1;
		else if (ch == 'r')
			repair = 1;
		else if (ch == 'p' && nwant < EXPORT_MAX_PROFILES)
			want[nwant++] = optarg;
		else if (ch == 'c' && ndebs < PACKAGE_MAX_FILES)
			debs[ndebs++] = optarg;
		else
			goto usage;
	}
	if (optind != argc - 1 || argv[optind][0] == '\0')
		goto usage;
	dir = argv[optind];
	/* A package refused stops the export before anything is opened. */
	if ((rc = load_client(debs, ndebs, &cl)) != EXIT_DONE)
		goto out;
	rc = EXIT_LOCAL;
	if ((db = datadir_open(cfg)) == NULL ||
	    (s = site_load(db)) == NULL)
		goto out;
	for (i = 0; i < s->nprof; i++) {
		for (j = 0; j < nwant; j++)
			if (strcmp(want[j], s->prof[i].name) == 0)
				break;
		if (nwant == 0 || j < nwant)
			sel[n++] = &s->prof[i];
		if (n == EXPORT_MAX_PROFILES)
			break;
	}
	for (j = 0; j < nwant; j++)
		if (site_profile(s, want[j]) == NULL) {
			warnx("export: profile %s has no release to export",
			    want[j]);
			rc = EXIT_USAGE;
			goto out;
		}
	if (n == 0) {
		warnx("export: nothing published yet (cabundled publish)");
		rc = EXIT_REFUSED;
		goto out;
	}
	if ((rc = export_tree(db, s, dir, sel, n, nwant > 0, all, repair,
	    &cl, &res)) != EXIT_DONE) {
		warnx("export to %s stopped; what it wrote is consistent, "
		    "the latest pointers are unchanged", dir);
		goto out;
	}
	printf("export %s: %zu files written, %zu linked, %zu unchanged",
	    dir, res.written, res.linked, res.kept);
	if (res.repaired > 0)
		printf(", %zu repaired", res.repaired);
	printf(";");
	for (i = 0; i < n; i++)
		printf(" %s %" PRId64, sel[i]->name,
		    sel[i]->rel[sel[i]->nrel - 1].version);
	for (i = 0; i < cl.n; i++)
		printf(" client/%s", cl.pkg[i]->file);
	printf("\n");
 out:
	for (i = 0; i < cl.n; i++)
		package_free(cl.pkg[i]);
	if (s != NULL)
		site_unref(s);
	db_close(db);
	return rc;
 usage:
	fprintf(stderr, "usage: cabundled export [--profile NAME]... "
	    "[--all-versions] [--repair] [--client-deb FILE]... DIR\n");
	return EXIT_USAGE;
}
