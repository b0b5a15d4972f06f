/* test_relations.c — catalogue loading: JSON (object and array forms) and
 * CSV, normalisation, every error message with its file and line, the
 * free-mail warning and the duplicate-id check across catalogues. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "contactwatch/relations.h"
#include "golden.h"

typedef struct fixture {
	char dir[64];
	char path[256];
	diag_list d;
	relation_set set;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/cw-test-relations-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	diag_done(&f->d);
	relation_set_done(&f->set);
	int r = golden_rmtree(f->dir);
	free(f);
	return r;
}

/* Writes name into the fixture directory; f->path is its path. */
static const char *put(fixture *f, const char *name, const char *content)
{
	snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
	FILE *fp = fopen(f->path, "we");
	assert_non_null(fp);
	assert_int_equal(fputs(content, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return f->path;
}

static void assert_diag(char **l, size_t i, const char *dir, const char *fmt_tail)
{
	char want[1024];
	snprintf(want, sizeof want, "%s/%s", dir, fmt_tail);
	assert_true(strv_length(l) > i);
	assert_string_equal(l[i], want);
}

static const char *const free_mail[] = { "gmail.com", "hotmail.nl", "ziggo.nl", NULL };

static void test_json_object(void **state)
{
	fixture *f = *state;
	const char *p = put(f, "key-accounts.json",
			    "{\n"
			    "  \"relations\": [\n"
			    "    {\"id\": \"R001\", \"type\": \"company\", \"name\": \"Bouwbedrijf Jansen B.V.\",\n"
			    "     \"aliases\": [\"Jansen Bouw\"], \"domains\": [\" JansenBouw.NL \", \"@mail.jansenbouw.nl\"],\n"
			    "     \"linkedin\": \"https://www.linkedin.com/company/jansen-bouw\"},\n"
			    "    {\"id\": \"R002\", \"type\": \"person\", \"name\": \"Petra van den Berg\",\n"
			    "     \"company\": \"Acme Logistics\", \"emails\": [\"p.vandenberg@acme.nl\"],\n"
			    "     \"linkedin\": \"https://www.linkedin.com/in/petravdberg\", \"aliases\": null}\n"
			    "  ]\n"
			    "}\n");

	assert_int_equal(relations_load_file(&f->set, p, (char *const *)free_mail, &f->d), 0);
	assert_int_equal(diag_n_errors(&f->d), 0);
	assert_null(f->d.warnings);
	assert_int_equal(f->set.n, 2);

	const relation *a = &f->set.items[0], *b = &f->set.items[1];
	assert_string_equal(a->id, "R001");
	assert_int_equal(a->type, RELATION_COMPANY);
	assert_string_equal(a->name, "Bouwbedrijf Jansen B.V.");
	assert_int_equal(strv_length(a->aliases), 1);
	assert_string_equal(a->aliases[0], "Jansen Bouw");
	assert_int_equal(strv_length(a->domains), 2);
	assert_string_equal(a->domains[0], "jansenbouw.nl");
	assert_string_equal(a->domains[1], "mail.jansenbouw.nl");
	assert_null(a->company);
	assert_null(a->emails);
	assert_string_equal(a->linkedin, "https://www.linkedin.com/company/jansen-bouw");
	assert_string_equal(a->source, p);

	assert_string_equal(b->id, "R002");
	assert_int_equal(b->type, RELATION_PERSON);
	assert_string_equal(b->company, "Acme Logistics");
	assert_int_equal(strv_length(b->emails), 1);
	assert_string_equal(b->emails[0], "p.vandenberg@acme.nl");
	assert_null(b->aliases);
	assert_null(b->domains);

	assert_string_equal(relation_type_to_string(RELATION_COMPANY), "company");
	assert_string_equal(relation_type_to_string(RELATION_PERSON), "person");
}

static void test_json_array_appends(void **state)
{
	fixture *f = *state;
	const char *p = put(f, "a.json", "[{\"id\":\"X1\",\"type\":\"company\",\"name\":\"Acme\"}]");
	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), 0);
	p = put(f, "b.json", "[{\"id\":\"X2\",\"type\":\"Person\",\"name\":\"Piet Pietersen\"},\n"
			     " {\"id\":\"X3\",\"type\":\"company\",\"name\":\"Beta\"}]");
	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), 0);
	assert_int_equal(f->set.n, 3);
	assert_string_equal(f->set.items[0].id, "X1");
	assert_string_equal(f->set.items[2].id, "X3");
	assert_int_equal(f->set.items[1].type, RELATION_PERSON);
	assert_int_equal(relations_check_unique(&f->set, "staff.d/E1.conf", 9, &f->d), 0);
	assert_int_equal(diag_n_errors(&f->d), 0);
}

