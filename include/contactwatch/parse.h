/* parse.h — the value syntaxes of the configuration: systemd time spans,
 * sizes, booleans, thresholds, severities and clause durations. Pure. */
#pragma once

#include "contactwatch/common.h"

#define USEC_PER_SEC  1000000ull
#define USEC_PER_MIN  (60ull * USEC_PER_SEC)
#define USEC_PER_HOUR (60ull * USEC_PER_MIN)
#define USEC_PER_DAY  (24ull * USEC_PER_HOUR)

typedef enum severity {
	SEVERITY_LOW,
	SEVERITY_MEDIUM,
	SEVERITY_HIGH,
} severity;

/* systemd.time(7) spans: "30s", "15min", "6h", "1d", "1w", "2h 30min",
 * a bare number is seconds. -EINVAL on junk, -ERANGE on overflow. */
int parse_timespan(const char *s, uint64_t *ret_usec);
/* "512M", "1G", "4096", "64K" (binary multiples). */
int parse_size(const char *s, uint64_t *ret_bytes);
/* A plain decimal count ("50000000"); no units. */
int parse_count(const char *s, uint64_t *ret);
/* yes/no, true/false, on/off, 1/0. */
int parse_bool(const char *s, bool *ret);
/* A decimal in [0, 1]. */
int parse_fraction(const char *s, double *ret);
int parse_severity(const char *s, severity *ret);
const char *severity_to_string(severity s);
/* Clause durations: "12months", "1year", "18 months", "365days", "2y", "6m"
 * (m = months here: clauses are never minutes). Exactly one unit. */
typedef struct clause_duration {
	int months;
	int days;
} clause_duration;
int parse_clause_duration(const char *s, clause_duration *ret);
/* "info" etc. to syslog priority (LOG_ERR..LOG_DEBUG). */
int parse_log_level(const char *s, int *ret);
