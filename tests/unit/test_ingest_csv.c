/* test_ingest_csv.c — the CSV tokenizer, the LinkedIn mapping and the ingest
 * reader: golden files (tests/data/linkedin/NAME.in → NAME.ok, one JSON
 * record per line), chunk-boundary independence, malformed input, file safety.
 * CW_UPDATE_GOLDEN=1 rewrites the .ok files (review the diff!). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "contactwatch/contact.h"
#include "contactwatch/date.h"
#include "contactwatch/hash.h"
#include "contactwatch/ingest.h"
#include "contactwatch/ingest_csv.h"
#include "golden.h"

#define DATA_DIR "tests/data/linkedin/"

/* ---- golden files ------------------------------------------------------- */

static void test_golden(void **state)
{
	golden_check(DATA_DIR, *state, NULL, "linkedin");
}

/* ---- specific behaviour ------------------------------------------------- */

static void test_rejected_row(void **state)
{
	(void)state;
	ingest_result res;
	size_t len;
	_cleanup_free_ char *in = golden_read_all(DATA_DIR "rejected_row.in", &len);
	_cleanup_free_ char *got = golden_run_buffer(in, len, "linkedin", 0, 0, &res);
	assert_int_equal(res.records, 2);
	assert_int_equal(res.rejected, 1);
	assert_non_null(strstr(got, "\"record\":2,\"line\":4,"));
}

static void test_all_rows_rejected(void **state)
{
	(void)state;
	static const char in[] = "First Name,Last Name,Connected On\n"
				 "A,B,07 Feb 2026,x\n"
				 "\n"
				 "C,D,08 Feb 2026,y\n";
	ingest_result res;
	_cleanup_free_ char *got = golden_run_buffer(in, sizeof in - 1, NULL, 0, -EBADMSG, &res);
	assert_string_equal(got, "");
	assert_int_equal(res.error_line, 2);
	assert_non_null(strstr(res.error, "every data row (2) has more cells than the header"));
}

static void test_header_only(void **state)
{
	(void)state;
	static const char in[] = "First Name,Last Name,Company,Position,Connected On";
	ingest_result res;
	_cleanup_free_ char *got = golden_run_buffer(in, sizeof in - 1, NULL, 1, 0, &res);
	assert_string_equal(got, "");
	assert_int_equal(res.records, 0);
	assert_string_equal(res.format, "linkedin");
}

static void test_last_record_without_newline(void **state)
{
	(void)state;
	static const char in[] = "First Name,Last Name,Connected On\nAnna,Visser,\"07 Feb 2026\"";
	ingest_result res;
	_cleanup_free_ char *got = golden_run_buffer(in, sizeof in - 1, NULL, 0, 0, &res);
	assert_int_equal(res.records, 1);
	assert_non_null(strstr(got, "\"connected_on\":\"2026-02-07\""));
}

static void test_callback_stops(void **state)
{
	(void)state;
	golden_check_callback_stops(DATA_DIR "2021_notes.in");
}


#define BAD GOLDEN_BAD
#define HINT "set Format=csv and Columns=first:<header>,last:<header>,company:<header>,email:<header> in the source; "
#define HDR "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
#define BOM "\xef\xbb\xbf"
#define BAD_UTF8 "invalid UTF-8 after a UTF-8 byte-order mark"