static void test_json_errors(void **state)
{
	fixture *f = *state;
	const char *p = put(f, "bad.json",
			    "{\"relations\": [\n"
			    "  {\"id\": \"R1\", \"type\": \"company\", \"name\": \"Good\"},\n"
			    "  {\"id\": \"R2\", \"type\": \"company\", \"name\": \"Acme\", \"website\": \"x\"},\n"
			    "  {\"id\": \"R3\", \"type\": \"supplier\", \"name\": \"Beta\"},\n"
			    "  {\"id\": \"R4\", \"type\": \"person\"},\n"
			    "  {\"id\": \"R5\", \"type\": \"company\", \"name\": \"Gamma\", \"domains\": \"gamma.nl\"},\n"
			    "  {\"type\": \"company\", \"name\": \"Delta\"},\n"
			    "  {\"id\": 6, \"type\": \"company\", \"name\": \"Eps\"},\n"
			    "  \"R7\",\n"
			    "  {\"id\": \"R8\", \"type\": \"company\", \"name\": \"Zeta\", \"domains\": [\"not a domain\"]},\n"
			    "  {\"id\": \"R9\", \"type\": \"person\", \"name\": \"Eta\", \"emails\": [\"nobody\"]}\n"
			    "]}\n");

	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
	assert_int_equal(diag_n_errors(&f->d), 9);
	assert_diag(f->d.errors, 0, f->dir, "bad.json:3: relation 2 (id R2): unknown field \"website\"");
	assert_diag(f->d.errors, 1, f->dir, "bad.json:4: relation 3 (id R3): type must be company or person, not \"supplier\"");
	assert_diag(f->d.errors, 2, f->dir, "bad.json:5: relation 4 (id R4): missing required field \"name\"");
	assert_diag(f->d.errors, 3, f->dir, "bad.json:6: relation 5 (id R5): field \"domains\" must be an array of strings");
	assert_diag(f->d.errors, 4, f->dir, "bad.json:7: relation 6: missing required field \"id\"");
	assert_diag(f->d.errors, 5, f->dir, "bad.json:8: relation 7: field \"id\" must be a string");
	assert_diag(f->d.errors, 6, f->dir, "bad.json:9: relation 8: expected an object");
	assert_diag(f->d.errors, 7, f->dir, "bad.json:10: relation 9 (id R8): invalid domain \"not a domain\"");
	assert_diag(f->d.errors, 8, f->dir, "bad.json:11: relation 10 (id R9): invalid e-mail address \"nobody\"");
	/* What could be read is kept. */
	assert_int_equal(f->set.n, 1);
	assert_string_equal(f->set.items[0].id, "R1");
}

static void test_json_syntax_error(void **state)
{
	fixture *f = *state;
	char want[512];
	const char *p = put(f, "broken.json", "{\"relations\": [\n  {\"id\": \"R1\",\n   \"type\": company}\n]}\n");

	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
	assert_int_equal(diag_n_errors(&f->d), 1);
	snprintf(want, sizeof want, "%s:3: invalid JSON: ", p);
	assert_memory_equal(f->d.errors[0], want, strlen(want));

	diag_done(&f->d);
	p = put(f, "extra.json", "{\"relations\": [], \"version\": 2}");
	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
	assert_diag(f->d.errors, 0, f->dir, "extra.json: unknown top-level field \"version\"");

	diag_done(&f->d);
	p = put(f, "dup.json", "{\"relations\": [{\"id\":\"A\",\"id\":\"B\",\"type\":\"company\",\"name\":\"N\"}]}");
	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
	snprintf(want, sizeof want, "%s:1: invalid JSON: duplicate object key", p);
	assert_memory_equal(f->d.errors[0], want, strlen(want));
	assert_int_equal(f->set.n, 0);
}

