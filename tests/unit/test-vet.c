/*
 * test-vet.c - vet_bundle(), the pure vetting function, where the real
 * fixtures cannot show it: self-signed CAs made here with OpenSSL (an
 * RSA 1024 key, one valid only from tomorrow, one expired yesterday, EC
 * P-256 against min_ec_bits); then with the 2025.07.14 bundle as the
 * accepted snapshot and 2026.07.22 as the new body: churn arithmetic
 * and its boundaries, a pinned digest (which never saves a body with
 * nothing to serve), the cross-check source, and the JSON form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "bundle.h"
#include "encode.h"
#include "testutil.h"
#include "vet.h"

#define NOW	((time_t)1784678400)	/* 2026-07-22T00:00:00Z */
#define OLD	"upstream/cacert-2025.07.14.pem"	/* 146 roots */
#define NEW	"upstream/cacert-2026.07.22.pem"	/* 121 roots */

/* config_defaults()'s [vet], without its built-in anchors. */
static void
policy(struct vet_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	pol->max_removed = 10;
	pol->max_removed_pct = 1;
	pol->max_added = 0;
	pol->drop_expired = 1;
	pol->expired = LEVEL_WARNING;
	pol->not_yet_valid = LEVEL_QUARANTINE;
	pol->weak_key = LEVEL_QUARANTINE;
	pol->min_rsa_bits = 2048;
	pol->min_ec_bits = 256;
}

/*
 * Fill c with a v3 self-signed CA (basicConstraints critical CA:TRUE)
 * named and labelled cn, valid from NOW + from to NOW + to days, on a
 * fresh RSA key of rsabits bits, or EC P-256 when rsabits is 0.
 */
static void
make_ca(struct cert *c, size_t rsabits, const char *cn, int from, int to)
{
	static long	 serial = 1;
	EVP_PKEY	*key;
	X509		*x;
	X509_NAME	*name;
	X509_EXTENSION	*ext;
	unsigned char	*der = NULL;
	time_t		 now = NOW;
	char		 why[256];
	int		 len;

	key = rsabits ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", rsabits) :
	    EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(key);
	assert_non_null(x = X509_new());
	name = X509_get_subject_name(x);
	assert_true(X509_set_version(x, 2) &&
	    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++) &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) &&
	    X509_set_issuer_name(x, name) &&
	    X509_time_adj_ex(X509_getm_notBefore(x), from, 0, &now) &&
	    X509_time_adj_ex(X509_getm_notAfter(x), to, 0, &now) &&
	    X509_set_pubkey(x, key));
	assert_non_null(ext = X509V3_EXT_nconf_nid(NULL, NULL,
	    NID_basic_constraints, "critical,CA:TRUE"));
	assert_true(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_true((len = i2d_X509(x, &der)) > 0);
	if (!cert_init(c, der, (size_t)len, cn, why, sizeof(why)))
		fail_msg("cert_init %s: %s", cn, why);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(key);
	assert_true(c->ca && c->self_signed && c->version == 3);
}

/* An empty bundle of n certificates; bundle_free() releases it. */
static struct bundle *
new_bundle(size_t n)
{
	struct bundle	*b;

	assert_non_null(b = calloc(1, sizeof(*b)));
	assert_non_null(b->certs = calloc(n, sizeof(*b->certs)));
	b->ncerts = n;
	return b;
}

/* The roots of b as a snapshot's (or cross-check source's) set. */
static void
roots_of(struct rootset *s, const struct bundle *b, int64_t id)
{
	size_t	 i;

	memset(s, 0, sizeof(*s));
	s->id = id;
	assert_non_null(s->fp = calloc(b->ncerts, sizeof(*s->fp)));
	assert_non_null(s->labels = calloc(b->ncerts, sizeof(*s->labels)));
	for (i = 0; i < b->ncerts; i++) {
		memcpy(s->fp[i], b->certs[i].sha256, 32);
		s->labels[i] = b->certs[i].label;
	}
	s->n = b->ncerts;
}

static void
roots_free(struct rootset *s)
{
	free(s->fp);
	free(s->labels);
}

/*
 * Vet b against a snapshot that held exactly its roots, so nothing is
 * added or removed and only the per-certificate checks speak.
 */
static void
vet_same(const struct bundle *b, const struct vet_policy *pol,
    struct vet_report *r)
{
	struct rootset	 prev;
	unsigned char	 digest[32];

