/* names.c — normalisation of identity signals: LinkedIn profile URLs, e-mail
 * addresses and domains, company names (legal forms, low-identity and trade
 * words) and person names (Dutch particles, initials, married names, IJ/Y,
 * German transliteration). Pure: no I/O, no logging, no state. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <strings.h>
#include <utf8proc.h>

#include "contactwatch/hash.h"
#include "contactwatch/names.h"
#include "contactwatch/text.h"


/* ---- small helpers ------------------------------------------------------ */

static void ascii_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static char ascii_tolower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* strcmp's order, inlined: most probes differ in the first byte, and a
 * library call per probe cost more than the comparison itself. */
static inline int word_cmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (int)(unsigned char)*a - (int)(unsigned char)*b;
}

/* Tables below are sorted (LC_ALL=C) so lookups can binary-search: they are
 * consulted for every word of every contact, a million contacts per scan,
 * so the search is inline (no bsearch callback per probe). */
static bool word_in(const char *w, const char *const *table, size_t n)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = word_cmp(w, table[mid]);
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* "ij" and "y" are interchanged in Dutch names (Hoogendijk/Hoogendyk,
 * IJzerman/Yzerman): keys always spell it "y". In place, in a word of n
 * bytes (it only shrinks); returns the new length. Only from the first
 * "ij" on (most words have none, and an 'i' alone changes nothing). */
static size_t ij_to_y_len(char *s, size_t n)
{
	const char *i = memchr(s, 'i', n);
	while (i && !(i + 1 < s + n && i[1] == 'j'))
		i = memchr(i + 1, 'i', (size_t)(s + n - (i + 1)));
	if (!i)
		return n;
	size_t w = (size_t)(i - s);
	for (size_t r = w; r < n; r++) {
		if (s[r] == 'i' && r + 1 < n && s[r + 1] == 'j') {
			s[w++] = 'y';
			r++;
		} else
			s[w++] = s[r];
	}
	s[w] = '\0';
	return w;
}

/* ---- parse memory -------------------------------------------------------- */

/* Blocks are at least this big: a contact's parses (company, address, a
 * person) take a few hundred bytes, so one block serves many contacts. */
#define ARENA_BLOCK_MIN 4096

struct names_arena_block {
	names_arena_block *next;
	size_t size;       /* bytes in data */
	bool heap;         /* malloc'd (else the caller's buffer) */
	uint64_t data[];   /* 8-byte aligned: pointers, sizes, strings */
};

void names_arena_init(names_arena *a)
{
	*a = (names_arena) {0};
}

void names_arena_init_buffer(names_arena *a, void *buf, size_t size)
{
	names_arena_init(a);
	if (!buf || size <= sizeof(names_arena_block))
		return;
	names_arena_block *b = buf;
	*b = (names_arena_block) { .size = size - sizeof *b, .heap = false };
	a->first = b;
}

/* names_arena_alloc when the current block has room: inline, as a parse
 * makes dozens of small allocations. */
static inline void *arena_alloc(names_arena *a, size_t n)
{
	size_t rounded = (n + sizeof(uint64_t) - 1) & ~(sizeof(uint64_t) - 1);
	if (a->cur && n <= SIZE_MAX / 2 && rounded <= a->cur->size - a->used) {
		void *p = (char *)a->cur->data + a->used;
		a->used += rounded;
		return p;
	}
	return names_arena_alloc(a, n);
}

void *names_arena_alloc(names_arena *a, size_t n)
{
	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + sizeof(uint64_t) - 1) & ~(sizeof(uint64_t) - 1);
	if (a->cur && n <= a->cur->size - a->used) {
		void *p = (char *)a->cur->data + a->used;
		a->used += n;
		return p;
	}
	/* After a reset the blocks of earlier contacts follow cur: the next
	 * one is reused when it is big enough, else a new one goes before it. */
	names_arena_block *next = a->cur ? a->cur->next : a->first;
	if (!next || next->size < n) {
		size_t size = a->cur && a->cur->size * 2 > ARENA_BLOCK_MIN ? a->cur->size * 2 : ARENA_BLOCK_MIN;
		if (size < n)
			size = n;
		names_arena_block *b = malloc(sizeof *b + size);
		if (!b)
			return NULL;
		b->size = size;
		b->heap = true;
		b->next = next;
		if (a->cur)
			a->cur->next = b;
		else
			a->first = b;
		next = b;
	}
	a->cur = next;
	a->used = n;
	return next->data;
}

void names_arena_reset(names_arena *a)
{
	a->cur = NULL;
	a->used = 0;
}

void names_arena_done(names_arena *a)
{
	while (a->first) {
		names_arena_block *b = a->first;
		a->first = b->next;
		if (b->heap)
			free(b);
	}
	*a = (names_arena) {0};
}

/* strdup into a. */
static char *arena_strdup(names_arena *a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* ---- e-mail, domains, URLs ---------------------------------------------- */

const char *const names_free_mail_builtin[] = {
	"gmail.com", "googlemail.com", "hotmail.com", "hotmail.nl", "hotmail.co.uk", "outlook.com",
	"outlook.nl", "live.nl", "live.com", "msn.com", "yahoo.com", "yahoo.nl", "ymail.com", "aol.com",
	"icloud.com", "me.com", "mac.com", "protonmail.com", "proton.me", "pm.me", "gmx.net", "gmx.de",
	"gmx.com", "web.de", "mail.com", "zoho.com", "ziggo.nl", "kpnmail.nl", "kpnplanet.nl", "planet.nl",
	"home.nl", "hetnet.nl", "xs4all.nl", "chello.nl", "upcmail.nl", "casema.nl", "quicknet.nl",
	"online.nl", "telfort.nl", "tele2.nl", "zeelandnet.nl", "caiway.nl", "solcon.nl", "telenet.be",
	"skynet.be", "proximus.be",
		NULL,
};

/* A domain we accept as an identity: dotted labels of [a-z0-9-] (or
 * non-ASCII, for IDNs), none empty, none starting or ending with '-' (RFC
 * 1123's host names). */
bool names_domain_is_valid(const char *s)
{
	bool dot = false;
	char prev = '.';

	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '.') {
			/* No empty labels, no label ending in '-'. */
			if (prev == '.' || prev == '-')
				return false;
			dot = true;
		} else if (c == '-') {
			if (prev == '.')
				return false; /* nor starting with one */
		} else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80)) {
			return false;
		}
		prev = (char)c;
	}
	return dot && prev != '.' && prev != '-';
}

/* Bytes that cannot be in an address's local part as exports write it:
 * controls and space, and the separators of lists and display forms. */
static bool email_local_byte_bad(unsigned char ch)
{
	static const uint64_t bad_low = 1ull << ',' | 1ull << ';' | 1ull << '<' | 1ull << '>' | 1ull << '"' |
					1ull << '(' | 1ull << ')',
			      bad_high = 1ull << ('[' - 64) | 1ull << (']' - 64) | 1ull << ('\\' - 64);
	if (ch <= ' ')
		return true;
	if (ch < 64)
		return bad_low >> ch & 1;
	return ch < 128 && bad_high >> (ch - 64) & 1;
}

/* Normalises a writable copy of an address in place; *ret points into it.
 * One pass lowercases, finds the '@' and checks the local part (this runs
 * for every address of every contact). */
static int email_normalise(char *copy, char **ret)
{
	char *s = text_strip(copy);
	/* CRMs and vCards sometimes keep the link form or the angle brackets. */
	if ((s[0] | 0x20) == 'm' && has_prefix_ci(s, "mailto:"))
		s += 7;
	size_t len = strlen(s);
	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s[--len] = '\0';
		s++;
		len--;
	}
	char *at = NULL;
	bool bad = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 'A' && ch <= 'Z')
			s[i] = (char)(ch - 'A' + 'a');
		else if (ch == '@') {
			if (at)
				return -EINVAL; /* a second '@' */
			at = s + i;
		} else if (!at)
			bad |= email_local_byte_bad(ch);
	}
	if (!at || at == s || bad)
		return -EINVAL;
	char *dom = at + 1;
	len = (size_t)(s + len - dom);
	if (len > 0 && dom[len - 1] == '.')
		dom[len - 1] = '\0'; /* the root dot names the same domain */
	if (!names_domain_is_valid(dom))
		return -EINVAL;
	*ret = s;
	return 0;
}

const char *names_email_domain(const char *email)
{
	const char *at = email ? strrchr(email, '@') : NULL;
	return at ? at + 1 : NULL;
}

/* Catalogues are typed by people: "https://www.jansenbouw.nl/",
 * "@jansenbouw.nl" and "www.jansenbouw.nl" all mean jansenbouw.nl, and mail
 * is never addressed to the www host. Works on s (the caller's copy) in
 * place, as email_normalise does: *ret is the domain's start within it. */
static int domain_normalise(char *s, char **ret)
{
	s = text_strip(s);
	ascii_lower(s);
	if (has_prefix_ci(s, "https://"))
		s += 8;
	else if (has_prefix_ci(s, "http://"))
		s += 7;
	s[strcspn(s, "/?#:")] = '\0';
	if (*s == '@')
		s++;
	if (has_prefix_ci(s, "www."))
		s += 4;
	size_t len = strlen(s);
	if (len > 0 && s[len - 1] == '.')
		s[len - 1] = '\0';
	if (!names_domain_is_valid(s))
		return -EINVAL;
	*ret = s;
	return 0;
}

/* raw normalised by fn (email_normalise, domain_normalise), which works in
 * place: on a copy, the result a new string. */
static int normalise_dup(const char *raw, int (*fn)(char *, char **), char **ret)
{
	if (!raw)
		return -EINVAL;
	_cleanup_free_ char *copy = strdup(raw);
	if (!copy)
		return -ENOMEM;
	char *s;
	int r = fn(copy, &s);
	if (r < 0)
		return r;
	char *out = strdup(s);
	if (!out)
		return -ENOMEM;
	*ret = out;
	return 0;
}

/* The same on a copy in a: *ret points into it. */
static int normalise_in(names_arena *a, const char *raw, int (*fn)(char *, char **), char **ret)
{
	if (!raw)
		return -EINVAL;
	char *copy = arena_strdup(a, raw, strlen(raw));
	if (!copy)
		return -ENOMEM;
	return fn(copy, ret);
}

int names_email(const char *raw, char **ret)
{
	return normalise_dup(raw, email_normalise, ret);
}

int names_email_in(names_arena *a, const char *raw, char **ret)
{
	return normalise_in(a, raw, email_normalise, ret);
}

int names_domain(const char *raw, char **ret)
{
	return normalise_dup(raw, domain_normalise, ret);
}

