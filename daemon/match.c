/* match.c — the matcher: an index built once per employee from the clause's
 * relations (exact keys, one-edit deletion keys, a trigram index of the
 * distinctive company words), and the scoring of one contact against the
 * few relations its keys reach. Pure: no I/O, no logging, no clock.
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
 * The index is read-only after match_index_new and may serve several
 * threads.
 *
 * What decides which candidates a contact reaches must not change without
 * a reason (FNV-1a for the map and the typo fingerprints, the postings'
 * order, the order keys are gathered in): when more than
 * MATCH_MAX_CANDIDATES are found, that order decides which are scored. */
#include <errno.h>
#include <stdio.h>

#include "contactwatch/array.h"
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
/* Words at least this long get the one-typo deletion keys. */
#define TYPO_MIN_RELATION NAMES_TYPO_MIN_WORD
#define TYPO_MIN_CONTACT  (TYPO_MIN_RELATION - 1)
#define TYPO_MAX_WORD     64
/* Trigram blocking for near misses: words of 5..32 letters (shorter ones
 * are acronyms, matched exactly); a trigram shared by more than
 * QGRAM_MAX_POSTINGS vocabulary words ("van", "en$") says little and would
 * make the cost grow with the catalogue, so it is skipped; at most
 * QGRAM_MAX_HITS postings are collected per word. */
#define QGRAM_MIN_WORD     (NAMES_COMPANY_SHORT_WORD + 1)
#define QGRAM_MAX_WORD     32
#define QGRAM_MAX_POSTINGS 32
#define QGRAM_MAX_HITS     256
/* A near miss is at most this many letters longer or shorter (JW >= 0.88
 * between words of 5+ letters allows no more in practice). */
#define QGRAM_MAX_LEN_DIFF 2
/* How far below the least reportable near-miss similarity qgram_search
 * still looks (see there). */
#define QGRAM_GATE_MARGIN 0.025

/* ---- a Bloom filter in front of a table ----------------------------------
 * Sixteen bits per key, two of them set per key, both in the same 64-bit
 * word (a "blocked" filter: one cache line read per test): about one key
 * in sixty of those that are absent gets past it, where a table probe
 * behind it is a cache miss. Small enough to stay in the cache while the
 * tables are megabytes, and most of a contact's lookups (its words, their
 * typo variants) find nothing. It has no false negatives, so what a lookup
 * finds is unchanged. */
typedef struct bloom {
	uint64_t *bits;   /* NULL: lets everything pass */
	unsigned shift;   /* 64 - log2(number of 64-bit words) */
} bloom;

/* The word (top bits of one product) and the two bits in it (two 6-bit
 * fields of a second product), as one mask. */
static size_t bloom_word(const bloom *b, uint64_t x)
{
	return (size_t)((x * 0xD6E8FEB86659FD93ull) >> b->shift);
}

static uint64_t bloom_mask(uint64_t x)
{
	uint64_t h = x * 0x9E3779B97F4A7C15ull;
	return 1ull << (h >> 58) | 1ull << (h >> 52 & 63);
}

static bool bloom_may_contain(const bloom *b, uint64_t x)
{
	if (!b->bits)
		return true;
	uint64_t m = bloom_mask(x);
	return (b->bits[bloom_word(b, x)] & m) == m;
}

/* An empty filter sized for n keys. */
static int bloom_init(bloom *b, size_t n)
{
	unsigned log2 = 3;
	while (((size_t)1 << (log2 + 6)) < n * 16 && log2 < 34)
		log2++;
	b->bits = calloc((size_t)1 << log2, sizeof *b->bits);
	if (!b->bits)
		return -ENOMEM;
	b->shift = 64 - log2;
	return 0;
}

static void bloom_add(bloom *b, uint64_t x)
{
	b->bits[bloom_word(b, x)] |= bloom_mask(x);
}

static void bloom_done(bloom *b)
{
	free(b->bits);
	*b = (bloom) {0};
}

/* ---- a small open-addressing multimap: (kind, string) -> relation ids ---- */

typedef enum map_kind {
	MAP_URL = 1,  /* normalised LinkedIn URL */
	MAP_EMAIL,    /* normalised address */
	MAP_DOMAIN,   /* company relation domain */
	MAP_KEY,      /* company key / full key */
	MAP_TOKEN,    /* distinctive company word */
	MAP_DELETION, /* a lone distinctive company word of >= 8 letters, or it less one letter */
	MAP_SURNAME,  /* main surname of a person relation */
	MAP_SURNAME_DELETION, /* a main surname of >= 8 letters, or it less one letter */
} map_kind;

