/* test_ingest_vcard.c — the vCard reader: golden files (tests/data/vcard/
 * NAME.in → NAME.ok, one JSON record per line, every chunking), malformed
 * input with its exact error and line, the caps, probing.
 * CW_UPDATE_GOLDEN=1 rewrites the .ok files (review the diff!). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "contactwatch/contact.h"
#include "contactwatch/ingest.h"
#include "golden.h"

#define DATA_DIR "tests/data/vcard/"

/* ---- golden files ------------------------------------------------------- */

static void test_golden(void **state)
{
	golden_check(DATA_DIR, *state, NULL, "vcard");
	golden_check(DATA_DIR, *state, "vcard", "vcard");
}

/* ---- specific behaviour ------------------------------------------------- */

/* Runs buf with limits, in one piece and byte by byte (both must agree);
 * returns the records as text. */
static char *run_limits(const char *buf, size_t len, ingest_limits limits, int expect_r, ingest_result *res)
{
	char *first = NULL;
	for (size_t chunk = 0; chunk <= 1; chunk++) {
		golden_collect col;
		ingest_options opt = { .format = "vcard", .limits = limits, .chunk_size = chunk };
		golden_collect_open(&col);
		int r = ingest_buffer(buf, len, &opt, golden_collect_cb, &col, res);
		char *got = golden_collect_close(&col);
		if (r != expect_r)
			fail_msg("chunk %zu: %d, expected %d; line %u: %s", chunk, r, expect_r, res->error_line,
				 res->error);
		if (!first)
			first = got;
		else {
			assert_string_equal(got, first);
			free(got);
		}
	}
	return first;
}

static void test_counts(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		size_t records, rejected;
	} cases[] = {
		{ "v21_android", 2, 1 }, { "several_cards", 4, 1 }, { "google", 3, 0 }, { "agent_nested", 2, 0 },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char path[256];
		size_t len;
		ingest_result res;
		snprintf(path, sizeof path, DATA_DIR "%s.in", cases[i].name);
		_cleanup_free_ char *in = golden_read_all(path, &len);
		assert_non_null(in);
		_cleanup_free_ char *got = golden_run_buffer(in, len, NULL, 0, 0, &res);
		assert_int_equal(res.records, cases[i].records);
		assert_int_equal(res.rejected, cases[i].rejected);
	}
}

static void test_agent_not_leaked(void **state)
{
	(void)state;
	size_t len;
	ingest_result res;
	_cleanup_free_ char *in = golden_read_all(DATA_DIR "agent_nested.in", &len);
	_cleanup_free_ char *got = golden_run_buffer(in, len, NULL, 0, 0, &res);
	/* The outer card keeps its own values, read after the inner card too. */
	assert_non_null(strstr(got, "{\"record\":1,\"line\":1,\"first\":\"Willem\",\"last\":\"Kramer\",\"name\":"
				    "\"Willem Kramer\",\"company\":\"Kramer Holding\",\"position\":\"Directeur\","
				    "\"emails\":[\"w.kramer@kramerholding.example\"]"));
	assert_null(strstr(got, "Secretariaat"));
	assert_non_null(strstr(got, "{\"record\":2,\"line\":17,"));
}

static void test_callback_stops(void **state)
{
	(void)state;
	golden_check_callback_stops(DATA_DIR "several_cards.in");
}


#define BAD GOLDEN_BAD
#define CARD "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jan Jansen\r\nEND:VCARD\r\n"
/* With a UTF-8 BOM the whole file must be UTF-8; without one, a value that
 * is not UTF-8 and declares no CHARSET is read as Windows-1252 (see
 * test_undeclared_charset), so invalid UTF-8 is only an error after a BOM. */
#define BOM "\xef\xbb\xbf"

/* The decoding rule per value: no BOM, not UTF-8 throughout, no CHARSET=:
 * UTF-8 values stay UTF-8 (even folded mid-character), others are 1252. */
