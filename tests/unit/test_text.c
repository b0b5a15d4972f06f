/* test_text.c — UTF-8 validation, folding (case, marks, compatibility
 * forms, the letters NFKD leaves alone, whitespace) and trimming; encoding
 * detection, the chunked validator and the decoder (every cut point of
 * every multi-byte sequence, exact errors). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "contactwatch/text.h"

static void assert_fold(const char *in, const char *want)
{
	char *out = NULL;
	assert_int_equal(text_fold(in, &out), 0);
	assert_string_equal(out, want);
	free(out);
}

static void assert_fold_german(const char *in, const char *want)
{
	char *out = NULL;
	assert_int_equal(text_fold_german(in, &out), 0);
	assert_string_equal(out, want);
	free(out);
}

static void test_valid(void **state)
{
	(void)state;
	assert_true(text_utf8_valid("", 0));
	assert_true(text_utf8_valid("Jürgen", strlen("Jürgen")));
	assert_true(text_utf8_valid("\xf0\x9f\x98\x80", 4));          /* emoji */
	assert_false(text_utf8_valid("\xe9t\xe9", 3));                /* Windows-1252 "été" */
	assert_false(text_utf8_valid("\xc3", 1));                     /* truncated */
	assert_false(text_utf8_valid("\xc0\xaf", 2));                 /* overlong '/' */
	assert_false(text_utf8_valid("\xed\xa0\x80", 3));             /* surrogate */
	assert_false(text_utf8_valid("\xf4\x90\x80\x80", 4));         /* > U+10FFFF */
	/* n bounds the check: the invalid byte after it is not looked at. */
	assert_true(text_utf8_valid("ab\xff", 2));
}

static void test_fold(void **state)
{
	(void)state;
	assert_fold("Jan de Vries", "jan de vries");
	assert_fold("JOSÉ", "jose");
	assert_fold("Zoë", "zoe");
	assert_fold("Müller", "muller");
	assert_fold("Straße", "strasse");
	assert_fold("STRASSE", "strasse");
	assert_fold("Ærø", "aero");
	assert_fold("Søren", "soren");
	assert_fold("Łódź", "lodz");
	assert_fold("Đorđe", "dorde");
	assert_fold("Œuvre", "oeuvre");
	assert_fold("Coöperatie", "cooperatie");
	assert_fold("\xc4\xb2sselstein", "ijsselstein"); /* U+0132 IJ ligature */
	assert_fold("ﬁrma", "firma");                    /* compatibility ligature */
	assert_fold("ＫＰＮ", "kpn");                     /* full-width */
	assert_fold("  Jan \t de\u00a0\u00a0Vries \n", "jan de vries");
	assert_fold("van\u2019t Hof", "van't hof");      /* typographic apostrophe */
	assert_fold("Anne\u2013Marie", "anne-marie");    /* en dash */
	assert_fold("Anne\u00adMarie", "annemarie");     /* soft hyphen is ignorable */
	assert_fold("a\x01" "b", "ab");                   /* control characters dropped */
	assert_fold("", "");
	assert_fold("   ", "");

	char *out = (char *)"untouched";
	assert_int_equal(text_fold("\xe9t\xe9", &out), -EINVAL);
	assert_string_equal(out, "untouched");
}

static void test_fold_german(void **state)
{
	(void)state;
	assert_fold_german("Müller", "mueller");
	assert_fold_german("MÜLLER", "mueller");
	assert_fold_german("Jürgen Böhm-Käfer", "juergen boehm-kaefer");
	assert_fold_german("Mueller", "mueller");
	assert_fold_german("Zoë", "zoe");       /* diaeresis on e is not an umlaut */
	assert_fold_german("Coöperatie", "cooeperatie");
	assert_fold_german("Straße", "strasse");
}

/* The Latin fast path (U+00C0..U+017F without utf8proc) agrees with the
 * full fold for every code point in its range: "€" after the letter sends
 * the string the slow way and folds to itself. */