/* Layout: no allocation per key. Key strings live in one arena (entries
 * hold offsets, so the arena may move while it grows); relation ids are
 * appended as (key ordinal, id) pairs while the index is built and laid out
 * once, by a counting sort, as one flat array (CSR: each entry holds the
 * start and length of its run). A key costs its slot (24 bytes), its
 * letters and 4 bytes an id; freeing the map is four free() calls. */
typedef struct map_entry {
	uint64_t hash;
	uint32_t key;   /* offset + 1 into map.arena; 0: empty slot */
	uint32_t at;    /* while building: the key's ordinal; after map_finish: start in map.ids */
	uint32_t n;     /* number of ids (set by map_finish) */
	uint32_t kind;  /* map_kind */
} map_entry;

typedef struct map {
	map_entry *slots;
	size_t cap;       /* power of two */
	size_t n;         /* keys */
	char *arena;      /* the keys, NUL-terminated, back to back */
	size_t arena_len, arena_cap;
	uint32_t *ids;    /* after map_finish: every entry's ids, run after run */
	/* While building only: */
	uint64_t *pairs;  /* ordinal << 32 | id, in insertion order */
	size_t n_pairs, cap_pairs;
	uint32_t *last;   /* per ordinal: the last id added (a repeat is always the last) */
	size_t cap_last;
	bloom filter;     /* of the entries' hashes, from map_finish on */
} map;

static uint64_t map_hash(map_kind kind, const char *s)
{
	/* FNV-1a: short keys, no adversary who controls both sides. The slot
	 * order it gives decides the order of the trigram postings (built in
	 * slot order), and with it which near misses the hit cap cuts off:
	 * another hash would change which candidates a contact reaches. */
	uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;
	h *= 1099511628211ull;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	return h;
}

static const char *map_key(const map *m, const map_entry *e)
{
	return m->arena + e->key - 1;
}

static map_entry *map_slot(const map *m, map_kind kind, const char *s, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		map_entry *e = &m->slots[i];
		if (!e->key || (e->hash == h && e->kind == kind && streq(map_key(m, e), s)))
			return e;
	}
}

static int map_grow(map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 256;
	map_entry *ns = calloc(ncap, sizeof *ns);
	if (!ns)
		return -ENOMEM;
	map_entry *old = m->slots;
	size_t ocap = m->cap;
	m->slots = ns;
	m->cap = ncap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].key)
			*map_slot(m, old[i].kind, map_key(m, &old[i]), old[i].hash) = old[i];
	free(old);
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
		size_t len = strlen(s) + 1;
		if (m->arena_len + len >= UINT32_MAX || m->n >= UINT32_MAX)
			return -E2BIG;
		int r = array_reserve(&m->arena, &m->arena_cap, m->arena_len + len, 1);
		if (r >= 0)
			r = array_reserve(&m->last, &m->cap_last, m->n + 1, sizeof *m->last);
		if (r < 0)
			return r;
		memcpy(m->arena + m->arena_len, s, len);
		e->key = (uint32_t)m->arena_len + 1;
		m->arena_len += len;
		e->hash = h;
		e->kind = kind;
		e->at = (uint32_t)m->n;
		m->last[m->n++] = UINT32_MAX;
	}
	/* Ids arrive relation by relation, so a repeat is always the last one.
	 * (last is never NULL here: an entry exists only once last has its
	 * ordinal, which the analyzer cannot follow across calls.) */
	if (m->last[e->at] == id) /* NOLINT(clang-analyzer-core.NullDereference): see above */
		return 0;
	int r = array_reserve(&m->pairs, &m->cap_pairs, m->n_pairs + 1, sizeof *m->pairs);
	if (r < 0)
		return r;
	m->last[e->at] = id;
	m->pairs[m->n_pairs++] = (uint64_t)e->at << 32 | id;
	return 0;
}

/* Lays the ids out (a stable counting sort by key ordinal, so each key
 * keeps its ids in insertion order) and drops the build-time arrays. */
