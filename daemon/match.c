/* match.c — the matcher: an index of exact keys built once per employee from
 * the clause's relations, and the scoring of one contact against the few
 * relations its keys reach. Pure: no I/O, no logging, no clock.
 *
 * Cost model: a scan screens up to ~1M contacts against ~10k relations, so
 * a contact never loops over the relations. Every signal of a contact (URL,
 * address, domain and its parents, company words, surname) is looked up in
 * one hash map; only the relations found are scored. Fuzzy matching proper
 * plugs in as more key kinds (phonetic keys, n-grams) and a richer
 * names_company_compare / names_person_compare, without changing this flow. */
#include <errno.h>
#include <stdio.h>

#include "contactwatch/match.h"
#include "contactwatch/names.h"

/* Scores of the features (0..1). A signal that names one person or one
 * mailbox is certain; an employer's mail domain is nearly so. */
#define SCORE_PROFILE_URL   1.0
#define SCORE_EMAIL         1.0
#define SCORE_EMAIL_DOMAIN  0.95
/* A person name only counts with corroboration (domain.md, identity signal
 * 4 vs 5): full name + company/mail domain/URL/address is strong; initials
 * + corroboration pass the default PersonThreshold 0.90 (case m21) but
 * not a stricter one; a name alone stays well below any sane threshold. */
#define SCORE_PERSON_FULL          0.98
#define SCORE_PERSON_FULL_LOOSE    0.95
#define SCORE_PERSON_INITIALS      0.92
#define SCORE_PERSON_UNCORROBORATED 0.50
/* Thresholds compare doubles written in config files ("0.92"). */
#define SCORE_EPSILON 1e-9
/* Words at least this long get the one-typo deletion keys. */
#define TYPO_MIN_RELATION 8
#define TYPO_MIN_CONTACT  (TYPO_MIN_RELATION - 1)
#define TYPO_MAX_WORD     64

/* ---- a small open-addressing multimap: (kind, string) -> relation ids ---- */

typedef enum map_kind {
	MAP_URL = 1,  /* normalised LinkedIn URL */
	MAP_EMAIL,    /* normalised address */
	MAP_DOMAIN,   /* company relation domain */
	MAP_KEY,      /* company key / full key */
	MAP_TOKEN,    /* distinctive company word */
	MAP_DELETION, /* a lone distinctive company word of >= 8 letters, or it less one letter */
	MAP_SURNAME,  /* main surname of a person relation */
} map_kind;

typedef struct map_entry {
	char *key;    /* NULL: empty slot */
	uint64_t hash;
	uint32_t *ids;
	uint32_t n, cap;
	map_kind kind;
} map_entry;

typedef struct map {
	map_entry *slots;
	size_t cap;   /* power of two */
	size_t n;
} map;

static uint64_t map_hash(map_kind kind, const char *s)
{
	/* FNV-1a: short keys, no adversary who controls both sides. */
	uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;
	h *= 1099511628211ull;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	return h;
}

static map_entry *map_slot(const map *m, map_kind kind, const char *s, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		map_entry *e = &m->slots[i];
		if (!e->key || (e->hash == h && e->kind == kind && streq(e->key, s)))
			return e;
	}
}

static int map_grow(map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 256;
	map_entry *ns = calloc(ncap, sizeof *ns);
	if (!ns)
		return -ENOMEM;
	map old = *m;
	m->slots = ns;
	m->cap = ncap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*map_slot(m, old.slots[i].kind, old.slots[i].key, old.slots[i].hash) = old.slots[i];
	free(old.slots);
	return 0;
}

