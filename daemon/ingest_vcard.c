/* ingest_vcard.c — vCard 2.1, 3.0 and 4.0 exports: a push-based reader (fed
 * chunks of any size) that unfolds lines and quoted-printable soft breaks,
 * tracks physical lines and enforces the caps, and the mapping of one card's
 * FN, N, ORG, TITLE, EMAIL, URL and social-profile properties onto a contact. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "contactwatch/ingest_formats.h"
#include "contactwatch/text.h"

/* E-mails, URLs and labelled groups kept per card: a person's card has a
 * handful; beyond this a card is a mailing list, and the rest is dropped. */
#define VCARD_MAX_VALUES 64
/* Group names ("item12") longer than this are never looked up for a label. */
#define VCARD_MAX_GROUP 32
/* Cards inside cards (2.1 AGENT); deeper means a hostile file, not an export. */
#define VCARD_MAX_DEPTH 8
/* Bytes kept of a line that can only matter as BEGIN:VCARD / END:VCARD (text
 * outside cards, BEGIN/END values): enough for the keyword and stray blanks. */
#define VCARD_MAX_PEEK 64

static const char vcard_bom[] = "\xef\xbb\xbf";

/* ---- properties --------------------------------------------------------- */

typedef enum vcard_prop {
	VCARD_PROP_OTHER,
	VCARD_PROP_BEGIN,
	VCARD_PROP_END,
	VCARD_PROP_FN,
	VCARD_PROP_N,
	VCARD_PROP_ORG,
	VCARD_PROP_TITLE,
	VCARD_PROP_EMAIL,
	VCARD_PROP_URL,
	VCARD_PROP_SOCIAL, /* X-SOCIALPROFILE (Apple), SOCIALPROFILE (RFC 9554) */
	VCARD_PROP_LABEL,  /* X-ABLabel: names the other properties of its group */
	VCARD_PROP_BINARY, /* PHOTO, LOGO, SOUND, KEY: skipped, capped by the card size only */
} vcard_prop;

static const struct {
	const char *name;
	vcard_prop prop;
} vcard_props[] = {
	{ "BEGIN", VCARD_PROP_BEGIN },
	{ "END", VCARD_PROP_END },
	{ "FN", VCARD_PROP_FN },
	{ "N", VCARD_PROP_N },
	{ "ORG", VCARD_PROP_ORG },
	{ "TITLE", VCARD_PROP_TITLE },
	{ "EMAIL", VCARD_PROP_EMAIL },
	{ "URL", VCARD_PROP_URL },
	{ "X-SOCIALPROFILE", VCARD_PROP_SOCIAL },
	{ "SOCIALPROFILE", VCARD_PROP_SOCIAL },
	{ "X-ABLABEL", VCARD_PROP_LABEL },
	{ "PHOTO", VCARD_PROP_BINARY },
	{ "LOGO", VCARD_PROP_BINARY },
	{ "SOUND", VCARD_PROP_BINARY },
	{ "KEY", VCARD_PROP_BINARY },
};

/* Whether a card's value of this property is kept (and so decoded). */
static bool vcard_prop_wanted(vcard_prop prop)
{
	return prop >= VCARD_PROP_FN && prop <= VCARD_PROP_LABEL;
}

typedef enum vcard_charset {
	VCARD_CHARSET_DEFAULT, /* none declared: UTF-8 if valid, else Windows-1252 (domain.md) */
	VCARD_CHARSET_UTF8,
	VCARD_CHARSET_CP1252,  /* also what files labelled ISO-8859-1 hold (WHATWG) */
	VCARD_CHARSET_LATIN9,  /* ISO-8859-15 */
	VCARD_CHARSET_UNKNOWN, /* accepted while the bytes are UTF-8 */
} vcard_charset;