static int map_finish(map *m)
{
	uint32_t *start = calloc(m->n + 1, sizeof *start);
	uint32_t *ids = malloc((m->n_pairs ? m->n_pairs : 1) * sizeof *ids);
	if (!start || !ids) {
		free(start);
		free(ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->n_pairs; i++)
		start[(m->pairs[i] >> 32) + 1]++;
	for (size_t k = 0; k < m->n; k++)
		start[k + 1] += start[k];
	for (size_t i = 0; i < m->cap; i++) {
		map_entry *e = &m->slots[i];
		if (e->key) {
			uint32_t k = e->at;
			e->at = start[k];
			e->n = start[k + 1] - start[k];
		}
	}
	for (size_t i = 0; i < m->n_pairs; i++)
		ids[start[m->pairs[i] >> 32]++] = (uint32_t)m->pairs[i];
	free(start);
	free(m->pairs);
	free(m->last);
	m->pairs = NULL;
	m->last = NULL;
	m->n_pairs = m->cap_pairs = m->cap_last = 0;
	m->ids = ids;
	if (bloom_init(&m->filter, m->n) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			bloom_add(&m->filter, m->slots[i].hash);
	return 0;
}

static const map_entry *map_get_hashed(const map *m, map_kind kind, const char *s, uint64_t h)
{
	if (m->cap == 0 || isempty(s) || !bloom_may_contain(&m->filter, h))
		return NULL;
	map_entry *e = map_slot(m, kind, s, h);
	return e->key ? e : NULL;
}

static const map_entry *map_get(const map *m, map_kind kind, const char *s)
{
	return map_get_hashed(m, kind, s, map_hash(kind, s));
}

/* Asks for the slot a lookup of h starts at to be brought into the cache:
 * a contact's lookups land anywhere in tables of megabytes, and issued
 * together their cache misses overlap instead of following each other. */
static void map_prefetch(const map *m, uint64_t h)
{
	if (m->cap > 0 && bloom_may_contain(&m->filter, h))
		__builtin_prefetch(&m->slots[(size_t)h & (m->cap - 1)]);
}

static void map_done(map *m)
{
	free(m->slots);
	free(m->arena);
	free(m->ids);
	free(m->pairs);
	free(m->last);
	bloom_done(&m->filter);
	*m = (map) {0};
}

/* ---- one-edit typos: the symmetric-delete trick, keyed by hash only -------
 * A word and its variants with one byte left out meet every word at edit
 * distance 1 (substitution, insertion, deletion, transposition) by exact
 * lookups. There are about as many variants as letters, so they dominate
 * the index: they are stored as 32-bit fingerprints of their hash next to
 * the relation id (8 bytes a variant), never as strings. That is safe
 * because a variant only makes a relation a candidate; the scoring
 * (names_company_compare, names_person_compare) then decides on the real
 * words, so a fingerprint collision (about 2^-32 a probe) costs one
 * needless comparison, never a match. */

/* The hashes of word and of its distinct one-deletion variants, into out
 * (room for TYPO_MAX_WORD + 1), under kind. A polynomial hash (each byte
 * times a power of an odd constant, mod 2^64) so that a variant's hash is
 * its prefix's, shifted past the gap, plus its suffix's: every variant in
 * a constant number of multiplications, not one per remaining letter (a
 * contact's words are hashed with all their variants, a million times a
 * scan). The polynomial's low bits are weak; each result is mixed
 * (Murmur3's finaliser) before it becomes a fingerprint. Index and
 * contacts both hash through here, so only agreement between them
 * matters. With variants false, only the word itself. */
#define DELETION_BASE 0x100000001b3ull /* odd */
static uint64_t deletion_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ h >> 33;
}

static size_t deletion_hashes(map_kind kind, const char *word, size_t n, bool variants, uint64_t *out)
{
	const unsigned char *w = (const unsigned char *)word;
	/* pre[i]: the hash of the first i bytes (seeded by kind); suf[i]: the
	 * bytes from i on, as the tail of a longer hash; pw[i]: the power
	 * that shifts a prefix past the n - 1 - i bytes after position i. */
	uint64_t pre[TYPO_MAX_WORD + 1], suf[TYPO_MAX_WORD + 1], pw[TYPO_MAX_WORD];
	pre[0] = 0x9E3779B97F4A7C15ull * ((uint64_t)kind + 1);
	for (size_t i = 0; i < n; i++)
		pre[i + 1] = pre[i] * DELETION_BASE + w[i];
	size_t k = 0;
	out[k++] = deletion_mix(pre[n]);
	if (!variants)
		return k;
	uint64_t p = 1;
	suf[n] = 0;
	for (size_t i = n; i-- > 0;) {
		pw[i] = p;
		suf[i] = w[i] * p + suf[i + 1];
		p *= DELETION_BASE;
	}
	/* Deleting either of two equal neighbours gives the same key, so only
	 * the first of a run is deleted. */
	for (size_t i = 0; i < n; i++)
		if (!(i > 0 && w[i] == w[i - 1]))
			out[k++] = deletion_mix(pre[i] * pw[i] + suf[i + 1]);
	return k;
}

/* A multimap fingerprint -> relation ids, open addressing: each slot is
 * fingerprint << 32 | id (0: empty; a fingerprint is never 0). The slot
 * index comes from the fingerprint (Fibonacci hashing, top bits), so the
 * table can grow without the full hashes. */
typedef struct delmap {
	uint64_t *slots;
	size_t cap;       /* power of two, 0 when empty */
	unsigned shift;   /* 64 - log2(cap) */
	size_t n;
	bloom filter;     /* of the fingerprints, from delmap_finish on */
} delmap;

static uint32_t delmap_fingerprint(uint64_t h)
{
	uint32_t fp = (uint32_t)(h >> 32) ^ (uint32_t)h;
	return fp ? fp : 1;
}

static size_t delmap_index(const delmap *d, uint32_t fp)
{
	return (size_t)(((uint64_t)fp * 0x9E3779B97F4A7C15ull) >> d->shift);
}

static void delmap_put(delmap *d, uint64_t v)
{
	size_t mask = d->cap - 1;
	for (size_t i = delmap_index(d, (uint32_t)(v >> 32));; i = (i + 1) & mask) {
		if (d->slots[i] == v)
			return; /* the same relation through another variant */
		if (!d->slots[i]) {
			d->slots[i] = v;
			d->n++;
			return;
		}
	}
}

static int delmap_add(delmap *d, uint64_t h, uint32_t id)
{
	/* Load factor <= 3/4: probe runs stay short with 8-byte slots. */
	if ((d->n + 1) * 4 > d->cap * 3) {
		delmap old = *d;
		size_t ncap = old.cap ? old.cap * 2 : 1024;
		unsigned bits = 0;
		while (((size_t)1 << bits) < ncap)
			bits++;
		d->slots = calloc(ncap, sizeof *d->slots);
		if (!d->slots) {
			*d = old;
			return -ENOMEM;
		}
		d->cap = ncap;
		d->shift = 64 - bits;
		d->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.slots[i])
				delmap_put(d, old.slots[i]);
		free(old.slots);
	}
	delmap_put(d, (uint64_t)delmap_fingerprint(h) << 32 | id);
	return 0;
}

