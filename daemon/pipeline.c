/* pipeline.c — match_contact on worker threads, results in record order.
 *
 * Reading an export is one sequential stream (decoding and CSV state cannot
 * be split without a second pass), but matching a contact depends on nothing
 * but the contact and the read-only index. So the reader copies contacts
 * into batches and a few workers match whole batches: on two cores reading
 * and matching overlap instead of adding up.
 *
 * Batches live in a ring of slots, each in one state at a time and owned by
 * whoever that state says (the reader fills and harvests, a worker matches),
 * so the lock guards only the state changes, never a contact. A batch is
 * harvested (its results handed to the callback) strictly in sequence, which
 * keeps the output identical to matching on one thread. */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "contactwatch/names.h"
#include "contactwatch/pipeline.h"

typedef enum slot_state {
	SLOT_FREE,     /* the reader may fill it */
	SLOT_READY,    /* full, waiting for a worker */
	SLOT_WORKING,  /* a worker is matching it */
	SLOT_DONE,     /* matched, waiting for the harvest */
} slot_state;

typedef struct batch {
	contact items[PIPELINE_BATCH];
	match_list results[PIPELINE_BATCH];
	size_t n;
	int error;            /* the first match_contact failure */
	slot_state state;
	/* The contacts' strings: bump-allocated in blocks that never move
	 * (the contacts point into them), forgotten in one go after the
	 * harvest; the matcher's parse memory serves here too. */
	names_arena strings;
} batch;

struct pipeline {
	const match_index *idx;
	pipeline_result_fn cb;
	void *userdata;
	unsigned workers;     /* wanted */
	unsigned started;     /* threads running (started with the first full batch) */
	pthread_t *threads;
	/* Per-thread scratch of the matcher (its parse memory and caches):
	 * [0] the caller's, [1 + i] worker i's. */
	match_scratch **scratch;
	struct worker_arg *args;
	pthread_mutex_t lock;
	pthread_cond_t work_cv; /* a batch became READY, or stop */
	pthread_cond_t done_cv; /* a batch became DONE */
	batch **slots;
	size_t n_slots;
	/* Sequence numbers; batch s lives in slots[s % n_slots]. Reader:
	 * fill_seq (being filled), harvest_seq (next to hand out). Workers:
	 * work_seq (next READY to take). harvest <= work <= fill. */
	uint64_t fill_seq, work_seq, harvest_seq;
	bool stop;
	int error;            /* sticky: the first error of any kind */
};

static int arena_copy_string(names_arena *a, const char *s, char **ret)
{
	*ret = NULL;
	if (!s)
		return 0;
	size_t n = strlen(s) + 1;
	char *p = names_arena_alloc(a, n);
	if (!p)
		return -ENOMEM;
	memcpy(p, s, n);
	*ret = p;
	return 0;
}

static int arena_copy_strv(names_arena *a, char *const *l, char ***ret)
{
	size_t n = 0;
	*ret = NULL;
	if (!l)
		return 0;
	while (l[n])
		n++;
	char **v = names_arena_alloc(a, (n + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (arena_copy_string(a, l[i], &v[i]) < 0)
			return -ENOMEM;
	v[n] = NULL;
	*ret = v;
	return 0;
}

/* A copy whose strings live in the batch's arena (never freed one by one). */
static int batch_copy_contact(batch *b, const contact *src, contact *c)
{
	*c = (contact){
		.connected_on = src->connected_on,
		.date_note = src->date_note,
		.event = src->event,
		.record = src->record,
		.line = src->line,
	};
	if (arena_copy_string(&b->strings, src->first, &c->first) < 0 ||
	    arena_copy_string(&b->strings, src->last, &c->last) < 0 ||
	    arena_copy_string(&b->strings, src->name, &c->name) < 0 ||
	    arena_copy_string(&b->strings, src->company, &c->company) < 0 ||
	    arena_copy_string(&b->strings, src->position, &c->position) < 0 ||
	    arena_copy_strv(&b->strings, src->emails, &c->emails) < 0 ||
	    arena_copy_strv(&b->strings, src->urls, &c->urls) < 0 ||
	    arena_copy_string(&b->strings, src->date_raw, &c->date_raw) < 0)
		return -ENOMEM;
	return 0;
}

static void batch_match(const match_index *idx, match_scratch *scratch, batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		int r = match_contact_scratch(idx, scratch, &b->items[i], &b->results[i]);
		if (r < 0) {
			b->error = r;
			return;
		}
	}
}

/* Hands a matched batch's results out in record order and empties it. */
static int pipeline_harvest(pipeline *p, batch *b)
{
	int r = b->error;
	for (size_t i = 0; i < b->n; i++) {
		if (r >= 0 && b->results[i].n > 0)
			r = p->cb(&b->items[i], &b->results[i], p->userdata);
		match_list_done(&b->results[i]);
	}
	b->n = 0;
	b->error = 0;
	names_arena_reset(&b->strings);
	return r;
}

typedef struct worker_arg {
	pipeline *p;
	match_scratch *scratch;
} worker_arg;

static void *pipeline_worker(void *userdata)
{
	worker_arg *w = userdata;
	pipeline *p = w->p;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stop && p->work_seq == p->fill_seq)
			pthread_cond_wait(&p->work_cv, &p->lock);
		if (p->stop)
			break;
		batch *b = p->slots[p->work_seq++ % p->n_slots];
		b->state = SLOT_WORKING;
		pthread_mutex_unlock(&p->lock);
		batch_match(p->idx, w->scratch, b);
		pthread_mutex_lock(&p->lock);
		b->state = SLOT_DONE;
		pthread_cond_broadcast(&p->done_cv);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

unsigned pipeline_default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > 8 ? 8u : (unsigned)n;
}

