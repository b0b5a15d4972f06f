/* webhook.h — the body and headers of a webhook POST for one alert, in the
 * channel's Format=: generic (the spec's alert JSON), slack (a message a
 * person reads at a glance: blocks + text fallback), teams (a MessageCard).
 * Pure: the caller (outbox.c) does the transfer. */
#pragma once

#include <jansson.h>

#include "contactwatch/config.h"

typedef struct webhook_request {
	char *body;                 /* JSON, compact, UTF-8 */
	size_t body_len;
	char idempotency_key[160];  /* "Idempotency-Key" header value */
	char signature[72];         /* "sha256=" + 64 hex (HMAC-SHA256 of body under secret); "" when no secret */
} webhook_request;

/* alert is the alert as users see it (alert_json), already pseudonymized by
 * the caller when the channel says so. idem_key is the delivery's stable key
 * (store_delivery.idem_key). secret may be NULL (no SecretCredential=).
 * Deterministic: the same input gives the same body and signature. The
 * slack and teams bodies show every value from the alert as inline code
 * (escaped for each), so nothing in an export becomes a mention,
 * formatting or a link; values are clipped to keep within Slack's limits.
 * -EINVAL for an alert missing required fields (alert_text_check), an
 * unknown format, an idem_key that is empty, too long or not printable
 * ASCII, or a secret of length 0; -ENOMEM. *ret is untouched on failure. */
int webhook_request_build(const channel_config *ch, const json_t *alert, const char *idem_key,
			  const void *secret, size_t secret_len, webhook_request *ret);
void webhook_request_done(webhook_request *r);
