/* test_ingest_json.c — the JSON exports: golden files (tests/data/json/NAME.in
 * → NAME.ok, one JSON record per line) for each API's container, probing,
 * malformed documents with their exact error and line, and the input caps.
 * CW_UPDATE_GOLDEN=1 rewrites the .ok files (review the diff!). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "contactwatch/ingest.h"
#include "contactwatch/ingest_formats.h"
#include "golden.h"

#define DATA_DIR "tests/data/json/"

/* ---- golden files ------------------------------------------------------- */

static void test_golden(void **state)
{
	golden_check(DATA_DIR, *state, NULL, "json");
}

static void test_golden_forced(void **state)
{
	(void)state;
	golden_check(DATA_DIR, "graph", "json", "json");
}

/* ---- helpers ------------------------------------------------------------- */

typedef struct run {
	int r;
	ingest_result res;
	char *got;
} run;

/* ingest_buffer with the format forced and the given limits and chunk. */
static run run_limits(const char *buf, size_t len, const ingest_limits *limits, size_t chunk)
{
	golden_collect col;
	ingest_options opt = { .format = "json", .chunk_size = chunk };
	run x;
	if (limits)
		opt.limits = *limits;
	golden_collect_open(&col);
	x.r = ingest_buffer(buf, len, &opt, golden_collect_cb, &col, &x.res);
	x.got = golden_collect_close(&col);
	return x;
}

/* ---- probing -------------------------------------------------------------- */

static void test_probe(void **state)
{
	(void)state;
	static const struct {
		const char *head;
		int want;
	} cases[] = {
		{ "{\"value\": [", 80 },
		{ "\xef\xbb\xbf  \n{\"@odata.context\":\"x\",\"value\" :[", 80 },
		{ "{\"connections\":[{\"names\":[]}]}", 80 },
		{ "{\"results\":[", 80 },
		{ "{\"totalSize\":1,\"done\":true,\"records\":[", 80 },
		{ "[{\"givenName\":\"A\"}]", 80 },
		{ "[{\"properties\":{}}]", 80 },
		{ "[{\"x\":1}]", 20 },
		{ "{\"relations\":[]}", 20 },
		{ "{\"x\":\"value\"}", 20 }, /* "value" is a string here, not a key */
		{ "First Name,Last Name\n", 0 },
		{ "BEGIN:VCARD\r\n", 0 },
		{ "   ", 0 },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		int got = ingest_format_json.probe(cases[i].head, strlen(cases[i].head), true);
		if (got != cases[i].want)
			fail_msg("probe \"%s\": %d, expected %d", cases[i].head, got, cases[i].want);
	}
}

static void test_auto_detects_json(void **state)
{
	(void)state;
	static const char in[] = "{\"value\":[{\"givenName\":\"A\",\"surname\":\"B\"}]}";
	ingest_result res;
	_cleanup_free_ char *got = golden_run_buffer(in, sizeof in - 1, NULL, 1, 0, &res);
	assert_string_equal(res.format, "json");
	assert_int_equal(res.records, 1);
}

/* ---- specific behaviour ----------------------------------------------------- */

static void test_rejected_elements(void **state)
{
	(void)state;
	ingest_result res;
	size_t len;
	_cleanup_free_ char *in = golden_read_all(DATA_DIR "top-level-array.in", &len);
	_cleanup_free_ char *got = golden_run_buffer(in, len, NULL, 0, 0, &res);
	assert_int_equal(res.records, 4);
	assert_int_equal(res.rejected, 5);
}

/* What jansson refuses after the scanner accepted it (\u0000, integers past
 * its range) costs the record, not the file. */
static void test_jansson_refusals_reject_the_record(void **state)
{
	(void)state;
	static const char in[] = "{\"value\":[\n"
				 "{\"givenName\":\"A\\u0000B\",\"surname\":\"C\"},\n"
				 "{\"givenName\":\"D\",\"n\":123456789012345678901234567890},\n"
				 "{\"givenName\":\"E\",\"n\":1e999},\n"
				 "{\"givenName\":\"F\",\"surname\":\"G\"}\n]}";
	ingest_result res;
	_cleanup_free_ char *got = golden_run_buffer(in, sizeof in - 1, "json", 1, 0, &res);
	assert_int_equal(res.records, 1);
	assert_int_equal(res.rejected, 3);
	assert_non_null(strstr(got, "{\"record\":1,\"line\":5,\"first\":\"F\",\"last\":\"G\",\"name\":\"F G\""));
}