int names_domain_in(names_arena *a, const char *raw, char **ret)
{
	return normalise_in(a, raw, domain_normalise, ret);
}

bool names_domain_within(const char *domain, const char *company_domain)
{
	if (isempty(domain) || isempty(company_domain))
		return false;
	size_t d = strlen(domain), c = strlen(company_domain);
	if (d == c)
		return strcasecmp(domain, company_domain) == 0;
	/* A subdomain only at a label boundary: mail.x.nl is within x.nl,
	 * notx.nl is not, and neither is x.nl.example.com (checked from the end). */
	return d > c && domain[d - c - 1] == '.' && strcasecmp(domain + d - c, company_domain) == 0;
}

/* Open addressing over lowercased copies; a domain's labels are hashed
 * folded to lowercase, so the caller need not copy it to ask. */
struct names_free_mail {
	struct free_mail_slot {
		uint64_t hash;
		char *key; /* NULL: empty */
	} *slots;
	size_t cap; /* a power of two, at least twice the domains */
};

static uint64_t free_mail_hash(const char *s)
{
	uint64_t h = HASH_FNV1A_OFFSET;
	for (; *s; s++)
		h = hash_fnv1a_step(h, (unsigned char)ascii_tolower(*s));
	return h;
}

/* s's slot: where it is, or the empty one where it would go. */
static struct free_mail_slot *free_mail_slot(const names_free_mail *fm, const char *s, uint64_t h)
{
	for (size_t i = h & (fm->cap - 1);; i = (i + 1) & (fm->cap - 1)) {
		struct free_mail_slot *e = &fm->slots[i];
		if (!e->key || (e->hash == h && strcasecmp(e->key, s) == 0))
			return e;
	}
}

names_free_mail *names_free_mail_free(names_free_mail *fm)
{
	for (size_t i = 0; fm && i < fm->cap; i++)
		free(fm->slots[i].key);
	if (fm)
		free(fm->slots);
	free(fm);
	return NULL;
}

int names_free_mail_new(char *const *domains, names_free_mail **ret)
{
	size_t n = strv_length(domains), cap = 16;
	names_free_mail *fm = calloc(1, sizeof *fm);

	while (cap < n * 2)
		cap *= 2;
	if (fm)
		fm->slots = calloc(cap, sizeof *fm->slots);
	if (!fm || !fm->slots)
		goto fail;
	fm->cap = cap;
	for (size_t i = 0; i < n; i++) {
		uint64_t h = free_mail_hash(domains[i]);
		struct free_mail_slot *e = free_mail_slot(fm, domains[i], h);
		if (e->key)
			continue;
		e->key = strdup(domains[i]);
		if (!e->key)
			goto fail;
		ascii_lower(e->key);
		e->hash = h;
	}
	*ret = fm;
	return 0;
fail:
	names_free_mail_free(fm);
	return -ENOMEM;
}

bool names_domain_is_free_mail(const char *domain, const names_free_mail *fm)
{
	if (isempty(domain) || !fm)
		return false;
	/* mail.hotmail.com is as uninformative as hotmail.com: walk the parents. */
	for (const char *s = domain; s; s = strchr(s, '.') ? strchr(s, '.') + 1 : NULL)
		if (free_mail_slot(fm, s, free_mail_hash(s))->key)
			return true;
	return false;
}

/* Percent-decodes [s, s+n) into a new string; a '%' not followed by two hex
 * digits is kept literally (exports are not always well-formed). NUL and
 * '/' decoded from escapes would change what the slug is: -EINVAL. */
static int url_decode_segment(const char *s, size_t n, char **ret)
{
	char *out = malloc(n + 1);
	if (!out)
		return -ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = text_hex_digit(s[i + 1])) >= 0 && (lo = text_hex_digit(s[i + 2])) >= 0) {
			char c = (char)(hi * 16 + lo);
			if (c == '\0' || c == '/') {
				free(out);
				return -EINVAL;
			}
			out[o++] = c;
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	*ret = out;
	return 0;
}

int names_linkedin_url(const char *url, char **ret)
{
	if (!url)
		return -EINVAL;
	_cleanup_free_ char *copy = strdup(url);
	if (!copy)
		return -ENOMEM;
	char *p = text_strip(copy);
	if (has_prefix_ci(p, "https://"))
		p += 8;
	else if (has_prefix_ci(p, "http://"))
		p += 7;
	else if (p[0] == '/' && p[1] == '/')
		p += 2;

	/* Host: www., nl., de., m. and bare linkedin.com all serve the same
	 * profiles, so only "linkedin.com" survives. */
	size_t hl = strcspn(p, "/?#");
	char *rest = p + hl;
	char host[256];
	if (hl == 0 || hl >= sizeof host)
		return -EINVAL;
	memcpy(host, p, hl);
	host[hl] = '\0';
	ascii_lower(host);
	host[strcspn(host, ":")] = '\0'; /* port */
	size_t l = strlen(host);
	if (l > 0 && host[l - 1] == '.')
		host[--l] = '\0';
	if (!streq(host, "linkedin.com") && !(l > 13 && streq(host + l - 13, ".linkedin.com")))
		return -EINVAL;

	/* Path only: the query (?originalSubdomain=nl, tracking) and fragment
	 * never name a different profile. Empty segments (//, trailing /)
	 * are skipped; segments after the slug (/details/..., /en) too. */
	size_t pl = strcspn(rest, "?#");
	const char *seg[3] = {0};
	size_t seglen[3] = {0};
	size_t nseg = 0;
	for (size_t i = 0; i < pl && nseg < 3; ) {
		if (rest[i] == '/') {
			i++;
			continue;
		}
		size_t j = i;
		while (j < pl && rest[j] != '/')
			j++;
		/* /mwlite/in/... is the mobile site's spelling of /in/... */
		if (!(nseg == 0 && j - i == 6 && strncasecmp(rest + i, "mwlite", 6) == 0)) {
			seg[nseg] = rest + i;
			seglen[nseg] = j - i;
			nseg++;
		}
		i = j;
	}
	if (nseg < 2)
		return -EINVAL;
	const char *kind;
	if (seglen[0] == 2 && strncasecmp(seg[0], "in", 2) == 0)
		kind = "in";
	else if (seglen[0] == 7 && strncasecmp(seg[0], "company", 7) == 0)
		kind = "company";
	else
		return -EINVAL;

	_cleanup_free_ char *slug = NULL;
	int r = url_decode_segment(seg[1], seglen[1], &slug);
	if (r < 0)
		return r;
	if (!text_utf8_valid(slug, strlen(slug)))
		return -EINVAL; /* NOLINT(clang-analyzer-unix.Malloc): slug is freed by _cleanup_free_ */
	/* Slugs are case-insensitive; NFC + case folding makes the escaped and
	 * the literal non-ASCII spelling of one slug the same string. */
	utf8proc_uint8_t *folded = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)slug, 0, &folded,
					  UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
					  UTF8PROC_CASEFOLD);
	if (n < 0)
		return n == UTF8PROC_ERROR_NOMEM ? -ENOMEM : -EINVAL;
	if (n == 0) {
		free(folded);
		return -EINVAL;
	}
	size_t outlen = strlen("linkedin.com/") + strlen(kind) + 1 + (size_t)n + 1;
	char *out = malloc(outlen);
	if (!out) {
		free(folded);
		return -ENOMEM;
	}
	snprintf(out, outlen, "linkedin.com/%s/%s", kind, (const char *)folded);
	free(folded);
	*ret = out;
	return 0;
}

/* ---- company names ------------------------------------------------------ */

/* The words a company name is read with, with the class of each, in one
 * table per length, each sorted (LC_ALL=C): a word is searched once, among
 * the dozen or so of its length (a million contacts, a few words each):
 * - L, legal forms (domain.md; ISO 20275 lists hundreds, these are the ones
 *   seen in NL/BE/DE/UK/US/FR catalogues and exports), in their dot-joined
 *   form: "B.V." arrives as "bv", "GmbH & Co. KG" as "gmbh co kg" (stripped
 *   word by word from the end), "Coöperatie ... U.A." as "cooperatie ... ua";
 * - I, low-identity words, which say which part of a group, not which group:
 *   "Philips Nederland B.V." is Philips, "Koninklijke Philips" is "Royal
 *   Philips";
 * - T, trade and filler words: many unrelated companies share them
 *   ("Verburg Installaties" is not "Hoogendijk Installaties"), so they are
 *   kept in the key but a match needs a distinctive word beside them;
 *   articles, particles and compass points are here for the same reason;
 * - C, connectors: "&" is a separator already, these are its spelled-out
 *   forms.
 * No word has two classes. */
#define C NAMES_WORD_CONNECTOR
#define L NAMES_WORD_LEGAL_FORM
#define I NAMES_WORD_LOW_IDENTITY
#define T NAMES_WORD_TRADE
/* The first four bytes of a word as one big-endian number (0 past its
 * end): numeric order is strcmp's order on them, so the table is searched
 * on these numbers (no loop per probe, no mispredicted byte comparisons)
 * and strings are compared only on a tie. From a literal at compile time
 * (W), from a word at run time (word_head, the same bytes). */