static int map_add(map *m, map_kind kind, const char *s, uint32_t id)
{
	if (isempty(s))
		return 0;
	/* Load factor <= 1/2 keeps probe runs short. */
	if ((m->n + 1) * 2 > m->cap) {
		int r = map_grow(m);
		if (r < 0)
			return r;
	}
	uint64_t h = map_hash(kind, s);
	map_entry *e = map_slot(m, kind, s, h);
	if (!e->key) {
		e->key = strdup(s);
		if (!e->key)
			return -ENOMEM;
		e->hash = h;
		e->kind = kind;
		m->n++;
	}
	/* Ids arrive relation by relation, so a repeat is always the last one. */
	if (e->n > 0 && e->ids[e->n - 1] == id)
		return 0;
	if (e->n == e->cap) {
		uint32_t ncap = e->cap ? e->cap * 2 : 2;
		uint32_t *ni = realloc(e->ids, ncap * sizeof *ni);
		if (!ni)
			return -ENOMEM;
		e->ids = ni;
		e->cap = ncap;
	}
	e->ids[e->n++] = id;
	return 0;
}

static const map_entry *map_get(const map *m, map_kind kind, const char *s)
{
	if (m->cap == 0 || isempty(s))
		return NULL;
	map_entry *e = map_slot(m, kind, s, map_hash(kind, s));
	return e->key ? e : NULL;
}

static void map_done(map *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->slots[i].key);
		free(m->slots[i].ids);
	}
	free(m->slots);
	*m = (map) {0};
}

/* Calls the deletion variants of word (each with one byte left out) plus the
 * word itself: the symmetric-delete trick finds every pair at edit distance
 * 1 (substitution, insertion, deletion, transposition) with exact lookups. */
typedef int (*deletion_fn)(const char *variant, void *userdata);

static int for_each_deletion(const char *word, deletion_fn fn, void *userdata)
{
	char buf[TYPO_MAX_WORD];
	size_t n = strlen(word);
	if (n >= sizeof buf)
		return 0;
	int r = fn(word, userdata);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		memcpy(buf, word, i);
		memcpy(buf + i, word + i + 1, n - i);
		/* Deleting either of two equal neighbours gives the same key. */
		if (i > 0 && word[i] == word[i - 1])
			continue;
		r = fn(buf, userdata);
	}
	return r;
}

/* ---- the index ----------------------------------------------------------- */

typedef struct relation_prep {
	char *url;                /* normalised LinkedIn URL */
	char **emails;            /* normalised addresses (strv) */
	char **domains;           /* company: normalised, free-mail left out (strv) */
	char **email_domains;     /* person: non-free-mail domains of emails (strv) */
	names_company *names;     /* company: name, then aliases */
	size_t n_names;
	names_person *persons;    /* person: name, then aliases */
	size_t n_persons;
	names_company employer;   /* person: relation.company */
	bool has_employer;
} relation_prep;

struct match_index {
	const relation_set *set;
	double person_threshold;
	double company_threshold;
	char **free_mail;         /* own copy: the index outlives the options */
	relation_prep *prep;
	map map;
};

static void relation_prep_done(relation_prep *p)
{
	free(p->url);
	strv_free(p->emails);
	strv_free(p->domains);
	strv_free(p->email_domains);
	for (size_t i = 0; i < p->n_names; i++)
		names_company_done(&p->names[i]);
	free(p->names);
	for (size_t i = 0; i < p->n_persons; i++)
		names_person_done(&p->persons[i]);
	free(p->persons);
	names_company_done(&p->employer);
}

match_index *match_index_free(match_index *idx)
{
	if (!idx)
		return NULL;
	if (idx->prep && idx->set)
		for (size_t i = 0; i < idx->set->n; i++)
			relation_prep_done(&idx->prep[i]);
	free(idx->prep);
	strv_free(idx->free_mail);
	map_done(&idx->map);
	free(idx);
	return NULL;
}

typedef struct deletion_add {
	map *map;
	uint32_t id;
} deletion_add;

static int deletion_add_cb(const char *variant, void *userdata)
{
	deletion_add *d = userdata;
	return map_add(d->map, MAP_DELETION, variant, d->id);
}

