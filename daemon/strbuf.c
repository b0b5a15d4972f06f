/* strbuf.c — the growable string of strbuf.h: doubling growth with an
 * overflow check, and a sticky error so that builders of long messages
 * check for ENOMEM once; and a jansson tree's text appended in place, as
 * json_dumps would write it. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "contactwatch/strbuf.h"
#include "contactwatch/text.h"

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

/* --- JSON text --------------------------------------------------------------- */

/* Deeper than jansson parses: a tree this deep was built by hand, and
 * probably holds a loop (which jansson's dump refuses too). */
#define STRBUF_JSON_MAX_DEPTH 2048u

/* Room for n more bytes (and the NUL) at b->s + b->len, or NULL once b
 * failed. The JSON writers fill it themselves: one capacity check per
 * value instead of one per piece. */
static inline char *json_room(strbuf *b, size_t n)
{
	/* The common case inline: room enough already (err is 0 while s is
	 * usable, and cap > len always holds the NUL). */
	if (b->s && !b->err && n < b->cap - b->len)
		return b->s + b->len;
	return strbuf_reserve(b, n) ? b->s + b->len : NULL;
}

static inline void json_put_raw(strbuf *b, const char *s, size_t n)
{
	char *p = json_room(b, n);

	if (!p)
		return;
	memcpy(p, s, n);
	b->len += n;
}

/* A line break and n_spaces of indentation, as jansson's dump_indent,
 * after a ',' when comma: what stands between two members. */
static inline void json_put_indent(strbuf *b, bool comma, size_t n_spaces)
{
	char *p = json_room(b, 2 + n_spaces);

	if (!p)
		return;
	if (comma)
		*p++ = ',';
	*p++ = '\n';
	memset(p, ' ', n_spaces);
	b->len += (comma ? 2 : 1) + n_spaces;
}

/* Per byte, what jansson's dump_string makes of it: the bytes its escape
 * adds (1 for "\\n" and the like, 5 for "\\u00XX"), or JSON_BYTE_UTF8 for
 * a byte of a multi-byte character (written as it is, once the string is
 * known to be UTF-8). Plain bytes are 0. */
#define JSON_BYTE_UTF8 0x80u
static const unsigned char json_byte_class[256] = {
	[0x00 ... 0x07] = 5,
	['\b'] = 1, ['\t'] = 1, ['\n'] = 1,
	[0x0b] = 5,
	['\f'] = 1, ['\r'] = 1,
	[0x0e ... 0x1f] = 5,
	['"'] = 1, ['\\'] = 1,
	[0x80 ... 0xff] = JSON_BYTE_UTF8,
};

/* jansson's dump_string without flags: '"', '\\' and control characters
 * escaped, everything else (UTF-8 included) as it is; a string that is not
 * UTF-8 fails the dump, as there. */
static void json_put_string(strbuf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t extra = 0;
	unsigned seen = 0;
	char *p;

	/* First the exact length (and whether there is UTF-8 to check), so
	 * that the text is written in one piece. */
	for (size_t i = 0; i < len; i++) {
		unsigned c = json_byte_class[(unsigned char)s[i]];
		seen |= c;
		extra += c & ~JSON_BYTE_UTF8;
	}
	if ((seen & JSON_BYTE_UTF8) && !text_utf8_valid(s, len)) {
		if (!b->err)
			b->err = -EILSEQ;
		return;
	}
	p = json_room(b, len + extra + 2);
	if (!p)
		return;
	*p++ = '"';
	if (extra == 0) {
		memcpy(p, s, len);
		p += len;
	} else {
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)s[i];
			unsigned e = json_byte_class[c] & ~JSON_BYTE_UTF8;
			if (e == 0) {
				*p++ = (char)c;
				continue;
			}
			*p++ = '\\';
			switch (c) {
			case '\b': *p++ = 'b'; break;
			case '\f': *p++ = 'f'; break;
			case '\n': *p++ = 'n'; break;
			case '\r': *p++ = 'r'; break;
			case '\t': *p++ = 't'; break;
			case '"': case '\\': *p++ = (char)c; break;
			default:
				/* "\\u%04X" of a byte below 0x20 */
				*p++ = 'u';
				*p++ = '0';
				*p++ = '0';
				*p++ = hex[c >> 4];
				*p++ = hex[c & 0xf];
				break;
			}
		}
	}
	*p = '"';
	b->len += len + extra + 2;
}