static void test_bad_inputs(void **state)
{
	(void)state;
	static const golden_bad cases[] = {
		BAD("unterminated quote", HDR "A,B,,,C,D,07 Feb 2026\nE,F,,,\"G\n\nH,I\n", NULL, -EBADMSG, 3,
		    "unterminated quoted field starting here"),
		BAD("unterminated quote, forced", "Notes:\n\"x\n" HDR, "linkedin", -EBADMSG, 2,
		    "unterminated quoted field starting here"),
		BAD("NUL byte", HDR "A,B,,,C,D,07 Feb 2026\nE,F\0,,,C,D,07 Feb 2026\n", NULL, -EBADMSG, 3,
		    "NUL byte (binary file?)"),
		/* Without a BOM, a file that is not UTF-8 is Windows-1252 (the
		 * decoding rule, tests/unit/test_ingest_decode.c); after a UTF-8 BOM
		 * it is malformed, reported by the decoder before the parser. */
		BAD("invalid UTF-8", BOM HDR "A,B,,,C,D,07 Feb 2026\nE,M\xfcller,,,C,D,07 Feb 2026\n", NULL,
		    -EBADMSG, 3, BAD_UTF8),
		BAD("invalid UTF-8 in a multi-line cell",
		    BOM HDR "A,B,,,C,\"one\ntwo\r\nthree \xc3\x28\",07 Feb 2026\n", NULL, -EBADMSG, 4, BAD_UTF8),
		BAD("overlong UTF-8", BOM HDR "A,\xc0\xaf" "B,,,C,D,07 Feb 2026\n", NULL, -EBADMSG, 2, BAD_UTF8),
		BAD("UTF-16 surrogate", BOM HDR "A,\xed\xa0\x80,,,C,D,07 Feb 2026\n", NULL, -EBADMSG, 2, BAD_UTF8),
		BAD("empty file", "", NULL, -EBADMSG, 0, "empty file"),
		BAD("empty file, forced", "", "linkedin", -EBADMSG, 0, "empty file"),
		BAD("random text", "\n\nDear diary,\nnothing to see here.\n", NULL, -EMEDIUMTYPE, 3,
		    "no known export format (linkedin, salesforce, hubspot, google, outlook, vcard, json, csv); " HINT "headers found: \"Dear diary\", \"\""),
		BAD("other CSV", "Name;Phone\nA;1\n", "auto", -EMEDIUMTYPE, 1,
		    "no known export format (linkedin, salesforce, hubspot, google, outlook, vcard, json, csv); " HINT "headers found: \"Name\", \"Phone\""),
		BAD("whitespace only", "\n \n\t\n", NULL, -EMEDIUMTYPE, 0,
		    "no known export format (linkedin, salesforce, hubspot, google, outlook, vcard, json, csv); no header line found"),
		BAD("random text, forced", "Dear diary,\nnothing to see here.\n", "linkedin", -EBADMSG, 0,
		    "no LinkedIn header (First Name, Last Name, Connected On; or From, To, Sent At, Direction) in the first 32 lines"),
		BAD("header too late", "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n" HDR,
		    "linkedin", -EBADMSG, 0,
		    "no LinkedIn header (First Name, Last Name, Connected On; or From, To, Sent At, Direction) in the first 32 lines"),
		BAD("unknown format", HDR, "nosuchformat", -ENOENT, 0, "unknown format \"nosuchformat\""),
	};
	golden_check_bad(cases, ELEMENTSOF(cases));
}

/* Builds HDR + a data row whose cells are given; returns the length. */
static char *make_row(size_t n_cells, size_t cell_len, size_t *ret_len)
{
	size_t cap = strlen(HDR) + n_cells * (cell_len + 1) + 2, len;
	char *buf = malloc(cap);
	assert_non_null(buf);
	len = (size_t)snprintf(buf, cap, "%s", HDR);
	for (size_t i = 0; i < n_cells; i++) {
		memset(buf + len, 'x', cell_len);
		len += cell_len;
		buf[len++] = i + 1 < n_cells ? ',' : '\n';
	}
	*ret_len = len;
	return buf;
}

static void test_limits(void **state)
{
	(void)state;
	static const struct {
		size_t n_cells, cell_len;
		const char *error;
	} cases[] = {
		{ 7, CW_MAX_FIELD_BYTES + 1, "cell longer than 65536 bytes" },
		{ 17, 65000, "record longer than 1048576 bytes" },
		{ CW_MAX_COLUMNS + 1, 1, "more than 512 cells in one record" },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		size_t len;
		ingest_result res;
		_cleanup_free_ char *buf = make_row(cases[i].n_cells, cases[i].cell_len, &len);
		_cleanup_free_ char *got = golden_run_buffer(buf, len, NULL, 0, -EBADMSG, &res);
		assert_string_equal(got, "");
		assert_string_equal(res.error, cases[i].error);
		assert_int_equal(res.error_line, 2);
	}
	/* A cell of exactly the limit is accepted. */
	size_t len;
	ingest_result res;
	_cleanup_free_ char *buf = make_row(7, CW_MAX_FIELD_BYTES, &len);
	_cleanup_free_ char *got = golden_run_buffer(buf, len, NULL, 0, 0, &res);
	assert_int_equal(res.records, 1);
	assert_non_null(strstr(got, "{\"record\":1,\"line\":2,\"first\":\"xxx"));
}

