/*
 * test-meta-grammar.c - SPEC 7: one canonical text per metadata set.
 * Every case of ATTACKS 10 and the C-suite additions is refused.
 */
#include <string.h>

#include "meta.h"
#include "num.h"
#include "testutil.h"

#define H "50db2bc8d8af1d0ac5b62bfdfe541a8e87bc082211d68b0532a42e32209f6734"
#define PRE "format:cabundle/1\tprofile:mozilla+acme\t"
#define GOOD PRE "version:1042\tcreated:1767225600\texpires:1768435200\t" \
	"size:237275\tsha256:" H

static const struct {
	const char	*name;
	const char	*t;
	int		 ok;
} cases[] = {
	{ "good", GOOD, 1 },
	{ "largest version", PRE "version:9223372036854775807\tcreated:1\t"
	    "expires:2\tsize:1\tsha256:" H, 1 },
	{ "version:02", PRE "version:02\tcreated:1\texpires:2\tsize:1\t"
	    "sha256:" H, 0 },
	{ "version 2^63", PRE "version:9223372036854775808\tcreated:1\t"
	    "expires:2\tsize:1\tsha256:" H, 0 },
	{ "version 0", PRE "version:0\tcreated:1\texpires:2\tsize:1\tsha256:"
	    H, 0 },
	{ "version +7", PRE "version:+7\tcreated:1\texpires:2\tsize:1\t"
	    "sha256:" H, 0 },
	{ "version: 2", PRE "version: 2\tcreated:1\texpires:2\tsize:1\t"
	    "sha256:" H, 0 },
	{ "second version instead of created", PRE "version:2\tversion:1\t"
	    "expires:2\tsize:1\tsha256:" H, 0 },
	{ "sha256:sha256:", PRE "version:2\tcreated:1\texpires:2\tsize:1\t"
	    "sha256:sha256:" H, 0 },
	{ "missing field", PRE "version:2\tcreated:1\texpires:2\tsize:1", 0 },
	{ "eighth field", GOOD "\textra:1", 0 },
	{ "trailing TAB", GOOD "\t", 0 },
	{ "upper-case hex", PRE "version:2\tcreated:1\texpires:2\tsize:1\t"
	    "sha256:50DB2BC8D8AF1D0AC5B62BFDFE541A8E87BC082211D68B0532A42E32209F"
	    "6734", 0 },
	{ "short hex", PRE "version:2\tcreated:1\texpires:2\tsize:1\tsha256:"
	    "50db", 0 },
	{ "non-ASCII byte", "format:cabundle/1\tprofile:mozill\xc3\xa4\t"
	    "version:2\tcreated:1\texpires:2\tsize:1\tsha256:" H, 0 },
	{ "empty value", PRE "version:\tcreated:1\texpires:2\tsize:1\t"
	    "sha256:" H, 0 },
	{ "empty profile", "format:cabundle/1\tprofile:\tversion:2\t"
	    "created:1\texpires:2\tsize:1\tsha256:" H, 0 },
	{ "upper-case profile", "format:cabundle/1\tprofile:Mozilla\t"
	    "version:2\tcreated:1\texpires:2\tsize:1\tsha256:" H, 0 },
	{ "profile starting with '-'", "format:cabundle/1\tprofile:-x\t"
	    "version:2\tcreated:1\texpires:2\tsize:1\tsha256:" H, 0 },
	{ "key list document", "format:cabundle-keys/1\tprofile:x\t"
	    "version:2\tcreated:1\texpires:2\tsize:1\tsha256:" H, 0 },
	{ "fields out of order", "profile:x\tformat:cabundle/1\tversion:2\t"
	    "created:1\texpires:2\tsize:1\tsha256:" H, 0 },
	{ "two spaces for a TAB", "format:cabundle/1  profile:x\tversion:2\t"
	    "created:1\texpires:2\tsize:1\tsha256:" H, 0 },
	{ "created == expires", PRE "version:2\tcreated:5\texpires:5\t"
	    "size:1\tsha256:" H, 0 },
	{ "created after expires", PRE "version:2\tcreated:6\texpires:5\t"
	    "size:1\tsha256:" H, 0 },
	{ "empty", "", 0 },
};

static void
test_cases(void **state)
{
	struct meta	 m;
	char		 why[256], again[512];
	size_t		 i;
	int		 ok;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		ok = meta_parse(cases[i].t, strlen(cases[i].t), &m, why,
		    sizeof(why));
		if (ok != cases[i].ok)
			fail_msg("%s: %s (%s)", cases[i].name,
			    ok ? "accepted" : "refused", why);
		if (!ok) {
			assert_true(why[0] != '\0');
			continue;
		}
		/* Accepted texts are canonical: they format back unchanged. */
		assert_true(meta_format(&m, again, sizeof(again)));
		assert_string_equal(again, cases[i].t);
	}
}

static void
test_format_refuses(void **state)
{
	struct meta	 m;
	char		 t[512];

	(void)state;
	assert_true(meta_parse(GOOD, strlen(GOOD), &m, t, sizeof(t)));
	m.version = 0;
	assert_false(meta_format(&m, t, sizeof(t)));
	m.version = (uint64_t)INT64_MAX + 1;
	assert_false(meta_format(&m, t, sizeof(t)));
	m.version = 1;
	m.expires = m.created;
	assert_false(meta_format(&m, t, sizeof(t)));
	m.expires = m.created + 1;
	strcpy(m.profile, "Bad");
	assert_false(meta_format(&m, t, sizeof(t)));
	strcpy(m.profile, "ok");
	assert_false(meta_format(&m, t, 20));
	assert_true(meta_format(&m, t, sizeof(t)));
}

static void
test_numbers(void **state)
{
	uint64_t	 v;
	long long	 ll;

	(void)state;
	assert_true(num_u63("1", 1, &v) && v == 1);
	assert_true(num_u63("9223372036854775807", 19, &v) &&
	    v == 9223372036854775807ULL);
	assert_false(num_u63("9223372036854775808", 19, &v));
	assert_false(num_u63("99999999999999999999", 20, &v));
	assert_false(num_u63("0", 1, &v));
	assert_false(num_u63("", 0, &v));
	assert_false(num_u63("1a", 2, &v));
	assert_true(num_range("42", 1, 100, &ll) && ll == 42);
	assert_false(num_range("101", 1, 100, &ll));
	assert_false(num_range("4x", 1, 100, &ll));
	assert_false(num_range("", 1, 100, &ll));
	assert_false(num_range(" 4", 1, 100, &ll));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_format_refuses),
		cmocka_unit_test(test_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
