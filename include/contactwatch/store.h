/* store.h — the state database (sqlite3, WAL, user_version migrations,
 * prepared statements only): files seen, alerts with their stable dedup key,
 * the triage history, and the keyed hashes that are an undated source's
 * baseline. Pure: no logging; -errno codes say what failed. */
#pragma once

#include "contactwatch/common.h"

#define STORE_FILE_NAME "contactwatch.db"
#define STORE_SCHEMA_VERSION 4

typedef struct store store;

enum {
	STORE_READONLY = 1 << 0, /* contactwatchctl's read-only views */
};

/* Creates the database (mode 0600) and migrates it unless STORE_READONLY.
 * -EBUSY: locked by another writer past the busy timeout;
 * -EPROTONOSUPPORT: schema newer than this build (the file is not touched);
 * -EBADMSG: not a database, corrupt, or not contactwatch's database;
 * -ENOENT: read-only and missing; -ESTALE: read-only and the schema is older
 * than this build (the daemon migrates it at its next start); other -errno.
 * A read-only store's writes fail with -EROFS. */
int store_open(const char *path, unsigned flags, store **ret);
store *store_close(store *s);   /* NULL-safe; rolls back an open transaction */
/* The last error's text (sqlite's, or why an argument was refused), for the
 * caller's one log line. Never NULL. */
const char *store_last_error(const store *s);
/* How long a statement waits for another connection's lock before -EBUSY
 * (default STORE_BUSY_TIMEOUT_MS); 0 fails at once. */
#define STORE_BUSY_TIMEOUT_MS 5000u
int store_set_busy_timeout(store *s, unsigned ms);

int store_begin(store *s);   /* BEGIN IMMEDIATE; -EALREADY inside one, -EROFS read-only */
int store_commit(store *s);
int store_rollback(store *s); /* 0 when no transaction is open */

/* Walks (the *_foreach and *_get calls) pass rows whose strings live only
 * until the callback returns; copy what you keep. Callbacks may call other
 * store functions. Walks return 0, or the first negative callback value. */

typedef struct store_file {
	int64_t id;
	const char *employee;
	const char *source;      /* source name ("inbox" for the inbox) */
	const char *path;
	const char *sha256;
	uint64_t size;
	const char *format;      /* may be NULL when rejected before detection */
	int64_t received_at;     /* unix seconds */
	const char *status;      /* "processed" | "rejected" */
	const char *error;       /* "file:line: reason" when rejected, else NULL */
	uint64_t records;
	uint64_t rejected_records;
	const char *kept_path;   /* rejected: where the export is kept as evidence, or NULL */
	const char *encoding;    /* as read: utf-8, utf-16le, windows-1252, ...; NULL if unknown */
} store_file;

/* Whether this employee's file with this digest was already processed or
 * rejected (unchanged files are not read twice). */
int store_file_known(store *s, const char *employee, const char *sha256, bool *ret);
/* -EEXIST when (employee, sha256) is known; -EINVAL for a missing field, a
 * status other than processed/rejected, or a sha256 that is not 64 lowercase
 * hex digits. ret_id may be NULL. */
int store_file_insert(store *s, const store_file *f, int64_t *ret_id);
typedef int (*store_file_fn)(const store_file *f, void *userdata);
/* Newest first; employee may be NULL for all. */
int store_files_foreach(store *s, const char *employee, store_file_fn cb, void *userdata);

typedef struct store_alert {
	int64_t id;
	const char *key;          /* stable dedup key: employee + relation + contact identity */
	const char *employee;
	const char *relation;     /* relation id */
	const char *severity;
	const char *classification;
	const char *state;        /* new | acknowledged | confirmed | dismissed */
	int64_t created_at;       /* unix seconds */
	int64_t file_id;
	const char *body;         /* the alert JSON without state and history */
} store_alert;

/* Inserts unless an alert with the same key exists. Returns 1 and the new
 * id when inserted, 0 and the existing id when the key was known. A new
 * alert gets a history row (created, actor "contactwatchd", at created_at)
 * in the same savepoint. state NULL means "new"; file_id <= 0 means none;
 * -EINVAL for an unknown severity, classification or state, -ENOENT for a
 * file_id that is not in files. ret_id may be NULL. */
