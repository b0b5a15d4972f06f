/* relations.c — restricted-relation catalogues: reading relations/NAME.json
 * or NAME.csv (the formats are relations_json.c's and relations_csv.c's),
 * validating every field of every relation (drafts), normalising domains,
 * and the duplicate-id check over one employee's clause. No logging: every
 * problem goes to the caller's diag_list as "file:line: ...". A loaded set
 * keeps all its strings in one arena of large blocks, so loading makes few
 * allocations and relation_set_done is a handful of free() calls. */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <strings.h>

#include "contactwatch/fileio.h"
#include "contactwatch/hash.h"
#include "contactwatch/names.h"
#include "contactwatch/relations.h"
#include "contactwatch/relations_loader.h"

const relation_field_info relation_fields[_FIELD_MAX] = {
	[FIELD_ID] = { "id", false },
	[FIELD_TYPE] = { "type", false },
	[FIELD_NAME] = { "name", false },
	[FIELD_ALIASES] = { "aliases", true },
	[FIELD_DOMAINS] = { "domains", true },
	[FIELD_COMPANY] = { "company", false },
	[FIELD_EMAILS] = { "emails", true },
	[FIELD_LINKEDIN] = { "linkedin", false },
};

/* --- arena and store ------------------------------------------------------- */

/* Blocks are this large unless one request needs more: 100,000 relations
 * take some 70 blocks instead of half a million small allocations. */
#define ARENA_BLOCK_BYTES ((size_t)256 * 1024)

typedef struct arena_block {
	struct arena_block *next;
	size_t used, size;
	alignas(max_align_t) char data[];
} arena_block;

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

/* Empties the draft and the scratch arena its strings were in. */
void draft_done(loader *l, draft *dr)
{
	arena_reset(&l->scratch);
	dr->r = (relation){ 0 };
	memset(dr->n_list, 0, sizeof dr->n_list);
	memset(dr->cap_list, 0, sizeof dr->cap_list);
}

/* A trimmed copy of s[0..len) in the scratch arena. */
static char *draft_strndup_trim(loader *l, const char *s, size_t len)
{
	char *p;

	s = loader_trim_range(s, &len);
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

int loader_field_lookup(const char *name)
{
	for (int i = 0; i < _FIELD_MAX; i++)
		if (strcasecmp(relation_fields[i].name, name) == 0)
			return i;
	return -1;
}

int loader_field_lookup_exact(const char *name)
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

int draft_error(loader *l, draft *dr, const char *fmt, ...)
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
		if (loader_is_space(*p) || (unsigned char)*p < 0x20)
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
int draft_set(loader *l, draft *dr, relation_field f, const char *value)
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
			if (loader_is_space(*p) || (unsigned char)*p < 0x20)
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
int draft_finish(loader *l, draft *dr)
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
	if (!loader_source(l)) {
		r = -ENOMEM;
		goto fail;
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

char *loader_source(loader *l)
{
	if (!l->source)
		l->source = arena_strdup(&set_store_of(l->set)->arena, l->path);
	return l->source;
}

int loader_set_reserve(relation_set *set, size_t more)
{
	return set_store_get(set) ? set_store_reserve(set, more) : -ENOMEM;
}

int loader_set_append_steal(relation_set *to, relation_set *from)
{
	set_store *src = set_store_of(from);
	int r = loader_set_reserve(to, from->n);
	if (r < 0 || !src)
		return r;
	if (from->n > 0)
		memcpy(&to->items[to->n], from->items, from->n * sizeof *from->items);
	to->n += from->n;
	from->n = 0;
	relation_arena *dst = &set_store_of(to)->arena;
	if (src->arena.head) {
		arena_block *last = src->arena.head;
		while (last->next)
			last = last->next;
		/* Behind the block being filled, which stays the one filled. */
		if (dst->head) {
			last->next = dst->head->next;
			dst->head->next = src->arena.head;
		} else {
			dst->head = src->arena.head;
		}
		src->arena.head = NULL;
	}
	return 0;
}

void loader_done(loader *l)
{
	free(l->members.m);
	free(l->members.items);
	free(l->members.text);
	l->members = (members){ 0 };
	arena_done(&l->scratch);
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
	while (i < len && loader_is_space(buf[i]))
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
		r = relations_json_load(&l, buf, len);
	else
		r = relations_csv_load(&l, buf, len);
	if (r < 0)
		/* This file's relations are dropped again (as the set was before
		 * it); their strings stay in the set's arena until
		 * relation_set_done. */
		set->n = l.base;
	else
		r = l.failed ? -EINVAL : 0;
	names_free_mail_free(fm);
	loader_done(&l);
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
