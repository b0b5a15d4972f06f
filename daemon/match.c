/* match.c — the matcher's other half (match_index.c builds the index): the
 * scoring of one contact against the few relations its keys reach. Pure:
 * no I/O, no logging, no clock.
 *
 * Cost model: a scan screens up to ~1M contacts against 10k-100k relations,
 * so a contact never loops over the relations. Every signal of a contact
 * (URL, address, domain and its parents, company words, surname) is looked
 * up in one hash map, typos through deletion keys, near misses through
 * trigrams whose posting lists are capped; only the relations found (at most
 * MATCH_MAX_CANDIDATES) are scored, and of those only the ones something
 * can tie to the contact (relation_may_score). Per contact the work depends
 * on the contact's length, not on the number of relations; nothing is
 * allocated per contact but the matches: a match_scratch (one per thread)
 * holds the contact's parsed values and a cache of parsed person names.
 *
 * What decides which candidates a contact reaches must not change without
 * a reason (FNV-1a for the map, the typo fingerprints' hash, the postings'
 * order, the order keys are gathered in): when more than
 * MATCH_MAX_CANDIDATES are found, that order decides which are scored, and
 * a fingerprint collision (about one lookup in 3,000 with 100,000
 * relations) brings one relation more to score. The fingerprints' hash was
 * changed once, for speed (deletion_hashes): which rare spurious
 * candidates a contact reaches changed with it, nothing else. */
#include <errno.h>
#include <stdio.h>

#include "contactwatch/hash.h"
#include "contactwatch/match.h"
#include "contactwatch/match_tables.h"
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
/* A one-edit surname typo with the full given name and a corroboration:
 * just over the default PersonThreshold (a stricter one sends it to review). */
#define SCORE_PERSON_TYPO          0.91
/* Without corroboration a full name is "maybe the same person, now
 * elsewhere" (people change jobs; connecting to a named person is a breach
 * wherever they work): inside the review band of the default threshold
 * (0.80..0.90), never an alert on its own (domain.md, signal 5). Initials
 * or a typo without corroboration stay well below any band. */
#define SCORE_PERSON_FULL_ALONE       0.85
#define SCORE_PERSON_FULL_LOOSE_ALONE 0.82
#define SCORE_PERSON_UNCORROBORATED   0.50
/* Thresholds compare doubles written in config files ("0.92"). */
#define SCORE_EPSILON 1e-9
/* ---- one contact --------------------------------------------------------- */

/* Parsed person names, per thread, keyed by the raw fields. Exports repeat
 * first and last names endlessly (a few hundred pairs make up most of a
 * file), and parsing one (two folds, particles, initials, surname parts)
 * costs more than the rest of preparing a contact. Two-way set-associative
 * (a direct-mapped table of this size let a few hundred names evict each
 * other ~7% of the time), the older of a set replaced. Keys and parses are
 * copied into one arena, emptied with the whole cache after
 * PERSON_CACHE_SLOTS insertions, so the cache never allocates once warm.
 * A name is parsed the same way whatever the index: one cache serves all. */
#define PERSON_CACHE_SLOTS 4096 /* two per set */
/* Lookups a hit rate is measured over, and how many windows' worth of
 * names are parsed without the cache when fewer than a quarter hit. */
#define PERSON_CACHE_WINDOW 4096u
#define PERSON_CACHE_REST 7u

typedef struct person_slot {
	uint64_t hash;
	const char *key;      /* the raw fields as person_key writes them */
	size_t key_len;
	bool used;
	int r;                /* the parse's result: 0, or -EINVAL (no surname) */
	names_person person;  /* when r == 0 */
} person_slot;

struct match_scratch {
	names_arena arena;    /* the contact's values; reset per contact */
	person_slot *persons; /* PERSON_CACHE_SLOTS, or NULL: parse every time */
	names_arena cache;    /* the slots' keys and parses */
	size_t inserted;      /* into the cache since it was last emptied */
	/* The cache's hit rate over the last PERSON_CACHE_WINDOW lookups, and
	 * how many names are parsed without it while that rate was low. */
	unsigned lookups, hits, bypass;
	uint8_t *gram_counts; /* per vocabulary word, for qgram_search; all 0
			       * between searches */
	size_t n_gram_counts;
};

static void scratch_init(match_scratch *s)
{
	*s = (match_scratch) {0};
	names_arena_init(&s->arena);
	names_arena_init(&s->cache);
}

static void scratch_done(match_scratch *s)
{
	free(s->persons);
	free(s->gram_counts);
	names_arena_done(&s->arena);
	names_arena_done(&s->cache);
	*s = (match_scratch) {0};
}

