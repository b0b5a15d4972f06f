/* match_tables.h — the inside of the matcher's index: its tables (Bloom
 * filters, the key map, the typo table, the trigram index), what it keeps
 * of each relation, and the lookups contacts make in them (inline: they
 * run millions of times a scan). Shared by match_index.c, which builds the
 * index, and match.c, which scores contacts with it; by nothing else. */
#pragma once

#include <stdint.h>
#include <string.h>

#include "contactwatch/hash.h"
#include "contactwatch/match.h"
#include "contactwatch/names.h"

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
 * still looks (see there, in match.c). */
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
static inline size_t bloom_word(const bloom *b, uint64_t x)
{
	return (size_t)((x * 0xD6E8FEB86659FD93ull) >> b->shift);
}

static inline uint64_t bloom_mask(uint64_t x)
{
	uint64_t h = x * 0x9E3779B97F4A7C15ull;
	return 1ull << (h >> 58) | 1ull << (h >> 52 & 63);
}

static inline bool bloom_may_contain(const bloom *b, uint64_t x)
{
	if (!b->bits)
		return true;
	uint64_t m = bloom_mask(x);
	return (b->bits[bloom_word(b, x)] & m) == m;
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
 * map is five free() calls. The map is built by map_fill (match_index.c),
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

static inline uint64_t map_hash(map_kind kind, const char *s)
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

static inline const char *map_key(const map *m, const map_entry *e)
{
	return m->arena + e->key - 1;
}

static inline const map_entry *map_get_hashed(const map *m, map_kind kind, const char *s, uint64_t h)
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

static inline const map_entry *map_get(const map *m, map_kind kind, const char *s)
{
	return map_get_hashed(m, kind, s, map_hash(kind, s));
}

/* Asks for the slot a lookup of h starts at to be brought into the cache:
 * a contact's lookups land anywhere in tables of megabytes, and issued
 * together their cache misses overlap instead of following each other. */
static inline void map_prefetch(const map *m, uint64_t h)
{
	if (m->cap > 0 && bloom_may_contain(&m->filter, h))
		__builtin_prefetch(&m->slots[(size_t)h & (m->cap - 1)]);
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
static inline uint64_t deletion_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ h >> 33;
}

static inline size_t deletion_hashes(map_kind kind, const char *word, size_t n, bool variants, uint64_t *out)
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

static inline uint32_t delmap_fingerprint(uint64_t h)
{
	uint32_t fp = (uint32_t)(h >> 32) ^ (uint32_t)h;
	return fp ? fp : 1;
}

static inline size_t delmap_index(const delmap *d, uint32_t fp)
{
	return (size_t)(((uint64_t)fp * 0x9E3779B97F4A7C15ull) >> d->shift);
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
static inline size_t qgram_of(const char *w, size_t n, uint32_t *out)
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
static inline size_t qgram_home(const qgram_index *q, uint32_t key)
{
	return q->bits ? (size_t)((key * 2654435761u) >> (32 - q->bits)) : 0;
}

static inline qgram_entry *qgram_slot(const qgram_index *q, uint32_t key)
{
	size_t mask = q->cap - 1;
	size_t i = qgram_home(q, key);
	while (q->slots[i].key && q->slots[i].key != key)
		i = (i + 1) & mask;
	return &q->slots[i];
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
