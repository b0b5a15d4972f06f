/* date.c — day numbers, the export date spellings and clause arithmetic.
 * Day numbers make window checks integer comparisons and avoid time zones:
 * a connection date in an export is a calendar date, not an instant. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "contactwatch/date.h"

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
static int32_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	const int era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153u * (unsigned)(m + (m > 2 ? -3 : 9)) + 2u) / 5u + (unsigned)d - 1u;
	const unsigned doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
	return era * 146097 + (int32_t)doe - 719468;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

int date_from_ymd(int y, int m, int d, int32_t *ret)
{
	if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -EINVAL;
	*ret = days_from_civil(y, m, d);
	return 0;
}

void date_to_ymd(int32_t days, int *ret_y, int *ret_m, int *ret_d)
{
	const int32_t z = days + 719468;
	const int era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
	const unsigned doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
	const unsigned mp = (5u * doy + 2u) / 153u;
	const int d = (int)(doy - (153u * mp + 2u) / 5u + 1u);
	const int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*ret_y = (int)yoe + era * 400 + (m <= 2);
	*ret_m = m;
	*ret_d = d;
}

void date_format(int32_t days, char buf[static 11])
{
	int y, m, d;
	date_to_ymd(days, &y, &m, &d);
	/* Day numbers come from date_from_ymd, so y is 1900..9999. */
	snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
}

/* Reads 1..max digits; returns the count read, 0 if none. */
static int read_num(const char **p, int max, int *ret)
{
	int v = 0, n = 0;
	while (n < max && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*ret = v;
	return n;
}

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static bool at_end(const char *p)
{
	return *skip_blank(p) == '\0';
}

int date_parse_iso(const char *s, int32_t *ret)
{
	int y, m, d;
	const char *p = s;
	if (read_num(&p, 4, &y) != 4 || *p++ != '-' || read_num(&p, 2, &m) != 2 || *p++ != '-' ||
	    read_num(&p, 2, &d) != 2 || *p)
		return -EINVAL;
	return date_from_ymd(y, m, d, ret);
}

/* English month names and abbreviations, matched case-insensitively on the
 * first three letters; the rest of the word must be a prefix of the full name. */
static int month_from_name(const char **p)
{
	static const char *const names[] = { "january", "february", "march", "april", "may", "june", "july",
					     "august", "september", "october", "november", "december" };
	char word[16];
	size_t n = 0;
	while (isalpha((unsigned char)(*p)[n]) && n < sizeof word - 1) {
		word[n] = (char)tolower((unsigned char)(*p)[n]);
		n++;
	}
	word[n] = '\0';
	if (n < 3 || isalpha((unsigned char)(*p)[n]))
		return -1;
	if (word[n - 1] == '.')
		word[--n] = '\0';
	for (int i = 0; i < 12; i++)
		if (strncmp(names[i], word, n) == 0 && n <= strlen(names[i])) {
			*p += n;
			if (**p == '.')
				(*p)++;
			return i + 1;
		}
	return -1;
}

/* "07 Feb 2026", "7 February 2026", "07-Feb-2026". */
static int parse_day_month_year(const char *p, int32_t *ret)
{
	int d, y, m;
	if (read_num(&p, 2, &d) < 1)
		return -EINVAL;
	if (*p != ' ' && *p != '-')
		return -EINVAL;
	p++;
	m = month_from_name(&p);
	if (m < 0 || (*p != ' ' && *p != '-'))
		return -EINVAL;
	p++;
	if (read_num(&p, 4, &y) != 4 || !at_end(p))
		return -EINVAL;
	return date_from_ymd(y, m, d, ret);
}

/* LinkedIn's 2018 "M/D/YY, h:mm AM" (US order; the time is ignored). */
static int parse_us_slash(const char *p, int32_t *ret)
{
	int m, d, y, n;
	if (read_num(&p, 2, &m) < 1 || *p++ != '/' || read_num(&p, 2, &d) < 1 || *p++ != '/')
		return -EINVAL;
	n = read_num(&p, 4, &y);
	if (n == 2)
		y += 2000; /* LinkedIn did not exist before 2003 */
	else if (n != 4)
		return -EINVAL;
	p = skip_blank(p);
	if (*p == ',') {
		int hh, mm;
		p = skip_blank(p + 1);
		if (read_num(&p, 2, &hh) < 1 || *p++ != ':' || read_num(&p, 2, &mm) != 2 || hh > 23 || mm > 59)
			return -EINVAL;
		p = skip_blank(p);
		if (strncasecmp(p, "AM", 2) == 0 || strncasecmp(p, "PM", 2) == 0)
			p += 2;
	}
	if (!at_end(p))
		return -EINVAL;
	return date_from_ymd(y, m, d, ret);
}

/* "2026-02-07", optionally followed by a time ("T14:55:03.000+0000" or " 14:55"). */
static int parse_iso_prefix(const char *p, int32_t *ret)
{
	int y, m, d;
	if (read_num(&p, 4, &y) != 4 || *p++ != '-' || read_num(&p, 2, &m) != 2 || *p++ != '-' ||
	    read_num(&p, 2, &d) != 2)
		return -EINVAL;
	if (*p && *p != 'T' && *p != ' ')
		return -EINVAL;
	return date_from_ymd(y, m, d, ret);
}

int date_parse_export(const char *s, int32_t *ret)
{
	if (!s)
		return -EINVAL;
	const char *p = skip_blank(s);
	if (!*p)
		return -EINVAL;
	if (parse_iso_prefix(p, ret) == 0)
		return 0;
	if (parse_day_month_year(p, ret) == 0)
		return 0;
	if (parse_us_slash(p, ret) == 0)
		return 0;
	return -EINVAL;
}

int32_t date_add_months(int32_t days, int months)
{
	int y, m, d;
	date_to_ymd(days, &y, &m, &d);
	int total = y * 12 + (m - 1) + months;
	y = total / 12;
	m = total % 12 + 1;
	if (d > days_in_month(y, m))
		d = days_in_month(y, m);
	return days_from_civil(y, m, d);
}

int32_t date_add_days(int32_t days, int n)
{
	return days + n;
}

int32_t date_today(void)
{
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	return days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}