int match_scratch_new(match_scratch **ret)
{
	match_scratch *s;

	if (!ret)
		return -EINVAL;
	s = malloc(sizeof *s);
	if (!s)
		return -ENOMEM;
	scratch_init(s);
	s->persons = calloc(PERSON_CACHE_SLOTS, sizeof *s->persons);
	if (!s->persons) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

match_scratch *match_scratch_free(match_scratch *s)
{
	if (!s)
		return NULL;
	scratch_done(s);
	free(s);
	return NULL;
}

/* ---- a contact's lookups, hashed ahead ----------------------------------
 * The tables a contact's keys are looked up in are megabytes at 100,000
 * relations, and so are their filters: a lookup stalls on a cache miss.
 * The company's keys are hashed, and their filter words asked for, as soon
 * as the name is parsed, so that the misses are under way while the rest
 * of the contact is prepared and its other keys are looked up. */
#define GATHER_PREFETCH_TOKENS 16
/* Words whose typo lookups are hashed ahead: names rarely have more. */
#define GATHER_TYPO_AHEAD 4

typedef struct typo_probe {
	uint32_t fp[TYPO_MAX_WORD + 1];  /* the variants' fingerprints */
	size_t k;                        /* how many; 0: nothing to look up */
} typo_probe;

/* The fingerprints a lookup of word will test, their filter words asked
 * for at once: hashed ahead of the lookup, the filter's cache misses (it
 * is megabytes at 100,000 relations) overlap with the contact's other
 * lookups instead of stalling this one. The contact side of the
 * symmetric-delete search: word and, when it is long enough, its
 * one-letter variants. Relation keys are words of >= TYPO_MIN_RELATION
 * letters and their variants, so never shorter than TYPO_MIN_RELATION - 1:
 * a contact word of exactly that length can only meet them as it is, and
 * its own variants (one shorter) meet nothing, so they are not generated. */
static void typo_probe_init(const delmap *d, map_kind kind, const char *word, size_t n, typo_probe *t)
{
	uint64_t h[TYPO_MAX_WORD + 1];
	t->k = 0;
	if (d->cap == 0 || n < TYPO_MIN_CONTACT || n >= TYPO_MAX_WORD)
		return;
	t->k = deletion_hashes(kind, word, n, n >= TYPO_MIN_RELATION, h);
	for (size_t v = 0; v < t->k; v++) {
		t->fp[v] = delmap_fingerprint(h[v]);
		__builtin_prefetch(&d->filter.bits[bloom_word(&d->filter, t->fp[v])]);
	}
}

/* map_hash(MAP_KEY, c->key) and map_hash(MAP_TOKEN, ...) of its first
 * tokens (at most max) in one pass over the key, which is the tokens
 * joined by single spaces: FNV-1a is a chain of multiplications that each
 * wait for the last, and two independent chains in one loop run in the
 * time of one. */
static uint64_t map_hash_key_tokens(const names_company *c, uint64_t *h_tok, size_t max)
{
	const uint64_t seed_tok = map_hash(MAP_TOKEN, "");
	uint64_t h = map_hash(MAP_KEY, ""), t = seed_tok;
	size_t k = 0;
	for (const unsigned char *p = (const unsigned char *)c->key;; p++) {
		unsigned char ch = *p;
		if (ch == ' ' || ch == '\0') {
			if (k < max)
				h_tok[k] = t;
			k++;
			t = seed_tok;
			if (ch == '\0')
				return h;
		} else
			t = hash_fnv1a_step(t, ch);
		h = hash_fnv1a_step(h, ch);
	}
}

typedef struct company_ahead {
	uint64_t h_key, h_full;      /* map_hash(MAP_KEY, ...) of key and full_key */
	bool same;                   /* full_key is key (no low-identity word) */
	uint64_t h_tok[GATHER_PREFETCH_TOKENS]; /* MAP_TOKEN, of the first tokens */
	typo_probe words[GATHER_TYPO_AHEAD];    /* of the first tokens (k 0 for trade words) */
} company_ahead;

static void prefetch_filter(const bloom *f, uint64_t h)
{
	if (f->bits)
		__builtin_prefetch(&f->bits[bloom_word(f, h)]);
}

static void company_ahead_init(const match_index *idx, const names_company *c, company_ahead *a)
{
	const bloom *f = &idx->map.filter;
	a->h_key = map_hash_key_tokens(c, a->h_tok, GATHER_PREFETCH_TOKENS);
	a->same = streq(c->full_key, c->key);
	a->h_full = a->same ? a->h_key : map_hash(MAP_KEY, c->full_key);
	prefetch_filter(f, a->h_key);
	prefetch_filter(f, a->h_full);
	for (size_t i = 0; i < c->n_tokens && i < GATHER_PREFETCH_TOKENS; i++)
		prefetch_filter(f, a->h_tok[i]);
	for (size_t i = 0; i < c->n_tokens && i < GATHER_TYPO_AHEAD; i++) {
		if (c->trade[i])
			a->words[i].k = 0;
		else
			typo_probe_init(&idx->typos, MAP_DELETION, c->tokens[i], c->lens[i], &a->words[i]);
	}
}

typedef struct contact_prep {
	char **urls;          /* normalised LinkedIn URLs (in the arena, NULL-terminated) */
	char **emails;        /* normalised addresses (likewise) */
	const char **domains; /* their domains that are not free-mail, each once (likewise) */
	names_company company;     /* in the arena */
	bool has_company;
	names_company company_de;  /* German transliteration, when it differs */
	bool has_company_de;
	const names_person *person; /* NULL: none; in the arena or the cache */
	names_person own_person;    /* parsed for this contact only (no cache) */
	/* Of company and company_de: the caller's (a few kilobytes), not
	 * zeroed with the rest for every contact. */
	company_ahead *ahead;
} contact_prep;

static void contact_prep_done(contact_prep *p)
{
	/* Everything is in the arena or the cache. */
	*p = (contact_prep) {0};
}

static bool strs_contain(char *const *l, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (streq(l[i], s))
			return true;
	return false;
}

/* The contact's LinkedIn URLs, normalised, each once, into the arena. */
static int prepare_urls(names_arena *a, char *const *raw, char ***ret)
{
	char **l = names_arena_alloc(a, (strv_length(raw) + 1) * sizeof *l);
	size_t n = 0;
	if (!l)
		return -ENOMEM;
	for (char *const *u = raw; u && *u; u++) {
		_cleanup_free_ char *v = NULL;
		int r = names_linkedin_url(*u, &v);
		if (r == -EINVAL)
			continue; /* not a LinkedIn profile: nothing to compare */
		if (r < 0)
			return r;
		if (strs_contain(l, n, v))
			continue;
		size_t len = strlen(v) + 1;
		l[n] = names_arena_alloc(a, len);
		if (!l[n])
			return -ENOMEM;
		memcpy(l[n++], v, len);
	}
	l[n] = NULL;
	*ret = l;
	return 0;
}

/* The contact's addresses, normalised, each once, and their domains that
 * may identify an employer, into the arena. */
static int prepare_emails(const match_index *idx, names_arena *a, char *const *raw, contact_prep *p)
{
	size_t max = strv_length(raw), n = 0, nd = 0;
	p->emails = names_arena_alloc(a, (max + 1) * sizeof *p->emails);
	p->domains = names_arena_alloc(a, (max + 1) * sizeof *p->domains);
	if (!p->emails || !p->domains)
		return -ENOMEM;
	for (char *const *e = raw; e && *e; e++) {
		char *v;
		int r = names_email_in(a, *e, &v);
		if (r == -EINVAL)
			continue;
		if (r < 0)
			return r;
		if (!strs_contain(p->emails, n, v))
			p->emails[n++] = v;
	}
	p->emails[n] = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *d = names_email_domain(p->emails[i]);
		/* m18: a Gmail address says nothing about the employer. */
		if (d && !names_domain_is_free_mail(d, idx->free_mail) &&
		    !strs_contain((char *const *)p->domains, nd, d))
			p->domains[nd++] = d;
	}
	p->domains[nd] = NULL;
	return 0;
}

