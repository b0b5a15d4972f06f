/* test_parse.c — the configuration value syntaxes: time spans, sizes,
 * booleans, fractions, severities, clause durations and log levels,
 * including the inputs they must refuse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>
#include <cmocka.h>

#include "contactwatch/parse.h"

static void test_timespan_units(void **state)
{
	static const struct {
		const char *in;
		uint64_t usec;
	} ok[] = {
		{ "30s", 30 * USEC_PER_SEC },
		{ "15min", 15 * USEC_PER_MIN },
		{ "6h", 6 * USEC_PER_HOUR },
		{ "1d", USEC_PER_DAY },
		{ "1w", 7 * USEC_PER_DAY },
		{ "2 weeks", 14 * USEC_PER_DAY },
		{ "90d", 90 * USEC_PER_DAY },
		{ "45", 45 * USEC_PER_SEC },
		{ "0", 0 },
		{ "2h 30min", 2 * USEC_PER_HOUR + 30 * USEC_PER_MIN },
		{ "2h30min", 2 * USEC_PER_HOUR + 30 * USEC_PER_MIN },
		{ "1hr 5m 3s", USEC_PER_HOUR + 5 * USEC_PER_MIN + 3 * USEC_PER_SEC },
		{ "500ms", 500000 },
		{ "10us", 10 },
		{ "1.5h", 90 * USEC_PER_MIN },
		{ " 5 sec ", 5 * USEC_PER_SEC },
		{ "3days", 3 * USEC_PER_DAY },
		{ "1 day", USEC_PER_DAY },
	};
	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		uint64_t v = 12345;
		int r = parse_timespan(ok[i].in, &v);
		if (r != 0 || v != ok[i].usec)
			fail_msg("parse_timespan(\"%s\") = %d, %llu; want %llu", ok[i].in, r,
				 (unsigned long long)v, (unsigned long long)ok[i].usec);
	}
}

static void test_timespan_bad(void **state)
{
	static const char *const bad[] = { "", "   ", "soon", "5 parsecs", "-5s", "1.s", "s", "5s x", "1e3" };
	uint64_t v = 777;
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = parse_timespan(bad[i], &v);
		if (r != -EINVAL)
			fail_msg("parse_timespan(\"%s\") = %d, want -EINVAL", bad[i], r);
	}
	assert_int_equal(v, 777); /* untouched on failure */
	assert_int_equal(parse_timespan("99999999999999999999s", &v), -ERANGE);
	assert_int_equal(parse_timespan("18446744073709551615w", &v), -ERANGE);
	assert_int_equal(parse_timespan(NULL, &v), -EINVAL);
}

