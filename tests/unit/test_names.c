/* test_names.c — LinkedIn URLs, e-mail addresses and domains, company name
 * keys and comparison, person name parsing and agreement. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "contactwatch/names.h"
#include "contactwatch/text.h"

static void assert_url(const char *in, const char *want)
{
	char *out = NULL;
	int r = names_linkedin_url(in, &out);
	if (!want) {
		assert_int_equal(r, -EINVAL);
		return;
	}
	assert_int_equal(r, 0);
	assert_string_equal(out, want);
	free(out);
}

static void test_linkedin_url(void **state)
{
	(void)state;
	const char *w = "linkedin.com/in/sjoerdvdmolen";
	assert_url("https://www.linkedin.com/in/sjoerdvdmolen", w);
	assert_url("https://nl.linkedin.com/in/sjoerdvdmolen/", w);
	assert_url("http://linkedin.com/in/SjoerdVdMolen?originalSubdomain=nl", w);
	assert_url("  www.linkedin.com/in/sjoerdvdmolen#about ", w);
	assert_url("linkedin.com/in/sjoerdvdmolen", w);
	assert_url("//www.linkedin.com/in/sjoerdvdmolen", w);
	assert_url("HTTPS://WWW.LINKEDIN.COM/IN/SJOERDVDMOLEN", w);
	assert_url("https://www.linkedin.com:443/in//sjoerdvdmolen/details/experience/", w);
	assert_url("https://www.linkedin.com/mwlite/in/sjoerdvdmolen", w);
	assert_url("https://www.linkedin.com/in/j%C3%BCrgen-m%C3%BCller-1a2b", "linkedin.com/in/jürgen-müller-1a2b");
	assert_url("https://www.linkedin.com/in/J%C3%9CRGEN", "linkedin.com/in/jürgen");
	assert_url("https://www.linkedin.com/in/JÜRGEN", "linkedin.com/in/jürgen");
	assert_url("https://www.linkedin.com/in/100%-sure", "linkedin.com/in/100%-sure");
	assert_url("https://www.linkedin.com/company/jansen-bouw/", "linkedin.com/company/jansen-bouw");
	assert_url("https://www.linkedin.com/in/a%2Fb", NULL);    /* slash smuggled in */
	assert_url("https://www.linkedin.com/in/a%00b", NULL);
	assert_url("https://www.linkedin.com/in/%ff", NULL);      /* not UTF-8 */
	assert_url("https://www.linkedin.com/in/", NULL);
	assert_url("https://www.linkedin.com/feed/", NULL);
	assert_url("https://www.notlinkedin.com/in/x", NULL);
	assert_url("https://linkedin.com.evil.example/in/x", NULL);
	assert_url("https://example.com/in/x", NULL);
	assert_url("", NULL);
	assert_url(NULL, NULL);
}

static void assert_email(const char *in, const char *want)
{
	char *out = NULL, *in_arena = NULL;
	names_arena a;
	names_arena_init(&a);
	int r = names_email(in, &out);
	/* The arena form gives the same, or the same error. */
	assert_int_equal(names_email_in(&a, in, &in_arena), r);
	if (!want) {
		assert_int_equal(r, -EINVAL);
		names_arena_done(&a);
		return;
	}
	assert_int_equal(r, 0);
	assert_string_equal(out, want);
	assert_string_equal(in_arena, want);
	free(out);
	names_arena_done(&a);
}

static void test_email(void **state)
{
	(void)state;
	assert_email("S.vanderMolen@Veldhof.nl", "s.vandermolen@veldhof.nl");
	assert_email("  p@acme.nl ", "p@acme.nl");
	assert_email("mailto:P@Acme.NL", "p@acme.nl");
	assert_email("<p@acme.nl>", "p@acme.nl");
	assert_email("p@acme.nl.", "p@acme.nl");
	assert_email("p@acme", NULL);
	assert_email("p@@acme.nl", NULL);
	assert_email("a@b@acme.nl", NULL);
	assert_email("@acme.nl", NULL);
	assert_email("p@.acme.nl", NULL);
	assert_email("p@acme..nl", NULL);
	assert_email("p q@acme.nl", NULL);
	assert_email("p@ac me.nl", NULL);
	assert_email("p;q@acme.nl", NULL);
	assert_email("p(x)@acme.nl", NULL);
	assert_email("p]@acme.nl", NULL);
	assert_email("p\\q@acme.nl", NULL);
	assert_email("MAILTO:<P@Acme.nl>", "p@acme.nl");
	assert_email("Zoë@Acme.nl", "zoë@acme.nl");
	assert_email("p@ACME.nl.", "p@acme.nl");
	assert_email("", NULL);
	assert_email(NULL, NULL);
	assert_string_equal(names_email_domain("p@acme.nl"), "acme.nl");
	assert_null(names_email_domain("nope"));
	assert_null(names_email_domain(NULL));
}

/* Both forms: allocated, and in an arena (the index's). */
static void assert_domain(const char *in, const char *want)
{
	char *out = NULL, *in_arena = NULL;
	names_arena a;
	names_arena_init(&a);
	int r = names_domain(in, &out), r_arena = names_domain_in(&a, in, &in_arena);
	assert_int_equal(r_arena, r);
	if (!want) {
		assert_int_equal(r, -EINVAL);
		names_arena_done(&a);
		return;
	}
	assert_int_equal(r, 0);
	assert_string_equal(out, want);
	assert_string_equal(in_arena, want);
	free(out);
	names_arena_done(&a);
}