/* The person cache's key: which parse ('s': first and last apart, 'n': one
 * whole name) and its input, NUL-separated; and its hash, FNV-1a over x
 * and y as two chains that run side by side (a hit, most contacts, needs
 * no copy of the key). */
typedef struct person_key {
	char mode;
	const char *x, *y;
	size_t lx, ly;
	uint64_t hash;
} person_key;

static void person_key_init(person_key *k, char mode, const char *x, const char *y)
{
	*k = (person_key) { .mode = mode, .x = strempty(x), .y = strempty(y) };
	uint64_t hx = hash_fnv1a_step(HASH_FNV1A_OFFSET, (unsigned char)mode), hy = HASH_FNV1A_OFFSET;
	const unsigned char *p = (const unsigned char *)k->x, *q = (const unsigned char *)k->y;
	while (*p && *q) {
		hx = hash_fnv1a_step(hx, *p++);
		hy = hash_fnv1a_step(hy, *q++);
	}
	for (; *p; p++)
		hx = hash_fnv1a_step(hx, *p);
	for (; *q; q++)
		hy = hash_fnv1a_step(hy, *q);
	k->lx = (size_t)(p - (const unsigned char *)k->x);
	k->ly = (size_t)(q - (const unsigned char *)k->y);
	k->hash = (hx ^ (hy * 0x9E3779B97F4A7C15ull)) + k->lx;
}

static bool person_key_equal(const person_slot *e, const person_key *k)
{
	return e->used && e->hash == k->hash && e->key_len == 2 + k->lx + k->ly && e->key[0] == k->mode &&
	       memcmp(e->key + 1, k->x, k->lx + 1) == 0 && memcmp(e->key + 2 + k->lx, k->y, k->ly) == 0;
}

/* The key as the cache keeps it, in a. */
static char *person_key_copy(names_arena *a, const person_key *k)
{
	char *c = names_arena_alloc(a, 2 + k->lx + k->ly);
	if (!c)
		return NULL;
	c[0] = k->mode;
	memcpy(c + 1, k->x, k->lx + 1);
	memcpy(c + 2 + k->lx, k->y, k->ly);
	return c;
}

static int person_parse(names_arena *a, char mode, const char *x, const char *y, names_person *ret)
{
	return mode == 's' ? names_person_parse_split_in(a, x, y, ret) : names_person_parse_in(a, x, ret);
}

/* The contact's parsed name (NULL when it has none): from the cache when
 * the same fields were parsed before, else parsed (and copied into the
 * cache). */