/* The element-by-element parse must say exactly what the whole-file parse
 * says: an error inside a later element takes back what earlier ones
 * reported, and odd shapes fall back to the whole file. */
static void test_json_element_parse(void **state)
{
	fixture *f = *state;
	char want[512];
	const char *p = put(f, "late.json",
			    "[\n{\"id\":\"R1\",\"type\":\"company\",\"name\":\"A\",\"website\":\"x\"},\n"
			    "{\"id\":\"R2\",\"type\":\"company\",\"name\":\"B\",\"domains\":[\"gmail.com\"]},\n"
			    "{\"id\":\"R3\",\"type\":\"company\",\"name\":\"C\",\"domains\":[1,]}\n]\n");

	assert_int_equal(relations_load_file(&f->set, p, (char *const *)free_mail, &f->d), -EINVAL);
	assert_int_equal(diag_n_errors(&f->d), 1);
	assert_int_equal(strv_length(f->d.warnings), 0);
	snprintf(want, sizeof want, "%s:4: invalid JSON: ", p);
	assert_memory_equal(f->d.errors[0], want, strlen(want));
	assert_int_equal(f->set.n, 0);

	/* Trailing comma, empty element, a second "relations", a non-array. */
	static const char *const bad[] = {
		"[{\"id\":\"R1\",\"type\":\"company\",\"name\":\"A\"},]",
		"[{\"id\":\"R1\",\"type\":\"company\",\"name\":\"A\"},,{}]",
		"{\"relations\": [], \"relations\": [{}]}",
		"[{\"id\":\"R1\",\"type\":\"company\",\"name\":\"A\"}",
		"[{\"id\":\"R1\"}] x",
		"[}",
		"[{},}",
		"{\"relations\": [,]}",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		diag_done(&f->d);
		p = put(f, "bad.json", bad[i]);
		assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
		assert_int_equal(diag_n_errors(&f->d), 1);
		snprintf(want, sizeof want, "%s:1: invalid JSON: ", p);
		assert_memory_equal(f->d.errors[0], want, strlen(want));
	}
	diag_done(&f->d);
	p = put(f, "notarray.json", "{\"relations\": {\"id\": \"R1\"}}");
	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
	assert_diag(f->d.errors, 0, f->dir, "notarray.json: expected \"relations\": an array of relations");
	assert_int_equal(f->set.n, 0);

	/* Elements that are arrays or strings; brackets inside strings. */
	diag_done(&f->d);
	p = put(f, "shapes.json", "{\"relations\":\n[[1,[2]],\n\"x]\\\"\",\n{\"id\":\"R1\",\"type\":\"company\",\"name\":\"[A],{B}\"}]}");
	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
	assert_int_equal(diag_n_errors(&f->d), 2);
	assert_diag(f->d.errors, 0, f->dir, "shapes.json:2: relation 1: expected an object");
	assert_diag(f->d.errors, 1, f->dir, "shapes.json:3: relation 2: expected an object");
	assert_int_equal(f->set.n, 1);
	assert_string_equal(f->set.items[0].name, "[A],{B}");
}

/* Every way to write a string, and null and empty lists: read the same
 * whichever parser takes the relation (the fast one takes these). */
