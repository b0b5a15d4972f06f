/* relations_loader.h — the catalogue loader's inside, shared by its three
 * files and by nothing else: relations.c (a relation's fields checked one
 * by one into a draft, the set it joins, the file as a whole),
 * relations_json.c and relations_csv.c (the two formats, each turning its
 * records into draft_set calls). */
#pragma once

#include "contactwatch/names.h"
#include "contactwatch/relations.h"

#define RELATION_MAX_ID_BYTES 128u

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

typedef struct relation_field_info {
	const char *name;
	bool list;
} relation_field_info;

extern const relation_field_info relation_fields[_FIELD_MAX];

/* Its blocks hold every string and strv of one set's relations, and are
 * freed together, never one allocation at a time (relations.c). */
typedef struct relation_arena {
	struct arena_block *head; /* the block being filled; older ones follow */
} relation_arena;

/* A JSON relation object as the checks see it, whoever parsed it: its
 * members in the order written, each value's JSON type, and the strings.
 * Both parsers of relations_json.c fill it (the fast one, and jansson for
 * what that one leaves alone), so a relation means the same whichever read
 * it. */
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

/* One catalogue being read: where messages go and what was read so far. */
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

/* The white space catalogues may have around values (C's isspace, without
 * the locale). */
static inline bool loader_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* s[0, *len) without white space at either end: the new start, and *len. */
static inline const char *loader_trim_range(const char *s, size_t *len)
{
	while (*len > 0 && loader_is_space(*s)) {
		s++;
		(*len)--;
	}
	while (*len > 0 && loader_is_space(s[*len - 1]))
		(*len)--;
	return s;
}

/* A field by name: case-insensitive (CSV headers come from spreadsheets),
 * or exact (JSON keys). -1 when there is none. */
int loader_field_lookup(const char *name);
int loader_field_lookup_exact(const char *name);

/* One value of one field of the relation being read (lists: one call per
 * element), checked; draft_finish moves a complete one into the set,
 * draft_done empties it (both must be called once per draft: finish, or
 * done after an error). Errors go to l->d naming the relation; 0 after a
 * reported error, -ENOMEM. */
int draft_set(loader *l, draft *dr, relation_field f, const char *value);
int draft_finish(loader *l, draft *dr);
void draft_done(loader *l, draft *dr);
int draft_error(loader *l, draft *dr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Room for `more` relations in set beyond those it has (its store made on
 * first use). 0 or -ENOMEM. */
int loader_set_reserve(relation_set *set, size_t more);
/* Moves from's relations behind to's, and the blocks their strings are in
 * into to's arena (from is left empty). 0 or -ENOMEM (nothing moved). */
int loader_set_append_steal(relation_set *to, relation_set *from);
/* The file's name as the relations carry it: one copy in the set's arena,
 * made on first use. NULL on ENOMEM. */
char *loader_source(loader *l);
/* Frees what l holds for reading (not the set, not the messages). */
void loader_done(loader *l);

/* The formats: buf[0, len) into l. 0 (errors, if any, reported and
 * l->failed set), or -ENOMEM. */
int relations_json_load(loader *l, const char *buf, size_t len);
int relations_csv_load(loader *l, const char *buf, size_t len);
