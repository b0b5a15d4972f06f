/* date.h — calendar dates as days since 1970-01-01 (proleptic Gregorian),
 * the parsing of every date spelling exports use, and calendar arithmetic
 * for clause windows. Pure: no I/O, no time zone. */
#pragma once

#include "contactwatch/common.h"

#define DATE_NONE INT32_MIN /* undated */

int date_from_ymd(int y, int m, int d, int32_t *ret); /* -EINVAL if no such day */
void date_to_ymd(int32_t days, int *ret_y, int *ret_m, int *ret_d);
/* Writes "YYYY-MM-DD" (11 bytes with NUL) into buf. */
void date_format(int32_t days, char buf[static 11]);
/* Strict "YYYY-MM-DD" (config files). */
int date_parse_iso(const char *s, int32_t *ret);
/* A date as exports write it: "07 Feb 2026", "7 February 2026", "2/7/26, 3:04 PM",
 * "2026-02-07", "2026-02-07T14:55:03.000+0000". Leading/trailing blanks ignored.
 * -EINVAL when it is not a date we can read without guessing. */
int date_parse_export(const char *s, int32_t *ret);
/* The same, saying on failure why (one of the DATE_WHY_* texts, static; NULL
 * on success). Day-month order: "-" and "." are day first (Dutch/German
 * Excel), "/" with AM/PM month first (US), "/" otherwise only when a day over
 * 12 or equal numbers leave one reading; 2-digit years are 2000-2099. Month
 * names in English and Dutch ("mrt", "mei", "okt.", "maart"). */
int date_parse_export_why(const char *s, int32_t *ret, const char **ret_why);
#define DATE_WHY_AMBIGUOUS   "ambiguous date: day and month could be either way"
#define DATE_WHY_NO_SUCH_DAY "no such day"
#define DATE_WHY_UNREADABLE  "unreadable date"
/* Calendar arithmetic; a day past the end of the target month clamps to its
 * last day (31 Jan + 1 month = 28/29 Feb). */
int32_t date_add_months(int32_t days, int months);
int32_t date_add_days(int32_t days, int n);
/* Today in local time. */
int32_t date_today(void);
