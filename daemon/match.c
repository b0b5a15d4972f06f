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
 * threads. match_index_new itself prepares the relations on worker
 * threads (one per online CPU) and fills its tables in relation order, so
 * the index is the same whatever their number (see "building the index").
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
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "contactwatch/array.h"
#include "contactwatch/hash.h"
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
/* How many items ahead the index build asks for the memory an item will
 * touch first: the tables are megabytes and the keys land anywhere in
 * them, so asked for early the cache misses overlap instead of following
 * one another. */
#define INDEX_PREFETCH 16

/* n zeroed elements of size bytes for a table that is read before it is
 * written (probed, or bits set in place), each page written once here:
 * calloc's fresh pages are mapped to the shared zero page by the first
 * read, and the first write then takes a second page fault. (Through a
 * volatile pointer: malloc and a memset of zeros become calloc again.) */
#define TOUCH_STRIDE 4096
static void *calloc_touched(size_t n, size_t size)
{
	volatile char *p = calloc(n, size);
	for (size_t i = 0; p && i < n * size; i += TOUCH_STRIDE)
		p[i] = 0;
	return (void *)p;
}

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
	b->bits = calloc_touched((size_t)1 << log2, sizeof *b->bits);
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
 * hold offsets), in the order the keys were first added; relation ids are
 * laid out once, by a counting sort, as one flat array (CSR: each entry
 * holds the start and length of its run). The slots are 8 bytes: the
 * hash's low half (which also chose the home slot) and the entry's number;
 * the entries (24 bytes) are an array in order of addition, read only
 * when a slot's half hash agrees. A key costs a slot (at most half the
 * slots are used), its entry, its letters and 4 bytes an id; freeing the
 * map is five free() calls. The map is built by map_fill (see there),
 * whose table and entries it takes over. */
typedef struct map_entry {
	uint64_t hash;
	uint32_t key;   /* offset + 1 into map.arena */
	uint32_t at;    /* start of its ids in map.ids */
	uint32_t n;     /* number of ids */
	uint32_t kind;  /* map_kind */
} map_entry;

typedef struct map {
	uint64_t *slots;  /* (uint32_t)hash << 32 | entry number + 1; 0: empty */
	map_entry *entries;
	size_t cap;       /* power of two */
	size_t n;         /* keys, and entries */
	char *arena;      /* the keys, NUL-terminated, back to back */
	size_t arena_len, arena_cap;
	uint32_t *ids;    /* every entry's ids, run after run */
	bloom filter;     /* of the entries' hashes */
} map;

static uint64_t map_hash(map_kind kind, const char *s)
{
	/* FNV-1a: short keys, no adversary who controls both sides. The slot
	 * order it gives decides the order of the trigram postings (built in
	 * slot order), and with it which near misses the hit cap cuts off:
	 * another hash would change which candidates a contact reaches. That
	 * is also why the seed stays as it was written, a digit short of
	 * FNV's offset basis (HASH_FNV1A_OFFSET). */
	uint64_t h = hash_fnv1a_step(1469598103934665603ull, (unsigned char)kind);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = hash_fnv1a_step(h, *p);
	return h;
}

static const char *map_key(const map *m, const map_entry *e)
{
	return m->arena + e->key - 1;
}

static const map_entry *map_get_hashed(const map *m, map_kind kind, const char *s, uint64_t h)
{
	if (m->cap == 0 || isempty(s) || !bloom_may_contain(&m->filter, h))
		return NULL;
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask; m->slots[i]; i = (i + 1) & mask) {
		uint64_t v = m->slots[i];
		if ((uint32_t)(v >> 32) != (uint32_t)h)
			continue;
		const map_entry *e = &m->entries[(uint32_t)v - 1];
		if (e->hash == h && e->kind == kind && streq(map_key(m, e), s))
			return e;
	}
	return NULL;
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
	free(m->entries);
	free(m->arena);
	free(m->ids);
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
 * needless comparison, never a false match (the relation is scored like
 * any other candidate; at the candidate cap it takes a place). */

/* The hashes of word and of its distinct one-deletion variants, into out
 * (room for TYPO_MAX_WORD + 1), under kind. A polynomial hash (each byte
 * times a power of an odd constant, mod 2^64) so that a variant's hash is
 * its prefix's, shifted past the gap, plus its suffix's: every variant in
 * a constant number of multiplications, not one per remaining letter (a
 * contact's words are hashed with all their variants, a million times a
 * scan). The polynomial's low bits are weak; each result is mixed
 * (Murmur3's finaliser) before it becomes a fingerprint. Index and
 * contacts both hash through here and must agree; which fingerprints
 * collide by chance depends on the hash (see the top of this file). With
 * variants false, only the word itself. */
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
	bloom filter;     /* of the fingerprints (index_fill_typos) */
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

/* Makes room for n variants in all, at a load factor <= 3/4 (probe runs
 * stay short with 8-byte slots), re-adding what is in, in slot order. */
static int delmap_reserve(delmap *d, size_t n)
{
	if (n * 4 <= d->cap * 3)
		return 0;
	delmap old = *d;
	size_t ncap = old.cap ? old.cap * 2 : 1024;
	while (n * 4 > ncap * 3)
		ncap *= 2;
	unsigned bits = 0;
	while (((size_t)1 << bits) < ncap)
		bits++;
	d->slots = calloc_touched(ncap, sizeof *d->slots);
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
	return 0;
}