	memset(digest, 0xab, sizeof(digest));
	roots_of(&prev, b, 1);
	assert_true(vet_bundle(b, NULL, digest, 1, &prev, NULL, pol, NOW, r));
	roots_free(&prev);
	assert_int_equal(r->nadded, 0);
	assert_int_equal(r->nremoved, 0);
}

/*
 * Fail, listing the report, unless it has a row of check at level about
 * c (label and SHA-256; NULL: the whole bundle) whose rule holds text.
 */
static void
need_row(const struct vet_report *r, const char *check, enum level level,
    const struct cert *c, const char *text)
{
	const struct vet_row	*row;
	char			 hex[65] = "";
	size_t			 i;

	if (c != NULL)
		hex_encode(c->sha256, 32, hex);
	for (i = 0; i < r->nrows; i++) {
		row = &r->rows[i];
		if (strcmp(row->check, check) == 0 && row->level == level &&
		    strcmp(row->sha256, hex) == 0 &&
		    (c == NULL ? row->label == NULL : row->label != NULL &&
		    strcmp(row->label, c->label) == 0) &&
		    (text == NULL || strstr(row->rule, text) != NULL))
			return;
	}
	for (i = 0; i < r->nrows; i++)
		print_message("  %s %s %s: %s\n", r->rows[i].check,
		    vet_levelname(r->rows[i].level), r->rows[i].label ?
		    r->rows[i].label : "-", r->rows[i].rule);
	fail_msg("no %s row at %s about %s with \"%s\"", check,
	    vet_levelname(level), c != NULL ? c->label : "the bundle",
	    text != NULL ? text : "");
}

static size_t
count_rows(const struct vet_report *r, const char *check)
{
	size_t	 i, n = 0;

	for (i = 0; i < r->nrows; i++)
		n += strcmp(r->rows[i].check, check) == 0;
	return n;
}

/* vet_report_json(): the same verdict, as many rows. */
static void
check_json(const struct vet_report *r)
{
	json_t	*o, *rows;

	assert_non_null(o = vet_report_json(r));
	assert_string_equal(json_string_value(json_object_get(o, "verdict")),
	    vet_verdictname(r->verdict));
	rows = json_object_get(o, "rows");
	assert_true(json_is_array(rows));
	assert_int_equal(json_array_size(rows), r->nrows);
	assert_int_equal(json_integer_value(json_object_get(o, "added")),
	    r->nadded);
	json_decref(o);
}

/* One fresh root per case, vetted under the policy the case sets. */
static const struct {
	const char	*cn;
	size_t		 rsabits;	/* 0: EC P-256 */
	int		 from;		/* notBefore, days from NOW */
	enum level	 weak_key;
	int		 min_bits;	/* min_rsa/ec_bits, 0: default */
	const char	*check;		/* the one row expected, NULL: none */
	enum level	 level;
	const char	*rule;
	enum verdict	 verdict;
} one[] = {
	{ "RSA 1024 Root", 1024, -30, LEVEL_QUARANTINE, 0,
	  "weak-key", LEVEL_QUARANTINE, "RSA 1024 key", VERDICT_QUARANTINED },
	{ "RSA 1024 Warned", 1024, -30, LEVEL_WARNING, 0,
	  "weak-key", LEVEL_WARNING, "RSA 1024 key", VERDICT_ACCEPTED },
	{ "RSA 1024 Refused", 1024, -30, LEVEL_ERROR, 0,
	  "weak-key", LEVEL_ERROR, "RSA 1024 key", VERDICT_REJECTED },
	/* "Below" is strict: 1024 bits meet min_rsa_bits 1024. */
	{ "RSA 1024 Enough", 1024, -30, LEVEL_QUARANTINE, 1024,
	  NULL, LEVEL_INFO, NULL, VERDICT_ACCEPTED },
	{ "EC P-256 Root", 0, -30, LEVEL_QUARANTINE, 0,
	  NULL, LEVEL_INFO, NULL, VERDICT_ACCEPTED },
	{ "EC P-256 Short", 0, -30, LEVEL_QUARANTINE, 384,
	  "weak-key", LEVEL_QUARANTINE, "EC P-256 key", VERDICT_QUARANTINED },
	{ "Tomorrow's Root", 0, 1, LEVEL_QUARANTINE, 0,
	  "not-yet-valid", LEVEL_QUARANTINE, "not valid before 2026-07-23",
	  VERDICT_QUARANTINED },
};

