/* text.c — Unicode text handling over utf8proc: UTF-8 validation, folding
 * for comparison (case, diacritics, compatibility forms, a few letters NFKD
 * does not decompose) and trimming; and the streaming decoder that turns an
 * export's bytes (UTF-8, UTF-16, Windows-1252) into the UTF-8 every parser
 * reads. Pure: no I/O, no logging, no state beyond the objects handed out. */
#include <errno.h>
#include <limits.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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
size_t text_fold_ascii_into(const char *s, char *out)
{
	size_t o = 0;
	bool pending_space = false;
	for (const char *p = s; *p; p++) {
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
	return o;
}

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
	text_fold_ascii_into(s, out);
	*ret = out;
	*r = 0;
	return true;
}

/* What the full fold (below) makes of U+00C0..U+017F (Latin-1 Supplement
 * letters and Latin Extended-A), one code point alone: NFKD + case folding
 * + marks stripped + fold_extra_letter, always ASCII letters. "" marks the
 * few it does not turn into ASCII letters (×, ÷, ħ, ĸ, ŀ, ŉ, ŋ, ŧ ...):
 * those go the slow way. Generated from the slow path; test_text checks
 * every entry against it. These are single code points whose NFKD has no
 * combining mark left after stripping and that do not combine with their
 * neighbours (no mark can follow: a mark is outside this range and sends
 * the whole string the slow way), so folding them one by one is exact. */
static const char fold_latin_table[0x180 - 0xC0][3] = {
	/* U+00C0 */
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	/* U+00D0 */
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
	/* U+00E0 */
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	/* U+00F0 */
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
	/* U+0100 */
	"a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
	/* U+0110 */
	"d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
	/* U+0120 */
	"g", "g", "g", "g", "h", "h", "", "", "i", "i", "i", "i", "i", "i", "i", "i",
	/* U+0130 */
	"i", "i", "ij", "ij", "j", "j", "k", "k", "", "l", "l", "l", "l", "l", "l", "",
	/* U+0140 */
	"", "l", "l", "n", "n", "n", "n", "n", "n", "", "", "", "o", "o", "o", "o",
	/* U+0150 */
	"o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
	/* U+0160 */
	"s", "s", "t", "t", "t", "t", "", "", "u", "u", "u", "u", "u", "u", "u", "u",
	/* U+0170 */
	"u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
};

/* The German form differs only for a/o/u with a diaeresis, which NFKD
 * writes as the letter + U+0308: ä ö ü Ä Ö Ü. */
static const char *fold_latin_german(uint32_t cp)
{
	switch (cp) {
	case 0xC4: case 0xE4: return "ae";
	case 0xD6: case 0xF6: return "oe";
	case 0xDC: case 0xFC: return "ue";
	default: return NULL;
	}
}

/* ASCII plus U+00C0..U+017F (most European names: "Müller", "Łukasz",
 * "Gonçalves") without utf8proc: the ASCII rule of fold_ascii, and each
 * two-byte letter from fold_latin_table. Returns false, with nothing
 * allocated, when s holds anything else (other scripts, symbols, marks,
 * U+0080..U+00BF such as the no-break space, invalid UTF-8), for the full
 * fold to handle. */