static void test_json_strings(void **state)
{
	fixture *f = *state;
	const char *p = put(f, "strings.json",
			    "[\n{\"id\": \"S1\", \"type\": \"company\", \"name\": \"Caf\\u00e9 \\\"Noir\\\" \\\\ \\/ \\b\\f\\n\\r\\t end\", "
			    "\"aliases\": [\"J\\u00fcrgen\", \"Zo\xc3\xab\", \"\\ud83d\\ude00\", \"  padded  \", \"\"], \"company\": null,"
			    " \"emails\": [], \"linkedin\": \"x\\u007fy\"},\n"
			    "{ \"id\" : \"S2\" ,\t\"type\":\"Person\",\r\n\"name\":\"Raw \xe2\x82\xac\",\"aliases\":null , \"domains\" : [ ] }\n]\n");

	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), 0);
	assert_int_equal(diag_n_errors(&f->d), 0);
	assert_int_equal(f->set.n, 2);
	assert_string_equal(f->set.items[0].name, "Caf\xc3\xa9 \"Noir\" \\ / \b\f\n\r\t end");
	assert_string_equal(f->set.items[0].aliases[0], "J\xc3\xbcrgen");
	assert_string_equal(f->set.items[0].aliases[1], "Zo\xc3\xab");
	assert_string_equal(f->set.items[0].aliases[2], "\xf0\x9f\x98\x80");
	assert_string_equal(f->set.items[0].aliases[3], "padded");
	assert_null(f->set.items[0].aliases[4]);
	assert_null(f->set.items[0].company);
	assert_null(f->set.items[0].emails);
	assert_string_equal(f->set.items[0].linkedin, "x\x7fy");
	assert_int_equal(f->set.items[1].type, RELATION_PERSON);
	assert_string_equal(f->set.items[1].name, "Raw \xe2\x82\xac");
	assert_null(f->set.items[1].aliases);
	assert_null(f->set.items[1].domains);
}

/* What the fast parser leaves to jansson (a null in a list, numbers,
 * objects) still gets jansson's reading, with each relation's line; what
 * jansson rejects inside an element (\u0000, a lone surrogate, a byte that
 * is not UTF-8, a control character) is a syntax error at its line. */
static void test_json_left_to_jansson(void **state)
{
	fixture *f = *state;
	char want[512];
	const char *p = put(f, "mixed.json",
			    "[\n{\"id\": \"T1\", \"type\": \"company\", \"name\": \"A\", \"aliases\": [\"ok\", null]},\n"
			    "{\"id\": \"T2\", \"type\": \"company\", \"name\": \"B\", \"website\": 1.5e3},\n"
			    "{\"id\": \"T3\", \"type\": \"company\", \"name\": \"C\\u0041\", \"aliases\": [\"x\"]},\n"
			    "{\"id\": \"T4\", \"type\": \"company\", \"name\": \"D\", \"company\": {\"x\": true}}\n]\n");

	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
	assert_int_equal(diag_n_errors(&f->d), 3);
	assert_diag(f->d.errors, 0, f->dir, "mixed.json:2: relation 1 (id T1): field \"aliases\" must be an array of strings");
	assert_diag(f->d.errors, 1, f->dir, "mixed.json:3: relation 2 (id T2): unknown field \"website\"");
	assert_diag(f->d.errors, 2, f->dir, "mixed.json:5: relation 4 (id T4): field \"company\" must be a string");
	assert_int_equal(f->set.n, 1);
	assert_string_equal(f->set.items[0].name, "CA");

	static const char *const bad[] = { "\\u0000", "\\ud800", "\\udc00x", "\\ud83d\\u0041", "\xff", "\xed\xa0\x80",
					   "\xc0\xaf", "\x01", "\\x", "\\u12G4" };
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char text[256];
		diag_done(&f->d);
		relation_set_done(&f->set);
		snprintf(text, sizeof text,
			 "[\n{\"id\": \"U1\", \"type\": \"company\", \"name\": \"A\", \"website\": 1},\n"
			 "{\"id\": \"U2\", \"type\": \"company\", \"name\": \"a%sb\"}\n]\n", bad[i]);
		p = put(f, "bad.json", text);
		assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
		assert_int_equal(diag_n_errors(&f->d), 1);
		snprintf(want, sizeof want, "%s:3: invalid JSON: ", p);
		assert_memory_equal(f->d.errors[0], want, strlen(want));
		assert_int_equal(f->set.n, 0);
	}
}