static void test_undeclared_charset(void **state)
{
	(void)state;
	static const char in[] = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zo\xc3\r\n \xab Smit\r\n"
				 "ORG:Caf\xe9 \x93Het Hoekje\x94\r\nEND:VCARD\r\n";
	ingest_result res;
	char *got = golden_run_buffer(in, sizeof in - 1, NULL, 0, 0, &res);
	assert_string_equal(res.format, "vcard");
	assert_string_equal(res.encoding, "per-value");
	assert_non_null(strstr(got, "\"name\":\"Zo\xc3\xab Smit\""));
	assert_non_null(strstr(got, "\"company\":\"Caf\xc3\xa9 \xe2\x80\x9cHet Hoekje\xe2\x80\x9d\""));
	free(got);
}

static void test_bad_inputs(void **state)
{
	(void)state;
	static const golden_bad cases[] = {
		BAD("missing END:VCARD", CARD "\r\nBEGIN:VCARD\r\nFN:Piet\r\nEMAIL:p@example.nl\r\n", NULL, -EBADMSG, 6,
		    "vCard not ended (BEGIN:VCARD at line 6)"),
		BAD("missing END:VCARD, no final line end", "BEGIN:VCARD\nFN:Piet", NULL, -EBADMSG, 1,
		    "vCard not ended (BEGIN:VCARD at line 1)"),
		BAD("missing END:VCARD after a nested card", "BEGIN:VCARD\nFN:A\nAGENT:\nBEGIN:VCARD\nFN:B\nEND:VCARD\n",
		    NULL, -EBADMSG, 1, "vCard not ended (BEGIN:VCARD at line 1)"),
		BAD("NUL byte", CARD "BEGIN:VCARD\r\nFN:Pi\0et\r\nEND:VCARD\r\n", NULL, -EBADMSG, 6,
		    "NUL byte (binary file?)"),
		BAD("NUL byte outside a card", CARD "\n\n\0", NULL, -EBADMSG, 7, "NUL byte (binary file?)"),
		BAD("QP-encoded NUL", "BEGIN:VCARD\nFN;ENCODING=QUOTED-PRINTABLE:a=00b\nEND:VCARD\n", NULL, -EBADMSG,
		    2, "NUL byte in a quoted-printable value"),
		BAD("invalid UTF-8", BOM CARD "BEGIN:VCARD\r\nFN:M\xfcller\r\nEND:VCARD\r\n", NULL, -EBADMSG, 6,
		    "invalid UTF-8 after a UTF-8 byte-order mark"),
		BAD("invalid UTF-8 in an unused property", BOM "BEGIN:VCARD\nFN:A\nNOTE:caf\xe9\nEND:VCARD\n", NULL,
		    -EBADMSG, 3, "invalid UTF-8 after a UTF-8 byte-order mark"),
		BAD("invalid UTF-8 on a folded line", BOM "BEGIN:VCARD\nFN:A\nNOTE:one\n two\n thr\xc3\x28\nEND:VCARD\n",
		    NULL, -EBADMSG, 5, "invalid UTF-8 after a UTF-8 byte-order mark"),
		BAD("UTF-8 cut by the end of a property", BOM "BEGIN:VCARD\nFN:Zo\xc3\nEND:VCARD\n", NULL, -EBADMSG, 2,
		    "invalid UTF-8 after a UTF-8 byte-order mark"),
		BAD("overlong UTF-8", BOM "BEGIN:VCARD\nFN:\xc0\xaf\nEND:VCARD\n", NULL, -EBADMSG, 2, "invalid UTF-8 after a UTF-8 byte-order mark"),
		BAD("UTF-16 surrogate", BOM "BEGIN:VCARD\nFN:\xed\xa0\x80\nEND:VCARD\n", NULL, -EBADMSG, 2,
		    "invalid UTF-8 after a UTF-8 byte-order mark"),
		BAD("invalid UTF-8 after QP decoding",
		    "BEGIN:VCARD\nN:A;B\nFN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=FC=\nller\nEND:VCARD\n", NULL,
		    -EBADMSG, 3, "invalid UTF-8"),
		BAD("unknown CHARSET, not UTF-8",
		    "BEGIN:VCARD\nFN;CHARSET=SHIFT_JIS;ENCODING=QUOTED-PRINTABLE:=82=A0\nEND:VCARD\n", NULL, -EBADMSG,
		    2, "invalid UTF-8 in a value of an unsupported CHARSET"),
		BAD("END without BEGIN", CARD "END:VCARD\r\n", NULL, -EBADMSG, 5, "END:VCARD without BEGIN:VCARD"),
		BAD("END without BEGIN first", "END:VCARD\n" CARD, "vcard", -EBADMSG, 1,
		    "END:VCARD without BEGIN:VCARD"),
		BAD("nested too deep",
		    "BEGIN:VCARD\nBEGIN:VCARD\nBEGIN:VCARD\nBEGIN:VCARD\nBEGIN:VCARD\nBEGIN:VCARD\nBEGIN:VCARD\n"
		    "BEGIN:VCARD\nBEGIN:VCARD\n",
		    NULL, -EBADMSG, 9, "vCards nested deeper than 8"),
		BAD("no card, forced", "FN:Jan\nEMAIL:jan@example.nl\n", "vcard", -EBADMSG, 0,
		    "no BEGIN:VCARD found"),
		BAD("not a vCard", "BEGIN:VCALENDAR\nEND:VCALENDAR\n", NULL, -EMEDIUMTYPE, 1,
		    "no known export format (linkedin, salesforce, hubspot, google, outlook, vcard, json, csv); set "
		    "Format=csv and Columns=first:<header>,last:<header>,company:<header>,email:<header> in the "
		    "source; headers found: \"BEGIN:VCALENDAR\""),
	};
	golden_check_bad(cases, ELEMENTSOF(cases));
}