static void test_domains(void **state)
{
	(void)state;
	/* The one test of a domain name: catalogues, configuration, addresses. */
	assert_true(names_domain_is_valid("hoogendijk.nl"));
	assert_true(names_domain_is_valid("mail.hoogen-dijk.nl"));
	assert_true(names_domain_is_valid("xn--mller-kva.de"));
	assert_true(names_domain_is_valid("m\xc3\xbcller.de"));
	assert_false(names_domain_is_valid("hoogendijk"));
	assert_false(names_domain_is_valid(""));
	assert_false(names_domain_is_valid(".hoogendijk.nl"));
	assert_false(names_domain_is_valid("hoogendijk.nl."));
	assert_false(names_domain_is_valid("hoogendijk..nl"));
	assert_false(names_domain_is_valid("-hoogendijk.nl"));
	assert_false(names_domain_is_valid("hoogendijk-.nl"));
	assert_false(names_domain_is_valid("hoogendijk.nl-"));
	assert_false(names_domain_is_valid("hoogendijk.-nl"));
	assert_false(names_domain_is_valid("Hoogendijk.nl"));
	assert_false(names_domain_is_valid("hoog endijk.nl"));
	assert_domain("-hoogendijk.nl", NULL);
	assert_domain("hoogendijk.nl", "hoogendijk.nl");
	assert_domain(" HoogenDijk.NL ", "hoogendijk.nl");
	assert_domain("www.hoogendijk.nl", "hoogendijk.nl");
	assert_domain("https://www.hoogendijk.nl/contact", "hoogendijk.nl");
	assert_domain("@hoogendijk.nl", "hoogendijk.nl");
	assert_domain("hoogendijk.nl.", "hoogendijk.nl");
	assert_domain("hoogendijk", NULL);
	assert_domain("hoog endijk.nl", NULL);
	assert_domain("", NULL);

	assert_true(names_domain_within("hoogendijk.nl", "hoogendijk.nl"));
	assert_true(names_domain_within("mail.hoogendijk.nl", "hoogendijk.nl"));
	assert_true(names_domain_within("a.b.hoogendijk.nl", "hoogendijk.nl"));
	assert_true(names_domain_within("MAIL.Hoogendijk.nl", "hoogendijk.nl"));
	assert_false(names_domain_within("nothoogendijk.nl", "hoogendijk.nl"));
	assert_false(names_domain_within("hoogendijk.nl.example.com", "hoogendijk.nl"));
	assert_false(names_domain_within("hoogendijk.nlx", "hoogendijk.nl"));
	assert_false(names_domain_within("nl", "hoogendijk.nl"));
	assert_false(names_domain_within(".hoogendijk.nl", "x.hoogendijk.nl"));
	assert_false(names_domain_within(NULL, "hoogendijk.nl"));
	assert_false(names_domain_within("hoogendijk.nl", ""));

	char *const fm_list[] = { (char *)"gmail.com", (char *)"HotMail.nl", (char *)"gmail.com", NULL };
	names_free_mail *fm = NULL;
	assert_int_equal(names_free_mail_new(fm_list, &fm), 0);
	assert_true(names_domain_is_free_mail("gmail.com", fm));
	assert_true(names_domain_is_free_mail("GMail.com", fm));
	assert_true(names_domain_is_free_mail("mail.hotmail.nl", fm));
	assert_false(names_domain_is_free_mail("notgmail.com", fm));
	assert_false(names_domain_is_free_mail("gmail.com.example.nl", fm));
	assert_false(names_domain_is_free_mail("gmail.com", NULL));
	assert_false(names_domain_is_free_mail(NULL, fm));
	assert_false(names_domain_is_free_mail("", fm));
	assert_false(names_domain_is_free_mail("com", fm));
	fm = names_free_mail_free(fm);
	assert_int_equal(names_free_mail_new(NULL, &fm), 0);
	assert_false(names_domain_is_free_mail("gmail.com", fm));
	fm = names_free_mail_free(fm);

	/* The built-in list covers domain.md's domains. */
	const char *want[] = { "gmail.com", "hotmail.com", "hotmail.nl", "outlook.com", "live.nl", "yahoo.com",
			       "icloud.com", "me.com", "protonmail.com", "ziggo.nl", "kpnmail.nl", "planet.nl",
			       "home.nl", "hetnet.nl", "xs4all.nl", "chello.nl", "upcmail.nl", "casema.nl",
			       "quicknet.nl", "online.nl", "telfort.nl", "tele2.nl", "zeelandnet.nl" };
	for (size_t i = 0; i < ELEMENTSOF(want); i++) {
		bool found = false;
		for (const char *const *f = names_free_mail_builtin; *f; f++)
			found = found || streq(*f, want[i]);
		assert_true(found);
	}
}