static vcard_charset vcard_charset_parse(const char *name)
{
	static const struct {
		const char *name;
		vcard_charset cs;
	} map[] = {
		{ "UTF-8", VCARD_CHARSET_UTF8 },	  { "UTF8", VCARD_CHARSET_UTF8 },
		{ "US-ASCII", VCARD_CHARSET_UTF8 },	  { "ASCII", VCARD_CHARSET_UTF8 },
		{ "ISO-8859-1", VCARD_CHARSET_CP1252 },	  { "ISO8859-1", VCARD_CHARSET_CP1252 },
		{ "LATIN1", VCARD_CHARSET_CP1252 },	  { "WINDOWS-1252", VCARD_CHARSET_CP1252 },
		{ "CP1252", VCARD_CHARSET_CP1252 },	  { "ISO-8859-15", VCARD_CHARSET_LATIN9 },
		{ "ISO8859-15", VCARD_CHARSET_LATIN9 }, { "LATIN9", VCARD_CHARSET_LATIN9 },
	};
	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (strcasecmp(name, map[i].name) == 0)
			return map[i].cs;
	return VCARD_CHARSET_UNKNOWN;
}

static unsigned vcard_charset_codepoint(vcard_charset cs, unsigned char b)
{
	if (cs == VCARD_CHARSET_CP1252)
		return text_cp1252_codepoint(b);
	if (cs == VCARD_CHARSET_LATIN9)
		switch (b) {
		case 0xa4: return 0x20ac;
		case 0xa6: return 0x0160;
		case 0xa8: return 0x0161;
		case 0xb4: return 0x017d;
		case 0xb8: return 0x017e;
		case 0xbc: return 0x0152;
		case 0xbd: return 0x0153;
		case 0xbe: return 0x0178;
		default: break;
		}
	return b;
}

/* s (n bytes in a single-byte charset) as a new UTF-8 string; every code
 * point here is below U+10000, so 3 bytes per input byte suffice. */
static char *vcard_charset_to_utf8(vcard_charset cs, const char *s, size_t n, size_t *ret_len)
{
	char *out = malloc(3 * n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		o += text_utf8_encode(vcard_charset_codepoint(cs, (unsigned char)s[i]), o);
	}
	*o = '\0';
	*ret_len = (size_t)(o - out);
	return out;
}

/* Quoted-printable in place (soft breaks are already joined); an `=` not
 * followed by two hex digits is kept as text, as lenient decoders do. */
static size_t vcard_qp_decode(char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '=' && i + 2 < n && (hi = text_hex_digit(s[i + 1])) >= 0 &&
		    (lo = text_hex_digit(s[i + 2])) >= 0) {
			s[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			s[o++] = s[i];
	}
	s[o] = '\0';
	return o;
}

/* The k-th `;`-separated component of an escaped structured value (N, ORG):
 * its start, and its length in *ret_len; NULL when there are fewer. */
static const char *vcard_component(const char *s, unsigned k, size_t *ret_len)
{
	const char *start = s;
	for (;; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			continue;
		}
		if (*s == ';' || !*s) {
			if (k == 0) {
				*ret_len = (size_t)(s - start);
				return start;
			}
			if (!*s)
				return NULL;
			k--;
			start = s + 1;
		}
	}
}

static bool vcard_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* s[0..n) unescaped (RFC 6350 3.4: `\\ \, \; \n \N`, and Google's `\:` in
 * URLs) and trimmed, as a new string in *ret; *ret stays NULL when nothing
 * is left, so an empty property counts as absent. */
static int vcard_text(const char *s, size_t n, char **ret)
{
	char *out, *o;
	*ret = NULL;
	while (n > 0 && vcard_blank(*s)) {
		s++;
		n--;
	}
	/* calloc, not malloc: clang-analyzer cannot follow the loop below and
	 * would see the unescaped text as uninitialised. */
	out = calloc(n + 1, 1);
	if (!out)
		return -ENOMEM;
	o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			char e = s[++i];
			if (e == 'n' || e == 'N')
				*o++ = '\n';
			else if (e == '\\' || e == ',' || e == ';' || e == ':')
				*o++ = e;
			else {
				/* Not an escape vCard defines: keep it as written. */
				*o++ = '\\';
				*o++ = e;
			}
		} else
			*o++ = s[i];
	}
	while (o > out && vcard_blank(o[-1]))
		o--;
	*o = '\0';
	if (o == out) {
		free(out);
		return 0;
	}
	*ret = out;
	return 0;
}

/* ---- the parser --------------------------------------------------------- */