int store_alert_insert(store *s, const store_alert *a, int64_t *ret_id);

typedef struct store_alert_filter {
	const char *state;        /* NULL: any */
	const char *employee;     /* NULL: any */
	int64_t since;            /* created_at >= since; 0: any */
} store_alert_filter;

typedef int (*store_alert_fn)(const store_alert *a, void *userdata);
/* Oldest first (by id). A callback returning <0 stops the walk with that
 * value. f may be NULL; -EINVAL for an unknown f->state. */
int store_alerts_foreach(store *s, const store_alert_filter *f, store_alert_fn cb, void *userdata);
/* -ENOENT when there is no such alert. */
int store_alert_get(store *s, int64_t id, store_alert_fn cb, void *userdata);
/* -EINVAL for an unknown state, -ENOENT for no such alert. Adds no history:
 * the caller knows the actor and note (store_history_add, same transaction). */
int store_alert_set_state(store *s, int64_t id, const char *state);

typedef struct store_history {
	int64_t alert_id;
	int64_t at;               /* unix seconds */
	const char *actor;
	const char *action;       /* created | acknowledged | confirmed | dismissed | viewed ... */
	const char *note;         /* may be NULL */
} store_history;

/* -ENOENT when the alert does not exist; -EINVAL without actor or action. */
int store_history_add(store *s, const store_history *h);
typedef int (*store_history_fn)(const store_history *h, void *userdata);
/* Oldest first (by time, then insertion). */
int store_history_foreach(store *s, int64_t alert_id, store_history_fn cb, void *userdata);

/* Counters for `status`. */
typedef struct store_counts {
	uint64_t files_processed, files_rejected;
	uint64_t alerts_total, alerts_new;
} store_counts;
int store_counts_get(store *s, store_counts *ret);

/* A known connection seen again with better evidence (a later export dates
 * what an earlier one left undated): severity, classification, file_id and
 * body become a's (its other fields are ignored). The caller adds the
 * "reclassified" history row in the same transaction. -EINVAL for an unknown
 * severity or classification, -ENOENT for no such alert. */
int store_alert_reclassify(store *s, int64_t id, const store_alert *a);

/* ---- baselines of undated sources ----------------------------------------
 * To tell a contact added since an earlier export from an old one without
 * keeping contacts (data minimisation), the store keeps only keyed hashes:
 * HMAC-SHA256 under the per-installation secret (secret.h) of each undated
 * contact's identity. The store never sees the key or the identities; it
 * compares 32-byte blobs. A baseline is per employee, source and format: an
 * address book and a CRM export dropped in the same inbox are different
 * sources of contacts, and one must not make the other's contacts "new". */
#define STORE_SEEN_HMAC_SIZE 32u

typedef struct store_baseline {
	const char *employee;
	const char *source;      /* source name ("inbox" for the inbox) */
	const char *format;      /* export format as detected (ingest_result.format) */
} store_baseline;

/* Whether the baseline exists: any hash stored for it, i.e. an earlier
 * export (processed since schema 3) had at least one undated contact.
 * -EINVAL without employee, source or format. */
int store_seen_has_baseline(store *s, const store_baseline *b, bool *ret);
int store_seen_contains(store *s, const store_baseline *b, const uint8_t hmac[static STORE_SEEN_HMAC_SIZE],
			bool *ret);
/* Adds n hashes (hmacs[0..n-1]) with first_seen (unix seconds) where not
 * yet known; known ones keep their first_seen. All or none: a savepoint, so
 * it may run inside the caller's transaction (where a file's hashes belong,
 * with its files row and alerts) or alone. One prepared statement for all
 * rows; sorted input inserts fastest (the key's B-tree is walked in order).
 * ret_added (may be NULL): how many were new. -EROFS read-only. */
