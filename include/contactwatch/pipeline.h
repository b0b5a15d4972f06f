/* pipeline.h — matching a stream of contacts on worker threads while the
 * caller keeps reading the export: contacts are copied into batches, the
 * workers run match_contact on whole batches, and the results come back on
 * the caller's thread in record order, so whoever consumes them (hit lists,
 * the state database, the baseline) never sees a thread. */
#pragma once

#include "contactwatch/contact.h"
#include "contactwatch/match.h"

/* Contacts per batch: large enough that a batch costs one lock round trip
 * per ~1,000 contacts, small enough that a short export is matched at once
 * on the caller's thread (no worker is started before a batch is full). */
#define PIPELINE_BATCH 1024u

typedef struct pipeline pipeline;

/* Called on the thread that calls pipeline_push/pipeline_finish, in record
 * order, for every contact with at least one match; c and ml live until it
 * returns (take ml's items with match_done-safe moves if kept). A negative
 * return stops the pipeline and is returned by the push/finish that ran it. */
typedef int (*pipeline_result_fn)(const contact *c, match_list *ml, void *userdata);

/* idx must outlive the pipeline. workers: threads to start (0: match on the
 * caller's thread, no threads at all); see pipeline_default_workers. */
int pipeline_new(const match_index *idx, unsigned workers, pipeline_result_fn cb, void *userdata, pipeline **ret);
/* The number of workers worth starting on this machine (online CPUs, at
 * most 8). */
unsigned pipeline_default_workers(void);
/* Copies c into the current batch; may run the callback for earlier
 * contacts. Returns 0 or the first error (-ENOMEM, or the callback's). */
int pipeline_push(pipeline *p, const contact *c);
/* Matches what is left and delivers every result. Returns 0 or the first
 * error. After it, only pipeline_free. */
int pipeline_finish(pipeline *p);
/* Stops and joins the workers (results not yet delivered are dropped).
 * NULL-safe; returns NULL. */
pipeline *pipeline_free(pipeline *p);
