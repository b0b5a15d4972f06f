/* diag.h — collected diagnostics ("file:line: message") for parsers that
 * must report every problem before giving up (config, catalogues). Pure:
 * the caller decides where the messages go. */
#pragma once

#include <stdarg.h>
#include "contactwatch/common.h"

typedef struct diag_list {
	char **errors;   /* strv of "FILE:LINE: message" */
	char **warnings; /* strv, same shape */
} diag_list;

/* line 0 means "no line": the message is "FILE: message". */
int diag_error(diag_list *d, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int diag_warning(diag_list *d, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
size_t diag_n_errors(const diag_list *d);
/* Moves from's messages behind d's (from is left empty): what a parser
 * collected on the side joins the list in order. -ENOMEM leaves from's
 * messages that did not move in from. */
int diag_append_steal(diag_list *d, diag_list *from);
void diag_done(diag_list *d);
