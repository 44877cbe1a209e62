/*
 * cmd_inspect.c - "cabundled inspect FILE [--json]": read a bundle with the
 * strict reader and list its certificates, offline (rpki-client's
 * filemode): the one code path for an operator's look at a file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "bundle.h"
#include "certdata.h"
#include "datadir.h"
#include "db.h"
#include "encode.h"
#include "exitcode.h"
#include "extern.h"
#include "log.h"
#include "output.h"
#include "store.h"
#include "timefmt.h"
#include "vet.h"

static const char *
ca_word(const struct cert *c)
{
	if (c->ca)
		return "CA";
	return c->version == 1 ? "v1" : "notCA";
}

static json_t *
cert_json(const struct cert *c, time_t now)
{
	char	 fp[65], nb[TIMEFMT_LEN], na[TIMEFMT_LEN];

	hex_encode(c->sha256, 32, fp);
	timefmt_iso(c->not_before, nb);
	timefmt_iso(c->not_after, na);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, "
	    "s:b, s:i, s:s, s:i, s:s, s:I}",
	    "sha256", fp, "label", c->label, "subject", c->subject,
	    "issuer", c->issuer, "serial", c->serial, "not_before", nb,
	    "not_after", na, "expired", c->not_after < (int64_t)now,
	    "ca", c->ca, "self_signed", c->self_signed,
	    "version", c->version, "key_type", c->key_type,
	    "key_bits", c->key_bits, "key", c->key_desc,
	    "line", (json_int_t)c->line);
}

static int
inspect_json(const char *fn, const struct buf *in, const struct bundle *b,
    const struct bundle_error *e, json_t *vet)
{
	json_t		*o, *list;
	unsigned char	 h[32];
	char		 hex[65];
	size_t		 i;
	time_t		 now = time(NULL);

	EVP_Digest(in->data, in->len, h, NULL, EVP_sha256(), NULL);
	hex_encode(h, 32, hex);
	if (b == NULL) {
		o = json_pack("{s:s, s:I, s:s, s:{s:s, s:I, s:I, s:s}, "
		    "s:o*}", "file", fn, "bytes", (json_int_t)in->len,
		    "sha256", hex, "error", "code", bundle_errname(e->code),
		    "block", (json_int_t)e->block, "line", (json_int_t)e->line,
		    "message", e->msg, "vet", vet);
		return json_print(o);
	}
	if ((list = json_array()) == NULL) {
		json_decref(vet);
		return 0;
	}
	for (i = 0; i < b->ncerts; i++)
		if (json_array_append_new(list, cert_json(&b->certs[i], now)))
			goto fail;
	o = json_pack("{s:s, s:I, s:s, s:I, s:o, s:o*}", "file", fn,
	    "bytes", (json_int_t)in->len, "sha256", hex,
	    "count", (json_int_t)b->ncerts, "certificates", list,
	    "vet", vet);
	return json_print(o);
 fail:
	json_decref(list);
	json_decref(vet);
	return 0;
}

static void
inspect_text(const char *fn, const struct bundle *b)
{
	const struct cert	*c;
	char			 fp[65], na[TIMEFMT_LEN];
	size_t			 i;
	time_t			 now = time(NULL);

	printf("%s: %zu certificates\n", fn, b->ncerts);
	for (i = 0; i < b->ncerts; i++) {
		c = &b->certs[i];
		hex_encode(c->sha256, 32, fp);
		timefmt_date(c->not_after, na);
		printf("%s  %s%s  %-5s  %-9s  %s\n", fp, na,
		    c->not_after < (int64_t)now ? "!" : " ", ca_word(c),
		    c->key_desc, c->label);
	}
}

/* A distrust-after date as ISO 8601, or NULL (JSON null) for none. */
static const char *
after_iso(int64_t t, char *out)
{
	if (t == 0)
		return NULL;
	timefmt_iso(t, out);
	return out;
}

