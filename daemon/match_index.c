/* match_index.c — the matcher's index, built once per employee from the
 * clause's relations (match.c scores contacts with it): exact keys in one
 * hash map, one-edit deletion keys for lone distinctive words and
 * surnames, a trigram index of the distinctive company words, and what the
 * scoring needs of each relation, prepared once. The index is read-only
 * after match_index_new and may serve several threads. match_index_new
 * prepares the relations on worker threads (one per online CPU) and fills
 * its tables in relation order, so the index is the same whatever their
 * number (see "building the index"). The tables and their lookups are in
 * match_tables.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "contactwatch/array.h"
#include "contactwatch/hash.h"
#include "contactwatch/match.h"
#include "contactwatch/match_tables.h"
#include "contactwatch/names.h"

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

static void map_done(map *m)
{
	free(m->slots);
	free(m->entries);
	free(m->arena);
	free(m->ids);
	bloom_done(&m->filter);
	*m = (map) {0};
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