static void test_word_classes(void **state)
{
	(void)state;
	/* Every table entry is found (the tables are bsearched: this fails if
	 * one is out of order) and ordinary words are distinctive. */
	const char *legal[] = { "ab", "ag", "bv", "bvba", "cie", "co", "commv", "cooperatie", "cooperatieve",
				"corp", "corporation", "cv", "eenmanszaak", "ev", "gmbh", "inc", "incorporated",
				"kg", "limited", "llc", "llp", "ltd", "nv", "ohg", "plc", "sa", "sarl", "sas",
				"scrl", "sprl", "srl", "stichting", "ua", "vereniging", "vof", "vzw" };
	for (size_t i = 0; i < ELEMENTSOF(legal); i++)
		assert_int_equal(names_company_word_class(legal[i]), NAMES_WORD_LEGAL_FORM);
	const char *low[] = { "benelux", "europe", "european", "global", "groep", "group", "groupe", "gruppe",
			      "holding", "holdings", "international", "intl", "koninklijke", "nederland",
			      "netherlands", "nl", "royal", "worldwide" };
	for (size_t i = 0; i < ELEMENTSOF(low); i++)
		assert_int_equal(names_company_word_class(low[i]), NAMES_WORD_LOW_IDENTITY);
	const char *trade[] = { "aannemer", "advocaten", "bank", "bouw", "de", "gemeente", "installaties",
				"logistics", "logistiek", "oost", "services", "t", "techniek", "the",
				"transport", "van", "zonen", "zorg", "zuid", "x" };
	for (size_t i = 0; i < ELEMENTSOF(trade); i++)
		assert_int_equal(names_company_word_class(trade[i]), NAMES_WORD_TRADE);
	const char *conn[] = { "and", "en", "und" };
	for (size_t i = 0; i < ELEMENTSOF(conn); i++)
		assert_int_equal(names_company_word_class(conn[i]), NAMES_WORD_CONNECTOR);
	/* Every word of the tables (one per length: a word in the wrong one
	 * would not be found). */
	static const struct {
		const char *word;
		names_word_class cls;
	} every[] = {
#define C NAMES_WORD_CONNECTOR
#define L NAMES_WORD_LEGAL_FORM
#define I NAMES_WORD_LOW_IDENTITY
#define T NAMES_WORD_TRADE
		{ "aannemer", T }, { "aannemersbedrijf", T }, { "ab", L }, { "accountants", T },
		{ "administratie", T }, { "advies", T }, { "adviseurs", T }, { "advocaten", T },
		{ "advocatenkantoor", T }, { "ag", L }, { "agency", T }, { "and", C }, { "architecten", T },
		{ "auto", T }, { "autobedrijf", T }, { "automotive", T }, { "bakkerij", T }, { "bank", T },
		{ "bedrijf", T }, { "benelux", I }, { "bouw", T }, { "bouwbedrijf", T }, { "brothers", T },
		{ "bv", L }, { "bvba", L }, { "capital", T }, { "cie", L }, { "co", L },
		{ "communicatie", T }, { "commv", L }, { "company", T }, { "consult", T },
		{ "consultancy", T }, { "consultants", T }, { "consulting", T }, { "cooperatie", L },
		{ "cooperatieve", L }, { "corp", L }, { "corporation", L }, { "cv", L }, { "da", T },
		{ "de", T }, { "den", T }, { "der", T }, { "des", T }, { "design", T }, { "di", T },
		{ "diensten", T }, { "dienstverlening", T }, { "distributie", T }, { "du", T },
		{ "east", T }, { "eenmanszaak", L }, { "elektro", T }, { "elektrotechniek", T }, { "en", C },
		{ "energie", T }, { "energy", T }, { "engineering", T }, { "europe", I }, { "european", I },
		{ "ev", L }, { "expeditie", T }, { "export", T }, { "finance", T }, { "financial", T },
		{ "food", T }, { "foods", T }, { "garage", T }, { "gebr", T }, { "gebroeders", T },
		{ "gemeente", T }, { "global", I }, { "gmbh", L }, { "groep", I }, { "group", I },
		{ "groupe", I }, { "gruppe", I }, { "handel", T }, { "handelsonderneming", T }, { "het", T },
		{ "holding", I }, { "holdings", I }, { "ict", T }, { "import", T }, { "inc", L },
		{ "incorporated", L }, { "industrie", T }, { "industries", T }, { "ingenieursbureau", T },
		{ "installatie", T }, { "installaties", T }, { "installatietechniek", T },
		{ "insurance", T }, { "international", I }, { "intl", I }, { "it", T }, { "kantoor", T },
		{ "kg", L }, { "koninklijke", I }, { "la", T }, { "labs", T }, { "le", T }, { "les", T },
		{ "limited", L }, { "llc", L }, { "llp", L }, { "logistics", T }, { "logistiek", T },
		{ "ltd", L }, { "makelaardij", T }, { "makelaars", T }, { "management", T },
		{ "marketing", T }, { "media", T }, { "metaal", T }, { "nederland", I },
		{ "netherlands", I }, { "nl", I }, { "noord", T }, { "north", T }, { "notariaat", T },
		{ "notarissen", T }, { "nv", L }, { "of", T }, { "ohg", L }, { "onderhoud", T },
		{ "oost", T }, { "partners", T }, { "plc", L }, { "praktijk", T }, { "projecten", T },
		{ "retail", T }, { "royal", I }, { "sa", L }, { "sarl", L }, { "sas", L },
		{ "schilders", T }, { "schildersbedrijf", T }, { "scrl", L }, { "service", T },
		{ "services", T }, { "software", T }, { "solutions", T }, { "sons", T }, { "south", T },
		{ "sprl", L }, { "srl", L }, { "staal", T }, { "stichting", L }, { "studio", T },
		{ "systems", T }, { "t", T }, { "techniek", T }, { "technieken", T }, { "technologies", T },
		{ "technology", T }, { "telecom", T }, { "the", T }, { "trading", T }, { "transport", T },
		{ "transporten", T }, { "ua", L }, { "uitzendbureau", T }, { "und", C }, { "van", T },
		{ "vastgoed", T }, { "vereniging", L }, { "verhuur", T }, { "verzekeringen", T },
		{ "vof", L }, { "vzw", L }, { "welzijn", T }, { "west", T }, { "wonen", T },
		{ "worldwide", I }, { "zonen", T }, { "zorg", T }, { "zuid", T },
#undef C
#undef L
#undef I
#undef T
	};
	for (size_t i = 0; i < ELEMENTSOF(every); i++)
		assert_int_equal(names_company_word_class(every[i].word), every[i].cls);
	const char *dist[] = { "hoogendijk", "kpn", "kpmg", "abn", "amro", "philips", "66", "aa", "zzz",
			       "installatietechnie", "installatietechniekx", "ingenieursbureaux",
			       /* the first four letters of a table word, not the rest */
			       "groupx", "softwarf", "technieke", "consultanci", "bw" };
	for (size_t i = 0; i < ELEMENTSOF(dist); i++)
		assert_int_equal(names_company_word_class(dist[i]), NAMES_WORD_DISTINCTIVE);
}

static void assert_company(const char *in, const char *full, const char *key, size_t distinctive)
{
	names_company c;
	assert_int_equal(names_company_parse(in, &c), 0);
	assert_string_equal(c.full_key, full);
	assert_string_equal(c.key, key);
	assert_int_equal(c.n_distinctive, distinctive);
	assert_int_equal(c.n_tokens, strv_length(c.tokens));
	names_company_done(&c);
}

static void test_company_parse(void **state)
{
	(void)state;
	assert_company("Hoogendijk Installaties B.V.", "hoogendyk installaties", "hoogendyk installaties", 1);
	assert_company("HOOGENDIJK INSTALLATIES BV", "hoogendyk installaties", "hoogendyk installaties", 1);
	assert_company("Stichting Zorgpunt Oost", "zorgpunt oost", "zorgpunt oost", 1);
	assert_company("Coöperatie Veldhof U.A.", "veldhof", "veldhof", 1);
	assert_company("Smit & Zonen Transport B.V.", "smit zonen transport", "smit zonen transport", 1);
	assert_company("Smit en Zonen Transport", "smit zonen transport", "smit zonen transport", 1);
	assert_company("Koninklijke Philips N.V.", "koninklyke philips", "philips", 1);
	assert_company("ABN-AMRO", "abn amro", "abn amro", 2);
	assert_company("ABN AMRO Bank N.V.", "abn amro bank", "abn amro bank", 2);
	assert_company("Müller GmbH & Co. KG", "muller", "muller", 1);
	assert_company("Acme Inc.", "acme", "acme", 1);
	assert_company("Acme, Incorporated", "acme", "acme", 1);
	assert_company("Acme L.L.C.", "acme", "acme", 1);
	assert_company("Acme Ltd", "acme", "acme", 1);
	assert_company("Acme Limited", "acme", "acme", 1);
	assert_company("Acme PLC", "acme", "acme", 1);
	assert_company("Acme S.A.R.L.", "acme", "acme", 1);
	assert_company("Acme SAS", "acme", "acme", 1);
	assert_company("Acme BVBA", "acme", "acme", 1);
	assert_company("Acme Comm.V.", "acme", "acme", 1);
	assert_company("Acme VZW", "acme", "acme", 1);
	assert_company("Acme e.V.", "acme", "acme", 1);
	assert_company("Acme V.O.F.", "acme", "acme", 1);
	assert_company("Acme C.V.", "acme", "acme", 1);
	assert_company("Eenmanszaak Acme", "acme", "acme", 1);
	assert_company("Vereniging Acme", "acme", "acme", 1);
	assert_company("A.S.R. Verzekeringen", "asr verzekeringen", "asr verzekeringen", 1);
	assert_company("St.Jansdal", "st jansdal", "st jansdal", 2);
	assert_company("Van 't Hof Bouw", "van t hof bouw", "van t hof bouw", 1);
	assert_company("Holding B.V.", "holding", "holding", 0);        /* nothing but low identity */
	assert_company("BV", "bv", "bv", 1);                            /* never strip everything */
	assert_company("AG Insurance", "ag insurance", "ag insurance", 1); /* AG first is the name */
	assert_company("Transport Nederland B.V.", "transport nederland", "transport", 0);

	names_company c;
	assert_int_equal(names_company_parse("", &c), -EINVAL);
	assert_int_equal(names_company_parse(" - & . ", &c), -EINVAL);
	assert_int_equal(names_company_parse(NULL, &c), -EINVAL);
	names_company_done(NULL);
}

