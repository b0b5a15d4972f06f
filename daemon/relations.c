/* relations.c — restricted-relation catalogues: reading relations/NAME.json
 * (relations by a small parser of our own, anything unusual and the
 * document around them by jansson) and *.csv (RFC 4180), validating every
 * field, normalising domains, and the duplicate-id check over one
 * employee's clause. No logging: every problem goes to the caller's
 * diag_list as "file:line: ...". A loaded set keeps all its strings in one
 * arena of large blocks, so loading makes few allocations and
 * relation_set_done is a handful of free() calls. */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "contactwatch/fileio.h"
#include "contactwatch/hash.h"
#include "contactwatch/names.h"
#include "contactwatch/relations.h"
#include "contactwatch/text.h"

typedef enum relation_field {
	FIELD_ID,
	FIELD_TYPE,
	FIELD_NAME,
	FIELD_ALIASES,
	FIELD_DOMAINS,
	FIELD_COMPANY,
	FIELD_EMAILS,
	FIELD_LINKEDIN,
	_FIELD_MAX,
} relation_field;

static const struct {
	const char *name;
	bool list;
} relation_fields[_FIELD_MAX] = {
	[FIELD_ID] = { "id", false },
	[FIELD_TYPE] = { "type", false },
	[FIELD_NAME] = { "name", false },
	[FIELD_ALIASES] = { "aliases", true },
	[FIELD_DOMAINS] = { "domains", true },
	[FIELD_COMPANY] = { "company", false },
	[FIELD_EMAILS] = { "emails", true },
	[FIELD_LINKEDIN] = { "linkedin", false },
};

#define RELATION_MAX_ID_BYTES 128u

/* --- arena and store ------------------------------------------------------- */

/* Blocks are this large unless one request needs more: 100,000 relations
 * take some 70 blocks instead of half a million small allocations. */
#define ARENA_BLOCK_BYTES ((size_t)256 * 1024)

typedef struct arena_block {
	struct arena_block *next;
	size_t used, size;
	alignas(max_align_t) char data[];
} arena_block;

/* Its blocks hold every string and strv of one set's relations, and are
 * freed together, never one allocation at a time. */
typedef struct relation_arena {
	arena_block *head; /* the block being filled; older ones follow */
} relation_arena;