/* What one card yields so far (the outermost card; nested ones are skipped). */
typedef struct vcard_card {
	unsigned line;   /* of its BEGIN:VCARD */
	uint64_t bytes;  /* raw bytes of its complete lines */
	char *fn, *family, *given, *org, *title;
	bool have_n;
	char **emails, **urls; /* strv */
	size_t n_emails, n_urls;
	bool url_linkedin[VCARD_MAX_VALUES];
	char url_group[VCARD_MAX_VALUES][VCARD_MAX_GROUP + 1];
	char linkedin_groups[VCARD_MAX_VALUES][VCARD_MAX_GROUP + 1];
	size_t n_linkedin_groups;
} vcard_card;

typedef struct vcard_parser {
	const ingest_limits *limits;
	ingest_record_fn cb;
	void *userdata;
	ingest_result *result;
	int stopped;          /* sticky: an error or the callback's stop */
	bool finished;

	/* bytes */
	unsigned line;        /* physical line of the next byte */
	unsigned bom_matched;
	bool bom_done;
	bool prev_cr;         /* last byte was CR: a following LF ends the same line */
	bool at_eol;          /* a line end was read; the next byte says fold or new line */

	/* the logical (unfolded) line being read: its header (group, name,
	 * parameters) is kept up to the colon, then as much of the value as the
	 * property deserves */
	char *buf;
	size_t len, cap;
	unsigned line_start;
	uint64_t line_raw;    /* every byte of it as read: folds, line ends */
	uint64_t value_len;
	bool in_value, in_quote;
	bool header_overflow; /* outside a card: too long to be BEGIN/END */
	bool value_overflow;  /* a BEGIN/END value too long to be VCARD */
	bool keep_value;
	char last;            /* last content byte: `=` may be a QP soft break */
	vcard_prop prop;
	vcard_charset charset;
	bool qp, binary, linkedin;
	char group[VCARD_MAX_GROUP + 1];

	/* incremental UTF-8 check of the unfolded bytes (a fold may split a
	 * multi-byte character, RFC 6350 3.2) */
	unsigned utf8_need, utf8_line;
	unsigned char utf8_lo, utf8_hi;

	unsigned depth;
	bool any_card;
	vcard_card card;
} vcard_parser;

__attribute__((format(printf, 3, 4))) static int vcard_fail(vcard_parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->result->error, sizeof p->result->error, fmt, ap);
	va_end(ap);
	p->result->error_line = line;
	return -EBADMSG;
}

static void vcard_card_reset(vcard_card *card)
{
	free(card->fn);
	free(card->family);
	free(card->given);
	free(card->org);
	free(card->title);
	strv_free(card->emails);
	strv_free(card->urls);
	*card = (vcard_card){ 0 };
}

static void vcard_line_reset(vcard_parser *p)
{
	p->len = 0;
	p->line_start = p->line;
	p->line_raw = p->value_len = 0;
	p->in_value = p->in_quote = p->header_overflow = p->value_overflow = p->keep_value = false;
	p->last = '\0';
	p->prop = VCARD_PROP_OTHER;
	p->charset = VCARD_CHARSET_DEFAULT;
	p->qp = p->binary = p->linkedin = false;
	p->group[0] = '\0';
	p->utf8_need = 0;
}

static int vcard_append(vcard_parser *p, char c)
{
	if (p->len + 2 > p->cap) {
		/* Bounded by the callers: max_field_size of header or value. */
		size_t cap = p->cap ? p->cap * 2 : 256;
		char *b = realloc(p->buf, cap);
		if (!b)
			return -ENOMEM;
		p->buf = b;
		p->cap = cap;
	}
	p->buf[p->len++] = c;
	p->buf[p->len] = '\0';
	return 0;
}

/* Splits the parameter list in place at `;` outside quotes; returns the next
 * one (NUL-terminated) and advances *s, or NULL at the end. */
static char *vcard_next_param(char **s)
{
	char *start = *s, *q;
	bool quoted = false;
	if (!start)
		return NULL;
	for (q = start; *q; q++) {
		if (*q == '"')
			quoted = !quoted;
		else if (*q == ';' && !quoted)
			break;
	}
	if (*q) {
		*q = '\0';
		*s = q + 1;
	} else
		*s = NULL;
	return start;
}

/* `"a,b"` → `a,b` in place. */
static char *vcard_unquote(char *v)
{
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v[n - 1] = '\0';
		return v + 1;
	}
	return v;
}