/* Deep nesting goes to the whole-file parse, which still finds the line. */
static void test_json_deep(void **state)
{
	fixture *f = *state;
	char buf[4096];
	size_t k = 0;

	k += (size_t)snprintf(buf + k, sizeof buf - k, "[\n{\"id\":\"R1\",\"type\":\"company\",\"name\":\"A\"},\n"
							  "{\"id\":\"R2\",\"type\":\"company\",\"name\":\"B\",\"aliases\":");
	for (int i = 0; i < 300; i++)
		buf[k++] = '[';
	for (int i = 0; i < 300; i++)
		buf[k++] = ']';
	snprintf(buf + k, sizeof buf - k, "}\n]\n");
	const char *p = put(f, "deep.json", buf);
	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
	assert_int_equal(diag_n_errors(&f->d), 1);
	assert_diag(f->d.errors, 0, f->dir, "deep.json:3: relation 2 (id R2): field \"aliases\" must be an array of strings");
	assert_int_equal(f->set.n, 1);
}

/* Thousands of relations: lines stay right, one source string per file,
 * every string owned by the set (ASan checks the free). */
static void test_json_many(void **state)
{
	fixture *f = *state;
	const size_t n = 5000;
	size_t cap = n * 160 + 128, k = 0;
	char *buf = malloc(cap);

	assert_non_null(buf);
	k += (size_t)snprintf(buf + k, cap - k, "{\"relations\": [\n");
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(buf + k, cap - k,
				      "%s{\"id\": \"R%zu\", \"type\": \"company\", \"name\": \"Firm %zu\", "
				      "\"aliases\": [\"F%zu\"], \"domains\": [\"firm%zu.nl\"]}\n",
				      i ? "," : "", i, i, i, i);
	/* One bad one at the end: line n + 1 (the array opens on line 1). */
	snprintf(buf + k, cap - k, ",{\"id\": \"BAD\", \"type\": \"x\", \"name\": \"N\"}]}\n");
	const char *p = put(f, "many.json", buf);
	free(buf);

	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
	assert_int_equal(diag_n_errors(&f->d), 1);
	snprintf(f->path, sizeof f->path, "many.json:%zu: relation %zu (id BAD): type must be company or person, not \"x\"",
		 n + 2, n + 1);
	assert_diag(f->d.errors, 0, f->dir, f->path);
	assert_int_equal(f->set.n, n);
	assert_string_equal(f->set.items[n - 1].id, "R4999");
	assert_string_equal(f->set.items[n - 1].aliases[0], "F4999");
	assert_null(f->set.items[n - 1].aliases[1]);
	assert_string_equal(f->set.items[n - 1].domains[0], "firm4999.nl");
	assert_null(f->set.items[n - 1].emails);
	for (size_t i = 1; i < n; i++)
		assert_ptr_equal(f->set.items[i].source, f->set.items[0].source);
	assert_int_equal(relations_check_unique(&f->set, "E1.conf", 3, &f->d), 0);
}

/* A catalogue large enough to be read on several threads (one per CPU,
 * each a run of relations) must load exactly as one thread reads it:
 * relations in file order behind those already in the set, errors and
 * warnings from every part in file order with their lines, what the fast
 * parser leaves to jansson read by jansson, and a syntax error in a late
 * part reported by the whole-file parse with nothing of the file kept. */
