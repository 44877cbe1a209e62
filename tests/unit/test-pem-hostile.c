/*
 * test-pem-hostile.c - bad upstream answers: the five that are not a
 * bundle fail each with its own reason, block and line; the four that
 * are bundles parse (vetting, not the reader, must catch those).
 */
#include <string.h>

#include "bundle.h"
#include "testutil.h"

static const struct {
	const char	*file;
	enum bundle_err	 code;
	size_t		 block;
	size_t		 line;
	const char	*words;		/* must appear in the message */
} refused[] = {
	{ "hostile/truncated-mid-cert.pem", BUNDLE_TRUNCATED, 121, 3934,
	    "truncated: the input ends inside the PEM block" },
	{ "hostile/captive-portal.html", BUNDLE_HTML, 0, 1,
	    "HTML, not a PEM bundle" },
	{ "hostile/corrupted-base64.pem", BUNDLE_BAD_BASE64, 60, 2020,
	    "invalid base64 character '*' at column 17" },
	{ "hostile/empty.pem", BUNDLE_EMPTY, 0, 0, "empty input" },
	{ "hostile/der-instead-of-pem.der", BUNDLE_DER, 0, 0,
	    "binary DER data, not a PEM bundle" },
};

static const struct {
	const char	*file;
	size_t		 count;
} parsed[] = {
	{ "hostile/leaf-appended.pem", 122 },
	{ "hostile/duplicate-cert.pem", 122 },
	{ "hostile/only-3-certs.pem", 3 },
	{ "hostile/evil-root-added.pem", 122 },
};

static void
test_refused(void **state)
{
	struct bundle_error	 e;
	struct buf		 in;
	size_t			 i, j;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		fixture_read(refused[i].file, &in);
		assert_null(bundle_parse(in.data, in.len, &e));
		if (e.code != refused[i].code ||
		    strstr(e.msg, refused[i].words) == NULL)
			fail_msg("%s: got %s: %s", refused[i].file,
			    bundle_errname(e.code), e.msg);
		assert_int_equal(e.block, refused[i].block);
		assert_int_equal(e.line, refused[i].line);
		/* Each reason is its own: no two fixtures share one. */
		for (j = 0; j < i; j++)
			assert_int_not_equal(refused[j].code, e.code);
		buf_free(&in);
	}
}

static void
test_parsed(void **state)
{
	struct bundle_error	 e;
	struct bundle		*b;
	struct buf		 in;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(parsed) / sizeof(parsed[0]); i++) {
		fixture_read(parsed[i].file, &in);
		if ((b = bundle_parse(in.data, in.len, &e)) == NULL)
			fail_msg("%s: %s", parsed[i].file, e.msg);
		assert_int_equal(b->ncerts, parsed[i].count);
		bundle_free(b);
		buf_free(&in);
	}
}

/* What the reader reports lets vetting see the leaf for what it is. */
static void
test_leaf_fields(void **state)
{
	struct bundle_error	 e;
	struct bundle		*b;
	struct buf		 in;
	const struct cert	*leaf;

	(void)state;
	fixture_read("hostile/leaf-appended.pem", &in);
	assert_non_null(b = bundle_parse(in.data, in.len, &e));
	leaf = &b->certs[b->ncerts - 1];
	assert_false(leaf->ca);
	assert_false(leaf->self_signed);
	assert_int_equal(leaf->version, 3);
	assert_non_null(strstr(leaf->subject, "CN=leaf.evil-root.test"));
	bundle_free(b);
	buf_free(&in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_parsed),
		cmocka_unit_test(test_leaf_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
