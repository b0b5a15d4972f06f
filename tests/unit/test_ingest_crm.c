/* test_ingest_crm.c — the CRM and address-book CSV formats (Salesforce,
 * HubSpot, Google Contacts, Outlook) and Format=csv with Columns=: golden
 * files (tests/data/FORMAT/NAME.in → NAME.ok, read under Format=auto so the
 * probe is tested too), date notes, limits from ingest_options and the exact
 * errors for what cannot be read. CW_UPDATE_GOLDEN=1 rewrites .ok files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "contactwatch/contact.h"
#include "contactwatch/date.h"
#include "contactwatch/ingest.h"
#include "golden.h"

/* ---- golden files, probed ---------------------------------------------- */

typedef struct golden_case {
	const char *dir, *name, *format;
} golden_case;

static const golden_case golden_cases[] = {
	{ "tests/data/salesforce", "dataloader_upper_bom", "salesforce" },
	{ "tests/data/salesforce", "soql", "salesforce" },
	{ "tests/data/salesforce", "report_labels", "salesforce" },
	{ "tests/data/salesforce", "accountid_only", "salesforce" },
	{ "tests/data/hubspot", "english", "hubspot" },
	{ "tests/data/hubspot", "dutch_excel_semicolon", "hubspot" },
	{ "tests/data/hubspot", "contact_id_legacy", "hubspot" },
	{ "tests/data/google", "new_layout_multi", "google" },
	{ "tests/data/google", "legacy", "google" },
	{ "tests/data/outlook", "desktop_en", "outlook" },
	{ "tests/data/outlook", "desktop_nl_semicolon", "outlook" },
	{ "tests/data/outlook", "outlook_com", "outlook" },
};

static void test_golden(void **state)
{
	const golden_case *c = *state;
	/* Detected, and the same when forced. */
	golden_check(c->dir, c->name, NULL, c->format);
	golden_check(c->dir, c->name, c->format, c->format);
}

/* ---- Format=csv with Columns= -------------------------------------------- */

#define COLUMNS_DIR "tests/data/csv/"
#define COLUMNS                                                                                             \
	"first:Roepnaam, last:Naam,company:Organisatie,position:Functie,email:Mail werk,email:mail PRIVé,"   \
	"url:Profiel,date:\"Laatste contact, datum\""

static char *run_columns(const char *buf, size_t len, const char *columns, size_t chunk, ingest_limits limits,
			 int *ret_r, ingest_result *res)
{
	golden_collect col;
	ingest_options opt = { .format = "csv", .columns = columns, .chunk_size = chunk, .limits = limits };
	golden_collect_open(&col);
	*ret_r = ingest_buffer(buf, len, &opt, golden_collect_cb, &col, res);
	return golden_collect_close(&col);
}

static void test_columns_golden(void **state)
{
	(void)state;
	size_t len, ok_len;
	ingest_result res;
	golden_collect col;
	_cleanup_free_ char *in = golden_read_all(COLUMNS_DIR "columns.in", &len);
	assert_non_null(in);

	golden_collect_open(&col);
	int r = ingest_file(COLUMNS_DIR "columns.in", &(ingest_options){ .format = "csv", .columns = COLUMNS },
			    golden_collect_cb, &col, &res);
	_cleanup_free_ char *got = golden_collect_close(&col);
	if (r != 0)
		fail_msg("columns: %d, line %u: %s", r, res.error_line, res.error);
	assert_string_equal(res.format, "csv");
	if (getenv("CW_UPDATE_GOLDEN"))
		golden_write_all(COLUMNS_DIR "columns.ok", got, strlen(got));
	_cleanup_free_ char *ok = golden_read_all(COLUMNS_DIR "columns.ok", &ok_len);
	assert_non_null(ok);
	assert_string_equal(got, ok);
	for (size_t chunk = 1; chunk <= 7; chunk++) {
		_cleanup_free_ char *again = run_columns(in, len, COLUMNS, chunk, (ingest_limits){ 0 }, &r, &res);
		assert_int_equal(r, 0);
		assert_string_equal(again, ok);
	}
	/* Under auto the same file is unknown: nothing guesses its columns. */
	_cleanup_free_ char *none = golden_run_buffer(in, len, NULL, 0, -EMEDIUMTYPE, &res);
	assert_string_equal(none, "");
}

