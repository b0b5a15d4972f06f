/* test_alert.c — the dedup key and the JSON shapes users and channels see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "contactwatch/alert.h"
#include "contactwatch/date.h"

static relation rel_person = { .id = (char *)"R002", .type = RELATION_PERSON, .name = (char *)"Petra van den Berg" };
static relation rel_company = { .id = (char *)"R001", .type = RELATION_COMPANY, .name = (char *)"Jansen Bouw" };

/* A hit with its own URL and e-mail vectors (NULL-terminated). */
typedef struct test_hit {
	hit h;
	char *urls[2];
	char *emails[2];
} test_hit;

static void make_hit(test_hit *t, const relation *rel, const char *url, const char *email, const char *name)
{
	hit *h = &t->h;
	char **urls = t->urls, **emails = t->emails;
	memset(t, 0, sizeof *t);
	contact_init(&h->contact);
	urls[0] = (char *)url;
	emails[0] = (char *)email;
	h->contact.urls = url ? urls : NULL;
	h->contact.emails = email ? emails : NULL;
	h->contact.name = (char *)name;
	h->contact.company = (char *)"Acme Logistics";
	h->contact.record = 12;
	h->contact.line = 16;
	assert_int_equal(date_from_ymd(2026, 8, 2, &h->contact.connected_on), 0);
	h->match.relation = rel;
	h->match.score = 1.0;
	h->cls = CLASS_IN_WINDOW;
	h->sev = SEVERITY_HIGH;
}

static void test_key_ignores_cosmetic_url_differences(void **state)
{
	(void)state;
	test_hit a, b;
	char ka[65], kb[65];
	make_hit(&a, &rel_person, "https://www.linkedin.com/in/petravdberg", NULL, "Petra van den Berg");
	make_hit(&b, &rel_person, "https://nl.linkedin.com/in/PetraVdBerg/?trk=x", NULL, "P. van den Berg");
	assert_int_equal(alert_key("E1042", &a.h, ka), 0);
	assert_int_equal(alert_key("E1042", &b.h, kb), 0);
	assert_string_equal(ka, kb);
	assert_int_equal(strlen(ka), 64);
}

static void test_key_separates_employee_relation_and_contact(void **state)
{
	(void)state;
	test_hit a, b, c;
	char k1[65], k2[65], k3[65], k4[65];
	make_hit(&a, &rel_person, "https://www.linkedin.com/in/petravdberg", NULL, "Petra");
	make_hit(&b, &rel_company, "https://www.linkedin.com/in/petravdberg", NULL, "Petra");
	make_hit(&c, &rel_person, "https://www.linkedin.com/in/someoneelse", NULL, "Petra");
	assert_int_equal(alert_key("E1042", &a.h, k1), 0);
	assert_int_equal(alert_key("E1043", &a.h, k2), 0);
	assert_int_equal(alert_key("E1042", &b.h, k3), 0);
	assert_int_equal(alert_key("E1042", &c.h, k4), 0);
	assert_string_not_equal(k1, k2);
	assert_string_not_equal(k1, k3);
	assert_string_not_equal(k1, k4);
}

static void test_key_falls_back_to_email_then_name(void **state)
{
	(void)state;
	test_hit a, b, c, d;
	char ka[65], kb[65], kc[65], kd[65];
	make_hit(&a, &rel_person, NULL, "P.vandenBerg@Acme.nl", "Petra");
	make_hit(&b, &rel_person, NULL, "p.vandenberg@acme.nl", "Someone");
	make_hit(&c, &rel_person, NULL, NULL, "Petra van den Berg");
	make_hit(&d, &rel_person, NULL, NULL, "PETRA VAN DEN BERG");
	assert_int_equal(alert_key("E1", &a.h, ka), 0);
	assert_int_equal(alert_key("E1", &b.h, kb), 0);
	assert_int_equal(alert_key("E1", &c.h, kc), 0);
	assert_int_equal(alert_key("E1", &d.h, kd), 0);
	assert_string_equal(ka, kb);
	assert_string_equal(kc, kd);
	assert_string_not_equal(ka, kc);
}