static int index_company_name(match_index *idx, relation_prep *p, uint32_t id, const char *raw)
{
	names_company c;
	int r = names_company_parse(raw, &c);
	if (r == -EINVAL)
		return 0; /* nothing identifying in it; the loader warns */
	if (r < 0)
		return r;
	names_company *nn = realloc(p->names, (p->n_names + 1) * sizeof *nn);
	if (!nn) {
		names_company_done(&c);
		return -ENOMEM;
	}
	p->names = nn;
	p->names[p->n_names++] = c;

	/* Whole keys reach relations without distinctive words; words reach
	 * the rest (and whole-key equality is then found by comparison). */
	r = map_add(&idx->map, MAP_KEY, c.key, id);
	if (r >= 0)
		r = map_add(&idx->map, MAP_KEY, c.full_key, id);
	for (size_t i = 0; r >= 0 && i < c.n_tokens; i++) {
		if (c.trade[i])
			continue;
		r = map_add(&idx->map, MAP_TOKEN, c.tokens[i], id);
		/* With two distinctive words, a typo in one still leaves the
		 * other to find the relation by; only a lone distinctive word
		 * needs the deletion keys (it keeps the index small). */
		if (r >= 0 && c.n_distinctive == 1 && strlen(c.tokens[i]) >= TYPO_MIN_RELATION) {
			deletion_add d = { &idx->map, id };
			r = for_each_deletion(c.tokens[i], deletion_add_cb, &d);
		}
	}
	return r;
}

static int index_person_name(match_index *idx, relation_prep *p, uint32_t id, const char *raw)
{
	names_person np;
	int r = names_person_parse(raw, &np);
	if (r == -EINVAL)
		return 0;
	if (r < 0)
		return r;
	names_person *nn = realloc(p->persons, (p->n_persons + 1) * sizeof *nn);
	if (!nn) {
		names_person_done(&np);
		return -ENOMEM;
	}
	p->persons = nn;
	p->persons[p->n_persons++] = np;
	/* Both the plain and the German form ("muller", "mueller"), every
	 * part of a double name. */
	for (size_t f = 0; f < 2; f++)
		for (size_t i = 0; i < np.form[f].n_surnames; i++) {
			r = map_add(&idx->map, MAP_SURNAME, np.form[f].surnames[i].main, id);
			if (r < 0)
				return r;
		}
	return 0;
}

/* Normalises raw with fn and pushes it to *list; a value that does not
 * normalise is skipped (the loader reports it; the matcher just cannot use it). */
static int push_normalised(char ***list, const char *raw, int (*fn)(const char *, char **))
{
	char *v = NULL;
	int r = fn(raw, &v);
	if (r == -EINVAL)
		return 0;
	if (r < 0)
		return r;
	r = strv_contains(*list, v) ? 0 : strv_push(list, v);
	free(v);
	return r;
}

static int index_relation(match_index *idx, uint32_t id)
{
	const relation *rel = &idx->set->items[id];
	relation_prep *p = &idx->prep[id];
	int r = 0;

	if (rel->linkedin) {
		r = names_linkedin_url(rel->linkedin, &p->url);
		if (r == -EINVAL)
			r = 0;
		if (r >= 0 && p->url)
			r = map_add(&idx->map, MAP_URL, p->url, id);
	}
	for (char **e = rel->emails; r >= 0 && e && *e; e++)
		r = push_normalised(&p->emails, *e, names_email);
	for (char **e = p->emails; r >= 0 && e && *e; e++)
		r = map_add(&idx->map, MAP_EMAIL, *e, id);
	if (r < 0)
		return r;

	if (rel->type == RELATION_COMPANY) {
		for (char **d = rel->domains; r >= 0 && d && *d; d++)
			r = push_normalised(&p->domains, *d, names_domain);
		/* A catalogue that lists gmail.com would flag everyone with a
		 * Gmail address: free-mail domains never identify an employer. */
		for (size_t i = 0; r >= 0 && p->domains && p->domains[i]; ) {
			if (names_domain_is_free_mail(p->domains[i], idx->free_mail)) {
				free(p->domains[i]);
				memmove(p->domains + i, p->domains + i + 1,
					(strv_length(p->domains + i + 1) + 1) * sizeof(char *));
			} else
				r = map_add(&idx->map, MAP_DOMAIN, p->domains[i++], id);
		}
		if (r >= 0 && rel->name)
			r = index_company_name(idx, p, id, rel->name);
		for (char **a = rel->aliases; r >= 0 && a && *a; a++)
			r = index_company_name(idx, p, id, *a);
		return r;
	}

	if (rel->name)
		r = index_person_name(idx, p, id, rel->name);
	for (char **a = rel->aliases; r >= 0 && a && *a; a++)
		r = index_person_name(idx, p, id, *a);
	/* The person's employer and mail domains corroborate a name match; they
	 * are compared per candidate, not indexed: working at a person's
	 * employer does not make one that person. */
	if (r >= 0 && !isempty(rel->company)) {
		r = names_company_parse(rel->company, &p->employer);
		p->has_employer = r >= 0;
		if (r == -EINVAL)
			r = 0;
	}
	for (char **e = p->emails; r >= 0 && e && *e; e++) {
		const char *d = names_email_domain(*e);
		if (d && !names_domain_is_free_mail(d, idx->free_mail) && !strv_contains(p->email_domains, d))
			r = strv_push(&p->email_domains, d);
	}
	return r;
}