static void test_size(void **state)
{
	uint64_t v;
	(void)state;
	assert_int_equal(parse_size("512M", &v), 0);
	assert_int_equal(v, 512ull << 20);
	assert_int_equal(parse_size("1G", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("64K", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(parse_size("2T", &v), 0);
	assert_int_equal(v, 2ull << 40);
	assert_int_equal(parse_size("512MB", &v), 0);
	assert_int_equal(v, 512ull << 20);
	assert_int_equal(parse_size("1 GiB", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(parse_size("100B", &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(parse_size("1.5K", &v), 0);
	assert_int_equal(v, 1536);

	v = 9;
	assert_int_equal(parse_size("", &v), -EINVAL);
	assert_int_equal(parse_size("M", &v), -EINVAL);
	assert_int_equal(parse_size("12Q", &v), -EINVAL);
	assert_int_equal(parse_size("-1K", &v), -EINVAL);
	assert_int_equal(parse_size("1.5", &v), -EINVAL);
	assert_int_equal(parse_size("5 M M", &v), -EINVAL);
	assert_int_equal(v, 9);
	assert_int_equal(parse_size("20000000T", &v), -ERANGE);
}

static void test_bool(void **state)
{
	bool b = false;
	(void)state;
	static const char *const yes[] = { "yes", "true", "on", "1", "YES", "True" };
	static const char *const no[] = { "no", "false", "off", "0", "No" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		b = false;
		assert_int_equal(parse_bool(yes[i], &b), 0);
		assert_true(b);
	}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		b = true;
		assert_int_equal(parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	assert_int_equal(parse_bool("maybe", &b), -EINVAL);
	assert_int_equal(parse_bool("", &b), -EINVAL);
	assert_int_equal(parse_bool("2", &b), -EINVAL);
}

static void test_fraction(void **state)
{
	double v = -1;
	(void)state;
	assert_int_equal(parse_fraction("0.90", &v), 0);
	assert_float_equal(v, 0.90, 1e-12);
	assert_int_equal(parse_fraction("1", &v), 0);
	assert_float_equal(v, 1.0, 1e-12);
	assert_int_equal(parse_fraction("0", &v), 0);
	assert_float_equal(v, 0.0, 1e-12);
	assert_int_equal(parse_fraction("1.0", &v), 0);
	assert_float_equal(v, 1.0, 1e-12);
	assert_int_equal(parse_fraction(".5", &v), 0);
	assert_float_equal(v, 0.5, 1e-12);

	v = 0.25;
	assert_int_equal(parse_fraction("1.01", &v), -ERANGE);
	assert_int_equal(parse_fraction("2", &v), -ERANGE);
	assert_int_equal(parse_fraction("-0.1", &v), -EINVAL);
	assert_int_equal(parse_fraction("0,9", &v), -EINVAL);
	assert_int_equal(parse_fraction("nan", &v), -EINVAL);
	assert_int_equal(parse_fraction("1e-1", &v), -EINVAL);
	assert_int_equal(parse_fraction("", &v), -EINVAL);
	assert_float_equal(v, 0.25, 0);
}

static void test_severity(void **state)
{
	severity s = SEVERITY_HIGH;
	(void)state;
	assert_int_equal(parse_severity("low", &s), 0);
	assert_int_equal(s, SEVERITY_LOW);
	assert_int_equal(parse_severity("medium", &s), 0);
	assert_int_equal(s, SEVERITY_MEDIUM);
	assert_int_equal(parse_severity("High", &s), 0);
	assert_int_equal(s, SEVERITY_HIGH);
	assert_int_equal(parse_severity("critical", &s), -EINVAL);
	assert_int_equal(parse_severity("", &s), -EINVAL);
	assert_string_equal(severity_to_string(SEVERITY_LOW), "low");
	assert_string_equal(severity_to_string(SEVERITY_MEDIUM), "medium");
	assert_string_equal(severity_to_string(SEVERITY_HIGH), "high");
	assert_null(severity_to_string((severity)42));
}

static void test_clause_duration(void **state)
{
	static const struct {
		const char *in;
		int months, days;
	} ok[] = {
		{ "12months", 12, 0 }, { "1year", 12, 0 },  { "18 months", 18, 0 }, { "2y", 24, 0 },
		{ "6m", 6, 0 },        { "365days", 0, 365 }, { "52weeks", 0, 364 }, { "1 month", 1, 0 },
		{ "3 years", 36, 0 },  { "30d", 0, 30 },    { "2w", 0, 14 },       { " 24 months ", 24, 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		clause_duration d = { -1, -1 };
		int r = parse_clause_duration(ok[i].in, &d);
		if (r != 0 || d.months != ok[i].months || d.days != ok[i].days)
			fail_msg("parse_clause_duration(\"%s\") = %d, {%d, %d}; want {%d, %d}", ok[i].in, r, d.months,
				 d.days, ok[i].months, ok[i].days);
	}
}

static void test_clause_duration_bad(void **state)
{
	static const char *const bad[] = { "",        "12",       "months", "12 parsecs", "1.5years", "1 year 6 months",
					   "-6months", "12monthsx", "6min",   "1.0y",       "12 m m" };
	clause_duration d = { 7, 7 };
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = parse_clause_duration(bad[i], &d);
		if (r != -EINVAL)
			fail_msg("parse_clause_duration(\"%s\") = %d, want -EINVAL", bad[i], r);
	}
	assert_int_equal(parse_clause_duration("0months", &d), -ERANGE);
	assert_int_equal(parse_clause_duration("101years", &d), -ERANGE);
	assert_int_equal(parse_clause_duration("99999999999999999999d", &d), -ERANGE);
	assert_int_equal(d.months, 7);
	assert_int_equal(d.days, 7);
}

static void test_log_level(void **state)
{
	int l = -1;
	(void)state;
	assert_int_equal(parse_log_level("info", &l), 0);
	assert_int_equal(l, LOG_INFO);
	assert_int_equal(parse_log_level("debug", &l), 0);
	assert_int_equal(l, LOG_DEBUG);
	assert_int_equal(parse_log_level("warning", &l), 0);
	assert_int_equal(l, LOG_WARNING);
	assert_int_equal(parse_log_level("err", &l), 0);
	assert_int_equal(l, LOG_ERR);
	assert_int_equal(parse_log_level("emerg", &l), 0);
	assert_int_equal(l, LOG_EMERG);
	assert_int_equal(parse_log_level("notice", &l), 0);
	assert_int_equal(l, LOG_NOTICE);
	assert_int_equal(parse_log_level("crit", &l), 0);
	assert_int_equal(l, LOG_CRIT);
	assert_int_equal(parse_log_level("alert", &l), 0);
	assert_int_equal(l, LOG_ALERT);
	assert_int_equal(parse_log_level("3", &l), 0);
	assert_int_equal(l, LOG_ERR);
	l = 99;
	assert_int_equal(parse_log_level("verbose", &l), -EINVAL);
	assert_int_equal(parse_log_level("8", &l), -EINVAL);
	assert_int_equal(parse_log_level("", &l), -EINVAL);
	assert_int_equal(l, 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timespan_units), cmocka_unit_test(test_timespan_bad),
		cmocka_unit_test(test_size),           cmocka_unit_test(test_bool),
		cmocka_unit_test(test_fraction),       cmocka_unit_test(test_severity),
		cmocka_unit_test(test_clause_duration), cmocka_unit_test(test_clause_duration_bad),
		cmocka_unit_test(test_log_level),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