static void test_match_json_shape(void **state)
{
	(void)state;
	test_hit t;
	hit *hp = &t.h;
	match_evidence ev = { .feature = "profile_url", .contact = (char *)"linkedin.com/in/petravdberg",
			      .relation = (char *)"linkedin.com/in/petravdberg", .score = 1.0 };
	make_hit(&t, &rel_person, "https://www.linkedin.com/in/petravdberg", NULL, "Petra van den Berg");
	hp->match.evidence = &ev;
	hp->match.n_evidence = 1;
	json_t *j = alert_match_json("Connections.csv", hp);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "file")), "Connections.csv");
	assert_int_equal(json_integer_value(json_object_get(j, "record")), 12);
	assert_int_equal(json_integer_value(json_object_get(j, "line")), 16);
	json_t *c = json_object_get(j, "contact");
	assert_string_equal(json_string_value(json_object_get(c, "connected_on")), "2026-08-02");
	assert_true(json_is_null(json_object_get(c, "email")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "relation"), "type")), "person");
	assert_string_equal(json_string_value(json_object_get(j, "classification")), "in_window");
	assert_string_equal(json_string_value(json_object_get(j, "severity")), "high");
	json_t *e0 = json_array_get(json_object_get(j, "evidence"), 0);
	assert_string_equal(json_string_value(json_object_get(e0, "feature")), "profile_url");
	assert_int_equal(json_object_size(e0), 4);
	json_decref(j);
}

/* A review-band match: severity low whatever the date, "review": true;
 * an ordinary match has no "review" field at all. */
static void test_review_match(void **state)
{
	(void)state;
	hit_list l = {0};
	contact c;
	contact_init(&c);
	c.name = strdup("Pieter van der Molen");
	assert_int_equal(date_from_ymd(2026, 8, 2, &c.connected_on), 0);
	match m = { .relation = &rel_person, .score = 0.85, .review = true };
	assert_int_equal(hit_list_add(&l, &c, &m, CLASS_IN_WINDOW), 0);
	match m2 = { .relation = &rel_company, .score = 0.98 };
	assert_int_equal(hit_list_add(&l, &c, &m2, CLASS_IN_WINDOW), 0);
	assert_int_equal(l.items[0].sev, SEVERITY_LOW);
	assert_int_equal(l.items[1].sev, SEVERITY_HIGH);
	json_t *j = alert_match_json("x.csv", &l.items[0]);
	assert_true(json_is_true(json_object_get(j, "review")));
	assert_string_equal(json_string_value(json_object_get(j, "severity")), "low");
	json_decref(j);
	j = alert_match_json("x.csv", &l.items[1]);
	assert_null(json_object_get(j, "review"));
	json_decref(j);
	hit_list_done(&l);
	contact_done(&c);
}

/* The exact text of a match, every optional part present: the shape
 * check --json, the stored body and the channels share. */
static void test_match_json_text(void **state)
{
	(void)state;
	test_hit t;
	hit *hp = &t.h;
	match_evidence ev[2] = {
		{ .feature = "company_name", .contact = (char *)"acme logistics", .relation = (char *)"acme", .score = 0.94 },
		{ .feature = "name", .contact = NULL, .relation = (char *)"petra van den berg", .score = 0.5 },
	};
	make_hit(&t, &rel_person, NULL, "petra@acme.nl", "Petra \"PvdB\" van den Berg");
	hp->match.evidence = ev;
	hp->match.n_evidence = 2;
	hp->match.review = true;
	hp->match.score = 0.87;
	hp->contact.connected_on = DATE_NONE;
	hp->contact.date_raw = (char *)"03/04/2026";
	hp->contact.date_note = "ambiguous";
	json_t *j = alert_match_json(NULL, hp);
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
	assert_string_equal(text, "{\"file\":null,\"record\":12,\"line\":16,\"contact\":{\"name\":\"Petra \\\"PvdB\\\" van den Berg\","
			    "\"company\":\"Acme Logistics\",\"email\":\"petra@acme.nl\",\"profile_url\":null,\"connected_on\":null,"
			    "\"event\":\"connection\",\"date_note\":{\"raw\":\"03/04/2026\",\"note\":\"ambiguous\"}},\"relation\":{\"id\":\"R002\","
			    "\"type\":\"person\",\"name\":\"Petra van den Berg\"},\"score\":0.87,\"classification\":\"in_window\","
			    "\"severity\":\"high\",\"evidence\":[{\"feature\":\"company_name\",\"contact\":\"acme logistics\","
			    "\"relation\":\"acme\",\"score\":0.93999999999999995},{\"feature\":\"name\",\"contact\":null,"
			    "\"relation\":\"petra van den berg\",\"score\":0.5}],\"review\":true}");
	json_decref(j);
}

