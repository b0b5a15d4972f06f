/* daemon.h — contactwatchd's context: the one place its mutable state lives
 * (config, indexes, store, event loop), shared by main.c and loop.c. */
#pragma once

#include <systemd/sd-event.h>

#include "contactwatch/config.h"
#include "contactwatch/outbox.h"
#include "contactwatch/scan.h"
#include "contactwatch/secret.h"
#include "contactwatch/store.h"

typedef struct daemon_ctx {
	const char *config_path;
	config *cfg;
	scan_indexes indexes;
	int32_t index_day;           /* the day the indexes were built for */
	store *store;
	uint8_t secret[SECRET_SIZE]; /* the baseline hashes' key; never logged */
	sd_event *event;
	sd_event_source *scan_timer;
	outbox *outbox;              /* deliveries; freed (transfers abandoned, rows kept) before the store */
	uint64_t passes;
	scan_stats last_stats;
	int exit_code;
} daemon_ctx;

/* Opens (creating if needed) the state directory layout, the
 * per-installation secret and the database; logs and returns -errno. */
int daemon_open_state(daemon_ctx *d);
/* One scan pass with index refresh at day change; logs; returns -errno on a
 * state database error. */
int daemon_scan_once(daemon_ctx *d, bool ignore_settle);
/* Runs the sd-event loop until SIGTERM/SIGINT. Returns an exit code. */
int loop_run(daemon_ctx *d);
/* --once after the scan: starts every queued delivery (backoff ignored)
 * and runs the event loop until none is in flight (each attempt is bounded
 * by its channel's Timeout=). Receivers that fail leave their rows queued;
 * that is not an error. Returns an exit code (CW_EXIT_STATE on a state
 * database error). */
int loop_run_deliveries(daemon_ctx *d);
void daemon_ctx_done(daemon_ctx *d);
/* Prints every diagnostic of a failed config load to stderr. */
void daemon_print_diag(const diag_list *diag);
