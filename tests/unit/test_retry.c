/* test_retry.c — the delivery policy, number for number: how each HTTP
 * status and SMTP outcome is classified, the backoff schedule with fixed
 * "random" values (no jitter, the lowest and the highest), Retry-After in
 * both its forms, and the give-up age. */
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "contactwatch/retry.h"

#define SEC USEC_PER_SEC
#define JITTER_NONE 0x80000000u /* the middle of the range: exactly the base */
#define JITTER_LOW 0u           /* -20 % */
#define JITTER_HIGH 0xffffffffu /* just under +20 % */

/* The defaults of contactwatch.conf(5): 1min doubling to 1h, give up at 3d. */
static channel_config channel(void)
{
	return (channel_config){
		.name = (char *)"teams",
		.type = CHANNEL_WEBHOOK,
		.timeout_usec = 30 * SEC,
		.retry_delay_usec = USEC_PER_MIN,
		.retry_max_delay_usec = USEC_PER_HOUR,
		.give_up_usec = 3 * USEC_PER_DAY,
	};
}

static void test_classify_http(void **state)
{
	static const struct {
		long status;
		retry_outcome want;
	} table[] = {
		{ 200, RETRY_DELIVERED },  { 201, RETRY_DELIVERED },  { 202, RETRY_DELIVERED },
		{ 204, RETRY_DELIVERED },  { 299, RETRY_DELIVERED },
		/* No answer at all: connection refused, TLS, timeout. */
		{ 0, RETRY_AGAIN },
		/* The request was fine, the moment was not. */
		{ 408, RETRY_AGAIN },      { 429, RETRY_AGAIN },
		{ 500, RETRY_AGAIN },      { 502, RETRY_AGAIN },      { 503, RETRY_AGAIN },
		{ 504, RETRY_AGAIN },      { 599, RETRY_AGAIN },
		/* The request itself is refused: the same body gets the same. */
		{ 400, RETRY_PERMANENT },  { 401, RETRY_PERMANENT },  { 403, RETRY_PERMANENT },
		{ 404, RETRY_PERMANENT },  { 405, RETRY_PERMANENT },  { 409, RETRY_PERMANENT },
		{ 410, RETRY_PERMANENT },  { 413, RETRY_PERMANENT },  { 422, RETRY_PERMANENT },
		{ 499, RETRY_PERMANENT },
		/* Redirects are not followed; 1xx is no final answer. */
		{ 100, RETRY_PERMANENT },  { 101, RETRY_PERMANENT },  { 199, RETRY_PERMANENT },
		{ 300, RETRY_PERMANENT },  { 301, RETRY_PERMANENT },  { 302, RETRY_PERMANENT },
		{ 304, RETRY_PERMANENT },  { 307, RETRY_PERMANENT },  { 308, RETRY_PERMANENT },
		/* Nonsense from a broken server: its trouble, which passes. */
		{ 600, RETRY_AGAIN },      { 999, RETRY_AGAIN },      { -1, RETRY_AGAIN },
	};
	(void)state;

	for (size_t i = 0; i < ELEMENTSOF(table); i++) {
		if (retry_classify_http(table[i].status) != table[i].want)
			print_message("HTTP %ld\n", table[i].status);
		assert_int_equal(retry_classify_http(table[i].status), table[i].want);
	}
}

