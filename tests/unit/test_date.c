/* test_date.c — day numbers, export date spellings, clause arithmetic. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "contactwatch/date.h"

static void assert_date(const char *s, const char *want)
{
	int32_t d;
	char buf[11];
	int r = date_parse_export(s, &d);
	if (!want) {
		assert_int_equal(r, -EINVAL);
		return;
	}
	assert_int_equal(r, 0);
	date_format(d, buf);
	assert_string_equal(buf, want);
}

static void test_epoch_and_roundtrip(void **state)
{
	(void)state;
	int32_t d;
	int y, m, dd;
	assert_int_equal(date_from_ymd(1970, 1, 1, &d), 0);
	assert_int_equal(d, 0);
	for (int32_t x = -25000; x < 80000; x += 37) {
		date_to_ymd(x, &y, &m, &dd);
		int32_t back;
		if (y < 1900)
			continue;
		assert_int_equal(date_from_ymd(y, m, dd, &back), 0);
		assert_int_equal(back, x);
	}
}

static void test_iso_strict(void **state)
{
	(void)state;
	int32_t d;
	assert_int_equal(date_parse_iso("2026-06-30", &d), 0);
	assert_int_equal(date_parse_iso("2026-6-30", &d), -EINVAL);
	assert_int_equal(date_parse_iso("2026-02-29", &d), -EINVAL); /* not a leap year */
	assert_int_equal(date_parse_iso("2024-02-29", &d), 0);
	assert_int_equal(date_parse_iso("2026-06-30x", &d), -EINVAL);
	assert_int_equal(date_parse_iso("30-06-2026", &d), -EINVAL);
}

static void test_export_spellings(void **state)
{
	(void)state;
	assert_date("07 Feb 2026", "2026-02-07");
	assert_date(" 7 February 2026 ", "2026-02-07");
	assert_date("02 Aug 2026", "2026-08-02");
	assert_date("07-Feb-2026", "2026-02-07");
	assert_date("2/7/26, 3:04 PM", "2026-02-07"); /* LinkedIn 2018: US order */
	assert_date("12/31/18, 11:59 AM", "2018-12-31");
	assert_date("2017-03-01T14:55:03.000+0000", "2017-03-01");
	assert_date("2026-02-07", "2026-02-07");
	assert_date("", NULL);
	assert_date("31 Feb 2026", NULL);
	assert_date("13/1/26, 1:00 PM", NULL);
	assert_date("07 Fbr 2026", NULL);
	assert_date("yesterday", NULL);
}

/* Excel re-saves, Dutch months, 2-digit years, and the day-month order
 * rules: a date is read only when it cannot be read two ways. */
static void test_excel_and_dutch(void **state)
{
	(void)state;
	/* Excel "d-mmm-yy" and 2-digit years: 2000-2099. */
	assert_date("2-Jan-21", "2021-01-02");
	assert_date("31-Dec-99", "2099-12-31");
	assert_date("2-Jan-2021", "2021-01-02");
	/* Dutch and German locales: day first with "-" and ".". */
	assert_date("02-01-2021", "2021-01-02");
	assert_date("2-1-2021", "2021-01-02");
	assert_date("02.01.2021", "2021-01-02");
	assert_date("02.01.21", "2021-01-02");
	assert_date("31-12-2020 14:05", "2020-12-31");
	assert_date("02-13-2021", NULL); /* no 13th month; not taken as US */
	assert_date("31.02.2021", NULL);
	/* Dutch month names and abbreviations, with or without a dot. */
	assert_date("7 mrt 2026", "2026-03-07");
	assert_date("7 mrt. 2026", "2026-03-07");
	assert_date("7 maart 2026", "2026-03-07");
	assert_date("7 MEI 2026", "2026-05-07");
	assert_date("7-mei-26", "2026-05-07");
	assert_date("1 okt. 2025", "2025-10-01");
	assert_date("1 oktober 2025", "2025-10-01");
	assert_date("15 juli 2024", "2024-07-15");
	assert_date("15 juni 2024", "2024-06-15");
	assert_date("3 augustus 2024", "2024-08-03");
	assert_date("3 sept. 2024", "2024-09-03");
	assert_date("3 febr 2024", "2024-02-03");
	assert_date("3 ma 2024", NULL);  /* too short to say */
	assert_date("3 mrtx 2024", NULL);
	assert_date("3 mai 2024", NULL); /* German: not read */
	/* US report spelling. */
	assert_date("Feb 7, 2026", "2026-02-07");
	assert_date("2026/02/07", "2026-02-07");
	assert_date("2026-02-07 14:55:03", "2026-02-07");
}