/* Two parses of one name are the same, field by field. */
static void assert_company_same(const names_company *a, const names_company *b)
{
	assert_string_equal(a->full_key, b->full_key);
	assert_string_equal(a->key, b->key);
	assert_int_equal(a->n_tokens, b->n_tokens);
	assert_int_equal(a->n_distinctive, b->n_distinctive);
	assert_true(a->full_hash == b->full_hash);
	assert_true(a->key_hash == b->key_hash);
	assert_true(a->distinctive_hash == b->distinctive_hash);
	for (size_t i = 0; i < a->n_tokens; i++) {
		assert_string_equal(a->tokens[i], b->tokens[i]);
		assert_int_equal(a->trade[i], b->trade[i]);
		assert_int_equal(a->lens[i], b->lens[i]);
		assert_int_equal(a->lens[i], strlen(a->tokens[i]));
		assert_memory_equal(a->letters[i], b->letters[i], 32);
		assert_int_equal(a->masks[i], b->masks[i]);
	}
	assert_null(a->tokens[a->n_tokens]);
}

/* Parsed into an arena, a name is what it is parsed on the heap (plain and
 * German); and an ASCII name, which the splitter folds itself, parses as
 * its text_fold does (the one folding rule of text.c). */
static void assert_company_forms(names_arena *arena, const char *raw)
{
	for (int german = 0; german < 2; german++) {
		names_company heap, in;
		int r = german ? names_company_parse_german(raw, &heap) : names_company_parse(raw, &heap);
		assert_int_equal(names_company_parse_in(arena, raw, german, &in), r);
		if (r == 0) {
			assert_company_same(&heap, &in);
			names_company_done(&heap);
		}
	}
	if (!raw || names_has_transliteration(raw))
		return;
	char *folded = NULL;
	assert_int_equal(text_fold(raw, &folded), 0);
	names_company a, b;
	int r = names_company_parse(raw, &a);
	assert_int_equal(names_company_parse(folded, &b), r);
	if (r == 0) {
		assert_company_same(&a, &b);
		names_company_done(&a);
		names_company_done(&b);
	}
	free(folded);
}

static void test_company_parse_in(void **state)
{
	(void)state;
	static const char *const names[] = {
		"Hoogendijk Installaties B.V.", "HOOGENDIJK INSTALLATIES BV", "Stichting Zorgpunt Oost",
		"Coöperatie Veldhof U.A.", "Smit & Zonen Transport B.V.", "Koninklijke Philips N.V.", "ABN-AMRO",
		"Müller GmbH & Co. KG", "Acme S.A.R.L.", "A.S.R. Verzekeringen", "St.Jansdal", "Van 't Hof Bouw",
		"Holding B.V.", "BV", "AG Insurance", "Transport Nederland B.V.", "McDonald's", "abc.nl", "...",
		" - & . ", "", "  Tab\tand\nnewline  ", "Ctrl\001char\177s", "Dots.in.a.row...x", "a.b.c.d.e.f",
		"IJzerman Bouw", "Ijsselmeer", "Øresund Søren Æbeltoft", "Łódź Ltd", "Gonçalves & Filhos",
		"Ærø ß straße", "日本 株式会社", "Zoë's Café B.V.", "x\xe2\x80\x94y", "Jürgen-Müller Ärzte",
		"en", "and & en", "The Company of the North West Group Holding International B.V.",
	};
	names_arena arena;
	names_arena_init(&arena);
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		assert_company_forms(&arena, names[i]);
	assert_company_forms(&arena, NULL);

	/* Longer than any real name: words over the NAMES_MAX_WORD cap, more
	 * than 32 words (the classes kept on the stack), a stack split buffer
	 * too small. */
	char big[6000];
	size_t o = 0;
	for (size_t i = 0; i < 300; i++)
		o += (size_t)snprintf(big + o, sizeof big - o, "%s ", i % 7 == 0 ? "bouw" : i % 5 == 0 ? "b.v." : "Woord");
	memset(big + o, 'q', 200);
	big[o + 200] = '\0';
	assert_company_forms(&arena, big);

	/* Every ASCII byte, in short pseudo-random strings. */
	uint32_t x = 12345;
	for (size_t n = 0; n < 3000; n++) {
		char s[24];
		size_t len = n % 23;
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			/* Mostly letters, some of everything else (1..127). */
			unsigned v = (x >> 16) % 160;
			s[i] = v < 127 ? (char)(v + 1) : "aB. -'&"[v % 7];
		}
		s[len] = '\0';
		assert_company_forms(&arena, s);
		if (n % 100 == 0)
			names_arena_reset(&arena);
	}
	names_arena_done(&arena);
}

static void test_arena(void **state)
{
	(void)state;
	names_arena a;
	names_arena_init(&a);
	names_arena_reset(&a); /* empty: nothing to forget */
	char *first = NULL;
	for (int round = 0; round < 3; round++) {
		/* Values survive later allocations (blocks never move), a big
		 * value gets a block of its own, and a reset reuses the memory. */
		char *p[200];
		for (size_t i = 0; i < ELEMENTSOF(p); i++) {
			size_t n = i == 100 ? 100000 : 1 + i % 37;
			p[i] = names_arena_alloc(&a, n);
			assert_non_null(p[i]);
			assert_int_equal((uintptr_t)p[i] % sizeof(uint64_t), 0);
			memset(p[i], (int)i, n);
		}
		for (size_t i = 0; i < ELEMENTSOF(p); i++)
			assert_int_equal((unsigned char)p[i][0], (unsigned char)i);
		if (round == 0)
			first = p[0];
		else
			assert_ptr_equal(p[0], first);
		names_arena_reset(&a);
	}
	assert_null(names_arena_alloc(&a, SIZE_MAX));
	names_arena_done(&a);
	names_arena_done(&a); /* twice is harmless */

	/* On a caller's buffer: used first, never freed, outgrown on the heap. */
	uint64_t buf[64];
	names_arena_init_buffer(&a, buf, sizeof buf);
	char *in = names_arena_alloc(&a, 100);
	assert_true(in >= (char *)buf && in < (char *)buf + sizeof buf);
	char *out = names_arena_alloc(&a, 1000);
	assert_non_null(out);
	assert_false(out >= (char *)buf && out < (char *)buf + sizeof buf);
	names_arena_reset(&a);
	assert_ptr_equal(names_arena_alloc(&a, 8), in);
	names_arena_done(&a);
	names_arena_init_buffer(&a, buf, 8); /* too small to hold a block: ignored */
	assert_non_null(names_arena_alloc(&a, 8));
	names_arena_done(&a);
}