static void test_fold_latin_fast_path(void **state)
{
	(void)state;
	for (unsigned cp = 0xC0; cp < 0x180; cp++) {
		char in[8] = { (char)(0xC0 | (cp >> 6)), (char)(0x80 | (cp & 0x3F)), 0 };
		char slow_in[16];
		snprintf(slow_in, sizeof slow_in, "%s\u20ac", in);
		for (int german = 0; german < 2; german++) {
			char *fast = NULL, *slow = NULL, want[16];
			int (*fold)(const char *, char **) = german ? text_fold_german : text_fold;
			assert_int_equal(fold(in, &fast), 0);
			assert_int_equal(fold(slow_in, &slow), 0);
			snprintf(want, sizeof want, "%s\u20ac", fast);
			assert_string_equal(slow, want);
			free(fast);
			free(slow);
		}
	}
	/* Mixed with ASCII, whitespace rule and the German forms. */
	assert_fold("  M\u00dcLLER \t Stra\u00dfe  ", "muller strasse");
	assert_fold_german("  M\u00dcLLER \t Stra\u00dfe  ", "mueller strasse");
	assert_fold("\u0141ukasz Gon\u00e7alves \u00c6r\u00f8", "lukasz goncalves aero");
	/* No-break space, a combining mark and other scripts take the slow way. */
	assert_fold("J\u00fcrgen\u00a0M\u00fcller", "jurgen muller");
	assert_fold_german("Mu\u0308ller", "mueller");
}

static void test_strip(void **state)
{
	(void)state;
	char a[] = "  hello \t\n";
	assert_string_equal(text_strip(a), "hello");
	char b[] = "\xc2\xa0 Jan\xc2\xa0";
	assert_string_equal(text_strip(b), "Jan");
	char c[] = " \xc2\xa0 ";
	assert_string_equal(text_strip(c), "");
	char d[] = "";
	assert_string_equal(text_strip(d), "");
	char e[] = "a b";
	assert_string_equal(text_strip(e), "a b");
	char f[] = "x\xc3\xa9 "; /* é at the end stays */
	assert_string_equal(text_strip(f), "x\xc3\xa9");
	assert_null(text_strip(NULL));
}

/* ---- decoding ------------------------------------------------------------ */

typedef struct sink_buf {
	char data[65536];
	size_t len;
	size_t calls;
	int fail_at; /* >0: the sink fails on that call with -ECANCELED */
} sink_buf;

static int sink_collect(const char *utf8, size_t n, void *userdata)
{
	sink_buf *b = userdata;
	b->calls++;
	if (b->fail_at > 0 && b->calls == (size_t)b->fail_at)
		return -ECANCELED;
	assert_true(n > 0);
	assert_true(n <= sizeof b->data - b->len);
	memcpy(b->data + b->len, utf8, n);
	b->len += n;
	return 0;
}

/* Decodes in in two feeds cut at split (then finishes); returns finish's or
 * the failing feed's result, the output in *b. */
static int decode_split(text_encoding enc, const char *in, size_t n, size_t split, sink_buf *b)
{
	text_decoder *d = text_decoder_new(enc);
	int r;
	assert_non_null(d);
	*b = (sink_buf){ .len = 0 };
	r = text_decoder_feed(d, in, split, sink_collect, b);
	if (r == 0)
		r = text_decoder_feed(d, in + split, n - split, sink_collect, b);
	if (r == 0)
		r = text_decoder_finish(d, sink_collect, b);
	assert_null(text_decoder_free(d));
	return r;
}

/* in decodes to want, whatever the one cut, and byte by byte. */
static void assert_decodes(text_encoding enc, const char *in, size_t n, const char *want, size_t want_len)
{
	static sink_buf b;
	for (size_t split = 0; split <= n; split++) {
		assert_int_equal(decode_split(enc, in, n, split, &b), 0);
		if (b.len != want_len || memcmp(b.data, want, b.len) != 0)
			fail_msg("%s, cut at %zu: got \"%.*s\"", text_encoding_name(enc), split, (int)b.len, b.data);
		assert_true(text_utf8_valid(b.data, b.len));
	}
	text_decoder *d = text_decoder_new(enc);
	assert_non_null(d);
	b = (sink_buf){ .len = 0 };
	for (size_t i = 0; i < n; i++)
		assert_int_equal(text_decoder_feed(d, in + i, 1, sink_collect, &b), 0);
	assert_int_equal(text_decoder_finish(d, sink_collect, &b), 0);
	assert_int_equal(b.len, want_len);
	assert_memory_equal(b.data, want, b.len);
	text_decoder_free(d);
}