static void test_first_container_wins(void **state)
{
	(void)state;
	static const char in[] = "{\"records\":5,\"value\":{\"x\":1},\"results\":[{\"properties\":{\"email\":\"a@b.example\"}}],"
				 "\"connections\":[{\"names\":[{\"givenName\":\"Z\"}]}]}";
	ingest_result res;
	_cleanup_free_ char *got = golden_run_buffer(in, sizeof in - 1, NULL, 0, 0, &res);
	assert_int_equal(res.records, 1);
	assert_non_null(strstr(got, "\"emails\":[\"a@b.example\"]"));
}

static void test_empty_list(void **state)
{
	(void)state;
	static const char in[] = "{\"value\":[],\"@odata.context\":\"x\"}";
	ingest_result res;
	_cleanup_free_ char *got = golden_run_buffer(in, sizeof in - 1, NULL, 0, 0, &res);
	assert_string_equal(got, "");
	assert_int_equal(res.records, 0);
	assert_int_equal(res.rejected, 0);
}

static void test_callback_stops(void **state)
{
	(void)state;
	golden_check_callback_stops(DATA_DIR "graph.in");
}


#define BAD(what, s, line, err) GOLDEN_BAD(what, s, "json", -EBADMSG, line, err)
#define G1 "{\"value\": [\n  {\"givenName\": \"A\", \"surname\": \"B\"},\n"