static int prepare_person(match_scratch *s, const contact *c, contact_prep *p)
{
	/* Exports give first/last (LinkedIn, CRMs) or a whole name (vCard FN);
	 * without a last name the whole name is the better source. */
	char mode = 's';
	const char *x = c->first, *y = c->last;
	int r;
	if (isempty(c->last)) {
		mode = 'n';
		x = !isempty(c->name) ? c->name : c->first;
		y = NULL;
		if (isempty(x))
			return 0;
	}
	if (!s->persons || s->bypass > 0) {
		if (s->bypass > 0)
			s->bypass--;
		r = person_parse(&s->arena, mode, x, y, &p->own_person);
		if (r == -EINVAL)
			return 0;
		if (r < 0)
			return r;
		p->person = &p->own_person;
		return 0;
	}

	person_key key;
	person_key_init(&key, mode, x, y);
	uint64_t h = key.hash;
	person_slot *set = &s->persons[h & (PERSON_CACHE_SLOTS - 2)], *e = NULL;
	for (size_t i = 0; i < 2 && !e; i++)
		if (person_key_equal(&set[i], &key))
			e = &set[i];
	s->hits += e != NULL;
	if (++s->lookups == PERSON_CACHE_WINDOW) {
		/* Names that rarely repeat (an export of people, not of a few
		 * hundred pairs) make every lookup a miss whose probe, key and
		 * copy cost a quarter of parsing the name: then the cache is left
		 * alone for a while, and asked again after. */
		if (s->hits * 4 < s->lookups)
			s->bypass = PERSON_CACHE_WINDOW * PERSON_CACHE_REST;
		s->lookups = s->hits = 0;
	}
	if (e && e == &set[1]) {
		/* Most recent first: the other one is replaced next. */
		person_slot t = set[0];
		set[0] = set[1];
		set[1] = t;
		e = &set[0];
	}
	if (!e) {
		if (s->inserted >= PERSON_CACHE_SLOTS) {
			/* Emptied wholesale: the arena holds at most this many. */
			memset(s->persons, 0, PERSON_CACHE_SLOTS * sizeof *s->persons);
			names_arena_reset(&s->cache);
			s->inserted = 0;
		}
		names_person parsed;
		r = person_parse(&s->arena, mode, x, y, &parsed);
		if (r < 0 && r != -EINVAL)
			return r;
		set[1] = set[0];
		e = &set[0];
		e->used = false;
		if (r == 0) {
			int k = names_person_copy_in(&s->cache, &parsed, &e->person);
			if (k < 0)
				return k;
		}
		char *ck = person_key_copy(&s->cache, &key);
		if (!ck)
			return -ENOMEM;
		e->key = ck;
		e->key_len = 2 + key.lx + key.ly;
		e->hash = h;
		e->r = r;
		e->used = true;
		s->inserted++;
	}
	p->person = e->r == 0 ? &e->person : NULL;
	return 0;
}

static int contact_prepare(const match_index *idx, match_scratch *s, const contact *c, contact_prep *p)
{
	names_arena *a = &s->arena;
	int r;
	/* The company first: its lookups are hashed ahead (company_ahead_init),
	 * and the rest of the preparing gives their cache misses time. */
	if (!isempty(c->company)) {
		r = names_company_parse_in(a, c->company, false, &p->company);
		p->has_company = r >= 0;
		if (r < 0 && r != -EINVAL)
			return r;
		if (p->has_company)
			company_ahead_init(idx, &p->company, &p->ahead[0]);
		if (p->has_company && names_has_transliteration(c->company)) {
			r = names_company_parse_in(a, c->company, true, &p->company_de);
			p->has_company_de = r >= 0;
			if (r < 0 && r != -EINVAL)
				return r;
			if (p->has_company_de && streq(p->company_de.full_key, p->company.full_key))
				p->has_company_de = false;
			if (p->has_company_de)
				company_ahead_init(idx, &p->company_de, &p->ahead[1]);
		}
	}
	r = prepare_urls(a, c->urls, &p->urls);
	if (r >= 0)
		r = prepare_emails(idx, a, c->emails, p);
	if (r < 0)
		return r;
	return prepare_person(s, c, p);
}

/* A contact's candidates: at most MATCH_MAX_CANDIDATES relations, on the
 * stack. Keys are gathered strongest first (URL, address, domain, whole
 * company key, words, typos, near misses), so when a very common word fills
 * the list it is the weakest leads that are dropped. */
typedef struct candidates {
	uint32_t ids[MATCH_MAX_CANDIDATES];
	size_t n;
	uint8_t *gram_counts; /* the scratch's, at least the index's n_words */
} candidates;

static void candidates_add_entry(candidates *cs, const map *m, const map_entry *e)
{
	for (size_t i = 0; e && i < e->n && cs->n < ELEMENTSOF(cs->ids); i++)
		cs->ids[cs->n++] = m->ids[e->at + i];
}

/* The relations the probe's variants reach, in the order of its variants
 * and, for each, in the order they went into the table. */