/* Once every variant is in: the filter. */
static int delmap_finish(delmap *d)
{
	if (d->cap == 0)
		return 0;
	int r = bloom_init(&d->filter, d->n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < d->cap; i++)
		if (d->slots[i])
			bloom_add(&d->filter, d->slots[i] >> 32);
	return 0;
}

static void delmap_done(delmap *d)
{
	free(d->slots);
	bloom_done(&d->filter);
	*d = (delmap) {0};
}

/* ---- trigram index over the vocabulary of distinctive company words ------
 * Postings are map slots (each a MAP_TOKEN entry: one word and its
 * relations), built once after the map stops growing. A CSR layout (one
 * sorted postings array, a small open-addressing table gram -> range) keeps
 * the build to one sort and the lookups allocation-free. */

typedef struct qgram_entry {
	uint32_t key;        /* gram + 1; 0: empty slot */
	uint32_t start, len; /* its range in postings */
} qgram_entry;

/* A word of the vocabulary: where its string and its relations are in the
 * map, its length, first bytes and letter counts: the Jaro-Winkler bound
 * needs neither the map slot nor the string, each a cache miss. */
typedef struct qgram_word {
	uint32_t key;        /* offset + 1 into map.arena, as map_entry.key */
	uint32_t at, n;      /* its relation ids in map.ids, as map_entry */
	uint32_t mask;
	uint8_t head[4];     /* its first four bytes (words have at least five) */
	uint8_t len;
	uint8_t letters[32];
} qgram_word;