/* ---- date notes ------------------------------------------------------------ */

typedef struct notes {
	char text[512];
	size_t len;
} notes;

static int notes_cb(const contact *c, void *userdata)
{
	notes *n = userdata;
	n->len += (size_t)snprintf(n->text + n->len, sizeof n->text - n->len, "%zu:%s|", c->record,
				   c->date_note ? c->date_note : "-");
	return 0;
}

static void test_date_notes(void **state)
{
	(void)state;
	static const char in[] = "Name,Datum\n"
				 "A,2-Jan-21\n"          /* Excel: dated */
				 "B,02/01/2021\n"        /* US or EU: undated, ambiguous */
				 "C,31-02-2021\n"        /* no such day */
				 "D,gisteren\n"          /* unreadable */
				 "E,\n"                  /* no date: no note */
				 "F,13/01/2021\n";       /* only EU fits: dated */
	notes n = { .len = 0 };
	ingest_result res;
	ingest_options opt = { .format = "csv", .columns = "name:Name,date:Datum" };
	assert_int_equal(ingest_buffer(in, sizeof in - 1, &opt, notes_cb, &n, &res), 0);
	assert_string_equal(n.text, "1:-|2:" DATE_WHY_AMBIGUOUS "|3:" DATE_WHY_NO_SUCH_DAY "|4:" DATE_WHY_UNREADABLE
				    "|5:-|6:-|");

	/* And a copy keeps the note. */
	contact a, b;
	contact_init(&a);
	a.date_note = DATE_WHY_AMBIGUOUS;
	assert_int_equal(contact_copy(&a, &b), 0);
	assert_string_equal(b.date_note, DATE_WHY_AMBIGUOUS);
	contact_done(&b);
}

/* ---- probing ---------------------------------------------------------------- */

static void test_probe_preference(void **state)
{
	(void)state;
	static const struct {
		const char *in, *format;
	} cases[] = {
		/* LinkedIn outranks the CRMs on a header both could claim. */
		{ "First Name,Last Name,Company,Connected On,E-mail Address,Record ID\nA,B,C,07 Feb 2026,,\n", "linkedin" },
		{ "From,To,Sent At,Message,Direction\nA,B,07 Feb 2026,,OUTGOING\n", "linkedin" },
		/* The layout that maps more of the header wins among the CRMs. */
		{ "First Name,Last Name,Company,Job Title,E-mail Address,Web Page,Record ID\nA,B,C,D,e@x.example,,1\n",
		  "outlook" },
		{ "Record ID,First Name,Last Name,Email,Company Name,Job Title,E-mail Address\n1,A,B,e@x.example,C,D,\n",
		  "hubspot" },
		{ "FIRSTNAME;LASTNAME;ACCOUNT.NAME\r\nA;B;C\r\n", "salesforce" },
		{ "Notes:,,\n,,\nGiven Name,Family Name,E-mail 1 - Value\nA,B,e@x.example\n", "google" },
		{ "First Name\tLast Name\tOrganization Name\tE-mail 1 - Value\nA\tB, Jr.\tC; D\te@x.example\n", "google" },
		{ "From,To,Sent At,Direction\nA,,07 Feb 2026,OUTGOING\nA,B,07 Feb 2026,OUTGOING\n", "linkedin" },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		ingest_result res;
		_cleanup_free_ char *got = golden_run_buffer(cases[i].in, strlen(cases[i].in), NULL, 0, 0, &res);
		if (!streq(res.format, cases[i].format))
			fail_msg("case %zu: detected %s, expected %s", i, res.format, cases[i].format);
		assert_int_equal(res.records, 1);
	}
}

/* ---- bad inputs: exact errors and lines ------------------------------------ */