/* Literals (NULs included) for in and want. */
#define DECODES(enc, in, want) assert_decodes(enc, in, sizeof(in) - 1, want, sizeof(want) - 1)
#define DECODE_FAILS(enc, in, message, line, offset, before) \
	assert_decode_fails(enc, in, sizeof(in) - 1, message, line, offset, before)

/* in fails with message at line/offset whatever the cut, and everything
 * decoded before the bad byte has reached the sink: want_before. */
static void assert_decode_fails(text_encoding enc, const char *in, size_t n, const char *message, unsigned line,
				uint64_t offset, const char *want_before)
{
	static sink_buf b;
	for (size_t split = 0; split <= n; split++) {
		text_decoder *d = text_decoder_new(enc);
		unsigned got_line = 0;
		uint64_t got_offset = 0;
		int r;
		assert_non_null(d);
		b = (sink_buf){ .len = 0 };
		assert_null(text_decoder_error(d, &got_line, &got_offset));
		r = text_decoder_feed(d, in, split, sink_collect, &b);
		if (r == 0)
			r = text_decoder_feed(d, in + split, n - split, sink_collect, &b);
		if (r == 0)
			r = text_decoder_finish(d, sink_collect, &b);
		assert_int_equal(r, -EILSEQ);
		const char *why = text_decoder_error(d, &got_line, &got_offset);
		assert_non_null(why);
		if (!streq(why, message) || got_line != line || got_offset != offset)
			fail_msg("%s cut at %zu: \"%s\" line %u byte %llu", text_encoding_name(enc), split, why,
				 got_line, (unsigned long long)got_offset);
		assert_int_equal(b.len, strlen(want_before));
		assert_memory_equal(b.data, want_before, b.len);
		/* Sticky: nothing more comes out. */
		assert_int_equal(text_decoder_feed(d, "a", 1, sink_collect, &b), -EILSEQ);
		assert_int_equal(text_decoder_finish(d, sink_collect, &b), -EILSEQ);
		assert_int_equal(b.len, strlen(want_before));
		text_decoder_free(d);
	}
}

static void test_detect(void **state)
{
	(void)state;
	assert_int_equal(text_detect("\xef\xbb\xbf" "a", 4, false), TEXT_UTF8_BOM);
	assert_int_equal(text_detect("\xef\xbb\xbf", 3, true), TEXT_UTF8_BOM);
	assert_int_equal(text_detect("\xff\xfe" "a\0", 4, false), TEXT_UTF16LE);
	assert_int_equal(text_detect("\xfe\xff\0a", 4, true), TEXT_UTF16BE);
	assert_int_equal(text_detect("\xff\xfe", 2, false), TEXT_UTF16LE);
	/* Without a BOM the whole input decides. */
	assert_int_equal(text_detect("abc", 3, true), TEXT_UTF8);
	assert_int_equal(text_detect("abc", 3, false), TEXT_WINDOWS_1252);
	assert_int_equal(text_detect("", 0, true), TEXT_UTF8);
	/* Half a BOM is not one; UTF-16 without a BOM is not recognised. */
	assert_int_equal(text_detect("\xef\xbb", 2, false), TEXT_WINDOWS_1252);
	assert_int_equal(text_detect("\xff", 1, false), TEXT_WINDOWS_1252);
	assert_int_equal(text_detect("a\0b\0", 4, true), TEXT_UTF8);
	assert_true(text_has_bom("\xfe\xff", 2));
	assert_false(text_has_bom("\xfe", 1));
	assert_false(text_has_bom("abc", 3));
	assert_string_equal(text_encoding_name(TEXT_UTF8), "utf-8");
	assert_string_equal(text_encoding_name(TEXT_UTF8_BOM), "utf-8-bom");
	assert_string_equal(text_encoding_name(TEXT_UTF16LE), "utf-16le");
	assert_string_equal(text_encoding_name(TEXT_UTF16BE), "utf-16be");
	assert_string_equal(text_encoding_name(TEXT_WINDOWS_1252), "windows-1252");
}

