/* text.c — Unicode text handling over utf8proc: UTF-8 validation, folding
 * for comparison (case, diacritics, compatibility forms, a few letters NFKD
 * does not decompose) and trimming. Pure: no I/O, no logging, no state. */
#include <errno.h>
#include <utf8proc.h>

#include "contactwatch/text.h"

bool text_utf8_valid(const char *s, size_t n)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	while (n > 0) {
		utf8proc_int32_t cp;
		/* utf8proc_iterate rejects overlongs, surrogates and > U+10FFFF. */
		utf8proc_ssize_t k = utf8proc_iterate(p, (utf8proc_ssize_t)n, &cp);
		if (k <= 0 || cp < 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* Letters that are separate letters in Unicode, not base+mark, so NFKD and
 * STRIPMARK leave them alone; people still type them as these ASCII forms
 * ("Soren", "Lodz", "Aeroe"). Input is already case-folded. */
static const char *fold_extra_letter(utf8proc_int32_t cp)
{
	switch (cp) {
	case 0x00E6: return "ae"; /* æ */
	case 0x00F8: return "o";  /* ø */
	case 0x0142: return "l";  /* ł */
	case 0x0111: return "d";  /* đ */
	case 0x0153: return "oe"; /* œ */
	case 0x00FE: return "th"; /* þ */
	case 0x00F0: return "d";  /* ð */
	case 0x0131: return "i";  /* dotless ı (Turkish) */
	default: return NULL;
	}
}

static bool fold_is_space(utf8proc_int32_t cp)
{
	if (cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' || cp == ' ')
		return true;
	utf8proc_category_t cat = utf8proc_category(cp);
	return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP;
}

static bool fold_is_mark(utf8proc_int32_t cp)
{
	utf8proc_category_t cat = utf8proc_category(cp);
	return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ME;
}

/* The one folding routine. utf8proc_map does NFKD + case folding + LUMP
 * (typographic quotes, dashes and spaces to ASCII) + IGNORE (soft hyphens,
 * zero-width characters); marks are stripped here rather than with
 * UTF8PROC_STRIPMARK (same effect: categories Mn/Mc/Me) because the German
 * variant must see the diaeresis to write ü as "ue". Whitespace runs become
 * one space, and the ends are trimmed, so "  Jan \t de  Vries" folds to
 * "jan de vries". Other control characters are dropped. */
/* Pure ASCII (most names and companies) folds to lowercase with the
 * whitespace rule: NFKD, case folding, LUMP and marks change nothing else
 * there. Skipping utf8proc halves the cost of preparing a contact. Returns
 * false if s holds a non-ASCII byte. */
static bool fold_ascii(const char *s, char **ret, int *r)
{
	const char *p;
	for (p = s; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return false;
	char *out = malloc((size_t)(p - s) + 1);
	if (!out) {
		*r = -ENOMEM;
		return true;
	}
	size_t o = 0;
	bool pending_space = false;
	for (p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == ' ' || (ch >= '\t' && ch <= '\r')) {
			pending_space = o > 0;
			continue;
		}
		if (ch < 0x20 || ch == 0x7f)
			continue;
		if (pending_space) {
			out[o++] = ' ';
			pending_space = false;
		}
		out[o++] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
	}
	out[o] = '\0';
	*ret = out;
	*r = 0;
	return true;
}

static int fold_impl(const char *s, bool german, char **ret)
{
	int ar;
	if (fold_ascii(s, ret, &ar))
		return ar;

	utf8proc_uint8_t *mapped = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &mapped,
					  UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT |
					  UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_LUMP |
					  UTF8PROC_IGNORE);
	if (n < 0)
		return n == UTF8PROC_ERROR_NOMEM ? -ENOMEM : -EINVAL;

	/* Worst case growth: every codepoint (>= 1 byte) becomes "ae"/"th"/"ue"
	 * (2 bytes), so twice the mapped size plus the NUL suffices. */
	char *out = malloc(2 * (size_t)n + 1);
	if (!out) {
		free(mapped);
		return -ENOMEM;
	}

	size_t o = 0;
	bool pending_space = false;
	utf8proc_int32_t prev = 0;
	const utf8proc_uint8_t *p = mapped;
	utf8proc_ssize_t left = n;
	while (left > 0) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p, left, &cp);
		if (k <= 0 || cp < 0)
			break; /* cannot happen: utf8proc_map produced it */
		p += k;
		left -= k;

		if (fold_is_space(cp)) {
			pending_space = o > 0;
			prev = ' ';
			continue;
		}
		if (fold_is_mark(cp)) {
			/* German transliteration: a/o/u + combining diaeresis -> ae/oe/ue. */
			if (german && cp == 0x0308 && (prev == 'a' || prev == 'o' || prev == 'u'))
				out[o++] = 'e';
			continue;
		}
		if (utf8proc_category(cp) == UTF8PROC_CATEGORY_CC)
			continue;

		if (pending_space) {
			out[o++] = ' ';
			pending_space = false;
		}
		const char *extra = fold_extra_letter(cp);
		if (extra) {
			size_t len = strlen(extra);
			memcpy(out + o, extra, len);
			o += len;
		} else {
			o += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)out + o);
		}
		prev = cp;
	}
	out[o] = '\0';
	free(mapped);
	*ret = out;
	return 0;
}

int text_fold(const char *s, char **ret)
{
	return fold_impl(s, false, ret);
}

int text_fold_german(const char *s, char **ret)
{
	return fold_impl(s, true, ret);
}

/* Length of the strippable character at s (ASCII whitespace or the
 * two-byte U+00A0), 0 if there is none. */
static size_t strip_lead(const char *s, size_t left)
{
	if (left >= 1 && s[0] != '\0' && strchr(" \t\n\r\v\f", s[0]))
		return 1;
	if (left >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
		return 2;
	return 0;
}

static size_t strip_trail(const char *s, size_t len)
{
	if (len >= 1 && s[len - 1] != '\0' && strchr(" \t\n\r\v\f", s[len - 1]))
		return 1;
	if (len >= 2 && (unsigned char)s[len - 2] == 0xC2 && (unsigned char)s[len - 1] == 0xA0)
		return 2;
	return 0;
}

char *text_strip(char *s)
{
	if (!s)
		return NULL;
	/* U+00A0 (no-break space) is 0xC2 0xA0 in UTF-8; spreadsheets and web
	 * copies leave it at the ends of cells. */
	size_t len = strlen(s), k, start = 0;
	while ((k = strip_lead(s + start, len - start)) > 0)
		start += k;
	len -= start;
	memmove(s, s + start, len + 1);
	while ((k = strip_trail(s, len)) > 0)
		len -= k;
	s[len] = '\0';
	return s;
}