static void test_json_parallel(void **state)
{
	fixture *f = *state;
	const size_t n = 20000;
	size_t cap = n * 160 + 256, k = 0;
	char *buf = malloc(cap);
	char want[256];

	assert_non_null(buf);
	const char *p = put(f, "first.json", "[{\"id\": \"A0\", \"type\": \"person\", \"name\": \"An Vos\"}]");
	assert_int_equal(relations_load_file(&f->set, p, (char *const *)free_mail, &f->d), 0);
	k += (size_t)snprintf(buf + k, cap - k, "{\"relations\": [\n");
	for (size_t i = 0; i < n; i++) {
		const char *sep = i ? "," : "";
		if (i == 100 || i == 12000 || i == 19999)
			k += (size_t)snprintf(buf + k, cap - k, "%s{\"id\": \"BAD%zu\", \"type\": \"x\", \"name\": \"N\"}\n",
					      sep, i);
		else if (i == 50 || i == 10001 || i == 15000)
			k += (size_t)snprintf(buf + k, cap - k,
					      "%s{\"id\": \"R%zu\", \"type\": \"company\", \"name\": \"Firm %zu\", "
					      "\"domains\": [\"firm%zu.nl\", \"gmail.com\"]}\n",
					      sep, i, i, i);
		else if (i == 13000) /* a number in a list: jansson's to read */
			k += (size_t)snprintf(buf + k, cap - k,
					      "%s{\"id\": \"J%zu\", \"type\": \"company\", \"name\": \"N\", \"aliases\": [1]}\n",
					      sep, i);
		else
			k += (size_t)snprintf(buf + k, cap - k,
					      "%s{\"id\": \"R%zu\", \"type\": \"company\", \"name\": \"Firm %zu\", "
					      "\"aliases\": [\"F%zu\"], \"domains\": [\"firm%zu.nl\"]}\n",
					      sep, i, i, i, i);
	}
	snprintf(buf + k, cap - k, "]}\n");
	p = put(f, "big.json", buf);

	/* Relation i (0-based) is on line i + 2. */
	assert_int_equal(relations_load_file(&f->set, p, (char *const *)free_mail, &f->d), -EINVAL);
	const size_t bad[] = { 100, 12000, 13000, 19999 };
	assert_int_equal(diag_n_errors(&f->d), 4);
	for (size_t i = 0; i < 4; i++) {
		if (bad[i] == 13000)
			snprintf(want, sizeof want, "big.json:%zu: relation %zu (id J13000): field \"aliases\" must be "
				 "an array of strings", bad[i] + 2, bad[i] + 1);
		else
			snprintf(want, sizeof want, "big.json:%zu: relation %zu (id BAD%zu): type must be company or "
				 "person, not \"x\"", bad[i] + 2, bad[i] + 1, bad[i]);
		assert_diag(f->d.errors, i, f->dir, want);
	}
	const size_t free_at[] = { 50, 10001, 15000 };
	assert_int_equal(strv_length(f->d.warnings), 3);
	for (size_t i = 0; i < 3; i++) {
		snprintf(want, sizeof want, "big.json:%zu: relation %zu (id R%zu): domain gmail.com is a free-mail or "
			 "ISP domain and identifies no employer; ignored", free_at[i] + 2, free_at[i] + 1, free_at[i]);
		assert_diag(f->d.warnings, i, f->dir, want);
	}
	/* Behind the first file's one, in order, the bad ones left out. */
	assert_int_equal(f->set.n, 1 + n - 4);
	assert_string_equal(f->set.items[0].id, "A0");
	for (size_t i = 0, at = 1; i < n; i++) {
		if (i == 100 || i == 12000 || i == 13000 || i == 19999)
			continue;
		const relation *r = &f->set.items[at++];
		snprintf(want, sizeof want, "R%zu", i);
		assert_string_equal(r->id, want);
		snprintf(want, sizeof want, "firm%zu.nl", i);
		assert_string_equal(r->domains[0], want);
		assert_null(r->domains[1]);
		assert_ptr_equal(r->source, f->set.items[1].source);
	}
	assert_string_equal(f->set.items[1].source, p);
	assert_int_equal(relations_check_unique(&f->set, "E1.conf", 3, &f->d), 0);

	/* Not JSON inside relation 18,001: only the whole-file parse's error. */
	diag_done(&f->d);
	char *at = strstr(buf, "\"id\": \"R18000\", \"type\": \"company\"");
	assert_non_null(at);
	memcpy(strstr(at, "\"company\""), " company ", 9);
	p = put(f, "broken.json", buf);
	free(buf);
	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
	assert_int_equal(diag_n_errors(&f->d), 1);
	assert_null(f->d.warnings);
	snprintf(want, sizeof want, "%s:%d: invalid JSON: ", p, 18000 + 2);
	assert_memory_equal(f->d.errors[0], want, strlen(want));
	assert_int_equal(f->set.n, 1 + n - 4);
}