static void typo_probe_lookup(const delmap *d, const typo_probe *t, candidates *cs)
{
	size_t mask = d->cap - 1;
	/* The variants the filter lets pass (few) as bits (k <= TYPO_MAX_WORD:
	 * n is below it), their first slots asked for before the first
	 * probe. The tests are branch-free, so that the filter's words (a
	 * cache miss each, at worst) are all read at once rather than one
	 * after each mispredicted test. */
	uint64_t pass = 0;
	for (size_t v = 0; v < t->k; v++)
		pass |= (uint64_t)bloom_may_contain(&d->filter, t->fp[v]) << v;
	for (uint64_t m = pass; m; m &= m - 1)
		__builtin_prefetch(&d->slots[delmap_index(d, t->fp[__builtin_ctzll(m)])]);
	for (uint64_t m = pass; m; m &= m - 1) {
		size_t v = (size_t)__builtin_ctzll(m);
		for (size_t i = delmap_index(d, t->fp[v]); d->slots[i]; i = (i + 1) & mask)
			if ((uint32_t)(d->slots[i] >> 32) == t->fp[v] && cs->n < ELEMENTSOF(cs->ids))
				cs->ids[cs->n++] = (uint32_t)d->slots[i];
	}
}

static void lookup_deletions(const delmap *d, map_kind kind, const char *word, size_t n, candidates *cs)
{
	typo_probe t;
	typo_probe_init(d, kind, word, n, &t);
	typo_probe_lookup(d, &t, cs);
}

/* Ascending, for candidate lists (at most MATCH_MAX_CANDIDATES): a Shell
 * sort (Ciura's gaps, then plain insertion) with the comparison inline;
 * qsort's callback per comparison cost more than the scoring of a typical
 * contact once a common surname filled the list. */
static void sort_u32(uint32_t *v, size_t n)
{
	static const size_t gaps[] = { 132, 57, 23, 10, 4, 1 };
	for (size_t g = 0; g < ELEMENTSOF(gaps); g++) {
		size_t gap = gaps[g];
		for (size_t i = gap; i < n; i++) {
			uint32_t x = v[i];
			size_t j = i;
			for (; j >= gap && v[j - gap] > x; j -= gap)
				v[j] = v[j - gap];
			v[j] = x;
		}
	}
}

/* Near misses of one contact word of n letters: vocabulary words sharing
 * at least half of its informative trigrams, then (cheap, exact)
 * Jaro-Winkler >= idx->near_jw before their relations become candidates.
 * A near miss is only ever reported for review, at 0.85 x its similarity,
 * so a pair below (CompanyThreshold - MATCH_REVIEW_BAND) / 0.85 can never
 * be reported (0.965 at the default threshold). The gate sits
 * QGRAM_GATE_MARGIN below that, not on it: a relation reached through one
 * word pair may score through another form of it (German transliteration,
 * an alias) that is a little more alike; at the default threshold the
 * margin leaves 0.94, which kept every match of the benchmark and of the
 * evaluation while it halved the pairs compared. Never below NAMES_JW_NEAR
 * (what names_company_compare calls different words). */
static void qgram_search(const match_index *idx, const char *w, size_t n, const uint8_t letters[32], uint32_t mask,
			 candidates *cs)
{
	const qgram_index *q = &idx->qgrams;
	if (q->cap == 0 || n < QGRAM_MIN_WORD || n > QGRAM_MAX_WORD)
		return;
	uint32_t g[QGRAM_MAX_WORD], hits[QGRAM_MAX_HITS];
	const qgram_entry *ge[QGRAM_MAX_WORD];
	size_t ng = qgram_of(w, n, g), nh = 0, seen = 0, considered = 0;
	/* Only the grams the filter lets pass can count (their order kept:
	 * it decides which words come first); fewer than two end it. */
	size_t nr = 0;
	for (size_t i = 0; i < ng; i++) {
		g[nr] = g[i];
		nr += bloom_may_contain(&q->rare, g[i]);
	}
	if (nr < 2)
		return;
	ng = nr;
	/* The grams' slots asked for together, then their postings (see
	 * map_prefetch), before any is read. */
	for (size_t i = 0; i < ng; i++)
		__builtin_prefetch(&q->slots[qgram_home(q, g[i])]);
	for (size_t i = 0; i < ng; i++) {
		ge[i] = qgram_slot(q, g[i]);
		if (ge[i]->key && ge[i]->len <= QGRAM_MAX_POSTINGS) {
			__builtin_prefetch(&q->postings[ge[i]->start]);
			__builtin_prefetch(&q->lens[ge[i]->start]);
		}
	}
	for (size_t i = 0; i < ng; i++) {
		const qgram_entry *e = ge[i];
		if (!e->key || e->len > QGRAM_MAX_POSTINGS)
			continue;
		considered++;
		/* A word more than QGRAM_MAX_LEN_DIFF letters longer or shorter
		 * is never a near miss: dropped before counting. The cap on hits
		 * still counts every posting (seen), so it cuts the same words
		 * off as without the filter. */
		size_t take = e->len < QGRAM_MAX_HITS - seen ? e->len : QGRAM_MAX_HITS - seen;
		seen += take;
		/* Branch-free: whether a word passes is a coin toss to the
		 * branch predictor. |el - n| <= D as one unsigned comparison. */
		for (uint32_t k = e->start; k < e->start + take; k++) {
			hits[nh] = q->postings[k];
			nh += (size_t)q->lens[k] + QGRAM_MAX_LEN_DIFF - n <= (size_t)2 * QGRAM_MAX_LEN_DIFF;
		}
	}
	if (considered < 2 || nh == 0)
		return;
	/* How many of the word's grams each vocabulary word shares: a counter
	 * per vocabulary word (the thread's, a byte each: at most
	 * QGRAM_MAX_WORD grams), read back in order of first appearance and
	 * cleared as it is read, so all are 0 again at the end. */
	uint8_t *cnt = cs->gram_counts;
	for (size_t i = 0; i < nh; i++)
		cnt[hits[i]]++;
	/* The words sharing enough grams, in place in hits, each asked for
	 * before the first is compared (a vocabulary word is a cache miss). */
	size_t np = 0;
	for (size_t i = 0; i < nh; i++) {
		size_t count = cnt[hits[i]];
		cnt[hits[i]] = 0; /* a repeat now reads 0: seen already */
		if (count * 2 >= considered && count >= 2) {
			__builtin_prefetch(&q->words[hits[i]]);
			hits[np++] = hits[i];
		}
	}
	for (size_t i = 0; i < np; i++) {
		const qgram_word *v = &q->words[hits[i]];
		/* names_jaro_winkler_at_least(w, key, NAMES_JW_NEAR), its
		 * bound from what the vocabulary keeps. */
		size_t prefix = 0;
		while (prefix < 4 && (unsigned char)w[prefix] == v->head[prefix])
			prefix++;
		if (!names_jaro_winkler_may_reach(n, letters, mask, v->len, v->letters, v->mask, prefix, idx->near_jw))
			continue;
		const char *key = idx->map.arena + v->key - 1;
		if (streq(key, w) || names_jaro_winkler(w, key) < idx->near_jw)
			continue;
		for (size_t k = 0; k < v->n && cs->n < ELEMENTSOF(cs->ids); k++)
			cs->ids[cs->n++] = idx->map.ids[v->at + k];
	}
}