/* "BEGIN:VCARD\nFN:" + n × 'x' + "\nEND:VCARD\n" */
static char *make_card(const char *prop, size_t n, size_t *ret_len)
{
	size_t cap = n + strlen(prop) + 64;
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t len = (size_t)snprintf(buf, cap, "BEGIN:VCARD\nFN:A\n%s:", prop);
	memset(buf + len, 'x', n);
	len += n;
	len += (size_t)snprintf(buf + len, cap - len, "\nEND:VCARD\n");
	*ret_len = len;
	return buf;
}

static void test_field_limit(void **state)
{
	(void)state;
	const ingest_limits small = { .max_field_size = 100 };
	size_t len;
	ingest_result res;

	/* Exactly the limit is accepted, one byte more is not, for any property. */
	_cleanup_free_ char *ok = make_card("TITLE", 100, &len);
	_cleanup_free_ char *got = run_limits(ok, len, small, 0, &res);
	assert_int_equal(res.records, 1);
	_cleanup_free_ char *bad = make_card("NOTE", 101, &len);
	free(run_limits(bad, len, small, -EBADMSG, &res));
	assert_string_equal(res.error, "property value longer than 100 bytes");
	assert_int_equal(res.error_line, 3);

	/* The value counts unfolded: folds do not hide length. */
	static const char folded[] = "BEGIN:VCARD\nFN:0123456789\n 0123456789\n x\nEND:VCARD\n";
	free(run_limits(folded, sizeof folded - 1, (ingest_limits){ .max_field_size = 20 }, -EBADMSG, &res));
	assert_string_equal(res.error, "property value longer than 20 bytes");
	assert_int_equal(res.error_line, 2);

	/* So do names and parameters. */
	_cleanup_free_ char *params = make_card("X-LONG;TYPE=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
						"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
						1, &len);
	free(run_limits(params, len, small, -EBADMSG, &res));
	assert_string_equal(res.error, "property name and parameters longer than 100 bytes");
	assert_int_equal(res.error_line, 3);

	/* A PHOTO blob is skipped, not stored: only the card size holds it,
	 * folded (3.0 ENCODING=b), 4.0 data: URI, or 2.1 BASE64. */
	static const char *const blobs[] = { "PHOTO;ENCODING=b;TYPE=JPEG", "PHOTO", "LOGO;BASE64",
					     "X-PHOTO;ENCODING=BASE64" };
	for (size_t i = 0; i < ELEMENTSOF(blobs); i++) {
		_cleanup_free_ char *photo = make_card(blobs[i], 5000, &len);
		free(run_limits(photo, len, small, 0, &res));
		assert_int_equal(res.records, 1);
	}
}