static bool fold_latin(const char *s, bool german, char **ret, int *r)
{
	const unsigned char *p;
	size_t len = 0;
	for (p = (const unsigned char *)s; *p; p++, len++) {
		if (*p < 0x80)
			continue;
		if (*p < 0xC3 || *p > 0xC5 || (p[1] & 0xC0) != 0x80)
			return false;
		uint32_t cp = ((uint32_t)(*p & 0x1F) << 6) | (p[1] & 0x3F);
		if (!fold_latin_table[cp - 0xC0][0])
			return false;
		p++, len++;
	}
	/* Every two-byte letter folds to at most two bytes: len + NUL suffices. */
	char *out = malloc(len + 1);
	if (!out) {
		*r = -ENOMEM;
		return true;
	}
	size_t o = 0;
	bool pending_space = false;
	for (p = (const unsigned char *)s; *p; p++) {
		unsigned char ch = *p;
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
		if (ch < 0x80) {
			out[o++] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
			continue;
		}
		uint32_t cp = ((uint32_t)(ch & 0x1F) << 6) | (p[1] & 0x3F);
		const char *f = german ? fold_latin_german(cp) : NULL;
		if (!f)
			f = fold_latin_table[cp - 0xC0];
		for (; *f; f++)
			out[o++] = *f;
		p++;
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
	if (fold_latin(s, german, ret, &ar))
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

/* ---- decoding ------------------------------------------------------------ */

const char *text_encoding_name(text_encoding enc)
{
	switch (enc) {
	case TEXT_UTF8: return "utf-8";
	case TEXT_UTF8_BOM: return "utf-8-bom";
	case TEXT_UTF16LE: return "utf-16le";
	case TEXT_UTF16BE: return "utf-16be";
	case TEXT_WINDOWS_1252: return "windows-1252";
	case TEXT_BYTES: return "per-value";
	}
	return "?";
}

/* The encoding a BOM at the start of head names; false without one. */
static bool bom_encoding(const char *head, size_t n, text_encoding *ret)
{
	const unsigned char *p = (const unsigned char *)head;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		*ret = TEXT_UTF8_BOM;
	else if (n >= 2 && p[0] == 0xff && p[1] == 0xfe)
		*ret = TEXT_UTF16LE;
	else if (n >= 2 && p[0] == 0xfe && p[1] == 0xff)
		*ret = TEXT_UTF16BE;
	else
		return false;
	return true;
}

bool text_has_bom(const char *head, size_t n)
{
	text_encoding enc;
	return bom_encoding(head, n, &enc);
}

text_encoding text_detect(const char *head, size_t n, bool whole_valid_utf8)
{
	text_encoding enc;
	if (bom_encoding(head, n, &enc))
		return enc;
	return whole_valid_utf8 ? TEXT_UTF8 : TEXT_WINDOWS_1252;
}

/* The UTF-8 state machine shared by the validator and the decoder (each
 * keeps its own offsets and lines around it). Well-formed means Unicode's
 * table 3-7: no overlongs, no surrogates, nothing above U+10FFFF; lo/hi
 * narrow the second byte where the lead byte requires it. */
typedef struct utf8_seq {
	uint32_t cp;
	unsigned char need, lo, hi;
} utf8_seq;

enum { UTF8_MORE = 0, UTF8_DONE = 1, UTF8_BAD = -1 };

/* One byte: UTF8_DONE with *ret_cp when a code point is complete, UTF8_MORE
 * inside a sequence, UTF8_BAD when the sequence begun (or this byte) is
 * ill-formed; the state is then reset. */
static int utf8_step(utf8_seq *s, unsigned char c, uint32_t *ret_cp)
{
	if (s->need == 0) {
		s->lo = 0x80;
		s->hi = 0xbf;
		if (c < 0x80) {
			*ret_cp = c;
			return UTF8_DONE;
		} else if (c >= 0xc2 && c <= 0xdf) {
			s->need = 1;
			s->cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			s->need = 2;
			s->cp = c & 0x0f;
			if (c == 0xe0)
				s->lo = 0xa0; /* overlong below U+0800 */
			else if (c == 0xed)
				s->hi = 0x9f; /* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			s->need = 3;
			s->cp = c & 0x07;
			if (c == 0xf0)
				s->lo = 0x90; /* overlong below U+10000 */
			else if (c == 0xf4)
				s->hi = 0x8f; /* above U+10FFFF */
		} else {
			return UTF8_BAD; /* a continuation byte, C0/C1 or F5..FF */
		}
		return UTF8_MORE;
	}
	if (c < s->lo || c > s->hi) {
		s->need = 0;
		return UTF8_BAD;
	}
	s->cp = s->cp << 6 | (c & 0x3f);
	s->lo = 0x80;
	s->hi = 0xbf;
	if (--s->need > 0)
		return UTF8_MORE;
	*ret_cp = s->cp;
	return UTF8_DONE;
}

/* Lines as the parsers count them: LF, CR and CRLF each end one. */
static void line_advance(unsigned *line, bool *prev_cr, uint32_t cp)
{
	if ((cp == '\n' && !*prev_cr) || cp == '\r') {
		if (*line < UINT_MAX)
			(*line)++;
	}
	*prev_cr = cp == '\r';
}

/* line_advance over a run of n bytes that are whole characters (ASCII, or
 * valid UTF-8 whose multi-byte sequences never contain CR or LF bytes, so
 * the byte before an LF is the character before it). A byte ends a line
 * when it is CR, or LF not after CR; the first byte looks at prev_cr. With
 * SSE2 that is counted 16 bytes at a time (LF, CRLF and CR files alike):
 * each byte position keeps a counter of line ends (0 or -1 per block,
 * subtracted), summed every 255 blocks before a counter could wrap. */
static void line_advance_run(unsigned *line, bool *prev_cr, const char *s, size_t n)
{
	uint64_t lines = 0;
	size_t i = 1;
	if (n == 0)
		return;
	lines += s[0] == '\r' || (s[0] == '\n' && !*prev_cr);
#ifdef __SSE2__
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
	while (n - i >= 16) {
		size_t blocks = (n - i) / 16 < 255 ? (n - i) / 16 : 255;
		__m128i acc = zero;
		uint64_t sum[2];
		for (; blocks > 0; blocks--, i += 16) {
			const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			const __m128i before = _mm_loadu_si128((const __m128i *)(const void *)(s + i - 1));
			const __m128i ends = _mm_or_si128(_mm_cmpeq_epi8(v, cr),
							  _mm_andnot_si128(_mm_cmpeq_epi8(before, cr), _mm_cmpeq_epi8(v, lf)));
			acc = _mm_sub_epi8(acc, ends);
		}
		_mm_storeu_si128((__m128i *)(void *)sum, _mm_sad_epu8(acc, zero));
		lines += sum[0] + sum[1];
	}
#endif
	for (; i < n; i++)
		lines += s[i] == '\r' || (s[i] == '\n' && s[i - 1] != '\r');
	*prev_cr = s[n - 1] == '\r';
	*line = lines >= UINT_MAX - *line ? UINT_MAX : *line + (unsigned)lines;
}

/* Length of the run of ASCII bytes at the start of s, 16 (SSE2: the byte's
 * top bit is the mask) or 8 at a time. */
static size_t ascii_run(const char *s, size_t n)
{
	size_t k = 0;
#ifdef __SSE2__
	for (; k + 16 <= n; k += 16) {
		const unsigned high =
			(unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + k)));
		if (high)
			return k + (size_t)__builtin_ctz(high);
	}
#endif
	for (; k + 8 <= n; k += 8) {
		uint64_t w;
		memcpy(&w, s + k, 8);
		if (w & UINT64_C(0x8080808080808080))
			break;
	}
	while (k < n && (unsigned char)s[k] < 0x80)
		k++;
	return k;
}