#define WORD_BYTE(w, i) ((uint32_t)(unsigned char)(w "\0\0\0")[i]) /* padded: [i] exists */
#define WORD_HEAD(w) (WORD_BYTE(w, 0) << 24 | WORD_BYTE(w, 1) << 16 | WORD_BYTE(w, 2) << 8 | WORD_BYTE(w, 3))
#define W(w, c) { w, WORD_HEAD(w), c }
struct company_word {
	const char *word;
	uint32_t head;
	names_word_class cls;
};
static const struct company_word company_words_1[] = {
	W("t", T),
};
static const struct company_word company_words_2[] = {
	W("ab", L), W("ag", L), W("bv", L), W("co", L), W("cv", L), W("da", T), W("de", T),
	W("di", T), W("du", T), W("en", C), W("ev", L), W("it", T), W("kg", L), W("la", T),
	W("le", T), W("nl", I), W("nv", L), W("of", T), W("sa", L), W("ua", L),
};
static const struct company_word company_words_3[] = {
	W("and", C), W("cie", L), W("den", T), W("der", T), W("des", T), W("het", T), W("ict", T),
	W("inc", L), W("les", T), W("llc", L), W("llp", L), W("ltd", L), W("ohg", L), W("plc", L),
	W("sas", L), W("srl", L), W("the", T), W("und", C), W("van", T), W("vof", L), W("vzw", L),
};
static const struct company_word company_words_4[] = {
	W("auto", T), W("bank", T), W("bouw", T), W("bvba", L), W("corp", L), W("data", T), W("east", T),
	W("food", T), W("gebr", T), W("gmbh", L), W("intl", I), W("labs", T), W("oost", T),
	W("sarl", L), W("scrl", L), W("sons", T), W("sprl", L), W("tech", T), W("west", T), W("zorg", T),
	W("zuid", T),
};
static const struct company_word company_words_5[] = {
	W("commv", L), W("foods", T), W("groep", I), W("group", I), W("media", T), W("noord", T),
	W("north", T), W("royal", I), W("south", T), W("staal", T), W("wonen", T), W("zonen", T),
};
static const struct company_word company_words_6[] = {
	W("advies", T), W("agency", T), W("design", T), W("energy", T), W("europe", I), W("export", T),
	W("garage", T), W("global", I), W("groupe", I), W("gruppe", I), W("handel", T), W("import", T),
	W("metaal", T), W("online", T), W("retail", T), W("studio", T),
};
static const struct company_word company_words_7[] = {
	W("bedrijf", T), W("benelux", I), W("capital", T), W("company", T), W("consult", T), W("digital", T),
	W("elektro", T), W("energie", T), W("finance", T), W("holding", I), W("kantoor", T),
	W("limited", L), W("service", T), W("systems", T), W("telecom", T), W("trading", T),
	W("verhuur", T), W("welzijn", T),
};
static const struct company_word company_words_8[] = {
	W("aannemer", T), W("bakkerij", T), W("brothers", T), W("diensten", T), W("european", I),
	W("gemeente", T), W("holdings", I), W("partners", T), W("praktijk", T), W("services", T),
	W("software", T), W("techniek", T), W("vastgoed", T),
};
static const struct company_word company_words_9[] = {
	W("adviseurs", T), W("advocaten", T), W("expeditie", T), W("financial", T), W("industrie", T),
	W("insurance", T), W("logistics", T), W("logistiek", T), W("makelaars", T), W("marketing", T),
	W("nederland", I), W("notariaat", T), W("onderhoud", T), W("projecten", T), W("schilders", T),
	W("solutions", T), W("stichting", L), W("transport", T), W("worldwide", I),
};
static const struct company_word company_words_10[] = {
	W("automotive", T), W("consulting", T), W("cooperatie", L), W("gebroeders", T),
	W("industries", T), W("management", T), W("notarissen", T), W("technieken", T),
	W("technology", T), W("vereniging", L),
};
static const struct company_word company_words_11[] = {
	W("accountants", T), W("architecten", T), W("autobedrijf", T), W("bouwbedrijf", T),
	W("consultancy", T), W("consultants", T), W("corporation", L), W("distributie", T),
	W("eenmanszaak", L), W("engineering", T), W("installatie", T), W("koninklijke", I),
	W("makelaardij", T), W("netherlands", I), W("transporten", T),
};
static const struct company_word company_words_12[] = {
	W("communicatie", T), W("cooperatieve", L), W("incorporated", L), W("installaties", T),
	W("technologies", T),
};
static const struct company_word company_words_13[] = {
	W("administratie", T), W("international", I), W("uitzendbureau", T), W("verzekeringen", T),
};
static const struct company_word company_words_15[] = {
	W("dienstverlening", T), W("elektrotechniek", T),
};
static const struct company_word company_words_16[] = {
	W("aannemersbedrijf", T), W("advocatenkantoor", T), W("ingenieursbureau", T),
	W("schildersbedrijf", T),
};
static const struct company_word company_words_18[] = {
	W("handelsonderneming", T),
};
static const struct company_word company_words_19[] = {
	W("installatietechniek", T),
};
/* By length: a word is searched among those of its own length. */
static const struct {
	const struct company_word *words;
	size_t n;
} company_words[] = {
	[1] = { company_words_1, ELEMENTSOF(company_words_1) },
	[2] = { company_words_2, ELEMENTSOF(company_words_2) },
	[3] = { company_words_3, ELEMENTSOF(company_words_3) },
	[4] = { company_words_4, ELEMENTSOF(company_words_4) },
	[5] = { company_words_5, ELEMENTSOF(company_words_5) },
	[6] = { company_words_6, ELEMENTSOF(company_words_6) },
	[7] = { company_words_7, ELEMENTSOF(company_words_7) },
	[8] = { company_words_8, ELEMENTSOF(company_words_8) },
	[9] = { company_words_9, ELEMENTSOF(company_words_9) },
	[10] = { company_words_10, ELEMENTSOF(company_words_10) },
	[11] = { company_words_11, ELEMENTSOF(company_words_11) },
	[12] = { company_words_12, ELEMENTSOF(company_words_12) },
	[13] = { company_words_13, ELEMENTSOF(company_words_13) },
	[15] = { company_words_15, ELEMENTSOF(company_words_15) },
	[16] = { company_words_16, ELEMENTSOF(company_words_16) },
	[18] = { company_words_18, ELEMENTSOF(company_words_18) },
	[19] = { company_words_19, ELEMENTSOF(company_words_19) },
};
#undef C
#undef L
#undef I
#undef T
#undef W
/* The legal forms that also open a name ("Stichting Zorgpunt Oost"); the
 * others ("AG", "SA") may be the name itself when they come first. */
static const char *const legal_forms_prefix[] = {
	"cooperatie", "cooperatieve", "eenmanszaak", "stichting", "vereniging",
};

/* Longer than the longest word in the table above
 * ("installatietechniek"): such a word is not in it. */
#define WORD_TABLE_MAX 19

static uint32_t word_head(const char *word, size_t len)
{
	uint32_t head = 0;
	for (size_t k = 0; k < 4; k++)
		head |= (uint32_t)(k < len ? (unsigned char)word[k] : 0) << (24 - 8 * k);
	return head;
}

/* names_company_word_class of a word of len bytes. */
static names_word_class word_class(const char *word, size_t len)
{
	/* Most words of a contact are distinctive, and long ones cannot be
	 * in the table. */
	if (len > WORD_TABLE_MAX)
		return NAMES_WORD_DISTINCTIVE;
	/* A lone letter is an initial or a stray, not an identity (and the
	 * table holds none). */
	if (len == 1)
		return NAMES_WORD_TRADE;
	if (len >= ELEMENTSOF(company_words))
		return NAMES_WORD_DISTINCTIVE;
	const struct company_word *t = company_words[len].words;
	size_t n = company_words[len].n;
	if (n == 0)
		return NAMES_WORD_DISTINCTIVE;
	const uint32_t head = word_head(word, len);
	/* The first entry whose head is not below the word's, branch-free. */
	while (n > 1) {
		size_t half = n / 2;
		t = t[half].head < head ? t + half : t;
		n -= half;
	}
	t += t->head < head;
	const struct company_word *end = company_words[len].words + company_words[len].n;
	for (; t < end && t->head == head; t++)
		if (len <= 4 || memcmp(word + 4, t->word + 4, len - 4) == 0)
			return t->cls;
	return NAMES_WORD_DISTINCTIVE;
}

names_word_class names_company_word_class(const char *word)
{
	return word_class(word, strnlen(word, WORD_TABLE_MAX + 1));
}

/* The words of one company name while it is parsed: pointers into one
 * character buffer, both sized from the name up front (a word is at least
 * one byte and, but for the last, followed by a separator or a dot, so
 * there are at most len / 2 + 1 words and len + words bytes with the NULs),
 * with their lengths (a word is below NAMES_MAX_WORD bytes). */
typedef struct wordlist {
	char **w;
	uint8_t *lens;
	size_t n;
	char *buf;
	size_t len;
} wordlist;

static void wordlist_push(wordlist *wl, const char *s, size_t n)
{
	memcpy(wl->buf + wl->len, s, n);
	wl->buf[wl->len + n] = '\0';
	wl->lens[wl->n] = (uint8_t)n;
	wl->w[wl->n++] = wl->buf + wl->len;
	wl->len += n + 1;
}

/* Appends the words of one whitespace/punctuation-free chunk that holds
 * dots. "b.v." / "a.s.r." / "comm.v." are abbreviations and become one
 * word ("bv", "asr", "commv"); "st.jansdal" or "abc.nl" are words run
 * together and are split at the dots. */
static void company_push_chunk(wordlist *words, const char *chunk, size_t n)
{
	char buf[NAMES_MAX_WORD];
	if (n == 0)
		return;
	if (n >= sizeof buf)
		n = sizeof buf - 1; /* see NAMES_MAX_WORD */
	size_t segs = 0, longest = 0, shortest = SIZE_MAX, cur = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || chunk[i] == '.') {
			if (cur > 0) {
				segs++;
				longest = cur > longest ? cur : longest;
				shortest = cur < shortest ? cur : shortest;
			}
			cur = 0;
		} else
			cur++;
	}
	if (segs == 0)
		return;
	bool join = segs == 1 || (longest <= 4 && shortest == 1);
	size_t o = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || chunk[i] == '.') {
			if (!join && o > 0) {
				wordlist_push(words, buf, o);
				o = 0;
			}
		} else
			buf[o++] = chunk[i];
	}
	if (o > 0)
		wordlist_push(words, buf, o);
}

/* What each byte of a name is to the word splitter: letters, digits and
 * non-ASCII belong to words (capitals lowercased); apostrophes inside
 * words ("'t", "McDonald's") and control characters, which folding drops,
 * are skipped (whitespace, which folding keeps, separates); the rest
 * separates, NUL included. A table: this runs for every byte of every
 * contact's company. */
enum { BYTE_SEPARATOR = 0, BYTE_LETTER, BYTE_CAPITAL, BYTE_DOT, BYTE_DROPPED };
static const uint8_t company_bytes[256] = {
	[0x01 ... 0x08] = BYTE_DROPPED, [0x0e ... 0x1f] = BYTE_DROPPED, ['\''] = BYTE_DROPPED,
	['.'] = BYTE_DOT, ['0' ... '9'] = BYTE_LETTER, ['A' ... 'Z'] = BYTE_CAPITAL, ['a' ... 'z'] = BYTE_LETTER,
	[0x7f] = BYTE_DROPPED, [0x80 ... 0xff] = BYTE_LETTER,
};

/* Splits a name into words: letters, digits and non-ASCII belong to words,
 * apostrophes are dropped inside words, dots are resolved per chunk,
 * everything else (whitespace, '-', '&', ',', '/', '(') separates: "ABN-AMRO"
 * is "ABN AMRO". s is folded, or ASCII: for ASCII this is text_fold
 * (lowercase, control characters dropped, whitespace separates) and the
 * split in one pass, with no folded copy. */