static void test_validator(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t n;
		bool valid;
		uint64_t error_offset;
		unsigned error_line;
	} cases[] = {
		{ "", 0, true, 0, 0 },
		{ "J\xc3\xbcrgen\n\xf0\x9f\x98\x80", 12, true, 0, 0 },
		{ "\xe9t\xe9", 3, false, 0, 1 },
		{ "ab\r\n\xc3", 5, false, 4, 2 },           /* cut short at the end */
		{ "a\nb\rc\r\nd\xc3\x28", 10, false, 8, 4 }, /* LF, CR, CRLF: line 4 */
		{ "\xc0\xaf", 2, false, 0, 1 },             /* overlong */
		{ "\xe0\x80\xaf", 3, false, 0, 1 },         /* overlong, 3 bytes */
		{ "x\xed\xa0\x80", 4, false, 1, 1 },        /* surrogate */
		{ "\xf4\x90\x80\x80", 4, false, 0, 1 },     /* > U+10FFFF */
		{ "\xf0\x9f\x98", 3, false, 0, 1 },         /* 3 of 4 */
		{ "a\x80", 2, false, 1, 1 },                /* stray continuation */
		{ "\xc3\n", 2, false, 0, 1 },               /* a line end inside a sequence */
		{ "\xf5\x80\x80\x80", 4, false, 0, 1 },
		{ "a\0b", 3, true, 0, 0 },                  /* NUL is UTF-8 */
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		assert_int_equal(text_utf8_valid(cases[i].s, cases[i].n), cases[i].valid);
		/* Cut at every point, and byte by byte. */
		for (size_t split = 0; split <= cases[i].n; split++) {
			text_utf8_validator v;
			text_utf8_validator_init(&v);
			text_utf8_validator_feed(&v, cases[i].s, split);
			text_utf8_validator_feed(&v, cases[i].s + split, cases[i].n - split);
			if (text_utf8_validator_finish(&v) != cases[i].valid)
				fail_msg("case %zu cut at %zu", i, split);
			if (!cases[i].valid) {
				assert_int_equal(v.error_offset, cases[i].error_offset);
				assert_int_equal(v.error_line, cases[i].error_line);
			}
		}
		text_utf8_validator v;
		text_utf8_validator_init(&v);
		for (size_t k = 0; k < cases[i].n; k++)
			text_utf8_validator_feed(&v, cases[i].s + k, 1);
		assert_int_equal(text_utf8_validator_finish(&v), cases[i].valid);
	}
}

#define BAD_AFTER_BOM "invalid UTF-8 after a UTF-8 byte-order mark"
#define ZOE_UTF8 "A\r\nZo\xc3\xab \xf0\x9f\x98\x80 \xe2\x82\xac"

static void test_decode_utf8(void **state)
{
	(void)state;
	/* The BOM goes; a U+FEFF later on is text and stays. */
	DECODES(TEXT_UTF8_BOM, "\xef\xbb\xbf" ZOE_UTF8, ZOE_UTF8);
	DECODES(TEXT_UTF8_BOM, "\xef\xbb\xbf\xef\xbb\xbf" "a", "\xef\xbb\xbf" "a");
	DECODES(TEXT_UTF8, ZOE_UTF8, ZOE_UTF8);
	DECODES(TEXT_UTF8_BOM, "\xef\xbb\xbf", "");
	DECODES(TEXT_UTF8, "", "");
	DECODES(TEXT_UTF8, "a\0b", "a\0b"); /* U+0000 is for the parser to refuse */

	DECODE_FAILS(TEXT_UTF8_BOM, "\xef\xbb\xbf" "a\nM\xfcller", BAD_AFTER_BOM,
		     2, 6, "a\nM");
	DECODE_FAILS(TEXT_UTF8_BOM, "\xef\xbb\xbf" "a\r\nb\xe2\x82", BAD_AFTER_BOM,
		     2, 7, "a\r\nb");
	DECODE_FAILS(TEXT_UTF8_BOM, "\xef\xbb\xbf\xc0\xaf", BAD_AFTER_BOM,
		     1, 3, "");
	DECODE_FAILS(TEXT_UTF8, "ok\n\xed\xa0\x80", "invalid UTF-8", 2, 3, "ok\n");
	/* A half BOM is not a BOM: the bytes are the (bad) text. */
	DECODE_FAILS(TEXT_UTF8_BOM, "\xef\xbb" "a", BAD_AFTER_BOM,
		     1, 0, "");
}

