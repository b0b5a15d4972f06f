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

enum {
	COL_ID, COL_EXPECT, COL_FEATURE, COL_RTYPE, COL_RNAME, COL_RALIASES, COL_RDOMAINS,
	COL_RCOMPANY, COL_REMAILS, COL_RLINKEDIN, COL_CFIRST, COL_CLAST, COL_CCOMPANY,
	COL_CEMAIL, COL_CURL, COL_NOTE, COL_N,
};

#define EVAL_MAX_FIELD 4096

/* RFC 4180 as the case files use it: quoted fields with "" escapes, LF/CRLF.
 * Returns the number of columns read, 0 at the end. */
static int csv_read_record(FILE *f, char *cols[COL_N])
{
	char buf[EVAL_MAX_FIELD];
	size_t n = 0, col = 0;
	bool quoted = false, any = false;
	int ch;
	for (size_t i = 0; i < COL_N; i++)
		cols[i] = NULL;
	while ((ch = fgetc(f)) != EOF) {
		any = true;
		if (quoted) {
			if (ch == '"') {
				int nx = fgetc(f);
				if (nx == '"' && n < sizeof buf - 1)
					buf[n++] = '"';
				else if (nx != '"') {
					quoted = false;
					if (nx != EOF)
						ungetc(nx, f);
				}
			} else if (n < sizeof buf - 1)
				buf[n++] = (char)ch;
			continue;
		}
		if (ch == '"' && n == 0) {
			quoted = true;
		} else if (ch == ',' || ch == '\n') {
			buf[n] = '\0';
			if (col < COL_N)
				cols[col++] = strdup(buf);
			n = 0;
			if (ch == '\n')
				return (int)col;
		} else if (ch != '\r' && n < sizeof buf - 1)
			buf[n++] = (char)ch;
	}
	if (!any)
		return 0;
	buf[n] = '\0';
	if (col < COL_N)
		cols[col++] = strdup(buf);
	return (int)col;
}

static char **split_list(const char *s)
{
	char **l = NULL;
	_cleanup_free_ char *copy = isempty(s) ? NULL : strdup(s);
	for (char *p = copy, *next; p; p = next) {
		next = strchr(p, '|');
		if (next)
			*next++ = '\0';
		if (*p && strv_push(&l, p) < 0)
			abort();
	}
	return l;
}

static char *dup_or_null(const char *s)
{
	return isempty(s) ? NULL : strdup(s);
}

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
static int run_case(char *cols[COL_N], char *const *free_mail, bool *review, bool *feature_ok)
{
	relation rel = {
		.id = cols[COL_ID],
		.type = streq(cols[COL_RTYPE], "person") ? RELATION_PERSON : RELATION_COMPANY,
		.name = cols[COL_RNAME],
		.aliases = split_list(cols[COL_RALIASES]),
		.domains = split_list(cols[COL_RDOMAINS]),
		.company = dup_or_null(cols[COL_RCOMPANY]),
		.emails = split_list(cols[COL_REMAILS]),
		.linkedin = dup_or_null(cols[COL_RLINKEDIN]),
	};
	relation_set set = { .items = &rel, .n = 1 };
	contact c = {
		.first = dup_or_null(cols[COL_CFIRST]),
		.last = dup_or_null(cols[COL_CLAST]),
		.company = dup_or_null(cols[COL_CCOMPANY]),
		.emails = split_list(cols[COL_CEMAIL]),
		.urls = split_list(cols[COL_CURL]),
		.record = 1,
	};
	match_options opt = { .person_threshold = 0.90, .company_threshold = 0.92, .free_mail = free_mail };
	match_index *idx = NULL;
	match_list out = {0};
	int got = -1;

	if (asprintf(&c.name, "%s%s%s", cols[COL_CFIRST], *cols[COL_CFIRST] ? " " : "", cols[COL_CLAST]) < 0)
		c.name = NULL;
	if (match_index_new(&set, &opt, &idx) >= 0 && match_contact(idx, &c, &out) >= 0) {
		*review = out.n == 1 && out.items[0].review;
		got = out.n == 1 && !out.items[0].review;
		*feature_ok = isempty(cols[COL_FEATURE]);
		for (size_t i = 0; got && i < out.items[0].n_evidence; i++)
			if (streq(out.items[0].evidence[i].feature, cols[COL_FEATURE]))
				*feature_ok = true;
	}
	match_list_done(&out);
	match_index_free(idx);
	strv_free(rel.aliases);
	strv_free(rel.domains);
	free(rel.company);
	strv_free(rel.emails);
	free(rel.linkedin);
	free(c.first);
	free(c.last);
	free(c.name);
	free(c.company);
	strv_free(c.emails);
	strv_free(c.urls);
	return got;
}

/* Runs a case file; per_case: one TAP line per case (the shared set, where
 * every case must pass), else one summary line per mismatch on stderr. */
static int run_set(const char *path, bool per_case, char *const *free_mail, tally *t)
{
	FILE *f = fopen(path, "re");
	char *cols[COL_N];
	int nc;

	if (!f)
		return -errno;
	nc = csv_read_record(f, cols); /* header */
	for (size_t i = 0; i < COL_N; i++)
		free(cols[i]);
	while (nc > 0 && (nc = csv_read_record(f, cols)) > 0) {
		bool review = false, feature_ok = false;
		int got = nc == COL_N ? run_case(cols, free_mail, &review, &feature_ok) : -1;
		bool want = nc == COL_N && streq(cols[COL_EXPECT], "match");
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
				tap(ok, path, cols[COL_ID]);
			if (!ok)
				fprintf(stderr, "# %s %s: expected %s%s, got %s%s (%s)\n", path, cols[COL_ID],
					cols[COL_EXPECT], want && !feature_ok && got ? " (feature)" : "",
					got ? "match" : "no_match", review ? " [review]" : "", cols[COL_NOTE]);
		}
		for (size_t i = 0; i < COL_N; i++)
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
