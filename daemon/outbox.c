/* outbox.c — when deliveries happen: walks the durable outbox (store.h),
 * has the local channels delivered at once (deliver_due_local), starts due
 * remote deliveries as transfers (deliver_remote.h, transfer.h) — never one
 * twice, at most a few per channel — and records each outcome in the same
 * database (retry.h decides when the next attempt is due). One realtime
 * timer wakes it at the earliest next attempt; the rows are the truth, so a
 * restart or reload loses nothing. */
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "contactwatch/array.h"
#include "contactwatch/deliver.h"
#include "contactwatch/deliver_remote.h"
#include "contactwatch/log.h"
#include "contactwatch/outbox.h"
#include "contactwatch/parse.h"
#include "contactwatch/retry.h"
#include "contactwatch/transfer.h"

/* A row whose channel left the configuration waits this long between looks
 * (a reload may bring the channel back). */
#define OUTBOX_ORPHAN_WAIT_SEC 3600
/* Timer slack: a retry due at second T runs within this of T. */
#define OUTBOX_TIMER_ACCURACY_USEC (50ull * 1000u)

/* A queued row, copied out of the store walk. */
typedef struct row {
	int64_t id, alert_id;
	char *channel, *employee, *idem_key, *last_error;
	unsigned attempts;
	int64_t next_attempt_at, created_at;
	bool taken;          /* grouped into a job by this kick */
} row;

typedef struct rows {
	row *items;
	size_t n, cap;
} rows;

/* One transfer: one row, or a digest's rows. The retry policy is copied
 * (scalars only), so a reload that drops or changes the channel while the
 * transfer runs leaves nothing dangling. */
typedef struct job {
	struct outbox *o;
	channel_config policy;
	char *channel;
	row *rows;
	size_t n_rows;
	remote_attempt attempt;
	struct job *prev, *next;
} job;

struct outbox {
	sd_event *event;
	const config *cfg;
	store *st;
	transfer_engine *engine;
	sd_event_source *timer;  /* CLOCK_REALTIME: next_attempt_at is wall-clock time */
	job *jobs;
	size_t n_jobs;
	bool backlog;            /* due rows waited for a free slot: a finished job kicks again */
	bool sweep;              /* outbox_kick(ignore_backoff): every queued row once */
	int64_t *tried;          /* the sweep's rows already started */
	size_t n_tried, cap_tried;
	uint64_t rng;
};

static uint64_t realtime_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000u;
}

/* xorshift64*: jitter needs spread, not secrecy; seeded from getrandom. */
static uint32_t outbox_random(outbox *o)
{
	o->rng ^= o->rng >> 12;
	o->rng ^= o->rng << 25;
	o->rng ^= o->rng >> 27;
	return (uint32_t)((o->rng * 2685821657736338717ull) >> 32);
}

static void format_span(uint64_t sec, char buf[static 32])
{
	if (sec >= 86400)
		snprintf(buf, 32, "%llud %lluh", (unsigned long long)(sec / 86400), (unsigned long long)(sec % 86400 / 3600));
	else if (sec >= 3600)
		snprintf(buf, 32, "%lluh %llumin", (unsigned long long)(sec / 3600), (unsigned long long)(sec % 3600 / 60));
	else if (sec >= 60)
		snprintf(buf, 32, "%llumin %llus", (unsigned long long)(sec / 60), (unsigned long long)(sec % 60));
	else
		snprintf(buf, 32, "%llus", (unsigned long long)sec);
}

static void row_done(row *r)
{
	free(r->channel);
	free(r->employee);
	free(r->idem_key);
	free(r->last_error);
}

static void rows_done(rows *l)
{
	for (size_t i = 0; i < l->n; i++)
		row_done(&l->items[i]);
	free(l->items);
	*l = (rows){ 0 };
}