static void gather_company(const match_index *idx, const names_company *c, const company_ahead *a,
			   candidates *cs)
{
	const map *m = &idx->map;
	/* All lookups hashed ahead; their slots asked for first (map_prefetch). */
	bool same = a->same;
	uint64_t h_key = a->h_key, h_full = a->h_full;
	const uint64_t *h_tok = a->h_tok;
	map_prefetch(m, h_key);
	map_prefetch(m, h_full);
	for (size_t i = 0; i < c->n_tokens && i < GATHER_PREFETCH_TOKENS; i++)
		map_prefetch(m, h_tok[i]);
	const map_entry *e_key = map_get_hashed(m, MAP_KEY, c->key, h_key);
	candidates_add_entry(cs, m, e_key);
	/* Most names have no low-identity word: the same key twice, whose ids
	 * are added twice (they count against the cap as they did). */
	candidates_add_entry(cs, m, same ? e_key : map_get_hashed(m, MAP_KEY, c->full_key, h_full));
	for (size_t i = 0; i < c->n_tokens; i++) {
		const char *t = c->tokens[i];
		const map_entry *e = i < GATHER_PREFETCH_TOKENS ? map_get_hashed(m, MAP_TOKEN, t, h_tok[i])
								: map_get(m, MAP_TOKEN, t);
		candidates_add_entry(cs, m, e);
		/* A word in the trade table is spelt right, and no relation has a
		 * trade word as its distinctive one: no typo search. (A misspelt
		 * trade word is not in the table and is searched; the comparison
		 * then decides.) A word found as it is needs no near misses. */
		if (c->trade[i] || e)
			continue;
		if (i < GATHER_TYPO_AHEAD)
			typo_probe_lookup(&idx->typos, &a->words[i], cs);
		else
			lookup_deletions(&idx->typos, MAP_DELETION, t, c->lens[i], cs);
		qgram_search(idx, t, c->lens[i], c->letters[i], c->masks[i], cs);
	}
}

/* Every relation any of the contact's keys reaches, each once, at most
 * MATCH_MAX_CANDIDATES. */