static void test_csv(void **state)
{
	fixture *f = *state;
	const char *p = put(f, "people.csv",
			    "\xef\xbb\xbf" "ID,Type,Name,Aliases,Domains,Company,Emails,LinkedIn\r\n"
			    "R010,company,\"Kight, MS Holding\",\"Kight|\"\"KMS\"\"\",kight.nl| KIGHT.com ,,,\r\n"
			    "\r\n"
			    "R011,person,Jan de Vries,,,\"Acme\r\nLogistics\",jan@acme.nl|j.devries@acme.nl,"
			    "https://www.linkedin.com/in/jdv\r\n"
			    "R012,person,Zoë Bakker-de Wit,,,,,\n");

	assert_int_equal(relations_load_file(&f->set, p, (char *const *)free_mail, &f->d), 0);
	assert_int_equal(diag_n_errors(&f->d), 0);
	assert_int_equal(f->set.n, 3);
	const relation *a = &f->set.items[0], *b = &f->set.items[1], *c = &f->set.items[2];
	assert_string_equal(a->id, "R010");
	assert_string_equal(a->name, "Kight, MS Holding");
	assert_int_equal(strv_length(a->aliases), 2);
	assert_string_equal(a->aliases[0], "Kight");
	assert_string_equal(a->aliases[1], "\"KMS\"");
	assert_int_equal(strv_length(a->domains), 2);
	assert_string_equal(a->domains[1], "kight.com");
	assert_null(a->company);
	assert_null(a->linkedin);
	assert_string_equal(b->company, "Acme\r\nLogistics");
	assert_int_equal(strv_length(b->emails), 2);
	assert_string_equal(b->emails[1], "j.devries@acme.nl");
	assert_string_equal(b->linkedin, "https://www.linkedin.com/in/jdv");
	assert_string_equal(c->name, "Zoë Bakker-de Wit");
	assert_int_equal(c->type, RELATION_PERSON);
}

static void test_csv_errors(void **state)
{
	fixture *f = *state;
	const char *p = put(f, "hdr.csv", "id,kind,name,website\nR1,company,Acme,x\n");
	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
	assert_int_equal(diag_n_errors(&f->d), 3);
	assert_diag(f->d.errors, 0, f->dir, "hdr.csv:1: unknown column \"kind\"");
	assert_diag(f->d.errors, 1, f->dir, "hdr.csv:1: unknown column \"website\"");
	assert_diag(f->d.errors, 2, f->dir, "hdr.csv:1: missing required column \"type\"");
	assert_int_equal(f->set.n, 0);

	diag_done(&f->d);
	p = put(f, "rows.csv",
		"id,type,name,domains\n"
		"R1,company,Acme,acme.nl\n"
		"R2,company,Beta\n"
		"R3,company,,beta.nl\n"
		"R4,company,\"Gamma\" BV,gamma.nl\n");
	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
	assert_int_equal(diag_n_errors(&f->d), 3);
	assert_diag(f->d.errors, 0, f->dir, "rows.csv:3: relation 2: 3 fields where the header has 4");
	assert_diag(f->d.errors, 1, f->dir, "rows.csv:4: relation 3 (id R3): missing required field \"name\"");
	assert_diag(f->d.errors, 2, f->dir, "rows.csv:5: malformed CSV: unbalanced or stray quote");
	assert_int_equal(f->set.n, 1);

	diag_done(&f->d);
	p = put(f, "empty.csv", "\n\n");
	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), -EINVAL);
	assert_diag(f->d.errors, 0, f->dir, "empty.csv: empty file: expected a header line (id,type,name,...)");
}

