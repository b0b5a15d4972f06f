/* test_webhook.c — the webhook bodies and headers: generic is the alert
 * JSON byte for byte and its signature verifies with an HMAC computed here
 * independently (OpenSSL's HMAC(), itself checked against RFC 4231); the
 * Slack and Teams bodies are valid JSON that name employee and relation,
 * stay within Slack's limits, and show hostile names from an export only
 * inside inline code, escaped, never as a mention, formatting or link. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "contactwatch/hash.h"
#include "contactwatch/webhook.h"

#define HOSTILE "<!channel> *x* [a](http://evil)"

/* An alert as alert_json makes it (interfaces.md), with the given names. */
static json_t *sample_alert(const char *emp_name, const char *contact, const char *rel_name, const char *sev)
{
	json_t *a = json_pack(
		"{s:I, s:s, s:I, s:I, s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:f, s:s, s:s, "
		"s:[{s:s, s:s, s:s, s:f}, {s:s, s:s, s:s, s:f}], s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}, "
		"s:{s:s, s:s, s:s}, s:s, s:s, s:[]}",
		"id", (json_int_t)7, "file", "/srv/exports/E1042/Connections.csv", "record", (json_int_t)12, "line",
		(json_int_t)16, "contact", "name", contact, "company", "Acme & Zonen", "email", "p.berg@acme.nl",
		"profile_url", "https://www.linkedin.com/in/petravdberg", "connected_on", "2026-08-02", "event",
		"connection", "relation", "id", "R002", "type", "person", "name", rel_name, "score", 1.0,
		"classification", "in_window", "severity", sev, "evidence", "feature", "profile_url", "contact",
		"https://www.linkedin.com/in/petravdberg", "relation", "https://www.linkedin.com/in/petravdberg", "score",
		1.0, "feature", "person_name", "contact", contact, "relation", rel_name, "score", 0.97, "key",
		"ce41b6594d1c4e8774f4727727bc5adde8f337115ee1399cce8ea3277c76ea5d", "employee", "id", "E1042", "name",
		emp_name, "window", "start", "2026-06-30", "end", "2027-06-30", "clause", "reference",
		"Employment contract art. 12", "penalty", "10000 EUR", "source", "file",
		"/srv/exports/E1042/Connections.csv", "sha256",
		"3b712d97e9c49a6a8aa05dfbb3bfdfe434faa5d3961d846824b6914507b70e41", "received_at",
		"2026-11-22T15:51:28Z", "created_at", "2026-11-22T15:51:28Z", "state", "new", "history");
	assert_non_null(a);
	return a;
}

static channel_config channel(const char *format)
{
	return (channel_config){ .name = (char *)"hook", .type = CHANNEL_WEBHOOK, .format = (char *)format };
}

/* HMAC-SHA256 as lowercase hex, straight from OpenSSL: not our code. */
static void openssl_hmac_hex(const void *key, size_t key_len, const void *data, size_t n, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	assert_non_null(HMAC(EVP_sha256(), key, (int)key_len, data, n, md, &md_len));
	assert_int_equal(md_len, 32);
	for (unsigned i = 0; i < md_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void test_rfc4231_vectors(void **state)
{
	(void)state;
	/* RFC 4231 4.2 (test case 1) and 4.3 (test case 2). */
	static const unsigned char key1[20] = { 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
						0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b };
	static const char want1[] = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
	static const char want2[] = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
	char hex[65];

	openssl_hmac_hex(key1, sizeof key1, "Hi There", 8, hex);
	assert_string_equal(hex, want1);
	assert_int_equal(hash_hmac_sha256_hex(key1, sizeof key1, "Hi There", 8, hex), 0);
	assert_string_equal(hex, want1);
	openssl_hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, hex);
	assert_string_equal(hex, want2);
	assert_int_equal(hash_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, hex), 0);
	assert_string_equal(hex, want2);
}

static void test_generic_is_the_alert_signed(void **state)
{
	(void)state;
	channel_config ch = channel("generic");
	json_t *a = sample_alert("Jan de Vries", "Petra van den Berg", "Petra van den Berg", "high");
	char *want = json_dumps(a, JSON_COMPACT);
	webhook_request req;
	json_error_t err;
	char hex[65], sig[72];

	assert_int_equal(webhook_request_build(&ch, a, "ce41b659-hook", "Jefe", 4, &req), 0);
	/* Byte for byte the compact alert: what is signed is what is sent. */
	assert_string_equal(req.body, want);
	assert_int_equal(req.body_len, strlen(want));
	json_t *back = json_loads(req.body, 0, &err);
	assert_non_null(back);
	assert_true(json_equal(back, a));
	assert_string_equal(req.idempotency_key, "ce41b659-hook");
	openssl_hmac_hex("Jefe", 4, req.body, req.body_len, hex);
	snprintf(sig, sizeof sig, "sha256=%s", hex);
	assert_string_equal(req.signature, sig);
	webhook_request_done(&req);
	assert_null(req.body);

	/* A format left unset is generic too. */
	ch.format = NULL;
	assert_int_equal(webhook_request_build(&ch, a, "k", NULL, 0, &req), 0);
	assert_string_equal(req.body, want);
	assert_string_equal(req.signature, ""); /* no secret, no signature */
	webhook_request_done(&req);
	json_decref(back);
	free(want);
	json_decref(a);
}

