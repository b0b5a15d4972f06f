/* log.c — stderr logging with journal priority prefixes. The two statics
 * below are the process's logging setup, written once at start-up from the
 * command line and config (the same standing as the arg_* globals). */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contactwatch/log.h"

static int log_max_level = LOG_INFO;
static const char *log_program = "contactwatch";

static bool stderr_is_journal(void)
{
	/* systemd sets JOURNAL_STREAM=dev:ino when stderr is a journal stream. */
	return getenv("JOURNAL_STREAM") != NULL;
}

void log_setup(const char *program, int max_level)
{
	log_program = program;
	log_max_level = max_level;
}

void log_set_max_level(int level)
{
	log_max_level = level;
}

int log_get_max_level(void)
{
	return log_max_level;
}

static void log_vmsg(int level, const char *suffix, const char *fmt, va_list ap)
{
	char buf[2048];

	if (level > log_max_level)
		return;
	vsnprintf(buf, sizeof buf, fmt, ap);
	if (stderr_is_journal())
		fprintf(stderr, "<%d>%s%s\n", level, buf, suffix);
	else
		fprintf(stderr, "%s: %s%s\n", log_program, buf, suffix);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, "", fmt, ap);
	va_end(ap);
}

int log_errno(int level, int err, const char *fmt, ...)
{
	char suffix[256];
	va_list ap;

	err = err < 0 ? -err : err;
	snprintf(suffix, sizeof suffix, ": %s", strerror(err));
	va_start(ap, fmt);
	log_vmsg(level, suffix, fmt, ap);
	va_end(ap);
	return -err;
}
