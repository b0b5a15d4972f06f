/* relations_json.c — catalogues in JSON: an object with "relations" (an
 * array of relation objects), or the array alone. The elements are found
 * by a scan of the text, and each is read by a small parser of our own that
 * takes only what catalogues are made of, handing anything else to jansson
 * (so every message and every accepted value is jansson's); the document
 * around them is checked by jansson on a skeleton. A large catalogue is
 * read on one thread per CPU. Each relation's members go to draft_set
 * (relations.c). */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "contactwatch/relations_loader.h"
#include "contactwatch/text.h"

/* JSON's white space (fewer characters than loader_is_space). */
static bool json_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *json_skip_ws(const char *p, const char *end)
{
	while (p < end && json_is_ws(*p))
		p++;
	return p;
}

/* Where each element of the relations array lies in the text, found by a
 * scanner that tracks strings and nesting (jansson gives positions only for
 * syntax errors). It trusts nothing: the caller proves the shape with
 * jansson before relying on it. */
typedef struct json_span {
	size_t start, end; /* [start, end): the element, maybe trailing blanks */
	unsigned line;     /* where it starts */
} json_span;

/* Deeper than this, the text is left to the whole-file parse, whose depth
 * limit (jansson's) then applies exactly as before. */
#define JSON_SPAN_MAX_DEPTH 256

/* 0 and the spans, or 1 and the spans when the text nests deeper than the
 * element-wise parse may go; -EBADMSG when the text is not an array, nor an object
 * whose "relations" is an array, as far as the scanner can tell (the caller
 * then parses it whole and reports why); -ENOMEM. */
/* Where the string whose text starts at i ends: its closing quote, or len
 * (or one past) when there is none; *line counts the line breaks inside
 * it (invalid JSON; jansson will say so). Strings are most of a
 * catalogue's bytes, so they are skipped 16 at a time where SSE2 is. */
static size_t json_string_close(const char *buf, size_t i, size_t len, unsigned *line)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), lf = _mm_set1_epi8('\n');
#endif
	while (i < len) {
#ifdef __SSE2__
		if (len - i >= 16) {
			const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + i));
			unsigned bits = (unsigned)_mm_movemask_epi8(_mm_or_si128(
				_mm_cmpeq_epi8(v, quote), _mm_or_si128(_mm_cmpeq_epi8(v, backslash), _mm_cmpeq_epi8(v, lf))));
			if (!bits) {
				i += 16;
				continue;
			}
			i += (size_t)__builtin_ctz(bits);
		}
#endif
		if (buf[i] == '"')
			return i;
		if (buf[i] == '\\') {
			i += 2; /* the escaped character, whatever it is */
			continue;
		}
		*line += buf[i] == '\n';
		i++;
	}
	return i;
}

static int json_element_spans(const char *buf, size_t len, json_span **ret, size_t *ret_n)
{
	_cleanup_free_ json_span *spans = NULL;
	size_t n = 0, cap = 0, i = 0;
	unsigned line = 1;
	int depth = 0, target = -1;
	bool want_array = false, in_element = false, expect = false, deep = false;

	while (i < len && loader_is_space(buf[i]))
		line += buf[i++] == '\n';
	if (i >= len || (buf[i] != '[' && buf[i] != '{'))
		return -EBADMSG;
	if (buf[i] == '[')
		target = 1;
	for (; i < len; i++) {
		char c = buf[i];

		if (c == '\n')
			line++;
		if (loader_is_space(c))
			continue;
		if (want_array && c != ':') {
			/* "relations": must be followed by an array here. */
			if (c != '[' || depth != 1)
				return -EBADMSG;
			want_array = false;
			target = 2;
		}
		if (expect && depth == target && c != ']') {
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				json_span *ns = reallocarray(spans, ncap, sizeof *ns);
				if (!ns)
					return -ENOMEM;
				spans = ns;
				cap = ncap;
			}
			spans[n++] = (json_span){ .start = i, .line = line };
			in_element = true;
			expect = false;
		}
		if (c == '"') {
			size_t start = i + 1;
			i = json_string_close(buf, start, len, &line);
			/* The top object's key "relations" (a key: a colon follows). */
			if (target < 0 && depth == 1 && i - start == 9 && memcmp(buf + start, "relations", 9) == 0) {
				size_t j = i + 1;
				while (j < len && loader_is_space(buf[j]))
					j++;
				if (j < len && buf[j] == ':')
					want_array = true;
			}
			continue;
		}
		if (c == '[' || c == '{') {
			if (++depth > JSON_SPAN_MAX_DEPTH)
				deep = true;
			if (c == '[' && depth == target && n == 0 && !in_element)
				expect = true;
		} else if (c == ']' || c == '}') {
			if (depth == target) {
				/* "[}" or "[1,}": an element must not be empty. */
				if (in_element && i == spans[n - 1].start)
					return -EBADMSG;
				if (in_element)
					spans[n - 1].end = i;
				/* The array is over; the rest is the skeleton's. */
				break;
			}
			depth--;
		} else if (c == ',' && depth == target) {
			if (!in_element || i == spans[n - 1].start)
				return -EBADMSG;
			spans[n - 1].end = i;
			in_element = false;
			expect = true;
		}
	}
	if (target < 0) {
		/* No "relations" array: nothing to split. */
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	if (i >= len || expect || (in_element && spans[n - 1].end == 0))
		return -EBADMSG;
	*ret = TAKE_PTR(spans);
	*ret_n = n;
	return deep ? 1 : 0;
}

