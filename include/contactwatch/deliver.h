/* deliver.h — the local alert channels: the journal (structured fields, no
 * contact data above debug) and an append-only JSON-lines file, and the
 * outbox pass that feeds them. Each channel call returns 0 or -errno; the
 * caller logs. */
#pragma once

#include <jansson.h>

#include "contactwatch/config.h"
#include "contactwatch/store.h"

/* Fixed journal MESSAGE_IDs, one per event kind (journalctl MESSAGE_ID=...). */
#define CW_MESSAGE_ALERT         "6f1c9a1e2b7d4c0e8a53d0c4b2e17f01"
#define CW_MESSAGE_FILE_REJECTED "6f1c9a1e2b7d4c0e8a53d0c4b2e17f02"
#define CW_MESSAGE_SCAN_DONE     "6f1c9a1e2b7d4c0e8a53d0c4b2e17f03"

/* Whether ch wants an alert of this severity (MinSeverity=). */
bool deliver_wants(const channel_config *ch, const json_t *alert);
int deliver_journal_alert(const json_t *alert);
int deliver_file_alert(const char *path, const json_t *alert);
/* Dispatches on ch->type; -EOPNOTSUPP for channel types this build lacks. */
int deliver_alert(const channel_config *ch, const json_t *alert);
/* The alert as channels get it: the same object `show --json` prints (with
 * its history), with employee.name replaced by the id when pseudonymize.
 * -ENOENT for no such alert, -EBADMSG for a stored body that is not JSON,
 * -ENOMEM, or the store's -errno. */
/* A delivery's idempotency key: "<alert key>-<channel>", stable across
 * restarts and retries (receivers drop repeats by it); for an alert renewed
 * by a reclassification "<alert key>-<channel>:<classification>", with a
 * separator no channel name can hold, so it is new to the receiver and
 * never another channel's plain key. renewal may be NULL. -ENOMEM. */
int deliver_idem_key(const char *alert_key, const char *channel, const char *renewal, char **ret);
int deliver_alert_load(store *st, int64_t alert_id, bool pseudonymize, json_t **ret);
/* The outbox pass of the local channels (journal and file; remote ones are
 * the engine's): every queued delivery of theirs due at now (unix seconds;
 * now < 0: every queued one, ignoring backoff, for --once) is delivered
 * synchronously as the alert users see (with history; pseudonymized when
 * the channel says so) and its outcome recorded: delivered, due again
 * after the channel's backoff, or failed once past GiveUpAfter=. Logs each
 * failure. Returns how many were delivered, or -errno of the store (the
 * channels' own errors are recorded, not returned). */
int deliver_due_local(store *st, const config *cfg, int64_t now);