static void test_bad_inputs(void **state)
{
	(void)state;
	static const golden_bad cases[] = {
		BAD("truncated", G1 "  {\"givenName\": \"C\"", 3, "unexpected end of JSON document"),
		BAD("truncated after the list", G1 "  {\"givenName\": \"C\"}\n]\n\n", 4, "unexpected end of JSON document"),
		BAD("truncated in a number", "{\"value\": [1\n", 1, "unexpected end of JSON document"),
		BAD("truncated in a literal", "{\"value\": [tru", 1, "unexpected end of JSON document"),
		BAD("truncated in an escape", G1 "{\"a\":\"\\u00", 3, "unterminated string"),
		BAD("trailing comma in an array", G1 "  {\"givenName\": \"C\"},\n]}", 4, "trailing comma before ']'"),
		BAD("trailing comma in an object", G1 "  {\"givenName\": \"C\",\n}]}", 4, "trailing comma before '}'"),
		BAD("unterminated string", G1 "  {\"givenName\": \"C}\n]}", 3, "unterminated string"),
		BAD("unterminated string at the end", G1 "  {\"givenName\": \"C", 3, "unterminated string"),
		BAD("invalid escape", G1 "  {\"givenName\": \"C\\x\"}]}", 3, "invalid escape '\\x' in a string"),
		BAD("invalid \\u escape", G1 "  {\"givenName\": \"C\\u12G4\"}]}", 3, "invalid \\u escape in a string"),
		BAD("lone high surrogate", G1 "  {\"givenName\": \"\\ud83dx\"}]}", 3, "unpaired surrogate in a \\u escape"),
		BAD("lone low surrogate", G1 "  {\"givenName\": \"\\ude00\"}]}", 3, "unpaired surrogate in a \\u escape"),
		BAD("high + non-low surrogate", G1 "  {\"givenName\": \"\\ud83d\\u0041\"}]}", 3,
		    "unpaired surrogate in a \\u escape"),
		BAD("control character", G1 "  {\"givenName\": \"C\tD\"}]}", 3, "control character 0x09 in a string"),
		BAD("NUL byte", G1 "  {\"givenName\": \"C\0\"}]}", 3, "NUL byte (binary file?)"),
		BAD("NUL byte between tokens", G1 "\0", 3, "NUL byte (binary file?)"),
		BAD("invalid UTF-8", "\xef\xbb\xbf" G1 "\n  {\"givenName\": \"M\xfcller\"}]}", 4, "invalid UTF-8 after a UTF-8 byte-order mark"),
		BAD("overlong UTF-8", "\xef\xbb\xbf" G1 "  {\"givenName\": \"\xc0\xaf\"}]}", 3, "invalid UTF-8 after a UTF-8 byte-order mark"),
		BAD("UTF-8 surrogate", "\xef\xbb\xbf" G1 "  {\"givenName\": \"\xed\xa0\x80\"}]}", 3, "invalid UTF-8 after a UTF-8 byte-order mark"),
		BAD("truncated UTF-8", "\xef\xbb\xbf" G1 "  {\"givenName\": \"\xc3\"}]}", 3, "invalid UTF-8 after a UTF-8 byte-order mark"),
		BAD("beyond U+10FFFF", "\xef\xbb\xbf" G1 "  {\"givenName\": \"\xf4\x90\x80\x80\"}]}", 3, "invalid UTF-8 after a UTF-8 byte-order mark"),
		/* Not a BOM, so not UTF-8: read as Windows-1252, "ï»{" is no JSON. */
		BAD("broken BOM", "\xef\xbb{\"value\":[]}", 1, "expected a value, found byte 0xc3"),
		/* A UTF-16LE BOM: decoded, "{" alone is a truncated document. */
		BAD("UTF-16", "\xff\xfe{\0", 1, "unexpected end of JSON document"),
		BAD("unknown container", "{\"relations\": [{\"id\": \"R1\"}],\n \"version\": 2, \"\\u00e9\\n\": {}}", 0,
		    "no contact list in this JSON: none of \"value\", \"connections\", \"results\" or \"records\" holds "
		    "an array; top-level keys: \"relations\", \"version\", \"\xc3\xa9?\""),
		BAD("no keys", "{ }", 0,
		    "no contact list in this JSON: none of \"value\", \"connections\", \"results\" or \"records\" holds "
		    "an array; top-level keys: (none)"),
		BAD("container key holding no array", "{\"value\": {\"givenName\": \"A\"}}", 0,
		    "no contact list in this JSON: none of \"value\", \"connections\", \"results\" or \"records\" holds "
		    "an array; top-level keys: \"value\""),
		BAD("nested container key", "{\"data\": {\"value\": [{\"givenName\": \"A\"}]}}", 0,
		    "no contact list in this JSON: none of \"value\", \"connections\", \"results\" or \"records\" holds "
		    "an array; top-level keys: \"data\""),
		BAD("malformed after the records", G1 "  {\"givenName\": \"C\"}\n],\n\"x\": [1 2]}", 5,
		    "expected ',' or ']', found '2'"),
		BAD("trailing garbage", G1 "  {\"givenName\": \"C\"}\n]}\n\n}", 6, "trailing data after the JSON document"),
		BAD("second document", "{\"value\":[]}\n{\"value\":[]}\n", 2, "trailing data after the JSON document"),
		BAD("scalar document", "\n\"value\"", 2, "JSON document is a string, not an object or array"),
		BAD("number document", "42", 1, "JSON document is a number, not an object or array"),
		BAD("only blanks", " \n\t", 0, "no JSON document (only blanks)"),
		BAD("missing colon", "{\"value\" [] }", 1, "expected ':' after an object key, found '['"),
		BAD("unquoted key", "{value: []}", 1, "expected an object key (a string), found 'v'"),
		BAD("single quotes", "{\"value\": ['a']}", 1, "expected a value, found '''"),
		BAD("mismatched bracket", "{\"value\": [1}", 1, "expected ',' or ']', found '}'"),
		BAD("leading zero", "{\"value\": [01]}", 1, "invalid number"),
		BAD("bare minus", "{\"value\": [-]}", 1, "invalid number"),
		BAD("bad exponent", "{\"value\": [1e+]}", 1, "invalid number"),
		BAD("bad literal", "{\"value\": [nul]}", 1, "invalid literal (expected true, false or null)"),
		BAD("literal run on", "{\"value\": [nullx]}", 1, "expected ',' or ']', found 'x'"),
		BAD("all elements rejected", "{\"results\": [\n1,\n\"x\",\n{\"id\": \"5\"}\n]}", 2,
		    "none of the 3 elements of \"results\" is a contact (a name, e-mail, company or URL)"),
		BAD("all elements rejected, bare array", "[[], {}]", 1,
		    "none of the 2 elements of the top-level array is a contact (a name, e-mail, company or URL)"),
	};
	golden_check_bad(cases, ELEMENTSOF(cases));
}

/* ---- limits ------------------------------------------------------------------ */