/* Sum of the 16 byte counters of acc (each at most 255). */
#ifdef __SSE2__
static uint64_t sum_bytes(__m128i acc)
{
	uint64_t sum[2];
	_mm_storeu_si128((__m128i *)(void *)sum, _mm_sad_epu8(acc, _mm_setzero_si128()));
	return sum[0] + sum[1];
}
#endif

/* Length of the longest prefix of s that is whole, well-formed UTF-8
 * characters (a sequence cut by the end of s, or a bad one, is left out:
 * the caller's state machine takes it byte by byte; same rules as
 * utf8_step), with line_advance_run over that prefix done in the same
 * pass: ASCII 16 bytes at a time (SSE2, line ends counted as there), the
 * bytes before a non-ASCII one and its sequence one by one. */
static size_t utf8_valid_run_lines(const char *str, size_t n, unsigned *line, bool *prev_cr)
{
	const unsigned char *s = (const unsigned char *)str;
	uint64_t lines = 0;
	bool cr = *prev_cr; /* the character before s[i] is CR */
	size_t i = 0;
	while (i < n) {
		/* The first byte alone: the blocks look at the byte before theirs. */
		size_t ascii_end = i == 0 ? 1 : n;
#ifdef __SSE2__
		if (i > 0 && n - i >= 16) {
			const __m128i vcr = _mm_set1_epi8('\r'), vlf = _mm_set1_epi8('\n');
			__m128i acc = _mm_setzero_si128();
			unsigned blocks = 0;
			do {
				const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
				if (_mm_movemask_epi8(v))
					break;
				const __m128i before = _mm_loadu_si128((const __m128i *)(const void *)(s + i - 1));
				acc = _mm_sub_epi8(acc, _mm_or_si128(_mm_cmpeq_epi8(v, vcr),
								     _mm_andnot_si128(_mm_cmpeq_epi8(before, vcr),
										      _mm_cmpeq_epi8(v, vlf))));
				i += 16;
				if (++blocks == 255) {
					lines += sum_bytes(acc);
					acc = _mm_setzero_si128();
					blocks = 0;
				}
			} while (n - i >= 16);
			lines += sum_bytes(acc);
			cr = s[i - 1] == '\r';
		}
#endif
		for (; i < n && i < ascii_end && s[i] < 0x80; i++) {
			lines += s[i] == '\r' || (s[i] == '\n' && !cr);
			cr = s[i] == '\r';
		}
		if (i == n || s[i] < 0x80)
			continue;
		unsigned char c = s[i], lo = 0x80, hi = 0xbf;
		size_t need;
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			lo = c == 0xe0 ? 0xa0 : 0x80;
			hi = c == 0xed ? 0x9f : 0xbf;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			lo = c == 0xf0 ? 0x90 : 0x80;
			hi = c == 0xf4 ? 0x8f : 0xbf;
		} else
			break;
		if (need >= n - i || s[i + 1] < lo || s[i + 1] > hi)
			break;
		if (need >= 2 && (s[i + 2] < 0x80 || s[i + 2] > 0xbf))
			break;
		if (need >= 3 && (s[i + 3] < 0x80 || s[i + 3] > 0xbf))
			break;
		i += need + 1;
		cr = false;
	}
	*prev_cr = cr;
	*line = lines >= UINT_MAX - *line ? UINT_MAX : *line + (unsigned)lines;
	return i;
}