static json_t *
cd_cert_json(const struct cd_cert *c)
{
	char	 fp[65], sa[TIMEFMT_LEN], ea[TIMEFMT_LEN];

	if (c->der != NULL)
		hex_encode(c->sha256, 32, fp);
	return json_pack("{s:s?, s:s, s:s, s:s, s:s, s:s?, s:s?, s:I, s:I}",
	    "sha256", c->der != NULL ? fp : NULL, "label", c->label,
	    "server", certdata_trustname(c->server),
	    "email", certdata_trustname(c->email),
	    "code", certdata_trustname(c->code),
	    "server_distrust_after", after_iso(c->server_after, sa),
	    "email_distrust_after", after_iso(c->email_after, ea),
	    "object", (json_int_t)c->object, "line", (json_int_t)c->line);
}

/* certdata.txt as JSON: counts and entries, or the refusal. */
static int
certdata_json(const char *fn, const struct buf *in,
    const struct certdata *cd, const struct certdata_error *e)
{
	json_t		*o, *list;
	unsigned char	 h[32];
	char		 hex[65];
	size_t		 i;

	EVP_Digest(in->data, in->len, h, NULL, EVP_sha256(), NULL);
	hex_encode(h, 32, hex);
	if (cd == NULL) {
		o = json_pack("{s:s, s:s, s:I, s:s, s:{s:s, s:I, s:I, s:s}}",
		    "file", fn, "format", "certdata", "bytes",
		    (json_int_t)in->len, "sha256", hex, "error",
		    "code", certdata_errname(e->code),
		    "object", (json_int_t)e->object,
		    "line", (json_int_t)e->line, "message", e->msg);
		return json_print(o);
	}
	if ((list = json_array()) == NULL)
		return 0;
	for (i = 0; i < cd->n; i++)
		if (json_array_append_new(list, cd_cert_json(&cd->v[i]))) {
			json_decref(list);
			return 0;
		}
	o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:o}",
	    "file", fn, "format", "certdata", "bytes", (json_int_t)in->len,
	    "sha256", hex, "count", (json_int_t)cd->ncertobjs,
	    "server_auth", (json_int_t)cd->nserver,
	    "server_auth_dated", (json_int_t)cd->nserver_dated,
	    "certificates", list);
	return json_print(o);
}

/*
 * certdata.txt as text: one line per certificate (fingerprint, server,
 * email and code-signing trust, distrust-after dates, label), and one
 * per trust object that distrusts a certificate not in the file.
 */
static void
certdata_text(const char *fn, const struct certdata *cd)
{
	const struct cd_cert	*c;
	char			 fp[65], sa[TIMEFMT_LEN], ea[TIMEFMT_LEN];
	size_t			 i;

	printf("%s: certdata.txt, %zu certificates, %zu trusted for "
	    "server auth (%zu with a distrust-after date)\n", fn,
	    cd->ncertobjs, cd->nserver, cd->nserver_dated);
	for (i = 0; i < cd->n; i++) {
		c = &cd->v[i];
		if (c->der != NULL)
			hex_encode(c->sha256, 32, fp);
		else
			snprintf(fp, sizeof(fp), "%-64s", "(no certificate)");
		printf("%s  server=%s email=%s code=%s", fp,
		    certdata_trustname(c->server),
		    certdata_trustname(c->email),
		    certdata_trustname(c->code));
		if (c->server_after != 0)
			printf(" server-distrust-after=%s",
			    after_iso(c->server_after, sa));
		if (c->email_after != 0)
			printf(" email-distrust-after=%s",
			    after_iso(c->email_after, ea));
		printf("  %s\n", c->label);
	}
}

/*
 * inspect for certdata.txt (certdata_sniff): exit 0 when it parses, 1
 * with the object, line and reason when the reader refuses it.
 */
static int
inspect_certdata(const char *fn, const struct buf *in, int json)
{
	struct certdata_error	 e;
	struct certdata		*cd;
	int			 rc = EXIT_DONE;

	if ((cd = certdata_parse(in->data, in->len, &e)) == NULL) {
		warnx("%s: %s", fn, e.msg);
		rc = EXIT_REFUSED;
	}
	if (json) {
		if (!certdata_json(fn, in, cd, &e)) {
			warnx("writing JSON failed");
			rc = EXIT_LOCAL;
		}
	} else if (cd != NULL)
		certdata_text(fn, cd);
	certdata_free(cd);
	return rc;
}