int match_index_new(const relation_set *set, const match_options *opt, match_index **ret)
{
	match_index *idx = NULL;
	int r;

	if (!set || !opt || !ret)
		return -EINVAL;
	if (set->n > CW_MAX_RELATIONS || set->n > UINT32_MAX)
		return -E2BIG;
	idx = calloc(1, sizeof *idx);
	if (!idx)
		return -ENOMEM;
	idx->set = set;
	idx->person_threshold = opt->person_threshold;
	idx->company_threshold = opt->company_threshold;
	for (char *const *f = opt->free_mail; f && *f; f++) {
		r = strv_push(&idx->free_mail, *f);
		if (r < 0)
			goto fail;
	}
	idx->prep = calloc(set->n ? set->n : 1, sizeof *idx->prep);
	if (!idx->prep) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < set->n; i++) {
		r = index_relation(idx, (uint32_t)i);
		if (r < 0)
			goto fail;
	}
	*ret = idx;
	return 0;
fail:
	match_index_free(idx);
	return r;
}

/* ---- one contact --------------------------------------------------------- */

typedef struct contact_prep {
	char **urls;          /* normalised LinkedIn URLs */
	char **emails;        /* normalised addresses */
	char **domains;       /* their domains that are not free-mail (parallel to nothing; a set) */
	names_company company;
	bool has_company;
	names_person person;
	bool has_person;
} contact_prep;

static void contact_prep_done(contact_prep *p)
{
	strv_free(p->urls);
	strv_free(p->emails);
	strv_free(p->domains);
	names_company_done(&p->company);
	names_person_done(&p->person);
}

static int contact_prepare(const match_index *idx, const contact *c, contact_prep *p)
{
	int r = 0;
	for (char **u = c->urls; r >= 0 && u && *u; u++)
		r = push_normalised(&p->urls, *u, names_linkedin_url);
	for (char **e = c->emails; r >= 0 && e && *e; e++)
		r = push_normalised(&p->emails, *e, names_email);
	for (char **e = p->emails; r >= 0 && e && *e; e++) {
		const char *d = names_email_domain(*e);
		/* m18: a Gmail address says nothing about the employer. */
		if (d && !names_domain_is_free_mail(d, idx->free_mail) && !strv_contains(p->domains, d))
			r = strv_push(&p->domains, d);
	}
	if (r < 0)
		return r;
	if (!isempty(c->company)) {
		r = names_company_parse(c->company, &p->company);
		p->has_company = r >= 0;
		if (r < 0 && r != -EINVAL)
			return r;
	}
	/* Exports give first/last (LinkedIn, CRMs) or a whole name (vCard FN);
	 * without a last name the whole name is the better source. */
	if (!isempty(c->last))
		r = names_person_parse_split(c->first, c->last, &p->person);
	else if (!isempty(c->name))
		r = names_person_parse(c->name, &p->person);
	else if (!isempty(c->first))
		r = names_person_parse(c->first, &p->person);
	else
		r = -EINVAL;
	p->has_person = r >= 0;
	return r == -EINVAL ? 0 : r;
}