#define UNKNOWN_PREFIX                                                                                      \
	"no known export format (linkedin, salesforce, hubspot, google, outlook, vcard, json, csv); set "      \
	"Format=csv and Columns=first:<header>,last:<header>,company:<header>,email:<header> in the source; "  \
	"headers found: "

typedef struct bad_case {
	const char *what;
	const char *data;
	const char *format;
	const char *columns;
	ingest_limits limits;
	int r;
	unsigned line;
	const char *error;
} bad_case;

static void test_bad_inputs(void **state)
{
	(void)state;
	static const bad_case cases[] = {
		{ "unknown layout", "Notes:\n\nFirst Name,Last Name,Email,Company\nJan,Jansen,jan@x.example,X\n", NULL,
		  NULL, { 0 }, -EMEDIUMTYPE, 3, UNKNOWN_PREFIX "\"First Name\", \"Last Name\", \"Email\", \"Company\"" },
		{ "unknown layout, header first", "Voornaam;Achternaam;Werkgever\nJan;Jansen;X\n", "auto", NULL, { 0 },
		  -EMEDIUMTYPE, 1, UNKNOWN_PREFIX "\"Voornaam\", \"Achternaam\", \"Werkgever\"" },
		{ "Columns= header missing", "Klantnr;Voornaam;Achternaam\n1;Jan;Jansen\n", "csv",
		  "first:Voornaam,last:Achternaam,company:Werkgever,email:E-mail", { 0 }, -EBADMSG, 1,
		  "Columns= names headers not in the first 32 lines: \"Werkgever\", \"E-mail\"; headers found: "
		  "\"Klantnr\", \"Voornaam\", \"Achternaam\"" },
		{ "Columns= header missing, best line", "Export;;\nVoornaam;x\nVoornaam;Achternaam;Plaats\n", "csv",
		  "first:Voornaam,last:Achternaam,company:Werkgever", { 0 }, -EBADMSG, 3,
		  "Columns= names headers not in the first 32 lines: \"Werkgever\"; headers found: \"Voornaam\", "
		  "\"Achternaam\", \"Plaats\"" },
		{ "Columns= on a blank file", "\n\n", "csv", "first:A", { 0 }, -EBADMSG, 0,
		  "Columns= names headers not in the first 32 lines: \"A\"; no header line found" },
		{ "no Columns=", "a,b\n", "csv", NULL, { 0 }, -EBADMSG, 0,
		  "Format=csv needs Columns= naming the columns (role:Header,...; roles: first, middle, last, name, "
		  "company, position, email, url, date)" },
		{ "Columns= without role", "a,b\n", "csv", "first:a,b", { 0 }, -EBADMSG, 0,
		  "bad Columns= item 2: expected role:Header, got \"b\"" },
		{ "Columns= unknown role", "a,b\n", "csv", "first:a, phone:b", { 0 }, -EBADMSG, 0,
		  "bad Columns= item 2: unknown role \"phone\" (roles: first, middle, last, name, company, position, "
		  "email, url, date)" },
		{ "Columns= empty header", "a,b\n", "csv", "first:a,last: ", { 0 }, -EBADMSG, 0,
		  "bad Columns= item 2: no header name after \"last:\"" },
		{ "Columns= role twice", "a,b\n", "csv", "first:a,first:b", { 0 }, -EBADMSG, 0,
		  "bad Columns= item 2: role \"first\" given twice (only email and url repeat)" },
		{ "Columns= header twice", "a,b\n", "csv", "email:a,email:A", { 0 }, -EBADMSG, 0,
		  "bad Columns= item 2: header \"A\" named twice" },
		{ "Columns= bad quote", "a,b\n", "csv", "first:\"a,b", { 0 }, -EBADMSG, 0,
		  "bad Columns= item 1: unbalanced quotes in the header name" },
		{ "Columns= nothing to match on", "a,b\n", "csv", "date:a", { 0 }, -EBADMSG, 0,
		  "bad Columns=: no column to match on (first, last, name, company, email or url)" },
		{ "more than max_records", "Record ID,First Name,Last Name,Email\n1,A,B,\n\n2,C,D,\n3,E,F,\n", NULL,
		  NULL, { .max_records = 2 }, -EBADMSG, 5, "more than 2 records" },
		{ "cell over max_field_size", "FirstName,LastName,AccountId\nAnna,Visser,0015\nBo,Lindqvist-Berg,1\n",
		  NULL, NULL, { .max_field_size = 9 }, -EBADMSG, 3, "cell longer than 9 bytes" },
		{ "record over max_record_size",
		  "FirstName,LastName,AccountId\nAnna,Visser,0015\nBo,Lindqvist-Bergstrom-Andersson,1\n", "salesforce",
		  NULL, { .max_record_size = 28 }, -EBADMSG, 3, "record longer than 28 bytes" },
		{ "forced CRM, no header", "Naam,Telefoon\nA,1\n", "salesforce", NULL, { 0 }, -EBADMSG, 0,
		  "no Salesforce header (FirstName, LastName and one of Account.Name, Account Name, Account: Account "
		  "Name, AccountId) in the first 32 lines" },
		{ "forced Google, no header", "Naam,Telefoon\nA,1\n", "google", NULL, { 0 }, -EBADMSG, 0,
		  "no Google Contacts header (First Name, Last Name and one of Given Name, Family Name, Organization "
		  "Name, Organization # - Name) in the first 32 lines" },
		{ "invitation rows all unreadable", "From,To,Sent At,Direction\nA,B,07 Feb 2026,?\n", NULL, NULL, { 0 },
		  -EBADMSG, 2, "every data row (1) has more cells than the header" },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		const bad_case *c = &cases[i];
		for (size_t chunk = 0; chunk <= 1; chunk++) {
			ingest_result res;
			golden_collect col;
			ingest_options opt = { .format = c->format, .columns = c->columns, .limits = c->limits,
					       .chunk_size = chunk };
			golden_collect_open(&col);
			int r = ingest_buffer(c->data, strlen(c->data), &opt, golden_collect_cb, &col, &res);
			free(golden_collect_close(&col));
			if (r != c->r || res.error_line != c->line || !streq(res.error, c->error))
				fail_msg("%s (chunk %zu): r=%d line=%u error=\"%s\"; expected r=%d line=%u \"%s\"",
					 c->what, chunk, r, res.error_line, res.error, c->r, c->line, c->error);
		}
	}
}