static void test_classify_smtp(void **state)
{
	static const struct {
		int code;
		long reply;
		retry_outcome want;
	} table[] = {
		{ CURLE_OK, 250, RETRY_DELIVERED },
		{ CURLE_OK, 0, RETRY_DELIVERED },
		/* The server refused the message or a recipient for good. */
		{ CURLE_SEND_ERROR, 550, RETRY_PERMANENT },  /* mailbox unavailable */
		{ CURLE_SEND_ERROR, 553, RETRY_PERMANENT },  /* mailbox name not allowed */
		{ CURLE_SEND_ERROR, 552, RETRY_PERMANENT },  /* too large */
		{ CURLE_RECV_ERROR, 554, RETRY_PERMANENT },  /* transaction failed */
		{ CURLE_WEIRD_SERVER_REPLY, 501, RETRY_PERMANENT },
		/* Temporary refusals: greylisting, busy, shutting down. */
		{ CURLE_SEND_ERROR, 450, RETRY_AGAIN },
		{ CURLE_SEND_ERROR, 451, RETRY_AGAIN },
		{ CURLE_SEND_ERROR, 452, RETRY_AGAIN },
		{ CURLE_RECV_ERROR, 421, RETRY_AGAIN },
		/* Credentials and session protection: the admin fixes them, and
		 * the queued alerts must then go out, not be failed. */
		{ CURLE_LOGIN_DENIED, 535, RETRY_AGAIN },
		{ CURLE_LOGIN_DENIED, 0, RETRY_AGAIN },
		{ CURLE_SEND_ERROR, 530, RETRY_AGAIN },
		{ CURLE_SEND_ERROR, 534, RETRY_AGAIN },
		{ CURLE_SEND_ERROR, 538, RETRY_AGAIN },
		/* Transport: DNS, connect, TLS, certificate, timeout. */
		{ CURLE_COULDNT_RESOLVE_HOST, 0, RETRY_AGAIN },
		{ CURLE_COULDNT_CONNECT, 0, RETRY_AGAIN },
		{ CURLE_OPERATION_TIMEDOUT, 0, RETRY_AGAIN },
		{ CURLE_SSL_CONNECT_ERROR, 0, RETRY_AGAIN },
		{ CURLE_PEER_FAILED_VERIFICATION, 0, RETRY_AGAIN },
		{ CURLE_USE_SSL_FAILED, 0, RETRY_AGAIN }, /* no STARTTLS offered */
		{ CURLE_GOT_NOTHING, 0, RETRY_AGAIN },
		{ CURLE_SEND_ERROR, 0, RETRY_AGAIN },
	};
	(void)state;

	for (size_t i = 0; i < ELEMENTSOF(table); i++) {
		if (retry_classify_smtp(table[i].code, table[i].reply) != table[i].want)
			print_message("curl %d, reply %ld\n", table[i].code, table[i].reply);
		assert_int_equal(retry_classify_smtp(table[i].code, table[i].reply), table[i].want);
	}
}

static void test_delay_schedule(void **state)
{
	const channel_config ch = channel();
	/* Doubling from 1min, capped at 1h from the 7th attempt on. */
	static const uint64_t want[] = { 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600 };
	(void)state;

	for (unsigned i = 0; i < ELEMENTSOF(want); i++)
		assert_int_equal(retry_delay_usec(&ch, i + 1, 0, JITTER_NONE), want[i] * SEC);
	/* 0 attempts reads as the first retry; huge counts never overflow. */
	assert_int_equal(retry_delay_usec(&ch, 0, 0, JITTER_NONE), 60 * SEC);
	assert_int_equal(retry_delay_usec(&ch, 64, 0, JITTER_NONE), 3600 * SEC);
	assert_int_equal(retry_delay_usec(&ch, 1000, 0, JITTER_NONE), 3600 * SEC);
	assert_int_equal(retry_delay_usec(&ch, UINT32_MAX, 0, JITTER_NONE), 3600 * SEC);
}

static void test_delay_jitter(void **state)
{
	const channel_config ch = channel();
	(void)state;

	/* -20 %: exactly four fifths. */
	assert_int_equal(retry_delay_usec(&ch, 1, 0, JITTER_LOW), 48 * SEC);
	assert_int_equal(retry_delay_usec(&ch, 2, 0, JITTER_LOW), 96 * SEC);
	assert_int_equal(retry_delay_usec(&ch, 7, 0, JITTER_LOW), 2880 * SEC);
	/* Just under +20 %: 48 s + 24 s * (2^32 - 1) / 2^32, rounded down. */
	assert_int_equal(retry_delay_usec(&ch, 1, 0, JITTER_HIGH), 71999999u);
	assert_int_equal(retry_delay_usec(&ch, 2, 0, JITTER_HIGH), 143999999u);
	/* At the cap, jitter never goes above it. */
	assert_int_equal(retry_delay_usec(&ch, 7, 0, JITTER_HIGH), 3600 * SEC);
	/* A quarter of the way: -10 %. */
	assert_int_equal(retry_delay_usec(&ch, 1, 0, 0x40000000u), 54 * SEC);
	/* Every random value lands within +-20 %. */
	for (uint64_t r = 0; r <= UINT32_MAX; r += 0x01000193u) {
		uint64_t d = retry_delay_usec(&ch, 3, 0, (uint32_t)r);
		assert_true(d >= 192 * SEC && d < 288 * SEC);
	}

	/* A cap that is no multiple of the doubling. */
	channel_config odd = ch;
	odd.retry_delay_usec = 7 * SEC;
	odd.retry_max_delay_usec = 50 * SEC;
	assert_int_equal(retry_delay_usec(&odd, 3, 0, JITTER_NONE), 28 * SEC);
	assert_int_equal(retry_delay_usec(&odd, 4, 0, JITTER_NONE), 50 * SEC);
	assert_int_equal(retry_delay_usec(&odd, 4, 0, JITTER_LOW), 40 * SEC);
}