/* The header `[group.]NAME *(;param)` is complete: what the property is and
 * how its value is encoded. Parameters are read the same in every version:
 * 2.1's bare `QUOTED-PRINTABLE` and `WORK`, 3.0/4.0's `TYPE=a,b` and quoted
 * values. */
static void vcard_header_parse(vcard_parser *p)
{
	char *rest = p->buf;
	char *name = vcard_next_param(&rest), *dot, *param;

	if (!name)
		return;
	dot = strrchr(name, '.');
	if (dot) {
		size_t g = (size_t)(dot - name);
		if (g <= VCARD_MAX_GROUP) {
			memcpy(p->group, name, g);
			p->group[g] = '\0';
		}
		name = dot + 1;
	}
	for (size_t i = 0; i < ELEMENTSOF(vcard_props); i++)
		if (strcasecmp(name, vcard_props[i].name) == 0)
			p->prop = vcard_props[i].prop;

	while ((param = vcard_next_param(&rest))) {
		char *eq = strchr(param, '=');
		const char *key = eq ? param : NULL;
		char *value = eq ? eq + 1 : param;
		if (eq)
			*eq = '\0';
		value = vcard_unquote(value);
		/* TYPE=linkedin, SERVICE-TYPE=LinkedIn (RFC 9554), X-SERVICE-TYPE. */
		if (strcasestr(value, "linkedin"))
			p->linkedin = true;
		if (!key || strcasecmp(key, "ENCODING") == 0) {
			if (strcasecmp(value, "QUOTED-PRINTABLE") == 0)
				p->qp = true;
			else if (strcasecmp(value, "BASE64") == 0 || (key && strcasecmp(value, "B") == 0))
				p->binary = true;
		} else if (strcasecmp(key, "CHARSET") == 0)
			p->charset = vcard_charset_parse(value);
	}
	if (p->prop == VCARD_PROP_BINARY)
		p->binary = true;
}

static int vcard_card_size_check(vcard_parser *p)
{
	if (p->depth > 0 && p->card.bytes + p->line_raw > p->limits->max_record_size)
		return vcard_fail(p, p->card.line, "vCard longer than %" PRIu64 " bytes", p->limits->max_record_size);
	return 0;
}

static int vcard_utf8_byte(vcard_parser *p, unsigned char c)
{
	if (p->utf8_need > 0) {
		if (c < p->utf8_lo || c > p->utf8_hi)
			return vcard_fail(p, p->line, "invalid UTF-8");
		p->utf8_lo = 0x80;
		p->utf8_hi = 0xbf;
		p->utf8_need--;
		return 0;
	}
	if (c < 0x80)
		return 0;
	p->utf8_lo = 0x80;
	p->utf8_hi = 0xbf;
	p->utf8_line = p->line;
	if (c >= 0xc2 && c <= 0xdf)
		p->utf8_need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		p->utf8_need = 2;
		if (c == 0xe0)
			p->utf8_lo = 0xa0; /* overlong */
		else if (c == 0xed)
			p->utf8_hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		p->utf8_need = 3;
		if (c == 0xf0)
			p->utf8_lo = 0x90; /* overlong */
		else if (c == 0xf4)
			p->utf8_hi = 0x8f; /* > U+10FFFF */
	} else
		return vcard_fail(p, p->line, "invalid UTF-8");
	return 0;
}