static void test_too_big(void **state)
{
	(void)state;
	ingest_result res;
	golden_collect col;
	golden_collect_open(&col);
	int r = ingest_file(DATA_DIR "2021_notes.in", &(ingest_options){ .max_size = 100 }, golden_collect_cb, &col, &res);
	assert_int_equal(r, -EFBIG);
	r = ingest_buffer("0123456789", 10, &(ingest_options){ .max_size = 9 }, golden_collect_cb, &col, &res);
	assert_int_equal(r, -EFBIG);
	free(golden_collect_close(&col));
}

static void test_file_safety(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_ingest_csv.XXXXXX", link[64], fifo[64], real[64];
	ingest_result res;
	golden_collect col;

	assert_non_null(mkdtemp(dir));
	snprintf(real, sizeof real, "%s/real.csv", dir);
	snprintf(link, sizeof link, "%s/link.csv", dir);
	snprintf(fifo, sizeof fifo, "%s/fifo.csv", dir);
	golden_write_all(real, HDR "A,B,,,C,D,07 Feb 2026\n", strlen(HDR "A,B,,,C,D,07 Feb 2026\n"));
	assert_int_equal(symlink("real.csv", link), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);

	golden_collect_open(&col);
	assert_int_equal(ingest_file(real, NULL, golden_collect_cb, &col, &res), 0);
	assert_int_equal(res.records, 1);
	assert_int_equal(ingest_file(link, NULL, golden_collect_cb, &col, &res), -ELOOP);
	assert_int_equal(ingest_file(dir, NULL, golden_collect_cb, &col, &res), -EISDIR);
	assert_int_equal(ingest_file(fifo, NULL, golden_collect_cb, &col, &res), -EBADFD);
	assert_int_equal(ingest_file("tests/data/linkedin/does-not-exist", NULL, golden_collect_cb, &col, &res), -ENOENT);
	free(golden_collect_close(&col));

	unlink(real);
	unlink(link);
	unlink(fifo);
	rmdir(dir);
}

static void test_large_file_streams(void **state)
{
	(void)state;
	/* Several read chunks, records crossing chunk ends; the sha256 of the
	 * whole file must match. */
	char path[] = "/tmp/test_ingest_csv_large.XXXXXX", sha[65];
	int fd = mkstemp(path);
	FILE *f;
	size_t len, n = 20000;
	ingest_result res;
	golden_collect col;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("\xef\xbb\xbfNotes:\n\"a, b\"\n\n" HDR, f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "First%zu,\"Last, %zu\",https://www.linkedin.com/in/p%zu,,Company %zu,\"Pos\n%zu\",07 Feb 2026\n",
			i, i, i, i % 97, i);
	assert_int_equal(fclose(f), 0);

	golden_collect_open(&col);
	assert_int_equal(ingest_file(path, NULL, golden_collect_cb, &col, &res), 0);
	_cleanup_free_ char *got = golden_collect_close(&col);
	assert_int_equal(res.records, n);
	_cleanup_free_ char *all = golden_read_all(path, &len);
	assert_int_equal(hash_sha256_hex(all, len, sha), 0);
	assert_string_equal(res.sha256, sha);
	assert_int_equal(res.size, len);
	/* The last record starts on line 5 + 2 * (n - 1). */
	char want[64];
	snprintf(want, sizeof want, "{\"record\":%zu,\"line\":%zu,", n, 5 + 2 * (n - 1));
	assert_non_null(strstr(got, want));
	unlink(path);
}

static void test_malformed_still_hashed(void **state)
{
	(void)state;
	static const char in[] = BOM HDR "A,B,,,C,D,07 Feb 2026\nE,\xff,,,C,D,07 Feb 2026\nG,H\n";
	char sha[65];
	ingest_result res;
	_cleanup_free_ char *got = golden_run_buffer(in, sizeof in - 1, NULL, 0, -EBADMSG, &res);
	/* The caller discards what came before the error; it did come. */
	assert_non_null(strstr(got, "\"record\":1,"));
	assert_int_equal(res.error_line, 3);
	assert_int_equal(hash_sha256_hex(in, sizeof in - 1, sha), 0);
	assert_string_equal(res.sha256, sha);
	assert_int_equal(res.size, sizeof in - 1);
}

static void test_format_names(void **state)
{
	(void)state;
	const char *const *names = ingest_format_names();
	assert_string_equal(names[0], "auto");
	for (size_t i = 0; names[i]; i++)
		assert_true(ingest_format_known(names[i]));
	assert_true(ingest_format_known("linkedin"));
	assert_false(ingest_format_known("LinkedIn"));
	assert_false(ingest_format_known(NULL));
	assert_false(ingest_format_known("csvx"));
}