static void company_split(const char *s, wordlist *words)
{
	/* A chunk is written where its word goes; one with dots is copied
	 * out and resolved by company_push_chunk (rare). */
	char *chunk = words->buf + words->len;
	size_t n = 0;
	bool dotted = false;
	for (const unsigned char *p = (const unsigned char *)s;; p++) {
		unsigned char ch = *p;
		switch (company_bytes[ch]) {
		case BYTE_DROPPED:
			continue;
		case BYTE_DOT:
			dotted = dotted || n < NAMES_MAX_WORD - 1;
			/* fall through */
		case BYTE_LETTER:
			if (n < NAMES_MAX_WORD - 1)
				chunk[n++] = (char)ch;
			continue;
		case BYTE_CAPITAL:
			if (n < NAMES_MAX_WORD - 1)
				chunk[n++] = (char)(ch - 'A' + 'a');
			continue;
		default:
			break;
		}
		if (dotted) {
			char copy[NAMES_MAX_WORD];
			memcpy(copy, chunk, n);
			company_push_chunk(words, copy, n);
		} else if (n > 0) {
			chunk[n] = '\0';
			words->lens[words->n] = (uint8_t)n;
			words->w[words->n++] = chunk;
			words->len += n + 1;
		}
		chunk = words->buf + words->len;
		n = 0;
		dotted = false;
		if (ch == '\0')
			break;
	}
}

void names_company_done(names_company *c)
{
	if (!c)
		return;
	/* tokens is the one allocation: it holds the token pointers, trade,
	 * the token strings and both keys (company_parse). */
	free(c->tokens);
	*c = (names_company) {0};
}

/* From a when there is one, else from the heap. */
static void *parse_alloc(names_arena *a, size_t n)
{
	return a ? arena_alloc(a, n) : malloc(n);
}

/* A hash of n bytes for names_company's equality hints (any collision
 * only costs a comparison): eight bytes a step, then a final mix. */
static uint64_t key_hash(const char *s, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
	for (; n >= 8; s += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	uint64_t w = 0;
	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)(unsigned char)s[i] << (8 * i);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

/* Whether any of the n bytes at s is not ASCII: eight at a time. */
static bool bytes_have_high_bit(const char *s, size_t n)
{
	uint64_t acc = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= (unsigned char)s[i];
	return (acc & 0x8080808080808080ull) != 0;
}

/* Parses raw into a (a == NULL: into one block on the heap, which
 * names_company_done frees). Only the result is allocated from a when
 * there is one: the words are split into a stack buffer (or, for names
 * longer than any real one, a temporary heap one). */
static int company_parse(names_arena *a, const char *raw, bool german, names_company *ret)
{
	_cleanup_free_ char *folded_heap = NULL;
	_cleanup_free_ char *scratch_heap = NULL;
	char scratch_stack[2048];
	names_company c = {0};
	const char *src = raw;

	if (isempty(raw))
		return -EINVAL;
	/* Both forms of an ASCII name are its plain fold, which the splitter
	 * applies itself. */
	size_t slen = strlen(src);
	if (bytes_have_high_bit(src, slen)) {
		int r = german ? text_fold_german(raw, &folded_heap) : text_fold(raw, &folded_heap);
		if (r < 0)
			return r;
		src = folded_heap;
		slen = strlen(src);
	}
	size_t maxw = slen / 2 + 1;
	size_t need = maxw * (sizeof(char *) + 1) + slen + maxw + 1;
	char *scratch = scratch_stack;
	if (need > sizeof scratch_stack) {
		scratch_heap = malloc(need);
		if (!scratch_heap)
			return -ENOMEM;
		scratch = scratch_heap;
	}
	wordlist wl = {
		.w = (char **)(void *)scratch,
		.lens = (uint8_t *)(scratch + maxw * sizeof(char *)),
		.buf = scratch + maxw * (sizeof(char *) + 1),
	};
	company_split(src, &wl);
	char **words = wl.w;
	uint8_t *lens = wl.lens;

	/* Each word is classified once (the class is needed three times
	 * below) into a stack array; words past its end, in names longer than
	 * any real one, are classified again where needed (CLASS_AT). */
	names_word_class cls[32] = {0};
#define CLASS_AT(i) ((i) < ELEMENTSOF(cls) ? cls[i] : names_company_word_class(words[i]))
	/* Drop connectors, then strip legal forms at the ends (never all
	 * words: a company called "Holding BV" keeps its name). */
	size_t n = 0;
	for (size_t i = 0; i < wl.n; i++) {
		names_word_class k = word_class(words[i], lens[i]);
		if (k == NAMES_WORD_CONNECTOR)
			continue;
		if (n < ELEMENTSOF(cls))
			cls[n] = k;
		lens[n] = lens[i];
		words[n++] = words[i];
	}
	size_t lo = 0, hi = n;
	while (hi > lo + 1 && CLASS_AT(hi - 1) == NAMES_WORD_LEGAL_FORM)
		hi--;
	/* Every opening form is a legal form in the table: its class first,
	 * which is at hand, the list only for those. */
	while (hi > lo + 1 && CLASS_AT(lo) == NAMES_WORD_LEGAL_FORM &&
	       word_in(words[lo], legal_forms_prefix, ELEMENTSOF(legal_forms_prefix)))
		lo++;
	if (hi == lo)
		return -EINVAL;

	/* Low-identity words leave the key; if nothing else is left the name
	 * *is* those words and stays whole. */
	size_t kept = 0, bytes = 0;
	for (size_t i = lo; i < hi; i++) {
		if (CLASS_AT(i) != NAMES_WORD_LOW_IDENTITY)
			kept++;
		bytes += lens[i] + 1u;
	}
	bool drop_low = kept > 0;

	/* One block for the result: hi - lo + 1 token pointers, the trade
	 * flags, then the token strings, full_key and key (each at most the
	 * words' bytes, IJ -> y only shrinks them). */
	size_t nw = hi - lo;
	size_t ptrs = (nw + 1) * sizeof(char *);
	size_t at_masks = ptrs + nw * 32, at_lens = at_masks + nw * sizeof(uint32_t), at_trade = at_lens + nw;
	char *block = parse_alloc(a, at_trade + nw * sizeof(bool) + 3 * bytes);
	if (!block)
		return -ENOMEM;
	c.tokens = (char **)(void *)block;
	c.letters = (uint8_t (*)[32])(void *)(block + ptrs);
	c.masks = (uint32_t *)(void *)(block + at_masks);
	c.lens = (uint8_t *)(block + at_lens);
	c.trade = (bool *)(void *)(block + at_trade);
	char *out = block + at_trade + nw * sizeof(bool);
	char *full = out + bytes, *key = full + bytes;
	uint64_t dh = 0;
	c.full_key = full;
	c.key = key;
	*full = *key = '\0';
	for (size_t i = lo; i < hi; i++) {
		/* Classified before IJ -> y, so the tables keep their spelling. */
		names_word_class k = CLASS_AT(i);
		size_t l = ij_to_y_len(words[i], lens[i]);
		if (i > lo)
			*full++ = ' ';
		memcpy(full, words[i], l + 1);
		full += l;
		if (drop_low && k == NAMES_WORD_LOW_IDENTITY)
			continue;
		memcpy(out, words[i], l + 1);
		c.tokens[c.n_tokens] = out;
		out += l + 1;
		/* company_split caps a word below NAMES_MAX_WORD (128) bytes, so
		 * neither the length nor a count overflows a byte. */
		c.lens[c.n_tokens] = (uint8_t)l;
		c.masks[c.n_tokens] = names_letters_count(words[i], l, c.letters[c.n_tokens]);
		if (c.n_tokens > 0)
			*key++ = ' ';
		memcpy(key, words[i], l + 1);
		key += l;
		/* A legal form still here was not at an end: it is part of the
		 * name ("AG Insurance"), as distinctive as any word. */
		c.trade[c.n_tokens] = k != NAMES_WORD_DISTINCTIVE && k != NAMES_WORD_LEGAL_FORM;
		if (!c.trade[c.n_tokens]) {
			c.n_distinctive++;
			dh = (dh ^ key_hash(words[i], l)) * 0x9E3779B97F4A7C15ull;
		}
		c.n_tokens++;
	}
	c.tokens[c.n_tokens] = NULL;
	c.full_hash = key_hash(c.full_key, (size_t)(full - c.full_key));
	c.key_hash = key_hash(c.key, (size_t)(key - c.key));
	c.distinctive_hash = dh;
	*ret = c;
	return 0;
}
#undef CLASS_AT

int names_company_parse(const char *raw, names_company *ret)
{
	return company_parse(NULL, raw, false, ret);
}

int names_company_parse_german(const char *raw, names_company *ret)
{
	return company_parse(NULL, raw, true, ret);
}

int names_company_parse_in(names_arena *a, const char *raw, bool german, names_company *ret)
{
	return company_parse(a, raw, german, ret);
}

bool names_has_transliteration(const char *raw)
{
	/* Only a/o/u with a diaeresis fold differently (text_fold_german), and
	 * all of them are non-ASCII: an ASCII name has one form only. */
	return raw && bytes_have_high_bit(raw, strlen(raw));
}

/* Jaro-Winkler similarity (Winkler 1990, the US Census record-linkage
 * comparator). Why this and not Levenshtein or a q-gram cosine: it was
 * designed for short personal and business names, counts transpositions
 * (the commonest typing error) as half an error, normalises by length (one
 * slip in "Vanderlande" costs less than in "Smit") and, through Winkler's
 * prefix bonus, trusts agreeing first letters: typos at the start of a
 * name are rare, so "Instalaties" ~ "Installaties" scores 0.98 while
 * "Verburg" ~ "Hoogendijk" stays near 0.5. Its known weakness is the
 * other side of the prefix bonus (Philips ~ Phillips 0.97, ING ~ Ingram
 * 0.91): that is why the callers gate it with the acronym, prefix and
 * edit-distance rules and never use it on its own to decide a match.
 * Bytes, not code points: inputs are folded (mostly ASCII) keys. */
/* Jaro's matching for words of at most 64 bytes, a bit per position: b's
 * positions of each byte value as masks, so "the first unmatched equal
 * byte of b within the window" is the lowest bit of three ANDed masks, and
 * the transpositions walk the matched bits of both words in order. The
 * same matches and count as the loops of names_jaro_winkler, in O(la + lb)
 * instead of O(la x window): this runs for every word pair that passes
 * the bound. */
static void jaro_match_bits(const char *a, size_t la, const char *b, size_t lb, size_t window, size_t *ret_m,
			    size_t *ret_t)
{
	uint64_t pos[256];
	/* Only b's bytes' entries are set and read (a byte of a that b lacks
	 * is checked against the set first). */
	uint64_t present[4] = {0};
	for (size_t j = 0; j < lb; j++) {
		unsigned char ch = (unsigned char)b[j];
		if (!(present[ch >> 6] >> (ch & 63) & 1)) {
			present[ch >> 6] |= 1ull << (ch & 63);
			pos[ch] = 0;
		}
		pos[ch] |= 1ull << j;
	}
	uint64_t ma = 0, mb = 0;
	size_t m = 0;
	for (size_t i = 0; i < la; i++) {
		unsigned char ch = (unsigned char)a[i];
		if (!(present[ch >> 6] >> (ch & 63) & 1))
			continue;
		size_t lo = i > window ? i - window : 0, hi = i + window + 1 < lb ? i + window + 1 : lb;
		if (lo >= hi)
			continue;
		uint64_t win = (hi - lo == 64 ? ~0ull : ((1ull << (hi - lo)) - 1)) << lo;
		uint64_t cand = pos[ch] & win & ~mb;
		if (cand) {
			mb |= cand & -cand;
			ma |= 1ull << i;
			m++;
		}
	}
	size_t t = 0;
	for (uint64_t x = ma, y = mb; x; x &= x - 1, y &= y - 1)
		if (a[__builtin_ctzll(x)] != b[__builtin_ctzll(y)])
			t++;
	*ret_m = m;
	*ret_t = t;
}

double names_jaro_winkler(const char *a, const char *b)
{
	enum { MAXLEN = 256 };
	size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;

	if (la == 0 || lb == 0)
		return la == lb && a && b ? 1.0 : 0.0;
	if (la > MAXLEN)
		la = MAXLEN;
	if (lb > MAXLEN)
		lb = MAXLEN;
	size_t longest = la > lb ? la : lb;
	size_t window = longest / 2 > 0 ? longest / 2 - 1 : 0;
	size_t m = 0, t = 0;
	if (la <= 64 && lb <= 64)
		jaro_match_bits(a, la, b, lb, window, &m, &t);
	else {
		bool ma[MAXLEN], mb[MAXLEN];
		/* Only what is used: this runs per candidate word pair. */
		memset(ma, 0, la);
		memset(mb, 0, lb);
		for (size_t i = 0; i < la; i++) {
			size_t lo = i > window ? i - window : 0, hi = i + window + 1 < lb ? i + window + 1 : lb;
			for (size_t j = lo; j < hi; j++)
				if (!mb[j] && a[i] == b[j]) {
					ma[i] = mb[j] = true;
					m++;
					break;
				}
		}
		for (size_t i = 0, j = 0; m > 0 && i < la; i++) {
			if (!ma[i])
				continue;
			while (!mb[j])
				j++;
			if (a[i] != b[j])
				t++;
			j++;
		}
	}
	if (m == 0)
		return 0.0;
	double md = (double)m;
	double jaro = (md / (double)la + md / (double)lb + (md - (double)t / 2.0) / md) / 3.0;
	/* Winkler: up to 4 agreeing leading characters, weight 0.1, only when
	 * the strings are similar at all (the usual 0.7 boost threshold). */
	if (jaro <= 0.7)
		return jaro;
	size_t prefix = 0;
	while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix])
		prefix++;
	return jaro + (double)prefix * 0.1 * (1.0 - jaro);
}