typedef struct candidates {
	uint32_t *ids;
	size_t n, cap;
} candidates;

static int candidates_add_entry(candidates *cs, const map_entry *e)
{
	/* An entry whose id array failed to grow has no ids (ids may be NULL):
	 * memcpy from NULL is undefined even for 0 bytes, as is NULL + 0. */
	if (!e || e->n == 0)
		return 0;
	if (cs->n + e->n > cs->cap) {
		size_t ncap = cs->cap ? cs->cap : 16;
		while (ncap < cs->n + e->n)
			ncap *= 2;
		uint32_t *ni = realloc(cs->ids, ncap * sizeof *ni);
		if (!ni)
			return -ENOMEM;
		cs->ids = ni;
		cs->cap = ncap;
	}
	memcpy(cs->ids + cs->n, e->ids, e->n * sizeof *e->ids);
	cs->n += e->n;
	return 0;
}

typedef struct deletion_get {
	const map *map;
	candidates *cs;
} deletion_get;

static int deletion_get_cb(const char *variant, void *userdata)
{
	deletion_get *d = userdata;
	return candidates_add_entry(d->cs, map_get(d->map, MAP_DELETION, variant));
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Every relation any of the contact's keys reaches, each once. */
static int gather_candidates(const match_index *idx, const contact_prep *p, candidates *cs)
{
	const map *m = &idx->map;
	int r = 0;
	for (char **u = p->urls; r >= 0 && u && *u; u++)
		r = candidates_add_entry(cs, map_get(m, MAP_URL, *u));
	for (char **e = p->emails; r >= 0 && e && *e; e++)
		r = candidates_add_entry(cs, map_get(m, MAP_EMAIL, *e));
	/* mail.hoogendijk.nl, then hoogendijk.nl: walking up at dots is what
	 * makes "within" exact (never nothoogendijk.nl, never
	 * hoogendijk.nl.example.com, whose parents are example.com and com). */
	for (char **d = p->domains; r >= 0 && d && *d; d++)
		for (const char *s = *d; r >= 0 && s && strchr(s, '.'); s = strchr(s, '.') + 1)
			r = candidates_add_entry(cs, map_get(m, MAP_DOMAIN, s));
	if (r >= 0 && p->has_company) {
		r = candidates_add_entry(cs, map_get(m, MAP_KEY, p->company.key));
		if (r >= 0)
			r = candidates_add_entry(cs, map_get(m, MAP_KEY, p->company.full_key));
		for (size_t i = 0; r >= 0 && i < p->company.n_tokens; i++) {
			const char *t = p->company.tokens[i];
			r = candidates_add_entry(cs, map_get(m, MAP_TOKEN, t));
			/* A word in the trade table is spelt right, and no relation
			 * has a trade word as its distinctive one: no typo search.
			 * (A misspelt trade word is not in the table and is searched;
			 * the comparison then decides.) */
			if (r >= 0 && !p->company.trade[i] && strlen(t) >= TYPO_MIN_CONTACT) {
				deletion_get d = { m, cs };
				r = for_each_deletion(t, deletion_get_cb, &d);
			}
		}
	}
	for (size_t f = 0; r >= 0 && p->has_person && f < 2; f++)
		for (size_t i = 0; r >= 0 && i < p->person.form[f].n_surnames; i++)
			r = candidates_add_entry(cs, map_get(m, MAP_SURNAME, p->person.form[f].surnames[i].main));
	if (r < 0)
		return r;
	if (cs->n > 1) {
		qsort(cs->ids, cs->n, sizeof *cs->ids, cmp_u32);
		size_t k = 1;
		for (size_t i = 1; i < cs->n; i++)
			if (cs->ids[i] != cs->ids[k - 1])
				cs->ids[k++] = cs->ids[i];
		cs->n = k;
	}
	return 0;
}

/* Evidence collected for one (contact, relation) pair before it is known
 * whether it is a match; strings are borrowed until committed. */
#define MAX_EVIDENCE 8
typedef struct pending {
	const char *feature;
	const char *contact;
	const char *relation;
	double score;
	bool decisive;   /* counts toward the match score on its own */
} pending;

typedef struct scoring {
	pending ev[MAX_EVIDENCE];
	size_t n;
} scoring;

static void scoring_add(scoring *s, const char *feature, const char *cv, const char *rv, double score, bool decisive)
{
	if (s->n < MAX_EVIDENCE)
		s->ev[s->n++] = (pending) { feature, cv, rv, score, decisive };
}

static void score_company(const match_index *idx, const relation_prep *rp, const contact_prep *p, scoring *s)
{
	/* Feature email_domain: the contact's (non-free) mail domain is, or is
	 * under, one of the company's domains. */
	bool found = false;
	for (char **d = p->domains; !found && d && *d; d++)
		for (char **rd = rp->domains; !found && rd && *rd; rd++)
			if (names_domain_within(*d, *rd)) {
				scoring_add(s, "email_domain", *d, *rd, SCORE_EMAIL_DOMAIN, true);
				found = true;
			}
	/* Feature company_name: the contact works at the company by name. */
	if (p->has_company) {
		double best = 0;
		const names_company *bn = NULL;
		for (size_t i = 0; i < rp->n_names; i++) {
			double v = names_company_compare(&p->company, &rp->names[i]);
			if (v > best) {
				best = v;
				bn = &rp->names[i];
			}
		}
		if (bn)
			scoring_add(s, "company_name", p->company.full_key, bn->full_key, best, true);
	}
	(void)idx;
}

static void score_person(const match_index *idx, const relation_prep *rp, const contact_prep *p,
			 bool identity_agrees, scoring *s)
{
	if (!p->has_person)
		return;
	names_person_agreement best = NAMES_PERSON_DISAGREE;
	const names_person *bp = NULL;
	for (size_t i = 0; i < rp->n_persons; i++) {
		names_person_agreement a = names_person_compare(&p->person, &rp->persons[i]);
		if (a > best) {
			best = a;
			bp = &rp->persons[i];
		}
	}
	if (!bp)
		return;

	/* Corroboration: the contact's company agrees with the person's
	 * employer, or its mail domain with the person's, or the URL/address
	 * agreed already. These explain the name match; on their own they
	 * prove nothing about the person (a colleague shares them), so they are
	 * not decisive. */
	bool corroborated = identity_agrees;
	if (rp->has_employer && p->has_company) {
		double v = names_company_compare(&p->company, &rp->employer);
		if (v + SCORE_EPSILON >= idx->company_threshold) {
			scoring_add(s, "person_company", p->company.full_key, rp->employer.full_key, v, false);
			corroborated = true;
		}
	}
	bool dom = false;
	for (char **d = p->domains; !dom && d && *d; d++)
		for (char **rd = rp->email_domains; !dom && rd && *rd; rd++)
			if (names_domain_within(*d, *rd)) {
				scoring_add(s, "person_email_domain", *d, *rd, SCORE_EMAIL_DOMAIN, false);
				dom = corroborated = true;
			}

	double v;
	switch (best) {
	case NAMES_PERSON_FULL: v = SCORE_PERSON_FULL; break;
	case NAMES_PERSON_FULL_LOOSE: v = SCORE_PERSON_FULL_LOOSE; break;
	default: v = SCORE_PERSON_INITIALS; break;
	}
	if (!corroborated)
		v = SCORE_PERSON_UNCORROBORATED;
	scoring_add(s, "person_name", p->person.display, bp->display, v, true);
}

/* Strength of a feature as an identity signal (domain.md, "Identity
 * signals, strongest first"); corroboration comes after what it corroborates. */
static int feature_rank(const char *feature)
{
	static const char *const order[] = { "profile_url",  "email",	      "email_domain",
					     "company_name", "person_name",    "person_company",
					     "person_email_domain" };
	for (size_t i = 0; i < ELEMENTSOF(order); i++)
		if (streq(feature, order[i]))
			return (int)i;
	return (int)ELEMENTSOF(order);
}

static int cmp_evidence(const void *a, const void *b)
{
	const match_evidence *x = a, *y = b;
	int by_score = (x->score < y->score) - (x->score > y->score);
	/* Ties by signal strength, then name: the evidence a lawyer reads first
	 * is the strongest, and the same input gives byte-identical output. */
	if (by_score)
		return by_score;
	int by_rank = feature_rank(x->feature) - feature_rank(y->feature);
	return by_rank ? by_rank : strcmp(x->feature, y->feature);
}

void match_done(match *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_evidence; i++) {
		free(m->evidence[i].contact);
		free(m->evidence[i].relation);
	}
	free(m->evidence);
	*m = (match) {0};
}