int store_seen_add(store *s, const store_baseline *b, const uint8_t (*hmacs)[STORE_SEEN_HMAC_SIZE], size_t n,
		   int64_t first_seen, size_t *ret_added);

/* ---- the outbox: one delivery row per alert and channel ------------------
 * Added in the same transaction as the alert (store_alert_insert then
 * store_delivery_add for each channel whose MinSeverity= admits it), so an
 * alert never exists without its deliveries and a crash never loses one.
 * state: queued (waiting, maybe after failed attempts) | delivered | failed
 * (permanently: a 4xx answer, or past GiveUpAfter=). */
typedef struct store_delivery {
	int64_t id;
	int64_t alert_id;
	const char *channel;        /* [channel:NAME] */
	const char *employee;       /* the alert's employee id (digests group by it) */
	const char *idem_key;       /* "<alert key>-<channel>": the same across restarts and retries */
	const char *state;
	unsigned attempts;          /* finished attempts that failed */
	int64_t next_attempt_at;    /* unix seconds */
	int64_t created_at;
	int64_t delivered_at;       /* 0 unless delivered */
	const char *last_error;     /* NULL when none */
} store_delivery;

/* -EEXIST when the alert already has a row for this channel, -ENOENT for an
 * alert that does not exist. Due at once (next_attempt_at = now). */
int store_delivery_add(store *s, int64_t alert_id, const char *channel, const char *idem_key, int64_t now,
		       int64_t *ret_id);
typedef int (*store_delivery_fn)(const store_delivery *d, void *userdata);
/* Queued rows due at now (next_attempt_at <= now; now < 0: every queued
 * row), oldest first; channel NULL: every channel. */
int store_deliveries_due(store *s, const char *channel, int64_t now, store_delivery_fn cb, void *userdata);
/* The earliest next_attempt_at among queued rows: 1 and *ret, 0 when none. */
int store_delivery_next_due(store *s, int64_t *ret);
/* -ENOENT when there is no such row. */
int store_delivery_get(store *s, int64_t id, store_delivery_fn cb, void *userdata);
/* Outcomes; each -ENOENT for no such row, and only a queued row changes
 * (-ESTALE otherwise: somebody else finished it). */
int store_delivery_mark_delivered(store *s, int64_t id, int64_t now);
/* attempts + 1, next_attempt_at, last_error. */
int store_delivery_mark_retry(store *s, int64_t id, int64_t next_attempt_at, const char *error);
/* attempts + 1 (when counted), state failed, last_error. */
int store_delivery_mark_failed(store *s, int64_t id, bool count_attempt, const char *error);
/* `contactwatchctl redeliver`: queue again, due now, attempts 0, last_error
 * kept until the next attempt. alert_id > 0: every row of that alert
 * (-ENOENT for no such alert); alert_id <= 0: every failed row. The
 * idem_key does not change (receivers that already have it may drop it).
 * created_at restarts at now, so GiveUpAfter= counts from the requeue.
 * ret_n (may be NULL): rows requeued. */
int store_delivery_requeue(store *s, int64_t alert_id, int64_t now, size_t *ret_n);

/* The alert changed (store_alert_reclassify) and the channel must hear of
 * it: the row of (alert, channel) gets a new idem_key (a receiver that
 * dropped repeats of the old one must not drop this), queued, due now,
 * attempts and errors cleared; a channel without a row gets one. */
int store_delivery_renew(store *s, int64_t alert_id, const char *channel, const char *idem_key, int64_t now);

typedef struct store_channel_counts {
	const char *channel;
	uint64_t queued;            /* never attempted yet */
	uint64_t retrying;          /* queued after failed attempts */
	uint64_t failed;            /* permanently */
	uint64_t delivered;
	int64_t oldest_queued;      /* created_at of the oldest queued row, 0 when none */
	const char *last_error;     /* of the most recently failed attempt, NULL when none */
} store_channel_counts;
typedef int (*store_channel_counts_fn)(const store_channel_counts *c, void *userdata);
/* One row per channel name that has deliveries, by name. */
int store_delivery_counts_foreach(store *s, store_channel_counts_fn cb, void *userdata);
