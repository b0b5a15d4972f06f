/* retry.h — the delivery policy of remote channels, pure (no I/O, no clock,
 * no randomness of its own): how a transfer's outcome is classified, and
 * when the next attempt is due. Kept apart from the engine (outbox.h) so the
 * schedule can be tested exactly. */
#pragma once

#include "contactwatch/common.h"
#include "contactwatch/config.h"

typedef enum retry_outcome {
	RETRY_DELIVERED,   /* 2xx, or the SMTP server accepted the message */
	RETRY_AGAIN,       /* 5xx, 408, 429, network/TLS/timeout errors: try later */
	RETRY_PERMANENT,   /* other 4xx (and 1xx/3xx: redirects are not followed): never retried */
} retry_outcome;

/* HTTP status of a finished webhook POST (0: no response at all). */
retry_outcome retry_classify_http(long status);
/* SMTP: curl's result and the server's last reply code (CURLINFO_RESPONSE_CODE,
 * 0 when none): 5xx replies are permanent, 4xx and transport errors retry. */
retry_outcome retry_classify_smtp(int curl_code, long reply);

/* Delay before attempt number `attempts + 1` after `attempts` failed ones
 * (attempts >= 1): RetryDelay= doubled per attempt, capped at RetryMaxDelay=,
 * with +-20 % jitter taken from `random` (any 32-bit value: the caller's
 * entropy, a constant in tests), and never shorter than retry_after_usec
 * (a server's Retry-After, 0 when none) — though never longer than
 * RetryMaxDelay= because of jitter. Microseconds. */
uint64_t retry_delay_usec(const channel_config *ch, unsigned attempts, uint64_t retry_after_usec, uint32_t random);
/* Retry-After: delay-seconds or an HTTP-date (RFC 9110), relative to now
 * (unix seconds). Returns microseconds, 0 when absent/unreadable/past. */
uint64_t retry_parse_retry_after(const char *value, int64_t now);
/* Whether a delivery created at created_at (unix seconds) is past
 * GiveUpAfter= at now: it is then marked failed with a journal error. */
bool retry_expired(const channel_config *ch, int64_t created_at, int64_t now);