static void gather_candidates(const match_index *idx, const contact_prep *p, candidates *cs)
{
	const map *m = &idx->map;

	for (char **u = p->urls; u && *u; u++)
		candidates_add_entry(cs, m, map_get(m, MAP_URL, *u));
	for (char **e = p->emails; e && *e; e++)
		candidates_add_entry(cs, m, map_get(m, MAP_EMAIL, *e));
	/* mail.hoogendijk.nl, then hoogendijk.nl: walking up at dots is what
	 * makes "within" exact (never nothoogendijk.nl, never
	 * hoogendijk.nl.example.com, whose parents are example.com and com). */
	for (const char **d = p->domains; d && *d; d++)
		for (const char *s = *d; s && strchr(s, '.'); s = strchr(s, '.') + 1)
			candidates_add_entry(cs, m, map_get(m, MAP_DOMAIN, s));
	for (size_t f = 0; p->person && f < (p->person->german_same ? 1u : 2u); f++)
		for (size_t i = 0; i < p->person->form[f].n_surnames; i++) {
			const char *main = p->person->form[f].surnames[i].main;
			const map_entry *e = map_get(m, MAP_SURNAME, main);
			candidates_add_entry(cs, m, e);
			if (!e)
				lookup_deletions(&idx->typos, MAP_SURNAME_DELETION, main, strlen(main), cs);
		}
	if (p->has_company)
		gather_company(idx, &p->company, &p->ahead[0], cs);
	if (p->has_company_de)
		gather_company(idx, &p->company_de, &p->ahead[1], cs);
	if (cs->n > 1) {
		/* Most lists are one key's ids, already in order. */
		size_t sorted = 1;
		while (sorted < cs->n && cs->ids[sorted - 1] <= cs->ids[sorted])
			sorted++;
		if (sorted < cs->n)
			sort_u32(cs->ids, cs->n);
		size_t k = 1;
		for (size_t i = 1; i < cs->n; i++)
			if (cs->ids[i] != cs->ids[k - 1])
				cs->ids[k++] = cs->ids[i];
		cs->n = k;
	}
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
	for (const char **d = p->domains; !found && d && *d; d++)
		for (char **rd = rp->domains; !found && rd && *rd; rd++)
			if (names_domain_within(*d, *rd)) {
				scoring_add(s, "email_domain", *d, *rd, SCORE_EMAIL_DOMAIN, true);
				found = true;
			}
	/* Feature company_name: the contact works at the company by name
	 * (or alias; either spelling of a transliterated name). */
	double best = 0;
	const names_company *bn = NULL, *bc = NULL;
	for (size_t f = 0; f < 2; f++) {
		const names_company *cc = f == 0 ? (p->has_company ? &p->company : NULL)
						 : (p->has_company_de ? &p->company_de : NULL);
		for (size_t i = 0; cc && i < rp->n_names; i++) {
			double v = names_company_compare(cc, &rp->names[i]);
			if (v > best) {
				best = v;
				bn = &rp->names[i];
				bc = cc;
			}
		}
	}
	if (bn)
		scoring_add(s, "company_name", bc->full_key, bn->full_key, best, true);
	(void)idx;
}

