/* eval.c — measures the matcher: runs every pair of a labelled set
 * (tests/data/matching/shared-cases.csv from the spec, tests/eval/labelled.csv
 * from tests/eval/make_labelled.py) through match_index_new + match_contact
 * and prints precision, recall and F1 per set, as TAP so that
 * tests/run-tests counts it. Fails when a figure drops below its floor in
 * tests/eval/floor.txt ("SET METRIC VALUE" per line), and on any shared case
 * that is not as the spec says. A review-band result counts as "no match":
 * the labels are about alerts. Run from the repository root. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "contactwatch/match.h"
#include "contactwatch/names.h"
#include "cases.h"

typedef struct tally {
	size_t tp, fp, fn, tn, review;
} tally;

static double ratio(size_t a, size_t b)
{
	return b ? (double)a / (double)b : 1.0;
}

static unsigned tap_n;

static void tap(bool ok, const char *a, const char *b)
{
	printf("%s %u - %s %s\n", ok ? "ok" : "not ok", ++tap_n, a, b);
}

/* Runs one case; returns 1 for a predicted match, 0 for none (or review);
 * *feature_ok says whether the expected feature is among the evidence. */
static int run_case(char *cols[CASE_N], char *const *free_mail, bool *review, bool *feature_ok)
{
	case_pair cp;
	cases_pair_init(&cp, cols, 1);
	relation_set set = { .items = &cp.rel, .n = 1 };
	match_options opt = { .person_threshold = 0.90, .company_threshold = 0.92, .free_mail = free_mail };
	match_index *idx = NULL;
	match_list out = {0};
	int got = -1;

	if (match_index_new(&set, &opt, &idx) >= 0 && match_contact(idx, &cp.c, &out) >= 0) {
		*review = out.n == 1 && out.items[0].review;
		got = out.n == 1 && !out.items[0].review;
		*feature_ok = isempty(cols[CASE_FEATURE]);
		for (size_t i = 0; got && i < out.items[0].n_evidence; i++)
			if (streq(out.items[0].evidence[i].feature, cols[CASE_FEATURE]))
				*feature_ok = true;
	}
	match_list_done(&out);
	match_index_free(idx);
	cases_pair_done(&cp);
	return got;
}

/* Runs a case file; per_case: one TAP line per case (the shared set, where
 * every case must pass), else one summary line per mismatch on stderr. */
static int run_set(const char *path, bool per_case, char *const *free_mail, tally *t)
{
	FILE *f = fopen(path, "re");
	char *cols[CASE_N];
	int nc;

	if (!f)
		return -errno;
	nc = cases_read_row(f, cols); /* header */
	for (size_t i = 0; i < CASE_N; i++)
		free(cols[i]);
	while (nc > 0 && (nc = cases_read_row(f, cols)) > 0) {
		bool review = false, feature_ok = false;
		int got = nc == CASE_N ? run_case(cols, free_mail, &review, &feature_ok) : -1;
		bool want = nc == CASE_N && streq(cols[CASE_EXPECT], "match");
		if (got < 0)
			tap(false, path, "unreadable case or matcher error");
		else {
			t->tp += got && want;
			t->fp += got && !want;
			t->fn += !got && want;
			t->tn += !got && !want;
			t->review += review;
			bool ok = (got == 1) == want && (!got || feature_ok);
			if (per_case)
				tap(ok, path, cols[CASE_ID]);
			if (!ok)
				fprintf(stderr, "# %s %s: expected %s%s, got %s%s (%s)\n", path, cols[CASE_ID],
					cols[CASE_EXPECT], want && !feature_ok && got ? " (feature)" : "",
					got ? "match" : "no_match", review ? " [review]" : "", cols[CASE_NOTE]);
		}
		for (size_t i = 0; i < CASE_N; i++)
			free(cols[i]);
	}
	fclose(f);
	return 0;
}

/* The floor for set/metric from floor.txt; 0 when not listed. */
static double floor_of(const char *set, const char *metric)
{
	FILE *f = fopen("tests/eval/floor.txt", "re");
	char line[256], s[64], m[64];
	double v = 0;
	while (f && fgets(line, sizeof line, f)) {
		if (line[0] == '#' || sscanf(line, "%63s %63s", s, m) != 2)
			continue;
		if (streq(s, set) && streq(m, metric)) {
			const char *p = line + strspn(line, " \t");
			p += strcspn(p, " \t");
			p += strspn(p, " \t");
			p += strcspn(p, " \t");
			v = strtod(p, NULL);
		}
	}
	if (f)
		fclose(f);
	return v;
}

static void report(const char *set, const tally *t)
{
	double p = ratio(t->tp, t->tp + t->fp), r = ratio(t->tp, t->tp + t->fn);
	double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
	const struct {
		const char *name;
		double v;
	} metrics[] = { { "precision", p }, { "recall", r }, { "f1", f1 } };

	printf("# %s: %zu pairs (%zu positive), tp %zu fp %zu fn %zu tn %zu, %zu in the review band\n", set,
	       t->tp + t->fp + t->fn + t->tn, t->tp + t->fn, t->tp, t->fp, t->fn, t->tn, t->review);
	printf("# %s: precision %.4f recall %.4f F1 %.4f\n", set, p, r, f1);
	for (size_t i = 0; i < ELEMENTSOF(metrics); i++) {
		double fl = floor_of(set, metrics[i].name);
		char what[64];
		snprintf(what, sizeof what, "%.4f >= %.4f", metrics[i].v, fl);
		tap(metrics[i].v + 1e-9 >= fl, set, metrics[i].name);
		printf("# %s %s %s\n", set, metrics[i].name, what);
	}
}

int main(void)
{
	char **free_mail = NULL;
	tally shared = {0}, labelled = {0};
	int r1, r2;

	for (const char *const *f = names_free_mail_builtin; *f; f++)
		if (strv_push(&free_mail, *f) < 0)
			return 1;
	/* The plan: 36 shared cases + 3 figures for each set. */
	printf("1..%d\n", 36 + 6);
	r1 = run_set("tests/data/matching/shared-cases.csv", true, free_mail, &shared);
	r2 = run_set("tests/eval/labelled.csv", false, free_mail, &labelled);
	if (r1 < 0 || r2 < 0)
		fprintf(stderr, "# cannot read a case file: %s\n", strerror(r1 < 0 ? -r1 : -r2));
	report("shared", &shared);
	report("labelled", &labelled);
	strv_free(free_mail);
	return 0;
}