bool names_distance_is_one(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > lb)
		return names_distance_is_one(b, a);
	if (lb - la > 1)
		return false;
	size_t i = 0;
	while (i < la && a[i] == b[i])
		i++;
	if (la == lb) {
		if (i == la)
			return false; /* equal */
		/* one substitution, or one transposition of neighbours */
		if (streq(a + i + 1, b + i + 1))
			return true;
		return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] && streq(a + i + 2, b + i + 2);
	}
	/* one insertion into the shorter */
	return streq(a + i, b + i + 1);
}

/* Whether token i of x and token j of y are the same word (lengths first:
 * most differ there). */
static inline bool token_eq(const names_company *x, size_t i, const names_company *y, size_t j)
{
	return x->lens[i] == y->lens[j] && memcmp(x->tokens[i], y->tokens[j], x->lens[i]) == 0;
}

/* Whether the multiset of trade words of x is contained in y's. */
static bool trade_subset(const names_company *x, const names_company *y)
{
	bool used[64] = {0};
	if (y->n_tokens > ELEMENTSOF(used))
		return false;
	for (size_t i = 0; i < x->n_tokens; i++) {
		if (!x->trade[i])
			continue;
		bool found = false;
		for (size_t j = 0; j < y->n_tokens && !found; j++)
			if (y->trade[j] && !used[j] && token_eq(x, i, y, j))
				found = used[j] = true;
		if (!found)
			return false;
	}
	return true;
}

/* The distinctive words of x and y, in order, are the same. */
static bool distinctive_equal(const names_company *x, const names_company *y)
{
	if (x->n_distinctive != y->n_distinctive)
		return false;
	size_t i = 0, j = 0;
	for (;;) {
		while (i < x->n_tokens && x->trade[i])
			i++;
		while (j < y->n_tokens && y->trade[j])
			j++;
		if (i == x->n_tokens || j == y->n_tokens)
			return i == x->n_tokens && j == y->n_tokens;
		if (!token_eq(x, i, y, j))
			return false;
		i++, j++;
	}
}

uint32_t names_letters_count(const char *w, size_t n, uint8_t ret[32])
{
	uint32_t mask = 0;
	memset(ret, 0, 32);
	for (size_t i = 0; i < n; i++) {
		ret[(unsigned char)w[i] & 31]++;
		mask |= 1u << ((unsigned char)w[i] & 31);
	}
	return mask;
}

/* The Jaro-Winkler bound of names_jaro_winkler_at_least for m shared
 * letters. */
static inline double jaro_winkler_bound(size_t la, size_t lb, size_t m, size_t prefix)
{
	double jaro_max = ((double)m / (double)la + (double)m / (double)lb + 1.0) / 3.0;
	return jaro_max + (double)prefix * 0.1 * (1.0 - jaro_max);
}

/* Bits set in x. By hand: without -mpopcnt the builtin is a library call
 * that costs more than this. */
static inline size_t popcount32(uint32_t x)
{
	x = x - ((x >> 1) & 0x55555555u);
	x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
	x = (x + (x >> 4)) & 0x0f0f0f0fu;
	return (size_t)((x * 0x01010101u) >> 24);
}

/* An upper bound on the letters two words of la and lb bytes share, from
 * which buckets they have at all: a bucket only one has holds at least one
 * letter the other cannot match. */
static inline size_t letters_shared_at_most(size_t la, uint32_t ma, size_t lb, uint32_t mb)
{
	size_t a_only = popcount32(ma & ~mb), b_only = popcount32(mb & ~ma);
	size_t x = la - a_only, y = lb - b_only;
	return x < y ? x : y;
}

/* How many letters two words share as multisets: the sum of the smaller
 * of their counts per bucket. Eight buckets at a time (SWAR): every count
 * and the sum are below 128 (words are shorter), so per byte x - y + 128
 * borrows from no neighbour and its top bit says x >= y, and the byte sums
 * of the four words fit a byte each. This runs for every candidate word
 * pair; the plain loop was the costliest line of the scoring. */
static inline size_t letters_shared(const uint8_t a[32], const uint8_t b[32])
{
	const uint64_t high = 0x8080808080808080ull;
	uint64_t sum = 0;
	for (size_t k = 0; k < 32; k += 8) {
		uint64_t x, y;
		memcpy(&x, a + k, 8);
		memcpy(&y, b + k, 8);
		uint64_t mask = ((((x | high) - y) & high) >> 7) * 0xff;
		sum += (y & mask) | (x & ~mask);
	}
	return (size_t)((sum * 0x0101010101010101ull) >> 56);
}

/* The common prefix Winkler counts (at most 4). */
static size_t winkler_prefix(const char *a, const char *b)
{
	size_t prefix = 0;
	while (prefix < 4 && a[prefix] && a[prefix] == b[prefix])
		prefix++;
	return prefix;
}

/* The Jaro-Winkler bound of names_jaro_winkler_at_least from m shared
 * letters, then the real value when it can reach min. */
static double jaro_winkler_from_shared(const char *a, size_t la, const char *b, size_t lb, size_t m, double min)
{
	if (jaro_winkler_bound(la, lb, m, winkler_prefix(a, b)) < min)
		return 0.0;
	return names_jaro_winkler(a, b);
}

/* The same with the letter counts and masks at hand: the bound from the
 * masks first (the bound grows with m, so what fails with more letters
 * than shared fails with the exact count), which ends most pairs of
 * unrelated words; the exact count only for the rest. */
static double jaro_winkler_counted(const char *a, size_t la, const uint8_t ca[32], uint32_t ma, const char *b,
				   size_t lb, const uint8_t cb[32], uint32_t mb, double min)
{
	size_t prefix = winkler_prefix(a, b);
	if (jaro_winkler_bound(la, lb, letters_shared_at_most(la, ma, lb, mb), prefix) < min)
		return 0.0;
	if (jaro_winkler_bound(la, lb, letters_shared(ca, cb), prefix) < min)
		return 0.0;
	return names_jaro_winkler(a, b);
}

/* names_jaro_winkler(a, b) when it can reach min, else 0. The letters the
 * two words share (as multisets) bound the Jaro matches m from above, so
 * Jaro <= (m/la + m/lb + 1) / 3; Winkler's bonus grows with Jaro and with
 * the common prefix p (<= 4), which is cheap to count exactly, so JW <=
 * bound + p * 0.1 * (1 - bound). Most pairs of a candidate list end here,
 * without the quadratic matching. Branch-free counting: this runs for
 * every near-miss pair, and data-dependent branches cost more than the
 * arithmetic. */
double names_jaro_winkler_at_least(const char *a, const char *b, double min)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la == 0 || lb == 0)
		return 0.0;
	if (la > UINT16_MAX || lb > UINT16_MAX)
		return names_jaro_winkler(a, b);
	/* Counted per byte & 31: bytes sharing a bucket can only raise the
	 * bound (never reject a pair that could pass), and the folded letters
	 * a..z each have a bucket of their own. */
	uint16_t ca[32] = {0}, cb[32] = {0};
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		ca[*p & 31]++;
	for (const unsigned char *p = (const unsigned char *)b; *p; p++)
		cb[*p & 31]++;
	size_t m = 0;
	for (size_t k = 0; k < 32; k++)
		m += ca[k] < cb[k] ? ca[k] : cb[k];
	return jaro_winkler_from_shared(a, la, b, lb, m, min);
}