/*
 * --vet: judge the file as an import would, against the data
 * directory's accepted snapshot when there is a database (else as a
 * first snapshot), storing nothing.  Returns the exit code.
 */
static int
inspect_vet(const struct config *cfg, const char *fn, const struct buf *in,
    const struct bundle *b, const struct bundle_error *e, json_t **json)
{
	struct vet_report	 r;
	struct rootset		 prev;
	sqlite3			*db = NULL;
	unsigned char		 h[32];
	char			*path;
	int			 rc = EXIT_LOCAL;

	memset(&prev, 0, sizeof(prev));
	if ((path = config_path(cfg, DB_FILE)) == NULL)
		return EXIT_LOCAL;
	if (access(path, F_OK) == 0 && ((db = datadir_open(cfg)) == NULL ||
	    !store_accepted_roots(db, NULL, &prev)))
		goto out;
	EVP_Digest(in->data, in->len, h, NULL, EVP_sha256(), NULL);
	if (!vet_bundle(b, e, h, in->len, prev.id ? &prev : NULL, NULL,
	    &cfg->vet, (int64_t)time(NULL), &r)) {
		warnx("vetting: out of memory");
		goto out;
	}
	if (json != NULL)
		*json = vet_report_json(&r);
	else
		report_print_vet(stdout, 0, fn, &r, 1);
	rc = r.verdict == VERDICT_ACCEPTED ? EXIT_DONE :
	    r.verdict == VERDICT_QUARANTINED ? EXIT_QUARANTINED : EXIT_REFUSED;
	vet_report_free(&r);
 out:
	rootset_free(&prev);
	db_close(db);
	free(path);
	return rc;
}

/*
 * Parse FILE and list it.  Exit 0 for a readable bundle, 1 with the
 * block, line and reason for a refused one, 4 when FILE cannot be read.
 * With --vet the verdict decides: 0 accepted, 5 quarantined, 1 rejected.
 * Mozilla's certdata.txt (certdata_sniff) is read by its own reader and
 * listed with trust and distrust-after dates; --vet judges PEM only.
 */
int
cmd_inspect(const struct config *cfg, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "vet", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct bundle_error	 e;
	struct bundle		*b = NULL;
	struct buf		 in;
	json_t			*vet = NULL;
	int			 ch, json = 0, dovet = 0, rc = EXIT_LOCAL;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else if (ch == 'v')
			dovet = 1;
		else
			goto usage;
	}
	if (argc - optind != 1)
		goto usage;
	/* certdata.txt may be larger than a bundle; bundle_parse caps. */
	buf_init(&in, CERTDATA_MAX_BYTES > BUNDLE_MAX_BYTES ?
	    CERTDATA_MAX_BYTES : BUNDLE_MAX_BYTES);
	if (!buf_readfile(&in, argv[optind])) {
		rc = errno == EFBIG ? EXIT_REFUSED : EXIT_LOCAL;
		goto out;
	}
	if (certdata_sniff(in.data, in.len)) {
		if (dovet) {
			warnx("%s: certdata.txt: --vet judges PEM bundles only",
			    argv[optind]);
			rc = EXIT_USAGE;
		} else
			rc = inspect_certdata(argv[optind], &in, json);
		goto out;
	}
	if ((b = bundle_parse(in.data, in.len, &e)) == NULL) {
		warnx("%s: %s", argv[optind], e.msg);
		rc = EXIT_REFUSED;
	} else
		rc = EXIT_DONE;
	if (json) {
		if (dovet)
			rc = inspect_vet(cfg, argv[optind], &in, b, &e, &vet);
		if (!inspect_json(argv[optind], &in, b, &e, vet)) {
			warnx("writing JSON failed");
			rc = EXIT_LOCAL;
		}
	} else {
		if (b != NULL)
			inspect_text(argv[optind], b);
		if (dovet)
			rc = inspect_vet(cfg, argv[optind], &in, b, &e, NULL);
	}
 out:
	bundle_free(b);
	buf_free(&in);
	return rc;
 usage:
	fprintf(stderr, "usage: cabundled inspect [--json] [--vet] FILE\n");
	return EXIT_USAGE;
}