static double compare(const char *contact, const char *relation)
{
	names_company a, b;
	assert_int_equal(names_company_parse(contact, &a), 0);
	assert_int_equal(names_company_parse(relation, &b), 0);
	double v = names_company_compare(&a, &b);
	names_company_done(&a);
	names_company_done(&b);
	return v;
}

/* An alert-level typo: above the default CompanyThreshold, below an exact key. */
static bool is_typo(double v)
{
	return v >= 0.92 && v <= 0.97;
}

/* A near miss: at most the review band of the default threshold. */
static bool is_near_miss(double v)
{
	return v > 0 && v < 0.92;
}

static void test_company_compare(void **state)
{
	(void)state;
	assert_true(compare("Hoogendijk Installaties BV", "Hoogendijk Installaties B.V.") == 1.0);
	assert_true(compare("Philips Nederland B.V.", "Koninklijke Philips N.V.") == 0.98);
	assert_true(is_typo(compare("Hoogendijk Instalaties", "Hoogendijk Installaties B.V.")));
	assert_true(compare("ABN-AMRO", "ABN AMRO Bank N.V.") == 0.94);
	assert_true(is_typo(compare("Vanderlnade", "Vanderlande")));
	assert_true(is_typo(compare("Vanderlandee", "Vanderlande")));
	assert_true(is_typo(compare("Vandrlande", "Vanderlande")));
	assert_true(is_typo(compare("Vandarlande", "Vanderlande")));
	/* A first-letter slip loses Winkler's prefix bonus; the rule holds. */
	assert_true(is_typo(compare("Wanderlande", "Vanderlande")));
	assert_true(compare("Xoogendyk", "Hoogendijk") == 0.93); /* JW 0.917: the floor */
	assert_true(is_near_miss(compare("Vandarlando", "Vanderlande"))); /* two edits */
	assert_true(is_near_miss(compare("Verberg", "Verburg")));         /* short word */
	assert_true(is_near_miss(compare("Phillips", "Philips")));
	assert_true(compare("Phillips 66", "Koninklijke Philips N.V.") == 0.0);
	assert_true(compare("Philips Van Heusen", "Philips") == 0.0);    /* relation name is a prefix */
	assert_true(compare("Philips", "Philips Van Heusen") == 0.0);
	assert_true(compare("Verburg Installaties", "Hoogendijk Installaties") == 0.0);
	assert_true(compare("AMRO Logistics", "ABN AMRO Bank N.V.") == 0.0);
	assert_true(compare("Ingram Micro", "ING") == 0.0);
	assert_true(compare("Ingram", "ING") == 0.0);
	assert_true(compare("Inge Bouw", "ING Groep N.V.") == 0.0);
	assert_true(compare("ING Bank", "ING Groep N.V.") == 0.94);        /* acronym + trade word */
	assert_true(compare("Smit en Zonen", "Smit & Zonen Transport B.V.") == 0.94);
	assert_true(compare("KPMG", "KPN") == 0.0);
	assert_true(compare("KPMG Accountants", "KPN") == 0.0);
	assert_true(compare("ASM International N.V.", "ASML Holding N.V.") == 0.0);
	assert_true(compare("Koninklijke Jumbo Groep", "Koninklijke BAM Groep N.V.") == 0.0);
	assert_true(compare("Bambi Speelgoed", "BAM") == 0.0);
	assert_true(compare("Jansen Transport", "Jansen Bouw") == 0.0);
	assert_true(compare("Bouw", "Jansen Bouw") == 0.0);
	assert_true(compare("Transport", "Transport Nederland") == 0.0);
	assert_true(compare("Transport Nederland", "Transport Nederland BV") == 1.0);
	assert_true(compare("Zorgpunt", "Zorgpunt Oost") == 0.94);

	assert_true(names_distance_is_one("abcd", "abd"));
	assert_true(names_distance_is_one("abd", "abcd"));
	assert_true(names_distance_is_one("abcd", "abdc"));
	assert_true(names_distance_is_one("abcd", "abce"));
	assert_true(names_distance_is_one("", "a"));
	assert_false(names_distance_is_one("abcd", "abcd"));
	assert_false(names_distance_is_one("abcd", "badc"));
	assert_false(names_distance_is_one("abcd", "ab"));
	assert_false(names_distance_is_one("abcd", "acbe"));
}

static void test_company_german(void **state)
{
	(void)state;
	names_company a, b, g;
	assert_true(names_has_transliteration("Müller GmbH"));
	assert_false(names_has_transliteration("Mueller GmbH"));
	assert_int_equal(names_company_parse("Mueller GmbH", &a), 0);
	assert_int_equal(names_company_parse("Müller GmbH & Co. KG", &b), 0);
	assert_int_equal(names_company_parse_german("Müller GmbH & Co. KG", &g), 0);
	assert_string_equal(b.key, "muller");
	assert_string_equal(g.key, "mueller");
	assert_true(is_near_miss(names_company_compare(&a, &b))); /* plain forms: one edit, short */
	assert_true(names_company_compare(&a, &g) == 1.0);
	names_company_done(&a);
	names_company_done(&b);
	names_company_done(&g);
}

/* The bound from letter counts and masks decides as the one from the
 * words: every pair of some words, at several minimums (min 0: every pair
 * reaches it, and names_jaro_winkler_at_least gives the similarity). */
static void test_jaro_winkler_counted(void **state)
{
	(void)state;
	static const char *const w[] = { "martha", "marhta", "dwayne", "duane", "dixon", "dicksonx", "vanderlande",
					 "vanderlnade", "wanderlande", "hoogendyk", "xoogendyk", "verburg", "verberg",
					 "verburgh", "aaaaaaaa", "aaaaaaab", "baaaaaaa", "z", "zz", "abcdefghijklmnopqrstuvwxyz",
					 "zyxwvutsrqponmlkjihgfedcba", "jürgen", "juergen", "0123456789" };
	static const double mins[] = { 0.0, 0.5, 0.8, 0.88, 0.9, 0.95, 0.99, 1.0 };
	for (size_t i = 0; i < ELEMENTSOF(w); i++)
		for (size_t j = 0; j < ELEMENTSOF(w); j++)
			for (size_t k = 0; k < ELEMENTSOF(mins); k++) {
				uint8_t ca[32], cb[32];
				size_t la = strlen(w[i]), lb = strlen(w[j]), prefix = 0;
				uint32_t ma = names_letters_count(w[i], la, ca), mb = names_letters_count(w[j], lb, cb);
				while (prefix < 4 && w[i][prefix] && w[i][prefix] == w[j][prefix])
					prefix++;
				double want = names_jaro_winkler_at_least(w[i], w[j], mins[k]);
				bool reach = names_jaro_winkler_may_reach(la, ca, ma, lb, cb, mb, prefix, mins[k]);
				assert_true(want == (reach ? names_jaro_winkler(w[i], w[j]) : 0.0));
			}
}