typedef struct qgram_index {
	qgram_entry *slots;  /* one array, so a probe touches one cache line */
	size_t cap;          /* power of two, 0 when empty */
	size_t bits;         /* log2(cap) */
	uint32_t *postings;  /* vocabulary words (index into words), gram after gram */
	uint8_t *lens;       /* per posting: its word's length, for the length
			      * filter before any counting */
	qgram_word *words;   /* in map slot order */
	size_t n_words;
	bloom rare;          /* the grams with 1..QGRAM_MAX_POSTINGS postings:
			      * the only ones a search counts */
} qgram_index;

/* The trigrams of "^word$" (^ and $ as bytes 1 and 2, which no folded word
 * holds): one per letter, so the first and last letters weigh as much as
 * the middle ones. */
static size_t qgram_of(const char *w, size_t n, uint32_t *out)
{
	/* Rolling: each gram is the last one shifted, plus the next byte. */
	uint32_t g = n > 0 ? 1u << 8 | (unsigned char)w[0] : 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t next = i + 1 < n ? (unsigned char)w[i + 1] : 2;
		g = (g << 8 | next) & 0xffffff;
		out[i] = g + 1;
	}
	return n;
}

/* Where the probe for a gram starts: the top bits of the product (its
 * low bits depend only on the low bits of the gram, and grams sharing
 * their last letters then piled up in long probe runs). */
static size_t qgram_home(const qgram_index *q, uint32_t key)
{
	return q->bits ? (size_t)((key * 2654435761u) >> (32 - q->bits)) : 0;
}

static qgram_entry *qgram_slot(const qgram_index *q, uint32_t key)
{
	size_t mask = q->cap - 1;
	size_t i = qgram_home(q, key);
	while (q->slots[i].key && q->slots[i].key != key)
		i = (i + 1) & mask;
	return &q->slots[i];
}

/* Sorts (gram << 32 | slot) pairs by gram, keeping the order of equal
 * grams: the pairs arrive in ascending slot order, so the result is what
 * sorting the whole 64-bit values gives. Grams are below 2^24 + 1 (three
 * bytes, plus one): two stable counting passes of 13 bits each (LSD radix)
 * instead of qsort's callback per comparison, which cost more than the
 * rest of the index at 100k relations. *pairs may be replaced. */
#define GRAM_RADIX_BITS 13
static int sort_pairs_by_gram(uint64_t **pairs, size_t n)
{
	uint64_t *src = *pairs, *dst = malloc(n * sizeof *dst);
	size_t *count = calloc((size_t)1 << GRAM_RADIX_BITS, sizeof *count);
	if (!dst || !count) {
		free(dst);
		free(count);
		return -ENOMEM;
	}
	const size_t buckets = (size_t)1 << GRAM_RADIX_BITS;
	for (unsigned pass = 0; pass < 2; pass++) {
		unsigned shift = 32 + pass * GRAM_RADIX_BITS;
		memset(count, 0, buckets * sizeof *count);
		for (size_t i = 0; i < n; i++)
			count[(src[i] >> shift) & (buckets - 1)]++;
		size_t sum = 0;
		for (size_t b = 0; b < buckets; b++) {
			size_t c = count[b];
			count[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & (buckets - 1)]++] = src[i];
		uint64_t *t = src;
		src = dst;
		dst = t;
	}
	/* Two passes: the sorted pairs are back in the first buffer. */
	free(dst);
	free(count);
	*pairs = src;
	return 0;
}

static void qgram_done(qgram_index *q)
{
	free(q->slots);
	free(q->postings);
	free(q->lens);
	free(q->words);
	bloom_done(&q->rare);
	*q = (qgram_index) {0};
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
	double near_jw;           /* the near-miss gate of qgram_search */
	char **free_mail;         /* own copy: the index outlives the options */
	relation_prep *prep;
	map map;
	delmap typos;             /* MAP_DELETION, MAP_SURNAME_DELETION variants */
	qgram_index qgrams;
	/* What decides whether a candidate needs scoring at all, per relation
	 * and dense (a common word brings hundreds of candidates, most of
	 * which no name of theirs can agree with): */
	uint8_t *quick;           /* QUICK_* flags */
	uint32_t *summary_at;     /* company: its names' summaries are
				   * summaries[summary_at[id] .. summary_at[id + 1]) */
	names_company_summary *summaries;
};

