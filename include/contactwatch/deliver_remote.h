/* deliver_remote.h — one attempt at a remote channel (webhook, smtp) as a
 * configured curl easy handle: the request built from the alerts
 * (webhook.h, mail.h), the credentials it needs (credential.h), the TLS,
 * timeout and protocol settings every attempt gets; and, once curl is done,
 * what the outcome means (retry.h). No scheduling, no store: outbox.c
 * decides when, transfer.h runs it. */
#pragma once

#include <curl/curl.h>
#include <jansson.h>

#include "contactwatch/config.h"
#include "contactwatch/retry.h"

#define REMOTE_ERROR_MAX 256u        /* an attempt's error text (store last_error, logs) */
#define REMOTE_RETRY_AFTER_MAX 64u   /* a Retry-After value kept; longer ones are junk */
#define REMOTE_CONNECT_TIMEOUT_MS 10000L /* capped by Timeout= */

/* What an attempt owns while curl runs it: the payload curl reads from, the
 * header and recipient lists, and what the response header callback saw. */
typedef struct remote_attempt {
	channel_type type;
	char *payload;              /* webhook body, or the RFC 5322 message */
	size_t payload_len, payload_off;
	struct curl_slist *headers; /* webhook */
	struct curl_slist *rcpts;   /* smtp */
	char retry_after[REMOTE_RETRY_AFTER_MAX];
	char errbuf[CURL_ERROR_SIZE];
} remote_attempt;

/* Builds the request for alerts[0..n-1] (as users see them, already
 * pseudonymized when the channel says so; n == 1 for a webhook, all of one
 * employee for a digest mail), keyed by idem_keys[0..n-1] (the deliveries'
 * keys; a digest's Message-ID comes from the SHA-256 of them, sorted), and
 * a curl easy handle that sends it, ready for transfer_start. now: unix
 * seconds for the mail's Date:. *a must be zeroed; it must outlive the
 * handle (deliver_remote_done after curl_easy_cleanup). On failure nothing
 * is left to free in *a and err says why, without secrets:
 * -ENOKEY a credential is missing or unreadable (retry: an admin can add it),
 * -EINVAL the alerts cannot be rendered or the channel is unusable (permanent),
 * -ENOMEM. */
int deliver_remote_prepare(const channel_config *ch, json_t *const *alerts, const char *const *idem_keys, size_t n,
			   int64_t now, remote_attempt *a, CURL **ret, char err[static REMOTE_ERROR_MAX]);
/* The outcome of a finished attempt: the classification (retry.h), the
 * server's Retry-After in microseconds (0 when none), and err (a short text
 * for last_error and the log; "" when delivered). */
retry_outcome deliver_remote_result(const remote_attempt *a, CURL *easy, CURLcode result, int64_t now,
				    uint64_t *ret_retry_after_usec, char err[static REMOTE_ERROR_MAX]);
void deliver_remote_done(remote_attempt *a);
