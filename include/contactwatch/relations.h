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
	char *source;    /* catalogue file it came from */
} relation;

typedef struct relation_set {
	relation *items;
	size_t n;
} relation_set;

const char *relation_type_to_string(relation_type t);

/* Appends the relations of one catalogue file (JSON, or CSV with the same
 * field names as columns and lists separated by '|') to set. Every problem
 * goes to d as "file:line: ..."; returns -EINVAL if any error was found (the
 * set then holds what could be read), -errno for I/O. Warnings (a free-mail
 * domain in a catalogue) do not fail. `free_mail` may be NULL. */
int relations_load_file(relation_set *set, const char *path, char *const *free_mail, diag_list *d);
/* Reports ids that occur twice in set to d, naming `context` (the staff file). */
int relations_check_unique(const relation_set *set, const char *context, unsigned line, diag_list *d);
void relation_set_done(relation_set *set);
