/* scan.h — the pipeline for one file (ingest → match → classify, used by
 * `contactwatchctl check` and the daemon alike) and one daemon pass over
 * every employee in a live window (→ store → outbox). */
#pragma once

#include "contactwatch/alert.h"
#include "contactwatch/config.h"
#include "contactwatch/ingest.h"
#include "contactwatch/match.h"
#include "contactwatch/store.h"

/* One match index per employee, parallel to cfg->employees; NULL for an
 * employee outside a live window on `today` (purpose limitation: their
 * relations are not even indexed). */
typedef struct scan_indexes {
	match_index **items;
	bool *borrowed;    /* items[i] is another employee's index (same catalogues
			    * and thresholds): shared, freed with its owner */
	size_t n;
} scan_indexes;

int scan_indexes_build(const config *cfg, int32_t today, scan_indexes *ret);
void scan_indexes_done(scan_indexes *x);

/* Reads one file and collects its hits for employee e. Contacts that match
 * nothing are never copied. Returns what ingest_file returns; on failure
 * hits is emptied (a rejected file yields no alerts). */
int scan_file_collect(const employee *e, const match_index *idx, const char *path, const ingest_options *opt,
		      ingest_result *res, hit_list *hits);
/* The ingest options config gives: limits, and a source's Format=/Columns=
 * (format and columns may be NULL: auto-detect, no column map). */
ingest_options scan_ingest_options(const config *cfg, const char *format, const char *columns);

typedef struct scan_context {
	const config *cfg;
	const scan_indexes *indexes;
	store *store;
	const uint8_t *secret;       /* SECRET_SIZE bytes, the key of the baseline hashes;
				      * NULL: no baselines (undated stays `undated`) */
	bool ignore_settle;          /* tests: read files however fresh */
} scan_context;

typedef struct scan_stats {
	unsigned employees;          /* in a live window */
	unsigned files_processed;
	unsigned files_rejected;
	unsigned files_unchanged;    /* same content seen before */
	unsigned files_unsettled;    /* younger than SettleTime: next pass */
	unsigned alerts_new;
	unsigned deliveries_queued;  /* outbox rows added with the new alerts */
} scan_stats;

/* One pass. Logs per file (it is the place errors are handled). Returns 0,
 * or -errno when the state database failed (the pass stops). */
int scan_pass(const scan_context *ctx, scan_stats *ret);