bool names_jaro_winkler_may_reach(size_t la, const uint8_t ca[32], uint32_t ma, size_t lb, const uint8_t cb[32],
				  uint32_t mb, size_t prefix, double min)
{
	if (la == 0 || lb == 0 || la >= NAMES_MAX_WORD || lb >= NAMES_MAX_WORD)
		return false;
	/* As jaro_winkler_counted: the masks first, the exact count after. */
	if (jaro_winkler_bound(la, lb, letters_shared_at_most(la, ma, lb, mb), prefix) < min)
		return false;
	return jaro_winkler_bound(la, lb, letters_shared(ca, cb), prefix) >= min;
}

/* names_jaro_winkler_at_least for token i of two parsed names, with the
 * letter counts and lengths company_parse kept: the bound is a 32-byte
 * minimum-sum, no pass over the words. */
static double jaro_winkler_bounded(const names_company *c, const names_company *r, size_t i, double min)
{
	size_t la = c->lens[i], lb = r->lens[i];
	if (la == 0 || lb == 0)
		return 0.0;
	return jaro_winkler_counted(c->tokens[i], la, c->letters[i], c->masks[i], r->tokens[i], lb, r->letters[i],
				    r->masks[i], min);
}

/* The common prefix Winkler counts of two words of at least 4 bytes, from
 * their first four bytes at once. */
static inline size_t winkler_prefix4(const char *a, const char *b)
{
	uint32_t x, y;
	memcpy(&x, a, 4);
	memcpy(&y, b, 4);
	x ^= y;
	if (!x)
		return 4;
	/* The first differing byte: the lowest set bit, on a little-endian
	 * machine; the highest, on a big-endian one. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctz(x) / 8;
#else
	return (size_t)__builtin_clz(x) / 8;
#endif
}

/* A necessary condition from hashes, counts, lengths and masks, which no
 * agreeing pair fails and most unrelated pairs do (a candidate list is
 * mostly relations that share one common word with the contact). Every
 * way to agree needs
 * one of: equal keys (equal hashes), the same distinctive words (equal
 * hashes), or words that line up one to one, each pair the same (same
 * length and letters) or long, of about the same length and with a
 * Jaro-Winkler bound (from the masks) of at least NAMES_JW_NEAR. */
void names_company_summarize(const names_company *c, names_company_summary *ret)
{
	names_company_summary s = {
		.full_hash = c->full_hash,
		.key_hash = c->key_hash,
		.distinctive_hash = c->distinctive_hash,
		.n_tokens = c->n_tokens > NAMES_SUMMARY_WORDS ? NAMES_SUMMARY_WORDS + 1 : (uint8_t)c->n_tokens,
		.n_distinctive = c->n_distinctive > 255 ? 255 : (uint8_t)c->n_distinctive,
	};
	for (size_t i = 0; i < c->n_tokens && i < NAMES_SUMMARY_WORDS; i++) {
		s.masks[i] = c->masks[i];
		s.lens[i] = c->lens[i];
		memcpy(s.heads[i], c->tokens[i], c->lens[i] < 4 ? c->lens[i] : 4);
	}
	*ret = s;
}

bool names_company_may_agree(const names_company *c, const names_company_summary *r)
{
	if (c->full_hash == r->full_hash || c->key_hash == r->key_hash)
		return true;
	if ((c->n_distinctive > 255 ? 255 : c->n_distinctive) == r->n_distinctive &&
	    c->distinctive_hash == r->distinctive_hash)
		return true;
	if (r->n_tokens > NAMES_SUMMARY_WORDS)
		return true; /* not summarised: not ruled out */
	if (c->n_tokens != r->n_tokens)
		return false;
	for (size_t i = 0; i < r->n_tokens; i++) {
		size_t lc = c->lens[i], lr = r->lens[i];
		if (lc == lr && c->masks[i] == r->masks[i])
			continue;
		if (lc <= NAMES_COMPANY_SHORT_WORD || lr <= NAMES_COMPANY_SHORT_WORD || (lc > lr ? lc - lr : lr - lc) > 2)
			return false;
		/* jaro_winkler_bound(lc, lr, m, p) < NAMES_JW_NEAR in integers:
		 * with J = (m/lc + m/lr + 1) / 3 the bound J + p/10 (1 - J) is
		 * below n/100 exactly when (m (lc + lr) + lc lr)(100 - 10p) <
		 * 3 (n - 10p) lc lr. A rational bound below n/100 is below by at
		 * least 1/(300 lc lr), far more than rounding, so the double bound
		 * of names_company_compare rejects the pair too. Both words have
		 * more than four bytes: the heads hold the prefix. */
		size_t m = letters_shared_at_most(lc, c->masks[i], lr, r->masks[i]);
		size_t p = winkler_prefix4(c->tokens[i], (const char *)r->heads[i]);
		if ((m * (lc + lr) + lc * lr) * (100 - 10 * p) < 3 * (NAMES_JW_NEAR_PERCENT - 10 * p) * lc * lr)
			return false;
	}
	return true;
}

double names_company_compare(const names_company *c, const names_company *r)
{
	if (!c || !r || !c->key || !r->key)
		return 0.0;
	names_company_summary rs;
	names_company_summarize(r, &rs);
	if (!names_company_may_agree(c, &rs))
		return 0.0;
	if (streq(c->full_key, r->full_key))
		return 1.0;
	/* A name of trade words only ("Transport Nederland") has nothing that
	 * tells it from others: the whole name or nothing ("Transport" alone
	 * is not it, though only a low-identity word is missing). */
	if (r->n_distinctive == 0 || c->n_distinctive == 0)
		return 0.0;
	if (streq(c->key, r->key))
		return 0.98;
	/* The same distinctive words, exactly, with trade words left out on
	 * one side: "ABN AMRO" is "ABN AMRO Bank", "ING Bank" is "ING", "Smit
	 * en Zonen" is "Smit & Zonen Transport"; but "Jansen Bouw" is not
	 * "Jansen Transport" (neither side's trade words contain the other's).
	 * Exact distinctive words make this safe for acronyms too: "Ingram"
	 * is a different word from "ING", never a prefix match. */
	if (distinctive_equal(c, r) && (trade_subset(c, r) || trade_subset(r, c)))
		return 0.94;

	/* Fuzzy from here: the words line up one to one, and the names differ
	 * only in words that are both long enough not to be acronyms. A name
	 * that merely starts with the relation's ("Philips Van Heusen",
	 * "Ingram Micro" for ING) has a different number of words and never
	 * gets here. */
	if (c->n_tokens != r->n_tokens)
		return 0.0;
	/* Two passes: the cheap word tests for every position first (most
	 * candidate pairs end there), Jaro-Winkler only after all passed, and
	 * the first pair below NAMES_JW_NEAR ends it (worst only falls). */
	size_t diff = 0, at = 0;
	for (size_t i = 0; i < r->n_tokens; i++) {
		if (token_eq(c, i, r, i))
			continue;
		/* Short enough to be an acronym or a name one letter away from
		 * another company (KPN/KPMG, ASML/ASM, ING/Ingram, BAM). */
		if (c->lens[i] <= NAMES_COMPANY_SHORT_WORD || r->lens[i] <= NAMES_COMPANY_SHORT_WORD)
			return 0.0;
		/* Words more than two letters apart in length are different
		 * words (one edit changes the length by one). */
		size_t lc = c->lens[i], lr = r->lens[i];
		if ((lc > lr ? lc - lr : lr - lc) > 2)
			return 0.0;
		diff++;
		at = i;
	}
	if (diff == 0)
		return 0.0;
	double worst = 1.0;
	for (size_t i = 0; i < r->n_tokens; i++) {
		if (diff == 1)
			i = at; /* the only differing word, known from the first pass */
		else if (token_eq(c, i, r, i))
			continue;
		double jw = jaro_winkler_bounded(c, r, i, NAMES_JW_NEAR);
		if (jw < NAMES_JW_NEAR)
			return 0.0;
		worst = jw < worst ? jw : worst;
		if (diff == 1)
			break;
	}
	/* Scored by the similarity of the differing words (Jaro-Winkler on a
	 * whole multi-word key lets letters match across words, which says
	 * nothing). One typo, in a word long enough that one edit cannot turn
	 * it into another real name ("Instalaties", "Vanderlnade"); the
	 * relation's spelling decides the length, so "Philips" (7) never
	 * reaches "Phillips" this way. The rule decides, JW grades: between
	 * 0.93 (over the default CompanyThreshold even for a first-letter slip,
	 * which costs Winkler's prefix bonus) and 0.97 (below an exact key). */
	if (diff == 1 && r->lens[at] >= NAMES_TYPO_MIN_WORD && names_distance_is_one(c->tokens[at], r->tokens[at]))
		return worst < 0.93 ? 0.93 : worst > 0.97 ? 0.97 : worst;
	/* A near miss (two edits, or one in a shorter word: "Verberg" for
	 * "Verburg"): too weak to alert, scaled by 0.85 so that only the
	 * closest (word similarity >= 0.965) reach the review band of the
	 * default CompanyThreshold (0.82..0.92). */
	return NAMES_NEAR_MISS_WEIGHT * worst;
}

/* ---- person names ------------------------------------------------------- */

/* Tussenvoegsels and their foreign cousins (domain.md), dotless: "v.d."
 * is "vd", "'t" is "t". */
static const char *const particles[] = {
	"al", "d", "da", "de", "del", "della", "den", "der", "des", "di", "du", "el", "het", "in",
	"la", "le", "op", "t", "te", "ten", "ter", "uit", "v", "van", "vd", "von", "zu",
};

static bool is_particle(const char *w)
{
	return word_in(w, particles, ELEMENTSOF(particles));
}

static void surname_done(names_surname *s)
{
	free(s->particles);
	free(s->main);
}

static void form_done(names_person_form *f)
{
	strv_free(f->given);
	free(f->given_key);
	free(f->given_compact);
	for (size_t i = 0; i < f->n_surnames; i++)
		surname_done(&f->surnames[i]);
	free(f->surnames);
	*f = (names_person_form) {0};
}

void names_person_done(names_person *p)
{
	if (!p)
		return;
	free(p->display);
	if (p->german_same)
		p->form[1] = (names_person_form) {0}; /* shares form[0]'s storage */
	form_done(&p->form[0]);
	form_done(&p->form[1]);
	*p = (names_person) {0};
}

/* A person name is parsed into an arena, temporaries and all (a name is a
 * few hundred bytes; the arena is reset per contact); a parse for the heap
 * (names_person_parse) is copied out of a temporary arena afterwards. */

/* A growing vector of words in the arena (NULL-terminated, as a strv). */
typedef struct wordvec {
	char **v;
	size_t n, cap;
} wordvec;

static int wordvec_push(names_arena *a, wordvec *w, const char *s, size_t len)
{
	if (w->n + 2 > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;
		char **nv = arena_alloc(a, cap * sizeof *nv);
		if (!nv)
			return -ENOMEM;
		if (w->n > 0)
			memcpy(nv, w->v, w->n * sizeof *nv);
		w->v = nv;
		w->cap = cap;
	}
	char *c = arena_strdup(a, s, len);
	if (!c)
		return -ENOMEM;
	w->v[w->n++] = c;
	w->v[w->n] = NULL;
	return 0;
}

/* Joins n words with single spaces into the arena; "" for n == 0. */
static char *arena_join_words(names_arena *a, char *const *words, size_t n)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	char *out = arena_alloc(a, len);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(words[i]);
		if (i > 0)
			out[o++] = ' ';
		memcpy(out + o, words[i], l);
		o += l;
	}
	out[o] = '\0';
	return out;
}