/* "%lld" without the printf machinery. */
static void json_put_integer(strbuf *b, json_int_t v)
{
	char buf[24], *p = buf + sizeof buf;
	/* Negated in unsigned arithmetic: LLONG_MIN has no positive twin. */
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		*--p = '-';
	json_put_raw(b, p, (size_t)(buf + sizeof buf - p));
}

#define REAL_DIGITS 17 /* "%.17g": jansson's default precision */

/* 10^k for k <= 22, the most json_real_text_fast multiplies by. */
static unsigned __int128 pow10_u128(int k)
{
	unsigned __int128 p = 1;

	while (k-- > 0)
		p *= 10;
	return p;
}

/* json_real_text's result for the values matches carry (scores, mostly
 * between 0.5 and 1), without printf: printf's exact arithmetic is general
 * and slow, and check --json writes two of these per match. 1e-4 <= |v| <
 * 1e17 only, where "%.17g" is fixed-point and 128 bits hold the exact
 * scaled value: |v| = m * 2^e2 with m < 2^53, times 10^k with k <= 22 (the
 * most |v| >= 1e-4 needs) stays below 2^127, and the shift right is at most
 * 66. The 17 digits are |v| * 10^k rounded to nearest, ties to even, as
 * glibc rounds. Returns the length written to out, or 0: not handled. */
static size_t json_real_text_fast(double v, char out[static 32])
{
	uint64_t bits, m;
	int exp2, x;
	unsigned __int128 d = 0;
	const unsigned __int128 lo = pow10_u128(REAL_DIGITS - 1), hi = lo * 10;
	double a = v < 0 ? -v : v;

	if (!(a >= 1e-4 && a < 1e17))
		return 0; /* also NaN */
	memcpy(&bits, &v, sizeof bits);
	exp2 = (int)((bits >> 52) & 0x7ff) - 1075; /* normal: a >= 1e-4 */
	m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
	/* The decimal exponent: log10 may be one off near a power of ten,
	 * which the digit count then corrects. */
	x = (int)floor(log10(a));
	for (int tries = 0;; tries++) {
		if (tries > 2)
			return 0;
		int k = REAL_DIGITS - 1 - x;
		if (k < 0 || k > 22)
			return 0;
		if (exp2 >= 0) {
			d = ((unsigned __int128)m << exp2) * pow10_u128(k);
			if (d >= lo && d < hi)
				break;
		} else {
			unsigned s = (unsigned)-exp2;
			unsigned __int128 n = (unsigned __int128)m * pow10_u128(k);
			d = n >> s;
			if (d >= lo && d < hi) {
				unsigned __int128 rem = n & (((unsigned __int128)1 << s) - 1), half = (unsigned __int128)1 << (s - 1);
				if (rem > half || (rem == half && (d & 1)))
					d++;
				break;
			}
		}
		x += d >= hi ? 1 : -1;
	}
	if (d == hi) {
		d = lo;
		x++;
	}
	/* "%.17g" is fixed-point for -4 <= x < 17. */
	if (x < -4 || x >= REAL_DIGITS)
		return 0;
	/* d < 10^17 now: 64 bits are plenty for the digits. */
	uint64_t dd = (uint64_t)d;
	char digits[REAL_DIGITS], *p = out;
	for (int i = REAL_DIGITS - 1; i >= 0; i--) {
		digits[i] = (char)('0' + (int)(dd % 10));
		dd /= 10;
	}
	int n_keep = REAL_DIGITS; /* without trailing zeros; digits[0] is not 0 */
	while (digits[n_keep - 1] == '0')
		n_keep--;
	if (v < 0)
		*p++ = '-';
	if (x >= 0) {
		for (int i = 0; i <= x; i++)
			*p++ = digits[i];
		*p++ = '.';
		if (n_keep <= x + 1)
			*p++ = '0'; /* jansson's ".0" */
		for (int i = x + 1; i < n_keep; i++)
			*p++ = digits[i];
	} else {
		*p++ = '0';
		*p++ = '.';
		for (int i = 0; i < -x - 1; i++)
			*p++ = '0';
		for (int i = 0; i < n_keep; i++)
			*p++ = digits[i];
	}
	return (size_t)(p - out);
}