static void
test_one_root(void **state)
{
	struct bundle		*b;
	struct vet_policy	 pol;
	struct vet_report	 r;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		b = new_bundle(1);
		make_ca(&b->certs[0], one[i].rsabits, one[i].cn, one[i].from,
		    3650);
		policy(&pol);
		pol.weak_key = one[i].weak_key;
		if (one[i].min_bits && one[i].rsabits)
			pol.min_rsa_bits = one[i].min_bits;
		else if (one[i].min_bits)
			pol.min_ec_bits = one[i].min_bits;
		vet_same(b, &pol, &r);
		if (one[i].check != NULL)
			need_row(&r, one[i].check, one[i].level, &b->certs[0],
			    one[i].rule);
		assert_int_equal(r.nrows, one[i].check != NULL);
		assert_int_equal(r.verdict, one[i].verdict);
		vet_report_free(&r);
		bundle_free(b);
	}
}

/*
 * Expired yesterday: a warning and dropped from the served set; when
 * it was the only certificate, nothing is left to serve.
 */
static void
test_expired(void **state)
{
	struct bundle		*b = new_bundle(2);
	struct vet_policy	 pol;
	struct vet_report	 r;

	(void)state;
	make_ca(&b->certs[0], 0, "Expired Root", -3650, -1);
	make_ca(&b->certs[1], 0, "Live Root", -30, 3650);
	policy(&pol);
	vet_same(b, &pol, &r);
	need_row(&r, "expired", LEVEL_WARNING, &b->certs[0],
	    "dropped from the served set");
	assert_int_equal(r.dropped[0], 1);
	assert_int_equal(r.dropped[1], 0);
	assert_int_equal(count_rows(&r, "reader"), 0);
	assert_int_equal(r.verdict, VERDICT_ACCEPTED);
	vet_report_free(&r);

	b->ncerts = 1;		/* only the expired one */
	vet_same(b, &pol, &r);
	need_row(&r, "expired", LEVEL_WARNING, &b->certs[0], NULL);
	assert_int_equal(r.dropped[0], 1);
	need_row(&r, "reader", LEVEL_ERROR, NULL,
	    "no certificate left after dropping expired ones");
	assert_int_equal(r.verdict, VERDICT_REJECTED);
	check_json(&r);
	vet_report_free(&r);
	/* Pinning the body (vet_same's digest) leaves nothing to serve. */
	memset(pol.digests.v[0], 0xab, 32);
	pol.digests.n = 1;
	vet_same(b, &pol, &r);
	assert_int_equal(r.pinned, 1);
	need_row(&r, "reader", LEVEL_ERROR, NULL, "no certificate left");
	assert_int_equal(r.verdict, VERDICT_REJECTED);
	vet_report_free(&r);
	b->ncerts = 2;
	bundle_free(b);
}

/* The 2025.07.14 bundle as snapshot 7, the 2026.07.22 body as new. */
struct pair {
	struct bundle	*old, *new;
	struct rootset	 prev;
	unsigned char	 digest[32];	/* of the new body */
	size_t		 size;
};

/* A real bundle; the SHA-256 and size of its body if digest. */
static struct bundle *
load(const char *file, unsigned char *digest, size_t *size)
{
	struct bundle_error	 e;
	struct bundle		*b;
	struct buf		 in;

	fixture_read(file, &in);
	if ((b = bundle_parse(in.data, in.len, &e)) == NULL)
		fail_msg("%s: %s", file, e.msg);
	if (digest != NULL) {
		assert_true(EVP_Digest(in.data, in.len, digest, NULL,
		    EVP_sha256(), NULL));
		*size = in.len;
	}
	buf_free(&in);
	return b;
}

static int
pair_setup(void **state)
{
	struct pair	*p;

	assert_non_null(p = calloc(1, sizeof(*p)));
	p->old = load(OLD, NULL, NULL);
	p->new = load(NEW, p->digest, &p->size);
	roots_of(&p->prev, p->old, 7);
	*state = p;
	return 0;
}

static int
pair_teardown(void **state)
{
	struct pair	*p = *state;

	roots_free(&p->prev);
	bundle_free(p->old);
	bundle_free(p->new);
	free(p);
	return 0;
}