static void test_delay_retry_after(void **state)
{
	const channel_config ch = channel();
	(void)state;

	/* Never sooner than the server asked... */
	assert_int_equal(retry_delay_usec(&ch, 1, 600 * SEC, JITTER_NONE), 600 * SEC);
	assert_int_equal(retry_delay_usec(&ch, 1, 600 * SEC, JITTER_HIGH), 600 * SEC);
	/* ...nor later than our own schedule when it asked for less... */
	assert_int_equal(retry_delay_usec(&ch, 3, 10 * SEC, JITTER_NONE), 240 * SEC);
	/* ...and never beyond RetryMaxDelay=, whatever it asked. */
	assert_int_equal(retry_delay_usec(&ch, 1, 2 * USEC_PER_HOUR, JITTER_NONE), 3600 * SEC);
	assert_int_equal(retry_delay_usec(&ch, 1, UINT64_MAX, JITTER_LOW), 3600 * SEC);
}

static void test_parse_retry_after(void **state)
{
	const int64_t now = 1445412480 - 3600; /* an hour before Wed, 21 Oct 2015 07:28:00 GMT */
	(void)state;

	/* delay-seconds */
	assert_int_equal(retry_parse_retry_after("120", now), 120 * SEC);
	assert_int_equal(retry_parse_retry_after(" 120\t", now), 120 * SEC);
	assert_int_equal(retry_parse_retry_after("0", now), 0);
	assert_int_equal(retry_parse_retry_after("99999999999999999999999", now), UINT64_MAX);
	/* IMF-fixdate */
	assert_int_equal(retry_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), 3600 * SEC);
	assert_int_equal(retry_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 1), SEC);
	assert_int_equal(retry_parse_retry_after(" Wed, 21 Oct 2015 07:28:00 GMT ", now), 3600 * SEC);
	assert_int_equal(retry_parse_retry_after("Thu, 29 Feb 2024 23:59:60 GMT", 1709251200 - 86400), 86400 * SEC);
	/* The day name is redundant: a wrong one does not void the date. */
	assert_int_equal(retry_parse_retry_after("Mon, 21 Oct 2015 07:28:00 GMT", now), 3600 * SEC);
	/* Past or now: no wait asked for. */
	assert_int_equal(retry_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480), 0);
	assert_int_equal(retry_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), 0);
	/* Absent or unreadable: 0, and the schedule alone decides. */
	static const char *const bad[] = {
		"", "   ", "-5", "1.5", "12a", "soon", "0x10",
		"Wed, 21 Oct 2015 07:28:00 UTC",     /* not GMT */
		"wed, 21 oct 2015 07:28:00 GMT",     /* names are case-sensitive */
		"Wed, 31 Feb 2015 07:28:00 GMT",     /* no such day */
		"Wed, 21 Oct 2015 24:00:00 GMT",     /* no such hour */
		"Wed, 21 Oct 2015 07:60:00 GMT",
		"Wed, 1 Oct 2015 07:28:00 GMT",      /* day is two digits */
		"Wednesday, 21-Oct-15 07:28:00 GMT", /* obsolete RFC 850 form */
		"Wed Oct 21 07:28:00 2015",          /* obsolete asctime form */
		"Wed, 21 Okt 2015 07:28:00 GMT",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		uint64_t got = retry_parse_retry_after(bad[i], now);
		if (got != 0)
			print_message("'%s'\n", bad[i]);
		assert_int_equal(got, 0);
	}
	assert_int_equal(retry_parse_retry_after(NULL, now), 0);
}

static void test_expired(void **state)
{
	const channel_config ch = channel();
	const int64_t created = 1000000;
	(void)state;

	assert_false(retry_expired(&ch, created, created));
	assert_false(retry_expired(&ch, created, created + 3 * 86400 - 1));
	assert_true(retry_expired(&ch, created, created + 3 * 86400));
	assert_true(retry_expired(&ch, created, created + 30 * 86400));
	/* A clock that went back is no age. */
	assert_false(retry_expired(&ch, created, created - 86400));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_http),
		cmocka_unit_test(test_classify_smtp),
		cmocka_unit_test(test_delay_schedule),
		cmocka_unit_test(test_delay_jitter),
		cmocka_unit_test(test_delay_retry_after),
		cmocka_unit_test(test_parse_retry_after),
		cmocka_unit_test(test_expired),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