enum {
	QUICK_COMPANY = 1 << 0,   /* a company relation */
	QUICK_URL = 1 << 1,       /* with a URL, addresses, domains */
	QUICK_EMAILS = 1 << 2,
	QUICK_DOMAINS = 1 << 3,
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
	delmap_done(&idx->typos);
	qgram_done(&idx->qgrams);
	free(idx->quick);
	free(idx->summary_at);
	free(idx->summaries);
	free(idx);
	return NULL;
}

/* A relation word of >= TYPO_MIN_RELATION letters and its variants. */
static int index_deletions(match_index *idx, map_kind kind, const char *word, uint32_t id)
{
	uint64_t h[TYPO_MAX_WORD + 1];
	size_t n = strlen(word);
	if (n < TYPO_MIN_RELATION || n >= TYPO_MAX_WORD)
		return 0;
	size_t k = deletion_hashes(kind, word, n, true, h);
	for (size_t i = 0; i < k; i++) {
		int r = delmap_add(&idx->typos, h[i], id);
		if (r < 0)
			return r;
	}
	return 0;
}

static int index_company_form(match_index *idx, relation_prep *p, uint32_t id, const char *raw, bool german)
{
	names_company c;
	int r = german ? names_company_parse_german(raw, &c) : names_company_parse(raw, &c);
	if (r == -EINVAL)
		return 0; /* nothing identifying in it; the loader warns */
	if (r < 0)
		return r;
	/* The transliterated form is another name only where it differs. */
	if (german && p->n_names > 0 && streq(p->names[p->n_names - 1].full_key, c.full_key)) {
		names_company_done(&c);
		return 0;
	}
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
		if (r >= 0 && c.n_distinctive == 1)
			r = index_deletions(idx, MAP_DELETION, c.tokens[i], id);
	}
	return r;
}