/* Splits at whitespace into words with apostrophes and dots removed
 * (hyphens are kept: they mean different things in given and surnames).
 * ret->n is the count; ret->v is NULL when there are none. */
static int person_words(names_arena *a, const char *s, wordvec *ret)
{
	wordvec words = {0};
	char buf[NAMES_MAX_WORD];
	size_t n = 0;
	for (const char *p = s;; p++) {
		if (*p == '\0' || *p == ' ' || *p == ',') {
			if (n > 0) {
				buf[n] = '\0';
				int r = wordvec_push(a, &words, buf, n);
				if (r < 0)
					return r;
			}
			n = 0;
			if (*p == '\0')
				break;
		} else if (*p != '\'' && n < sizeof buf - 1)
			buf[n++] = *p;
	}
	*ret = words;
	return 0;
}

static void strip_dots(char *w)
{
	char *o = w;
	for (; *w; w++)
		if (*w != '.')
			*o++ = *w;
	*o = '\0';
}

/* One form while it is parsed: the given words grow as a wordvec, the
 * surnames as an array with its capacity. */
typedef struct form_build {
	wordvec given;
	bool has_initials;
	names_surname *surnames;
	size_t n_surnames, cap_surnames;
} form_build;

/* Given names: hyphens separate ("Anne-Marie" is "Anne Marie"); a dotted
 * word of single letters ("P.J.M.") or a single letter is initials. */
static int person_add_given(names_arena *a, form_build *f, const char *word)
{
	char buf[NAMES_MAX_WORD];
	size_t n = strlen(word);
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	memcpy(buf, word, n);
	buf[n] = '\0';
	for (char *part = buf, *next; part; part = next) {
		next = strchr(part, '-');
		if (next)
			*next++ = '\0';
		if (!*part)
			continue;
		bool dotted = strchr(part, '.') != NULL;
		bool all_single = true;
		size_t segs = 0;
		for (char *q = part; *q; ) {
			size_t len = strcspn(q, ".");
			if (len > 1)
				all_single = false;
			if (len > 0)
				segs++;
			q += len;
			if (*q == '.')
				q++;
		}
		if (segs == 0)
			continue;
		if (dotted && all_single) {
			for (char *q = part; *q; q++)
				if (*q != '.') {
					int r = wordvec_push(a, &f->given, q, 1);
					if (r < 0)
						return r;
				}
			f->has_initials = true;
			continue;
		}
		strip_dots(part);
		size_t len = strlen(part);
		if (len == 1)
			f->has_initials = true;
		int r = wordvec_push(a, &f->given, part, len);
		if (r < 0)
			return r;
	}
	return 0;
}

static int person_push_surname(names_arena *a, form_build *f, char *const *words, size_t n)
{
	/* Leading particles, then the main part; particles only is no surname. */
	size_t k = 0;
	while (k < n && is_particle(words[k]))
		k++;
	if (k == n)
		return 0;
	names_surname s = { .particles = arena_join_words(a, words, k), .main = arena_join_words(a, words + k, n - k) };
	if (!s.particles || !s.main)
		return -ENOMEM;
	if (f->n_surnames == f->cap_surnames) {
		size_t cap = f->cap_surnames ? f->cap_surnames * 2 : 2;
		names_surname *ns = arena_alloc(a, cap * sizeof *ns);
		if (!ns)
			return -ENOMEM;
		if (f->n_surnames > 0)
			memcpy(ns, f->surnames, f->n_surnames * sizeof *ns);
		f->surnames = ns;
		f->cap_surnames = cap;
	}
	f->surnames[f->n_surnames++] = s;
	return 0;
}

/* A surname string: hyphens separate the parts of a married or double
 * name ("Bakker-de Wit" agrees with "Bakker" and with "de Wit"); each part
 * is particles + main. trailing_particles come from "Vries, Jan de". */
