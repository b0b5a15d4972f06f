/* test_strbuf.c — the growable string, and strbuf_put_json against jansson's
 * own json_dumps: the text must be the same byte for byte, check --json
 * prints it in place of jansson's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <math.h>

#include "contactwatch/strbuf.h"

static void test_appends_and_steal(void **state)
{
	(void)state;
	strbuf b = { 0 };
	char *s = NULL;
	size_t len = 0;

	strbuf_puts(&b, "abc");
	strbuf_putc(&b, '-');
	strbuf_printf(&b, "%d/%s", 42, "x");
	for (int i = 0; i < 100; i++)
		strbuf_printf(&b, "%s", "0123456789");
	assert_int_equal(strbuf_steal(&b, &s, &len), 0);
	assert_int_equal(len, 8 + 1000);
	assert_memory_equal(s, "abc-42/x0123", 12);
	assert_int_equal(strlen(s), len);
	free(s);
	assert_null(b.s);
	assert_int_equal(strbuf_steal(&b, &s, NULL), 0);
	assert_string_equal(s, "");
	free(s);
}

/* json_dumps' text of j at depth 0 with JSON_INDENT(indent), each line
 * after the first moved right by depth * indent: what j looks like nested
 * that deep. */
static char *dumps_at_depth(const json_t *j, unsigned indent, unsigned depth)
{
	char *flat = json_dumps(j, JSON_INDENT(indent) | JSON_ENCODE_ANY);
	strbuf b = { 0 };
	char *ret = NULL;

	assert_non_null(flat);
	for (const char *p = flat; *p; p++) {
		strbuf_putc(&b, *p);
		if (*p == '\n')
			for (unsigned i = 0; i < depth * indent; i++)
				strbuf_putc(&b, ' ');
	}
	free(flat);
	assert_int_equal(strbuf_steal(&b, &ret, NULL), 0);
	return ret;
}

static void assert_same_as_jansson(const json_t *j, unsigned indent, unsigned depth)
{
	_cleanup_free_ char *want = dumps_at_depth(j, indent, depth);
	strbuf b = { 0 };
	char *got = NULL;

	strbuf_put_json(&b, j, indent, depth);
	assert_int_equal(strbuf_steal(&b, &got, NULL), 0);
	assert_string_equal(got, want);
	free(got);
}

static void test_put_json_as_jansson(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"{}",
		"[]",
		"{\"a\": {}, \"b\": [], \"c\": [[]], \"d\": [{}]}",
		"{\"matches\": [{\"file\": \"x.csv\", \"record\": 12, \"line\": -3, \"contact\": {\"name\": \"J\\u00fcrgen\", "
		"\"email\": null}, \"score\": 0.94, \"review\": true, \"gone\": false}]}",
		"[\"quote \\\" backslash \\\\ slash / tab \\t nl \\n cr \\r bs \\b ff \\f\", \"\\u0001\\u001f\\u007f\"]",
		"[\"\\u20ac \\ud83d\\ude00 \\u00e9\", \"\\u2028\\u2029\"]",
		"[0, 1, -1, 9223372036854775807, -9223372036854775808, 10, 100]",
		"[0.0, -0.0, 1.0, -1.5, 0.1, 1e-05, 0.0001, 123456789012345678, 1e17, 1e300, 5e-324, 2.5e-7, 1e16]",
		"{\"deep\": {\"er\": {\"est\": [1, [2, [3, {\"k\": \"v\"}]]]}}}",
		"[\"a key\", {\"k\\u00e9y \\\"q\\\"\": 1, \"\": 2}]",
	};

	for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
		json_error_t err;
		json_t *j = json_loads(texts[i], JSON_DECODE_ANY, &err);
		assert_non_null(j);
		for (unsigned depth = 0; depth <= 3; depth++) {
			assert_same_as_jansson(j, 2, depth);
			assert_same_as_jansson(j, 4, depth);
		}
		assert_same_as_jansson(j, 31, 1);
		json_decref(j);
	}

	/* Strings with a NUL and every control character, and a bare scalar. */
	char all[40];
	for (int c = 0; c < 0x20; c++)
		all[c] = (char)c;
	memcpy(all + 0x20, "\"\\/\x7f" "abcd", 8);
	json_t *j = json_pack("{s:s#, s:b, s:n}", "all", all, (int)sizeof all, "t", 1, "n");
	assert_non_null(j);
	assert_same_as_jansson(j, 2, 0);
	assert_same_as_jansson(j, 2, 2);
	json_decref(j);
	j = json_stringn("x\0y", 3);
	assert_same_as_jansson(j, 2, 0);
	json_decref(j);
}

/* "%.17g" and jansson's touches (".0", no '+' or leading zeros in the
 * exponent) for every kind of double: the common range is computed
 * without printf, so it is compared against jansson over many values. */
static void test_put_json_reals(void **state)
{
	(void)state;
	uint64_t rs = 88172645463325252ull;
	size_t n = 0;

	for (int i = 0; i < 400000; i++) {
		double v;
		rs ^= rs << 13;
		rs ^= rs >> 7;
		rs ^= rs << 17;
		switch (i % 4) {
		case 0: /* any double */
			memcpy(&v, &rs, sizeof v);
			break;
		case 1: /* 53 random bits, mostly between 1e-20 and 1e16 */
			v = ldexp((double)(rs >> 11), -(int)(rs % 120));
			break;
		case 2: /* decimal fractions: scores */
			v = (double)(rs % 1000000) / 1000.0;
			break;
		default: { /* exact ties at the 18th digit: t / 2^(k+1), t odd */
			int k = 12 + (int)(rs % 11);
			double lo = ldexp(pow(10, 16 - k), k + 1), hi = ldexp(pow(10, 17 - k), k + 1);
			if (hi > 9007199254740992.0)
				hi = 9007199254740992.0;
			if (lo >= hi)
				continue;
			uint64_t t = (uint64_t)lo + (rs >> 8) % (uint64_t)(hi - lo);
			v = ldexp((double)(t | 1), -(k + 1));
			break;
		}
		}
		if (rs & 1)
			v = -v;
		json_t *j = json_real(v);
		if (!j)
			continue; /* NaN and infinities are not JSON */
		char *want = json_dumps(j, JSON_ENCODE_ANY);
		strbuf b = { 0 };
		strbuf_put_json(&b, j, 2, 0);
		assert_non_null(b.s);
		assert_string_equal(b.s, want);
		free(want);
		strbuf_done(&b);
		json_decref(j);
		n++;
	}
	assert_true(n > 300000);
}

/* Where jansson's dump fails, so does strbuf_put_json: a string that is
 * not UTF-8 (only a _nocheck constructor makes one). The buffer keeps the
 * error, like an allocation failure. */
static void test_put_json_invalid_utf8(void **state)
{
	(void)state;
	static const char *const bad[] = { "\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82" };

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		json_t *j = json_pack("[s, o]", "ok", json_stringn_nocheck(bad[i], strlen(bad[i])));
		strbuf b = { 0 };
		char *s = NULL;
		assert_non_null(j);
		assert_null(json_dumps(j, JSON_INDENT(2)));
		strbuf_put_json(&b, j, 2, 0);
		assert_int_equal(strbuf_steal(&b, &s, NULL), -EILSEQ);
		assert_null(b.s);
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appends_and_steal),
		cmocka_unit_test(test_put_json_as_jansson),
		cmocka_unit_test(test_put_json_reals),
		cmocka_unit_test(test_put_json_invalid_utf8),
	};
	return cmocka_run_group_tests_name("strbuf", tests, NULL, NULL);
}
