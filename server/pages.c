/*
 * pages.c - every page "serve" shows, one at a time, for the static
 * export (export.c), so a mirror served by nginx has the same pages.
 *
 * A page at path P is written as P/index.html ("/" as index.html): a
 * profile's page /p/NAME and its releases /p/NAME/VERSION can then
 * both be files, and a static server maps a path to a file with one
 * rule (contrib/nginx/cabundle-export.conf: try_files $uri/index.html).
 * What a static server cannot do is done ahead: the audit log and each
 * history are one whole page (a paging link's query is ignored, so it
 * lands on the whole page and its anchor on the row), and /search
 * lists every certificate instead of answering a query.  Every release
 * has its page, whether or not its body is exported (--all-versions):
 * the pages are the auditor's record of why each release exists.
 */
#include <err.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "pages.h"
#include "site.h"

/* The steps of pages_next(), in the order pages are written. */
enum step {
	STEP_INDEX,
	STEP_QUARANTINE,
	STEP_SNAPSHOTS,
	STEP_ORG,
	STEP_EXCLUSIONS,
	STEP_AUDIT,
	STEP_SEARCH,
	STEP_SNAPSHOT,		/* i: the snapshot */
	STEP_CERT,		/* i: the certificate */
	STEP_PROFILE,		/* i: the profile; j 0 its page, then j-1 */
	STEP_DONE
};

/*
 * Start at the first page of site s, with the pages of the n profiles
 * sel.  s and sel are borrowed for as long as p is used.
 */
void
pages_init(struct pages *p, struct site *s, struct site_profile **sel,
    size_t n)
{
	memset(p, 0, sizeof(*p));
	p->s = s;
	p->sel = sel;
	p->n = n;
}

/* A page made at load: its bytes. */
static int
copy_doc(struct buf *body, const struct doc *d)
{
	return buf_append(body, d->data, d->len);
}

/*
 * The page the step stands at into path (relative to the export's
 * directory) and body, then the step after it.  Returns 1, 0 when a
 * step is past its last page, -1 after a warning.
 */
static int
page_make(struct pages *p, struct buf *path, struct buf *body)
{
	struct site		*s = p->s;
	struct site_profile	*pr;
	int64_t			 id;
	int			 found = 1, ok;

	switch (p->step) {
	case STEP_INDEX:
		ok = buf_printf(path, "index.html") && copy_doc(body,
		    &s->index);
		break;
	case STEP_QUARANTINE:
		ok = buf_printf(path, "quarantine/index.html") &&
		    copy_doc(body, &s->quarantine);
		break;
	case STEP_SNAPSHOTS:
		ok = buf_printf(path, "snapshots/index.html") &&
		    copy_doc(body, &s->snapshots);
		break;
	case STEP_ORG:
		ok = buf_printf(path, "org/index.html") &&
		    copy_doc(body, &s->orgpage);
		break;
	case STEP_EXCLUSIONS:
		ok = buf_printf(path, "exclusions/index.html") &&
		    copy_doc(body, &s->exclpage);
		break;
	case STEP_AUDIT:
		ok = buf_printf(path, "audit/index.html") &&
		    site_audit_html(s, 0, 0, INT64_MAX, body);
		break;
	case STEP_SEARCH:
		ok = buf_printf(path, "search/index.html") &&
		    site_search_html(s, NULL, body);
		break;
	case STEP_SNAPSHOT:
		if (p->i >= s->snaps.n)
			return 0;
		id = s->snaps.v[p->i++].id;
		ok = buf_printf(path, "snapshots/%" PRId64 "/index.html", id) &&
		    site_snapshot_html(s, id, body, &found);
		break;
	case STEP_CERT:
		if (p->i >= s->ncerts)
			return 0;
		ok = buf_printf(path, "cert/%s/index.html",
		    s->certs[p->i].fp) && site_cert_html(s,
		    s->certs[p->i].fp, body, &found);
		p->i++;
		break;
	case STEP_PROFILE:
		if (p->i >= p->n)
			return 0;
		pr = p->sel[p->i];
		if (p->j == 0)
			ok = buf_printf(path, "p/%s/index.html", pr->name) &&
			    site_history_html(pr, 0, INT64_MAX, body);
		else
			ok = buf_printf(path, "p/%s/%" PRId64 "/index.html",
			    pr->name, pr->rel[p->j - 1].version) &&
			    site_release_html(s, pr, pr->rel[p->j - 1].version,
			    body, &found);
		if (++p->j > pr->nrel) {
			p->i++;
			p->j = 0;
		}
		break;
	default:
		return 0;
	}
	if (p->step < STEP_SNAPSHOT)
		p->step++;
	if (!ok || !found) {
		warnx("%s: cannot make the page", ok ? (char *)path->data :
		    "a page");
		return -1;
	}
	return 1;
}

/*
 * The next page of the site: its path relative to the export's
 * directory in path, its bytes in body (both reset first).  Returns 1,
 * 0 when every page was made, -1 after a warning.
 */
int
pages_next(struct pages *p, struct buf *path, struct buf *body)
{
	int	 rc;

	for (;;) {
		buf_reset(path);
		buf_reset(body);
		if (p->step >= STEP_DONE)
			return 0;
		if ((rc = page_make(p, path, body)) != 0)
			return rc;
		p->step++;
		p->i = p->j = 0;
	}
}