void match_list_done(match_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		match_done(&l->items[i]);
	free(l->items);
	*l = (match_list) {0};
}

static int commit_match(const relation *rel, const scoring *s, double score, match_list *out)
{
	match m = { .relation = rel, .score = score };
	/* calloc(0) may return NULL, which is no evidence, not -ENOMEM. */
	if (s->n > 0) {
		m.evidence = calloc(s->n, sizeof *m.evidence);
		if (!m.evidence)
			return -ENOMEM;
	}
	for (size_t i = 0; i < s->n; i++) {
		match_evidence *e = &m.evidence[m.n_evidence++];
		snprintf(e->feature, sizeof e->feature, "%s", s->ev[i].feature);
		e->score = s->ev[i].score;
		e->contact = strdup(strempty(s->ev[i].contact));
		e->relation = strdup(strempty(s->ev[i].relation));
		if (!e->contact || !e->relation) {
			match_done(&m);
			return -ENOMEM;
		}
	}
	/* Best evidence first, in a total order (qsort is not stable). */
	if (m.n_evidence > 1)
		qsort(m.evidence, m.n_evidence, sizeof *m.evidence, cmp_evidence);
	match *ni = realloc(out->items, (out->n + 1) * sizeof *ni);
	if (!ni) {
		match_done(&m);
		return -ENOMEM;
	}
	out->items = ni;
	out->items[out->n++] = m;
	return 0;
}