/* "Müller GmbH" is indexed as "muller gmbh" and as "mueller gmbh". */
static int index_company_name(match_index *idx, relation_prep *p, uint32_t id, const char *raw)
{
	int r = index_company_form(idx, p, id, raw, false);
	if (r >= 0 && names_has_transliteration(raw))
		r = index_company_form(idx, p, id, raw, true);
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
	for (size_t f = 0; f < (np.german_same ? 1u : 2u); f++)
		for (size_t i = 0; i < np.form[f].n_surnames; i++) {
			const char *main = np.form[f].surnames[i].main;
			r = map_add(&idx->map, MAP_SURNAME, main, id);
			/* NAMES_PERSON_TYPO: "Hogenboom" reaches "Hoogenboom". */
			if (r >= 0)
				r = index_deletions(idx, MAP_SURNAME_DELETION, main, id);
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

/* The quick flags and name summaries of every relation, once all are
 * indexed. */
static int quick_build(match_index *idx)
{
	size_t n = idx->set->n, total = 0;
	idx->quick = calloc(n ? n : 1, sizeof *idx->quick);
	idx->summary_at = calloc(n + 1, sizeof *idx->summary_at);
	if (!idx->quick || !idx->summary_at)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		total += idx->prep[i].n_names;
	if (total >= UINT32_MAX)
		return -E2BIG;
	idx->summaries = malloc((total ? total : 1) * sizeof *idx->summaries);
	if (!idx->summaries)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const relation_prep *p = &idx->prep[i];
		idx->summary_at[i] = (uint32_t)k;
		idx->quick[i] = (idx->set->items[i].type == RELATION_COMPANY ? QUICK_COMPANY : 0) |
				(p->url ? QUICK_URL : 0) | (p->emails ? QUICK_EMAILS : 0) |
				(p->domains ? QUICK_DOMAINS : 0);
		for (size_t j = 0; j < p->n_names; j++)
			names_company_summarize(&p->names[j], &idx->summaries[k++]);
	}
	idx->summary_at[n] = (uint32_t)k;
	return 0;
}

/* One pass over the finished map: every distinctive company word of
 * QGRAM_MIN_WORD..QGRAM_MAX_WORD letters gives its trigrams. */
static int qgram_build(match_index *idx)
{
	const map *m = &idx->map;
	qgram_index *q = &idx->qgrams;
	uint64_t *pairs = NULL;
	size_t n = 0, cap = 0, uniq = 0, nwords = 0, cap_words = 0;
	int r = -ENOMEM;

	/* Words are numbered in map slot order, so postings sorted by word
	 * are in the order the slots gave them before. */
	for (size_t s = 0; s < m->cap; s++) {
		const map_entry *e = &m->slots[s];
		size_t len = e->key ? strlen(map_key(m, e)) : 0;
		if (!e->key || e->kind != MAP_TOKEN || len < QGRAM_MIN_WORD || len > QGRAM_MAX_WORD)
			continue;
		if (array_reserve(&q->words, &cap_words, nwords + 1, sizeof *q->words) < 0)
			goto fail;
		qgram_word *w = &q->words[nwords];
		w->key = e->key;
		w->at = e->at;
		w->n = e->n;
		memcpy(w->head, map_key(m, e), 4); /* len >= QGRAM_MIN_WORD */
		w->len = (uint8_t)len; /* <= QGRAM_MAX_WORD */
		w->mask = names_letters_count(map_key(m, e), len, w->letters);
		uint32_t g[QGRAM_MAX_WORD];
		size_t ng = qgram_of(map_key(m, e), len, g);
		if (n + ng > cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			while (ncap < n + ng)
				ncap *= 2;
			uint64_t *np = realloc(pairs, ncap * sizeof *np);
			if (!np)
				goto fail;
			pairs = np;
			cap = ncap;
		}
		for (size_t i = 0; i < ng; i++)
			pairs[n++] = (uint64_t)g[i] << 32 | (uint32_t)nwords;
		nwords++;
	}
	if (n == 0) {
		qgram_done(q);
		return 0;
	}
	r = sort_pairs_by_gram(&pairs, n);
	if (r < 0)
		goto fail;
	r = -ENOMEM;
	/* Drop repeats (a word with a trigram twice: "anan"), count grams. */
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (k == 0 || pairs[i] != pairs[k - 1]) {
			if (k == 0 || pairs[i] >> 32 != pairs[k - 1] >> 32)
				uniq++;
			pairs[k++] = pairs[i];
		}
	n = k;
	q->cap = 16;
	q->bits = 4;
	while (q->cap < uniq * 2) {
		q->cap *= 2;
		q->bits++;
	}
	q->slots = calloc(q->cap, sizeof *q->slots);
	q->postings = malloc(n * sizeof *q->postings);
	q->lens = malloc(n);
	if (!q->slots || !q->postings || !q->lens)
		goto fail;
	q->n_words = nwords;
	for (size_t i = 0; i < n; i++) {
		uint32_t key = (uint32_t)(pairs[i] >> 32);
		qgram_entry *e = qgram_slot(q, key);
		if (!e->key) {
			e->key = key;
			e->start = (uint32_t)i;
		}
		e->len++;
		q->postings[i] = (uint32_t)pairs[i];
		q->lens[i] = q->words[q->postings[i]].len;
	}
	r = 0;
fail:
	free(pairs);
	if (r < 0)
		qgram_done(q);
	return r;
}

/* Most words of a contact share fewer than two informative grams with the
 * whole vocabulary and end their search there: a filter (a few hundred
 * bytes for thousands of relations) answers that without probing the gram
 * table once per letter. */
static int qgram_build_filter(qgram_index *q)
{
	size_t n = 0;
	for (size_t i = 0; i < q->cap; i++)
		n += q->slots[i].key && q->slots[i].len <= QGRAM_MAX_POSTINGS;
	if (q->cap == 0)
		return 0;
	int r = bloom_init(&q->rare, n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < q->cap; i++)
		if (q->slots[i].key && q->slots[i].len <= QGRAM_MAX_POSTINGS)
			bloom_add(&q->rare, q->slots[i].key);
	return 0;
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
	idx->near_jw = (opt->company_threshold - MATCH_REVIEW_BAND) / NAMES_NEAR_MISS_WEIGHT - QGRAM_GATE_MARGIN;
	if (idx->near_jw < NAMES_JW_NEAR)
		idx->near_jw = NAMES_JW_NEAR;
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
	r = map_finish(&idx->map);
	if (r >= 0)
		r = delmap_finish(&idx->typos);
	if (r >= 0)
		r = quick_build(idx);
	if (r >= 0)
		r = qgram_build(idx);
	if (r >= 0)
		r = qgram_build_filter(&idx->qgrams);
	if (r < 0)
		goto fail;
	*ret = idx;
	return 0;
fail:
	match_index_free(idx);
	return r;
}

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
	uint64_t hx = 1469598103934665603ull ^ (unsigned char)mode, hy = 1469598103934665603ull;
	const unsigned char *p = (const unsigned char *)k->x, *q = (const unsigned char *)k->y;
	while (*p && *q) {
		hx = (hx ^ *p++) * 1099511628211ull;
		hy = (hy ^ *q++) * 1099511628211ull;
	}
	for (; *p; p++)
		hx = (hx ^ *p) * 1099511628211ull;
	for (; *q; q++)
		hy = (hy ^ *q) * 1099511628211ull;
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
	if (!s->persons) {
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
	int r = prepare_urls(a, c->urls, &p->urls);
	if (r >= 0)
		r = prepare_emails(idx, a, c->emails, p);
	if (r < 0)
		return r;
	if (!isempty(c->company)) {
		r = names_company_parse_in(a, c->company, false, &p->company);
		p->has_company = r >= 0;
		if (r < 0 && r != -EINVAL)
			return r;
		if (p->has_company && names_has_transliteration(c->company)) {
			r = names_company_parse_in(a, c->company, true, &p->company_de);
			p->has_company_de = r >= 0;
			if (r < 0 && r != -EINVAL)
				return r;
			if (p->has_company_de && streq(p->company_de.full_key, p->company.full_key))
				p->has_company_de = false;
		}
	}
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

/* The contact side of the symmetric-delete search: word and, when it is
 * long enough, its one-letter variants, looked up under kind. Relation
 * keys are words of >= TYPO_MIN_RELATION letters and their variants, so
 * never shorter than TYPO_MIN_RELATION - 1: a contact word of exactly that
 * length can only meet them as it is, and its own variants (one shorter)
 * meet nothing, so they are not generated. */
static void lookup_deletions(const delmap *d, map_kind kind, const char *word, size_t n, candidates *cs)
{
	uint64_t h[TYPO_MAX_WORD + 1];
	if (d->cap == 0 || n < TYPO_MIN_CONTACT || n >= TYPO_MAX_WORD)
		return;
	size_t k = deletion_hashes(kind, word, n, n >= TYPO_MIN_RELATION, h);
	size_t mask = d->cap - 1;
	uint32_t fp[TYPO_MAX_WORD + 1];
	size_t at[TYPO_MAX_WORD + 1], np = 0;
	/* The variants the filter lets pass (few), their first slots asked
	 * for before the first probe. Branch-free, so that the filter's
	 * words (a cache miss each, at worst) are all read at once rather
	 * than one after each mispredicted test. */
	for (size_t v = 0; v < k; v++) {
		uint32_t f = delmap_fingerprint(h[v]);
		fp[np] = f;
		np += bloom_may_contain(&d->filter, f);
	}
	for (size_t v = 0; v < np; v++) {
		at[v] = delmap_index(d, fp[v]);
		__builtin_prefetch(&d->slots[at[v]]);
	}
	for (size_t v = 0; v < np; v++)
		for (size_t i = at[v]; d->slots[i]; i = (i + 1) & mask)
			if ((uint32_t)(d->slots[i] >> 32) == fp[v] && cs->n < ELEMENTSOF(cs->ids))
				cs->ids[cs->n++] = (uint32_t)d->slots[i];
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

#define GATHER_PREFETCH_TOKENS 16

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
			t = (t ^ ch) * 1099511628211ull;
		h = (h ^ ch) * 1099511628211ull;
	}
}

static void gather_company(const match_index *idx, const names_company *c, candidates *cs)
{
	const map *m = &idx->map;
	/* All lookups hashed and their slots asked for first (map_prefetch). */
	bool same = streq(c->full_key, c->key);
	uint64_t h_tok[GATHER_PREFETCH_TOKENS];
	uint64_t h_key = map_hash_key_tokens(c, h_tok, GATHER_PREFETCH_TOKENS);
	uint64_t h_full = same ? h_key : map_hash(MAP_KEY, c->full_key);
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
		gather_company(idx, &p->company, cs);
	if (p->has_company_de)
		gather_company(idx, &p->company_de, cs);
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
	contact_prep p = {0};
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
	contact_prep p = {0};
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
