/* outbox.h — the delivery engine of contactwatchd: takes the due rows of the
 * durable outbox (store.h, store_delivery_*), delivers local channels
 * (journal, file) at once and remote ones (webhook, smtp) through
 * transfer.h, and records each outcome (retry.h) in the same database, so a
 * restart or reload never loses or repeats a delivery. One timer wakes it at
 * the earliest next attempt. */
#pragma once

#include <systemd/sd-event.h>

#include "contactwatch/config.h"
#include "contactwatch/store.h"

typedef struct outbox outbox;

/* Transfers one channel may have open at once: enough to drain a backlog,
 * few enough not to hammer a receiver that just came back. */
#define OUTBOX_MAX_IN_FLIGHT_PER_CHANNEL 4u

/* cfg and st are borrowed (outbox_set_config when the config is reloaded). */
int outbox_new(sd_event *event, const config *cfg, store *st, outbox **ret);
/* Abandons in-flight transfers (they stay queued) and frees. NULL-safe. */
outbox *outbox_free(outbox *o);
void outbox_set_config(outbox *o, const config *cfg);
/* Delivers the local channels' due rows and starts every due remote
 * delivery (ignore_backoff: every queued one, each tried once however it
 * fails, for --once), at most OUTBOX_MAX_IN_FLIGHT_PER_CHANNEL at a time:
 * the rest start as transfers finish. Re-arms the timer. Returns the number
 * of transfers started or -errno (state database error, logged). */
int outbox_kick(outbox *o, bool ignore_backoff);
/* Whether due deliveries are left that the last kick did not start (a
 * channel had its fill of transfers, or the kick failed): --once kicks
 * again once transfers finish. */
bool outbox_pending(const outbox *o);
/* Deliveries started and not finished yet. */
size_t outbox_in_flight(const outbox *o);