/* Jaro-Winkler as the textbook writes it (Winkler 1990), to check the
 * bit-parallel matching of names_jaro_winkler against. */
static double reference_jaro_winkler(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), m = 0, t = 0;
	bool ma[256] = {0}, mb[256] = {0};
	if (la == 0 || lb == 0)
		return la == lb ? 1.0 : 0.0;
	size_t longest = la > lb ? la : lb;
	size_t window = longest / 2 > 0 ? longest / 2 - 1 : 0;
	for (size_t i = 0; i < la; i++)
		for (size_t j = i > window ? i - window : 0; j < lb && j <= i + window; j++)
			if (!mb[j] && a[i] == b[j]) {
				ma[i] = mb[j] = true;
				m++;
				break;
			}
	if (m == 0)
		return 0.0;
	for (size_t i = 0, j = 0; i < la; i++) {
		if (!ma[i])
			continue;
		while (!mb[j])
			j++;
		t += a[i] != b[j];
		j++;
	}
	double md = (double)m;
	double jaro = (md / (double)la + md / (double)lb + (md - (double)t / 2.0) / md) / 3.0;
	if (jaro <= 0.7)
		return jaro;
	size_t prefix = 0;
	while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix])
		prefix++;
	return jaro + (double)prefix * 0.1 * (1.0 - jaro);
}

static void test_jaro_winkler_random(void **state)
{
	(void)state;
	uint32_t x = 777;
	for (size_t n = 0; n < 200000; n++) {
		char a[80], b[80];
		/* Small alphabets, so that letters repeat and windows matter;
		 * lengths on both sides of 64 (the bit-parallel limit). */
		size_t alphabet = 2 + n % 9, la, lb;
		x = x * 1103515245u + 12345u;
		la = 1 + (x >> 16) % (n % 10 == 0 ? 79 : 20);
		x = x * 1103515245u + 12345u;
		lb = n % 3 == 0 ? la : 1 + (x >> 16) % (n % 10 == 0 ? 79 : 20);
		for (size_t i = 0; i < la; i++) {
			x = x * 1103515245u + 12345u;
			a[i] = (char)('a' + (x >> 16) % alphabet);
		}
		for (size_t i = 0; i < lb; i++) {
			x = x * 1103515245u + 12345u;
			/* Often a copy of a with a few changes. */
			b[i] = i < la && (x >> 16) % 4 ? a[i] : (char)('a' + (x >> 20) % alphabet);
		}
		a[la] = b[lb] = '\0';
		double jw = reference_jaro_winkler(a, b);
		assert_true(names_jaro_winkler(a, b) == jw);
		/* The bound as names_jaro_winkler_at_least documents it, in
		 * doubles: the letters shared, the common prefix. */
		size_t ca[256] = {0}, m = 0, prefix = 0;
		for (size_t i = 0; i < la; i++)
			ca[(unsigned char)a[i] & 31]++;
		for (size_t i = 0; i < lb; i++)
			if (ca[(unsigned char)b[i] & 31] > 0) {
				ca[(unsigned char)b[i] & 31]--;
				m++;
			}
		while (prefix < 4 && a[prefix] && a[prefix] == b[prefix])
			prefix++;
		double jaro_max = ((double)m / (double)la + (double)m / (double)lb + 1.0) / 3.0;
		double bound = jaro_max + (double)prefix * 0.1 * (1.0 - jaro_max);
		static const double mins[] = { NAMES_JW_NEAR, 0.9 };
		for (size_t k = 0; k < ELEMENTSOF(mins); k++)
			assert_true(names_jaro_winkler_at_least(a, b, mins[k]) == (bound < mins[k] ? 0.0 : jw));
	}
}

static void test_jaro_winkler(void **state)
{
	(void)state;
	/* The textbook values (Winkler 1990; Wikipedia's worked examples). */
	assert_float_equal(names_jaro_winkler("martha", "marhta"), 0.9611, 0.0001);
	assert_float_equal(names_jaro_winkler("dwayne", "duane"), 0.8400, 0.0001);
	assert_float_equal(names_jaro_winkler("dixon", "dicksonx"), 0.8133, 0.0001);
	assert_float_equal(names_jaro_winkler("abc", "abc"), 1.0, 1e-12);
	assert_float_equal(names_jaro_winkler("abc", "xyz"), 0.0, 1e-12);
	assert_float_equal(names_jaro_winkler("", ""), 1.0, 1e-12);
	assert_float_equal(names_jaro_winkler("a", ""), 0.0, 1e-12);
	assert_float_equal(names_jaro_winkler(NULL, "a"), 0.0, 1e-12);
	/* Symmetric, and why it is gated: prefixes score high. */
	assert_float_equal(names_jaro_winkler("installaties", "instalaties"),
			   names_jaro_winkler("instalaties", "installaties"), 1e-12);
	assert_true(names_jaro_winkler("installaties", "instalaties") > 0.97);
	assert_true(names_jaro_winkler("philips", "phillips") > 0.95);
	assert_true(names_jaro_winkler("ing", "ingram") > 0.85);
	assert_true(names_jaro_winkler("verburg", "hoogendyk") < 0.6);
}

static names_person_agreement agree(const char *first, const char *last, const char *relation)
{
	names_person a, b;
	assert_int_equal(names_person_parse_split(first, last, &a), 0);
	assert_int_equal(names_person_parse(relation, &b), 0);
	names_person_agreement v = names_person_compare(&a, &b);
	assert_int_equal(names_person_compare(&b, &a), v); /* symmetric */
	names_person_done(&a);
	names_person_done(&b);
	return v;
}

static void assert_form_same(const names_person_form *a, const names_person_form *b)
{
	assert_int_equal(strv_length(a->given), strv_length(b->given));
	assert_int_equal(a->given == NULL, b->given == NULL);
	for (size_t i = 0; a->given && a->given[i]; i++)
		assert_string_equal(a->given[i], b->given[i]);
	assert_int_equal(a->has_initials, b->has_initials);
	assert_string_equal(a->given_key, b->given_key);
	assert_string_equal(a->given_compact, b->given_compact);
	assert_int_equal(a->n_surnames, b->n_surnames);
	for (size_t i = 0; i < a->n_surnames; i++) {
		assert_string_equal(a->surnames[i].particles, b->surnames[i].particles);
		assert_string_equal(a->surnames[i].main, b->surnames[i].main);
	}
}