static void test_every_format_signs_its_body(void **state)
{
	(void)state;
	static const char *const formats[] = { "generic", "slack", "teams" };
	static const char secret[] = "s3cr\0t with a NUL"; /* binary credentials work */
	json_t *a = sample_alert("Jan de Vries", "Petra van den Berg", "Petra van den Berg", "high");

	for (size_t i = 0; i < 3; i++) {
		channel_config ch = channel(formats[i]);
		webhook_request req, again;
		char hex[65];
		assert_int_equal(webhook_request_build(&ch, a, "key-1", secret, sizeof secret - 1, &req), 0);
		openssl_hmac_hex(secret, sizeof secret - 1, req.body, req.body_len, hex);
		assert_memory_equal(req.signature, "sha256=", 7);
		assert_string_equal(req.signature + 7, hex);
		assert_int_equal(strlen(req.body), req.body_len);
		/* Deterministic: a retry sends and signs the same bytes. */
		assert_int_equal(webhook_request_build(&ch, a, "key-1", secret, sizeof secret - 1, &again), 0);
		assert_string_equal(req.body, again.body);
		assert_string_equal(req.signature, again.signature);
		webhook_request_done(&req);
		webhook_request_done(&again);
	}
	json_decref(a);
}

static void test_refusals(void **state)
{
	(void)state;
	channel_config ch = channel("slack"), bad = channel("carrier-pigeon");
	json_t *a = sample_alert("Jan de Vries", "Petra", "Petra van den Berg", "high");
	webhook_request req = { 0 };
	char long_key[200];

	assert_int_equal(webhook_request_build(&bad, a, "k", NULL, 0, &req), -EINVAL);
	assert_int_equal(webhook_request_build(&ch, a, "k\r\nX-Evil: 1", NULL, 0, &req), -EINVAL);
	assert_int_equal(webhook_request_build(&ch, a, "", NULL, 0, &req), -EINVAL);
	memset(long_key, 'k', sizeof long_key - 1);
	long_key[sizeof long_key - 1] = '\0';
	assert_int_equal(webhook_request_build(&ch, a, long_key, NULL, 0, &req), -EINVAL);
	assert_int_equal(webhook_request_build(&ch, a, "k", "", 0, &req), -EINVAL); /* an empty secret */
	static const char *const required[][2] = { { "id", NULL },	    { "key", NULL },
						   { "severity", NULL },    { "classification", NULL },
						   { "employee", "id" },    { "relation", "id" },
						   { "relation", "name" } };
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		json_t *c = json_deep_copy(a);
		json_t *o = required[i][1] ? json_object_get(c, required[i][0]) : c;
		assert_int_equal(json_object_del(o, required[i][1] ? required[i][1] : required[i][0]), 0);
		for (size_t f = 0; f < 3; f++) {
			ch.format = (char *)(f == 0 ? "generic" : f == 1 ? "slack" : "teams");
			assert_int_equal(webhook_request_build(&ch, c, "k", NULL, 0, &req), -EINVAL);
		}
		json_decref(c);
	}
	assert_null(req.body); /* untouched on failure */
	json_decref(a);
}

/* Characters (code points) in a UTF-8 string: Slack's limits count those. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* A Slack mrkdwn text is safe when, outside its inline-code spans, there is
 * nothing from the alert (only our labels) and no '<' at all, and inside
 * them no raw '<' or '>' (Slack's escapes instead). Returns the text with
 * the spans' contents in *inside, for the caller's checks. */
static void assert_slack_safe(const char *text, char **inside)
{
	size_t n = strlen(text);
	char *out = calloc(1, n + 1), *in = calloc(1, n + 1);
	size_t no = 0, ni = 0, ticks = 0;

	assert_non_null(out);
	assert_non_null(in);
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '`') {
			ticks++;
			continue;
		}
		if (ticks % 2)
			in[ni++] = text[i];
		else
			out[no++] = text[i];
	}
	assert_int_equal(ticks % 2, 0);
	assert_null(strchr(out, '<'));
	assert_null(strchr(out, '>'));
	assert_null(strstr(out, "http"));
	assert_null(strstr(out, "*x*"));
	assert_null(strchr(in, '<'));
	assert_null(strchr(in, '>'));
	free(out);
	*inside = in;
}