static void test_record_limit(void **state)
{
	(void)state;
	size_t len;
	ingest_result res;
	/* make_card("PHOTO", n) is n + 34 bytes: BEGIN through END's line end. */
	_cleanup_free_ char *exact = make_card("PHOTO", 966, &len);
	assert_int_equal(len, 1000);
	free(run_limits(exact, len, (ingest_limits){ .max_record_size = 1000 }, 0, &res));
	assert_int_equal(res.records, 1);
	free(run_limits(exact, len, (ingest_limits){ .max_record_size = 999 }, -EBADMSG, &res));
	assert_string_equal(res.error, "vCard longer than 999 bytes");
	assert_int_equal(res.error_line, 1);

	/* The second card is too big: its BEGIN line is named. */
	static const char two[] = "BEGIN:VCARD\nFN:A\nEND:VCARD\n\n\nbegin:vcard\nFN:Bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"
				  "END:VCARD\n";
	_cleanup_free_ char *got = run_limits(two, sizeof two - 1, (ingest_limits){ .max_record_size = 40 },
					      -EBADMSG, &res);
	assert_string_equal(res.error, "vCard longer than 40 bytes");
	assert_int_equal(res.error_line, 6);
	assert_int_equal(res.records, 1);

	/* A CRLF card at exactly the limit, then one byte more (CR vs CRLF). */
	static const char crlf[] = "BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n";
	free(run_limits(crlf, sizeof crlf - 1, (ingest_limits){ .max_record_size = sizeof crlf - 1 }, 0, &res));
	free(run_limits(crlf, sizeof crlf - 1, (ingest_limits){ .max_record_size = sizeof crlf - 2 }, -EBADMSG,
			&res));
}

static void test_records_limit(void **state)
{
	(void)state;
	static const char three[] = "BEGIN:VCARD\nFN:A\nEND:VCARD\nBEGIN:VCARD\nTEL:1\nEND:VCARD\n"
				    "BEGIN:VCARD\nFN:C\nEND:VCARD\n";
	ingest_result res;
	free(run_limits(three, sizeof three - 1, (ingest_limits){ .max_records = 3 }, 0, &res));
	assert_int_equal(res.records, 2);
	assert_int_equal(res.rejected, 1);
	/* Rejected cards count: the limit protects the reader, not the matcher. */
	_cleanup_free_ char *got = run_limits(three, sizeof three - 1, (ingest_limits){ .max_records = 2 }, -EBADMSG,
					      &res);
	assert_string_equal(res.error, "more than 2 vCards");
	assert_int_equal(res.error_line, 7);
}

static void test_probe(void **state)
{
	(void)state;
	static const struct {
		const char *data;
		const char *format; /* NULL: not recognised */
	} cases[] = {
		{ "BEGIN:VCARD\nFN:A\nEND:VCARD\n", "vcard" },
		{ "\xef\xbb\xbf\r\n\r\n  begin:vcard\r\nFN:A\r\nEND:VCARD", "vcard" },
		{ "Begin:VCard", NULL }, /* recognised, but no END: see the error */
		{ "BEGIN:VCARDS\nFN:A\nEND:VCARDS\n", NULL },
		{ "FN:A\nBEGIN:VCARD\nEND:VCARD\n", NULL },
		{ "BEGIN:VCAR", NULL },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		ingest_result res;
		golden_collect col;
		golden_collect_open(&col);
		int r = ingest_buffer(cases[i].data, strlen(cases[i].data), NULL, golden_collect_cb, &col, &res);
		free(golden_collect_close(&col));
		if (i == 2) {
			assert_int_equal(r, -EBADMSG);
			assert_string_equal(res.format, "vcard");
			continue;
		}
		if (cases[i].format) {
			assert_int_equal(r, 0);
			assert_string_equal(res.format, cases[i].format);
		} else
			assert_int_equal(r, -EMEDIUMTYPE);
	}
}

