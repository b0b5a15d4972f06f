/* diag.c — accumulate "file:line: message" diagnostics so that a config
 * check can print all of them at once, like `nginx -t`. */
#include <errno.h>
#include <stdio.h>

#include "contactwatch/diag.h"

static int diag_add(char ***l, const char *file, unsigned line, const char *fmt, va_list ap)
{
	char msg[1024], full[1400];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (line > 0)
		snprintf(full, sizeof full, "%s:%u: %s", strempty(file), line, msg);
	else
		snprintf(full, sizeof full, "%s: %s", strempty(file), msg);
	return strv_push(l, full);
}

int diag_error(diag_list *d, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = diag_add(&d->errors, file, line, fmt, ap);
	va_end(ap);
	return r;
}

int diag_warning(diag_list *d, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = diag_add(&d->warnings, file, line, fmt, ap);
	va_end(ap);
	return r;
}

size_t diag_n_errors(const diag_list *d)
{
	return strv_length(d->errors);
}

int diag_append_steal(diag_list *d, diag_list *from)
{
	int r = strv_extend_steal(&d->errors, &from->errors);
	if (r < 0)
		return r;
	return strv_extend_steal(&d->warnings, &from->warnings);
}

void diag_done(diag_list *d)
{
	d->errors = strv_free(d->errors);
	d->warnings = strv_free(d->warnings);
}