static void collect_slack_texts(const json_t *j, json_t *list)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_array(j))
		json_array_foreach (j, i, v)
			collect_slack_texts(v, list);
	if (json_is_object(j))
		json_object_foreach ((json_t *)j, k, v) {
			if (streq(k, "text") && json_is_string(v))
				json_array_append(list, v);
			else
				collect_slack_texts(v, list);
		}
}

static void test_slack_hostile_names(void **state)
{
	(void)state;
	channel_config ch = channel("slack");
	json_t *a = sample_alert("Zoë Müller", HOSTILE " `rm -rf` & <@U123>", "Hélène & Fils <b>B.V.</b>", "high");
	webhook_request req;
	json_error_t err;
	size_t i;
	json_t *v;
	bool saw_employee = false, saw_relation = false, saw_contact = false, saw_url = false;

	assert_int_equal(webhook_request_build(&ch, a, "k", NULL, 0, &req), 0);
	assert_null(strstr(req.body, "<!channel>"));
	assert_null(strstr(req.body, "<@U123>"));
	json_t *msg = json_loads(req.body, 0, &err);
	assert_non_null(msg);
	assert_true(json_is_string(json_object_get(msg, "text")));
	assert_true(json_is_false(json_object_get(msg, "unfurl_links")));
	const json_t *blocks = json_object_get(msg, "blocks");
	assert_true(json_array_size(blocks) >= 3 && json_array_size(blocks) <= 50);

	const json_t *header = json_array_get(blocks, 0);
	assert_string_equal(json_string_value(json_object_get(header, "type")), "header");
	const char *htext = json_string_value(json_object_get(json_object_get(header, "text"), "text"));
	assert_string_equal(htext, "contactwatch: possible breach of Employment contract art. 12");
	json_array_foreach (blocks, i, v) {
		const json_t *fields = json_object_get(v, "fields");
		assert_true(json_array_size(fields) <= 10);
	}

	json_t *texts = json_array();
	collect_slack_texts(msg, texts);
	assert_true(json_array_size(texts) >= 10);
	json_array_foreach (texts, i, v) {
		const char *t = json_string_value(v);
		char *inside;
		if (t == htext)
			continue; /* plain_text: no mrkdwn at all */
		assert_slack_safe(t, &inside);
		assert_true(utf8_chars(t) <= 2000);
		saw_employee |= strstr(inside, "Zoë Müller (E1042)") != NULL;
		saw_relation |= strstr(inside, "Hélène &amp; Fils &lt;b&gt;B.V.&lt;/b&gt; (R002, person)") != NULL;
		/* The hostile name is there, readable, but only as code: the
		 * mention escaped, '`' as a look-alike (U+02CB). */
		saw_contact |= strstr(inside, "&lt;!channel&gt; *x* [a](http://evil) \xCB\x8Brm -rf\xCB\x8B &amp; "
					      "&lt;@U123&gt;") != NULL;
		saw_url |= strstr(inside, "https://www.linkedin.com/in/petravdberg") != NULL;
		free(inside);
	}
	assert_true(saw_employee);
	assert_true(saw_relation);
	assert_true(saw_contact);
	assert_true(saw_url);
	json_decref(texts);
	json_decref(msg);
	webhook_request_done(&req);
	json_decref(a);
}

static void test_slack_limits(void **state)
{
	(void)state;
	channel_config ch = channel("slack");
	char *huge = malloc(20001);
	json_t *a, *ev, *v;
	webhook_request req;
	json_error_t err;
	size_t i;

	assert_non_null(huge);
	/* 2-byte characters and escapes: byte and character budgets differ. */
	for (i = 0; i < 20000; i += 2)
		memcpy(huge + i, i % 6 ? "\xC3\xAB" : "&<", 2);
	huge[20000] = '\0';
	a = sample_alert(huge, huge, huge, "medium");
	json_object_set_new(json_object_get(a, "clause"), "reference", json_string(huge));
	ev = json_object_get(a, "evidence");
	for (i = 0; i < 40; i++)
		json_array_append_new(ev, json_pack("{s:s, s:s, s:s, s:f}", "feature", "person_name", "contact", huge,
						    "relation", huge, "score", 0.9));
	assert_int_equal(webhook_request_build(&ch, a, "k", NULL, 0, &req), 0);
	json_t *msg = json_loads(req.body, 0, &err);
	assert_non_null(msg);
	const json_t *blocks = json_object_get(msg, "blocks");
	const char *htext = json_string_value(json_object_get(json_object_get(json_array_get(blocks, 0), "text"), "text"));
	assert_true(utf8_chars(htext) <= 150);
	json_array_foreach (blocks, i, v) {
		const json_t *f, *text = json_object_get(json_object_get(v, "text"), "text");
		size_t k;
		if (i > 0 && text)
			assert_true(utf8_chars(json_string_value(text)) <= 3000);
		json_array_foreach (json_object_get(v, "fields"), k, f)
			assert_true(utf8_chars(json_string_value(json_object_get(f, "text"))) <= 2000);
	}
	/* Every text still valid UTF-8: jansson would not have loaded it else. */
	json_decref(msg);
	webhook_request_done(&req);
	json_decref(a);
	free(huge);
}

