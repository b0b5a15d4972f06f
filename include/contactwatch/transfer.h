/* transfer.h — libcurl's multi interface driven by sd-event: curl's sockets
 * become sd-event IO sources and its timeout a timer, so transfers run from
 * the daemon's loop without ever blocking it (a receiver that hangs delays
 * neither a scan, nor the watchdog, nor SIGTERM). */
#pragma once

#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "contactwatch/common.h"

typedef struct transfer_engine transfer_engine;

/* Called once when a transfer ends (result CURLE_OK or an error); the easy
 * handle is removed from the multi handle and handed back: the callback owns
 * it (curl_easy_cleanup). Not called for transfers aborted by
 * transfer_engine_free. */
typedef void (*transfer_done_fn)(CURL *easy, CURLcode result, void *userdata);

int transfer_engine_new(sd_event *event, transfer_engine **ret);
/* Aborts transfers still in flight (their callbacks are not called; their
 * userdata is passed to abort_fn when set, so the owner can free it) and
 * frees the engine. NULL-safe; returns NULL. */
transfer_engine *transfer_engine_free(transfer_engine *t, void (*abort_fn)(void *userdata));
/* Starts easy (the engine owns it from here until done is called; on
 * failure the caller keeps it). The engine uses CURLOPT_PRIVATE: callers
 * keep their context in userdata. done is never called from in here, only
 * from the event loop, and it must not free the engine. */
int transfer_start(transfer_engine *t, CURL *easy, transfer_done_fn done, void *userdata);
size_t transfer_in_flight(const transfer_engine *t);