/* Vet the new body against snapshot 7 (and cross, if not NULL). */
static void
vet_pair(const struct pair *p, const struct rootset *cross,
    const struct vet_policy *pol, struct vet_report *r)
{
	assert_true(vet_bundle(p->new, NULL, p->digest, p->size, &p->prev,
	    cross, pol, NOW, r));
	assert_int_equal(r->nadded, 7);
	assert_int_equal(r->nremoved, 32);
	assert_int_equal(r->baseline, 7);
}

/* The first new root: in the new bundle, not in snapshot 7. */
static const struct cert *
first_added(const struct pair *p)
{
	size_t	 i, j;

	for (i = 0; i < p->new->ncerts; i++) {
		for (j = 0; j < p->prev.n; j++)
			if (memcmp(p->prev.fp[j], p->new->certs[i].sha256,
			    32) == 0)
				break;
		if (j == p->prev.n)
			return &p->new->certs[i];
	}
	fail_msg("no added root");
	return NULL;
}

/* 7 roots added, 32 of 146 removed; the limits on both sides. */
static void
test_churn(void **state)
{
	struct pair		*p = *state;
	struct vet_policy	 pol;
	struct vet_report	 r;

	policy(&pol);
	vet_pair(p, NULL, &pol, &r);
	assert_int_equal(r.ncerts, 121);
	assert_int_equal(r.size, p->size);
	assert_int_equal(r.nrows, 7 + 32 + 2);	/* nothing else to say */
	assert_int_equal(count_rows(&r, "added"), 7);
	assert_int_equal(count_rows(&r, "removed"), 32);
	need_row(&r, "added", LEVEL_INFO, first_added(p),
	    "not in accepted snapshot 7");
	need_row(&r, "churn", LEVEL_QUARANTINE, NULL,
	    "32 of 146 roots removed (21.9%)");
	need_row(&r, "churn", LEVEL_QUARANTINE, NULL, "7 new root(s)");
	assert_int_equal(r.verdict, VERDICT_QUARANTINED);
	check_json(&r);
	vet_report_free(&r);

	/* 21% is within 25%, 7 added within max_added 7. */
	pol.max_removed = 25;
	pol.max_added = 7;
	vet_pair(p, NULL, &pol, &r);
	assert_int_equal(count_rows(&r, "churn"), 0);
	assert_int_equal(r.verdict, VERDICT_ACCEPTED);
	vet_report_free(&r);

	/* max_removed as a count: 32 removed is not more than 32 ... */
	pol.max_removed_pct = 0;
	pol.max_removed = 32;
	vet_pair(p, NULL, &pol, &r);
	assert_int_equal(count_rows(&r, "churn"), 0);
	assert_int_equal(r.verdict, VERDICT_ACCEPTED);
	vet_report_free(&r);
	/* ... but more than 31, as 7 added are more than 6. */
	pol.max_removed = 31;
	pol.max_added = 6;
	vet_pair(p, NULL, &pol, &r);
	need_row(&r, "churn", LEVEL_QUARANTINE, NULL,
	    "32 of 146 roots removed (21.9%), more than max_removed 31");
	need_row(&r, "churn", LEVEL_QUARANTINE, NULL, "(max_added 6)");
	assert_int_equal(count_rows(&r, "churn"), 2);
	assert_int_equal(r.verdict, VERDICT_QUARANTINED);
	vet_report_free(&r);
}

/*
 * A pinned body is accepted whatever the churn, its churn rows drop to
 * warnings; a pinned body the reader refuses is still refused.
 */