static void test_values(void **state)
{
	(void)state;
	/* Folds, escapes, QP soft breaks and URL order in one small card. */
	static const char in[] = "BEGIN:VCARD\n"
				 "N:Vries\\, de;Jan\\;Piet;;;\n"
				 "EMAIL;TYPE=work:mailto:jan@example.nl\n"
				 "email:JAN@example.nl\n"
				 "URL:https://example.nl\n"
				 "item9.URL:https://example.nl/jan\n"
				 "URL;TYPE=linkedin:https://nl.linkedin.com/in/jan\n"
				 "ITEM9.X-ABLabel:My LinkedIn\n"
				 "ORG;ENCODING=QUOTED-PRINTABLE:A=\n"
				 " B=3B=\n"
				 "C;unit\n"
				 "END:VCARD\n";
	ingest_result res;
	_cleanup_free_ char *got = golden_run_buffer(in, sizeof in - 1, NULL, 1, 0, &res);
	assert_string_equal(got, "{\"record\":1,\"line\":1,\"first\":\"Jan;Piet\",\"last\":\"Vries, de\","
				 "\"name\":\"Jan;Piet Vries, de\",\"company\":\"A B\",\"position\":null,"
				 "\"emails\":[\"jan@example.nl\"],"
				 "\"urls\":[\"https://example.nl/jan\",\"https://nl.linkedin.com/in/jan\","
				 "\"https://example.nl\"],\"connected_on\":null,\"date_raw\":null}\n");
}

static void test_charset(void **state)
{
	(void)state;
	/* Valid UTF-8 wins over a CHARSET label (writers mislabel; the reader
	 * may have decoded the file already); otherwise the label decides. */
	static const char in[] = "BEGIN:VCARD\n"
				 "FN;CHARSET=ISO-8859-1:Zo\xc3\xab Smit\n"
				 "ORG;CHARSET=windows-1252:Caf\xe9 \x93Het Hoekje\x94\n"
				 "TITLE;CHARSET=x-unknown:Eigena\xc3\xa4r\n"
				 "NOTE;CHARSET=ISO-8859-1:Stra\xdf" "e, not read\n"
				 "END:VCARD\n";
	ingest_result res;
	_cleanup_free_ char *got = golden_run_buffer(in, sizeof in - 1, NULL, 1, 0, &res);
	assert_string_equal(got, "{\"record\":1,\"line\":1,\"first\":null,\"last\":null,\"name\":\"Zo\xc3\xab Smit\","
				 "\"company\":\"Caf\xc3\xa9 \xe2\x80\x9cHet Hoekje\xe2\x80\x9d\",\"position\":"
				 "\"Eigena\xc3\xa4r\",\"emails\":[],\"urls\":[],\"connected_on\":null,\"date_raw\":null}\n");
}

int main(void)
{
	static const char *const golden[] = {
		"v21_android", "v21_outlook_latin1", "v30_folded",   "v40_socialprofile", "apple_grouped",
		"google",      "several_cards",      "agent_nested", "cr_only",
	};
	struct CMUnitTest tests[ELEMENTSOF(golden) + 16];
	size_t n = 0;
	for (size_t i = 0; i < ELEMENTSOF(golden); i++)
		tests[n++] = (struct CMUnitTest){ .name = golden[i], .test_func = test_golden,
						  .initial_state = (void *)golden[i] };
	const struct CMUnitTest rest[] = {
		cmocka_unit_test(test_counts),	     cmocka_unit_test(test_agent_not_leaked),
		cmocka_unit_test(test_callback_stops), cmocka_unit_test(test_undeclared_charset),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_field_limit),  cmocka_unit_test(test_record_limit),
		cmocka_unit_test(test_records_limit), cmocka_unit_test(test_probe),
		cmocka_unit_test(test_values),	     cmocka_unit_test(test_charset),
	};
	for (size_t i = 0; i < ELEMENTSOF(rest); i++)
		tests[n++] = rest[i];
	return _cmocka_run_group_tests("ingest_vcard", tests, n, NULL, NULL);
}