/* The text with every element replaced by null, parsed: if it is valid and
 * each element parses on its own, the whole file is valid JSON, with the
 * same top level. Parsing this way, element by element, never holds more
 * than one relation's tree: the whole-file tree of a large catalogue is ten
 * times its text, and freeing it costs as much again. When every gap
 * between two elements is a comma and JSON white space (as the scanner
 * found them, nearly always), the elements in between add nothing to
 * check and the skeleton keeps only the first, as null: jansson's lexer
 * takes some 15 ns a byte, which for "null, " times 100,000 was a tenth of
 * the whole load. *ret_size is the length the skeleton's array must have.
 * NULL when not valid (or ENOMEM); the caller parses the whole file then. */
static json_t *json_skeleton(const char *buf, size_t len, const json_span *spans, size_t n, size_t *ret_size)
{
	size_t at = 0, k = 0;
	bool gaps_plain = true;
	json_error_t err;
	json_t *root;

	for (size_t i = 0; i < n; i++) {
		if (spans[i].start < at || spans[i].end <= spans[i].start || spans[i].end > len)
			return NULL;
		if (i > 0 && gaps_plain) {
			const char *g = buf + at, *g_end = buf + spans[i].start;
			gaps_plain = g < g_end && *g == ',' && json_skip_ws(g + 1, g_end) == g_end;
		}
		at = spans[i].end;
	}
	*ret_size = gaps_plain ? 1 : n;
	/* Each span is at least one byte (json_element_spans sees to it) and
	 * becomes "null", at most three more: jansson's null is one shared
	 * value, where a number is an allocation. */
	if (*ret_size > (SIZE_MAX - len - 1) / 3)
		return NULL;
	char *skel = malloc(len + 3 * *ret_size + 1);
	if (!skel)
		return NULL;
	at = 0;
	for (size_t i = 0; i < *ret_size; i++) {
		memcpy(skel + k, buf + at, spans[i].start - at);
		k += spans[i].start - at;
		memcpy(skel + k, "null", 4); /* NOLINT(bugprone-not-null-terminated-result): text within text, no string */
		k += 4;
		at = spans[i].end;
	}
	/* Without the elements in between, on from the last one's end. */
	at = spans[gaps_plain ? n - 1 : *ret_size - 1].end;
	memcpy(skel + k, buf + at, len - at);
	k += len - at;
	root = json_loadb(skel, k, JSON_REJECT_DUPLICATES, &err);
	free(skel);
	return root;
}

/* --- JSON: one relation's members ------------------------------------------ */

static member *members_push(members *ms)
{
	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? ms->cap * 2 : 16;
		member *m = reallocarray(ms->m, cap, sizeof *m);
		if (!m)
			return NULL;
		ms->m = m;
		ms->cap = cap;
	}
	return &ms->m[ms->n++];
}

static int members_push_item(members *ms, const char *s)
{
	if (ms->n_items == ms->cap_items) {
		size_t cap = ms->cap_items ? ms->cap_items * 2 : 16;
		const char **items = reallocarray(ms->items, cap, sizeof *items); /* NOLINT(bugprone-sizeof-expression): an array of pointers */
		if (!items)
			return -ENOMEM;
		ms->items = items;
		ms->cap_items = cap;
	}
	ms->items[ms->n_items++] = s;
	return 0;
}