/* One content byte of the logical line (line ends and folds are not content). */
static int vcard_content(vcard_parser *p, char c)
{
	const uint64_t max_field = p->limits->max_field_size;
	/* Inside a card every byte must be UTF-8, but for values not declared
	 * UTF-8 (judged whole in vcard_card_property); text outside cards is
	 * ignored, so not judged. */
	if (p->depth > 0 && !(p->in_value && p->charset != VCARD_CHARSET_UTF8)) {
		int r = vcard_utf8_byte(p, (unsigned char)c);
		if (r < 0)
			return r;
	}
	p->last = c;
	if (!p->in_value) {
		/* Indented lines (and a blank line "folded" into the next) start
		 * with blanks, which are not part of any property name. */
		if (p->len == 0 && !p->header_overflow && (c == ' ' || c == '\t'))
			return 0;
		if (c == '"')
			p->in_quote = !p->in_quote;
		else if (c == ':' && !p->in_quote) {
			p->in_value = true;
			if (p->header_overflow)
				return 0;
			vcard_header_parse(p);
			/* From here buf holds the value; the header left NULs in it. */
			p->len = 0;
			if (p->buf)
				p->buf[0] = '\0';
			if (p->prop == VCARD_PROP_BEGIN || p->prop == VCARD_PROP_END)
				p->keep_value = true;
			else
				/* A base64 value is exempt from max_field_size, so never kept:
				 * no name or address is written that way. */
				p->keep_value = p->depth == 1 && vcard_prop_wanted(p->prop) && !p->binary;
			return 0;
		}
		if (p->header_overflow)
			return 0;
		if (p->depth == 0 && p->len >= VCARD_MAX_PEEK) {
			p->header_overflow = true;
			return 0;
		}
		if (p->len >= max_field)
			return vcard_fail(p, p->line_start, "property name and parameters longer than %" PRIu64 " bytes",
					  max_field);
		return vcard_append(p, c);
	}

	p->value_len++;
	if (p->depth > 0 && !p->binary && p->value_len > max_field)
		return vcard_fail(p, p->line_start, "property value longer than %" PRIu64 " bytes", max_field);
	if (!p->keep_value || p->value_overflow)
		return 0;
	if ((p->prop == VCARD_PROP_BEGIN || p->prop == VCARD_PROP_END) && p->len >= VCARD_MAX_PEEK) {
		p->value_overflow = true;
		return 0;
	}
	return vcard_append(p, c);
}

/* ---- cards -------------------------------------------------------------- */

static bool vcard_has_group(const vcard_card *card, const char *group)
{
	for (size_t i = 0; i < card->n_linkedin_groups; i++)
		if (strcasecmp(card->linkedin_groups[i], group) == 0)
			return true;
	return false;
}

static int vcard_card_add_email(vcard_card *card, const char *text)
{
	static const char mailto[] = "mailto:";
	const char *addr = text;
	/* 4.0 writers that treat EMAIL as a URI. */
	if (strlen(text) >= sizeof mailto - 1 && strncasecmp(text, mailto, sizeof mailto - 1) == 0)
		addr += sizeof mailto - 1;
	if (!*addr || card->n_emails >= VCARD_MAX_VALUES)
		return 0;
	for (size_t i = 0; i < card->n_emails; i++)
		if (strcasecmp(card->emails[i], addr) == 0)
			return 0;
	int r = strv_push(&card->emails, addr);
	if (r < 0)
		return r;
	card->n_emails++;
	return 0;
}

static int vcard_card_add_url(vcard_card *card, const char *text, const char *group, bool linkedin)
{
	/* Apple writes the same profile as item1.URL and X-SOCIALPROFILE. */
	for (size_t i = 0; i < card->n_urls; i++)
		if (streq(card->urls[i], text)) {
			card->url_linkedin[i] |= linkedin;
			return 0;
		}
	if (card->n_urls >= VCARD_MAX_VALUES)
		return 0;
	int r = strv_push(&card->urls, text);
	if (r < 0)
		return r;
	card->url_linkedin[card->n_urls] = linkedin;
	snprintf(card->url_group[card->n_urls], sizeof card->url_group[0], "%s", group);
	card->n_urls++;
	return 0;
}

static void vcard_card_add_label(vcard_card *card, const char *text, const char *group)
{
	/* Apple's and Google's label of an itemN group; a HomePage label and
	 * the like change nothing, every URL is kept anyway. */
	if (!group[0] || !strcasestr(text, "linkedin") || card->n_linkedin_groups >= VCARD_MAX_VALUES ||
	    vcard_has_group(card, group))
		return;
	snprintf(card->linkedin_groups[card->n_linkedin_groups], sizeof card->linkedin_groups[0], "%s", group);
	card->n_linkedin_groups++;
}

#define VCARD_WHOLE UINT32_MAX /* vcard_card_set: the value is not structured */

/* Sets *field to the unescaped k-th component of value unless already set:
 * the first non-empty occurrence of a single-valued property wins. */