static int score_candidate(const match_index *idx, uint32_t id, const contact_prep *p, match_list *out)
{
	const relation *rel = &idx->set->items[id];
	const relation_prep *rp = &idx->prep[id];
	scoring s = {0};
	bool identity = false;

	for (char **u = p->urls; rp->url && u && *u; u++)
		if (streq(*u, rp->url)) {
			scoring_add(&s, "profile_url", *u, rp->url, SCORE_PROFILE_URL, true);
			identity = true;
			break;
		}
	bool mail = false;
	for (char **e = p->emails; !mail && e && *e; e++)
		if (strv_contains(rp->emails, *e)) {
			scoring_add(&s, "email", *e, *e, SCORE_EMAIL, true);
			identity = mail = true;
		}

	if (rel->type == RELATION_COMPANY)
		score_company(idx, rp, p, &s);
	else
		score_person(idx, rp, p, identity, &s);

	/* The match score is the strongest decisive feature: the features are
	 * alternative proofs, not votes to be added up. Corroborating evidence is
	 * already folded into person_name. */
	double score = 0;
	for (size_t i = 0; i < s.n; i++)
		if (s.ev[i].decisive && s.ev[i].score > score)
			score = s.ev[i].score;
	double threshold = rel->type == RELATION_COMPANY ? idx->company_threshold : idx->person_threshold;
	if (score <= 0 || score + SCORE_EPSILON < threshold)
		return 0;
	int r = commit_match(rel, &s, score, out);
	return r < 0 ? r : 1;
}

int match_contact(const match_index *idx, const contact *c, match_list *out)
{
	contact_prep p = {0};
	candidates cs = {0};
	int r, n = 0;

	if (!idx || !c || !out)
		return -EINVAL;
	r = contact_prepare(idx, c, &p);
	if (r < 0)
		goto fail;
	r = gather_candidates(idx, &p, &cs);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < cs.n; i++) {
		r = score_candidate(idx, cs.ids[i], &p, out);
		if (r < 0)
			goto fail;
		n += r;
	}
	r = n;
fail:
	free(cs.ids);
	contact_prep_done(&p);
	return r;
}
