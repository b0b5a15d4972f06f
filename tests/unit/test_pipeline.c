/* test_pipeline.c — matching on worker threads gives exactly what matching
 * on one thread gives, in record order, whatever the number of workers and
 * however the contacts fall into batches; errors stop it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "contactwatch/names.h"
#include "contactwatch/pipeline.h"
#include "cases.h"

#define N_CONTACTS (3 * PIPELINE_BATCH + 17) /* several full batches and a partial one */

typedef struct seen {
	size_t record[N_CONTACTS * 2];
	char relation[N_CONTACTS * 2][8];
	double score[N_CONTACTS * 2];
	size_t n;
	size_t fail_at;    /* return -EIO at this many calls (0: never) */
} seen;

static int on_result(const contact *c, match_list *ml, void *userdata)
{
	seen *s = userdata;
	if (s->fail_at && s->n >= s->fail_at)
		return -EIO;
	for (size_t i = 0; i < ml->n; i++) {
		s->record[s->n] = c->record;
		snprintf(s->relation[s->n], sizeof s->relation[s->n], "%s", ml->items[i].relation->id);
		s->score[s->n] = ml->items[i].score;
		s->n++;
	}
	return 0;
}

typedef struct fixture {
	relation rels[3];
	relation_set set;
	match_index *idx;
	contact contacts[N_CONTACTS];
	char company[N_CONTACTS][48];
} fixture;

static relation make_company(const char *id, const char *name, const char *domains)
{
	return (relation){ .id = strdup(id), .type = RELATION_COMPANY, .name = strdup(name),
			   .domains = cases_list(domains) };
}

/* Every 7th contact works at a restricted company (every 21st at one
 * with a typo), the rest at companies nobody restricts. */
static void fixture_init(fixture *f)
{
	char **free_mail = NULL;
	for (const char *const *m = names_free_mail_builtin; *m; m++)
		assert_int_equal(strv_push(&free_mail, *m), 0);
	f->rels[0] = make_company("R1", "Veldhofverenga Software B.V.", "veldhof.nl");
	f->rels[1] = make_company("R2", "Laarsteinwold Energie", NULL);
	f->rels[2] = make_company("R3", "Brinkhorstmeer Transport", NULL);
	f->set = (relation_set){ .items = f->rels, .n = ELEMENTSOF(f->rels) };
	match_options opt = { .person_threshold = 0.90, .company_threshold = 0.92, .free_mail = free_mail };
	assert_int_equal(match_index_new(&f->set, &opt, &f->idx), 0);
	strv_free(free_mail);
	for (size_t i = 0; i < N_CONTACTS; i++) {
		contact *c = &f->contacts[i];
		contact_init(c);
		c->record = i + 1;
		c->line = (unsigned)i + 2;
		if (i % 21 == 0)
			snprintf(f->company[i], sizeof f->company[i], "Laarsteinwlod Energie");
		else if (i % 7 == 0)
			snprintf(f->company[i], sizeof f->company[i], i % 2 ? "Veldhofverenga Software" : "Brinkhorstmeer");
		else
			snprintf(f->company[i], sizeof f->company[i], "Hoekstra Bouw %zu B.V.", i);
		c->company = f->company[i];
		c->last = (char *)"Jansen";
		c->first = (char *)"Piet";
	}
}

static void fixture_done(fixture *f)
{
	match_index_free(f->idx);
	for (size_t i = 0; i < ELEMENTSOF(f->rels); i++) {
		free(f->rels[i].id);
		free(f->rels[i].name);
		strv_free(f->rels[i].domains);
	}
}

/* What one thread gives, contact by contact: the reference. */
static void run_serial(const fixture *f, seen *s)
{
	for (size_t i = 0; i < N_CONTACTS; i++) {
		match_list ml = { 0 };
		assert_true(match_contact(f->idx, &f->contacts[i], &ml) >= 0);
		if (ml.n > 0)
			assert_int_equal(on_result(&f->contacts[i], &ml, s), 0);
		match_list_done(&ml);
	}
}

static void run_pipeline(const fixture *f, unsigned workers, size_t n, seen *s, int want)
{
	pipeline *p = NULL;
	int r = 0;
	assert_int_equal(pipeline_new(f->idx, workers, on_result, s, &p), 0);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = pipeline_push(p, &f->contacts[i]);
	if (r >= 0)
		r = pipeline_finish(p);
	assert_int_equal(r, want);
	assert_null(pipeline_free(p));
}

static void test_same_as_serial(void **state)
{
	(void)state;
	static fixture f;
	static seen ref, got;
	fixture_init(&f);
	run_serial(&f, &ref);
	/* Every 7th contact matches: the fixture must really produce work. */
	assert_true(ref.n >= N_CONTACTS / 7);
	const unsigned workers[] = { 0, 1, 2, 5 };
	for (size_t w = 0; w < ELEMENTSOF(workers); w++) {
		memset(&got, 0, sizeof got);
		run_pipeline(&f, workers[w], N_CONTACTS, &got, 0);
		assert_int_equal(got.n, ref.n);
		for (size_t i = 0; i < ref.n; i++) {
			assert_int_equal(got.record[i], ref.record[i]);
			assert_string_equal(got.relation[i], ref.relation[i]);
			assert_true(got.score[i] == ref.score[i]);
			if (i > 0)
				assert_true(got.record[i] >= got.record[i - 1]);
		}
	}
	fixture_done(&f);
}

static void test_short_and_empty(void **state)
{
	(void)state;
	static fixture f;
	static seen got;
	fixture_init(&f);
	/* Less than a batch (matched on the caller's thread), and nothing. */
	run_pipeline(&f, 2, 30, &got, 0);
	assert_int_equal(got.n, 30 / 7 + 1); /* records 1, 8, 15, 22, 29 (i = 0, 7, ..., 28) */
	assert_int_equal(got.record[0], 1);
	memset(&got, 0, sizeof got);
	run_pipeline(&f, 2, 0, &got, 0);
	assert_int_equal(got.n, 0);
	fixture_done(&f);
}

static void test_callback_error_stops(void **state)
{
	(void)state;
	static fixture f;
	static seen got;
	fixture_init(&f);
	const unsigned workers[] = { 0, 2 };
	for (size_t w = 0; w < ELEMENTSOF(workers); w++) {
		memset(&got, 0, sizeof got);
		got.fail_at = 10;
		run_pipeline(&f, workers[w], N_CONTACTS, &got, -EIO);
		assert_int_equal(got.n, 10);
	}
	fixture_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_serial),
		cmocka_unit_test(test_short_and_empty),
		cmocka_unit_test(test_callback_error_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