static int vcard_card_set(char **field, const char *value, size_t n, unsigned k)
{
	size_t len;
	const char *s;
	if (*field)
		return 0;
	if (k == VCARD_WHOLE)
		return vcard_text(value, n, field);
	s = vcard_component(value, k, &len);
	return s ? vcard_text(s, len, field) : 0;
}

/* Records one decoded property value (n bytes of UTF-8) in the card. */
static int vcard_card_record(vcard_card *card, const vcard_parser *p, const char *value, size_t n)
{
	char *text = NULL;
	int r;

	switch (p->prop) {
	case VCARD_PROP_FN:
		return vcard_card_set(&card->fn, value, n, VCARD_WHOLE);
	case VCARD_PROP_N:
		/* Family;Given;Additional;Prefix;Suffix — the first N only. */
		if (card->have_n)
			return 0;
		card->have_n = true;
		r = vcard_card_set(&card->family, value, n, 0);
		return r < 0 ? r : vcard_card_set(&card->given, value, n, 1);
	case VCARD_PROP_ORG:
		/* Organisation;Unit;...: the first component is the company. */
		return vcard_card_set(&card->org, value, n, 0);
	case VCARD_PROP_TITLE:
		return vcard_card_set(&card->title, value, n, VCARD_WHOLE);
	case VCARD_PROP_EMAIL:
	case VCARD_PROP_URL:
	case VCARD_PROP_SOCIAL:
	case VCARD_PROP_LABEL:
		r = vcard_text(value, n, &text);
		if (r < 0 || !text)
			return r;
		if (p->prop == VCARD_PROP_EMAIL)
			r = vcard_card_add_email(card, text);
		else if (p->prop == VCARD_PROP_LABEL)
			vcard_card_add_label(card, text, p->group);
		else
			r = vcard_card_add_url(card, text, p->group, p->linkedin);
		free(text);
		return r;
	default:
		return 0;
	}
}

/* A complete property of the outer card: decoded to UTF-8 and recorded. */
static int vcard_card_property(vcard_parser *p)
{
	char empty[1] = "";
	char *value = p->buf ? p->buf : empty, *converted = NULL;
	size_t n = p->len;
	int r;

	if (p->qp) {
		n = vcard_qp_decode(value, n);
		/* =00 would cut the value short where the reader cannot see it. */
		if (memchr(value, '\0', n))
			return vcard_fail(p, p->line_start, "NUL byte in a quoted-printable value");
	}
	/* A value valid as UTF-8 is taken as UTF-8 whatever CHARSET says: the
	 * reader may have decoded the file already, some writers label UTF-8 as
	 * ISO-8859-1, and Latin-1 names are essentially never valid UTF-8. */
	if (!text_utf8_valid(value, n)) {
		if (p->charset == VCARD_CHARSET_UTF8)
			return vcard_fail(p, p->line_start, "invalid UTF-8");
		if (p->charset == VCARD_CHARSET_UNKNOWN)
			return vcard_fail(p, p->line_start, "invalid UTF-8 in a value of an unsupported CHARSET");
		/* Undeclared and not UTF-8: the decoding rule's fallback. */
		converted = vcard_charset_to_utf8(p->charset == VCARD_CHARSET_DEFAULT ? VCARD_CHARSET_CP1252 : p->charset,
						  value, n, &n);
		if (!converted)
			return -ENOMEM;
		value = converted;
	}
	r = vcard_card_record(&p->card, p, value, n);
	free(converted);
	return r;
}

/* Whether a URL is the contact's LinkedIn profile: said so by its property,
 * by its group's label, or by its host. */
static bool vcard_url_linkedin(const vcard_card *card, size_t i)
{
	return card->url_linkedin[i] || (card->url_group[i][0] && vcard_has_group(card, card->url_group[i])) ||
	       strcasestr(card->urls[i], "linkedin.com");
}

