/* test_ingest_decode.c — character decoding in front of the parsers: the
 * same LinkedIn export in every encoding reads as the same records
 * (tests/data/decode/, written by make.py), the encoding is reported and the
 * digest is of the raw bytes; text that is not what its BOM says is
 * rejected with its line; the two-pass file reader past one chunk. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "contactwatch/hash.h"
#include "contactwatch/ingest.h"
#include "golden.h"

#define DATA_DIR "tests/data/decode"

typedef struct golden_case {
	const char *name;
	const char *encoding;
} golden_case;

static const golden_case goldens[] = {
	{ "utf8", "utf-8" },
	{ "utf8_bom", "utf-8-bom" },
	{ "utf16le_bom_crlf", "utf-16le" },
	{ "utf16be_bom", "utf-16be" },
	{ "windows1252_excel", "windows-1252" },
};

/* ---- a byte buffer to build UTF-16 and broken inputs --------------------- */

typedef struct bytes {
	char data[8192];
	size_t len;
} bytes;

static void bytes_raw(bytes *b, const char *s, size_t n)
{
	assert_true(n <= sizeof b->data - b->len);
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

static void bytes_unit(bytes *b, unsigned u, bool be)
{
	char two[2] = { (char)(be ? u >> 8 : u & 0xff), (char)(be ? u & 0xff : u >> 8) };
	bytes_raw(b, two, 2);
}

/* s (UTF-8, trusted: test literals) as UTF-16 code units. */
static void bytes_utf16(bytes *b, const char *s, bool be)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned cp, extra;
		if (*p < 0x80) {
			cp = *p;
			extra = 0;
		} else if (*p < 0xe0) {
			cp = *p & 0x1f;
			extra = 1;
		} else if (*p < 0xf0) {
			cp = *p & 0x0f;
			extra = 2;
		} else {
			cp = *p & 0x07;
			extra = 3;
		}
		p++;
		for (unsigned i = 0; i < extra; i++)
			cp = cp << 6 | (*p++ & 0x3f);
		if (cp >= 0x10000) {
			bytes_unit(b, 0xd800 + ((cp - 0x10000) >> 10), be);
			bytes_unit(b, 0xdc00 + ((cp - 0x10000) & 0x3ff), be);
		} else {
			bytes_unit(b, cp, be);
		}
	}
}

#define HDR "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
#define ROW1 "Anna,Visser,https://www.linkedin.com/in/annavisser,,Gemeente Utrecht,Beleidsmedewerker,03 Feb 2026\n"

/* ---- golden files ----------------------------------------------------- */

static void test_golden(void **state)
{
	const golden_case *g = *state;
	char path[256], sha[65];
	size_t len;
	ingest_result res;
	golden_collect col;

	golden_check(DATA_DIR, g->name, NULL, "linkedin");

	/* The encoding found, from a file and from a buffer; the digest is of
	 * the bytes as received (BOM, UTF-16, 1252), not of the text parsed. */
	snprintf(path, sizeof path, "%s/%s.in", DATA_DIR, g->name);
	_cleanup_free_ char *in = golden_read_all(path, &len);
	assert_non_null(in);
	assert_int_equal(hash_sha256_hex(in, len, sha), 0);
	golden_collect_open(&col);
	assert_int_equal(ingest_file(path, NULL, golden_collect_cb, &col, &res), 0);
	free(golden_collect_close(&col));
	assert_string_equal(res.encoding, g->encoding);
	assert_string_equal(res.sha256, sha);
	assert_int_equal(res.size, len);
	assert_int_equal(res.records, 6); /* the row blank but for its date is no contact */
	assert_int_equal(res.rejected, 0);
	free(golden_run_buffer(in, len, "linkedin", 0, 0, &res));
	assert_string_equal(res.encoding, g->encoding);
	assert_string_equal(res.sha256, sha);
}

/* Same contacts, same lines: every encoding must give the very same records. */
static void test_golden_all_equal(void **state)
{
	(void)state;
	char path[256];
	size_t len0, len;
	snprintf(path, sizeof path, "%s/%s.ok", DATA_DIR, goldens[0].name);
	_cleanup_free_ char *first = golden_read_all(path, &len0);
	assert_non_null(first);
	assert_non_null(strstr(first, "\"first\":\"IJsbrand\",\"last\":\"’t Hart\""));
	assert_non_null(strstr(first, "\"company\":\"Café ’t Hoekje\",\"position\":\"Eigenaar – €-beheer\""));
	assert_non_null(strstr(first, "\"first\":\"Zoë\""));
	assert_non_null(strstr(first, "\"last\":\"Müller\""));
	assert_non_null(strstr(first, "\"first\":\"Hélène\""));
	for (size_t i = 1; i < ELEMENTSOF(goldens); i++) {
		snprintf(path, sizeof path, "%s/%s.ok", DATA_DIR, goldens[i].name);
		_cleanup_free_ char *ok = golden_read_all(path, &len);
		assert_non_null(ok);
		if (len != len0 || memcmp(ok, first, len) != 0)
			fail_msg("%s differs from %s.ok", path, goldens[0].name);
	}
}