#define LE_UNPAIRED "invalid UTF-16LE: unpaired surrogate"
#define BE_UNPAIRED "invalid UTF-16BE: unpaired surrogate"

/* ZOE_UTF8 in UTF-16LE and BE, with a BOM. */
static const char zoe_le[] = "\xff\xfe" "A\0\r\0\n\0Z\0o\0\xeb\0 \0\x3d\xd8\x00\xde \0\xac\x20";
static const char zoe_be[] = "\xfe\xff" "\0A\0\r\0\n\0Z\0o\0\xeb\0 \xd8\x3d\xde\x00\0 \x20\xac";

static void test_decode_utf16(void **state)
{
	(void)state;
	DECODES(TEXT_UTF16LE, zoe_le, ZOE_UTF8);
	DECODES(TEXT_UTF16BE, zoe_be, ZOE_UTF8);
	DECODES(TEXT_UTF16LE, "\xff\xfe", "");
	/* U+0000 passes; U+FEFF after the start is text. */
	DECODES(TEXT_UTF16LE, "\xff\xfe" "a\0\0\0\xff\xfe", "a\0\xef\xbb\xbf");
	/* The highest code point and the highest BMP one. */
	DECODES(TEXT_UTF16BE, "\xfe\xff\xdb\xff\xdf\xff\xff\xfd", "\xf4\x8f\xbf\xbf\xef\xbf\xbd");

	/* Half a code unit at the end, after a line end: the next line. */
	DECODE_FAILS(TEXT_UTF16LE, "\xff\xfe" "a\0\n\0b", "invalid UTF-16LE: odd number of bytes", 2, 6, "a\n");
	DECODE_FAILS(TEXT_UTF16BE, "\xfe\xff\0a\0", "invalid UTF-16BE: odd number of bytes", 1, 4, "a");
	/* A high surrogate followed by a letter, by a line end, or by nothing. */
	DECODE_FAILS(TEXT_UTF16LE, "\xff\xfe" "a\0\n\0\x3d\xd8" "b\0", LE_UNPAIRED, 2, 6, "a\n");
	DECODE_FAILS(TEXT_UTF16BE, "\xfe\xff\0a\xd8\x3d\0\n", BE_UNPAIRED, 1, 4, "a");
	DECODE_FAILS(TEXT_UTF16LE, "\xff\xfe" "a\0\x3d\xd8", LE_UNPAIRED, 1, 4, "a");
	/* ... and with a stray byte after it: the surrogate came first. */
	DECODE_FAILS(TEXT_UTF16LE, "\xff\xfe\x3d\xd8" "b", LE_UNPAIRED, 1, 2, "");
	/* Two high surrogates; a low one alone. */
	DECODE_FAILS(TEXT_UTF16BE, "\xfe\xff\xd8\x3d\xd8\x3d\xde\x00", BE_UNPAIRED, 1, 2, "");
	DECODE_FAILS(TEXT_UTF16LE, "\xff\xfe" "a\0\0\xde", LE_UNPAIRED, 1, 4, "a");
}

