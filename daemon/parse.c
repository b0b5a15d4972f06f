/* parse.c — the value syntaxes of the configuration: systemd time spans,
 * sizes, booleans, thresholds, severities, log levels and clause durations.
 * Pure functions over strings; callers turn the -errno into a message. */
#include <ctype.h>
#include <errno.h>
#include <strings.h>
#include <syslog.h>

#include "contactwatch/parse.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static const char *skip_blank(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

/* A decimal number "123" or "1.5" (no sign, no exponent: config values are
 * written by people, and strtod would also take "inf", hex and the locale's
 * decimal comma). On success *p points past it. */
static int read_decimal(const char **p, uint64_t *ret_int, double *ret_frac)
{
	const char *s = *p;
	uint64_t v = 0;
	double frac = 0, scale = 0.1;
	bool any = false;

	for (; is_digit(*s); s++) {
		unsigned digit = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return -ERANGE;
		v = v * 10 + digit;
		any = true;
	}
	if (*s == '.') {
		s++;
		if (!is_digit(*s))
			return -EINVAL;
		for (; is_digit(*s); s++) {
			frac += (*s - '0') * scale;
			scale /= 10;
		}
		any = true;
	}
	if (!any)
		return -EINVAL;
	*p = s;
	*ret_int = v;
	*ret_frac = frac;
	return 0;
}

/* Reads a run of letters (the unit) into buf; returns its length. "µs" is
 * the one non-ASCII unit systemd knows. */
static size_t read_unit(const char **p, char *buf, size_t size)
{
	const char *s = *p;
	size_t n = 0;

	if ((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xb5) {
		/* U+00B5 MICRO SIGN: map to 'u' so the table stays ASCII. */
		buf[n++] = 'u';
		s += 2;
	}
	while (is_alpha(*s)) {
		if (n + 1 >= size)
			return SIZE_MAX;
		buf[n++] = *s++;
	}
	buf[n] = '\0';
	*p = s;
	return n;
}

static int mul_add(uint64_t *acc, uint64_t n, double frac, uint64_t unit)
{
	uint64_t whole, part;

	if (n != 0 && unit > UINT64_MAX / n)
		return -ERANGE;
	whole = n * unit;
	part = (uint64_t)(frac * (double)unit);
	if (whole > UINT64_MAX - part || *acc > UINT64_MAX - whole - part)
		return -ERANGE;
	*acc += whole + part;
	return 0;
}

typedef struct unit_entry {
	const char *name;
	uint64_t factor;
} unit_entry;

static int lookup_unit(const unit_entry *table, size_t n, const char *name, uint64_t *ret)
{
	for (size_t i = 0; i < n; i++)
		if (streq(table[i].name, name)) {
			*ret = table[i].factor;
			return 0;
		}
	return -EINVAL;
}

int parse_timespan(const char *s, uint64_t *ret_usec)
{
	/* systemd.time(7): "m" is minutes and "M" months; case matters there. */
	static const unit_entry units[] = {
		{ "usec", 1 },
		{ "us", 1 },
		{ "msec", 1000 },
		{ "ms", 1000 },
		{ "seconds", USEC_PER_SEC },
		{ "second", USEC_PER_SEC },
		{ "sec", USEC_PER_SEC },
		{ "s", USEC_PER_SEC },
		{ "minutes", USEC_PER_MIN },
		{ "minute", USEC_PER_MIN },
		{ "min", USEC_PER_MIN },
		{ "m", USEC_PER_MIN },
		{ "hours", USEC_PER_HOUR },
		{ "hour", USEC_PER_HOUR },
		{ "hr", USEC_PER_HOUR },
		{ "h", USEC_PER_HOUR },
		{ "days", USEC_PER_DAY },
		{ "day", USEC_PER_DAY },
		{ "d", USEC_PER_DAY },
		{ "weeks", 7 * USEC_PER_DAY },
		{ "week", 7 * USEC_PER_DAY },
		{ "w", 7 * USEC_PER_DAY },
		/* systemd's month and year: 30.44 and 365.25 days. */
		{ "months", 2629800ull * USEC_PER_SEC },
		{ "month", 2629800ull * USEC_PER_SEC },
		{ "M", 2629800ull * USEC_PER_SEC },
		{ "years", 31557600ull * USEC_PER_SEC },
		{ "year", 31557600ull * USEC_PER_SEC },
		{ "y", 31557600ull * USEC_PER_SEC },
	};
	uint64_t total = 0;
	const char *p;
	bool any = false;

	if (!s)
		return -EINVAL;
	p = skip_blank(s);
	while (*p) {
		uint64_t n, factor = USEC_PER_SEC;
		double frac;
		char unit[16];
		int r;

		r = read_decimal(&p, &n, &frac);
		if (r < 0)
			return r;
		p = skip_blank(p);
		size_t len = read_unit(&p, unit, sizeof unit);
		if (len == SIZE_MAX)
			return -EINVAL;
		if (len > 0 && lookup_unit(units, ELEMENTSOF(units), unit, &factor) < 0)
			return -EINVAL;
		r = mul_add(&total, n, frac, factor);
		if (r < 0)
			return r;
		any = true;
		p = skip_blank(p);
	}
	if (!any)
		return -EINVAL;
	*ret_usec = total;
	return 0;
}

int parse_size(const char *s, uint64_t *ret_bytes)
{
	uint64_t n, factor = 1, total = 0;
	double frac;
	const char *p;
	int r;

	if (!s)
		return -EINVAL;
	p = skip_blank(s);
	r = read_decimal(&p, &n, &frac);
	if (r < 0)
		return r;
	p = skip_blank(p);
	switch (*p) {
	case 'K': case 'k': factor = 1ull << 10; p++; break;
	case 'M': case 'm': factor = 1ull << 20; p++; break;
	case 'G': case 'g': factor = 1ull << 30; p++; break;
	case 'T': case 't': factor = 1ull << 40; p++; break;
	default: break;
	}
	/* "512MB" and "1GiB" mean the same binary multiple here. */
	if (factor > 1 && *p == 'i')
		p++;
	if (*p == 'B' || *p == 'b')
		p++;
	p = skip_blank(p);
	if (*p)
		return -EINVAL;
	/* A fraction of a byte is meaningless: "1.5" alone is an error. */
	if (factor == 1 && frac != 0)
		return -EINVAL;
	r = mul_add(&total, n, frac, factor);
	if (r < 0)
		return r;
	*ret_bytes = total;
	return 0;
}

int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_fraction(const char *s, double *ret)
{
	uint64_t n;
	double frac;
	const char *p;
	int r;

	if (!s)
		return -EINVAL;
	p = skip_blank(s);
	r = read_decimal(&p, &n, &frac);
	if (r < 0)
		return r;
	if (*skip_blank(p))
		return -EINVAL;
	if (n > 1 || (n == 1 && frac != 0))
		return -ERANGE;
	*ret = (double)n + frac;
	return 0;
}

static const char *const severity_names[] = {
	[SEVERITY_LOW] = "low",
	[SEVERITY_MEDIUM] = "medium",
	[SEVERITY_HIGH] = "high",
};

int parse_severity(const char *s, severity *ret)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(severity_names); i++)
		if (strcasecmp(s, severity_names[i]) == 0) {
			*ret = (severity)i;
			return 0;
		}
	return -EINVAL;
}