static void assert_person_same(const names_person *a, const names_person *b)
{
	assert_string_equal(a->display, b->display);
	assert_int_equal(a->german_same, b->german_same);
	assert_form_same(&a->form[0], &b->form[0]);
	assert_form_same(&a->form[1], &b->form[1]);
}

/* Every way to parse (first, last) agrees: on the heap, into an arena,
 * copied into another; and an ASCII name parses as its text_fold does. */
static void assert_person_forms(names_arena *arena, const char *first, const char *last)
{
	names_person heap, in, copy;
	int r = names_person_parse_split(first, last, &heap);
	assert_int_equal(names_person_parse_split_in(arena, first, last, &in), r);
	if (r == 0) {
		assert_person_same(&heap, &in);
		assert_int_equal(names_person_copy_in(arena, &in, &copy), 0);
		assert_person_same(&heap, &copy);
	}
	if (r == 0 && !names_has_transliteration(strempty(first)) && !names_has_transliteration(strempty(last))) {
		char *ff = NULL, *fl = NULL;
		assert_int_equal(text_fold(strempty(first), &ff), 0);
		assert_int_equal(text_fold(strempty(last), &fl), 0);
		names_person folded;
		/* (A field of whitespace only is not empty until folded, and
		 * parse_split decides on the raw fields which one holds what.) */
		if (isempty(first) == isempty(ff) && isempty(last) == isempty(fl) &&
		    names_person_parse_split_in(arena, ff, fl, &folded) == 0)
			assert_person_same(&heap, &folded);
		free(ff);
		free(fl);
	}
	if (r == 0)
		names_person_done(&heap);
	/* The whole name in one field. */
	r = names_person_parse(first, &heap);
	assert_int_equal(names_person_parse_in(arena, first, &in), r);
	if (r == 0) {
		assert_person_same(&heap, &in);
		names_person_done(&heap);
	}
}

static void test_person_parse_in(void **state)
{
	(void)state;
	static const char *const names[][2] = {
		{ "Jan", "de Vries" }, { "P.J.M.", "van den Berg" }, { "", "Vries, Jan de" }, { "Eva", "Bakker-de Wit" },
		{ "Anne-Marie", "IJsselstein" }, { "Jürgen", "Müller" }, { "Jan", "in 't Veld" }, { "Jan de", "Vries" },
		{ "Zoë", "van der Meer" }, { "Søren", "Kierkegaard" }, { "J.", "Hoogenboom" }, { "S", "Jansen" },
		{ "  Jan\t", " de  Vries " }, { "Ctrl\001x", "Y\177z" }, { "de", "van" }, { NULL, "Berg" },
		{ "Jan de Vries", NULL }, { "Vries, Jan de", "" }, { "Hélène", "Dupont-Durand" }, { "A.B.", "C.D." },
	};
	names_arena arena;
	names_arena_init(&arena);
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		assert_person_forms(&arena, names[i][0], names[i][1]);
	/* Pseudo-random ASCII: particles, dots, hyphens, commas, controls. */
	static const char *const pieces[] = { "jan", "De", "van", "der", "P.", "J.M.", "-", ",", " ", "'t", "IJ", "\t",
					      "ij", "Berg", "Vries", "\x7f", "..", "in", "a" };
	uint32_t x = 4242;
	for (size_t n = 0; n < 5000; n++) {
		char f[64] = "", l[64] = "";
		for (size_t k = 0; k < 2; k++) {
			char *t = k ? l : f;
			x = x * 1103515245u + 12345u;
			for (size_t m = (x >> 16) % 6; m > 0; m--) {
				x = x * 1103515245u + 12345u;
				strcat(t, pieces[(x >> 16) % ELEMENTSOF(pieces)]);
			}
		}
		assert_person_forms(&arena, f, l);
		if (n % 50 == 0)
			names_arena_reset(&arena);
	}
	names_arena_done(&arena);
}

static void test_person_parse(void **state)
{
	(void)state;
	names_person p;
	assert_int_equal(names_person_parse("P.J.M. van den Berg", &p), 0);
	assert_string_equal(p.display, "p.j.m. van den berg");
	assert_int_equal(strv_length(p.form[0].given), 3);
	assert_true(p.form[0].has_initials);
	assert_int_equal(p.form[0].n_surnames, 1);
	assert_string_equal(p.form[0].surnames[0].particles, "van den");
	assert_string_equal(p.form[0].surnames[0].main, "berg");
	names_person_done(&p);

	assert_int_equal(names_person_parse("Vries, Jan de", &p), 0);
	assert_string_equal(p.form[0].given[0], "jan");
	assert_string_equal(p.form[0].surnames[0].particles, "de");
	assert_string_equal(p.form[0].surnames[0].main, "vries");
	names_person_done(&p);

	assert_int_equal(names_person_parse("Eva Bakker-de Wit", &p), 0);
	assert_int_equal(p.form[0].n_surnames, 2);
	assert_string_equal(p.form[0].surnames[0].main, "bakker");
	assert_string_equal(p.form[0].surnames[1].particles, "de");
	assert_string_equal(p.form[0].surnames[1].main, "wit");
	names_person_done(&p);

	assert_int_equal(names_person_parse("Anne-Marie IJsselstein", &p), 0);
	assert_int_equal(strv_length(p.form[0].given), 2);
	assert_string_equal(p.form[0].surnames[0].main, "ysselstein");
	names_person_done(&p);

	assert_int_equal(names_person_parse("Jürgen Müller", &p), 0);
	assert_string_equal(p.form[0].surnames[0].main, "muller");
	assert_string_equal(p.form[1].surnames[0].main, "mueller");
	assert_string_equal(p.form[1].given[0], "juergen");
	names_person_done(&p);

	assert_int_equal(names_person_parse("Jan in 't Veld", &p), 0);
	assert_string_equal(p.form[0].surnames[0].particles, "in t");
	assert_string_equal(p.form[0].surnames[0].main, "veld");
	names_person_done(&p);

	/* A lone word is a surname; particles alone are nothing. */
	assert_int_equal(names_person_parse("Madonna", &p), 0);
	assert_null(p.form[0].given);
	names_person_done(&p);
	assert_int_equal(names_person_parse("van der", &p), -EINVAL);
	assert_int_equal(names_person_parse_split("Sjoerd", "van der", &p), -EINVAL);
	assert_int_equal(names_person_parse("", &p), -EINVAL);
	assert_int_equal(names_person_parse(NULL, &p), -EINVAL);
	names_person_done(NULL);
}

/* Parts of a name that hold no word at all: the word splitter returns no
 * vector for them, and every caller must go by the count (clang-tidy's
 * NullDereference on names.c). */