/* ---- specific inputs ---------------------------------------------------- */

/* A character outside the BMP (a surrogate pair in UTF-16) arrives whole
 * however the input is cut: golden_run_buffer in chunks of 1, 2, 3. */
static void test_utf16_surrogate_pair(void **state)
{
	(void)state;
	for (int be = 0; be <= 1; be++) {
		bytes b = { .len = 0 };
		bytes_unit(&b, 0xfeff, be);
		bytes_utf16(&b, HDR "Anna,Visser,,,Bakkerij \xf0\x9f\xa5\x90,Bakker,03 Feb 2026\n", be);
		_cleanup_free_ char *whole = NULL;
		for (size_t chunk = 0; chunk <= 3; chunk++) {
			ingest_result res;
			char *got = golden_run_buffer(b.data, b.len, NULL, chunk, 0, &res);
			assert_string_equal(res.encoding, be ? "utf-16be" : "utf-16le");
			assert_int_equal(res.records, 1);
			assert_non_null(strstr(got, "\"company\":\"Bakkerij \xf0\x9f\xa5\x90\""));
			if (whole) {
				assert_string_equal(got, whole);
				free(got);
			} else {
				whole = got;
			}
		}
	}
}

/* Windows-1252: the bytes Latin-1 lacks, and the five undefined ones as U+FFFD. */
static void test_windows_1252(void **state)
{
	(void)state;
	static const char in[] = HDR "Zo\xeb,M\xfcller,,,\x80 Bank \x93X\x94,Tr\x81" "ader \x96 \x92t,03 Feb 2026\n";
	ingest_result res;
	_cleanup_free_ char *got = golden_run_buffer(in, sizeof in - 1, NULL, 1, 0, &res);
	assert_string_equal(res.encoding, "windows-1252");
	assert_non_null(strstr(got, "\"first\":\"Zoë\",\"last\":\"Müller\""));
	assert_non_null(strstr(got, "\"company\":\"€ Bank “X”\",\"position\":\"Tr\xef\xbf\xbd" "ader – ’t\""));
}

/* Valid UTF-8 that happens to contain a 1252-looking byte pair stays UTF-8. */
static void test_utf8_not_1252(void **state)
{
	(void)state;
	static const char in[] = HDR "Zo\xc3\xab,M\xc3\xbcller,,,Acme,CEO,03 Feb 2026\n";
	ingest_result res;
	_cleanup_free_ char *got = golden_run_buffer(in, sizeof in - 1, NULL, 1, 0, &res);
	assert_string_equal(res.encoding, "utf-8");
	assert_non_null(strstr(got, "\"first\":\"Zoë\",\"last\":\"Müller\""));
}

typedef struct bad_case {
	const char *what;
	bytes in;
	const char *format;
	int r;
	unsigned line;
	const char *error;
	const char *encoding;
} bad_case;

static void check_bad(const bad_case *c)
{
	/* In one piece and byte by byte: the error and its line do not depend
	 * on where chunks end. */
	for (size_t chunk = 0; chunk <= 1; chunk++) {
		ingest_result res;
		golden_collect col;
		char sha[65];
		ingest_options opt = { .format = c->format, .chunk_size = chunk };
		golden_collect_open(&col);
		int r = ingest_buffer(c->in.data, c->in.len, &opt, golden_collect_cb, &col, &res);
		free(golden_collect_close(&col));
		if (r != c->r || res.error_line != c->line || !streq(res.error, c->error) ||
		    !streq(res.encoding, c->encoding))
			fail_msg("%s (chunk %zu): r=%d line=%u error=\"%s\" encoding %s; expected r=%d line=%u "
				 "\"%s\" %s",
				 c->what, chunk, r, res.error_line, res.error, res.encoding, c->r, c->line, c->error,
				 c->encoding);
		/* A rejected file is evidence too: hashed whole. */
		assert_int_equal(hash_sha256_hex(c->in.data, c->in.len, sha), 0);
		assert_string_equal(res.sha256, sha);
		assert_int_equal(res.size, c->in.len);
	}
}