static void test_contact_copy(void **state)
{
	(void)state;
	char *emails[] = { (char *)"a@example.org", NULL };
	contact src, dst;
	contact_init(&src);
	assert_int_equal(src.connected_on, DATE_NONE);
	src.first = (char *)"Ada";
	src.name = (char *)"Ada";
	src.emails = emails;
	src.record = 3;
	src.line = 9;
	assert_int_equal(contact_copy(&src, &dst), 0);
	assert_string_equal(dst.first, "Ada");
	assert_null(dst.last);
	assert_ptr_not_equal(dst.emails, emails);
	assert_string_equal(contact_email(&dst), "a@example.org");
	assert_null(contact_profile_url(&dst));
	assert_int_equal(dst.record, 3);
	assert_int_equal(dst.line, 9);
	assert_string_equal(contact_event_to_string(dst.event), "connection");
	contact_done(&dst);
	assert_null(dst.first);
	contact_done(&dst); /* idempotent */
	contact_done(NULL);
}

/* The tokenizer alone: delimiter switching and re-splitting a header that
 * mixes delimiters. */
static int tok_cb(ingest_csv_record *rec, void *userdata)
{
	FILE *f = userdata;
	ingest_csv_record_resplit(rec, ingest_csv_record_main_delimiter(rec, ",;\t"));
	fprintf(f, "%u:", rec->line);
	for (size_t i = 0; i < rec->n_fields; i++)
		fprintf(f, "[%s]", rec->fields[i]);
	fputc('\n', f);
	return 0;
}

static void test_tokenizer(void **state)
{
	(void)state;
	static const char in[] = "a;b;c,d\n\"x,y\";\"q\"\"\"\r\n  \"sp\" ,\t\"\"\"\n\"\r\n\n\xef\xbb\xbf";
	static const char want[] = "1:[a][b][c,d]\n2:[x,y][q\"]\n3:[sp ][\t\"\n]\n5:[]\n6:[\xef\xbb\xbf]\n";
	for (size_t chunk = 1; chunk <= sizeof in; chunk++) {
		char *out = NULL;
		size_t out_len = 0;
		FILE *f = open_memstream(&out, &out_len);
		ingest_csv_tokenizer *t = ingest_csv_tokenizer_new(",;\t", tok_cb, f);
		assert_non_null(t);
		for (size_t off = 0; off < sizeof in - 1; off += chunk)
			assert_int_equal(ingest_csv_tokenizer_feed(t, in + off, chunk < sizeof in - 1 - off ? chunk : sizeof in - 1 - off), 0);
		assert_int_equal(ingest_csv_tokenizer_finish(t), 0);
		assert_int_equal(ingest_csv_tokenizer_feed(t, "x", 1), INGEST_CSV_STOP);
		ingest_csv_tokenizer_free(t);
		fclose(f);
		assert_string_equal(out, want);
		free(out);
	}
	assert_null(ingest_csv_tokenizer_free(NULL));
}

int main(void)
{
	static const char *const golden[] = {
		"2018_us_dates", "2021_notes", "2023_url",    "stray_spaces_blank_rows", "crlf_bom",
		"excel_semicolon", "lone_cr", "reordered", "rejected_row",            "header_only",
		"invitations", "invitations_2021",
	};
	struct CMUnitTest tests[ELEMENTSOF(golden) + 16];
	size_t n = 0;
	for (size_t i = 0; i < ELEMENTSOF(golden); i++)
		tests[n++] = (struct CMUnitTest){ .name = golden[i], .test_func = test_golden,
						  .initial_state = (void *)golden[i] };
	const struct CMUnitTest rest[] = {
		cmocka_unit_test(test_rejected_row),
		cmocka_unit_test(test_all_rows_rejected),
		cmocka_unit_test(test_header_only),
		cmocka_unit_test(test_last_record_without_newline),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_file_safety),
		cmocka_unit_test(test_large_file_streams),
		cmocka_unit_test(test_malformed_still_hashed),
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_contact_copy),
		cmocka_unit_test(test_tokenizer),
	};
	for (size_t i = 0; i < ELEMENTSOF(rest); i++)
		tests[n++] = rest[i];
	return _cmocka_run_group_tests("ingest_csv", tests, n, NULL, NULL);
}