static int member_set_field(loader *l, draft *dr, relation_field f, const members *ms, const member *m)
{
	if (m->kind == MEMBER_NULL)
		return 0;
	if (!relation_fields[f].list) {
		dr->field_bad[f] = m->kind != MEMBER_STRING;
		if (m->kind != MEMBER_STRING)
			return draft_error(l, dr, "field \"%s\" must be a string", relation_fields[f].name);
		return draft_set(l, dr, f, m->str);
	}
	if (m->kind != MEMBER_ARRAY)
		return draft_error(l, dr, "field \"%s\" must be an array of strings", relation_fields[f].name);
	for (size_t i = 0; i < m->n; i++) {
		const char *e = ms->items[m->first + i];
		if (!e)
			return draft_error(l, dr, "field \"%s\" must be an array of strings", relation_fields[f].name);
		int r = draft_set(l, dr, f, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int members_load_relation(loader *l, const members *ms, size_t index, unsigned line)
{
	draft dr = { .index = index, .line = line };
	int r;

	/* The id first, so every later message can name it. */
	for (size_t i = 0; i < ms->n; i++)
		if (loader_field_lookup_exact(ms->m[i].key) == FIELD_ID) {
			r = member_set_field(l, &dr, FIELD_ID, ms, &ms->m[i]);
			if (r < 0)
				goto fail;
			break;
		}
	for (size_t i = 0; i < ms->n; i++) {
		/* JSON field names are exact; CSV headers are not (spreadsheets). */
		int f = loader_field_lookup_exact(ms->m[i].key);
		if (f < 0) {
			r = draft_error(l, &dr, "unknown field \"%s\"", ms->m[i].key);
			if (r < 0)
				goto fail;
			continue;
		}
		if (f == FIELD_ID)
			continue;
		r = member_set_field(l, &dr, (relation_field)f, ms, &ms->m[i]);
		if (r < 0)
			goto fail;
	}
	return draft_finish(l, &dr);
fail:
	draft_done(l, &dr);
	return r;
}

/* A relation parsed by jansson, as members: its strings stay jansson's. */
static int members_from_json(members *ms, json_t *obj)
{
	const char *key;
	json_t *v;

	ms->n = ms->n_items = 0;
	json_object_foreach(obj, key, v) {
		member *m = members_push(ms);
		if (!m)
			return -ENOMEM;
		*m = (member){ .key = key, .kind = MEMBER_OTHER };
		if (json_is_string(v)) {
			m->kind = MEMBER_STRING;
			m->str = json_string_value(v);
		} else if (json_is_null(v)) {
			m->kind = MEMBER_NULL;
		} else if (json_is_array(v)) {
			m->kind = MEMBER_ARRAY;
			m->first = ms->n_items;
			m->n = json_array_size(v);
			for (size_t i = 0; i < m->n; i++) {
				json_t *e = json_array_get(v, i);
				if (members_push_item(ms, json_is_string(e) ? json_string_value(e) : NULL) < 0)
					return -ENOMEM;
			}
		}
	}
	return 0;
}

static int json_load_relation(loader *l, json_t *obj, size_t index, unsigned line)
{
	int r;

	if (!json_is_object(obj)) {
		l->failed = true;
		return diag_error(l->d, l->path, line, "relation %zu: expected an object", index);
	}
	r = members_from_json(&l->members, obj);
	if (r < 0)
		return r;
	return members_load_relation(l, &l->members, index, line);
}

/* --- JSON: the fast parser ------------------------------------------------- */

/* It takes the relations catalogues are made of (an object whose values are
 * strings, null, or arrays of strings) and returns "not mine" for anything
 * else, and for anything jansson might reject: control characters, text
 * that is not UTF-8, \u0000, unpaired surrogates, duplicate keys. jansson
 * then parses that element, so every error is still jansson's, and every
 * accepted value is the one jansson gives. It exists because jansson
 * builds a tree of a dozen allocations per relation only to be read once. */

/* The four hex digits at p (p + 4 <= end checked by the caller), or -1. */
static int32_t hex4(const char *p)
{
	int32_t v = 0;

	for (int i = 0; i < 4; i++) {
		int h = text_hex_digit(p[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}


/* The string whose opening quote is at *pp, decoded to *po (NUL-terminated;
 * never longer than its text with the quotes). Moves both past it. false:
 * not the fast parser's (jansson's to accept or reject). */
static bool fast_string(const char **pp, const char *end, char **po)
{
	const char *p = *pp + 1, *raw = p;
	char *o = *po;
	bool high = false;

	for (;;) {
		if (p >= end)
			return false;
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c < 0x20)
			return false;
		if (c != '\\') {
			high |= c >= 0x80;
			*o++ = (char)c;
			p++;
			continue;
		}
		if (end - p < 2)
			return false;
		switch (p[1]) {
		case '"': case '\\': case '/':
			*o++ = p[1];
			break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			if (end - p < 6)
				return false;
			int32_t cp = hex4(p + 2);
			if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
				return false; /* \u0000, a lone low surrogate, not hex */
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
					return false;
				int32_t lo = hex4(p + 8);
				if (lo < 0xDC00 || lo > 0xDFFF)
					return false;
				cp = ((cp - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
				p += 6;
			}
			o += text_utf8_encode((uint32_t)cp, o);
			p += 6;
			continue;
		}
		default:
			return false;
		}
		p += 2;
	}
	/* Escapes are ASCII: the raw text is UTF-8 exactly when jansson's
	 * reading of it is. */
	if (high && !text_utf8_valid(raw, (size_t)(p - raw)))
		return false;
	*o++ = '\0';
	*po = o;
	*pp = p + 1;
	return true;
}

/* s[0, len) as one relation object into ms: 1, or 0 when the fast parser
 * leaves it to jansson, or -ENOMEM. */
static int members_parse(members *ms, const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	char *o;

	ms->n = ms->n_items = 0;
	if (len + 1 > ms->text_cap) {
		char *t = realloc(ms->text, len + 1);
		if (!t)
			return -ENOMEM;
		ms->text = t;
		ms->text_cap = len + 1;
	}
	o = ms->text;
	p = json_skip_ws(p, end);
	if (p >= end || *p != '{')
		return 0;
	p = json_skip_ws(p + 1, end);
	if (p < end && *p == '}') {
		p++;
		goto done;
	}
	for (;;) {
		const char *key = o;
		if (p >= end || *p != '"' || !fast_string(&p, end, &o))
			return 0;
		/* More members than there are fields: an unknown or a repeated
		 * one, jansson's to read (it hashes the keys; a pass over the
		 * members before each would make a relation of many quadratic). */
		if (ms->n >= _FIELD_MAX)
			return 0;
		for (size_t i = 0; i < ms->n; i++)
			if (ms->m[i].key[0] == key[0] && streq(ms->m[i].key, key))
				return 0; /* jansson says "duplicate object key" */
		p = json_skip_ws(p, end);
		if (p >= end || *p != ':')
			return 0;
		p = json_skip_ws(p + 1, end);
		if (p >= end)
			return 0;
		member *m = members_push(ms);
		if (!m)
			return -ENOMEM;
		*m = (member){ .key = key };
		if (*p == '"') {
			m->kind = MEMBER_STRING;
			m->str = o;
			if (!fast_string(&p, end, &o))
				return 0;
		} else if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
			/* What follows must be a separator, checked below. */
			m->kind = MEMBER_NULL;
			p += 4;
		} else if (*p == '[') {
			m->kind = MEMBER_ARRAY;
			m->first = ms->n_items;
			p = json_skip_ws(p + 1, end);
			if (p < end && *p == ']') {
				p++;
			} else {
				for (;;) {
					const char *e = o;
					if (p >= end || *p != '"' || !fast_string(&p, end, &o))
						return 0;
					if (members_push_item(ms, e) < 0)
						return -ENOMEM;
					p = json_skip_ws(p, end);
					if (p < end && *p == ',') {
						p = json_skip_ws(p + 1, end);
						continue;
					}
					if (p < end && *p == ']') {
						p++;
						break;
					}
					return 0;
				}
			}
			m->n = ms->n_items - m->first;
		} else {
			return 0;
		}
		p = json_skip_ws(p, end);
		if (p < end && *p == ',') {
			p = json_skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}') {
			p++;
			break;
		}
		return 0;
	}
done:
	return json_skip_ws(p, end) == end ? 1 : 0;
}

/* Drops what a failed fast pass added to d's messages since n_errors /
 * n_warnings, so that the whole-file pass reports alone. */
static void diag_truncate(diag_list *d, size_t n_errors, size_t n_warnings)
{
	for (size_t i = n_errors; d->errors && d->errors[i]; i++) {
		free(d->errors[i]);
		d->errors[i] = NULL;
	}
	for (size_t i = n_warnings; d->warnings && d->warnings[i]; i++) {
		free(d->warnings[i]);
		d->warnings[i] = NULL;
	}
}

/* The top level: an object with only "relations" (an array), or an array.
 * 1 and *ret_array, or 0 when an error was reported, or -ENOMEM. */
static int json_top_level(loader *l, json_t *root, json_t **ret_array)
{
	int r;

	if (json_is_object(root)) {
		const char *key;
		json_t *v;
		json_object_foreach(root, key, v) {
			if (!streq(key, "relations")) {
				l->failed = true;
				r = diag_error(l->d, l->path, 0, "unknown top-level field \"%s\"", key);
				if (r < 0)
					return r;
			}
		}
		*ret_array = json_object_get(root, "relations");
		if (!json_is_array(*ret_array)) {
			l->failed = true;
			r = diag_error(l->d, l->path, 0, "expected \"relations\": an array of relations");
			return r < 0 ? r : 0;
		}
		/* Unknown fields are errors; the relations are still checked. */
		return 1;
	}
	if (json_is_array(root)) {
		*ret_array = root;
		return 1;
	}
	l->failed = true;
	r = diag_error(l->d, l->path, 0, "expected an object with \"relations\", or an array");
	return r < 0 ? r : 0;
}

/* The whole file as one tree: the fallback that reports syntax errors with
 * jansson's line, and the path for anything the fast pass does not take. */
static int json_load_whole(loader *l, const char *buf, size_t len)
{
	json_error_t err;
	json_t *root, *array = NULL;
	_cleanup_free_ json_span *spans = NULL;
	size_t n_spans = 0;
	int r;

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		l->failed = true;
		return diag_error(l->d, l->path, err.line > 0 ? (unsigned)err.line : 0, "invalid JSON: %s", err.text);
	}
	r = json_top_level(l, root, &array);
	if (r <= 0)
		goto out;
	/* Lines, where the scanner can tell; else 0. */
	r = json_element_spans(buf, len, &spans, &n_spans);
	if (r == -ENOMEM)
		goto out;
	if (n_spans != json_array_size(array))
		n_spans = 0;
	r = 0;
	for (size_t i = 0; i < json_array_size(array) && !l->full; i++) {
		r = json_load_relation(l, json_array_get(array, i), i + 1, n_spans ? spans[i].line : 0);
		if (r < 0)
			goto out;
	}
out:
	json_decref(root);
	return r;
}

/* Spans [from, to) of buf, each one relation, into l: 0, -ENOMEM, or
 * JSON_SPANS_SYNTAX when one of them is not JSON at all (then only a parse
 * of the whole file can say where). */
#define JSON_SPANS_SYNTAX 1
static int json_load_spans(loader *l, const char *buf, const json_span *spans, size_t from, size_t to)
{
	for (size_t i = from; i < to && !l->full; i++) {
		json_error_t err;
		int r = members_parse(&l->members, buf + spans[i].start, spans[i].end - spans[i].start);
		if (r < 0)
			return r;
		if (r > 0) {
			r = members_load_relation(l, &l->members, i + 1, spans[i].line);
			if (r < 0)
				return r;
			continue;
		}
		json_t *e = json_loadb(buf + spans[i].start, spans[i].end - spans[i].start,
				       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
		if (!e)
			return JSON_SPANS_SYNTAX;
		r = json_load_relation(l, e, i + 1, spans[i].line);
		json_decref(e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- reading the relations on several threads -----------------------------
 * A large catalogue's relations are read by one thread per CPU, each a
 * contiguous run of them into a loader of its own (its own relations,
 * strings and messages), joined in file order after: the set, the
 * messages and their order are those of one thread reading them all.
 * Only a catalogue that cannot reach CW_MAX_RELATIONS is read so: the
 * message about the limit depends on how many were read before it. */
#define JSON_PART_MIN 4096       /* relations a thread is worth starting for */
#define JSON_PART_MAX_THREADS 4

typedef struct json_part {
	const char *buf;
	const json_span *spans;
	size_t from, to;
	pthread_t thread;
	diag_list d;
	relation_set set;    /* the part's relations, in its own store */
	loader l;
	int r;               /* json_load_spans's */
	bool started;
} json_part;

static void *json_part_run(void *arg)
{
	json_part *p = arg;
	p->r = loader_set_reserve(&p->set, p->to - p->from);
	if (p->r >= 0)
		p->r = json_load_spans(&p->l, p->buf, p->spans, p->from, p->to);
	return NULL;
}

static void json_part_done(json_part *p)
{
	loader_done(&p->l);
	relation_set_done(&p->set);
	diag_done(&p->d);
}

/* Part p's relations and messages behind l's. */
static int json_part_join(loader *l, json_part *p)
{
	size_t n = p->set.n;
	/* Room first: once the messages have moved, the relations must too. */
	int r = loader_set_reserve(l->set, n);
	if (r >= 0)
		r = diag_append_steal(l->d, &p->d);
	if (r >= 0)
		r = loader_set_append_steal(l->set, &p->set);
	if (r < 0)
		return r;
	l->n += n;
	l->failed |= p->l.failed;
	return 0;
}

/* How many threads read n relations: 1 when it is not worth it. */
static size_t json_load_threads(size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t k = cpus < 1 ? 1 : cpus > JSON_PART_MAX_THREADS ? JSON_PART_MAX_THREADS : (size_t)cpus;
	while (k > 1 && n / k < JSON_PART_MIN)
		k--;
	return k;
}

/* json_load_spans over all n spans, on k threads (k > 1), the caller's the
 * first. A part whose thread cannot be started is read by the caller,
 * after its own. */
static int json_load_parallel(loader *l, const char *buf, const json_span *spans, size_t n, size_t k)
{
	json_part parts[JSON_PART_MAX_THREADS] = { 0 };
	int r = 0;

	/* Every part's relations name the file by the one copy in the set's
	 * arena, made now rather than by whichever part finishes one first. */
	if (!loader_source(l))
		return -ENOMEM;
	for (size_t i = 1; i < k; i++) {
		json_part *p = &parts[i];
		*p = (json_part){ .buf = buf, .spans = spans, .from = n * i / k, .to = n * (i + 1) / k };
		p->l = (loader){ .path = l->path, .set = &p->set, .source = l->source, .free_mail = l->free_mail,
				 .d = &p->d, .base = l->base };
		p->started = pthread_create(&p->thread, NULL, json_part_run, p) == 0;
	}
	r = json_load_spans(l, buf, spans, 0, n / k);
	for (size_t i = 1; i < k; i++) {
		json_part *p = &parts[i];
		if (p->started)
			pthread_join(p->thread, NULL);
		else if (r == 0)
			json_part_run(p);
	}
	/* Joined in order; the first part that failed decides, as it would
	 * have stopped one thread reading them all. */
	for (size_t i = 1; i < k && r == 0; i++)
		r = parts[i].r != 0 ? parts[i].r : json_part_join(l, &parts[i]);
	for (size_t i = 1; i < k; i++)
		json_part_done(&parts[i]);
	return r;
}

int relations_json_load(loader *l, const char *buf, size_t len)
{
	_cleanup_free_ json_span *spans = NULL;
	size_t n_spans = 0, n_errors = strv_length(l->d->errors), n_warnings = strv_length(l->d->warnings);
	size_t n0 = l->n, set_n0 = l->set->n;
	bool failed0 = l->failed, full0 = l->full;
	size_t skel_size = 0;
	json_t *skel, *array = NULL;
	int r;

	r = json_element_spans(buf, len, &spans, &n_spans);
	if (r == -ENOMEM)
		return r;
	if (r != 0 || n_spans == 0)
		return json_load_whole(l, buf, len);
	skel = json_skeleton(buf, len, spans, n_spans, &skel_size);
	if (!skel)
		return json_load_whole(l, buf, len);
	/* The shapes must agree before anything is reported. */
	array = json_is_object(skel) ? json_object_get(skel, "relations") : skel;
	if (!json_is_array(array) || json_array_size(array) != skel_size) {
		json_decref(skel);
		return json_load_whole(l, buf, len);
	}
	r = json_top_level(l, skel, &array);
	json_decref(skel);
	if (r <= 0)
		return r;
	/* Room for every relation at once (a hint: errors leave some out). */
	r = loader_set_reserve(l->set, n_spans < CW_MAX_RELATIONS ? n_spans : CW_MAX_RELATIONS);
	if (r < 0)
		return r;
	size_t k = l->base + n_spans < CW_MAX_RELATIONS ? json_load_threads(n_spans) : 1;
	r = k > 1 ? json_load_parallel(l, buf, spans, n_spans, k) : json_load_spans(l, buf, spans, 0, n_spans);
	if (r == JSON_SPANS_SYNTAX) {
		/* A syntax error inside an element: undo this pass (its
		 * relations' strings stay in the arena until the set is freed)
		 * and let the whole-file parse say where. */
		l->n = n0;
		l->set->n = set_n0;
		l->failed = failed0;
		l->full = full0;
		diag_truncate(l->d, n_errors, n_warnings);
		return json_load_whole(l, buf, len);
	}
	return r;
}