#define NO_FORMAT \
	"no known export format: NUL bytes in the text (UTF-16 without a byte-order mark, or not a text file?)"

static void test_bad_inputs(void **state)
{
	(void)state;
	bad_case c;

	c = (bad_case){ "UTF-8 BOM, then Windows-1252", .r = -EBADMSG, .line = 3,
			.error = "invalid UTF-8 after a UTF-8 byte-order mark", .encoding = "utf-8-bom" };
	bytes_raw(&c.in, "\xef\xbb\xbf" HDR ROW1, strlen("\xef\xbb\xbf" HDR ROW1));
	bytes_raw(&c.in, "Zo\xeb,B,,,C,D,03 Feb 2026\n", 24);
	check_bad(&c);

	c = (bad_case){ "UTF-8 BOM, sequence cut at the end", .r = -EBADMSG, .line = 2,
			.error = "invalid UTF-8 after a UTF-8 byte-order mark", .encoding = "utf-8-bom" };
	bytes_raw(&c.in, "\xef\xbb\xbf" HDR "A,B,,,C,D\xe2\x82", strlen("\xef\xbb\xbf" HDR "A,B,,,C,D\xe2\x82"));
	check_bad(&c);

	/* Only a BOM: no text at all. */
	c = (bad_case){ "UTF-8 BOM only", .r = -EBADMSG, .line = 0, .error = "empty file", .encoding = "utf-8-bom" };
	bytes_raw(&c.in, "\xef\xbb\xbf", 3);
	check_bad(&c);

	for (int be = 0; be <= 1; be++) {
		const char *enc = be ? "utf-16be" : "utf-16le";
		const char *odd = be ? "invalid UTF-16BE: odd number of bytes" : "invalid UTF-16LE: odd number of bytes";
		const char *unpaired = be ? "invalid UTF-16BE: unpaired surrogate" : "invalid UTF-16LE: unpaired surrogate";

		c = (bad_case){ "UTF-16, odd number of bytes", .r = -EBADMSG, .line = 3, .error = odd, .encoding = enc };
		bytes_unit(&c.in, 0xfeff, be);
		bytes_utf16(&c.in, HDR ROW1, be);
		bytes_raw(&c.in, "A", 1);
		check_bad(&c);

		c = (bad_case){ "UTF-16, high surrogate then a letter", .r = -EBADMSG, .line = 3, .error = unpaired,
				.encoding = enc };
		bytes_unit(&c.in, 0xfeff, be);
		bytes_utf16(&c.in, HDR ROW1 "A,B", be);
		bytes_unit(&c.in, 0xd83d, be);
		bytes_utf16(&c.in, "x,,,C,D,03 Feb 2026\n", be);
		check_bad(&c);

		c = (bad_case){ "UTF-16, high surrogate then a line end", .r = -EBADMSG, .line = 2, .error = unpaired,
				.encoding = enc };
		bytes_unit(&c.in, 0xfeff, be);
		bytes_utf16(&c.in, HDR "A,B,,,C,D,03 Feb 2026", be);
		bytes_unit(&c.in, 0xd83d, be);
		bytes_utf16(&c.in, "\r\n", be);
		check_bad(&c);

		c = (bad_case){ "UTF-16, lone low surrogate", .r = -EBADMSG, .line = 2, .error = unpaired,
				.encoding = enc };
		bytes_unit(&c.in, 0xfeff, be);
		bytes_utf16(&c.in, HDR "A,", be);
		bytes_unit(&c.in, 0xde00, be);
		bytes_utf16(&c.in, ",,,C,D,03 Feb 2026\n", be);
		check_bad(&c);

		c = (bad_case){ "UTF-16, high surrogate at the end", .r = -EBADMSG, .line = 2, .error = unpaired,
				.encoding = enc };
		bytes_unit(&c.in, 0xfeff, be);
		bytes_utf16(&c.in, HDR "A,B,,,C,D,03 Feb 2026", be);
		bytes_unit(&c.in, 0xdbff, be);
		check_bad(&c);

		/* U+0000 is valid UTF-16: the parser rejects it, as in UTF-8. */
		c = (bad_case){ "UTF-16, U+0000", .r = -EBADMSG, .line = 3, .error = "NUL byte (binary file?)",
				.encoding = enc };
		bytes_unit(&c.in, 0xfeff, be);
		bytes_utf16(&c.in, HDR ROW1 "A,B", be);
		bytes_unit(&c.in, 0, be);
		bytes_utf16(&c.in, ",,,C,D,03 Feb 2026\n", be);
		check_bad(&c);

		c = (bad_case){ "UTF-16 BOM only", .r = -EBADMSG, .line = 0, .error = "empty file", .encoding = enc };
		bytes_unit(&c.in, 0xfeff, be);
		check_bad(&c);

		/* No BOM, no UTF-16: only a BOM says so. ASCII in UTF-16 is valid
		 * UTF-8 with every other byte NUL; with a non-ASCII letter it is
		 * not UTF-8 and reads as Windows-1252. Either way the NULs stop it,
		 * with a message that names the likely cause. */
		c = (bad_case){ "UTF-16 without BOM, ASCII", .r = -EMEDIUMTYPE, .line = 1, .error = NO_FORMAT,
				.encoding = "utf-8" };
		bytes_utf16(&c.in, HDR ROW1, be);
		check_bad(&c);

		c = (bad_case){ "UTF-16 without BOM, Zoë", .r = -EMEDIUMTYPE, .line = 1, .error = NO_FORMAT,
				.encoding = "windows-1252" };
		bytes_utf16(&c.in, HDR "Zoë,B,,,C,D,03 Feb 2026\n", be);
		check_bad(&c);

		c = (bad_case){ "UTF-16 without BOM, forced", .format = "linkedin", .r = -EBADMSG, .line = 1,
				.error = "NUL byte (binary file?)", .encoding = "windows-1252" };
		bytes_utf16(&c.in, HDR "Zoë,B,,,C,D,03 Feb 2026\n", be);
		check_bad(&c);
	}

	/* The first bad byte in the head, before any header: the encoding is
	 * the reason, not an unknown format. */
	c = (bad_case){ "UTF-16LE, unpaired surrogate first", .r = -EBADMSG, .line = 1,
			.error = "invalid UTF-16LE: unpaired surrogate", .encoding = "utf-16le" };
	bytes_raw(&c.in, "\xff\xfe\x00\xdc", 4);
	bytes_utf16(&c.in, HDR, false);
	check_bad(&c);
}

