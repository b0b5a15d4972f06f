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
	char feature[32];  /* profile_url, email, email_domain, company_name, person_name,
			    * company_corroboration, email_domain_corroboration */
	char *contact;     /* the contact's value as compared (normalised form) */
	char *relation;    /* the relation's value it agreed with */
	double score;      /* 0..1 */
} match_evidence;

/* Features (evidence[].feature), with their scores:
 *   profile_url          normalised LinkedIn URL equal                  1.0
 *   email                address equal (case-insensitive)               1.0
 *   email_domain         company relation: the contact's mail domain is
 *                        (under) one of its domains, never free-mail    0.95
 *   company_name         company relation: names_company_compare() of the
 *                        contact's company with the name or an alias:
 *                        1.0 same name, 0.98 same but low-identity words,
 *                        0.94 trade words left out, 0.93..0.97 one typo in
 *                        a long word (Jaro-Winkler of the differing words),
 *                        0.85 x JW for a near miss (review band at most)
 *   person_name          person relation: full name 0.98, particles on one
 *                        side only 0.95, initials 0.92, a one-edit surname
 *                        typo (>= 8 letters) 0.91 -- each only with a
 *                        corroboration (URL, address or one of the two
 *                        below); without one: full name 0.85, loose 0.82
 *                        (review band), initials or typo 0.50 (nothing)
 *   company_corroboration       the contact's company ~ the person's
 *                        employer (company_name rules, >= CompanyThreshold)
 *   email_domain_corroboration  the contact's mail domain is (under) one
 *                        of the person's own non-free-mail domains   0.95
 * match.score is the highest score among the decisive features (all but
 * the two *_corroboration entries, which are listed to explain person_name
 * and are folded into it): the features are alternative proofs, not votes.
 * A company relation matches at >= CompanyThreshold, a person relation at
 * >= PersonThreshold; a score in [threshold - MATCH_REVIEW_BAND, threshold)
 * is still reported, with review set (severity low, "review": true). */
#define MATCH_REVIEW_BAND 0.10
/* Relations scored per contact at most (strongest keys first). */
#define MATCH_MAX_CANDIDATES 256

typedef struct match {
	const relation *relation;  /* borrowed from the set the index was built on */
	double score;              /* 0..1 */
	bool review;               /* score below the threshold, within the review band */
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
 * an address without a domain) are skipped: the loader reports them.
 * Builds on up to one thread per online CPU (started and joined here); the
 * index is the same whatever their number. */
int match_index_new(const relation_set *set, const match_options *opt, match_index **ret);
match_index *match_index_free(match_index *idx);
/* Appends one match per relation that c matches (or nearly matches: review)
 * to out, best evidence first. Returns the number appended, or -ENOMEM.
 * Does not modify idx: one index may serve several threads. Uses a
 * temporary scratch; a caller that matches many contacts should keep one
 * (match_contact_scratch). */
int match_contact(const match_index *idx, const contact *c, match_list *out);

/* What matching one contact needs besides the index: memory for the
 * contact's parsed names (reused from contact to contact) and a cache of
 * parsed person names (exports repeat first and last names endlessly). It
 * holds nothing that depends on an index, so one scratch serves every
 * index; it belongs to one thread at a time. The results are the same as
 * match_contact's. */
typedef struct match_scratch match_scratch;
int match_scratch_new(match_scratch **ret);
match_scratch *match_scratch_free(match_scratch *s);
int match_contact_scratch(const match_index *idx, match_scratch *s, const contact *c, match_list *out);
/* The blocking step alone (tests, diagnostics): the indexes into the
 * relation set of the candidates c reaches, ascending, at most max stored.
 * Returns the number of candidates (<= MATCH_MAX_CANDIDATES) or -errno. */
int match_candidates(const match_index *idx, const contact *c, uint32_t *ret, size_t max);
void match_done(match *m);
void match_list_done(match_list *l);