static void test_free_mail_warning(void **state)
{
	fixture *f = *state;
	const char *p = put(f, "fm.json",
			    "[\n"
			    " {\"id\": \"R1\", \"type\": \"company\", \"name\": \"Acme\",\n"
			    "  \"domains\": [\"acme.nl\", \"Gmail.com\"]},\n"
			    " {\"id\": \"R2\", \"type\": \"company\", \"name\": \"Beta\", \"domains\": [\"mail.hotmail.nl\"]}\n"
			    "]\n");

	assert_int_equal(relations_load_file(&f->set, p, (char *const *)free_mail, &f->d), 0);
	assert_int_equal(diag_n_errors(&f->d), 0);
	assert_int_equal(strv_length(f->d.warnings), 2);
	assert_diag(f->d.warnings, 0, f->dir,
		    "fm.json:2: relation 1 (id R1): domain gmail.com is a free-mail or ISP domain and identifies no "
		    "employer; ignored");
	assert_diag(f->d.warnings, 1, f->dir,
		    "fm.json:4: relation 2 (id R2): domain mail.hotmail.nl is a free-mail or ISP domain and identifies "
		    "no employer; ignored");
	assert_int_equal(f->set.n, 2);
	assert_int_equal(strv_length(f->set.items[0].domains), 1);
	assert_string_equal(f->set.items[0].domains[0], "acme.nl");
	assert_null(f->set.items[1].domains);
	/* "notgmail.com" is not under gmail.com. */
	diag_done(&f->d);
	p = put(f, "fm2.json", "[{\"id\":\"R3\",\"type\":\"company\",\"name\":\"N\",\"domains\":[\"notgmail.com\"]}]");
	assert_int_equal(relations_load_file(&f->set, p, (char *const *)free_mail, &f->d), 0);
	assert_null(f->d.warnings);
}

static void test_duplicates(void **state)
{
	fixture *f = *state;
	char a[256], b[256], want[1024];

	snprintf(a, sizeof a, "%s", put(f, "a.json", "[{\"id\":\"R1\",\"type\":\"company\",\"name\":\"Acme\"},"
						       "{\"id\":\"R2\",\"type\":\"company\",\"name\":\"Beta\"}]"));
	snprintf(b, sizeof b, "%s", put(f, "b.csv", "id,type,name\nR3,company,Gamma\nR1,company,Acme Again\n"));
	assert_int_equal(relations_load_file(&f->set, a, NULL, &f->d), 0);
	assert_int_equal(relations_load_file(&f->set, b, NULL, &f->d), 0);
	assert_int_equal(f->set.n, 4);
	/* One source string per file, shared by its relations. */
	assert_ptr_equal(f->set.items[0].source, f->set.items[1].source);
	assert_ptr_equal(f->set.items[2].source, f->set.items[3].source);
	assert_string_equal(f->set.items[2].source, b);
	assert_int_equal(relations_check_unique(&f->set, "/etc/contactwatch/staff.d/E1.conf", 12, &f->d), -EINVAL);
	assert_int_equal(diag_n_errors(&f->d), 1);
	snprintf(want, sizeof want, "/etc/contactwatch/staff.d/E1.conf:12: duplicate relation id R1 (in %s and %s)", a,
		 b);
	assert_string_equal(f->d.errors[0], want);
}

static void test_files(void **state)
{
	fixture *f = *state;
	char link[300], missing[300];

	const char *p = put(f, "real.json", "[]");
	snprintf(link, sizeof link, "%s/link.json", f->dir);
	assert_int_equal(symlink(p, link), 0);
	assert_int_equal(relations_load_file(&f->set, link, NULL, &f->d), -ELOOP);
	assert_diag(f->d.errors, 0, f->dir, "link.json: is a symbolic link; catalogues are not followed through links");

	snprintf(missing, sizeof missing, "%s/missing.json", f->dir);
	assert_int_equal(relations_load_file(&f->set, missing, NULL, &f->d), -ENOENT);
	assert_diag(f->d.errors, 1, f->dir, "missing.json: No such file or directory");

	assert_int_equal(relations_load_file(&f->set, f->dir, NULL, &f->d), -EISDIR);
	assert_int_equal(diag_n_errors(&f->d), 3);

	/* An empty catalogue is fine. */
	assert_int_equal(relations_load_file(&f->set, p, NULL, &f->d), 0);
	assert_int_equal(f->set.n, 0);
	relation_set_done(&f->set);
	relation_set_done(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_array_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_syntax_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_element_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_left_to_jansson, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_deep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_parallel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_mail_warning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