/* ---- the two-pass file reader ------------------------------------------- */

/* Writes HDR + rows of ROW1 until at least min_len bytes, then tail. */
static char *write_big(const char *prefix, size_t prefix_len, size_t min_len, const char *tail, size_t tail_len,
		       size_t *ret_len)
{
	char tmpl[] = "/tmp/cw-decode-XXXXXX";
	int fd = mkostemp(tmpl, O_CLOEXEC);
	size_t len = 0;
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "we");
	assert_non_null(f);
	len += fwrite(prefix, 1, prefix_len, f);
	len += fwrite(HDR, 1, strlen(HDR), f);
	while (len < min_len)
		len += fwrite(ROW1, 1, strlen(ROW1), f);
	len += fwrite(tail, 1, tail_len, f);
	assert_int_equal(fclose(f), 0);
	*ret_len = len;
	return strdup(tmpl);
}

static void check_big(const char *path, size_t len, const char *encoding, int expect_r, size_t records,
		      const char *last_first)
{
	ingest_result res;
	golden_collect col;
	char sha[65];
	size_t n;
	_cleanup_free_ char *in = golden_read_all(path, &n);
	assert_int_equal(n, len);
	golden_collect_open(&col);
	int r = ingest_file(path, NULL, golden_collect_cb, &col, &res);
	_cleanup_free_ char *got = golden_collect_close(&col);
	if (r != expect_r)
		fail_msg("%s: %d line %u: %s", path, r, res.error_line, res.error);
	assert_string_equal(res.encoding, encoding);
	assert_int_equal(res.records, records);
	assert_int_equal(hash_sha256_hex(in, n, sha), 0);
	assert_string_equal(res.sha256, sha);
	assert_int_equal(res.size, len);
	if (last_first)
		assert_non_null(strstr(got, last_first));
	/* The buffer reader agrees with the file reader. */
	ingest_result res2;
	_cleanup_free_ char *again = golden_run_buffer(in, n, NULL, 0, expect_r, &res2);
	assert_string_equal(again, got);
	assert_string_equal(res2.encoding, encoding);
}

