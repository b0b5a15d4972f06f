/* log.h — human log lines for both programs. Lines go to stderr; when stderr
 * is connected to the journal (JOURNAL_STREAM), each carries a "<N>" syslog
 * prefix so journald records its priority. Structured events (alerts,
 * rejected files) are sent by their owners with sd_journal_send. */
#pragma once

#include <syslog.h>

/* The log level is process-wide like the command line: set once from
 * arguments/config before work starts, only read afterwards. */
void log_setup(const char *program, int max_level);
void log_set_max_level(int level);
int log_get_max_level(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Logs "... : strerror(err)" and returns -|err|, so callers can
 * `return log_errno(LOG_ERR, r, "...")` in one statement. */
int log_errno(int level, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