static void test_depth_limit(void **state)
{
	(void)state;
	/* 10000 '[' must fail at the 65th, without recursion or reading on. */
	size_t n = 10000;
	_cleanup_free_ char *buf = malloc(n);
	assert_non_null(buf);
	memset(buf, '[', n);
	run x = run_limits(buf, n, NULL, 0);
	free(x.got);
	assert_int_equal(x.r, -EBADMSG);
	assert_string_equal(x.res.error, "JSON nested deeper than 64 levels");
	assert_int_equal(x.res.error_line, 1);

	/* Inside a record, on the line of the bracket too deep; a smaller limit
	 * from the config is honoured. */
	static const char in[] = "{\"value\":[\n{\"a\":\n[[\n[1]]]}]}";
	ingest_limits l = { .max_json_depth = 5 };
	x = run_limits(in, sizeof in - 1, &l, 1);
	free(x.got);
	assert_int_equal(x.r, -EBADMSG);
	assert_string_equal(x.res.error, "JSON nested deeper than 5 levels");
	assert_int_equal(x.res.error_line, 4);
	l.max_json_depth = 6;
	x = run_limits(in, sizeof in - 1, &l, 1);
	free(x.got);
	assert_int_equal(x.r, -EBADMSG); /* depth is fine now; the record has no name */
	assert_non_null(strstr(x.res.error, "none of the 1 elements"));
}

static void test_record_size_limit(void **state)
{
	(void)state;
	static const char in[] = "{\"value\": [\n"
				 "  {\"givenName\": \"A\"},\n"          /* 18 bytes */
				 "  {\"givenName\": \"AB\",\n \"x\": 1}\n" /* 28 bytes */
				 "]}";
	ingest_limits l = { .max_record_size = 27 };
	for (size_t chunk = 0; chunk <= 1; chunk++) {
		run x = run_limits(in, sizeof in - 1, &l, chunk);
		assert_int_equal(x.r, -EBADMSG);
		assert_string_equal(x.res.error, "JSON record larger than 27 bytes");
		assert_int_equal(x.res.error_line, 3);
		assert_int_equal(x.res.records, 1);
		free(x.got);
	}
	/* Exactly the limit is accepted; blobs outside records cost nothing. */
	l.max_record_size = 28;
	run x = run_limits(in, sizeof in - 1, &l, 0);
	assert_int_equal(x.r, 0);
	assert_int_equal(x.res.records, 2);
	free(x.got);
}

static void test_record_count_limit(void **state)
{
	(void)state;
	static const char in[] = "[{\"givenName\": \"A\"},\n 7,\n{\"givenName\": \"B\"}]";
	ingest_limits l = { .max_records = 2 };
	run x = run_limits(in, sizeof in - 1, &l, 1);
	assert_int_equal(x.r, -EBADMSG);
	assert_string_equal(x.res.error, "more than 2 records");
	assert_int_equal(x.res.error_line, 3);
	free(x.got);
	l.max_records = 3;
	x = run_limits(in, sizeof in - 1, &l, 1);
	assert_int_equal(x.r, 0);
	assert_int_equal(x.res.records, 2);
	assert_int_equal(x.res.rejected, 1);
	free(x.got);
}

static void test_field_size_limit(void **state)
{
	(void)state;
	static const char in[] = "[{\"givenName\": \"ABCDEFGHIJ\", \"notes\": \"a very long irrelevant note\"},\n"
				 "{\"givenName\": \"ABCDEFGHIJK\"}]";
	ingest_limits l = { .max_field_size = 10 };
	run x = run_limits(in, sizeof in - 1, &l, 0);
	assert_int_equal(x.r, 0);
	assert_int_equal(x.res.records, 1);
	assert_int_equal(x.res.rejected, 1);
	free(x.got);
}

int main(void)
{
	static const char *const golden[] = {
		"graph",	   "google-people", "hubspot-v3",      "salesforce-rest", "top-level-array",
		"minified",	   "unicode-escapes", "bom-crlf",      "large-blobs",
	};
	struct CMUnitTest tests[ELEMENTSOF(golden) + 16];
	size_t n = 0;
	for (size_t i = 0; i < ELEMENTSOF(golden); i++)
		tests[n++] = (struct CMUnitTest){ .name = golden[i], .test_func = test_golden,
						  .initial_state = (void *)golden[i] };
	const struct CMUnitTest rest[] = {
		cmocka_unit_test(test_golden_forced),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_auto_detects_json),
		cmocka_unit_test(test_rejected_elements),
		cmocka_unit_test(test_jansson_refusals_reject_the_record),
		cmocka_unit_test(test_first_container_wins),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_record_size_limit),
		cmocka_unit_test(test_record_count_limit),
		cmocka_unit_test(test_field_size_limit),
	};
	for (size_t i = 0; i < ELEMENTSOF(rest); i++)
		tests[n++] = rest[i];
	return _cmocka_run_group_tests("ingest_json", tests, n, NULL, NULL);
}