void text_utf8_validator_init(text_utf8_validator *v)
{
	*v = (text_utf8_validator){ .line = 1 };
}

static void utf8_validator_fail(text_utf8_validator *v, uint64_t at)
{
	v->invalid = true;
	v->error_offset = at;
	v->error_line = v->line;
}

bool text_utf8_validator_feed(text_utf8_validator *v, const char *s, size_t n)
{
	utf8_seq seq = { .cp = v->cp, .need = v->need, .lo = v->lo, .hi = v->hi };
	for (size_t i = 0; i < n && !v->invalid; i++) {
		uint32_t cp;
		/* Between sequences, whole well-formed characters (nearly every
		 * byte of an export) without the state machine: the whole run at
		 * once. What ends it (a bad byte, a sequence cut by the end of s)
		 * is the state machine's. */
		if (seq.need == 0) {
			size_t k = utf8_valid_run_lines(s + i, n - i, &v->line, &v->prev_cr);
			v->offset += k;
			i += k;
			if (i == n)
				break;
		}
		const unsigned char c = (unsigned char)s[i];
		if (seq.need == 0)
			v->seq_offset = v->offset;
		int r = utf8_step(&seq, c, &cp);
		if (r == UTF8_BAD)
			utf8_validator_fail(v, v->seq_offset);
		else if (r == UTF8_DONE)
			line_advance(&v->line, &v->prev_cr, cp);
		v->offset++;
	}
	v->cp = seq.cp;
	v->need = seq.need;
	v->lo = seq.lo;
	v->hi = seq.hi;
	return !v->invalid;
}

bool text_utf8_validator_finish(text_utf8_validator *v)
{
	if (!v->invalid && v->need > 0)
		utf8_validator_fail(v, v->seq_offset);
	return !v->invalid;
}

/* Windows-1252 0x80..0x9F (0xA0..0xFF are Latin-1: the code point is the
 * byte). The five bytes Microsoft leaves undefined become U+FFFD rather than
 * failing the file: one stray byte in a name should not hide every other
 * contact, and the replacement character shows in the evidence that a byte
 * could not be read. Mapping them to C1 controls (as Windows' best-fit
 * does) would be silently dropped by text_fold instead. */
static const uint16_t cp1252_80_9f[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, /* 80..87 */
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd, /* 88..8F */
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, /* 90..97 */
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178, /* 98..9F */
};

uint32_t text_cp1252_codepoint(unsigned char b)
{
	return b >= 0x80 && b <= 0x9f ? cp1252_80_9f[b - 0x80] : b;
}