static void assert_why(const char *s, const char *want)
{
	int32_t d;
	const char *why = "unset";
	int r = date_parse_export_why(s, &d, &why);
	assert_int_equal(r, want ? -EINVAL : 0);
	if (want)
		assert_string_equal(why, want);
	else
		assert_null(why);
}

static void test_slash_ambiguity(void **state)
{
	(void)state;
	/* Day over 12: only one order fits. */
	assert_date("13/01/2021", "2021-01-13");
	assert_date("01/13/2021", "2021-01-13");
	assert_date("31/12/20", "2020-12-31");
	/* Both numbers the same: the same day either way. */
	assert_date("05/05/2021", "2021-05-05");
	/* A 12-hour clock is the US locale: month first. */
	assert_date("2/7/2026 3:04 PM", "2026-02-07");
	assert_date("2/7/26, 3:04 PM", "2026-02-07");
	/* Otherwise both orders are real days: undated, and said why. */
	assert_date("02/01/2021", NULL);
	assert_date("2/7/26", NULL);
	assert_date("02/01/2021 14:00", NULL);
	assert_why("02/01/2021", DATE_WHY_AMBIGUOUS);
	assert_why("2/7/26", DATE_WHY_AMBIGUOUS);
	assert_why("31 Feb 2026", DATE_WHY_NO_SUCH_DAY);
	assert_why("13/13/2021", DATE_WHY_NO_SUCH_DAY);
	assert_why("31-02-2021", DATE_WHY_NO_SUCH_DAY);
	assert_why("gisteren", DATE_WHY_UNREADABLE);
	assert_why("", DATE_WHY_UNREADABLE);
	assert_why(NULL, DATE_WHY_UNREADABLE);
	assert_why("2/7/26 3:04 XM", DATE_WHY_UNREADABLE);
	assert_why("13/1/26, 1:00 PM", DATE_WHY_NO_SUCH_DAY);
	assert_why("07 Feb 2026", NULL);
	assert_why("12/30/25, 11:15 AM", NULL);
	/* Times must be times. */
	assert_date("2/7/26, 13:04 PM", NULL);
	assert_date("02-01-2021 25:00", NULL);
}

static void test_add_months_clamps(void **state)
{
	(void)state;
	int32_t d;
	char buf[11];
	assert_int_equal(date_from_ymd(2026, 6, 30, &d), 0);
	date_format(date_add_months(d, 12), buf);
	assert_string_equal(buf, "2027-06-30");
	assert_int_equal(date_from_ymd(2026, 1, 31, &d), 0);
	date_format(date_add_months(d, 1), buf);
	assert_string_equal(buf, "2026-02-28");
	assert_int_equal(date_from_ymd(2023, 8, 31, &d), 0);
	date_format(date_add_months(d, 6), buf);
	assert_string_equal(buf, "2024-02-29");
	date_format(date_add_days(d, 1), buf);
	assert_string_equal(buf, "2023-09-01");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epoch_and_roundtrip),
		cmocka_unit_test(test_iso_strict),
		cmocka_unit_test(test_export_spellings),
		cmocka_unit_test(test_excel_and_dutch),
		cmocka_unit_test(test_slash_ambiguity),
		cmocka_unit_test(test_add_months_clamps),
	};
	return cmocka_run_group_tests_name("date", tests, NULL, NULL);
}
