/* mail.h — an RFC 5322 message for one alert, or a digest of several alerts
 * of one employee (Digest=yes): Date, Message-ID, From, To, Subject naming
 * employee and relation (RFC 2047 encoded-words for non-ASCII),
 * MIME-Version, multipart/alternative with text/plain and a simple
 * text/html part (UTF-8, quoted-printable), CRLF line ends, lines <= 78
 * characters where the format allows. Pure: no clock or randomness of its
 * own; the caller passes time and the Message-ID's unique part. */
#pragma once

#include <jansson.h>

#include "contactwatch/config.h"

/* alerts[0..n-1] (n >= 1; alerts as users see them, already pseudonymized
 * when the channel says so; all of one employee when n > 1). now: unix
 * seconds for Date:. id_seed: the unique part of the Message-ID (the
 * delivery's idem_key, or a digest's combined key): the same input gives
 * the same message, so a retried mail can be recognised as a repeat.
 * *ret is malloc'd (NUL-terminated, *ret_len bytes without the NUL).
 * -EINVAL for an alert missing required fields or n == 0, -ENOMEM. */
int mail_message_build(const channel_config *ch, json_t *const *alerts, size_t n, int64_t now,
		       const char *id_seed, char **ret, size_t *ret_len);
/* RFC 2047 encoding of one header value ("Subject: " etc. not included):
 * returned as is when printable ASCII, else as =?UTF-8?Q?...?= words of at
 * most 75 characters separated by CRLF SP. header_len: the length of the
 * header name and ": " before it, for the first line's budget. */
int mail_encode_header(const char *value, size_t header_len, char **ret);
