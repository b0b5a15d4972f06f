/* deliver.c — the outbox's local channels (journal, file): takes their due
 * delivery rows, builds each alert as users see it (with its history, and
 * pseudonymized when the channel says so), delivers it synchronously and
 * records the outcome in the same database, so a restart neither loses nor
 * repeats a delivery. Remote channels are the outbox engine's (outbox.h). */
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "contactwatch/alert.h"
#include "contactwatch/array.h"
#include "contactwatch/deliver.h"
#include "contactwatch/log.h"
#include "contactwatch/retry.h"

/* What the due walk keeps of a row: its strings die with the callback. */
typedef struct due_item {
	int64_t id;
	int64_t alert_id;
	unsigned attempts;
	int64_t created_at;
} due_item;

typedef struct due_list {
	due_item *items;
	size_t n, allocated;
} due_list;

static int due_collect(const store_delivery *d, void *userdata)
{
	due_list *l = userdata;

	if (array_reserve(&l->items, &l->allocated, l->n + 1, sizeof *l->items) < 0)
		return -ENOMEM;
	l->items[l->n++] = (due_item){
		.id = d->id, .alert_id = d->alert_id, .attempts = d->attempts, .created_at = d->created_at,
	};
	return 0;
}

typedef struct alert_build {
	store *store;
	json_t *alert;
} alert_build;

static int alert_collect(const store_alert *a, void *userdata)
{
	alert_build *b = userdata;
	return alert_json_load(b->store, a, &b->alert);
}

int deliver_idem_key(const char *alert_key, const char *channel, const char *renewal, char **ret)
{
	int r = renewal ? asprintf(ret, "%s-%s:%s", alert_key, channel, renewal)
			: asprintf(ret, "%s-%s", alert_key, channel);
	return r < 0 ? -ENOMEM : 0;
}

int deliver_alert_load(store *st, int64_t alert_id, bool pseudonymize, json_t **ret)
{
	alert_build b = { .store = st };
	int r = store_alert_get(st, alert_id, alert_collect, &b);

	if (r < 0) {
		json_decref(b.alert);
		return r;
	}
	if (pseudonymize) {
		json_t *p = alert_pseudonymized(b.alert);
		json_decref(b.alert);
		if (!p)
			return -ENOMEM;
		b.alert = p;
	}
	*ret = b.alert;
	return 0;
}

static uint32_t jitter_seed(int64_t id)
{
	uint32_t v;

	if (getrandom(&v, sizeof v, GRND_NONBLOCK) == (ssize_t)sizeof v)
		return v;
	/* Without entropy the jitter only has to differ between rows. */
	return (uint32_t)id * 2654435761u ^ (uint32_t)time(NULL);
}

/* Records a failed attempt: past GiveUpAfter= the row fails for good (an
 * error in the journal, the reason in status), else it is due again after
 * the backoff. Returns 0 or the store's -errno. */
static int record_failure(store *st, const channel_config *ch, const due_item *it, int64_t now, const char *error)
{
	int r;

	if (retry_expired(ch, it->created_at, now)) {
		char why[512];

		snprintf(why, sizeof why, "gave up after %u attempts: %s", it->attempts + 1, error);
		r = store_delivery_mark_failed(st, it->id, true, why);
		if (r >= 0)
			log_error("channel %s: gave up delivering alert %lld (queued longer than GiveUpAfter=): %s",
				  ch->name, (long long)it->alert_id, error);
		return r;
	}
	uint64_t delay = retry_delay_usec(ch, it->attempts + 1, 0, jitter_seed(it->id));
	int64_t next = now + (int64_t)((delay + USEC_PER_SEC - 1) / USEC_PER_SEC);
	r = store_delivery_mark_retry(st, it->id, next, error);
	if (r >= 0)
		log_warning("channel %s: could not deliver alert %lld (attempt %u): %s; retrying in %llus", ch->name,
			    (long long)it->alert_id, it->attempts + 1, error, (unsigned long long)(next - now));
	return r;
}

/* One due row of a local channel: deliver, then record. Returns 1 when
 * delivered, 0 when not (recorded), or the store's -errno. */
static int deliver_one(store *st, const channel_config *ch, const due_item *it, int64_t now)
{
	json_t *alert = NULL;
	char error[400]; /* with record_failure's prefix, fits its 512 */
	int r;

	r = deliver_alert_load(st, it->alert_id, ch->pseudonymize, &alert);
	if (r == -ENOMEM)
		return r;
	if (r == -EBADMSG || r == -ENOENT) {
		/* Another attempt reads the same: nothing to wait for. */
		const char *why = r == -ENOENT ? "the alert no longer exists" : "the stored alert is not valid JSON";
		r = store_delivery_mark_failed(st, it->id, false, why);
		if (r >= 0)
			log_error("channel %s: alert %lld cannot be delivered: %s", ch->name, (long long)it->alert_id,
				  why);
		goto done;
	}
	if (r < 0)
		goto done;
	r = deliver_alert(ch, alert);
	if (r >= 0) {
		r = store_delivery_mark_delivered(st, it->id, now);
		if (r >= 0)
			r = 1;
		goto done;
	}
	if (ch->type == CHANNEL_FILE)
		snprintf(error, sizeof error, "cannot append to %s: %s", ch->path, strerror(-r));
	else
		snprintf(error, sizeof error, "%s", strerror(-r));
	r = record_failure(st, ch, it, now, error);
done:
	json_decref(alert);
	/* Finished by someone else meanwhile (a redeliver, a second daemon):
	 * theirs stands. */
	if (r == -ESTALE) {
		log_debug("channel %s: delivery %lld was finished elsewhere", ch->name, (long long)it->id);
		r = 0;
	}
	return r;
}

int deliver_due_local(store *st, const config *cfg, int64_t now)
{
	const int64_t clock = now >= 0 ? now : (int64_t)time(NULL);
	unsigned delivered = 0;
	int r = 0;

	for (size_t i = 0; i < cfg->n_channels && r >= 0; i++) {
		const channel_config *ch = &cfg->channels[i];
		due_list due = { 0 };

		if (ch->type != CHANNEL_JOURNAL && ch->type != CHANNEL_FILE)
			continue;
		/* The ids first, the deliveries after the walk: delivering and
		 * recording while sqlite steps through the same table would be
		 * correct, but a slow file system would then hold the read open. */
		r = store_deliveries_due(st, ch->name, now, due_collect, &due);
		for (size_t j = 0; r >= 0 && j < due.n; j++) {
			r = deliver_one(st, ch, &due.items[j], clock);
			if (r > 0)
				delivered++;
		}
		free(due.items);
	}
	return r < 0 ? r : (int)delivered;
}