const char *severity_to_string(severity s)
{
	if ((size_t)s >= ELEMENTSOF(severity_names))
		return NULL;
	return severity_names[s];
}

/* Upper bounds: no clause runs anywhere near a century; larger values are
 * typos ("120months" meant as "12months" is still accepted, "1200y" is not). */
#define CLAUSE_MAX_MONTHS 1200
#define CLAUSE_MAX_DAYS   36525

int parse_clause_duration(const char *s, clause_duration *ret)
{
	/* Clause texts count months, years, weeks and days, never minutes, so
	 * "m" is months here (unlike parse_timespan). */
	static const struct {
		const char *name;
		int months, days;
	} units[] = {
		{ "months", 1, 0 }, { "month", 1, 0 }, { "mo", 1, 0 }, { "m", 1, 0 }, { "M", 1, 0 },
		{ "years", 12, 0 }, { "year", 12, 0 }, { "yr", 12, 0 }, { "y", 12, 0 },
		{ "weeks", 0, 7 }, { "week", 0, 7 }, { "wk", 0, 7 }, { "w", 0, 7 },
		{ "days", 0, 1 }, { "day", 0, 1 }, { "d", 0, 1 },
	};
	uint64_t n;
	double frac;
	char unit[16];
	const char *p;
	int r;

	if (!s)
		return -EINVAL;
	p = skip_blank(s);
	/* Integers only: "1.5 years" would need a rounding rule the contract
	 * does not give. */
	if (!is_digit(*p))
		return -EINVAL;
	r = read_decimal(&p, &n, &frac);
	if (r < 0)
		return r;
	if (memchr(s, '.', (size_t)(p - s)))
		return -EINVAL;
	p = skip_blank(p);
	size_t len = read_unit(&p, unit, sizeof unit);
	if (len == 0 || len == SIZE_MAX || *skip_blank(p))
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(units); i++) {
		if (!streq(units[i].name, unit))
			continue;
		if (n == 0)
			return -ERANGE;
		if (units[i].months > 0) {
			if (n > (uint64_t)CLAUSE_MAX_MONTHS / (uint64_t)units[i].months)
				return -ERANGE;
			*ret = (clause_duration){ .months = (int)n * units[i].months, .days = 0 };
		} else {
			if (n > (uint64_t)CLAUSE_MAX_DAYS / (uint64_t)units[i].days)
				return -ERANGE;
			*ret = (clause_duration){ .months = 0, .days = (int)n * units[i].days };
		}
		return 0;
	}
	return -EINVAL;
}

int parse_log_level(const char *s, int *ret)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
		{ "emerg", LOG_EMERG }, { "emergency", LOG_EMERG }, { "alert", LOG_ALERT },
		{ "crit", LOG_CRIT }, { "critical", LOG_CRIT }, { "err", LOG_ERR },
		{ "error", LOG_ERR }, { "warning", LOG_WARNING }, { "warn", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};

	if (!s)
		return -EINVAL;
	/* systemd also takes the syslog numbers 0..7. */
	if (is_digit(s[0]) && s[1] == '\0' && s[0] <= '7') {
		*ret = s[0] - '0';
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(levels); i++)
		if (strcasecmp(s, levels[i].name) == 0) {
			*ret = levels[i].level;
			return 0;
		}
	return -EINVAL;
}

int parse_count(const char *s, uint64_t *ret)
{
	char *end = NULL;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || !end || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}