size_t text_utf8_encode(uint32_t cp, char out[static 4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int text_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Output is gathered here and handed on in pieces: the sink (a parser) then
 * gets a few calls per read chunk, not one per character. */
#define TEXT_DECODER_OUT 4096

struct text_decoder {
	text_encoding enc;
	uint64_t offset;       /* input bytes consumed */
	uint64_t unit_offset;  /* where the pending code unit / sequence started */
	unsigned line;         /* line of the decoded text the next code point is on */
	bool prev_cr;
	bool started;          /* past the first code point (a BOM is dropped only there) */
	utf8_seq seq;          /* UTF-8: the sequence in progress */
	unsigned char unit0;   /* UTF-16: the first byte of a code unit */
	bool have_unit0;
	uint16_t high;         /* UTF-16: a high surrogate waiting for its low half */
	uint64_t high_offset;
	const char *error;     /* sticky, once the input is found not to be text */
	unsigned error_line;
	uint64_t error_offset;
	size_t out_len;
	char out[TEXT_DECODER_OUT];
};

text_decoder *text_decoder_new(text_encoding enc)
{
	text_decoder *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->enc = enc;
	d->line = 1;
	return d;
}

text_decoder *text_decoder_free(text_decoder *d)
{
	free(d);
	return NULL;
}

static int decoder_flush(text_decoder *d, text_sink_fn out, void *userdata)
{
	size_t n = d->out_len;
	if (n == 0)
		return 0;
	d->out_len = 0;
	return out(d->out, n, userdata);
}

/* Appends one code point as UTF-8 (cp is a scalar value: every caller
 * excludes surrogates and > U+10FFFF). */
static int decoder_put(text_decoder *d, uint32_t cp, text_sink_fn out, void *userdata)
{
	const bool first = !d->started;
	d->started = true;
	/* The BOM is how the encoding was chosen, not text: a parser would
	 * otherwise see U+FEFF glued to its first header name. */
	if (first && cp == 0xfeff && d->enc != TEXT_WINDOWS_1252)
		return 0;
	line_advance(&d->line, &d->prev_cr, cp);
	if (d->out_len + 4 > sizeof d->out) {
		int r = decoder_flush(d, out, userdata);
		if (r < 0)
			return r;
	}
	d->out_len += text_utf8_encode(cp, d->out + d->out_len);
	return 0;
}

static const char *decoder_message(const text_decoder *d, bool odd)
{
	switch (d->enc) {
	case TEXT_UTF8_BOM: return "invalid UTF-8 after a UTF-8 byte-order mark";
	case TEXT_UTF16LE:
		return odd ? "invalid UTF-16LE: odd number of bytes" : "invalid UTF-16LE: unpaired surrogate";
	case TEXT_UTF16BE:
		return odd ? "invalid UTF-16BE: odd number of bytes" : "invalid UTF-16BE: unpaired surrogate";
	default: return "invalid UTF-8";
	}
}

/* Records the first error, then hands on what was decoded before it, so
 * that a parser error earlier in the text is still the one reported. */
static int decoder_fail(text_decoder *d, uint64_t at, bool odd, text_sink_fn out, void *userdata)
{
	d->error = decoder_message(d, odd);
	d->error_offset = at;
	d->error_line = d->line;
	int r = decoder_flush(d, out, userdata);
	return r < 0 ? r : -EILSEQ;
}

static int decoder_utf8_byte(text_decoder *d, unsigned char c, text_sink_fn out, void *userdata)
{
	uint32_t cp;
	if (d->seq.need == 0)
		d->unit_offset = d->offset;
	int r = utf8_step(&d->seq, c, &cp);
	if (r == UTF8_BAD)
		return decoder_fail(d, d->unit_offset, false, out, userdata);
	return r == UTF8_DONE ? decoder_put(d, cp, out, userdata) : 0;
}

static int decoder_utf16_byte(text_decoder *d, unsigned char c, text_sink_fn out, void *userdata)
{
	if (!d->have_unit0) {
		d->unit0 = c;
		d->have_unit0 = true;
		d->unit_offset = d->offset;
		return 0;
	}
	d->have_unit0 = false;
	uint16_t u = d->enc == TEXT_UTF16LE ? (uint16_t)(d->unit0 | c << 8) : (uint16_t)(d->unit0 << 8 | c);
	if (d->high) {
		uint32_t hi = d->high;
		if (u < 0xdc00 || u > 0xdfff)
			return decoder_fail(d, d->high_offset, false, out, userdata);
		d->high = 0;
		return decoder_put(d, 0x10000 + ((hi - 0xd800) << 10) + (u - 0xdc00u), out, userdata);
	}
	if (u >= 0xd800 && u <= 0xdbff) {
		d->high = u;
		d->high_offset = d->unit_offset;
		return 0;
	}
	if (u >= 0xdc00 && u <= 0xdfff)
		return decoder_fail(d, d->unit_offset, false, out, userdata);
	return decoder_put(d, u, out, userdata);
}

static int decoder_1252_byte(text_decoder *d, unsigned char c, text_sink_fn out, void *userdata)
{
	uint32_t cp = text_cp1252_codepoint(c);
	return decoder_put(d, cp, out, userdata);
}

/* Copies the run of ASCII at the start of in (up to n bytes, as much as the
 * output buffer holds) as it is, which UTF-8 and Windows-1252 both allow
 * outside a sequence: nearly all of an export, so it is worth a loop of its
 * own. Returns the bytes taken. */
static size_t decoder_ascii_run(text_decoder *d, const char *in, size_t n)
{
	const size_t room = sizeof d->out - d->out_len;
	const size_t k = ascii_run(in, n < room ? n : room);
	memcpy(d->out + d->out_len, in, k);
	line_advance_run(&d->line, &d->prev_cr, in, k);
	d->out_len += k;
	d->offset += k;
	return k;
}

int text_decoder_feed(text_decoder *d, const char *in, size_t n, text_sink_fn out, void *userdata)
{
	const bool bytewise = d->enc == TEXT_UTF16LE || d->enc == TEXT_UTF16BE;
	if (d->error)
		return -EILSEQ;
	if (d->enc == TEXT_BYTES)
		return n > 0 ? out(in, n, userdata) : 0;
	for (size_t i = 0; i < n; i++) {
		const unsigned char c = (unsigned char)in[i];
		int r;
		/* UTF-8 in, UTF-8 out: a run of whole, well-formed characters
		 * would be copied unchanged, so the sink gets it straight from the
		 * input. This skips decoder_put's per-character work, which is
		 * safe because utf8_valid_run_lines applies utf8_step's rules (a
		 * sequence cut by the chunk's end, or a bad one, is left to the
		 * byte loop below, which reports it), and the BOM check only
		 * concerns the first code point (started). */
		if (d->started && d->seq.need == 0 && (d->enc == TEXT_UTF8 || d->enc == TEXT_UTF8_BOM)) {
			/* Counting the run's lines before the pending output is
			 * flushed changes nothing: the sink never sees d->line. */
			size_t k = utf8_valid_run_lines(in + i, n - i, &d->line, &d->prev_cr);
			if (k > 0) {
				r = decoder_flush(d, out, userdata);
				if (r < 0)
					return r;
				d->offset += k;
				r = out(in + i, k, userdata);
				if (r < 0)
					return r;
				i += k - 1;
				continue;
			}
		}
		/* After the first code point (a BOM to drop) and between sequences. */
		if (!bytewise && d->started && d->seq.need == 0 && c < 0x80) {
			if (d->out_len == sizeof d->out) {
				r = decoder_flush(d, out, userdata);
				if (r < 0)
					return r;
			}
			/* At least this byte fits now: the run is never empty. */
			i += decoder_ascii_run(d, in + i, n - i) - 1;
			continue;
		}
		switch (d->enc) {
		case TEXT_UTF16LE:
		case TEXT_UTF16BE: r = decoder_utf16_byte(d, c, out, userdata); break;
		case TEXT_WINDOWS_1252: r = decoder_1252_byte(d, c, out, userdata); break;
		default: r = decoder_utf8_byte(d, c, out, userdata); break;
		}
		d->offset++;
		if (r < 0)
			return r;
	}
	return decoder_flush(d, out, userdata);
}

int text_decoder_finish(text_decoder *d, text_sink_fn out, void *userdata)
{
	if (d->error)
		return -EILSEQ;
	/* A high surrogate came before the stray byte, so it is the first error. */
	if (d->high)
		return decoder_fail(d, d->high_offset, false, out, userdata);
	if (d->have_unit0)
		return decoder_fail(d, d->unit_offset, true, out, userdata);
	if (d->seq.need > 0)
		return decoder_fail(d, d->unit_offset, false, out, userdata);
	return decoder_flush(d, out, userdata);
}

const char *text_decoder_error(const text_decoder *d, unsigned *ret_line, uint64_t *ret_offset)
{
	if (!d->error)
		return NULL;
	if (ret_line)
		*ret_line = d->error_line;
	if (ret_offset)
		*ret_offset = d->error_offset;
	return d->error;
}
