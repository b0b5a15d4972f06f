/* strbuf.h — a growable byte string for the message builders (webhook,
 * mail): appends never fail on their own; the first allocation failure is
 * remembered and reported once, by strbuf_steal, so a builder checks once
 * at the end instead of after every append. Embedded: zero-initialise, then
 * strbuf_steal or strbuf_done. */
#pragma once

#include <jansson.h>

#include "contactwatch/common.h"

typedef struct strbuf {
	char *s;    /* NUL-terminated once anything was appended */
	size_t len;
	size_t cap;
	int err;    /* 0, or the first -errno (sticky) */
} strbuf;

void strbuf_putn(strbuf *b, const char *s, size_t n);
void strbuf_puts(strbuf *b, const char *s);
void strbuf_putc(strbuf *b, char c);
__attribute__((format(printf, 2, 3))) void strbuf_printf(strbuf *b, const char *fmt, ...);
/* Appends j's text byte for byte as json_dumps(j, JSON_INDENT(indent) |
 * JSON_ENCODE_ANY) writes it, but as the value stands `depth` levels deep
 * in a larger document: every line break is followed by (depth + level) *
 * indent spaces. Builds no string of jansson's, so a long document can be
 * written one value at a time. A string that is not UTF-8 (-EILSEQ) or a
 * bad argument (-EINVAL) is remembered like ENOMEM. indent is 1..31. */
void strbuf_put_json(strbuf *b, const json_t *j, unsigned indent, unsigned depth);
/* Hands the string to the caller (an empty string when nothing was
 * appended) and empties b; or returns the remembered error, frees and
 * leaves *ret untouched. ret_len may be NULL. */
int strbuf_steal(strbuf *b, char **ret, size_t *ret_len);
void strbuf_done(strbuf *b);