static void score_person(const match_index *idx, const relation_prep *rp, const contact_prep *p,
			 bool identity_agrees, scoring *s)
{
	if (!p->person)
		return;
	names_person_agreement best = NAMES_PERSON_DISAGREE;
	const names_person *bp = NULL;
	for (size_t i = 0; i < rp->n_persons; i++) {
		names_person_agreement a = names_person_compare(p->person, &rp->persons[i]);
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
	for (size_t f = 0; rp->has_employer && f < 2; f++) {
		const names_company *cc = f == 0 ? (p->has_company ? &p->company : NULL)
						 : (p->has_company_de ? &p->company_de : NULL);
		/* cc is checked again: a CompanyThreshold of 0 lets v = 0 pass. */
		double v = cc ? names_company_compare(cc, &rp->employer) : 0;
		if (cc && v + SCORE_EPSILON >= idx->company_threshold) {
			scoring_add(s, "company_corroboration", cc->full_key, rp->employer.full_key, v, false);
			corroborated = true;
			break;
		}
	}
	bool dom = false;
	for (const char **d = p->domains; !dom && d && *d; d++)
		for (char **rd = rp->email_domains; !dom && rd && *rd; rd++)
			if (names_domain_within(*d, *rd)) {
				scoring_add(s, "email_domain_corroboration", *d, *rd, SCORE_EMAIL_DOMAIN, false);
				dom = corroborated = true;
			}

	double v;
	switch (best) {
	case NAMES_PERSON_FULL:
		v = corroborated ? SCORE_PERSON_FULL : SCORE_PERSON_FULL_ALONE;
		break;
	case NAMES_PERSON_FULL_LOOSE:
		v = corroborated ? SCORE_PERSON_FULL_LOOSE : SCORE_PERSON_FULL_LOOSE_ALONE;
		break;
	case NAMES_PERSON_INITIALS:
		v = corroborated ? SCORE_PERSON_INITIALS : SCORE_PERSON_UNCORROBORATED;
		break;
	default:
		v = corroborated ? SCORE_PERSON_TYPO : SCORE_PERSON_UNCORROBORATED;
		break;
	}
	scoring_add(s, "person_name", p->person->display, bp->display, v, true);
}

/* Strength of a feature as an identity signal (domain.md, "Identity
 * signals, strongest first"); corroboration comes after what it corroborates. */
static int feature_rank(const char *feature)
{
	static const char *const order[] = { "profile_url",		   "email",	   "email_domain",
					     "company_name",		   "person_name", "company_corroboration",
					     "email_domain_corroboration" };
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

static int commit_match(const relation *rel, const scoring *s, double score, bool review, match_list *out)
{
	match m = { .relation = rel, .score = score, .review = review };
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

/* Whether relation id can be reported for this contact: false only for a
 * company relation that only its name could tie to the contact (no URL,
 * address or domain on one of the two sides) and none of whose names can
 * agree with the contact's. Most candidates a common word brings end
 * here, having read two bytes and a cache line. */
static bool relation_may_score(const match_index *idx, uint32_t id, const contact_prep *p)
{
	unsigned q = idx->quick[id];
	if (!(q & QUICK_COMPANY))
		return true;
	if ((q & QUICK_URL && p->urls[0]) || (q & QUICK_EMAILS && p->emails[0]) || (q & QUICK_DOMAINS && p->domains[0]))
		return true;
	for (uint32_t k = idx->summary_at[id]; k < idx->summary_at[id + 1]; k++)
		if ((p->has_company && names_company_may_agree(&p->company, &idx->summaries[k])) ||
		    (p->has_company_de && names_company_may_agree(&p->company_de, &idx->summaries[k])))
			return true;
	return false;
}

static int score_candidate(const match_index *idx, uint32_t id, const contact_prep *p, match_list *out)
{
	if (!relation_may_score(idx, id, p))
		return 0;
	const relation_prep *rp = &idx->prep[id];
	const relation *rel = &idx->set->items[id];
	scoring s;
	s.n = 0; /* only the entries up to n are read */
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
	 * alternative proofs, not votes to be added up (an exact URL does not
	 * become more certain because the company agrees too, and two weak
	 * signals must not add up to an alert). Corroborating evidence is
	 * already folded into person_name. Below the threshold but within
	 * MATCH_REVIEW_BAND of it: reported for review, never as a breach. */
	double score = 0;
	for (size_t i = 0; i < s.n; i++)
		if (s.ev[i].decisive && s.ev[i].score > score)
			score = s.ev[i].score;
	double threshold = rel->type == RELATION_COMPANY ? idx->company_threshold : idx->person_threshold;
	if (score <= 0 || score + SCORE_EPSILON < threshold - MATCH_REVIEW_BAND)
		return 0;
	bool review = score + SCORE_EPSILON < threshold;
	int r = commit_match(rel, &s, score, review, out);
	return r < 0 ? r : 1;
}

/* The scratch's counters for qgram_search, grown to the index's vocabulary
 * (a scratch serves every index of its thread). */
static int scratch_reserve_gram_counts(match_scratch *s, const match_index *idx, candidates *cs)
{
	size_t n = idx->qgrams.n_words;
	if (n > s->n_gram_counts) {
		uint8_t *c = calloc(n, 1);
		if (!c)
			return -ENOMEM;
		free(s->gram_counts);
		s->gram_counts = c;
		s->n_gram_counts = n;
	}
	cs->gram_counts = s->gram_counts;
	return 0;
}

int match_candidates(const match_index *idx, const contact *c, uint32_t *ret, size_t max)
{
	match_scratch s;
	company_ahead ahead[2];
	contact_prep p = { .ahead = ahead };
	candidates cs;
	int r;

	if (!idx || !c || (!ret && max > 0))
		return -EINVAL;
	cs.n = 0;
	scratch_init(&s);
	r = scratch_reserve_gram_counts(&s, idx, &cs);
	if (r >= 0)
		r = contact_prepare(idx, &s, c, &p);
	if (r >= 0) {
		gather_candidates(idx, &p, &cs);
		for (size_t i = 0; i < cs.n && i < max; i++)
			ret[i] = cs.ids[i];
		r = (int)cs.n;
	}
	contact_prep_done(&p);
	scratch_done(&s);
	return r;
}

/* Before candidate i is scored, the first name summary of the one
 * PREFETCH_AHEAD on is asked for (see map_prefetch): a common word brings
 * hundreds of candidates from anywhere in the index, and most are
 * dismissed in less time than one cache miss takes. */
#define PREFETCH_AHEAD 8
static void prefetch_candidate(const match_index *idx, const candidates *cs, size_t i)
{
	if (i + PREFETCH_AHEAD < cs->n)
		__builtin_prefetch(&idx->summaries[idx->summary_at[cs->ids[i + PREFETCH_AHEAD]]]);
}

int match_contact_scratch(const match_index *idx, match_scratch *s, const contact *c, match_list *out)
{
	company_ahead ahead[2];
	contact_prep p = { .ahead = ahead };
	candidates cs;
	int r, n = 0;

	if (!idx || !s || !c || !out)
		return -EINVAL;
	cs.n = 0;
	/* The previous contact's values are no longer referenced. */
	names_arena_reset(&s->arena);
	r = scratch_reserve_gram_counts(s, idx, &cs);
	if (r >= 0)
		r = contact_prepare(idx, s, c, &p);
	if (r < 0)
		goto fail;
	gather_candidates(idx, &p, &cs);
	for (size_t i = 0; i < cs.n; i++) {
		prefetch_candidate(idx, &cs, i);
		r = score_candidate(idx, cs.ids[i], &p, out);
		if (r < 0)
			goto fail;
		n += r;
	}
	r = n;
fail:
	contact_prep_done(&p);
	return r;
}

int match_contact(const match_index *idx, const contact *c, match_list *out)
{
	/* A contact's values fit here: no allocation but for the results. */
	uint64_t first_block[4096 / sizeof(uint64_t)];
	match_scratch s;
	scratch_init(&s);
	names_arena_init_buffer(&s.arena, first_block, sizeof first_block);
	int r = match_contact_scratch(idx, &s, c, out);
	scratch_done(&s);
	return r;
}