static void
test_pinned(void **state)
{
	struct pair		*p = *state;
	struct bundle_error	 perr;
	struct vet_policy	 pol;
	struct vet_report	 r;
	size_t			 i;

	policy(&pol);
	memset(pol.digests.v[0], 0x5a, 32);	/* some other body first */
	memcpy(pol.digests.v[1], p->digest, 32);
	pol.digests.n = 2;
	vet_pair(p, NULL, &pol, &r);
	assert_int_equal(r.pinned, 1);
	need_row(&r, "pinned-digest", LEVEL_INFO, NULL, "is a pinned");
	need_row(&r, "churn", LEVEL_WARNING, NULL,
	    "32 of 146 roots removed (21.9%)");
	need_row(&r, "churn", LEVEL_WARNING, NULL, "7 new root(s)");
	for (i = 0; i < r.nrows; i++)
		assert_true(r.rows[i].level <= LEVEL_WARNING);
	assert_int_equal(r.worst, LEVEL_WARNING);
	assert_int_equal(r.verdict, VERDICT_ACCEPTED);
	check_json(&r);
	vet_report_free(&r);

	/* The reader refused the (pinned) body: an HTML page. */
	memset(&perr, 0, sizeof(perr));
	perr.code = BUNDLE_HTML;
	perr.line = 1;
	snprintf(perr.msg, sizeof(perr.msg), "an HTML page, not a bundle");
	assert_true(vet_bundle(NULL, &perr, p->digest, p->size, &p->prev,
	    NULL, &pol, NOW, &r));
	assert_int_equal(r.pinned, 1);
	need_row(&r, "reader", LEVEL_ERROR, NULL,
	    "html: an HTML page, not a bundle");
	assert_int_equal(r.nrows, 1);
	assert_int_equal(r.verdict, VERDICT_REJECTED);
	check_json(&r);
	vet_report_free(&r);

	/*
	 * Pinning softens quarantine, not errors: a new root the
	 * cross-check source lacks is still refused.
	 */
	{
		struct rootset	 cross;

		memset(&cross, 0, sizeof(cross));
		cross.source = "test://cross";
		roots_of(&cross, p->old, 0);
		vet_pair(p, &cross, &pol, &r);
		assert_int_equal(r.pinned, 1);
		need_row(&r, "cross-check", LEVEL_ERROR, first_added(p),
		    "missing from the cross-check source");
		assert_int_equal(r.verdict, VERDICT_REJECTED);
		vet_report_free(&r);
		roots_free(&cross);
	}
}

/*
 * The cross-check source vouches for new roots (not counted against
 * max_added); a new root it lacks is refused; when it is unavailable,
 * the body waits in quarantine.
 */
static void
test_crosscheck(void **state)
{
	struct pair		*p = *state;
	const struct cert	*c = first_added(p);
	struct rootset		 cross;
	struct vet_policy	 pol;
	struct vet_report	 r;
	size_t			 i;

	roots_of(&cross, p->new, 0);
	cross.source = "test://cross";
	policy(&pol);
	pol.max_removed = 25;		/* only the added roots matter */
	vet_pair(p, &cross, &pol, &r);
	need_row(&r, "added", LEVEL_INFO, c, "vouched");
	assert_int_equal(count_rows(&r, "churn"), 0);
	assert_int_equal(count_rows(&r, "cross-check"), 0);
	assert_int_equal(r.verdict, VERDICT_ACCEPTED);
	vet_report_free(&r);

	/* Take c out of the source: refused. */
	for (i = 0; i < cross.n; i++)
		if (memcmp(cross.fp[i], c->sha256, 32) == 0)
			break;
	assert_true(i < cross.n);
	memcpy(cross.fp[i], cross.fp[cross.n - 1], 32);
	cross.labels[i] = cross.labels[--cross.n];
	vet_pair(p, &cross, &pol, &r);
	need_row(&r, "cross-check", LEVEL_ERROR, c, "test://cross: refused");
	assert_int_equal(count_rows(&r, "cross-check"), 1);
	assert_int_equal(r.verdict, VERDICT_REJECTED);
	vet_report_free(&r);

	/* Unavailable: the new roots are unvouched again (max_added 7). */
	cross.error = "connection timed out";
	pol.max_added = 7;
	vet_pair(p, &cross, &pol, &r);
	need_row(&r, "cross-check", LEVEL_QUARANTINE, NULL,
	    "test://cross unavailable: connection timed out");
	need_row(&r, "added", LEVEL_INFO, c, "not in accepted snapshot 7");
	assert_int_equal(count_rows(&r, "churn"), 0);
	assert_int_equal(r.verdict, VERDICT_QUARANTINED);
	vet_report_free(&r);
	roots_free(&cross);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_root),
		cmocka_unit_test(test_expired),
		cmocka_unit_test_setup_teardown(test_churn, pair_setup,
		    pair_teardown),
		cmocka_unit_test_setup_teardown(test_pinned, pair_setup,
		    pair_teardown),
		cmocka_unit_test_setup_teardown(test_crosscheck, pair_setup,
		    pair_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