int pipeline_new(const match_index *idx, unsigned workers, pipeline_result_fn cb, void *userdata, pipeline **ret)
{
	pipeline *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->idx = idx;
	p->cb = cb;
	p->userdata = userdata;
	p->workers = workers;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	/* Two batches per worker keep each busy while the reader fills the
	 * next; one more is the reader's own. Without workers one is enough. */
	p->n_slots = workers ? 2 * (size_t)workers + 1 : 1;
	p->scratch = calloc((size_t)workers + 1, sizeof(match_scratch *));
	p->args = calloc((size_t)workers + 1, sizeof(worker_arg));
	if (!p->scratch || !p->args)
		goto fail;
	for (unsigned i = 0; i <= workers; i++)
		if (match_scratch_new(&p->scratch[i]) < 0)
			goto fail;
	p->slots = calloc(p->n_slots, sizeof(batch *));
	if (!p->slots)
		goto fail;
	for (size_t i = 0; i < p->n_slots; i++) {
		p->slots[i] = calloc(1, sizeof *p->slots[i]);
		if (!p->slots[i])
			goto fail;
	}
	*ret = p;
	return 0;
fail:
	pipeline_free(p);
	return -ENOMEM;
}

static int pipeline_start_workers(pipeline *p)
{
	p->threads = calloc(p->workers, sizeof *p->threads);
	if (!p->threads)
		return -ENOMEM;
	for (; p->started < p->workers; p->started++) {
		p->args[p->started] = (worker_arg){ .p = p, .scratch = p->scratch[1 + p->started] };
		int r = pthread_create(&p->threads[p->started], NULL, pipeline_worker, &p->args[p->started]);
		if (r != 0)
			/* Fewer workers than wanted still work; none at all cannot. */
			return p->started > 0 ? 0 : -r;
	}
	return 0;
}

/* Waits for batch harvest_seq to be matched and harvests it. */
static int pipeline_harvest_next(pipeline *p)
{
	batch *b = p->slots[p->harvest_seq % p->n_slots];

	pthread_mutex_lock(&p->lock);
	while (b->state != SLOT_DONE)
		pthread_cond_wait(&p->done_cv, &p->lock);
	pthread_mutex_unlock(&p->lock);
	p->harvest_seq++;
	int r = pipeline_harvest(p, b);
	b->state = SLOT_FREE; /* the reader's again: no lock needed, no worker looks at it */
	return r;
}

/* Hands the batch being filled to the workers (or matches it here). */
static int pipeline_submit(pipeline *p)
{
	batch *b = p->slots[p->fill_seq % p->n_slots];
	int r;

	if (b->n == 0)
		return 0;
	if (p->started == 0 && p->workers > 0) {
		r = pipeline_start_workers(p);
		if (r < 0)
			return r;
	}
	if (p->started == 0) {
		batch_match(p->idx, p->scratch[0], b);
		return pipeline_harvest(p, b);
	}
	pthread_mutex_lock(&p->lock);
	b->state = SLOT_READY;
	p->fill_seq++;
	pthread_cond_signal(&p->work_cv);
	pthread_mutex_unlock(&p->lock);
	/* The next slot to fill must have been harvested: counted in
	 * sequence numbers, which only this thread changes, rather than by
	 * peeking at a state a worker may be writing. */
	while (p->fill_seq - p->harvest_seq >= p->n_slots) {
		r = pipeline_harvest_next(p);
		if (r < 0)
			return r;
	}
	return 0;
}

int pipeline_push(pipeline *p, const contact *c)
{
	if (p->error < 0)
		return p->error;
	batch *b = p->slots[p->fill_seq % p->n_slots];
	b->results[b->n] = (match_list){ 0 };
	int r = batch_copy_contact(b, c, &b->items[b->n]);
	if (r < 0)
		return p->error = r;
	b->n++;
	if (b->n == PIPELINE_BATCH) {
		r = pipeline_submit(p);
		if (r < 0)
			return p->error = r;
	}
	return 0;
}

int pipeline_finish(pipeline *p)
{
	int r;
	if (p->error < 0)
		return p->error;
	/* A partial last batch: matched here when no worker ever started
	 * (short exports never start a thread), else queued like the rest. */
	if (p->started == 0) {
		batch *b = p->slots[p->fill_seq % p->n_slots];
		batch_match(p->idx, p->scratch[0], b);
		r = pipeline_harvest(p, b);
		return r < 0 ? (p->error = r) : 0;
	}
	r = pipeline_submit(p);
	while (r >= 0 && p->harvest_seq < p->fill_seq)
		r = pipeline_harvest_next(p);
	return r < 0 ? (p->error = r) : 0;
}

pipeline *pipeline_free(pipeline *p)
{
	if (!p)
		return NULL;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->started; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	for (size_t i = 0; p->slots && i < p->n_slots; i++) {
		batch *b = p->slots[i];
		if (!b)
			continue;
		for (size_t k = 0; k < PIPELINE_BATCH; k++)
			match_list_done(&b->results[k]);
		names_arena_done(&b->strings);
		free(b);
	}
	free(p->slots);
	for (unsigned i = 0; p->scratch && i <= p->workers; i++)
		match_scratch_free(p->scratch[i]);
	free(p->scratch);
	free(p->args);
	pthread_cond_destroy(&p->done_cv);
	pthread_cond_destroy(&p->work_cv);
	pthread_mutex_destroy(&p->lock);
	free(p);
	return NULL;
}
