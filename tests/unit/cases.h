/* cases.h — the labelled matching cases (tests/data/matching/NAME.csv,
 * tests/eval/labelled.csv): reading a row and turning it into the relation
 * and contact it describes. Shared by test_match and the evaluation, so
 * both judge the matcher on exactly the same pairs. */
#pragma once

#include <stdio.h>

#include "contactwatch/contact.h"
#include "contactwatch/relations.h"

enum {
	CASE_ID, CASE_EXPECT, CASE_FEATURE, CASE_RTYPE, CASE_RNAME, CASE_RALIASES, CASE_RDOMAINS,
	CASE_RCOMPANY, CASE_REMAILS, CASE_RLINKEDIN, CASE_CFIRST, CASE_CLAST, CASE_CCOMPANY,
	CASE_CEMAIL, CASE_CURL, CASE_NOTE, CASE_N,
};

/* One RFC 4180 record (quoted fields, "" escapes, LF/CRLF) into cols (new
 * strings; the rest NULL). Returns the number of columns, 0 at the end. */
int cases_read_row(FILE *f, char *cols[CASE_N]);
void cases_free_row(char *cols[CASE_N]);
/* "a|b|c" as a strv; NULL for an empty cell. */
char **cases_list(const char *s);
char *cases_dup(const char *s); /* NULL for an empty cell */

/* The relation and the contact of one case row, owned. */
typedef struct case_pair {
	relation rel;
	contact c;
} case_pair;
void cases_pair_init(case_pair *p, char *const cols[CASE_N], size_t record);
void cases_pair_done(case_pair *p);
/* Frees what hand-built relations and contacts in tests own. */
void cases_relation_clear(relation *r);
void cases_contact_clear(contact *c);
