/*
 * test-keylist-vectors.c - doc/SPEC.md 11.6: the key list vectors in
 * doc/vectors (written by mkvectors.py, in Python, and accepted by
 * stock minisign) are accepted or refused by common/keylist.c as the
 * specification says, and keylist_write gives back the same bytes.
 */
#include <string.h>

#include "keylist.h"
#include "testutil.h"

#define V(name)		"../../doc/vectors/" name
#define CREATED		1767225600
#define EXPIRES		1782864000

static struct pubkey	 root1, root2;

static void
load(const char *name, struct buf *b)
{
	fixture_read(name, b);
}

static void
anchors(void)
{
	assert_true(pubkey_load(fixture_path(V("root.pub")), &root1));
	assert_true(pubkey_load(fixture_path(V("root2.pub")), &root2));
}

/* Verify list with the signature files given, NULL-terminated. */
static int
check(const struct keylist *prev, const char *list, const char **sigfiles,
    struct keylist *out, char *why)
{
	struct buf		 text, sb[4];
	struct keylist_sig	 sigs[4];
	size_t			 n;
	int			 ok;

	load(list, &text);
	for (n = 0; sigfiles[n] != NULL; n++) {
		load(sigfiles[n], &sb[n]);
		sigs[n].text = (const char *)sb[n].data;
		sigs[n].len = sb[n].len;
	}
	ok = keylist_verify(prev, &root1, 1, (const char *)text.data,
	    text.len, sigs, n, out, NULL, why, 300);
	while (n-- > 0)
		buf_free(&sb[n]);
	buf_free(&text);
	return ok;
}

static void
test_good(void **state)
{
	static const char *s1[] = { V("keys-1.minisig"), NULL };
	static const char *s2[] = { V("keys-2.minisig"),
	    V("keys-2.A6757F2319623903.minisig"), NULL };
	struct keylist	 l1, l2;
	struct pubkey	 ks[KEYLIST_KEYS_MAX];
	struct buf	 text, w;
	char		 why[300], id[17];

	(void)state;
	anchors();
	assert_true(check(NULL, V("keys-1"), s1, &l1, why));
	assert_int_equal(l1.version, 1);
	assert_int_equal(l1.nkeys, 2);
	keyid_format(l1.roots[0].keyid, id);
	assert_string_equal(id, "4C476354A75A4756");
	assert_true(keylist_check_time(&l1, CREATED, why, sizeof(why)));
	assert_false(keylist_check_time(&l1, EXPIRES, why, sizeof(why)));
	assert_non_null(strstr(why, "expired"));
	assert_int_equal(keylist_signing_keys(&l1, CREATED, ks,
	    KEYLIST_KEYS_MAX), 2);
	/* The root rotation: signed by the old and the new root. */
	assert_true(check(&l1, V("keys-2"), s2, &l2, why));
	assert_int_equal(keylist_signing_keys(&l2, CREATED, ks,
	    KEYLIST_KEYS_MAX), 1);
	assert_true(keylist_has_root(&l2, &root2));
	/* Canonical: written back byte for byte. */
	load(V("keys-2"), &text);
	buf_init(&w, KEYLIST_MAX);
	assert_true(keylist_write(&l2, &w));
	assert_int_equal(w.len, text.len);
	assert_memory_equal(w.data, text.data, text.len);
	buf_free(&w);
	buf_free(&text);
}

static void
test_refused(void **state)
{
	static const char *cmt[] = { V("bad-comment.minisig"), NULL };
	static const char *old[] = { V("keys-2.minisig"), NULL };
	static const char *newonly[] = { V("bad-new-root-only.minisig"),
	    NULL };
	static const char *s1[] = { V("keys-1.minisig"), NULL };
	static const struct {
		const char	*list;
		const char	*word;
	} bad[] = {
		{ V("bad-leading-zero"), "decimal" },
		{ V("bad-crlf"), "CR" },
		{ V("bad-threshold"), "threshold 2" },
		{ V("bad-root-online"), "named twice" },
	};
	struct keylist	 l1, out;
	struct buf	 b;
	char		 why[300], sig[128];
	const char	*one[2] = { sig, NULL };
	size_t		 i;

	(void)state;
	anchors();
	assert_false(check(NULL, V("keys-1"), cmt, &out, why));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(sig, sizeof(sig), "%s.minisig", bad[i].list);
		assert_false(check(NULL, bad[i].list, one, &out, why));
		if (strstr(why, bad[i].word) == NULL)
			fail_msg("%s: %s", bad[i].list, why);
		load(bad[i].list, &b);
		assert_false(keylist_parse((const char *)b.data, b.len, &out,
		    why, sizeof(why)));
		buf_free(&b);
	}
	assert_true(check(NULL, V("keys-1"), s1, &l1, why));
	/* Version 2 by the new root alone, or by the old one alone. */
	assert_false(check(&l1, V("bad-new-root-only"), newonly, &out, why));
	assert_non_null(strstr(why, "root keys of version 1"));
	assert_false(check(&l1, V("keys-2"), old, &out, why));
	assert_non_null(strstr(why, "own root keys"));
	/* Not the next version. */
	assert_false(check(&l1, V("keys-1"), s1, &out, why));
	assert_non_null(strstr(why, "where 2 was asked"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
