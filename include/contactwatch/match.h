/* match.h — the matcher: an index built once per employee from the clause's
 * relations, and the scoring of one contact against it. Pure: no I/O, no
 * logging, no clock. Time logic (classification) lives in clause.h. */
#pragma once

#include "contactwatch/common.h"
#include "contactwatch/contact.h"
#include "contactwatch/relations.h"

typedef struct match_options {
	double person_threshold;   /* [match] PersonThreshold, default 0.90 */
	double company_threshold;  /* [match] CompanyThreshold, default 0.92 */
	char *const *free_mail;    /* domains that never identify an employer (strv) */
} match_options;

typedef struct match_evidence {
	char feature[32];  /* profile_url, email, email_domain, company_name, person_name, ... */
	char *contact;     /* the contact's value as compared (normalised form) */
	char *relation;    /* the relation's value it agreed with */
	double score;      /* 0..1 */
} match_evidence;

/* Features (evidence[].feature), with their scores:
 *   profile_url          normalised LinkedIn URL equal                  1.0
 *   email                address equal (case-insensitive)               1.0
 *   email_domain         company relation: the contact's mail domain is
 *                        (under) one of its domains, never free-mail    0.95
 *   company_name         company relation: names_company_compare()      0.94..1.0
 *   person_name          person relation: full name (or initials) and
 *                        a corroboration                                0.92..0.98
 *                        without corroboration                          0.50
 *   person_company       corroboration: contact company ~ person's employer
 *   person_email_domain  corroboration: mail domain = the person's own
 * match.score is the highest score among the decisive features (all but
 * the two person_* corroborations, which are folded into person_name); a
 * company relation matches at >= CompanyThreshold, a person relation at
 * >= PersonThreshold. */
typedef struct match {
	const relation *relation;  /* borrowed from the set the index was built on */
	double score;              /* 0..1 */
	match_evidence *evidence;
	size_t n_evidence;
} match;

typedef struct match_list {
	match *items;
	size_t n;
} match_list;

typedef struct match_index match_index;

/* The set must outlive the index (matches point into it); opt is copied
 * (free_mail too). Relations' unusable values (a URL that is not LinkedIn,
 * an address without a domain) are skipped: the loader reports them. */
int match_index_new(const relation_set *set, const match_options *opt, match_index **ret);
match_index *match_index_free(match_index *idx);
/* Appends one match per relation that c matches to out, best evidence first.
 * Returns the number appended, or -ENOMEM. Does not modify idx: one index
 * may serve several threads. */
int match_contact(const match_index *idx, const contact *c, match_list *out);
void match_done(match *m);
void match_list_done(match_list *l);
