/* strbuf.c — the growable string of strbuf.h: doubling growth with an
 * overflow check, and a sticky error so that builders of long messages
 * check for ENOMEM once. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "contactwatch/strbuf.h"

static bool strbuf_reserve(strbuf *b, size_t extra)
{
	if (b->err)
		return false;
	if (extra >= SIZE_MAX / 2 - b->len) {
		b->err = -ENOMEM;
		return false;
	}
	size_t need = b->len + extra + 1; /* + NUL */
	if (b->s && need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		b->err = -ENOMEM;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void strbuf_putn(strbuf *b, const char *s, size_t n)
{
	if (!strbuf_reserve(b, n))
		return;
	if (n)
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void strbuf_puts(strbuf *b, const char *s)
{
	strbuf_putn(b, s, strlen(s));
}

void strbuf_putc(strbuf *b, char c)
{
	strbuf_putn(b, &c, 1);
}

void strbuf_printf(strbuf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;

	if (b->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		return;
	}
	if ((size_t)n < sizeof small) {
		strbuf_putn(b, small, (size_t)n);
		return;
	}
	/* Longer than the stack buffer: format straight into the string. */
	if (!strbuf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->s[b->len] = '\0';
		b->err = -EINVAL;
		return;
	}
	b->len += (size_t)n;
}

int strbuf_steal(strbuf *b, char **ret, size_t *ret_len)
{
	if (!b->err && !b->s)
		strbuf_putn(b, "", 0);
	if (b->err) {
		int r = b->err;
		strbuf_done(b);
		return r;
	}
	*ret = b->s;
	if (ret_len)
		*ret_len = b->len;
	*b = (strbuf){ 0 };
	return 0;
}

void strbuf_done(strbuf *b)
{
	free(b->s);
	*b = (strbuf){ 0 };
}