/* END:VCARD of the outer card: one contact, or one rejected card. */
static int vcard_card_emit(vcard_parser *p)
{
	vcard_card *card = &p->card;
	char *urls[VCARD_MAX_VALUES + 1];
	_cleanup_free_ char *joined = NULL;
	size_t n = 0;
	contact c;

	if (!card->fn && !card->family && !card->given && !card->n_emails && !card->n_urls && !card->org) {
		/* Nothing to match on (a card of phone numbers): the card, not the file. */
		p->result->rejected++;
		return 0;
	}
	/* LinkedIn profiles first, so the one URL an alert shows is the profile;
	 * the matcher reads every URL. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < card->n_urls; i++)
			if (vcard_url_linkedin(card, i) == (pass == 0))
				urls[n++] = card->urls[i];
	urls[n] = NULL;

	contact_init(&c);
	c.first = card->given;
	c.last = card->family;
	c.company = card->org;
	c.position = card->title;
	c.emails = card->emails;
	c.urls = n ? urls : NULL;
	c.event = CONTACT_EVENT_CONNECTION;
	if (card->fn)
		c.name = card->fn;
	else if (card->given && card->family) {
		size_t len = strlen(card->given) + strlen(card->family) + 2;
		joined = malloc(len);
		if (!joined)
			return -ENOMEM;
		snprintf(joined, len, "%s %s", card->given, card->family);
		c.name = joined;
	} else
		c.name = card->given ? card->given : card->family;
	c.record = ++p->result->records;
	c.line = card->line;
	int r = p->cb(&c, p->userdata);
	return r < 0 ? r : 0;
}

static bool vcard_value_is_vcard(const vcard_parser *p)
{
	const char *v = p->buf ? p->buf : "";
	size_t n = p->len;
	if (p->value_overflow)
		return false;
	while (n > 0 && vcard_blank(*v)) {
		v++;
		n--;
	}
	while (n > 0 && vcard_blank(v[n - 1]))
		n--;
	return n == 5 && strncasecmp(v, "VCARD", 5) == 0;
}

static int vcard_begin(vcard_parser *p)
{
	if (p->depth == 0) {
		const uint64_t cards = p->result->records + p->result->rejected;
		if (cards >= p->limits->max_records)
			return vcard_fail(p, p->line_start, "more than %" PRIu64 " vCards", p->limits->max_records);
		vcard_card_reset(&p->card);
		p->card.line = p->line_start;
		p->card.bytes = p->line_raw;
		p->any_card = true;
		if (p->card.bytes > p->limits->max_record_size)
			return vcard_fail(p, p->card.line, "vCard longer than %" PRIu64 " bytes",
					  p->limits->max_record_size);
	} else if (p->depth >= VCARD_MAX_DEPTH)
		return vcard_fail(p, p->line_start, "vCards nested deeper than %u", VCARD_MAX_DEPTH);
	p->depth++;
	return 0;
}

static int vcard_end(vcard_parser *p)
{
	int r;
	/* Not skipped like other stray text: a lost BEGIN means the cards
	 * before it were mis-nested or cut, and what we read may be wrong. */
	if (p->depth == 0)
		return vcard_fail(p, p->line_start, "END:VCARD without BEGIN:VCARD");
	if (--p->depth > 0)
		return 0;
	r = vcard_card_emit(p);
	vcard_card_reset(&p->card);
	return r;
}

/* The logical line is complete (the next byte is not a fold, or input ended). */
static int vcard_line_done(vcard_parser *p)
{
	if (p->depth > 0) {
		p->card.bytes += p->line_raw;
		if (p->utf8_need > 0)
			return vcard_fail(p, p->utf8_line, "invalid UTF-8");
	}
	/* Blank lines, and inside a card lines without a colon: skipped. Real
	 * exports have such lines where a writer failed to fold a long NOTE;
	 * one of them must not cost the whole file. */
	if (!p->in_value)
		return 0;
	if (p->prop == VCARD_PROP_BEGIN && vcard_value_is_vcard(p))
		return vcard_begin(p);
	if (p->prop == VCARD_PROP_END && vcard_value_is_vcard(p))
		return vcard_end(p);
	if (p->depth == 1 && p->keep_value)
		return vcard_card_property(p);
	return 0;
}