/* Limits exactly at the cap are accepted. */
static void test_limits_at_cap(void **state)
{
	(void)state;
	static const char in[] = "FirstName,LastName,AccountId\nAnna,Visser,0015\nBo,Lindqvi,1\n";
	ingest_result res;
	golden_collect col;
	ingest_options opt = { .limits = { .max_records = 2, .max_field_size = 9 } };
	golden_collect_open(&col);
	assert_int_equal(ingest_buffer(in, sizeof in - 1, &opt, golden_collect_cb, &col, &res), 0);
	free(golden_collect_close(&col));
	assert_int_equal(res.records, 2);
	assert_string_equal(res.format, "salesforce");
}

int main(void)
{
	struct CMUnitTest tests[ELEMENTSOF(golden_cases) + 8];
	size_t n = 0;
	for (size_t i = 0; i < ELEMENTSOF(golden_cases); i++)
		tests[n++] = (struct CMUnitTest){ .name = golden_cases[i].name, .test_func = test_golden,
						  .initial_state = (void *)&golden_cases[i] };
	const struct CMUnitTest rest[] = {
		cmocka_unit_test(test_columns_golden), cmocka_unit_test(test_date_notes),
		cmocka_unit_test(test_probe_preference), cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_limits_at_cap),
	};
	for (size_t i = 0; i < ELEMENTSOF(rest); i++)
		tests[n++] = rest[i];
	return _cmocka_run_group_tests("ingest_crm", tests, n, NULL, NULL);
}
