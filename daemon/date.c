/* date.c — day numbers, the export date spellings and clause arithmetic.
 * Day numbers make window checks integer comparisons and avoid time zones:
 * a connection date in an export is a calendar date, not an instant. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <strings.h>
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

/* Month words of English and Dutch exports (LinkedIn, Excel re-saves in
 * either locale): a word names month m when it is at least three letters and
 * a prefix of one of these, or one of the fixed abbreviations. "mar" is both
 * March and maart and "mei"/"may" cannot be confused, so no word is read two ways. */
static const struct month_word {
	const char *word;
	int month;
	bool prefix; /* any prefix of 3+ letters counts ("sept", "febr") */
} month_words[] = {
	{ "january", 1, true },	  { "januari", 1, true },  { "february", 2, true },  { "februari", 2, true },
	{ "march", 3, true },	  { "maart", 3, true },	   { "mrt", 3, false },	     { "april", 4, true },
	{ "may", 5, false },	  { "mei", 5, false },	   { "june", 6, true },	     { "juni", 6, true },
	{ "july", 7, true },	  { "juli", 7, true },	   { "august", 8, true },    { "augustus", 8, true },
	{ "september", 9, true }, { "october", 10, true }, { "oktober", 10, true },  { "november", 11, true },
	{ "december", 12, true },
};

/* Reads a month word (case-insensitive, an optional trailing dot) at *p. */
static int month_from_name(const char **p)
{
	char word[16];
	size_t n = 0;
	while (isalpha((unsigned char)(*p)[n]) && n < sizeof word - 1) {
		word[n] = (char)tolower((unsigned char)(*p)[n]);
		n++;
	}
	word[n] = '\0';
	if (n < 3 || isalpha((unsigned char)(*p)[n]))
		return -1;
	for (size_t i = 0; i < ELEMENTSOF(month_words); i++) {
		const struct month_word *w = &month_words[i];
		if (w->prefix ? n <= strlen(w->word) && strncmp(w->word, word, n) == 0 : streq(w->word, word)) {
			*p += n;
			if (**p == '.')
				(*p)++;
			return w->month;
		}
	}
	return -1;
}

/* A year of 4 digits, or 2 (Excel's "2-Jan-21", LinkedIn's "2/7/26"): those
 * are 2000-2099, since nothing these exports record (LinkedIn started in
 * 2003, the CRMs later) is older. */
static int read_year(const char **p, int *ret)
{
	int n = read_num(p, 4, ret);
	if (n == 2) {
		*ret += 2000;
		return 0;
	}
	return n == 4 ? 0 : -EINVAL;
}

/* What may follow a date: nothing, or a time ("14:55", "14:55:03",
 * ", 3:04 PM"), which is ignored. Sets *ret_12h when the time has AM/PM. */
static int parse_time_tail(const char *p, bool *ret_12h)
{
	int hh, mm, ss;
	*ret_12h = false;
	p = skip_blank(p);
	if (!*p)
		return 0;
	if (*p == ',')
		p = skip_blank(p + 1);
	if (read_num(&p, 2, &hh) < 1 || *p++ != ':' || read_num(&p, 2, &mm) != 2 || hh > 23 || mm > 59)
		return -EINVAL;
	if (*p == ':' && (p++, read_num(&p, 2, &ss) != 2 || ss > 60))
		return -EINVAL;
	p = skip_blank(p);
	if (strncasecmp(p, "AM", 2) == 0 || strncasecmp(p, "PM", 2) == 0) {
		if (hh < 1 || hh > 12)
			return -EINVAL;
		*ret_12h = true;
		p += 2;
	}
	return at_end(p) ? 0 : -EINVAL;
}

/* Parsers below: 0, -EINVAL when s is not their spelling, -ERANGE when it
 * is but names no day (31 Feb), -EDOM when it is a date read two ways. */
static int checked_ymd(int y, int m, int d, int32_t *ret)
{
	return date_from_ymd(y, m, d, ret) < 0 ? -ERANGE : 0;
}

/* "07 Feb 2026", "7 February 2026", "07-Feb-2026", "2-Jan-21", "7 mrt. 2026". */
static int parse_day_month_year(const char *p, int32_t *ret)
{
	int d, y, m;
	bool h12;
	if (read_num(&p, 2, &d) < 1)
		return -EINVAL;
	if (*p != ' ' && *p != '-')
		return -EINVAL;
	p++;
	m = month_from_name(&p);
	if (m < 0 || (*p != ' ' && *p != '-'))
		return -EINVAL;
	p++;
	if (read_year(&p, &y) < 0 || parse_time_tail(p, &h12) < 0)
		return -EINVAL;
	return checked_ymd(y, m, d, ret);
}

