/* test_clause.c — classification against the window and severity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "contactwatch/clause.h"
#include "contactwatch/date.h"

static int32_t day(int y, int m, int d)
{
	int32_t x = 0;
	assert_int_equal(date_from_ymd(y, m, d, &x), 0);
	return x;
}

static void test_window_edges_are_inclusive(void **state)
{
	(void)state;
	int32_t s = day(2026, 6, 30), e = day(2027, 6, 30);
	assert_int_equal(clause_classify(s, e, day(2026, 6, 29), false, false), CLASS_PRE_EXISTING);
	assert_int_equal(clause_classify(s, e, s, false, false), CLASS_IN_WINDOW);
	assert_int_equal(clause_classify(s, e, e, false, false), CLASS_IN_WINDOW);
	assert_int_equal(clause_classify(s, e, day(2027, 7, 1), false, false), CLASS_NONE);
}

static void test_undated(void **state)
{
	(void)state;
	int32_t s = day(2026, 6, 30), e = day(2027, 6, 30);
	assert_int_equal(clause_classify(s, e, DATE_NONE, false, false), CLASS_UNDATED);
	assert_int_equal(clause_classify(s, e, DATE_NONE, true, true), CLASS_UNDATED);
	assert_int_equal(clause_classify(s, e, DATE_NONE, true, false), CLASS_NEW_SINCE_BASELINE);
}

static void test_severity_per_spec(void **state)
{
	(void)state;
	assert_int_equal(clause_severity(CLASS_IN_WINDOW), SEVERITY_HIGH);
	assert_int_equal(clause_severity(CLASS_NEW_SINCE_BASELINE), SEVERITY_HIGH);
	assert_int_equal(clause_severity(CLASS_UNDATED), SEVERITY_MEDIUM);
	assert_int_equal(clause_severity(CLASS_PRE_EXISTING), SEVERITY_LOW);
	assert_string_equal(classification_to_string(CLASS_NEW_SINCE_BASELINE), "new_since_baseline");
	assert_string_equal(classification_to_string(CLASS_IN_WINDOW), "in_window");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_edges_are_inclusive),
		cmocka_unit_test(test_undated),
		cmocka_unit_test(test_severity_per_spec),
	};
	return cmocka_run_group_tests_name("clause", tests, NULL, NULL);
}