static int rows_collect(const store_delivery *d, void *userdata)
{
	rows *l = userdata;

	if (array_reserve(&l->items, &l->cap, l->n + 1, sizeof *l->items) < 0)
		return -ENOMEM;
	row *r = &l->items[l->n];
	*r = (row){
		.id = d->id, .alert_id = d->alert_id, .attempts = d->attempts,
		.next_attempt_at = d->next_attempt_at, .created_at = d->created_at,
		.channel = strdup(d->channel), .employee = strdup(strempty(d->employee)),
		.idem_key = strdup(d->idem_key), .last_error = d->last_error ? strdup(d->last_error) : NULL,
	};
	if (!r->channel || !r->employee || !r->idem_key || (d->last_error && !r->last_error)) {
		row_done(r);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

static const channel_config *find_channel(const config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_channels; i++)
		if (streq(cfg->channels[i].name, name))
			return &cfg->channels[i];
	return NULL;
}

static bool in_flight(const outbox *o, int64_t id)
{
	for (const job *j = o->jobs; j; j = j->next)
		for (size_t i = 0; i < j->n_rows; i++)
			if (j->rows[i].id == id)
				return true;
	return false;
}

static size_t channel_in_flight(const outbox *o, const char *channel)
{
	size_t n = 0;
	for (const job *j = o->jobs; j; j = j->next)
		n += streq(j->channel, channel);
	return n;
}

static bool tried(const outbox *o, int64_t id)
{
	for (size_t i = 0; i < o->n_tried; i++)
		if (o->tried[i] == id)
			return true;
	return false;
}

static int tried_add(outbox *o, int64_t id)
{
	if (array_reserve(&o->tried, &o->cap_tried, o->n_tried + 1, sizeof *o->tried) < 0)
		return -ENOMEM;
	o->tried[o->n_tried++] = id;
	return 0;
}

static void sweep_end(outbox *o)
{
	o->sweep = false;
	o->tried = mfree(o->tried);
	o->n_tried = o->cap_tried = 0;
}

/* Arms the timer for unix second `at` unless it is armed earlier already
 * (earliest = true), or exactly there (earliest = false: a kick's fresh
 * view of the queue). at <= 0: nothing to wait for. */
static void timer_arm(outbox *o, int64_t at, bool earliest)
{
	uint64_t when = at > 0 ? (uint64_t)at * USEC_PER_SEC : UINT64_MAX;
	uint64_t armed = UINT64_MAX;
	int enabled = SD_EVENT_OFF, r;

	if (earliest && sd_event_source_get_enabled(o->timer, &enabled) >= 0 && enabled != SD_EVENT_OFF &&
	    sd_event_source_get_time(o->timer, &armed) >= 0 && armed <= when)
		return;
	if (when == UINT64_MAX) {
		r = sd_event_source_set_enabled(o->timer, SD_EVENT_OFF);
	} else {
		r = sd_event_source_set_time(o->timer, when);
		if (r >= 0)
			r = sd_event_source_set_enabled(o->timer, SD_EVENT_ONESHOT);
	}
	if (r < 0)
		log_errno(LOG_ERR, r, "outbox: cannot arm the delivery timer");
}

static job *job_free(job *j)
{
	if (!j)
		return NULL;
	deliver_remote_done(&j->attempt);
	for (size_t i = 0; i < j->n_rows; i++)
		row_done(&j->rows[i]);
	free(j->rows);
	free(j->channel);
	free(j);
	return NULL;
}

static void job_unlink(outbox *o, job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		o->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
	o->n_jobs--;
}

/* What the log says about a job's rows: "alert 12", "3 alerts of E1042". */
static void job_describe(const job *j, char buf[static 96])
{
	if (j->n_rows == 1)
		snprintf(buf, 96, "alert %lld", (long long)j->rows[0].alert_id);
	else
		snprintf(buf, 96, "digest of %zu alerts of %s", j->n_rows, j->rows[0].employee);
}

typedef struct row_check {
	const row *sent;
	bool current;
} row_check;

static int row_check_current(const store_delivery *d, void *userdata)
{
	row_check *c = userdata;
	c->current = streq(d->idem_key, c->sent->idem_key) && d->attempts == c->sent->attempts &&
		     d->created_at == c->sent->created_at;
	return 0;
}

/* Whether the row is still the one this attempt sent: while a transfer
 * runs, a scan may renew the row (a reclassified alert: new key, new
 * message) or `contactwatchctl redeliver` requeue it (attempts and age
 * restart). The old attempt's outcome must not land on the new row: a
 * renewed alert would be marked delivered without ever being sent. */
static int row_is_current(outbox *o, const row *w, bool *ret)
{
	row_check c = { .sent = w };
	int r = store_delivery_get(o->st, w->id, row_check_current, &c);
	*ret = r >= 0 && c.current;
	return r == -ENOENT ? 0 : r;
}

/* Records one outcome for every row of j in one transaction, and logs it
 * once: delivered at info, a retry as a warning, giving up as an error.
 * Returns whether a row had changed under the attempt (it is due now). */
static bool job_record(outbox *o, job *j, retry_outcome out, const char *error, uint64_t retry_after_usec)
{
	uint64_t now_usec = realtime_usec();
	int64_t now = (int64_t)(now_usec / USEC_PER_SEC);
	char what[96], span[32];
	int64_t next_min = 0;
	unsigned retried = 0, delivered = 0, attempts = 0;
	int r = store_begin(o->st);

	bool stale = false;
	if (r < 0 && r != -EALREADY) {
		log_errno(LOG_ERR, r, "channel %s: cannot record a delivery outcome: %s", j->channel,
			  store_last_error(o->st));
		/* Still queued and due: retried at once rather than left to the
		 * next scan (nothing else would wake the outbox for them). */
		timer_arm(o, now + 1, true);
		return false;
	}
	bool own_tx = r >= 0;
	r = 0;
	for (size_t i = 0; i < j->n_rows && r >= 0; i++) {
		const row *w = &j->rows[i];
		bool current;
		attempts = w->attempts + 1;
		r = row_is_current(o, w, &current);
		if (r < 0)
			break;
		if (!current) {
			log_debug("channel %s: delivery %lld changed while it was sent; the new one goes next", j->channel,
				  (long long)w->id);
			stale = true;
			continue;
		}
		if (out == RETRY_DELIVERED) {
			r = store_delivery_mark_delivered(o->st, w->id, now);
			delivered++;
		} else if (out == RETRY_PERMANENT) {
			r = store_delivery_mark_failed(o->st, w->id, true, error);
		} else if (retry_expired(&j->policy, w->created_at, now)) {
			_cleanup_free_ char *why = NULL;
			format_span((uint64_t)(now - w->created_at), span);
			if (asprintf(&why, "gave up after %s: %s", span, error) < 0)
				why = NULL;
			r = store_delivery_mark_failed(o->st, w->id, true, why ? why : error);
			/* One error per row: each names its alert and age. */
			log_error("channel %s: alert %lld: giving up after %s (GiveUpAfter=) and %u attempt(s): %s",
				  j->channel, (long long)w->alert_id, span, attempts, error);
		} else {
			uint64_t delay = retry_delay_usec(&j->policy, attempts, retry_after_usec, outbox_random(o));
			/* Rounded up: a Retry-After of 2 s never becomes 1.1 s. */
			int64_t next = (int64_t)((now_usec + delay + USEC_PER_SEC - 1) / USEC_PER_SEC);
			r = store_delivery_mark_retry(o->st, w->id, next, error);
			if (next_min == 0 || next < next_min)
				next_min = next;
			retried++;
		}
		if (r == -ESTALE) {
			log_debug("channel %s: delivery %lld was finished elsewhere", j->channel, (long long)w->id);
			r = 0;
		}
	}
	if (own_tx && r >= 0)
		r = store_commit(o->st);
	else if (own_tx)
		(void)store_rollback(o->st);
	if (r < 0) {
		log_errno(LOG_ERR, r, "channel %s: cannot record a delivery outcome: %s", j->channel,
			  store_last_error(o->st));
		timer_arm(o, now + 1, true);
		return false;
	}
	job_describe(j, what);
	if (delivered)
		log_info("channel %s: %s delivered", j->channel, what);
	else if (out == RETRY_PERMANENT)
		log_error("channel %s: %s failed permanently: %s; not retried (contactwatchctl redeliver queues it "
			  "again)",
			  j->channel, what, error);
	else if (retried) {
		format_span((uint64_t)(next_min > now ? next_min - now : 0), span);
		log_warning("channel %s: %s: attempt %u failed: %s; next attempt in %s", j->channel, what, attempts,
			    error, span);
		timer_arm(o, next_min, true);
	}
	return stale;
}

static void on_transfer_done(CURL *easy, CURLcode result, void *userdata)
{
	job *j = userdata;
	outbox *o = j->o;
	char error[REMOTE_ERROR_MAX];
	uint64_t retry_after = 0;

	retry_outcome out = deliver_remote_result(&j->attempt, easy, result, time(NULL), &retry_after, error);
	curl_easy_cleanup(easy);
	job_unlink(o, j);
	bool stale = job_record(o, j, out, error, retry_after);
	job_free(j);
	/* A slot is free: rows that waited for one go now, and so does a row
	 * that was renewed while this attempt ran. */
	if (o->backlog || stale)
		(void)outbox_kick(o, false);
}

/* transfer_engine_free's abort: the rows stay queued as they are. */
static void on_transfer_abort(void *userdata)
{
	job_free(userdata);
}

/* Builds and starts one job over rows[idx[0..n-1]] of channel ch. A job
 * that cannot even start (a missing credential, an alert that cannot be
 * rendered) is recorded like a failed attempt. Returns 1 when started, 0
 * when recorded, -errno on a state database error. */
static int job_start(outbox *o, const channel_config *ch, rows *l, const size_t *idx, size_t n, int64_t now)
{
	job *j = calloc(1, sizeof *j);
	json_t **alerts = NULL;
	const char **keys = NULL;
	char error[REMOTE_ERROR_MAX] = "";
	CURL *easy = NULL;
	size_t n_alerts = 0;
	int r;

	if (!j || !(j->rows = calloc(n, sizeof *j->rows)) || !(j->channel = strdup(ch->name)) ||
	    !(alerts = calloc(n, sizeof(json_t *))) || !(keys = calloc(n, sizeof(const char *)))) {
		r = -ENOMEM;
		goto fail;
	}
	j->o = o;
	j->policy = (channel_config){
		.name = j->channel, .type = ch->type, .timeout_usec = ch->timeout_usec,
		.retry_delay_usec = ch->retry_delay_usec, .retry_max_delay_usec = ch->retry_max_delay_usec,
		.give_up_usec = ch->give_up_usec,
	};
	/* The job takes the rows' strings: the kick's list must not free them. */
	for (size_t i = 0; i < n; i++) {
		j->rows[i] = l->items[idx[i]];
		l->items[idx[i]] = (row){ .id = j->rows[i].id, .taken = true };
		j->n_rows++;
		keys[i] = j->rows[i].idem_key;
	}
	for (size_t i = 0; i < j->n_rows;) {
		r = deliver_alert_load(o->st, j->rows[i].alert_id, ch->pseudonymize, &alerts[i]);
		if (r == -ENOENT || r == -EBADMSG) {
			/* Purged (retention) or unreadable: nothing left to send
			 * for this row, which fails alone; a digest goes on with
			 * the others. */
			snprintf(error, sizeof error, "alert %lld %s", (long long)j->rows[i].alert_id,
				 r == -ENOENT ? "no longer exists" : "is unreadable in the state database");
			r = store_delivery_mark_failed(o->st, j->rows[i].id, false, error);
			if (r < 0 && r != -ESTALE && r != -ENOENT) {
				log_errno(LOG_ERR, r, "channel %s: %s", ch->name, store_last_error(o->st));
				goto fail;
			}
			log_error("channel %s: %s; delivery failed", ch->name, error);
			row_done(&j->rows[i]);
			j->n_rows--;
			memmove(&j->rows[i], &j->rows[i + 1], (j->n_rows - i) * sizeof *j->rows);
			memmove(&keys[i], &keys[i + 1], (j->n_rows - i) * sizeof *keys);
			continue;
		}
		if (r < 0) {
			log_errno(LOG_ERR, r, "channel %s: cannot load alert %lld: %s", ch->name,
				  (long long)j->rows[i].alert_id, store_last_error(o->st));
			goto fail;
		}
		i++;
		n_alerts = i;
	}
	n = j->n_rows;
	if (n == 0) {
		r = 0;
		goto fail;
	}
	error[0] = '\0';
	r = deliver_remote_prepare(ch, alerts, keys, n, now, &j->attempt, &easy, error);
	if (r < 0) {
		job_record(o, j, r == -EINVAL ? RETRY_PERMANENT : RETRY_AGAIN, error, 0);
		r = 0;
		goto fail;
	}
	r = transfer_start(o->engine, easy, on_transfer_done, j);
	if (r < 0) {
		curl_easy_cleanup(easy);
		snprintf(error, sizeof error, "cannot start the transfer: %s", strerror(-r));
		job_record(o, j, RETRY_AGAIN, error, 0);
		r = 0;
		goto fail;
	}
	j->next = o->jobs;
	if (j->next)
		j->next->prev = j;
	o->jobs = j;
	o->n_jobs++;
	r = 1;
	goto done;
fail:
	job_free(j);
done:
	for (size_t i = 0; i < n_alerts; i++)
		json_decref(alerts[i]);
	free(alerts);
	free(keys);
	return r;
}

/* A queued row past GiveUpAfter= before it could even be tried again. */
static int give_up(outbox *o, const channel_config *ch, const row *w, int64_t now)
{
	_cleanup_free_ char *why = NULL;
	char span[32];

	format_span((uint64_t)(now - w->created_at), span);
	if (asprintf(&why, "gave up after %s: %s", span, w->last_error ? w->last_error : "never delivered") < 0)
		return -ENOMEM;
	int r = store_delivery_mark_failed(o->st, w->id, false, why);
	if (r < 0 && r != -ESTALE)
		return r;
	log_error("channel %s: alert %lld: giving up after %s (GiveUpAfter=) and %u attempt(s): %s", ch->name,
		  (long long)w->alert_id, span, w->attempts, w->last_error ? w->last_error : "never delivered");
	return 0;
}

static bool channel_is_remote(const channel_config *ch)
{
	return ch->type == CHANNEL_WEBHOOK || ch->type == CHANNEL_SMTP;
}

int outbox_kick(outbox *o, bool ignore_backoff)
{
	int64_t now = (int64_t)(realtime_usec() / USEC_PER_SEC);
	int64_t next_at = 0;
	rows l = { 0 };
	size_t *idx = NULL;
	int started = 0, r;

	if (ignore_backoff)
		o->sweep = true;
	o->backlog = false;
	/* Local channels first, synchronously: no transfer needed. It logs
	 * their failures; ours is only a state database error. */
	r = deliver_due_local(o->st, o->cfg, ignore_backoff ? -1 : now);
	if (r < 0) {
		r = log_errno(LOG_ERR, r, "outbox: state database error: %s", store_last_error(o->st));
		goto finish;
	}
	if (r > 0)
		log_info("delivered %d alert(s) to local channels", r);

	r = store_deliveries_due(o->st, NULL, -1, rows_collect, &l);
	if (r < 0) {
		log_errno(LOG_ERR, r, "outbox: cannot read the queue: %s", store_last_error(o->st));
		goto finish;
	}
	idx = calloc(l.n ? l.n : 1, sizeof *idx);
	if (!idx) {
		r = log_errno(LOG_ERR, ENOMEM, "outbox: out of memory");
		goto finish;
	}
	for (size_t i = 0; i < l.n; i++) {
		row *w = &l.items[i];
		const channel_config *ch;

		if (w->taken || in_flight(o, w->id))
			continue;
		ch = find_channel(o->cfg, w->channel);
		if (!ch) {
			/* Kept queued (a reload may bring the channel back), looked at hourly. */
			if (w->next_attempt_at <= now) {
				char why[REMOTE_ERROR_MAX];
				snprintf(why, sizeof why, "channel %s is not in the configuration", w->channel);
				r = store_delivery_mark_retry(o->st, w->id, now + OUTBOX_ORPHAN_WAIT_SEC, why);
				if (r < 0 && r != -ESTALE)
					goto db_fail;
				log_warning("outbox: alert %lld: %s; kept queued", (long long)w->alert_id, why);
				w->next_attempt_at = now + OUTBOX_ORPHAN_WAIT_SEC;
			}
		} else if (!channel_is_remote(ch)) {
			/* deliver_due_local's: what it left due failed just now;
			 * look again in a second rather than spin. */
			if (w->next_attempt_at <= now)
				w->next_attempt_at = now + 1;
		} else if (retry_expired(ch, w->created_at, now)) {
			r = give_up(o, ch, w, now);
			if (r < 0)
				goto db_fail;
			continue;
		} else if (o->sweep ? !tried(o, w->id) : w->next_attempt_at <= now) {
			/* --once tries every row once, due or not, and never a row
			 * twice: a receiver that stays down must not keep it
			 * retrying until GiveUpAfter=. */
			if (channel_in_flight(o, ch->name) >= OUTBOX_MAX_IN_FLIGHT_PER_CHANNEL) {
				o->backlog = true;
				continue;
			}
			/* A digest takes every due row of this employee and channel. */
			size_t n = 0;
			idx[n++] = i;
			if (ch->type == CHANNEL_SMTP && ch->digest)
				for (size_t k = i + 1; k < l.n; k++) {
					const row *x = &l.items[k];
					if (!x->taken && streq(x->channel, w->channel) && streq(x->employee, w->employee) &&
					    (o->sweep ? !tried(o, x->id) : x->next_attempt_at <= now) && !in_flight(o, x->id))
						idx[n++] = k;
				}
			if (o->sweep)
				for (size_t k = 0; k < n; k++)
					if (tried_add(o, l.items[idx[k]].id) < 0) {
						r = log_errno(LOG_ERR, ENOMEM, "outbox: out of memory");
						goto finish;
					}
			r = job_start(o, ch, &l, idx, n, now);
			if (r < 0)
				goto finish; /* logged */
			started += r;
			continue;
		}
		if (next_at == 0 || w->next_attempt_at < next_at)
			next_at = w->next_attempt_at;
	}
	if (o->sweep && !o->backlog && started == 0)
		sweep_end(o);
	r = started;
	goto finish;
db_fail:
	r = log_errno(LOG_ERR, r, "outbox: state database error: %s", store_last_error(o->st));
finish:
	/* On an error too: the timer is how a failed kick is retried, and
	 * what it did not get to still waits (outbox_pending). */
	timer_arm(o, r < 0 ? now + 1 : next_at, false);
	if (r < 0)
		o->backlog = true;
	free(idx);
	rows_done(&l);
	return r;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)s;
	(void)usec;
	(void)outbox_kick(userdata, false); /* logs */
	return 0;
}

