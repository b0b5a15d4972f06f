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
 * the same message, so a retried mail can be recognised as a repeat. The
 * Message-ID and the MIME boundary are hashes of it ("=_" + hex: a string
 * quoted-printable never produces). The message is 7-bit ASCII throughout.
 * *ret is malloc'd (NUL-terminated, *ret_len bytes without the NUL).
 * -EINVAL for an alert missing required fields (alert_text_check), n == 0,
 * an empty id_seed, no To=, a From= or To= address that is not printable
 * ASCII, or alerts of more than one employee; -ENOMEM. */
int mail_message_build(const channel_config *ch, json_t *const *alerts, size_t n, int64_t now,
		       const char *id_seed, char **ret, size_t *ret_len);
/* RFC 2047 encoding of one header value ("Subject: " etc. not included):
 * printable ASCII without "=?" is returned as is, folded (CRLF before a
 * space) where a line would pass 78 characters; anything else becomes
 * =?UTF-8?Q?...?= words of at most 75 characters, separated by CRLF SP,
 * each line at most 76, never splitting a UTF-8 character between words.
 * header_len: the length of the header name and ": " before it, for the
 * first line's budget. -EINVAL for NULL, -ENOMEM. */
int mail_encode_header(const char *value, size_t header_len, char **ret);