/* Text that is not UTF-8 cannot be JSON: a contact field makes the whole
 * match unbuildable (NULL), an evidence entry is left out, a date note is
 * left off. */
static void test_match_json_invalid_utf8(void **state)
{
	(void)state;
	test_hit t;
	hit *hp = &t.h;
	match_evidence ev[2] = {
		{ .feature = "company_name", .contact = (char *)"acme \xff", .relation = (char *)"acme", .score = 0.9 },
		{ .feature = "email", .contact = (char *)"a@acme.nl", .relation = (char *)"a@acme.nl", .score = 1.0 },
	};
	make_hit(&t, &rel_company, NULL, NULL, "Petra");
	hp->match.evidence = ev;
	hp->match.n_evidence = 2;
	hp->contact.date_raw = (char *)"\xc3\x28";
	hp->contact.date_note = "unreadable";
	json_t *j = alert_match_json("x.csv", hp);
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
	assert_string_equal(text, "{\"file\":\"x.csv\",\"record\":12,\"line\":16,\"contact\":{\"name\":\"Petra\",\"company\":\"Acme Logistics\","
			    "\"email\":null,\"profile_url\":null,\"connected_on\":\"2026-08-02\",\"event\":\"connection\"},"
			    "\"relation\":{\"id\":\"R001\",\"type\":\"company\",\"name\":\"Jansen Bouw\"},\"score\":1.0,"
			    "\"classification\":\"in_window\",\"severity\":\"high\",\"evidence\":[{\"feature\":\"email\","
			    "\"contact\":\"a@acme.nl\",\"relation\":\"a@acme.nl\",\"score\":1.0}]}");
	json_decref(j);
	hp->contact.company = (char *)"Acme \xe2\x82";
	assert_null(alert_match_json("x.csv", hp));
}

static void test_alert_json_adds_id_state_history(void **state)
{
	(void)state;
	store_alert a = { .id = 7, .state = "acknowledged", .body = "{\"key\":\"k\",\"severity\":\"high\"}" };
	json_t *hist = json_pack("[{s:s}]", "action", "created");
	json_t *j = alert_json(&a, hist);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 7);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "acknowledged");
	assert_string_equal(json_string_value(json_object_get(j, "key")), "k");
	assert_int_equal(json_array_size(json_object_get(j, "history")), 1);
	json_decref(j);
	json_decref(hist);
	j = alert_json(&a, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 0);
	json_decref(j);
	a.body = "not json";
	assert_null(alert_json(&a, NULL));
}

static void test_alert_pseudonymized(void **state)
{
	(void)state;
	json_t *a = json_pack("{s:I, s:{s:s, s:s}, s:{s:s}, s:[{s:s}]}", "id", (json_int_t)3, "employee", "id",
			      "E1042", "name", "Jan de Vries", "contact", "name", "Petra van den Berg", "history",
			      "action", "created");
	json_t *p = alert_pseudonymized(a);

	assert_non_null(p);
	assert_string_equal(json_string_value(json_object_get(json_object_get(p, "employee"), "name")), "E1042");
	assert_string_equal(json_string_value(json_object_get(json_object_get(p, "employee"), "id")), "E1042");
	/* The contact is what the receiver judges: kept. */
	assert_string_equal(json_string_value(json_object_get(json_object_get(p, "contact"), "name")),
			    "Petra van den Berg");
	assert_int_equal(json_integer_value(json_object_get(p, "id")), 3);
	/* A deep copy: the original (other channels' alert) keeps the name. */
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "employee"), "name")),
			    "Jan de Vries");
	json_decref(p);
	json_object_del(json_object_get(a, "employee"), "id");
	assert_null(alert_pseudonymized(a));
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_ignores_cosmetic_url_differences),
		cmocka_unit_test(test_key_separates_employee_relation_and_contact),
		cmocka_unit_test(test_key_falls_back_to_email_then_name),
		cmocka_unit_test(test_match_json_shape),
		cmocka_unit_test(test_review_match),
		cmocka_unit_test(test_match_json_text),
		cmocka_unit_test(test_match_json_invalid_utf8),
		cmocka_unit_test(test_alert_json_adds_id_state_history),
		cmocka_unit_test(test_alert_pseudonymized),
	};
	return cmocka_run_group_tests_name("alert", tests, NULL, NULL);
}
