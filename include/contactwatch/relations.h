/* relations.h — restricted-relation catalogues (relations/NAME.json or NAME.csv):
 * loading, validation, and the in-memory set one employee's clause uses. */
#pragma once

#include "contactwatch/common.h"
#include "contactwatch/diag.h"

typedef enum relation_type {
	RELATION_COMPANY,
	RELATION_PERSON,
} relation_type;

typedef struct relation {
	char *id;
	relation_type type;
	char *name;
	char **aliases;  /* strv, may be NULL */
	char **domains;  /* strv, lowercased, may be NULL */
	char *company;   /* persons: their employer, may be NULL */
	char **emails;   /* strv, may be NULL */
	char *linkedin;  /* as written, may be NULL */
	char *source;    /* catalogue file it came from; one copy per file, shared
			  * by all of that file's relations */
} relation;

/* A set filled by relations_load_file owns `store` (its relations' strings
 * and string vectors in one arena, and the items array): relation_set_done
 * frees it all; never realloc() or free() `items` yourself. A set built any
 * other way (by hand, as the matcher's tests do, or a view such as config.c's
 * per-employee one) has store NULL, belongs to its builder, and
 * relation_set_done only clears it. */
typedef struct relation_set {
	relation *items;
	size_t n;
	void *store;  /* owned; NULL for hand-built sets and views */
} relation_set;

const char *relation_type_to_string(relation_type t);

/* Appends the relations of one catalogue file (JSON, or CSV with the same
 * field names as columns and lists separated by '|') to set. Every problem
 * goes to d as "file:line: ..."; returns -EINVAL if any error was found (the
 * set then holds what could be read), -errno for I/O. Warnings (a free-mail
 * domain in a catalogue) do not fail. `free_mail` may be NULL. set must
 * be { 0 } or filled by earlier calls (see relation_set above); on -ENOMEM it
 * keeps only what it had. JSON is parsed one relation at a time, so a large
 * catalogue never exists as a whole jansson tree (unless it has an error,
 * which the whole-file parse then reports with its line). */
int relations_load_file(relation_set *set, const char *path, char *const *free_mail, diag_list *d);
/* Reports ids that occur twice in set to d, naming `context` (the staff file). */
int relations_check_unique(const relation_set *set, const char *context, unsigned line, diag_list *d);
/* Frees a set that relations_load_file filled (or { 0 }; NULL is fine),
 * strings and all, in a handful of free() calls, and zeroes it. */
void relation_set_done(relation_set *set);