static void test_decode_1252(void **state)
{
	(void)state;
	DECODES(TEXT_WINDOWS_1252, "\x80", "\xe2\x82\xac");               /* € */
	DECODES(TEXT_WINDOWS_1252, "Zo\xeb", "Zo\xc3\xab");               /* ë */
	DECODES(TEXT_WINDOWS_1252, "\x92t Hart", "\xe2\x80\x99t Hart");   /* ’ */
	DECODES(TEXT_WINDOWS_1252, "\x93\x94\x96\x97\x99", /* “ ” – — ™ */
		"\xe2\x80\x9c\xe2\x80\x9d\xe2\x80\x93\xe2\x80\x94\xe2\x84\xa2");
	DECODES(TEXT_WINDOWS_1252, "\x8a\x8c\x9f\x83", "\xc5\xa0\xc5\x92\xc5\xb8\xc6\x92"); /* Š Œ Ÿ ƒ */
	DECODES(TEXT_WINDOWS_1252, "\xa0\xff", "\xc2\xa0\xc3\xbf");      /* Latin-1 half */
	/* The five undefined bytes become U+FFFD. */
	DECODES(TEXT_WINDOWS_1252, "\x81\x8d\x8f\x90\x9d",
		"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* No BOM to drop: EF BB BF is text here (ï»¿); NUL passes. */
	DECODES(TEXT_WINDOWS_1252, "\xef\xbb\xbf\0", "\xc3\xaf\xc2\xbb\xc2\xbf\0");

	/* Every byte decodes, to valid UTF-8, and ASCII to itself. */
	char all[256];
	for (size_t i = 0; i < 256; i++)
		all[i] = (char)i;
	static sink_buf b;
	assert_int_equal(decode_split(TEXT_WINDOWS_1252, all, 256, 100, &b), 0);
	assert_true(text_utf8_valid(b.data, b.len));
	assert_memory_equal(b.data, all, 128);
	/* 0x80..0x9F one by one (2 or 3 bytes each), 0xA0..0xFF 2 bytes each. */
	size_t want = 128;
	for (unsigned c = 0x80; c <= 0x9f; c++) {
		unsigned char one = (unsigned char)c;
		static sink_buf ob;
		assert_int_equal(decode_split(TEXT_WINDOWS_1252, (const char *)&one, 1, 0, &ob), 0);
		assert_true(ob.len == 2 || ob.len == 3);
		want += ob.len;
	}
	want += 96 * 2;
	assert_int_equal(b.len, want);
}

/* Output goes out in pieces no larger than the decoder's buffer, a sink's
 * error comes back unchanged and stops the decoder. */
static void test_decode_sink(void **state)
{
	(void)state;
	static char in[20000];
	static sink_buf b;
	memset(in, '\xe9', sizeof in); /* é: 2 bytes each */
	assert_int_equal(decode_split(TEXT_WINDOWS_1252, in, sizeof in, 0, &b), 0);
	assert_int_equal(b.len, 2 * sizeof in);
	assert_true(b.calls >= 10);

	text_decoder *d = text_decoder_new(TEXT_WINDOWS_1252);
	assert_non_null(d);
	b = (sink_buf){ .fail_at = 2 };
	assert_int_equal(text_decoder_feed(d, in, sizeof in, sink_collect, &b), -ECANCELED);
	assert_null(text_decoder_error(d, NULL, NULL));
	text_decoder_free(d);

	/* A parser error in the text before a bad byte is the one that counts:
	 * the flush before -EILSEQ reports the sink's error. */
	d = text_decoder_new(TEXT_UTF8_BOM);
	assert_non_null(d);
	b = (sink_buf){ .fail_at = 1 };
	assert_int_equal(text_decoder_feed(d, "ab\xff", 3, sink_collect, &b), -ECANCELED);
	assert_null(text_decoder_free(d));
	assert_null(text_decoder_free(NULL));
}

/* Every length at its boundaries, each valid UTF-8 of exactly that code
 * point (decoded back by hand). */
static void test_utf8_encode(void **state)
{
	(void)state;
	static const struct {
		uint32_t cp;
		const char *want;
	} cases[] = {
		{ 0x41, "A" }, { 0x7f, "\x7f" }, { 0x80, "\xc2\x80" }, { 0xeb, "\xc3\xab" },
		{ 0x7ff, "\xdf\xbf" }, { 0x800, "\xe0\xa0\x80" }, { 0x20ac, "\xe2\x82\xac" },
		{ 0xffff, "\xef\xbf\xbf" }, { 0x10000, "\xf0\x90\x80\x80" }, { 0x10ffff, "\xf4\x8f\xbf\xbf" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char out[4];
		size_t n = text_utf8_encode(cases[i].cp, out);
		assert_int_equal(n, strlen(cases[i].want));
		assert_memory_equal(out, cases[i].want, n);
		assert_true(text_utf8_valid(out, n));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_utf8_encode),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_fold_german),
		cmocka_unit_test(test_fold_latin_fast_path),
		cmocka_unit_test(test_strip),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_validator),
		cmocka_unit_test(test_decode_utf8),
		cmocka_unit_test(test_decode_utf16),
		cmocka_unit_test(test_decode_1252),
		cmocka_unit_test(test_decode_sink),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