static void arena_done(relation_arena *a)
{
	for (arena_block *b = a->head, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

/* Empties a for reuse, keeping its newest block: a scratch arena that
 * serves one relation after another allocates once. */
static void arena_reset(relation_arena *a)
{
	arena_block *keep = a->head;

	if (!keep)
		return;
	for (arena_block *b = keep->next, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	keep->next = NULL;
	keep->used = 0;
}

/* size bytes aligned to align (a power of two). NULL on ENOMEM. */
static void *arena_alloc(relation_arena *a, size_t size, size_t align)
{
	arena_block *b = a->head;

	if (b) {
		size_t off = (b->used + align - 1) & ~(align - 1);
		if (off <= b->size && size <= b->size - off) {
			b->used = off + size;
			return b->data + off;
		}
	}
	size_t bsize = size > ARENA_BLOCK_BYTES ? size : ARENA_BLOCK_BYTES;
	b = malloc(offsetof(arena_block, data) + bsize);
	if (!b)
		return NULL;
	/* data is max_align_t aligned, so offset 0 suits any align. */
	b->next = a->head;
	b->size = bsize;
	b->used = size;
	a->head = b;
	return b->data;
}

static char *arena_strdup(relation_arena *ap, const char *s)
{
	size_t len;
	char *p;

	if (!s)
		return NULL;
	len = strlen(s);
	p = arena_alloc(ap, len + 1, 1);
	if (p)
		memcpy(p, s, len + 1);
	return p;
}

/* A copy of strv l in the arena (NULL stays NULL). -ENOMEM, else 0. */
static int arena_strv(relation_arena *ap, char *const *l, char ***ret)
{
	size_t n = strv_length(l);
	char **v;

	*ret = NULL;
	if (!l)
		return 0;
	v = arena_alloc(ap, (n + 1) * sizeof *v, alignof(char *));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = arena_strdup(ap, l[i]);
		if (!v[i])
			return -ENOMEM;
	}
	v[n] = NULL;
	*ret = v;
	return 0;
}

/* What a loaded relation_set owns (set->store), in one allocation with its
 * items: set->items is &store->items[0]. */
typedef struct set_store {
	relation_arena arena; /* the strings and strvs of items[0..n) */
	size_t cap;           /* items allocated */
	relation items[];
} set_store;

static set_store *set_store_of(const relation_set *set)
{
	return set->store;
}

/* Room for `more` relations in set beyond those it has, moving the store
 * (and set->items) if it must grow: doubling, or at once to what a file
 * says it holds, so a large catalogue's items are not copied a dozen
 * times. 0 or -ENOMEM. */
static int set_store_reserve(relation_set *set, size_t more)
{
	set_store *st = set_store_of(set);

	if (more <= st->cap - set->n)
		return 0;
	size_t cap = st->cap ? st->cap * 2 : 64;
	if (more > SIZE_MAX / 2 - set->n)
		return -ENOMEM;
	if (cap < set->n + more)
		cap = set->n + more;
	if (cap > (SIZE_MAX - sizeof *st) / sizeof(relation))
		return -ENOMEM;
	set_store *n = realloc(st, sizeof *st + cap * sizeof(relation));
	if (!n)
		return -ENOMEM; /* st and set unchanged */
	n->cap = cap;
	set->store = n;
	set->items = n->items;
	return 0;
}

/* set's store, created (empty) on first use. NULL on ENOMEM. */
static set_store *set_store_get(relation_set *set)
{
	set_store *st;

	if (set->store)
		return set_store_of(set);
	st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	set->store = st;
	set->items = st->items;
	return st;
}

/* --- a set of strings ------------------------------------------------------ */

/* FNV-1a: the keys (ids, domains) are short, and any spread will do. */
static uint64_t str_hash(const char *s)
{
	uint64_t h = HASH_FNV1A_OFFSET;

	for (; *s; s++)
		h = hash_fnv1a_step(h, (unsigned char)*s);
	return h;
}

/* Open addressing over borrowed strings: was this id seen. */
typedef struct str_set_entry {
	const char *key; /* NULL: free */
	uint64_t hash;
} str_set_entry;

typedef struct str_set {
	str_set_entry *e;
	size_t cap; /* a power of two, at least twice the keys */
} str_set;

static int str_set_init(str_set *set, size_t n)
{
	size_t cap = 16;

	while (cap < n * 2) {
		if (cap > SIZE_MAX / 4 / sizeof *set->e)
			return -ENOMEM;
		cap *= 2;
	}
	set->e = calloc(cap, sizeof *set->e);
	set->cap = set->e ? cap : 0;
	return set->e ? 0 : -ENOMEM;
}

static void str_set_done(str_set *set)
{
	free(set->e);
	*set = (str_set){ 0 };
}

/* key's slot: where it is, or the free one where it would go. */
static str_set_entry *str_set_slot(const str_set *set, const char *key, uint64_t h)
{
	for (size_t k = h & (set->cap - 1);; k = (k + 1) & (set->cap - 1)) {
		str_set_entry *e = &set->e[k];
		if (!e->key || (e->hash == h && streq(e->key, key)))
			return e;
	}
}

/* Adds key (borrowed; the set holds fewer than cap / 2): true when it was
 * not there yet. */
static bool str_set_add(str_set *set, const char *key)
{
	uint64_t h = str_hash(key);
	str_set_entry *e = str_set_slot(set, key, h);

	if (e->key)
		return false;
	*e = (str_set_entry){ .key = key, .hash = h };
	return true;
}


/* A relation object as the checks see it, whoever parsed it: its members in
 * the order written, each value's JSON type, and the strings. Both parsers
 * fill it (the fast one below, and jansson for what that one leaves
 * alone), so a relation means the same whichever read it. */
typedef enum member_kind {
	MEMBER_STRING,
	MEMBER_NULL,
	MEMBER_ARRAY,
	MEMBER_OTHER, /* number, boolean, object */
} member_kind;

typedef struct member {
	const char *key;
	member_kind kind;
	const char *str;     /* MEMBER_STRING */
	size_t first, n;     /* MEMBER_ARRAY: items[first, first + n); NULL for
			      * an element that is not a string */
} member;

/* Reused from one relation to the next: a catalogue's worth of relations
 * costs a handful of allocations, not several per relation. */
typedef struct members {
	member *m;
	size_t n, cap;
	const char **items;
	size_t n_items, cap_items;
	char *text;          /* the fast parser's decoded strings */
	size_t text_cap;
} members;

/* One catalogue being read: where messages go and what was read so far.
 * New relations collect in `items` and join the caller's set in one step. */
typedef struct loader {
	const char *path;
	relation_set *set; /* receives the relations, its arena their strings */
	char *source;      /* path, copied once into the arena; NULL until needed */
	const names_free_mail *free_mail;
	diag_list *d;
	members members; /* the relation being read (JSON) */
	relation_arena scratch; /* the draft's strings, emptied for each relation */
	size_t base;     /* relations already in the set */
	size_t n;        /* this file's, appended to the set after base */
	bool failed;     /* at least one error reported */
	bool full;       /* CW_MAX_RELATIONS reached and reported */
} loader;

/* A relation while its fields arrive, with what the checks need on the side.
 * Its strings and lists are in the loader's scratch arena until
 * draft_finish copies them into the set's; draft_done empties the scratch
 * for the next relation. A relation costs no malloc() of its own. */
typedef struct draft {
	relation r;
	size_t n_list[_FIELD_MAX], cap_list[_FIELD_MAX]; /* r's lists */
	bool have_type;
	bool bad;        /* an error about it was reported already */
	bool field_bad[_FIELD_MAX]; /* ...about this field: no "missing" on top */
	size_t index;    /* 1-based position in the file */
	unsigned line;
} draft;

const char *relation_type_to_string(relation_type t)
{
	switch (t) {
	case RELATION_COMPANY:
		return "company";
	case RELATION_PERSON:
		return "person";
	}
	return NULL;
}

void relation_set_done(relation_set *set)
{
	if (!set)
		return;
	set_store *st = set_store_of(set);
	if (st) {
		arena_done(&st->arena);
		free(st);
	}
	*set = (relation_set){ 0 };
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* s[0, *len) without white space at either end: the new start, and *len. */
static const char *trim_range(const char *s, size_t *len)
{
	while (*len > 0 && is_space(*s)) {
		s++;
		(*len)--;
	}
	while (*len > 0 && is_space(s[*len - 1]))
		(*len)--;
	return s;
}

/* Trimmed copy of s[0..len). */
static char *strndup_trim(const char *s, size_t len)
{
	s = trim_range(s, &len);
	return strndup(s, len);
}

/* Empties the draft and the scratch arena its strings were in. */
static void draft_done(loader *l, draft *dr)
{
	arena_reset(&l->scratch);
	dr->r = (relation){ 0 };
	memset(dr->n_list, 0, sizeof dr->n_list);
	memset(dr->cap_list, 0, sizeof dr->cap_list);
}

/* strndup_trim into the scratch arena. */
static char *draft_strndup_trim(loader *l, const char *s, size_t len)
{
	char *p;

	s = trim_range(s, &len);
	p = arena_alloc(&l->scratch, len + 1, 1);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

/* Appends s (in the scratch arena already) to the draft's list *v of
 * field f. 0 or -ENOMEM. */
static int draft_list_push(loader *l, draft *dr, relation_field f, char ***v, char *s)
{
	size_t n = dr->n_list[f];

	if (n + 1 >= dr->cap_list[f]) {
		size_t cap = dr->cap_list[f] ? dr->cap_list[f] * 2 : 4;
		/* The old vector stays in the scratch until the relation is done. */
		char **nv = arena_alloc(&l->scratch, cap * sizeof *nv, alignof(char *));
		if (!nv)
			return -ENOMEM;
		if (n)
			memcpy(nv, *v, n * sizeof *nv);
		*v = nv;
		dr->cap_list[f] = cap;
	}
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
	dr->n_list[f] = n + 1;
	return 0;
}

static int field_lookup(const char *name)
{
	for (int i = 0; i < _FIELD_MAX; i++)
		if (strcasecmp(relation_fields[i].name, name) == 0)
			return i;
	return -1;
}

static int field_lookup_exact(const char *name)
{
	/* The first letters differ: one strcmp per member, not eight. */
	for (int i = 0; i < _FIELD_MAX; i++)
		if (relation_fields[i].name[0] == name[0] && streq(relation_fields[i].name, name))
			return i;
	return -1;
}

/* The message prefix naming one relation: catalogues have no per-object
 * positions in jansson, so the index and id let an admin find it. */
static void draft_label(const draft *dr, char *buf, size_t size)
{
	if (dr->r.id)
		snprintf(buf, size, "relation %zu (id %s)", dr->index, dr->r.id);
	else
		snprintf(buf, size, "relation %zu", dr->index);
}

static int draft_error(loader *l, draft *dr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int draft_error(loader *l, draft *dr, const char *fmt, ...)
{
	char label[RELATION_MAX_ID_BYTES + 64], msg[1024];
	va_list ap;

	draft_label(dr, label, sizeof label);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	dr->bad = true;
	l->failed = true;
	return diag_error(l->d, l->path, dr->line, "%s: %s", label, msg);
}

static bool email_is_valid(const char *s)
{
	const char *at = strchr(s, '@');

	if (!at || at == s || !at[1] || strchr(at + 1, '@'))
		return false;
	for (const char *p = s; *p; p++)
		if (is_space(*p) || (unsigned char)*p < 0x20)
			return false;
	return true;
}

static int draft_add_domain(loader *l, draft *dr, const char *value)
{
	char *dom = draft_strndup_trim(l, value, strlen(value));
	char *p;

	if (!dom)
		return -ENOMEM;
	p = dom;
	/* "@jansenbouw.nl" and "jansenbouw.nl." name the same domain. */
	if (*p == '@')
		p++;
	size_t len = strlen(p);
	if (len > 0 && p[len - 1] == '.')
		p[--len] = '\0';
	for (char *q = p; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	if (!names_domain_is_valid(p))
		return draft_error(l, dr, "invalid domain \"%s\"", value);
	if (names_domain_is_free_mail(p, l->free_mail)) {
		/* Kept, it would tie every contact at that mail provider to the
		 * relation; dropped with a warning, the catalogue still loads. */
		char label[RELATION_MAX_ID_BYTES + 64];
		draft_label(dr, label, sizeof label);
		return diag_warning(l->d, l->path, dr->line,
				    "%s: domain %s is a free-mail or ISP domain and identifies no employer; ignored",
				    label, p);
	}
	if (strv_contains(dr->r.domains, p))
		return 0;
	return draft_list_push(l, dr, FIELD_DOMAINS, &dr->r.domains, p);
}

/* Stores one value of one field; lists get one call per element. */
static int draft_set(loader *l, draft *dr, relation_field f, const char *value)
{
	char *v = draft_strndup_trim(l, value, strlen(value));
	char **scalar = NULL;

	if (!v)
		return -ENOMEM;
	dr->field_bad[f] = true; /* until the value is accepted */
	switch (f) {
	case FIELD_ID:
		if (isempty(v))
			return draft_error(l, dr, "empty id");
		if (strlen(v) > RELATION_MAX_ID_BYTES)
			return draft_error(l, dr, "id longer than %u bytes", RELATION_MAX_ID_BYTES);
		for (const char *p = v; *p; p++)
			if (is_space(*p) || (unsigned char)*p < 0x20)
				return draft_error(l, dr, "id \"%s\" contains white space", v);
		scalar = &dr->r.id;
		break;
	case FIELD_TYPE:
		if (strcasecmp(v, "company") == 0)
			dr->r.type = RELATION_COMPANY;
		else if (strcasecmp(v, "person") == 0)
			dr->r.type = RELATION_PERSON;
		else
			return draft_error(l, dr, "type must be company or person, not \"%s\"", v);
		dr->have_type = true;
		dr->field_bad[f] = false;
		return 0;
	case FIELD_NAME:
		scalar = &dr->r.name;
		break;
	case FIELD_COMPANY:
		scalar = &dr->r.company;
		break;
	case FIELD_LINKEDIN:
		scalar = &dr->r.linkedin;
		break;
	case FIELD_ALIASES:
		dr->field_bad[f] = false;
		if (isempty(v) || strv_contains(dr->r.aliases, v))
			return 0;
		return draft_list_push(l, dr, FIELD_ALIASES, &dr->r.aliases, v);
	case FIELD_DOMAINS:
		dr->field_bad[f] = false;
		if (isempty(v))
			return 0;
		return draft_add_domain(l, dr, v);
	case FIELD_EMAILS:
		if (isempty(v))
			return 0;
		if (!email_is_valid(v))
			return draft_error(l, dr, "invalid e-mail address \"%s\"", v);
		dr->field_bad[f] = false;
		if (strv_contains(dr->r.emails, v))
			return 0;
		return draft_list_push(l, dr, FIELD_EMAILS, &dr->r.emails, v);
	default:
		return -EINVAL;
	}
	dr->field_bad[f] = false;
	/* Empty optional scalars are absent; a missing name is caught later. */
	if (isempty(v))
		return 0;
	*scalar = v;
	return 0;
}

/* Checks the required fields and moves a complete draft into the loader. */
static int draft_finish(loader *l, draft *dr)
{
	int r = 0;

	if (!dr->r.id && !dr->field_bad[FIELD_ID])
		r = draft_error(l, dr, "missing required field \"id\"");
	if (r >= 0 && !dr->have_type && !dr->field_bad[FIELD_TYPE])
		r = draft_error(l, dr, "missing required field \"type\"");
	if (r >= 0 && !dr->r.name && !dr->field_bad[FIELD_NAME])
		r = draft_error(l, dr, "missing required field \"name\"");
	if (r < 0 || dr->bad)
		goto fail;
	if (l->base + l->n >= CW_MAX_RELATIONS) {
		if (!l->full)
			r = diag_error(l->d, l->path, dr->line, "more than %u relations", CW_MAX_RELATIONS);
		l->full = true;
		l->failed = true;
		goto fail;
	}
	if (set_store_reserve(l->set, 1) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	/* Only now: the arena's list moves with the store. */
	relation_arena *ap = &set_store_of(l->set)->arena;
	if (!l->source) {
		l->source = arena_strdup(ap, l->path);
		if (!l->source) {
			r = -ENOMEM;
			goto fail;
		}
	}
	/* The draft's strings move into the arena; what a failure leaves
	 * there is freed with the set. */
	relation *dst = &l->set->items[l->set->n];
	*dst = (relation){ .type = dr->r.type, .source = l->source };
	if (!(dst->id = arena_strdup(ap, dr->r.id)) || !(dst->name = arena_strdup(ap, dr->r.name)) ||
	    (dr->r.company && !(dst->company = arena_strdup(ap, dr->r.company))) ||
	    (dr->r.linkedin && !(dst->linkedin = arena_strdup(ap, dr->r.linkedin))) ||
	    arena_strv(ap, dr->r.aliases, &dst->aliases) < 0 || arena_strv(ap, dr->r.domains, &dst->domains) < 0 ||
	    arena_strv(ap, dr->r.emails, &dst->emails) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	l->set->n++;
	l->n++;
	draft_done(l, dr);
	return 0;
fail:
	draft_done(l, dr);
	return r < 0 ? r : 0;
}

/* --- JSON ------------------------------------------------------------------ */

/* JSON's white space (fewer characters than is_space). */
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

	while (i < len && is_space(buf[i]))
		line += buf[i++] == '\n';
	if (i >= len || (buf[i] != '[' && buf[i] != '{'))
		return -EBADMSG;
	if (buf[i] == '[')
		target = 1;
	for (; i < len; i++) {
		char c = buf[i];

		if (c == '\n')
			line++;
		if (is_space(c))
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
				while (j < len && is_space(buf[j]))
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

static void members_done(members *ms)
{
	free(ms->m);
	free(ms->items);
	free(ms->text);
	*ms = (members){ 0 };
}

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
		if (field_lookup_exact(ms->m[i].key) == FIELD_ID) {
			r = member_set_field(l, &dr, FIELD_ID, ms, &ms->m[i]);
			if (r < 0)
				goto fail;
			break;
		}
	for (size_t i = 0; i < ms->n; i++) {
		/* JSON field names are exact; CSV headers are not (spreadsheets). */
		int f = field_lookup_exact(ms->m[i].key);
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
	p->r = set_store_get(&p->set) ? set_store_reserve(&p->set, p->to - p->from) : -ENOMEM;
	if (p->r >= 0)
		p->r = json_load_spans(&p->l, p->buf, p->spans, p->from, p->to);
	return NULL;
}

static void json_part_done(json_part *p)
{
	members_done(&p->l.members);
	arena_done(&p->l.scratch);
	relation_set_done(&p->set);
	diag_done(&p->d);
}

/* Part p's relations and messages behind l's; its strings' blocks join the
 * set's arena (the relations point into them). */
static int json_part_join(loader *l, json_part *p)
{
	set_store *from = set_store_of(&p->set);
	int r = set_store_reserve(l->set, p->set.n);
	if (r >= 0)
		r = diag_append_steal(l->d, &p->d);
	if (r < 0)
		return r;
	if (p->set.n > 0)
		memcpy(&l->set->items[l->set->n], p->set.items, p->set.n * sizeof *p->set.items);
	l->set->n += p->set.n;
	l->n += p->set.n;
	l->failed |= p->l.failed;
	p->set.n = 0;
	relation_arena *to = &set_store_of(l->set)->arena;
	if (from->arena.head) {
		arena_block *last = from->arena.head;
		while (last->next)
			last = last->next;
		/* Behind the block being filled, which stays the one filled. */
		if (to->head) {
			last->next = to->head->next;
			to->head->next = from->arena.head;
		} else {
			to->head = from->arena.head;
		}
		from->arena.head = NULL;
	}
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
	if (!l->source && !(l->source = arena_strdup(&set_store_of(l->set)->arena, l->path)))
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

static int json_load(loader *l, const char *buf, size_t len)
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
	r = set_store_reserve(l->set, n_spans < CW_MAX_RELATIONS ? n_spans : CW_MAX_RELATIONS);
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

/* --- CSV ------------------------------------------------------------------- */

typedef struct csv_reader {
	const char *buf;
	size_t len, pos;
	unsigned line;     /* physical line of pos */
	char *field;       /* the cell being assembled */
	size_t field_len, field_cap;
} csv_reader;

static int csv_field_putc(csv_reader *c, char ch)
{
	if (c->field_len + 1 >= c->field_cap) {
		if (c->field_cap >= CW_MAX_FIELD_BYTES)
			return -E2BIG;
		size_t cap = c->field_cap ? c->field_cap * 2 : 128;
		char *n = realloc(c->field, cap);
		if (!n)
			return -ENOMEM;
		c->field = n;
		c->field_cap = cap;
	}
	c->field[c->field_len++] = ch;
	c->field[c->field_len] = '\0';
	return 0;
}

/* Consumes an end of line (LF, CRLF or CR) at pos, if any. */
static bool csv_eol(csv_reader *c)
{
	if (c->pos >= c->len)
		return false;
	if (c->buf[c->pos] == '\n') {
		c->pos++;
		c->line++;
		return true;
	}
	if (c->buf[c->pos] == '\r') {
		c->pos++;
		if (c->pos < c->len && c->buf[c->pos] == '\n')
			c->pos++;
		c->line++;
		return true;
	}
	return false;
}

/* One record (RFC 4180: quoted cells may hold commas, "" and line breaks).
 * *ret_line is where it starts. 0 and NULL at end of input; -EBADMSG for
 * a stray quote, -E2BIG for an oversized cell or too many columns. */
static int csv_read_record(csv_reader *c, char ***ret, unsigned *ret_line)
{
	char **fields = NULL;
	int r;

	*ret = NULL;
	if (c->pos >= c->len)
		return 0;
	*ret_line = c->line;
	for (;;) {
		c->field_len = 0;
		r = csv_field_putc(c, '\0'); /* makes field a valid empty string */
		if (r < 0)
			goto fail;
		c->field_len = 0;
		if (c->pos < c->len && c->buf[c->pos] == '"') {
			c->pos++;
			for (;;) {
				if (c->pos >= c->len) {
					r = -EBADMSG;
					goto fail;
				}
				char ch = c->buf[c->pos++];
				if (ch == '"') {
					if (c->pos < c->len && c->buf[c->pos] == '"')
						c->pos++;
					else
						break;
				} else if (ch == '\n' || (ch == '\r' && !(c->pos < c->len && c->buf[c->pos] == '\n'))) {
					c->line++;
				}
				r = csv_field_putc(c, ch);
				if (r < 0)
					goto fail;
			}
			if (c->pos < c->len && c->buf[c->pos] != ',' && c->buf[c->pos] != '\n' &&
			    c->buf[c->pos] != '\r') {
				r = -EBADMSG;
				goto fail;
			}
		} else {
			while (c->pos < c->len && c->buf[c->pos] != ',' && c->buf[c->pos] != '\n' &&
			       c->buf[c->pos] != '\r') {
				r = csv_field_putc(c, c->buf[c->pos++]);
				if (r < 0)
					goto fail;
			}
		}
		if (strv_length(fields) >= CW_MAX_COLUMNS) {
			r = -E2BIG;
			goto fail;
		}
		r = strv_push(&fields, c->field);
		if (r < 0)
			goto fail;
		if (c->pos < c->len && c->buf[c->pos] == ',') {
			c->pos++;
			continue;
		}
		csv_eol(c);
		break;
	}
	*ret = fields;
	return 0;
fail:
	strv_free(fields);
	return r;
}

static bool csv_record_blank(char *const *fields)
{
	if (strv_length(fields) != 1)
		return false;
	for (const char *p = fields[0]; *p; p++)
		if (!is_space(*p))
			return false;
	return true;
}

static int csv_error(loader *l, unsigned line, int r)
{
	l->failed = true;
	if (r == -EBADMSG)
		return diag_error(l->d, l->path, line, "malformed CSV: unbalanced or stray quote");
	if (r == -E2BIG)
		return diag_error(l->d, l->path, line, "CSV cell larger than %u bytes or more than %u columns",
				  CW_MAX_FIELD_BYTES, CW_MAX_COLUMNS);
	return r;
}

static int csv_load_row(loader *l, const int *columns, size_t n_columns, char **fields, size_t index, unsigned line)
{
	draft dr = { .index = index, .line = line };
	int r = 0;

	if (strv_length(fields) != n_columns) {
		l->failed = true;
		return diag_error(l->d, l->path, line, "relation %zu: %zu fields where the header has %zu", index,
				  strv_length(fields), n_columns);
	}
	/* The id first, so every later message can name it. */
	for (size_t i = 0; i < n_columns; i++)
		if (columns[i] == FIELD_ID) {
			r = draft_set(l, &dr, FIELD_ID, fields[i]);
			if (r < 0)
				goto fail;
		}
	for (size_t i = 0; i < n_columns; i++) {
		relation_field f = (relation_field)columns[i];
		if (f == FIELD_ID)
			continue;
		if (!relation_fields[f].list) {
			r = draft_set(l, &dr, f, fields[i]);
			if (r < 0)
				goto fail;
			continue;
		}
		/* Lists are '|'-separated in one cell. */
		char *save = NULL;
		for (char *tok = strtok_r(fields[i], "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
			r = draft_set(l, &dr, f, tok);
			if (r < 0)
				goto fail;
		}
	}
	return draft_finish(l, &dr);
fail:
	draft_done(l, &dr);
	return r;
}

static int csv_load(loader *l, const char *buf, size_t len)
{
	csv_reader c = { .buf = buf, .len = len, .line = 1 };
	char **fields = NULL;
	int columns[CW_MAX_COLUMNS];
	size_t n_columns = 0, index = 0;
	unsigned line = 0;
	bool seen[_FIELD_MAX] = { false }, header_ok = true;
	int r;

	/* A UTF-8 byte order mark (spreadsheet exports) is not part of "id". */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		c.pos = 3;
	do {
		fields = strv_free(fields);
		r = csv_read_record(&c, &fields, &line);
		if (r < 0) {
			r = csv_error(l, c.line, r);
			goto out;
		}
	} while (fields && csv_record_blank(fields));
	if (!fields) {
		l->failed = true;
		r = diag_error(l->d, l->path, 0, "empty file: expected a header line (id,type,name,...)");
		goto out;
	}
	n_columns = strv_length(fields);
	for (size_t i = 0; i < n_columns; i++) {
		char *name = strndup_trim(fields[i], strlen(fields[i]));
		if (!name) {
			r = -ENOMEM;
			goto out;
		}
		int f = field_lookup(name);
		if (f < 0 || seen[f]) {
			header_ok = false;
			l->failed = true;
			r = diag_error(l->d, l->path, line, f < 0 ? "unknown column \"%s\"" : "duplicate column \"%s\"",
				       name);
			free(name);
			if (r < 0)
				goto out;
			continue;
		}
		free(name);
		seen[f] = true;
		columns[i] = f;
	}
	for (int f = FIELD_ID; f <= FIELD_NAME; f++)
		if (!seen[f]) {
			header_ok = false;
			l->failed = true;
			r = diag_error(l->d, l->path, line, "missing required column \"%s\"", relation_fields[f].name);
			if (r < 0)
				goto out;
		}
	/* Rows cannot be read reliably against a header that is wrong. */
	if (!header_ok) {
		r = 0;
		goto out;
	}
	for (;;) {
		fields = strv_free(fields);
		r = csv_read_record(&c, &fields, &line);
		if (r < 0) {
			r = csv_error(l, c.line, r);
			goto out;
		}
		if (!fields || l->full)
			break;
		if (csv_record_blank(fields))
			continue;
		r = csv_load_row(l, columns, n_columns, fields, ++index, line);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	strv_free(fields);
	free(c.field);
	return r;
}

/* --- files ----------------------------------------------------------------- */

static bool path_has_suffix(const char *path, const char *suffix)
{
	size_t n = strlen(path), m = strlen(suffix);
	return n >= m && strcasecmp(path + n - m, suffix) == 0;
}

static bool looks_like_json(const char *buf, size_t len)
{
	size_t i = 0;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && is_space(buf[i]))
		i++;
	return i < len && (buf[i] == '{' || buf[i] == '[');
}

int relations_load_file(relation_set *set, const char *path, char *const *free_mail, diag_list *d)
{
	_cleanup_free_ char *buf = NULL;
	names_free_mail *fm = NULL;
	loader l = { .path = path, .set = set, .d = d, .base = set->n };
	size_t len = 0;
	int r;

	/* No symlinks: catalogues are read only where an admin put them. */
	r = fileio_read_all(path, 0, CW_MAX_CATALOGUE_BYTES, &buf, &len);
	if (r < 0) {
		if (r == -ENOMEM)
			return r;
		if (r == -EFBIG)
			diag_error(d, path, 0, "catalogue larger than %u bytes", CW_MAX_CATALOGUE_BYTES);
		else if (r == -ELOOP)
			diag_error(d, path, 0, "is a symbolic link; catalogues are not followed through links");
		else if (r == -EBADFD)
			diag_error(d, path, 0, "not a regular file");
		else
			diag_error(d, path, 0, "%s", strerror(-r));
		return r;
	}
	if (!set_store_get(set) || names_free_mail_new(free_mail, &fm) < 0)
		return -ENOMEM;
	l.free_mail = fm;
	if (path_has_suffix(path, ".json") || (!path_has_suffix(path, ".csv") && looks_like_json(buf, len)))
		r = json_load(&l, buf, len);
	else
		r = csv_load(&l, buf, len);
	if (r < 0)
		/* This file's relations are dropped again (as the set was before
		 * it); their strings stay in the set's arena until
		 * relation_set_done. */
		set->n = l.base;
	else
		r = l.failed ? -EINVAL : 0;
	names_free_mail_free(fm);
	members_done(&l.members);
	arena_done(&l.scratch);
	return r;
}

static int relation_ptr_compare(const void *a, const void *b)
{
	const relation *x = *(const relation *const *)a, *y = *(const relation *const *)b;
	int c = strcmp(x->id, y->id);
	/* Ties in set order, so the first occurrence is named first. */
	if (c == 0)
		c = (x > y) - (x < y);
	return c;
}

/* Whether two relations of set share an id. 1, 0, or -ENOMEM. */
static int relations_have_duplicate(const relation_set *set)
{
	str_set seen = { 0 };
	int r = str_set_init(&seen, set->n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < set->n && r == 0; i++)
		if (!str_set_add(&seen, set->items[i].id))
			r = 1;
	str_set_done(&seen);
	return r;
}

int relations_check_unique(const relation_set *set, const char *context, unsigned line, diag_list *d)
{
	_cleanup_free_ const relation **sorted = NULL;
	int ret = 0, r;

	if (set->n < 2)
		return 0;
	/* Nearly always there is none, which a hash table says in a fraction
	 * of a sort's time; the sort is for the messages, in id order. */
	r = relations_have_duplicate(set);
	if (r <= 0)
		return r;
	sorted = calloc(set->n, sizeof *sorted); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so its element is a pointer */
	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < set->n; i++)
		sorted[i] = &set->items[i];
	qsort(sorted, set->n, sizeof *sorted, relation_ptr_compare); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so its element is a pointer */
	for (size_t i = 1; i < set->n; i++) {
		if (!streq(sorted[i - 1]->id, sorted[i]->id))
			continue;
		/* One message per id, naming its first two homes. */
		if (i >= 2 && streq(sorted[i - 2]->id, sorted[i]->id))
			continue;
		r = diag_error(d, context, line, "duplicate relation id %s (in %s and %s)", sorted[i]->id,
				   strempty(sorted[i - 1]->source), strempty(sorted[i]->source));
		if (r < 0)
			return r;
		ret = -EINVAL;
	}
	return ret;
}