static int person_add_surname(names_arena *a, form_build *f, const char *s, const char *trailing_particles)
{
	char *buf = arena_strdup(a, s, strlen(s));
	if (!buf)
		return -ENOMEM;
	for (char *part = buf, *next; part; part = next) {
		next = strchr(part, '-');
		if (next)
			*next++ = '\0';
		wordvec words;
		int r = person_words(a, part, &words);
		if (r < 0)
			return r;
		for (size_t i = 0; i < words.n; i++)
			strip_dots(words.v[i]);
		if (trailing_particles && !isempty(trailing_particles) && words.n > 0 && !is_particle(words.v[0])) {
			/* "Vries, Jan de": put "de" back in front of "vries". */
			wordvec tp;
			r = person_words(a, trailing_particles, &tp);
			for (size_t i = 0; r >= 0 && i < words.n; i++)
				r = wordvec_push(a, &tp, words.v[i], strlen(words.v[i]));
			if (r < 0)
				return r;
			words = tp;
		}
		r = person_push_surname(a, f, words.v, words.n);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Parses one folded form of a whole name. */
static int person_parse_form(names_arena *a, const char *folded, form_build *f)
{
	wordvec words;
	int r;
	const char *comma = strchr(folded, ',');

	if (comma) {
		/* "Vries, Jan de" / "Berg, P.J.M. van den": surname first. */
		char *sur = arena_strdup(a, folded, (size_t)(comma - folded));
		if (!sur)
			return -ENOMEM;
		r = person_words(a, comma + 1, &words);
		if (r < 0)
			return r;
		size_t n = words.n, g = n;
		while (g > 0 && is_particle(words.v[g - 1]))
			g--;
		if (g == 0)
			g = n; /* "Vries, de" has no given name; ignore particles logic */
		for (size_t i = 0; i < g && r >= 0; i++)
			r = person_add_given(a, f, words.v[i]);
		char *tp = NULL;
		if (r >= 0 && g < n && !(tp = arena_join_words(a, words.v + g, n - g)))
			r = -ENOMEM;
		if (r >= 0)
			r = person_add_surname(a, f, sur, tp);
		return r;
	}

	r = person_words(a, folded, &words);
	if (r < 0)
		return r;
	size_t n = words.n;
	/* The surname starts at the first particle that has a non-particle
	 * after it, or at a hyphenated word after the first ("Eva Bakker-de
	 * Wit"), else it is the last word. A lone word is a surname. */
	size_t start = n > 0 ? n - 1 : 0;
	for (size_t i = 1; i + 1 < n; i++) {
		char w[NAMES_MAX_WORD];
		size_t wl = strnlen(words.v[i], sizeof w - 1); /* person_words caps words below that */
		memcpy(w, words.v[i], wl);
		w[wl] = '\0';
		strip_dots(w);
		if (strchr(words.v[i], '-') || (is_particle(w) && !is_particle(words.v[n - 1]))) {
			start = i;
			break;
		}
	}
	for (size_t i = 0; i < start && r >= 0; i++)
		r = person_add_given(a, f, words.v[i]);
	if (r >= 0 && n > 0) {
		char *sur = arena_join_words(a, words.v + start, n - start);
		r = sur ? person_add_surname(a, f, sur, NULL) : -ENOMEM;
	}
	return r;
}

static int person_parse_split_form(names_arena *a, const char *first, const char *last, form_build *f)
{
	char *tp = NULL;

	if (!isempty(first)) {
		wordvec words;
		int r = person_words(a, first, &words);
		if (r < 0)
			return r;
		/* Some exports put the particles with the first name: "Jan de" +
		 * "Vries". */
		size_t n = words.n, g = n;
		while (g > 1 && is_particle(words.v[g - 1]))
			g--;
		for (size_t i = 0; i < g && r >= 0; i++)
			r = person_add_given(a, f, words.v[i]);
		if (r >= 0 && g < n && !(tp = arena_join_words(a, words.v + g, n - g)))
			r = -ENOMEM;
		if (r < 0)
			return r;
	}
	if (isempty(last))
		return 0;
	return person_add_surname(a, f, last, tp);
}

/* text_fold into the arena (see person_fold_both). */
/* s folded (german: transliterated; translit: names_has_transliteration(s),
 * which the caller knows) into a, IJ -> y. */
static int fold_into(names_arena *a, const char *s, bool german, bool translit, char **ret)
{
	size_t n;
	if (!translit) {
		/* text_fold's ASCII rule: lowercase, control characters dropped,
		 * whitespace runs one space, ends trimmed; test_names checks it
		 * against text_fold through the parses. */
		char *out = arena_alloc(a, strlen(s) + 1);
		if (!out)
			return -ENOMEM;
		n = text_fold_ascii_into(s, out);
		ij_to_y_len(out, n);
		*ret = out;
		return 0;
	}
	char *heap = NULL;
	int r = german ? text_fold_german(s, &heap) : text_fold(s, &heap);
	if (r < 0)
		return r;
	n = strlen(heap);
	*ret = arena_strdup(a, heap, n);
	free(heap);
	if (!*ret)
		return -ENOMEM;
	ij_to_y_len(*ret, n);
	return 0;
}

/* Both folds of s, IJ -> y. Transliteration only rewrites non-ASCII
 * letters (names_has_transliteration): an ASCII name's German form is its
 * plain one, the same string. */
static int person_fold_both(names_arena *a, const char *s, char **plain, char **german)
{
	bool translit = names_has_transliteration(s);
	int r = fold_into(a, s, false, translit, plain);
	if (r < 0 || !translit) {
		*german = *plain;
		return r;
	}
	return fold_into(a, s, true, translit, german);
}

/* The finished form, with its given-name keys: comparisons run per
 * candidate, a million contacts times a dozen candidates, and must not
 * allocate. */
static int form_finish(names_arena *a, const form_build *b, names_person_form *f)
{
	*f = (names_person_form) {
		.given = b->given.n > 0 ? b->given.v : NULL,
		.has_initials = b->has_initials,
		.surnames = b->surnames,
		.n_surnames = b->n_surnames,
	};
	f->given_key = arena_join_words(a, b->given.v, b->given.n);
	if (!f->given_key)
		return -ENOMEM;
	f->given_compact = arena_strdup(a, f->given_key, strlen(f->given_key));
	if (!f->given_compact)
		return -ENOMEM;
	char *o = f->given_compact;
	for (const char *q = f->given_key; *q; q++)
		if (*q != ' ')
			*o++ = *q;
	*o = '\0';
	return 0;
}

static int person_finish(names_arena *a, names_person *p, const form_build *b, int r, names_person *ret)
{
	for (size_t i = 0; r >= 0 && i < (p->german_same ? 1u : 2u); i++)
		r = form_finish(a, &b[i], &p->form[i]);
	/* Both folds were the same string: the German form is the plain one,
	 * shared rather than parsed twice (names_person_done knows). */
	if (p->german_same)
		p->form[1] = p->form[0];
	if (r >= 0 && (p->form[0].n_surnames == 0 || p->form[1].n_surnames == 0))
		r = -EINVAL;
	if (r < 0)
		return r;
	*ret = *p;
	return 0;
}

int names_person_parse_in(names_arena *a, const char *full, names_person *ret)
{
	names_person p = {0};
	form_build b[2] = {0};
	char *german = NULL;
	if (isempty(full))
		return -EINVAL;
	int r = person_fold_both(a, full, &p.display, &german);
	if (r < 0)
		return r;
	p.german_same = streq(p.display, german);
	r = person_parse_form(a, p.display, &b[0]);
	if (r >= 0 && !p.german_same)
		r = person_parse_form(a, german, &b[1]);
	return person_finish(a, &p, b, r, ret);
}

int names_person_parse_split_in(names_arena *a, const char *first, const char *last, names_person *ret)
{
	names_person p = {0};
	form_build b[2] = {0};
	int r;
	/* Without a surname field, the first field may hold the whole name. */
	if (isempty(last))
		return names_person_parse_in(a, first, ret);
	if (isempty(first) && strchr(last, ','))
		return names_person_parse_in(a, last, ret);

	char *fp = NULL, *fg = NULL, *lp = NULL, *lg = NULL;
	r = 0;
	if (!isempty(first))
		r = person_fold_both(a, first, &fp, &fg);
	if (r >= 0)
		r = person_fold_both(a, last, &lp, &lg);
	/* The display form is the fold of "first last". Folding works code
	 * point by code point, trims the ends and makes each whitespace run
	 * one space (and IJ -> y never spans a space), so it is the two folds
	 * joined by a space: no third fold. */
	if (r >= 0) {
		size_t lf = fp ? strlen(fp) : 0, ll = strlen(lp);
		p.display = arena_alloc(a, lf + 1 + ll + 1);
		if (!p.display)
			r = -ENOMEM;
		else {
			size_t o = 0;
			if (lf > 0) {
				memcpy(p.display, fp, lf);
				o = lf;
			}
			if (lf > 0 && ll > 0)
				p.display[o++] = ' ';
			memcpy(p.display + o, lp, ll + 1);
		}
	}
	if (r >= 0) {
		p.german_same = streq(strempty(fp), strempty(fg)) && streq(lp, lg);
		r = person_parse_split_form(a, fp, lp, &b[0]);
	}
	if (r >= 0 && !p.german_same)
		r = person_parse_split_form(a, fg, lg, &b[1]);
	return person_finish(a, &p, b, r, ret);
}

/* Copies a form into a (NULL: the heap, a block per string, as form_done
 * frees it). */
static int form_copy(names_arena *a, const names_person_form *src, names_person_form *f)
{
	*f = (names_person_form) { .has_initials = src->has_initials };
	size_t ng = strv_length(src->given);
	if (ng > 0) {
		f->given = parse_alloc(a, (ng + 1) * sizeof *f->given);
		if (!f->given)
			return -ENOMEM;
		for (size_t i = 0; i <= ng; i++)
			f->given[i] = NULL;
		for (size_t i = 0; i < ng; i++)
			if (!(f->given[i] = a ? arena_strdup(a, src->given[i], strlen(src->given[i])) : strdup(src->given[i])))
				return -ENOMEM;
	}
	f->given_key = a ? arena_strdup(a, src->given_key, strlen(src->given_key)) : strdup(src->given_key);
	f->given_compact = a ? arena_strdup(a, src->given_compact, strlen(src->given_compact)) : strdup(src->given_compact);
	if (!f->given_key || !f->given_compact)
		return -ENOMEM;
	if (src->n_surnames > 0) {
		f->surnames = parse_alloc(a, src->n_surnames * sizeof *f->surnames);
		if (!f->surnames)
			return -ENOMEM;
		for (size_t i = 0; i < src->n_surnames; i++) {
			const names_surname *x = &src->surnames[i];
			names_surname *y = &f->surnames[f->n_surnames++];
			y->particles = a ? arena_strdup(a, x->particles, strlen(x->particles)) : strdup(x->particles);
			y->main = a ? arena_strdup(a, x->main, strlen(x->main)) : strdup(x->main);
			if (!y->particles || !y->main)
				return -ENOMEM;
		}
	}
	return 0;
}

/* A deep copy of src into a (NULL: the heap, for names_person_done). */
static int person_copy(names_arena *a, const names_person *src, names_person *ret)
{
	names_person p = { .german_same = src->german_same };
	int r = 0;
	p.display = a ? arena_strdup(a, src->display, strlen(src->display)) : strdup(src->display);
	if (!p.display)
		r = -ENOMEM;
	for (size_t i = 0; r >= 0 && i < (src->german_same ? 1u : 2u); i++)
		r = form_copy(a, &src->form[i], &p.form[i]);
	if (src->german_same)
		p.form[1] = p.form[0];
	if (r < 0) {
		if (!a)
			names_person_done(&p);
		return r;
	}
	*ret = p;
	return 0;
}

int names_person_copy_in(names_arena *a, const names_person *src, names_person *ret)
{
	return person_copy(a, src, ret);
}

int names_person_parse(const char *full, names_person *ret)
{
	names_arena a;
	names_person p;
	names_arena_init(&a);
	int r = names_person_parse_in(&a, full, &p);
	if (r >= 0)
		r = person_copy(NULL, &p, ret);
	names_arena_done(&a);
	return r;
}

int names_person_parse_split(const char *first, const char *last, names_person *ret)
{
	names_arena a;
	names_person p;
	names_arena_init(&a);
	int r = names_person_parse_split_in(&a, first, last, &p);
	if (r >= 0)
		r = person_copy(NULL, &p, ret);
	names_arena_done(&a);
	return r;
}

/* 2 same particles, 1 particles on one side only (or "vd" for "van der"),
 * 0 different. "van der Molen" and "Molen" may be one person written
 * carelessly; "de Molen" and "van der Molen" are two families. */
static int particles_agree(const char *a, const char *b)
{
	if (streq(a, b))
		return 2;
	if (!*a || !*b)
		return 1;
	if ((streq(a, "vd") && has_prefix_ci(b, "van d")) || (streq(b, "vd") && has_prefix_ci(a, "van d")))
		return 2;
	return 0;
}

/* 2/1 as particles_agree for the same main surname, 0 otherwise. A typo
 * (mains one edit apart, the longer >= 8 letters, particles not
 * contradicting) is reported through *typo, never as agreement. "Bakkers" is another
 * family than "Bakker"; "Hoogenboom"/"Hogenboom" is one slip. */
static int surname_agree(const names_person_form *a, const names_person_form *b, bool *typo)
{
	int best = 0;
	for (size_t i = 0; i < a->n_surnames; i++)
		for (size_t j = 0; j < b->n_surnames; j++) {
			const names_surname *x = &a->surnames[i], *y = &b->surnames[j];
			int pa = particles_agree(x->particles, y->particles);
			if (!streq(x->main, y->main)) {
				size_t lx = strlen(x->main), ly = strlen(y->main);
				/* A letter added or dropped at the end is another
				 * name, not a slip: Bruggeman/Bruggemans, Hendrik/
				 * Hendriks (the Dutch patronymic -s). */
				bool at_end = lx != ly && strncmp(x->main, y->main, lx < ly ? lx : ly) == 0;
				if (pa > 0 && !at_end && (lx > ly ? lx : ly) >= NAMES_TYPO_MIN_WORD &&
				    names_distance_is_one(x->main, y->main))
					*typo = true;
				continue;
			}
			best = pa > best ? pa : best;
		}
	return best;
}

/* 2 same given names, 1 initials consistent with them, 0 otherwise. A
 * first-name-only agreement, or no given name on one side, is nothing. */
static int given_agree(const names_person_form *a, const names_person_form *b)
{
	if (!a->given || !b->given)
		return 0;
	if (!a->has_initials && !b->has_initials)
		return streq(a->given_key, b->given_key) || streq(a->given_compact, b->given_compact) ? 2 : 0;
	size_t na = strv_length(a->given), nb = strv_length(b->given);
	/* Initials: the first letters of the shorter list are those of the
	 * longer one ("P.J.M." and "Petra"; "S." and "Sjoerd"). */
	size_t n = na < nb ? na : nb;
	for (size_t i = 0; i < n; i++)
		if (a->given[i][0] != b->given[i][0])
			return 0;
	return 1;
}

names_person_agreement names_person_compare(const names_person *a, const names_person *b)
{
	if (!a || !b)
		return NAMES_PERSON_DISAGREE;
	int sur = 0, giv = 0;
	bool typo = false;
	/* Plain and German forms are tried crosswise and independently for
	 * the given and the surname: "Jurgen Mueller" is "Jürgen Müller"
	 * through plain "jurgen" and German "mueller". */
	/* A form shared (german_same) is tried once. */
	size_t na = a->german_same ? 1 : 2, nb = b->german_same ? 1 : 2;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++) {
			int s = surname_agree(&a->form[i], &b->form[j], &typo);
			sur = s > sur ? s : sur;
		}
	if (sur == 0 && !typo)
		return NAMES_PERSON_DISAGREE;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++) {
			int g = given_agree(&a->form[i], &b->form[j]);
			giv = g > giv ? g : giv;
		}
	if (giv == 0)
		return NAMES_PERSON_DISAGREE;
	/* A surname typo only with the full given name: an initial and a
	 * misspelt surname are two uncertainties too many. */
	if (sur == 0)
		return giv == 2 ? NAMES_PERSON_TYPO : NAMES_PERSON_DISAGREE;
	if (giv == 1)
		return NAMES_PERSON_INITIALS;
	return sur == 2 ? NAMES_PERSON_FULL : NAMES_PERSON_FULL_LOOSE;
}