int outbox_new(sd_event *event, const config *cfg, store *st, outbox **ret)
{
	outbox *o = calloc(1, sizeof *o);
	int r;

	if (!o)
		return -ENOMEM;
	o->event = sd_event_ref(event);
	o->cfg = cfg;
	o->st = st;
	if (getrandom(&o->rng, sizeof o->rng, GRND_NONBLOCK) != sizeof o->rng)
		o->rng = realtime_usec() ^ ((uint64_t)getpid() << 32);
	o->rng |= 1; /* xorshift's state must not be 0 */
	r = transfer_engine_new(event, &o->engine);
	if (r < 0)
		goto fail;
	r = sd_event_add_time(event, &o->timer, CLOCK_REALTIME, UINT64_MAX, OUTBOX_TIMER_ACCURACY_USEC, on_timer, o);
	if (r < 0)
		goto fail;
	(void)sd_event_source_set_description(o->timer, "outbox-timer");
	r = sd_event_source_set_enabled(o->timer, SD_EVENT_OFF);
	if (r < 0)
		goto fail;
	*ret = o;
	return 0;
fail:
	outbox_free(o);
	return r;
}

outbox *outbox_free(outbox *o)
{
	if (!o)
		return NULL;
	/* In-flight rows are not marked: they stay queued and due, and the
	 * next start sends them again under the same idempotency key. */
	o->engine = transfer_engine_free(o->engine, on_transfer_abort);
	o->jobs = NULL;
	o->n_jobs = 0;
	sd_event_source_disable_unref(o->timer);
	sd_event_unref(o->event);
	free(o->tried);
	free(o);
	return NULL;
}

void outbox_set_config(outbox *o, const config *cfg)
{
	o->cfg = cfg;
}

bool outbox_pending(const outbox *o)
{
	return o->backlog;
}

size_t outbox_in_flight(const outbox *o)
{
	return o ? o->n_jobs : 0;
}
