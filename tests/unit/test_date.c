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
		cmocka_unit_test(test_add_months_clamps),
	};
	return cmocka_run_group_tests_name("date", tests, NULL, NULL);
}