static int vcard_push(vcard_parser *p, char c)
{
	int r;
	if (c == '\0')
		return vcard_fail(p, p->line, "NUL byte (binary file?)");
	if (p->at_eol) {
		const bool was_cr = p->prev_cr;
		p->prev_cr = false;
		if (c == '\n' && was_cr) {
			/* The LF of a CRLF: still the same line end. */
			p->line_raw++;
			return vcard_card_size_check(p);
		}
		p->at_eol = false;
		if (p->in_value && p->qp && p->last == '=') {
			/* QP soft break: `=` and the line end vanish, and the next
			 * line continues the value as written, blanks included. */
			if (p->keep_value && !p->value_overflow && p->len > 0)
				p->buf[--p->len] = '\0';
			p->value_len--;
			p->last = '\0';
		} else if (c == ' ' || c == '\t') {
			/* A fold: line end and this one blank vanish. */
			p->line_raw++;
			return vcard_card_size_check(p);
		} else {
			r = vcard_line_done(p);
			if (r != 0)
				return r;
			vcard_line_reset(p);
		}
	}
	p->line_raw++;
	r = vcard_card_size_check(p);
	if (r < 0)
		return r;
	if (c == '\r' || c == '\n') {
		p->at_eol = true;
		p->prev_cr = c == '\r';
		p->line++;
		return 0;
	}
	return vcard_content(p, c);
}

/* Drops a leading UTF-8 BOM, which may arrive split over several feeds. */
static int vcard_push_start(vcard_parser *p, char c)
{
	if (p->bom_done)
		return vcard_push(p, c);
	if (c == vcard_bom[p->bom_matched]) {
		if (++p->bom_matched == 3)
			p->bom_done = true;
		return 0;
	}
	p->bom_done = true;
	for (unsigned i = 0; i < p->bom_matched; i++) {
		int r = vcard_push(p, vcard_bom[i]);
		if (r != 0)
			return r;
	}
	return vcard_push(p, c);
}

/* ---- the registry's entry ----------------------------------------------- */

static int vcard_probe(const char *head, size_t len, bool at_eof)
{
	static const char begin[] = "BEGIN:VCARD";
	const size_t n = sizeof begin - 1;
	size_t i = 0;

	(void)at_eof;
	if (len >= 3 && memcmp(head, vcard_bom, 3) == 0)
		i = 3;
	while (i < len && vcard_blank(head[i]))
		i++;
	if (i + n > len || strncasecmp(head + i, begin, n) != 0)
		return 0;
	i += n;
	/* `BEGIN:VCARDS...` is something else; the keyword must end its line. */
	if (i < len && !vcard_blank(head[i]))
		return 0;
	return 100;
}

static void *vcard_parser_free(void *parser)
{
	vcard_parser *p = parser;
	if (p) {
		vcard_card_reset(&p->card);
		free(p->buf);
		free(p);
	}
	return NULL;
}

static void *vcard_parser_new(const ingest_options *opt, ingest_record_fn cb, void *userdata, ingest_result *result)
{
	vcard_parser *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->limits = &opt->limits;
	p->cb = cb;
	p->userdata = userdata;
	p->result = result;
	p->line = 1;
	vcard_line_reset(p);
	return p;
}

static int vcard_parser_feed(void *parser, const char *buf, size_t n)
{
	vcard_parser *p = parser;
	if (p->stopped)
		return p->stopped;
	if (p->finished)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int r = vcard_push_start(p, buf[i]);
		if (r != 0)
			return p->stopped = r;
	}
	return 0;
}

static int vcard_parser_finish(void *parser)
{
	vcard_parser *p = parser;
	int r = 0;
	if (p->stopped)
		return p->stopped;
	if (p->finished)
		return -EINVAL;
	p->finished = true;
	if (!p->bom_done) {
		/* Input shorter than a BOM: what matched was content after all. */
		p->bom_done = true;
		for (unsigned i = 0; i < p->bom_matched && r == 0; i++)
			r = vcard_push(p, vcard_bom[i]);
	}
	if (r == 0)
		r = vcard_line_done(p);
	if (r == 0 && p->depth > 0)
		r = vcard_fail(p, p->card.line, "vCard not ended (BEGIN:VCARD at line %u)", p->card.line);
	if (r == 0 && !p->any_card)
		r = vcard_fail(p, 0, "no BEGIN:VCARD found");
	return p->stopped = r;
}

const ingest_format ingest_format_vcard = {
	.name = "vcard",
	.decodes_itself = true,
	.probe = vcard_probe,
	.parser_new = vcard_parser_new,
	.parser_feed = vcard_parser_feed,
	.parser_finish = vcard_parser_finish,
	.parser_free = vcard_parser_free,
};