static void test_big_files(void **state)
{
	(void)state;
	const size_t rows_len = strlen(ROW1);
	size_t len;
	_cleanup_free_ char *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL;

	/* A 1252 byte far past the first read chunk still makes the whole file
	 * Windows-1252: the first pass reads on, the second starts again. */
	p1 = write_big("", 0, 3 * CW_READ_CHUNK, "Zo\xeb,B,,,C,D,03 Feb 2026\n", 24, &len);
	check_big(p1, len, "windows-1252", 0, (len - 24 - strlen(HDR)) / rows_len + 1, "\"first\":\"Zoë\"");

	/* Valid UTF-8 throughout, with a character across the 64 KiB boundary. */
	size_t pad = CW_READ_CHUNK - 1 - strlen(HDR);
	_cleanup_free_ char *pre = malloc(pad + 1);
	assert_non_null(pre);
	memset(pre, '\n', pad);
	pre[pad] = '\0';
	char tmpl[] = "/tmp/cw-decode-XXXXXX";
	int fd = mkostemp(tmpl, O_CLOEXEC);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "we");
	assert_non_null(f);
	fputs(HDR, f);
	fputs(pre, f);
	fputs("\xc3\xab,Zo\xc3\xab,,,C,D,03 Feb 2026\n", f);
	for (int i = 0; i < 2000; i++)
		fputs(ROW1, f);
	assert_int_equal(fclose(f), 0);
	p2 = strdup(tmpl);
	free(golden_read_all(p2, &len));
	check_big(p2, len, "utf-8", 0, 2001, "\"first\":\"ë\",\"last\":\"Zoë\"");

	/* A UTF-8 BOM and a bad byte past the first chunk: rejected at its line. */
	p3 = write_big("\xef\xbb\xbf", 3, 2 * CW_READ_CHUNK, "Zo\xeb,B,,,C,D,03 Feb 2026\n", 24, &len);
	{
		ingest_result res;
		size_t rows = (len - 3 - 24 - strlen(HDR)) / rows_len;
		golden_collect col;
		golden_collect_open(&col);
		assert_int_equal(ingest_file(p3, NULL, golden_collect_cb, &col, &res), -EBADMSG);
		free(golden_collect_close(&col));
		assert_string_equal(res.encoding, "utf-8-bom");
		assert_string_equal(res.error, "invalid UTF-8 after a UTF-8 byte-order mark");
		assert_int_equal(res.error_line, rows + 2);
		assert_int_equal(res.size, len);
	}

	/* UTF-16LE past one chunk, surrogate pairs straddling read boundaries. */
	{
		bytes b = { .len = 0 };
		p4 = strdup("/tmp/cw-decode-XXXXXX");
		fd = mkostemp(p4, O_CLOEXEC);
		assert_true(fd >= 0);
		f = fdopen(fd, "we");
		assert_non_null(f);
		bytes_unit(&b, 0xfeff, false);
		bytes_utf16(&b, HDR, false);
		fwrite(b.data, 1, b.len, f);
		len = b.len;
		b.len = 0;
		bytes_utf16(&b, "Anna,Visser,,,\xf0\x9f\xa5\x90\xf0\x9f\xa5\x90\xf0\x9f\xa5\x90,D,03 Feb 2026\r\n", false);
		size_t rows = 0;
		while (len < 3 * CW_READ_CHUNK) {
			len += fwrite(b.data, 1, b.len, f);
			rows++;
		}
		assert_int_equal(fclose(f), 0);
		check_big(p4, len, "utf-16le", 0, rows, "\"company\":\"\xf0\x9f\xa5\x90\xf0\x9f\xa5\x90\xf0\x9f\xa5\x90\"");
	}
	unlink(p1);
	unlink(p2);
	unlink(p3);
	unlink(p4);
}

int main(void)
{
	struct CMUnitTest tests[ELEMENTSOF(goldens) + 8];
	size_t n = 0;
	for (size_t i = 0; i < ELEMENTSOF(goldens); i++)
		tests[n++] = (struct CMUnitTest){ .name = goldens[i].name, .test_func = test_golden,
						  .initial_state = (void *)&goldens[i] };
	const struct CMUnitTest rest[] = {
		cmocka_unit_test(test_golden_all_equal),
		cmocka_unit_test(test_utf16_surrogate_pair),
		cmocka_unit_test(test_windows_1252),
		cmocka_unit_test(test_utf8_not_1252),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_big_files),
	};
	for (size_t i = 0; i < ELEMENTSOF(rest); i++)
		tests[n++] = rest[i];
	return _cmocka_run_group_tests("ingest_decode", tests, n, NULL, NULL);
}
