/* test_text.c — UTF-8 validation, folding (case, marks, compatibility
 * forms, the letters NFKD leaves alone, whitespace) and trimming. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_fold_german),
		cmocka_unit_test(test_strip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