/* Adds a variant: fingerprint << 32 | id. */
static int delmap_add(delmap *d, uint64_t v)
{
	int r = delmap_reserve(d, d->n + 1);
	if (r < 0)
		return r;
	delmap_put(d, v);
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
	uint64_t *src = *pairs, *dst = malloc((n ? n : 1) * sizeof *dst);
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

/* What the scoring needs of one relation, prepared once. The strings,
 * lists and parsed names live in the index's arenas (see index_prepare),
 * never in blocks of their own. */
typedef struct relation_prep {
	char *url;                /* normalised LinkedIn URL */
	char **emails;            /* normalised addresses (NULL-terminated; NULL: none) */
	char **domains;           /* company: normalised, free-mail left out (likewise;
				   * NULL only when none normalised) */
	char **email_domains;     /* person: non-free-mail domains of emails (likewise) */
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
	names_free_mail *free_mail; /* own copy: the index outlives the options */
	relation_prep *prep;
	names_arena *arenas;      /* what prep points into: one per worker that
				   * prepared relations */
	size_t n_arenas;
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

match_index *match_index_free(match_index *idx)
{
	if (!idx)
		return NULL;
	/* The prepared values are in a few large arena blocks: no walk over
	 * the relations, no free() per string. */
	free(idx->prep);
	for (size_t i = 0; i < idx->n_arenas; i++)
		names_arena_done(&idx->arenas[i]);
	free(idx->arenas);
	names_free_mail_free(idx->free_mail);
	map_done(&idx->map);
	delmap_done(&idx->typos);
	qgram_done(&idx->qgrams);
	free(idx->quick);
	free(idx->summary_at);
	free(idx->summaries);
	free(idx);
	return NULL;
}

/* The trigram index of the vocabulary: the distinctive company words of
 * QGRAM_MIN_WORD..QGRAM_MAX_WORD letters, in map slot order (the words are
 * numbered in that order), with key, at, n and len set; the index takes
 * words over. Two passes over
 * the words' trigrams rather than one sort of every (gram, word) pair: the
 * first counts each gram's words in a small table that stays in the cache,
 * the second writes each word into its gram's range. Both take the words
 * in order, so a range lists its words in slot order, as the sorted pairs
 * did, and the grams get their ranges and their slots in ascending order
 * of gram, as before: the same index, built without the megabytes of
 * pairs. */
typedef struct gram_count {
	uint32_t key;    /* gram + 1, as qgram_entry; 0: empty */
	uint32_t count;  /* words that have it */
	uint32_t last;   /* the last word counted + 1: a word with a trigram
			  * twice ("anan") counts once */
} gram_count;

typedef struct gram_counts {
	gram_count *slots;
	size_t cap, bits, n;
} gram_counts;

static gram_count *gram_counts_slot(const gram_counts *t, uint32_t key)
{
	size_t mask = t->cap - 1;
	size_t i = (size_t)((key * 2654435761u) >> (32 - t->bits));
	while (t->slots[i].key && t->slots[i].key != key)
		i = (i + 1) & mask;
	return &t->slots[i];
}

/* Makes room for one more gram (load <= 1/2). */
static int gram_counts_reserve(gram_counts *t)
{
	if ((t->n + 1) * 2 <= t->cap)
		return 0;
	gram_counts g = { .cap = t->cap ? t->cap * 2 : 4096, .bits = t->cap ? t->bits + 1 : 12, .n = t->n };
	g.slots = calloc(g.cap, sizeof *g.slots);
	if (!g.slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].key)
			*gram_counts_slot(&g, t->slots[i].key) = t->slots[i];
	free(t->slots);
	*t = g;
	return 0;
}

static int qgram_build(match_index *idx, qgram_word *words, size_t n_words)
{
	const map *m = &idx->map;
	qgram_index *q = &idx->qgrams;
	gram_counts t = {0};
	uint64_t *grams = NULL;
	size_t n_postings = 0;
	uint32_t g[QGRAM_MAX_WORD];
	int r;

	q->words = words;
	q->n_words = n_words;
	if (n_words == 0)
		return 0;
	for (size_t w = 0; w < n_words; w++) {
		/* The words' letters are anywhere in the arena: asked for ahead. */
		if (w + INDEX_PREFETCH < n_words)
			__builtin_prefetch(m->arena + words[w + INDEX_PREFETCH].key - 1);
		qgram_word *v = &q->words[w];
		const char *key = m->arena + v->key - 1;
		size_t len = v->len;
		memcpy(v->head, key, 4); /* len >= QGRAM_MIN_WORD */
		v->mask = names_letters_count(key, len, v->letters);
		size_t ng = qgram_of(key, len, g);
		for (size_t i = 0; i < ng; i++) {
			r = gram_counts_reserve(&t);
			if (r < 0)
				goto fail;
			gram_count *c = gram_counts_slot(&t, g[i]);
			if (!c->key) {
				c->key = g[i];
				t.n++;
			}
			if (c->last != w + 1) {
				c->last = (uint32_t)w + 1;
				c->count++;
				n_postings++;
			}
		}
	}
	r = -ENOMEM;
	/* The grams in ascending order: gram << 32 | its counting slot. */
	grams = malloc((t.n ? t.n : 1) * sizeof *grams);
	if (!grams)
		goto fail;
	for (size_t i = 0, k = 0; i < t.cap; i++)
		if (t.slots[i].key)
			grams[k++] = (uint64_t)t.slots[i].key << 32 | i;
	r = sort_pairs_by_gram(&grams, t.n);
	if (r < 0)
		goto fail;
	r = -ENOMEM;
	q->cap = 16;
	q->bits = 4;
	while (q->cap < t.n * 2) {
		q->cap *= 2;
		q->bits++;
	}
	q->slots = calloc(q->cap, sizeof *q->slots);
	q->postings = malloc((n_postings ? n_postings : 1) * sizeof *q->postings);
	q->lens = malloc(n_postings ? n_postings : 1);
	if (!q->slots || !q->postings || !q->lens)
		goto fail;
	size_t start = 0;
	for (size_t k = 0; k < t.n; k++) {
		qgram_entry *e = qgram_slot(q, (uint32_t)(grams[k] >> 32));
		e->key = (uint32_t)(grams[k] >> 32);
		e->start = (uint32_t)start;
		start += t.slots[(uint32_t)grams[k]].count;
	}
	/* len counts the words written so far, and ends at the count. */
	for (size_t w = 0; w < n_words; w++) {
		if (w + INDEX_PREFETCH < n_words)
			__builtin_prefetch(m->arena + words[w + INDEX_PREFETCH].key - 1);
		const qgram_word *v = &q->words[w];
		size_t ng = qgram_of(m->arena + v->key - 1, v->len, g);
		for (size_t i = 0; i < ng; i++) {
			qgram_entry *e = qgram_slot(q, g[i]);
			if (e->len > 0 && q->postings[e->start + e->len - 1] == w)
				continue;
			q->postings[e->start + e->len] = (uint32_t)w;
			q->lens[e->start + e->len] = v->len;
			e->len++;
		}
	}
	r = 0;
fail:
	free(t.slots);
	free(grams);
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

/* ---- building the index ----------------------------------------------------
 * Preparing a relation (parsing its names, normalising its URL, addresses
 * and domains, hashing its keys, summarising its names for
 * relation_may_score) depends on that relation alone and is most of the
 * work, so workers (one per online CPU) prepare blocks of relations at the
 * same time, each into its own arena.
 * A block records the map keys and the words with typo variants its
 * relations add, in the order they add them, and the tables are filled
 * from the blocks in relation order: the map by the first worker as the
 * blocks come in (see index_work), the typo table once all are in, beside
 * the map's last steps. What a lookup returns, and in which order (which
 * decides what MATCH_MAX_CANDIDATES cuts off), is then the same whatever
 * the number of workers or the order they finished in, and the same as
 * adding one relation after the other gave (see map_fill and
 * index_fill_typos for how the tables are laid out). */

/* Relations a worker claims at a time: few enough claims to cost nothing,
 * enough blocks that two workers finish close together. */
#define INDEX_BLOCK 512
#define INDEX_MAX_WORKERS 8
/* How many of the relation's keys (or typo words) a new one is compared
 * with to tell a repeat: a repeat not told is looked up like any other, to
 * the same end. */
#define INDEX_REPEAT_WINDOW 16
/* Workers write their own and their block's fields all the time: each
 * on cache lines of its own, or the CPUs pass the lines back and forth on
 * every allocation and every key. */
#define INDEX_CACHE_LINE 64

/* A key a relation adds to the map. A key the relation added before (a
 * company's key is mostly its full key too) is not recorded again: adding
 * it changed nothing but that the table was checked for growth once more,
 * which recheck on the key before it says. */
typedef struct index_key {
	uint64_t hash;   /* map_hash(kind, s) */
	const char *s;   /* in a worker's arena (the index keeps it); never empty */
	uint32_t id;
	uint8_t kind;    /* map_kind */
	bool recheck;    /* a repeat followed: check for growth after this one again */
} index_key;

/* A word whose one-deletion variants a relation adds to the typo table:
 * the variants themselves (a dozen a word) are hashed as they go in. */
typedef struct index_word {
	const char *word;  /* in a worker's arena */
	uint32_t id;
	uint8_t kind;      /* MAP_DELETION, MAP_SURNAME_DELETION */
	uint8_t len;       /* TYPO_MIN_RELATION .. TYPO_MAX_WORD - 1 */
} index_word;

/* What one block of relations adds to the tables, in the order it does. */
typedef struct index_block {
	index_key *keys;
	size_t n_keys, cap_keys;
	size_t relation_keys;  /* where the keys of the relation being prepared start */
	index_word *words;
	size_t n_words, cap_words;
	size_t n_variants;     /* what the words add to the typo table, at most */
	names_company_summary *summaries;  /* the companies' names', in order */
	size_t n_summaries, cap_summaries;
} __attribute__((aligned(INDEX_CACHE_LINE))) index_block;

/* ---- filling the map ------------------------------------------------------
 * What the map must keep is the slot each key is in: qgram_build numbers
 * the vocabulary in slot order, and that order decides which near misses
 * QGRAM_MAX_HITS cuts off. Those slots are the ones adding the keys one
 * at a time gives, to an open-addressing table that doubles at half load
 * and rehashes in slot order. That history is replayed on a compact table
 * (8 bytes a slot instead of 24), the keys' entries and letters going
 * into arrays in order of addition as they come, and the map's slots are
 * written once, in order, from its final state. */
typedef struct map_fill {
	uint64_t *table;      /* (uint32_t)hash << 32 | ordinal + 1; 0: empty */
	size_t cap;           /* power of two; 0 before the first key */
	size_t n;             /* keys so far, numbered (ordinals) in order of addition */
	map_entry *entries;   /* per ordinal: hash, key, kind (at and n: map_fill_finish) */
	uint8_t *lens;        /* per ordinal: the key's length (UINT8_MAX: that or more) */
	uint32_t *last;       /* per ordinal: the last id added (a repeat is always the last) */
	size_t cap_entries, cap_lens, cap_last;
	char *arena;          /* the keys, back to back: the map's arena to be */
	size_t arena_len, arena_cap;
	uint64_t *pairs;      /* ordinal << 32 | id, in order of addition, repeats left out */
	size_t n_pairs, cap_pairs;
} map_fill;

static void map_fill_done(map_fill *f)
{
	free(f->table);
	free(f->entries);
	free(f->lens);
	free(f->last);
	free(f->arena);
	free(f->pairs);
	*f = (map_fill) {0};
}

/* Doubles the table, re-adding the keys in slot order. Homes come from the
 * hash's low 32 bits, so the table stops at 2^32 slots (the map's key
 * offsets run out long before). */
static int map_fill_grow(map_fill *f)
{
	size_t ncap = f->cap ? f->cap * 2 : 256;
	if (ncap > (size_t)UINT32_MAX + 1)
		return -E2BIG;
	uint64_t *t = calloc_touched(ncap, sizeof *t);
	if (!t)
		return -ENOMEM;
	size_t mask = ncap - 1;
	for (size_t i = 0; i < f->cap; i++) {
		uint64_t v = f->table[i];
		if (!v)
			continue;
		size_t j = (size_t)(v >> 32) & mask;
		while (t[j])
			j = (j + 1) & mask;
		t[j] = v;
	}
	free(f->table);
	f->table = t;
	f->cap = ncap;
	return 0;
}

/* Asks for the slot k's probe starts at. */
static void map_fill_prefetch(const map_fill *f, const index_key *k)
{
	if (f->cap > 0)
		__builtin_prefetch(&f->table[(size_t)k->hash & (f->cap - 1)], 1);
}

/* A key not in the table yet, as ordinal f->n. */
static int map_fill_new(map_fill *f, const index_key *k, uint32_t *ret)
{
	size_t len = strlen(k->s);
	if (f->n >= UINT32_MAX - 1 || f->arena_len + len + 1 >= UINT32_MAX)
		return -E2BIG;
	int r = array_reserve(&f->entries, &f->cap_entries, f->n + 1, sizeof *f->entries);
	if (r >= 0)
		r = array_reserve(&f->lens, &f->cap_lens, f->n + 1, sizeof *f->lens);
	if (r >= 0)
		r = array_reserve(&f->last, &f->cap_last, f->n + 1, sizeof *f->last);
	if (r >= 0)
		r = array_reserve(&f->arena, &f->arena_cap, f->arena_len + len + 1, 1);
	if (r < 0)
		return r;
	memcpy(f->arena + f->arena_len, k->s, len + 1);
	f->entries[f->n] = (map_entry) { .hash = k->hash, .key = (uint32_t)f->arena_len + 1, .kind = k->kind };
	f->lens[f->n] = len < UINT8_MAX ? (uint8_t)len : UINT8_MAX;
	f->last[f->n] = UINT32_MAX;
	f->arena_len += len + 1;
	*ret = (uint32_t)f->n++;
	return 0;
}

/* One key, as map_slot would place it: the same probe, the same test for
 * an equal key (hash, kind, letters). */
static int map_fill_add(map_fill *f, const index_key *k)
{
	/* Load factor <= 1/2 keeps probe runs short. */
	if ((f->n + 1) * 2 > f->cap) {
		int r = map_fill_grow(f);
		if (r < 0)
			return r;
	}
	uint32_t lo = (uint32_t)k->hash, o;
	size_t mask = f->cap - 1;
	for (size_t i = lo & mask;; i = (i + 1) & mask) {
		uint64_t v = f->table[i];
		if (!v) {
			int r = map_fill_new(f, k, &o);
			if (r < 0)
				return r;
			f->table[i] = (uint64_t)lo << 32 | (o + 1);
			break;
		}
		if ((uint32_t)(v >> 32) == lo) {
			const map_entry *e = &f->entries[(uint32_t)v - 1];
			if (e->hash == k->hash && e->kind == k->kind && streq(f->arena + e->key - 1, k->s)) {
				o = (uint32_t)v - 1;
				break;
			}
		}
	}
	/* Ids arrive relation by relation, so a repeat is always the last one. */
	if (f->last[o] != k->id) {
		int r = array_reserve(&f->pairs, &f->cap_pairs, f->n_pairs + 1, sizeof *f->pairs);
		if (r < 0)
			return r;
		f->last[o] = k->id;
		f->pairs[f->n_pairs++] = (uint64_t)o << 32 | k->id;
	}
	/* The repeats after this key (see index_key) changed no entry, but
	 * each was checked for growth before it was found. */
	if (k->recheck && (f->n + 1) * 2 > f->cap)
		return map_fill_grow(f);
	return 0;
}

/* The map from the replayed table: the ids laid out by a stable counting
 * sort on the ordinal (each key keeps its ids in order of addition), the
 * entries told where theirs are. Also qgram_build's words, in slot order,
 * into *ret_vocab. The map takes the table, the entries and the arena
 * over: the table's slots are the ones the map's lookups probe (the same
 * home, the same probe), so nothing is copied. */
static int map_fill_finish(map_fill *f, map *m, qgram_word **ret_vocab, size_t *ret_n_vocab)
{
	size_t n = f->n, n_vocab = 0;
	int r = -ENOMEM;
	uint32_t *start = calloc_touched(n + 1, sizeof *start);
	qgram_word *vocab = malloc((n ? n : 1) * sizeof *vocab);
	m->ids = malloc((f->n_pairs ? f->n_pairs : 1) * sizeof *m->ids);
	if (!start || !vocab || !m->ids || bloom_init(&m->filter, n) < 0)
		goto fail;
	m->arena = f->arena ? f->arena : strdup("");
	if (!m->arena)
		goto fail;
	m->arena_len = f->arena_len;
	m->arena_cap = f->arena_cap;
	f->arena = NULL;
	f->arena_len = f->arena_cap = 0;
	for (size_t i = 0; i < f->n_pairs; i++)
		start[(f->pairs[i] >> 32) + 1]++;
	for (size_t o = 0; o < n; o++) {
		start[o + 1] += start[o];
		f->entries[o].at = start[o];
		f->entries[o].n = start[o + 1] - start[o];
		bloom_add(&m->filter, f->entries[o].hash);
	}
	for (size_t i = 0; i < f->cap; i++) {
		if (i + INDEX_PREFETCH < f->cap && f->table[i + INDEX_PREFETCH])
			__builtin_prefetch(&f->entries[(uint32_t)f->table[i + INDEX_PREFETCH] - 1]);
		if (!f->table[i])
			continue;
		uint32_t o = (uint32_t)f->table[i] - 1;
		const map_entry *e = &f->entries[o];
		if (e->kind == MAP_TOKEN && f->lens[o] >= QGRAM_MIN_WORD && f->lens[o] <= QGRAM_MAX_WORD)
			vocab[n_vocab++] = (qgram_word) { .key = e->key, .at = e->at, .n = e->n, .len = f->lens[o] };
	}
	for (size_t i = 0; i < f->n_pairs; i++)
		m->ids[start[f->pairs[i] >> 32]++] = (uint32_t)f->pairs[i];
	m->slots = f->table;
	m->entries = f->entries;
	m->cap = f->cap;
	m->n = n;
	f->table = NULL;
	f->entries = NULL;
	f->cap = f->n = f->cap_entries = 0;
	/* Room was made for every key to be a word; a few are. */
	qgram_word *fit = realloc(vocab, (n_vocab ? n_vocab : 1) * sizeof *vocab);
	if (fit)
		vocab = fit;
	*ret_vocab = vocab;
	*ret_n_vocab = n_vocab;
	vocab = NULL;
	r = 0;
fail:
	free(start);
	free(vocab);
	return r;
}

/* Block k's keys into the map (the prefetch runs ahead within the block:
 * the next one may not be prepared yet); the keys are not needed after. */
static int map_fill_block(map_fill *f, index_block *k)
{
	for (size_t j = 0; j < k->n_keys && j < INDEX_PREFETCH; j++)
		map_fill_prefetch(f, &k->keys[j]);
	for (size_t j = 0; j < k->n_keys; j++) {
		if (j + INDEX_PREFETCH < k->n_keys)
			map_fill_prefetch(f, &k->keys[j + INDEX_PREFETCH]);
		int r = map_fill_add(f, &k->keys[j]);
		if (r < 0)
			return r;
	}
	/* Freed now, the next blocks' keys can take the memory. */
	free(k->keys);
	k->keys = NULL;
	k->n_keys = k->cap_keys = 0;
	return 0;
}

typedef struct index_build {
	match_index *idx;
	index_block *blocks;  /* block i: relations [i * INDEX_BLOCK, (i + 1) * INDEX_BLOCK) */
	size_t n_blocks;
	size_t next_block;    /* the next one to claim (atomic) */
	int error;            /* the first failure, or 0 (atomic) */
	/* Which blocks are prepared (under lock): the first worker fills the
	 * map from them, in order, while the others still prepare. */
	pthread_mutex_t lock;
	pthread_cond_t prepared_cv;
	bool *prepared;
	size_t n_prepared;
	map_fill fill;        /* the first worker's */
	size_t filled;        /* blocks in fill so far */
	size_t cap_summaries; /* of idx->summaries, which the first worker fills too */
	size_t n_summaries;
	int typos_error;      /* index_fill_typos's result (the second worker's) */
	qgram_word *vocab;    /* qgram_build's words (see there) */
	size_t n_vocab;
} index_build;

typedef struct index_worker {
	index_build *build;
	names_arena values;   /* what the index keeps (idx->arenas, after) */
	names_arena scratch;  /* a person name's parse, before its compact copy */
	index_block *block;   /* the block being prepared */
	bool fills_map;       /* the first worker: fills the map too */
	bool fills_typos;     /* the second: fills the typo table once all are prepared */
	/* The words the relation being prepared gave variants for: */
	const char *words[INDEX_REPEAT_WINDOW];
	map_kind word_kinds[INDEX_REPEAT_WINDOW];
	size_t n_words;
} __attribute__((aligned(INDEX_CACHE_LINE))) index_worker;

static int index_key_add(index_worker *w, map_kind kind, const char *s, uint32_t id)
{
	index_block *k = w->block;
	if (isempty(s))
		return 0;
	uint64_t h = map_hash(kind, s);
	size_t from = k->n_keys - k->relation_keys > INDEX_REPEAT_WINDOW ? k->n_keys - INDEX_REPEAT_WINDOW
									: k->relation_keys;
	for (size_t i = from; i < k->n_keys; i++)
		if (k->keys[i].hash == h && k->keys[i].kind == kind && streq(k->keys[i].s, s)) {
			k->keys[k->n_keys - 1].recheck = true;
			return 0;
		}
	int r = array_reserve(&k->keys, &k->cap_keys, k->n_keys + 1, sizeof *k->keys);
	if (r < 0)
		return r;
	k->keys[k->n_keys++] = (index_key) { .hash = h, .s = s, .id = id, .kind = (uint8_t)kind };
	return 0;
}

/* A relation word of >= TYPO_MIN_RELATION letters and its variants. A
 * word the relation has given already (an alias that repeats the name)
 * would only add its variants again, which the table ignores. */
static int index_deletions(index_worker *w, map_kind kind, const char *word, uint32_t id)
{
	index_block *k = w->block;
	size_t n = strlen(word);
	if (n < TYPO_MIN_RELATION || n >= TYPO_MAX_WORD)
		return 0;
	for (size_t i = 0; i < w->n_words && i < INDEX_REPEAT_WINDOW; i++)
		if (w->word_kinds[i] == kind && streq(w->words[i], word))
			return 0;
	if (w->n_words < INDEX_REPEAT_WINDOW) {
		w->words[w->n_words] = word;
		w->word_kinds[w->n_words] = kind;
	}
	w->n_words++;
	int r = array_reserve(&k->words, &k->cap_words, k->n_words + 1, sizeof *k->words);
	if (r < 0)
		return r;
	k->words[k->n_words++] = (index_word) { .word = word, .id = id, .kind = (uint8_t)kind, .len = (uint8_t)n };
	/* The word and one variant a gap (the first of a run of equal
	 * letters), as deletion_hashes gives them. */
	k->n_variants++;
	for (size_t i = 0; i < n; i++)
		k->n_variants += !(i > 0 && word[i] == word[i - 1]);
	return 0;
}

/* The values word adds to the typo table, in order: the fingerprints of
 * deletion_hashes(kind, word, len, true) (the one definition of the
 * variants' hashes, which lookups use too), each beside the relation. */
static size_t index_variants(const index_word *w, uint64_t out[TYPO_MAX_WORD + 1])
{
	size_t k = deletion_hashes(w->kind, w->word, w->len, true, out);
	for (size_t i = 0; i < k; i++)
		out[i] = (uint64_t)delmap_fingerprint(out[i]) << 32 | w->id;
	return k;
}

/* raw normalised by fn (which allocates), copied into the worker's arena;
 * *ret NULL when it does not normalise (the loader reports it; the
 * matcher just cannot use it). */
static int index_normalise(index_worker *w, const char *raw, int (*fn)(const char *, char **), char **ret)
{
	char *v = NULL;
	*ret = NULL;
	int r = fn(raw, &v);
	if (r == -EINVAL)
		return 0;
	if (r < 0)
		return r;
	size_t len = strlen(v) + 1;
	char *copy = names_arena_alloc(&w->values, len);
	if (copy) {
		memcpy(copy, v, len);
		*ret = copy;
	}
	free(v);
	return copy ? 0 : -ENOMEM;
}

/* The values of raw that normalise, each once, in order, as a
 * NULL-terminated list in the worker's arena: addresses with email true,
 * else domains. *ret stays NULL when nothing normalises (the quick flags tell
 * "has addresses" by it). */
static int index_normalise_list(index_worker *w, char *const *raw, bool email, char ***ret)
{
	size_t max = strv_length(raw), n = 0;
	*ret = NULL;
	if (max == 0)
		return 0;
	char **l = names_arena_alloc(&w->values, (max + 1) * sizeof *l);
	if (!l)
		return -ENOMEM;
	l[0] = NULL;
	for (size_t i = 0; i < max; i++) {
		char *v = NULL;
		int r = email ? names_email_in(&w->values, raw[i], &v) : names_domain_in(&w->values, raw[i], &v);
		if (r == -EINVAL)
			continue;
		if (r < 0)
			return r;
		if (!v || strv_contains(l, v))
			continue;
		l[n++] = v;
		l[n] = NULL;
	}
	if (n > 0)
		*ret = l;
	return 0;
}

static int index_company_form(index_worker *w, relation_prep *p, uint32_t id, const char *raw, bool german)
{
	names_company c;
	int r = names_company_parse_in(&w->values, raw, german, &c);
	if (r == -EINVAL)
		return 0; /* nothing identifying in it; the loader warns */
	if (r < 0)
		return r;
	/* The transliterated form is another name only where it differs (the
	 * parse that does not stays in the arena, unused: rare and small). */
	if (german && p->n_names > 0 && streq(p->names[p->n_names - 1].full_key, c.full_key))
		return 0;
	/* Room for every form was made by index_prepare_company. */
	p->names[p->n_names++] = c;

	/* Whole keys reach relations without distinctive words; words reach
	 * the rest (and whole-key equality is then found by comparison). */
	r = index_key_add(w, MAP_KEY, c.key, id);
	if (r >= 0)
		r = index_key_add(w, MAP_KEY, c.full_key, id);
	for (size_t i = 0; r >= 0 && i < c.n_tokens; i++) {
		if (c.trade[i])
			continue;
		r = index_key_add(w, MAP_TOKEN, c.tokens[i], id);
		/* With two distinctive words, a typo in one still leaves the
		 * other to find the relation by; only a lone distinctive word
		 * needs the deletion keys (it keeps the index small). */
		if (r >= 0 && c.n_distinctive == 1)
			r = index_deletions(w, MAP_DELETION, c.tokens[i], id);
	}
	return r;
}

/* "Müller GmbH" is indexed as "muller gmbh" and as "mueller gmbh" (when
 * names_has_transliteration(raw), which german says). */
static int index_company_name(index_worker *w, relation_prep *p, uint32_t id, const char *raw, bool german)
{
	int r = index_company_form(w, p, id, raw, false);
	if (r >= 0 && german)
		r = index_company_form(w, p, id, raw, true);
	return r;
}

static int index_prepare_company(index_worker *w, const relation *rel, relation_prep *p, uint32_t id)
{
	const match_index *idx = w->build->idx;
	int r = index_normalise_list(w, rel->domains, false, &p->domains);
	if (r < 0)
		return r;
	/* A catalogue that lists gmail.com would flag everyone with a Gmail
	 * address: free-mail domains never identify an employer. */
	size_t k = 0;
	for (size_t i = 0; p->domains && p->domains[i]; i++) {
		if (names_domain_is_free_mail(p->domains[i], idx->free_mail))
			continue;
		p->domains[k] = p->domains[i];
		r = index_key_add(w, MAP_DOMAIN, p->domains[k++], id);
		if (r < 0)
			return r;
	}
	if (p->domains)
		p->domains[k] = NULL;

	/* Each name gives one form, two when it may transliterate. */
	bool name_german = rel->name && names_has_transliteration(rel->name), aliases_german = false;
	size_t forms = rel->name ? 1 + name_german : 0;
	for (char **a = rel->aliases; a && *a; a++) {
		bool german = names_has_transliteration(*a);
		forms += 1 + german;
		aliases_german |= german;
	}
	if (forms > 0) {
		p->names = names_arena_alloc(&w->values, forms * sizeof *p->names);
		if (!p->names)
			return -ENOMEM;
	}
	if (rel->name)
		r = index_company_name(w, p, id, rel->name, name_german);
	for (char **a = rel->aliases; r >= 0 && a && *a; a++)
		r = index_company_name(w, p, id, *a, aliases_german && names_has_transliteration(*a));
	if (p->n_names == 0)
		p->names = NULL;
	return r;
}

static int index_person_name(index_worker *w, relation_prep *p, uint32_t id, const char *raw)
{
	names_person parsed, np;
	/* Parsed into the scratch (its temporaries go with it), kept as a
	 * compact copy. */
	names_arena_reset(&w->scratch);
	int r = names_person_parse_in(&w->scratch, raw, &parsed);
	if (r == -EINVAL)
		return 0;
	if (r < 0)
		return r;
	r = names_person_copy_in(&w->values, &parsed, &np);
	if (r < 0)
		return r;
	/* Room was made by index_prepare_person. */
	p->persons[p->n_persons++] = np;
	/* Both the plain and the German form ("muller", "mueller"), every
	 * part of a double name. */
	for (size_t f = 0; f < (np.german_same ? 1u : 2u); f++)
		for (size_t i = 0; i < np.form[f].n_surnames; i++) {
			const char *main = np.form[f].surnames[i].main;
			r = index_key_add(w, MAP_SURNAME, main, id);
			/* NAMES_PERSON_TYPO: "Hogenboom" reaches "Hoogenboom". */
			if (r >= 0)
				r = index_deletions(w, MAP_SURNAME_DELETION, main, id);
			if (r < 0)
				return r;
		}
	return 0;
}

static int index_prepare_person(index_worker *w, const relation *rel, relation_prep *p, uint32_t id)
{
	const match_index *idx = w->build->idx;
	size_t names = (rel->name ? 1 : 0) + strv_length(rel->aliases);
	int r = 0;

	if (names > 0) {
		p->persons = names_arena_alloc(&w->values, names * sizeof *p->persons);
		if (!p->persons)
			return -ENOMEM;
	}
	if (rel->name)
		r = index_person_name(w, p, id, rel->name);
	for (char **a = rel->aliases; r >= 0 && a && *a; a++)
		r = index_person_name(w, p, id, *a);
	if (p->n_persons == 0)
		p->persons = NULL;
	/* The person's employer and mail domains corroborate a name match; they
	 * are compared per candidate, not indexed: working at a person's
	 * employer does not make one that person. */
	if (r >= 0 && !isempty(rel->company)) {
		r = names_company_parse_in(&w->values, rel->company, false, &p->employer);
		p->has_employer = r >= 0;
		if (r == -EINVAL)
			r = 0;
	}
	/* The domains point into the addresses, which live as long. */
	size_t n = 0, max = strv_length(p->emails);
	for (size_t i = 0; r >= 0 && i < max; i++) {
		const char *d = names_email_domain(p->emails[i]);
		if (!d || names_domain_is_free_mail(d, idx->free_mail) || strv_contains(p->email_domains, d))
			continue;
		if (!p->email_domains) {
			p->email_domains = names_arena_alloc(&w->values, (max + 1) * sizeof *p->email_domains);
			if (!p->email_domains)
				return -ENOMEM;
		}
		p->email_domains[n++] = (char *)d;
		p->email_domains[n] = NULL;
	}
	return r;
}

/* Relation id into idx->prep[id], its keys and variants into the worker's
 * block: the same values, added in the same order, as when one relation
 * after the other went straight into the tables. */
static int index_prepare(index_worker *w, uint32_t id)
{
	const match_index *idx = w->build->idx;
	const relation *rel = &idx->set->items[id];
	relation_prep *p = &idx->prep[id];
	int r = 0;

	if (rel->linkedin) {
		r = index_normalise(w, rel->linkedin, names_linkedin_url, &p->url);
		if (r >= 0 && p->url)
			r = index_key_add(w, MAP_URL, p->url, id);
	}
	if (r >= 0)
		r = index_normalise_list(w, rel->emails, true, &p->emails);
	for (char **e = p->emails; r >= 0 && e && *e; e++)
		r = index_key_add(w, MAP_EMAIL, *e, id);
	if (r < 0)
		return r;
	r = rel->type == RELATION_COMPANY ? index_prepare_company(w, rel, p, id) : index_prepare_person(w, rel, p, id);
	if (r < 0)
		return r;
	/* index_take_summaries puts the summaries together and makes
	 * summary_at count from the first block, not this one. */
	index_block *k = w->block;
	idx->quick[id] = (rel->type == RELATION_COMPANY ? QUICK_COMPANY : 0) | (p->url ? QUICK_URL : 0) |
			 (p->emails ? QUICK_EMAILS : 0) | (p->domains ? QUICK_DOMAINS : 0);
	idx->summary_at[id] = (uint32_t)k->n_summaries;
	r = array_reserve(&k->summaries, &k->cap_summaries, k->n_summaries + p->n_names, sizeof *k->summaries);
	for (size_t j = 0; r >= 0 && j < p->n_names; j++)
		names_company_summarize(&p->names[j], &k->summaries[k->n_summaries++]);
	return r;
}

static void index_fail(index_build *b, int r)
{
	int none = 0;
	__atomic_compare_exchange_n(&b->error, &none, r, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	/* A worker waiting for a block that will not come: wake it. */
	pthread_mutex_lock(&b->lock);
	pthread_cond_broadcast(&b->prepared_cv);
	pthread_mutex_unlock(&b->lock);
}

/* Whether block i is prepared; with wait, waits until it is (false then
 * only when the build failed). */
static bool index_block_ready(index_build *b, size_t i, bool wait)
{
	pthread_mutex_lock(&b->lock);
	while (wait && !b->prepared[i] && !__atomic_load_n(&b->error, __ATOMIC_RELAXED))
		pthread_cond_wait(&b->prepared_cv, &b->lock);
	bool ready = b->prepared[i];
	pthread_mutex_unlock(&b->lock);
	return ready;
}

/* Waits until every block is prepared: false if the build failed. */
static bool index_all_prepared(index_build *b)
{
	pthread_mutex_lock(&b->lock);
	while (b->n_prepared < b->n_blocks && !__atomic_load_n(&b->error, __ATOMIC_RELAXED))
		pthread_cond_wait(&b->prepared_cv, &b->lock);
	bool all = b->n_prepared == b->n_blocks;
	pthread_mutex_unlock(&b->lock);
	return all;
}

static int index_prepare_block(index_worker *w, size_t i)
{
	index_build *b = w->build;
	size_t n = b->idx->set->n;
	size_t end = n - i * INDEX_BLOCK > INDEX_BLOCK ? (i + 1) * INDEX_BLOCK : n;
	index_block *k = &b->blocks[i];
	w->block = k;
	/* Room for what a block of companies takes (a few keys, a typo word
	 * and a name each), made once rather than doubled up to it. */
	size_t rels = end - i * INDEX_BLOCK;
	int r = array_reserve(&k->keys, &k->cap_keys, rels * 3, sizeof *k->keys);
	if (r >= 0)
		r = array_reserve(&k->words, &k->cap_words, rels, sizeof *k->words);
	if (r >= 0)
		r = array_reserve(&k->summaries, &k->cap_summaries, rels, sizeof *k->summaries);
	if (r < 0)
		return r;
	for (size_t id = i * INDEX_BLOCK; id < end; id++) {
		k->relation_keys = k->n_keys;
		w->n_words = 0;
		r = index_prepare(w, (uint32_t)id);
		if (r < 0)
			return r;
	}
	pthread_mutex_lock(&b->lock);
	b->prepared[i] = true;
	b->n_prepared++;
	pthread_cond_broadcast(&b->prepared_cv);
	pthread_mutex_unlock(&b->lock);
	return 0;
}

/* Reads the blocks' typo words in order, across blocks. */
typedef struct index_cursor {
	const index_build *build;
	size_t block, at;
} index_cursor;

static const index_word *index_next_word(index_cursor *c)
{
	for (; c->block < c->build->n_blocks; c->block++, c->at = 0)
		if (c->at < c->build->blocks[c->block].n_words)
			return &c->build->blocks[c->block].words[c->at++];
	return NULL;
}

/* The typo table from the blocks' words, in relation order, and its
 * filter: the part of the build that runs beside the map's last steps. A
 * word's variants are hashed and their slots asked for (see
 * INDEX_PREFETCH) while the word before it goes in.
 *
 * The table is made as large as it will end up before anything goes in,
 * not doubled on the way there: doubling re-added every variant so far,
 * in slot order, into a table allocated anew (half the time of the
 * table). The variants are the same and each is reached from its slot by
 * the same probe, so a lookup finds the same ids, in the order they were
 * added. (When a probe run wrapped around the end of the table as it
 * doubled, the re-adding put the ids past the end first, so there one
 * fingerprint could list an id before an earlier one: one fingerprint in
 * the 100k-relation benchmark, with two ids; the contacts' candidates and
 * matches stay the same there.) */
static int index_fill_typos(index_build *b)
{
	delmap *d = &b->idx->typos;
	uint64_t buf[2][TYPO_MAX_WORD + 1];
	uint64_t *cur = buf[0], *next = buf[1];
	size_t n_cur = 0, variants = 0;
	index_cursor at = { .build = b };
	int r = 0;
	for (size_t i = 0; i < b->n_blocks; i++)
		variants += b->blocks[i].n_variants;
	/* One more: delmap_add makes room before it finds a repeat. The
	 * filter is filled as the variants go in (not in a pass over the
	 * table after), so it is sized for the variants counted: a few more
	 * than end up in the table, which at most makes it larger, and a
	 * larger filter only lets fewer absent keys past. */
	if (variants > 0) {
		r = delmap_reserve(d, variants + 1);
		if (r >= 0)
			r = bloom_init(&d->filter, variants);
	}
	for (const index_word *w = index_next_word(&at), *nw; r >= 0 && (w || n_cur > 0); w = nw) {
		size_t n_next = w ? index_variants(w, next) : 0;
		for (size_t i = 0; d->cap > 0 && i < n_next; i++) {
			uint32_t fp = (uint32_t)(next[i] >> 32);
			__builtin_prefetch(&d->slots[delmap_index(d, fp)], 1);
			__builtin_prefetch(&d->filter.bits[bloom_word(&d->filter, fp)], 1);
		}
		for (size_t i = 0; r >= 0 && i < n_cur; i++) {
			r = delmap_add(d, cur[i]);
			bloom_add(&d->filter, cur[i] >> 32);
		}
		if (r < 0)
			break;
		uint64_t *t = cur;
		cur = next;
		next = t;
		n_cur = n_next;
		nw = w ? index_next_word(&at) : NULL;
	}
	return r;
}



/* Block i's name summaries into idx->summaries, behind the blocks' before
 * it: the block numbered its relations' from 0 (summary_at), and now
 * counts from its first. Freed now, the next blocks' can take the memory. */
static int index_take_summaries(index_build *b, size_t i)
{
	match_index *idx = b->idx;
	index_block *k = &b->blocks[i];
	size_t n = idx->set->n, at = b->n_summaries;
	size_t end = n - i * INDEX_BLOCK > INDEX_BLOCK ? (i + 1) * INDEX_BLOCK : n;
	if (at + k->n_summaries >= UINT32_MAX)
		return -E2BIG;
	int r = array_reserve(&idx->summaries, &b->cap_summaries, at + k->n_summaries, sizeof *idx->summaries);
	if (r < 0)
		return r;
	if (k->n_summaries > 0)
		memcpy(idx->summaries + at, k->summaries, k->n_summaries * sizeof *k->summaries);
	for (size_t id = i * INDEX_BLOCK; id < end; id++)
		idx->summary_at[id] += (uint32_t)at;
	b->n_summaries += k->n_summaries;
	free(k->summaries);
	k->summaries = NULL;
	k->n_summaries = k->cap_summaries = 0;
	return 0;
}

/* A worker: claims blocks until none is left (or one failed). The first
 * one also fills the map, and puts the name summaries together, from the
 * blocks prepared so far, in order, before it claims the next: the map's
 * random inserts then run beside the other workers' parsing, not after
 * it. */
static void *index_work(void *arg)
{
	index_worker *w = arg;
	index_build *b = w->build;
	int r = 0;
	while (r >= 0 && !__atomic_load_n(&b->error, __ATOMIC_RELAXED)) {
		if (w->fills_map) {
			while (r >= 0 && b->filled < b->n_blocks && index_block_ready(b, b->filled, false)) {
				r = map_fill_block(&b->fill, &b->blocks[b->filled]);
				if (r >= 0)
					r = index_take_summaries(b, b->filled);
				b->filled++;
			}
			if (r < 0 || b->filled == b->n_blocks)
				break;
		}
		size_t i = __atomic_fetch_add(&b->next_block, 1, __ATOMIC_RELAXED);
		if (i < b->n_blocks)
			r = index_prepare_block(w, i);
		else if (!w->fills_map || !index_block_ready(b, b->filled, true))
			break; /* nothing left to prepare, or the build failed */
	}
	if (r < 0)
		index_fail(b, r);
	else if (w->fills_typos && index_all_prepared(b))
		b->typos_error = index_fill_typos(b);
	return NULL;
}

/* One worker per online CPU, as the pipeline has, but never more than
 * there are blocks. */
static size_t index_workers(size_t n_blocks)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cpus < 1 ? 1 : cpus > INDEX_MAX_WORKERS ? INDEX_MAX_WORKERS : (size_t)cpus;
	return n_blocks < n ? (n_blocks ? n_blocks : 1) : n;
}

/* The build, on n_workers threads, the caller's the first: all prepare
 * relations; the first fills the map as they come, then lays it out and
 * builds the trigrams; the second fills the typo table as soon as every
 * relation is prepared (neither reads what the other writes). Without a
 * second thread (one CPU, or one that cannot be started) the caller fills
 * the typo table last. A thread that cannot be started leaves its blocks
 * to the others. */
static int index_run(index_build *b, index_worker *workers, size_t n_workers)
{
	pthread_t threads[INDEX_MAX_WORKERS];
	bool started[INDEX_MAX_WORKERS] = { false };
	match_index *idx = b->idx;
	int r;
	workers[0].fills_map = true;
	for (size_t i = 1; i < n_workers; i++) {
		workers[i].fills_typos = i == 1;
		started[i] = pthread_create(&threads[i], NULL, index_work, &workers[i]) == 0;
	}
	bool typos_beside = n_workers > 1 && started[1];
	index_work(&workers[0]);
	r = __atomic_load_n(&b->error, __ATOMIC_RELAXED); /* workers may still be running */
	if (r >= 0) {
		idx->summary_at[idx->set->n] = (uint32_t)b->n_summaries;
		if (!idx->summaries && !(idx->summaries = malloc(sizeof *idx->summaries)))
			r = -ENOMEM;
	}
	if (r >= 0)
		r = map_fill_finish(&b->fill, &idx->map, &b->vocab, &b->n_vocab);
	if (r >= 0) {
		r = qgram_build(idx, b->vocab, b->n_vocab);
		b->vocab = NULL; /* the index's now */
	}
	if (r < 0)
		index_fail(b, r);
	for (size_t i = 1; i < n_workers; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
	if (r >= 0 && !typos_beside)
		b->typos_error = index_fill_typos(b);
	if (r >= 0)
		r = b->error < 0 ? b->error : b->typos_error;
	return r;
}

static void index_build_done(index_build *b)
{
	map_fill_done(&b->fill);
	free(b->prepared);
	for (size_t i = 0; b->blocks && i < b->n_blocks; i++) {
		free(b->blocks[i].keys);
		free(b->blocks[i].words);
		free(b->blocks[i].summaries);
	}
	free(b->blocks);
	free(b->vocab);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->prepared_cv);
	*b = (index_build) {0};
}

int match_index_new(const relation_set *set, const match_options *opt, match_index **ret)
{
	index_worker workers[INDEX_MAX_WORKERS];
	index_build b = { .lock = PTHREAD_MUTEX_INITIALIZER, .prepared_cv = PTHREAD_COND_INITIALIZER };
	match_index *idx = NULL;
	size_t n_workers;
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
	r = names_free_mail_new(opt->free_mail, &idx->free_mail);
	if (r < 0)
		goto fail;
	b.idx = idx;
	b.n_blocks = (set->n + INDEX_BLOCK - 1) / INDEX_BLOCK;
	n_workers = index_workers(b.n_blocks);
	idx->prep = calloc(set->n ? set->n : 1, sizeof *idx->prep);
	idx->quick = calloc(set->n ? set->n : 1, sizeof *idx->quick);
	idx->summary_at = calloc(set->n + 1, sizeof *idx->summary_at);
	idx->arenas = calloc(n_workers, sizeof *idx->arenas);
	b.blocks = aligned_alloc(INDEX_CACHE_LINE, (b.n_blocks ? b.n_blocks : 1) * sizeof *b.blocks);
	if (b.blocks)
		memset(b.blocks, 0, (b.n_blocks ? b.n_blocks : 1) * sizeof *b.blocks);
	b.prepared = calloc(b.n_blocks ? b.n_blocks : 1, sizeof *b.prepared);
	if (!idx->prep || !idx->quick || !idx->summary_at || !idx->arenas || !b.blocks || !b.prepared) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n_workers; i++) {
		workers[i] = (index_worker) { .build = &b };
		names_arena_init(&workers[i].values);
		names_arena_init(&workers[i].scratch);
	}
	r = index_run(&b, workers, n_workers);
	for (size_t i = 0; i < n_workers; i++) {
		idx->arenas[i] = workers[i].values;
		names_arena_done(&workers[i].scratch);
	}
	idx->n_arenas = n_workers;
	if (r >= 0)
		r = qgram_build_filter(&idx->qgrams);
	if (r < 0)
		goto fail;
	index_build_done(&b);
	*ret = idx;
	return 0;
fail:
	index_build_done(&b);
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
	a->h_full = streq(c->full_key, c->key) ? a->h_key : map_hash(MAP_KEY, c->full_key);
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
	bool same = streq(c->full_key, c->key);
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