static void test_teams_card(void **state)
{
	(void)state;
	channel_config ch = channel("teams");
	json_t *a = sample_alert("Zoë Müller", HOSTILE " `x` <script>", "Hélène & Fils", "high");
	json_t *low = sample_alert("Jan de Vries", "Petra", "Petra van den Berg", "low");
	webhook_request req, req_low;
	json_error_t err;
	size_t i, k;
	json_t *s, *f;
	bool saw_employee = false, saw_relation = false, saw_contact = false, saw_why = false;

	assert_int_equal(webhook_request_build(&ch, a, "k", NULL, 0, &req), 0);
	assert_int_equal(webhook_request_build(&ch, low, "k", NULL, 0, &req_low), 0);
	json_t *card = json_loads(req.body, 0, &err), *card_low = json_loads(req_low.body, 0, &err);
	assert_non_null(card);
	assert_non_null(card_low);
	assert_string_equal(json_string_value(json_object_get(card, "@type")), "MessageCard");
	assert_non_null(json_string_value(json_object_get(card, "@context")));
	assert_non_null(strstr(json_string_value(json_object_get(card, "summary")), "Zoë Müller"));
	assert_non_null(strstr(json_string_value(json_object_get(card, "title")), "Employment contract art. 12"));
	const char *c_high = json_string_value(json_object_get(card, "themeColor"));
	const char *c_low = json_string_value(json_object_get(card_low, "themeColor"));
	assert_int_equal(strlen(c_high), 6);
	assert_string_not_equal(c_high, c_low);
	assert_null(json_object_get(card, "potentialAction")); /* link-free: no buttons */

	json_array_foreach (json_object_get(card, "sections"), i, s) {
		json_array_foreach (json_object_get(s, "facts"), k, f) {
			const char *name = json_string_value(json_object_get(f, "name"));
			const char *value = json_string_value(json_object_get(f, "value"));
			size_t n = strlen(value);
			/* Each value is one inline-code span: Markdown, HTML and
			 * auto-links do not apply inside, and nothing ends it early. */
			assert_true(n >= 2 && value[0] == '`' && value[n - 1] == '`');
			assert_null(memchr(value + 1, '`', n - 2));
			assert_null(strchr(value, '<'));
			assert_null(strchr(value, '>'));
			saw_employee |= streq(name, "Employee") && strstr(value, "Zoë Müller (E1042)");
			saw_relation |= streq(name, "Relation") && strstr(value, "Hélène & Fils (R002, person)");
			saw_contact |= streq(name, "Contact") &&
				       strstr(value, "\xE2\x80\xB9!channel\xE2\x80\xBA *x* [a](http://evil)");
			saw_why |= streq(name, "Why") && strstr(value, "profile_url: ");
		}
	}
	assert_true(saw_employee);
	assert_true(saw_relation);
	assert_true(saw_contact);
	assert_true(saw_why);
	json_decref(card);
	json_decref(card_low);
	webhook_request_done(&req);
	webhook_request_done(&req_low);
	json_decref(a);
	json_decref(low);
}

static void test_pseudonymized_employee(void **state)
{
	(void)state;
	channel_config ch = channel("slack");
	/* The caller replaced the name by the Id: the Id shows once, no name. */
	json_t *a = sample_alert("E1042", "Petra", "Petra van den Berg", "high");
	webhook_request req;

	assert_int_equal(webhook_request_build(&ch, a, "k", NULL, 0, &req), 0);
	assert_non_null(strstr(req.body, "*Employee*\\n`E1042`"));
	assert_null(strstr(req.body, "E1042 (E1042)"));
	webhook_request_done(&req);
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4231_vectors),
		cmocka_unit_test(test_generic_is_the_alert_signed),
		cmocka_unit_test(test_every_format_signs_its_body),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_slack_hostile_names),
		cmocka_unit_test(test_slack_limits),
		cmocka_unit_test(test_teams_card),
		cmocka_unit_test(test_pseudonymized_employee),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