static void test_person_parse_empty_parts(void **state)
{
	(void)state;
	names_person p;
	assert_int_equal(names_person_parse("Vries,", &p), 0);
	assert_null(p.form[0].given);
	assert_int_equal(p.form[0].n_surnames, 1);
	assert_string_equal(p.form[0].surnames[0].main, "vries");
	names_person_done(&p);

	assert_int_equal(names_person_parse("Bakker--Wit", &p), 0);
	assert_int_equal(p.form[0].n_surnames, 2);
	assert_string_equal(p.form[0].surnames[0].main, "bakker");
	assert_string_equal(p.form[0].surnames[1].main, "wit");
	names_person_done(&p);

	assert_int_equal(names_person_parse_split(" ", "Vries", &p), 0);
	assert_null(p.form[0].given);
	assert_string_equal(p.form[0].surnames[0].main, "vries");
	names_person_done(&p);

	assert_int_equal(names_person_parse(", Jan", &p), -EINVAL);
	assert_int_equal(names_person_parse(" , ", &p), -EINVAL);
	assert_int_equal(names_person_parse("''", &p), -EINVAL);
	assert_int_equal(names_person_parse_split("Jan", " - ", &p), -EINVAL);
}

static void test_person_compare(void **state)
{
	(void)state;
	assert_int_equal(agree("Sjoerd", "van der Molen", "Sjoerd van der Molen"), NAMES_PERSON_FULL);
	assert_int_equal(agree("Sjoerd", "Van Der Molen", "Sjoerd van der Molen"), NAMES_PERSON_FULL);
	assert_int_equal(agree("Sjoerd van der", "Molen", "Sjoerd van der Molen"), NAMES_PERSON_FULL);
	assert_int_equal(agree("Sjoerd", "v.d. Molen", "Sjoerd van der Molen"), NAMES_PERSON_FULL);
	assert_int_equal(agree("Sjoerd", "Molen", "Sjoerd van der Molen"), NAMES_PERSON_FULL_LOOSE);
	assert_int_equal(agree("S.", "van der Molen", "Sjoerd van der Molen"), NAMES_PERSON_INITIALS);
	assert_int_equal(agree("S", "van der Molen", "Sjoerd van der Molen"), NAMES_PERSON_INITIALS);
	assert_int_equal(agree("Petra", "van den Berg", "P.J.M. van den Berg"), NAMES_PERSON_INITIALS);
	assert_int_equal(agree("P.J.", "van den Berg", "P.J.M. van den Berg"), NAMES_PERSON_INITIALS);
	assert_int_equal(agree("Anne Marie", "Ijsselstein", "Anne-Marie IJsselstein"), NAMES_PERSON_FULL);
	assert_int_equal(agree("Annemarie", "Yzelstein", "Anne-Marie IJzelstein"), NAMES_PERSON_FULL);
	assert_int_equal(agree("A.M.", "IJsselstein", "Anne-Marie IJsselstein"), NAMES_PERSON_INITIALS);
	assert_int_equal(agree("Jurgen", "Mueller", "Jürgen Müller"), NAMES_PERSON_FULL);
	assert_int_equal(agree("Jurgen", "Muller", "Jürgen Müller"), NAMES_PERSON_FULL);
	assert_int_equal(agree("Juergen", "Müller", "Jürgen Mueller"), NAMES_PERSON_FULL);
	assert_int_equal(agree("Eva", "Bakker-de Wit", "Eva de Wit"), NAMES_PERSON_FULL);
	assert_int_equal(agree("Eva", "Bakker - de Wit", "Eva de Wit"), NAMES_PERSON_FULL);
	assert_int_equal(agree("Eva", "de Wit", "Eva Bakker-de Wit"), NAMES_PERSON_FULL);
	assert_int_equal(agree("Eva", "Bakker", "Eva Bakker-de Wit"), NAMES_PERSON_FULL);
	assert_int_equal(agree("Jan", "de Vries", "Vries, Jan de"), NAMES_PERSON_FULL);
	assert_int_equal(agree("José", "Ramírez", "Jose Ramirez"), NAMES_PERSON_FULL);

	assert_int_equal(agree("Pieter", "van der Molen", "Sjoerd van der Molen"), NAMES_PERSON_DISAGREE);
	assert_int_equal(agree("J.", "van der Molen", "Sjoerd van der Molen"), NAMES_PERSON_DISAGREE);
	assert_int_equal(agree("Sjoerd", "de Molen", "Sjoerd van der Molen"), NAMES_PERSON_DISAGREE);
	assert_int_equal(agree("Sjoerd", "Molenaar", "Sjoerd van der Molen"), NAMES_PERSON_DISAGREE);
	assert_int_equal(agree("Anne", "IJsselstein", "Anne-Marie IJsselstein"), NAMES_PERSON_DISAGREE);
	assert_int_equal(agree(NULL, "van der Molen", "Sjoerd van der Molen"), NAMES_PERSON_DISAGREE);
	assert_int_equal(agree("Sjoerd", "Molen", "Molen"), NAMES_PERSON_DISAGREE); /* surname only */
	assert_int_equal(names_person_compare(NULL, NULL), NAMES_PERSON_DISAGREE);
	/* One edit in a long surname with the full given name: a typo (the
	 * matcher wants corroboration for it); not in short ones, not with
	 * initials, not with contradicting particles. */
	assert_int_equal(agree("Karin", "Hogenboom", "Karin Hoogenboom"), NAMES_PERSON_TYPO);
	assert_int_equal(agree("Karin", "van Hogenboom", "Karin van Hoogenboom"), NAMES_PERSON_TYPO);
	assert_int_equal(agree("K.", "Hogenboom", "Karin Hoogenboom"), NAMES_PERSON_DISAGREE);
	assert_int_equal(agree("Eva", "Bakkers", "Eva Bakker"), NAMES_PERSON_DISAGREE);
	assert_int_equal(agree("Ruud", "Bruggemans", "Ruud Bruggeman"), NAMES_PERSON_DISAGREE); /* -s: another name */
	assert_int_equal(agree("Karin", "de Hogenboom", "Karin van Hoogenboom"), NAMES_PERSON_DISAGREE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linkedin_url),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_word_classes),
		cmocka_unit_test(test_company_parse),
		cmocka_unit_test(test_company_parse_in),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_company_compare),
		cmocka_unit_test(test_company_german),
		cmocka_unit_test(test_jaro_winkler),
		cmocka_unit_test(test_jaro_winkler_counted),
		cmocka_unit_test(test_jaro_winkler_random),
		cmocka_unit_test(test_person_parse),
		cmocka_unit_test(test_person_parse_in),
		cmocka_unit_test(test_person_parse_empty_parts),
		cmocka_unit_test(test_person_compare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