/* "Feb 7, 2026" (US reports). */
static int parse_month_day_year(const char *p, int32_t *ret)
{
	int d, y, m = month_from_name(&p);
	bool h12;
	if (m < 0 || *p++ != ' ' || read_num(&p, 2, &d) < 1 || *p++ != ',')
		return -EINVAL;
	p = skip_blank(p);
	if (read_num(&p, 4, &y) != 4 || parse_time_tail(p, &h12) < 0)
		return -EINVAL;
	return checked_ymd(y, m, d, ret);
}

/* "2026-02-07" or "2026/02/07", optionally with a time ("T14:55:03.000+0000"
 * or " 14:55"): year first is never read two ways. */
static int parse_iso_prefix(const char *p, int32_t *ret)
{
	int y, m, d;
	char sep;
	if (read_num(&p, 4, &y) != 4 || (*p != '-' && *p != '/'))
		return -EINVAL;
	sep = *p++;
	if (read_num(&p, 2, &m) < 1 || *p++ != sep || read_num(&p, 2, &d) < 1)
		return -EINVAL;
	if (*p && *p != 'T' && *p != ' ')
		return -EINVAL;
	return checked_ymd(y, m, d, ret);
}

/* Numbers only: "a/b/y", "a-b-y", "a.b.y" (2- or 4-digit year, optional time).
 * The order of a and b is the convention of whoever wrote the file:
 * - "-" and ".": day first (Excel in Dutch and German locales: "02-01-2021",
 *   "02.01.2021"); a b over 12 is no such date, not a hint to swap.
 * - "/" with an AM/PM time: month first (a 12-hour clock is the US locale:
 *   LinkedIn's 2018 "2/7/26, 3:04 PM", US Salesforce and Excel).
 * - "/" otherwise: US and UK/EU files both write it, so it is read only when
 *   one order is impossible (a day over 12) or both give the same day;
 *   "02/01/2021" stays undated rather than risk a wrong date. */
static int parse_numeric(const char *p, int32_t *ret)
{
	int a, b, y;
	char sep;
	bool h12;
	if (read_num(&p, 2, &a) < 1 || (*p != '/' && *p != '-' && *p != '.'))
		return -EINVAL;
	sep = *p++;
	if (read_num(&p, 2, &b) < 1 || *p++ != sep || read_year(&p, &y) < 0 || parse_time_tail(p, &h12) < 0)
		return -EINVAL;
	if (sep != '/')
		return checked_ymd(y, b, a, ret);
	if (h12)
		return checked_ymd(y, a, b, ret);
	if (a == b || (a > 12 && b <= 12))
		return checked_ymd(y, b, a, ret);
	if (b > 12 && a <= 12)
		return checked_ymd(y, a, b, ret);
	if (a > 12 && b > 12)
		return -ERANGE;
	int32_t us, eu;
	/* Both orders are months; if only one is a real day, that one. */
	bool us_ok = date_from_ymd(y, a, b, &us) == 0, eu_ok = date_from_ymd(y, b, a, &eu) == 0;
	if (us_ok && eu_ok)
		return -EDOM;
	if (!us_ok && !eu_ok)
		return -ERANGE;
	*ret = us_ok ? us : eu;
	return 0;
}

int date_parse_export_why(const char *s, int32_t *ret, const char **ret_why)
{
	static int (*const parsers[])(const char *, int32_t *) = {
		parse_iso_prefix,
		parse_day_month_year,
		parse_month_day_year,
		parse_numeric,
	};
	const char *p = skip_blank(s ? s : "");
	int worst = -EINVAL;
	if (ret_why)
		*ret_why = NULL;
	for (size_t i = 0; *p && i < ELEMENTSOF(parsers); i++) {
		int32_t d;
		int r = parsers[i](p, &d);
		if (r == 0) {
			*ret = d;
			return 0;
		}
		/* Spellings do not overlap, so at most one parser gets past -EINVAL. */
		if (r != -EINVAL)
			worst = r;
	}
	if (ret_why)
		*ret_why = worst == -EDOM    ? DATE_WHY_AMBIGUOUS
			   : worst == -ERANGE ? DATE_WHY_NO_SUCH_DAY
					      : DATE_WHY_UNREADABLE;
	return -EINVAL;
}

int date_parse_export(const char *s, int32_t *ret)
{
	return date_parse_export_why(s, ret, NULL);
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
