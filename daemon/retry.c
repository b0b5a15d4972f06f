/* retry.c — the delivery policy of remote channels: which outcomes are
 * worth another attempt, the backoff schedule (doubling, capped, jittered,
 * never sooner than a server's Retry-After) and when to give up. Pure: the
 * caller brings the clock and the randomness, so tests pin every number. */
#include <curl/curl.h>
#include <errno.h>

#include "contactwatch/date.h"
#include "contactwatch/retry.h"

retry_outcome retry_classify_http(long status)
{
	if (status >= 200 && status <= 299)
		return RETRY_DELIVERED;
	/* 408: the server timed the request out; 429: it asks us to slow
	 * down (Retry-After says how much). Both are about now, not about
	 * the request. */
	if (status == 408 || status == 429)
		return RETRY_AGAIN;
	/* 1xx as a final answer and 3xx: we do not follow redirects (a
	 * webhook that moved must be reconfigured, not chased with a body
	 * that carries personal data), so another attempt gets the same. */
	if ((status >= 100 && status <= 199) || (status >= 300 && status <= 499))
		return RETRY_PERMANENT;
	/* 0 (no response: connection, TLS, timeout), 5xx, and anything no
	 * HTTP server should send: the receiver's trouble, which passes. */
	return RETRY_AGAIN;
}

/* SMTP replies that say the credentials or the session's protection are
 * wrong (RFC 4954: 530 authentication required, 534 mechanism too weak,
 * 535 credentials invalid, 538 encryption required). */
static bool smtp_reply_is_auth(long reply)
{
	return reply == 530 || reply == 534 || reply == 535 || reply == 538;
}

retry_outcome retry_classify_smtp(int curl_code, long reply)
{
	if (curl_code == CURLE_OK)
		return RETRY_DELIVERED;
	/* A wrong password or a server that wants a stronger mechanism is an
	 * admin's error that the admin fixes (a new credential, a reload):
	 * retried, with the error in status and the journal, so the alerts
	 * go out once it is fixed instead of being failed for good. */
	if (curl_code == CURLE_LOGIN_DENIED || smtp_reply_is_auth(reply))
		return RETRY_AGAIN;
	/* 5xx: the server refused this message or recipient for good
	 * (unknown mailbox, message rejected as policy). */
	if (reply >= 500 && reply <= 599)
		return RETRY_PERMANENT;
	/* 4xx (greylisting, mailbox busy, too many connections) and every
	 * transport error (DNS, connect, TLS, timeout) pass. */
	return RETRY_AGAIN;
}

uint64_t retry_delay_usec(const channel_config *ch, unsigned attempts, uint64_t retry_after_usec, uint32_t random)
{
	const uint64_t cap = ch->retry_max_delay_usec;
	uint64_t base = ch->retry_delay_usec, delay;

	if (attempts < 1)
		attempts = 1;
	/* RetryDelay= doubled per failed attempt after the first, stopping
	 * at the cap before a shift could overflow. */
	for (unsigned i = 1; i < attempts && base < cap; i++)
		base = base > UINT64_MAX / 2 ? UINT64_MAX : base * 2;
	if (base > cap)
		base = cap;
	/* +-20 %: random / 2^32 picks a point in [base - span, base + span),
	 * so queued deliveries that failed together (a receiver restarting)
	 * do not all come back in the same second. 128 bits: span (up to a
	 * fifth of the cap) times 2^32 does not fit in 64. */
	const uint64_t span = base / 5;
	delay = base - span + (uint64_t)(((unsigned __int128)(2 * span) * random) >> 32);
	if (delay < retry_after_usec)
		delay = retry_after_usec;
	/* A server asking for longer than the cap, or jitter above it, still
	 * waits at most RetryMaxDelay=: the admin's bound on how stale an
	 * alert may get. */
	return delay > cap ? cap : delay;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* n decimal digits at s into *ret. */
static bool digits(const char *s, unsigned n, int *ret)
{
	int v = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return true;
}

/* IMF-fixdate (RFC 9110 5.6.7), the one form senders must use:
 * "Sun, 06 Nov 1994 08:49:37 GMT", 29 characters. Case-sensitive names, as
 * the grammar has them. Returns unix seconds, or -1. */
static int64_t parse_imf_fixdate(const char *s, size_t n)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int day, year, hour, min, sec, month = 0;
	int32_t dn;
	bool named = false;

	if (n != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
	    s[19] != ':' || s[22] != ':' || s[25] != ' ' || memcmp(s + 26, "GMT", 3) != 0)
		return -1;
	for (size_t i = 0; i < 7; i++)
		if (memcmp(s, days + 3 * i, 3) == 0)
			named = true;
	for (size_t i = 0; i < 12; i++)
		if (memcmp(s + 8, months + 3 * i, 3) == 0)
			month = (int)i + 1;
	if (!named || month == 0 || !digits(s + 5, 2, &day) || !digits(s + 12, 4, &year) ||
	    !digits(s + 17, 2, &hour) || !digits(s + 20, 2, &min) || !digits(s + 23, 2, &sec))
		return -1;
	/* 60: a leap second, which the grammar allows. */
	if (hour > 23 || min > 59 || sec > 60 || date_from_ymd(year, month, day, &dn) < 0)
		return -1;
	/* The day name is not checked against the date: it is redundant,
	 * and a server that gets it wrong still means the date. */
	return (int64_t)dn * 86400 + (int64_t)hour * 3600 + (int64_t)min * 60 + sec;
}

uint64_t retry_parse_retry_after(const char *value, int64_t now)
{
	const char *s = value, *e;
	int64_t at;

	if (!s)
		return 0;
	while (is_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_blank(e[-1]))
		e--;
	if (e == s)
		return 0;
	if (is_digit(*s)) {
		uint64_t secs = 0;

		for (const char *p = s; p < e; p++) {
			if (!is_digit(*p))
				return 0;
			/* A huge value saturates; the caller caps it anyway. */
			secs = secs > UINT64_MAX / 10 ? UINT64_MAX : secs * 10 + (uint64_t)(*p - '0');
		}
		return secs > UINT64_MAX / USEC_PER_SEC ? UINT64_MAX : secs * USEC_PER_SEC;
	}
	at = parse_imf_fixdate(s, (size_t)(e - s));
	if (at < 0 || at <= now)
		return 0;
	return (uint64_t)(at - now) * USEC_PER_SEC;
}

bool retry_expired(const channel_config *ch, int64_t created_at, int64_t now)
{
	if (now <= created_at)
		return false;
	/* Age reached GiveUpAfter=: one more attempt would make it older. */
	return (uint64_t)(now - created_at) >= ch->give_up_usec / USEC_PER_SEC;
}