/* jansson's jsonp_dtostr at its default precision: "%.17g" with the
 * locale's decimal point made '.', ".0" added when the text would read as
 * an integer, and the exponent without '+' or leading zeros. */
static void json_put_real(strbuf *b, double v)
{
	char buf[64];
	size_t fast = json_real_text_fast(v, buf);

	if (fast > 0) {
		json_put_raw(b, buf, fast);
		return;
	}
	int n = snprintf(buf, sizeof buf - 2, "%.17g", v);

	if (n < 0 || (size_t)n >= sizeof buf - 2) {
		if (!b->err)
			b->err = -EINVAL;
		return;
	}
	size_t len = (size_t)n;
	const char *point = localeconv()->decimal_point;
	if (*point != '.') {
		char *p = strchr(buf, *point);
		if (p)
			*p = '.';
	}
	if (!strchr(buf, '.') && !strchr(buf, 'e')) {
		memcpy(buf + len, ".0", 3);
		len += 2;
	}
	char *start = strchr(buf, 'e');
	if (start) {
		char *end = ++start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, len - (size_t)(end - buf) + 1);
			len -= (size_t)(end - start);
		}
	}
	json_put_raw(b, buf, len);
}

static void json_put_value(strbuf *b, const json_t *j, size_t indent, size_t depth)
{
	if (b->err)
		return;
	if (!j || depth > STRBUF_JSON_MAX_DEPTH) {
		b->err = -EINVAL;
		return;
	}
	switch (json_typeof(j)) {
	case JSON_NULL:
		json_put_raw(b, "null", 4);
		return;
	case JSON_TRUE:
		json_put_raw(b, "true", 4);
		return;
	case JSON_FALSE:
		json_put_raw(b, "false", 5);
		return;
	case JSON_INTEGER:
		json_put_integer(b, json_integer_value(j));
		return;
	case JSON_REAL:
		json_put_real(b, json_real_value(j));
		return;
	case JSON_STRING:
		json_put_string(b, json_string_value(j), json_string_length(j));
		return;
	case JSON_ARRAY: {
		size_t size = json_array_size(j);
		if (size == 0) {
			json_put_raw(b, "[]", 2);
			return;
		}
		json_put_raw(b, "[", 1);
		for (size_t i = 0; i < size; i++) {
			json_put_indent(b, i > 0, (depth + 1) * indent);
			json_put_value(b, json_array_get(j, i), indent, depth + 1);
		}
		json_put_indent(b, false, depth * indent);
		json_put_raw(b, "]", 1);
		return;
	}
	case JSON_OBJECT: {
		/* jansson's iterator wants a mutable object; nothing is changed. */
		json_t *o = (json_t *)(uintptr_t)j;
		void *it = json_object_iter(o);
		if (!it) {
			json_put_raw(b, "{}", 2);
			return;
		}
		json_put_raw(b, "{", 1);
		for (bool first = true; it; it = json_object_iter_next(o, it), first = false) {
			json_put_indent(b, !first, (depth + 1) * indent);
			json_put_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
			json_put_raw(b, ": ", 2);
			json_put_value(b, json_object_iter_value(it), indent, depth + 1);
		}
		json_put_indent(b, false, depth * indent);
		json_put_raw(b, "}", 1);
		return;
	}
	}
	b->err = -EINVAL;
}

void strbuf_put_json(strbuf *b, const json_t *j, unsigned indent, unsigned depth)
{
	/* jansson's indent is 5 bits wide; 0 (compact layout) is not wanted here. */
	if (indent == 0 || indent > 31) {
		if (!b->err)
			b->err = -EINVAL;
		return;
	}
	json_put_value(b, j, indent, depth);
	/* The writers above leave the terminating NUL to this one place. */
	if (!b->err && b->s)
		b->s[b->len] = '\0';
}
