/* cases.c — reading labelled matching cases (cases.h). Aborts on ENOMEM:
 * it serves tests, where there is no better answer. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "contactwatch/common.h"

#define CASES_MAX_FIELD 4096

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		abort();
	return d;
}

int cases_read_row(FILE *f, char *cols[CASE_N])
{
	char buf[CASES_MAX_FIELD];
	size_t n = 0, col = 0;
	bool quoted = false, any = false;
	int ch;

	for (size_t i = 0; i < CASE_N; i++)
		cols[i] = NULL;
	while ((ch = fgetc(f)) != EOF) {
		any = true;
		if (quoted) {
			if (ch == '"') {
				int nx = fgetc(f);
				if (nx == '"' && n < sizeof buf - 1)
					buf[n++] = '"';
				else if (nx != '"') {
					quoted = false;
					if (nx != EOF)
						ungetc(nx, f);
				}
			} else if (n < sizeof buf - 1) {
				buf[n++] = (char)ch;
			}
			continue;
		}
		if (ch == '"' && n == 0) {
			quoted = true;
		} else if (ch == ',' || ch == '\n') {
			buf[n] = '\0';
			if (col < CASE_N)
				cols[col++] = xstrdup(buf);
			n = 0;
			if (ch == '\n')
				return (int)col;
		} else if (ch != '\r' && n < sizeof buf - 1) {
			buf[n++] = (char)ch;
		}
	}
	if (!any)
		return 0;
	buf[n] = '\0';
	if (col < CASE_N)
		cols[col++] = xstrdup(buf);
	return (int)col;
}

void cases_free_row(char *cols[CASE_N])
{
	for (size_t i = 0; i < CASE_N; i++)
		cols[i] = mfree(cols[i]);
}

char **cases_list(const char *s)
{
	char **l = NULL;
	if (isempty(s))
		return NULL;
	char *copy = xstrdup(s);
	for (char *p = copy, *next; p; p = next) {
		next = strchr(p, '|');
		if (next)
			*next++ = '\0';
		if (*p && strv_push(&l, p) < 0)
			abort();
	}
	free(copy);
	return l;
}

char *cases_dup(const char *s)
{
	return isempty(s) ? NULL : xstrdup(s);
}

void cases_pair_init(case_pair *p, char *const cols[CASE_N], size_t record)
{
	const char *first = cols[CASE_CFIRST] ? cols[CASE_CFIRST] : "";
	const char *last = cols[CASE_CLAST] ? cols[CASE_CLAST] : "";

	*p = (case_pair){
		.rel = {
			.id = xstrdup(cols[CASE_ID]),
			.type = streq(cols[CASE_RTYPE], "person") ? RELATION_PERSON : RELATION_COMPANY,
			.name = xstrdup(cols[CASE_RNAME]),
			.aliases = cases_list(cols[CASE_RALIASES]),
			.domains = cases_list(cols[CASE_RDOMAINS]),
			.company = cases_dup(cols[CASE_RCOMPANY]),
			.emails = cases_list(cols[CASE_REMAILS]),
			.linkedin = cases_dup(cols[CASE_RLINKEDIN]),
		},
		.c = {
			.first = cases_dup(first),
			.last = cases_dup(last),
			.company = cases_dup(cols[CASE_CCOMPANY]),
			.emails = cases_list(cols[CASE_CEMAIL]),
			.urls = cases_list(cols[CASE_CURL]),
			.record = record,
		},
	};
	/* The full name as a LinkedIn export would give it: "first last". */
	if (asprintf(&p->c.name, "%s%s%s", first, *first ? " " : "", last) < 0)
		abort();
}

void cases_relation_clear(relation *r)
{
	free(r->id);
	free(r->name);
	strv_free(r->aliases);
	strv_free(r->domains);
	free(r->company);
	strv_free(r->emails);
	free(r->linkedin);
	free(r->source);
}

void cases_contact_clear(contact *c)
{
	free(c->first);
	free(c->last);
	free(c->name);
	free(c->company);
	strv_free(c->emails);
	strv_free(c->urls);
}

void cases_pair_done(case_pair *p)
{
	cases_relation_clear(&p->rel);
	cases_contact_clear(&p->c);
}
