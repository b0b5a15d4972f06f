/* ingest_crm.c — the CRM and address-book CSV exports (Salesforce, HubSpot,
 * Google Contacts, Outlook) and Format=csv, whose columns the source's
 * Columns= names. Each format is one alias table on ingest_csv.c's table
 * machinery: what a layout calls its columns, in every spelling and language
 * we know, and which columns identify it when probing. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "contactwatch/ingest_csv.h"

/* Probe score of a recognised CRM header (+ up to 9 for mapped columns):
 * below LinkedIn's 100, whose Connected On no CRM writes. */
#define CRM_CONFIDENCE 80

#define NAME_ROLES (CSV_ROLE_BIT(CSV_ROLE_FIRST) | CSV_ROLE_BIT(CSV_ROLE_LAST))

/* ---- Salesforce ---------------------------------------------------------- */

/* Contact exports. Data Loader wrote API names in upper case before v61
 * (FIRSTNAME, ACCOUNT.NAME), SOQL spelling after (FirstName, Account.Name);
 * reports use labels (First Name, Account Name). Matching ignores case, so
 * one entry covers both API spellings. A Contact has no company of its own:
 * only the Account's name is one; AccountId alone is an opaque id, so it
 * identifies the export but gives no company. CreatedDate is when the CRM
 * record was made, not a connection: not read. */
static const ingest_csv_alias salesforce_aliases[] = {
	{ "FirstName", CSV_ROLE_FIRST, 0 },
	{ "First Name", CSV_ROLE_FIRST, 0 },
	{ "LastName", CSV_ROLE_LAST, 0 },
	{ "Last Name", CSV_ROLE_LAST, 0 },
	{ "Name", CSV_ROLE_NAME, 0 },
	{ "Full Name", CSV_ROLE_NAME, 0 },
	{ "Account.Name", CSV_ROLE_COMPANY, CSV_ALIAS_KEY },
	{ "Account Name", CSV_ROLE_COMPANY, CSV_ALIAS_KEY },
	{ "Account: Account Name", CSV_ROLE_COMPANY, CSV_ALIAS_KEY },
	{ "AccountId", CSV_ROLE_NONE, CSV_ALIAS_KEY },
	{ "Account ID", CSV_ROLE_NONE, CSV_ALIAS_KEY },
	{ "Title", CSV_ROLE_POSITION, 0 },
	{ "Email", CSV_ROLE_EMAIL, 0 },
};

static const ingest_csv_table salesforce_table = {
	.label = "Salesforce",
	.aliases = salesforce_aliases,
	.n_aliases = ELEMENTSOF(salesforce_aliases),
	.required = NAME_ROLES,
	.need_key = true,
	.confidence = CRM_CONFIDENCE,
	.event = CONTACT_EVENT_CONNECTION,
};

/* ---- HubSpot ------------------------------------------------------------- */

/* Contact exports, labels in the portal's language (English, Dutch). Company
 * Name is what the contact typed; Associated Company the linked company
 * record, used when Company Name is empty. Create Date is the CRM record's,
 * not a connection: not read. */
static const ingest_csv_alias hubspot_aliases[] = {
	{ "Record ID", CSV_ROLE_NONE, CSV_ALIAS_KEY },
	{ "Record-ID", CSV_ROLE_NONE, CSV_ALIAS_KEY },
	{ "Contact ID", CSV_ROLE_NONE, CSV_ALIAS_KEY },
	{ "Contact-ID", CSV_ROLE_NONE, CSV_ALIAS_KEY },
	{ "First Name", CSV_ROLE_FIRST, 0 },
	{ "Voornaam", CSV_ROLE_FIRST, 0 },
	{ "Last Name", CSV_ROLE_LAST, 0 },
	{ "Achternaam", CSV_ROLE_LAST, 0 },
	{ "Email", CSV_ROLE_EMAIL, 0 },
	{ "E-mail", CSV_ROLE_EMAIL, 0 },
	{ "E-mailadres", CSV_ROLE_EMAIL, 0 },
	{ "Company Name", CSV_ROLE_COMPANY, CSV_ALIAS_KEY },
	{ "Bedrijfsnaam", CSV_ROLE_COMPANY, CSV_ALIAS_KEY },
	{ "Associated Company", CSV_ROLE_COMPANY_ALT, CSV_ALIAS_KEY },
	{ "Associated Company (Primary)", CSV_ROLE_COMPANY_ALT, CSV_ALIAS_KEY },
	{ "Gekoppeld bedrijf", CSV_ROLE_COMPANY_ALT, CSV_ALIAS_KEY },
	{ "Job Title", CSV_ROLE_POSITION, 0 },
	{ "Functie", CSV_ROLE_POSITION, 0 },
	{ "Functietitel", CSV_ROLE_POSITION, 0 },
	{ "LinkedIn URL", CSV_ROLE_URL, 0 },
	{ "LinkedIn-URL", CSV_ROLE_URL, 0 },
};

static const ingest_csv_table hubspot_table = {
	.label = "HubSpot",
	.aliases = hubspot_aliases,
	.n_aliases = ELEMENTSOF(hubspot_aliases),
	.required = NAME_ROLES,
	.need_key = true,
	.confidence = CRM_CONFIDENCE,
	.event = CONTACT_EVENT_CONNECTION,
};

/* ---- Google Contacts ----------------------------------------------------- */

/* Both layouts in one table: the current one (First Name, Middle Name, Last
 * Name, Organization Name, "E-mail 1 - Value", ...) and the legacy one
 * (Name, Given Name, Additional Name, Family Name, "Organization 1 - Name").
 * Repeated groups are numbered as far as the file needs; several values in
 * one cell are joined with " ::: ". */
static const ingest_csv_alias google_aliases[] = {
	{ "First Name", CSV_ROLE_FIRST, 0 },
	{ "Middle Name", CSV_ROLE_MIDDLE, 0 },
	{ "Last Name", CSV_ROLE_LAST, 0 },
	{ "Name", CSV_ROLE_NAME, 0 },
	{ "Given Name", CSV_ROLE_FIRST, CSV_ALIAS_KEY },
	{ "Additional Name", CSV_ROLE_MIDDLE, 0 },
	{ "Family Name", CSV_ROLE_LAST, CSV_ALIAS_KEY },
	{ "Organization Name", CSV_ROLE_COMPANY, CSV_ALIAS_KEY },
	{ "Organization Title", CSV_ROLE_POSITION, 0 },
	{ "Organization # - Name", CSV_ROLE_COMPANY, CSV_ALIAS_KEY | CSV_ALIAS_DIGITS },
	{ "Organization # - Title", CSV_ROLE_POSITION, CSV_ALIAS_DIGITS },
	{ "E-mail # - Value", CSV_ROLE_EMAIL, CSV_ALIAS_KEY | CSV_ALIAS_DIGITS },
	{ "E-mail # - Label", CSV_ROLE_NONE, CSV_ALIAS_KEY | CSV_ALIAS_DIGITS },
	{ "E-mail # - Type", CSV_ROLE_NONE, CSV_ALIAS_KEY | CSV_ALIAS_DIGITS },
	{ "Website # - Value", CSV_ROLE_URL, CSV_ALIAS_DIGITS },
};

static const ingest_csv_table google_table = {
	.label = "Google Contacts",
	.aliases = google_aliases,
	.n_aliases = ELEMENTSOF(google_aliases),
	.required = NAME_ROLES,
	.need_key = true,
	.multi_sep = " ::: ",
	.confidence = CRM_CONFIDENCE,
	.event = CONTACT_EVENT_CONNECTION,
};

/* ---- Outlook ------------------------------------------------------------- */

/* The desktop export (92 columns, headers in the user's language: English
 * and Dutch here) and Outlook.com's 61 columns share these names. "Title" /
 * "Titel" is the salutation (Mr., Dhr.) and "Account" a billing field: not
 * a position or a company, so not read. The e-mail columns identify it. */
static const ingest_csv_alias outlook_aliases[] = {
	{ "First Name", CSV_ROLE_FIRST, 0 },
	{ "Voornaam", CSV_ROLE_FIRST, 0 },
	{ "Middle Name", CSV_ROLE_MIDDLE, 0 },
	{ "Middelste naam", CSV_ROLE_MIDDLE, 0 },
	{ "Last Name", CSV_ROLE_LAST, 0 },
	{ "Achternaam", CSV_ROLE_LAST, 0 },
	{ "Company", CSV_ROLE_COMPANY, 0 },
	{ "Bedrijf", CSV_ROLE_COMPANY, 0 },
	{ "Job Title", CSV_ROLE_POSITION, 0 },
	{ "Functie", CSV_ROLE_POSITION, 0 },
	{ "E-mail Address", CSV_ROLE_EMAIL, CSV_ALIAS_KEY },
	{ "E-mail # Address", CSV_ROLE_EMAIL, CSV_ALIAS_KEY | CSV_ALIAS_DIGITS },
	{ "E-mailadres", CSV_ROLE_EMAIL, CSV_ALIAS_KEY },
	{ "E-mail #", CSV_ROLE_EMAIL, CSV_ALIAS_KEY | CSV_ALIAS_DIGITS },
	{ "E-mailadres #", CSV_ROLE_EMAIL, CSV_ALIAS_KEY | CSV_ALIAS_DIGITS },
	{ "Web Page", CSV_ROLE_URL, CSV_ALIAS_KEY },
	{ "Webpagina", CSV_ROLE_URL, CSV_ALIAS_KEY },
	{ "E-mail Display Name", CSV_ROLE_NONE, CSV_ALIAS_KEY },
	{ "Weergavenaam voor e-mail", CSV_ROLE_NONE, CSV_ALIAS_KEY },
};

static const ingest_csv_table outlook_table = {
	.label = "Outlook",
	.aliases = outlook_aliases,
	.n_aliases = ELEMENTSOF(outlook_aliases),
	.required = NAME_ROLES,
	.need_key = true,
	.confidence = CRM_CONFIDENCE,
	.event = CONTACT_EVENT_CONNECTION,
};

/* ---- the registry's entries for the fixed layouts ------------------------ */

/* Each fixed layout is its table; the probe and parser_new that hand it to
 * the table machinery are the same code, so a macro writes them. */
#define CRM_FORMAT(id, label_)                                                                               \
	static const ingest_csv_table *const id##_tables[] = { &id##_table };                                 \
	static int id##_probe(const char *head, size_t len, bool at_eof)                                      \
	{                                                                                                     \
		return ingest_csv_table_probe(id##_tables, 1, head, len, at_eof);                             \
	}                                                                                                     \
	static void *id##_parser_new(const ingest_options *opt, ingest_record_fn cb, void *userdata,          \
				     ingest_result *result)                                                   \
	{                                                                                                     \
		return ingest_csv_table_parser_new(label_, id##_tables, 1, opt, cb, userdata, result);        \
	}                                                                                                     \
	const ingest_format ingest_format_##id = {                                                            \
		.name = #id,                                                                                  \
		.probe = id##_probe,                                                                          \
		.parser_new = id##_parser_new,                                                                \
		.parser_feed = ingest_csv_table_parser_feed,                                                  \
		.parser_finish = ingest_csv_table_parser_finish,                                              \
		.parser_free = ingest_csv_table_parser_free,                                                  \
	}

CRM_FORMAT(salesforce, "Salesforce");
CRM_FORMAT(hubspot, "HubSpot");
CRM_FORMAT(google, "Google Contacts");
CRM_FORMAT(outlook, "Outlook");

/* ---- Format=csv ---------------------------------------------------------- */

/* The roles Columns= may name, in the order messages list them. */
static const struct {
	const char *name;
	ingest_csv_role role;
} columns_roles[] = {
	{ "first", CSV_ROLE_FIRST },	 { "middle", CSV_ROLE_MIDDLE },	      { "last", CSV_ROLE_LAST },
	{ "name", CSV_ROLE_NAME },	 { "company", CSV_ROLE_COMPANY },     { "position", CSV_ROLE_POSITION },
	{ "email", CSV_ROLE_EMAIL },	 { "url", CSV_ROLE_URL },	      { "date", CSV_ROLE_DATE },
};
#define COLUMNS_ROLE_LIST "first, middle, last, name, company, position, email, url, date"

typedef struct columns_parser {
	ingest_csv_table table;
	const ingest_csv_table *tables[1];
	ingest_csv_alias aliases[CSV_MAX_TABLE_ALIASES];
	char *text;         /* a copy of Columns=: the aliases' headers point into it */
	void *inner;        /* the table parser; NULL when Columns= is unusable */
	ingest_result *result;
	char error[sizeof ((ingest_result *)0)->error];
} columns_parser;

static char *columns_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	s[n] = '\0';
	return s;
}

__attribute__((format(printf, 2, 3))) static int columns_fail(columns_parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->error, sizeof p->error, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* Reads one header at *s up to the next unquoted ',' (or the end), in place:
 * `"Werkadres, straat"` may be quoted, with "" for a quote, since Outlook's
 * Dutch headers contain commas. Returns the header, *s after its comma. */
static char *columns_read_header(char **s, bool *ret_bad_quote)
{
	char *p = *s, *out, *start;
	*ret_bad_quote = false;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '"') {
		start = p;
		p += strcspn(p, ",");
		*s = *p ? p + 1 : p;
		*p = '\0';
		return columns_trim(start);
	}
	start = out = ++p;
	for (;; p++) {
		if (*p == '\0') {
			*ret_bad_quote = true;
			*s = p;
			return NULL;
		}
		if (*p == '"' && p[1] == '"')
			*out++ = *p++;
		else if (*p == '"')
			break;
		else
			*out++ = *p;
	}
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p && *p != ',') {
		*ret_bad_quote = true;
		*s = p;
		return NULL;
	}
	*s = *p ? p + 1 : p;
	*out = '\0';
	return start;
}

/* "role:Header Name,role:Header Name,..." into p->aliases. */
static int columns_parse(columns_parser *p, const char *columns)
{
	unsigned roles = 0;
	size_t n = 0;
	char *s;

	if (!isempty(columns))
		memcpy(p->text, columns, strlen(columns) + 1);
	if (isempty(columns) || !*columns_trim(p->text))
		return columns_fail(p, "Format=csv needs Columns= naming the columns (role:Header,...; roles: "
				       COLUMNS_ROLE_LIST ")");
	s = p->text;
	while (*s) {
		char *colon, *role_name, *header;
		bool bad_quote;
		size_t r;

		while (*s == ' ' || *s == '\t')
			s++;
		role_name = s;
		colon = s + strcspn(s, ":,");
		if (*colon != ':')
			return columns_fail(p, "bad Columns= item %zu: expected role:Header, got \"%.*s\"", n + 1,
					    (int)(colon - role_name), role_name);
		*colon = '\0';
		role_name = columns_trim(role_name);
		s = colon + 1;
		header = columns_read_header(&s, &bad_quote);
		if (bad_quote)
			return columns_fail(p, "bad Columns= item %zu: unbalanced quotes in the header name", n + 1);
		for (r = 0; r < ELEMENTSOF(columns_roles); r++)
			if (strcasecmp(columns_roles[r].name, role_name) == 0)
				break;
		if (r == ELEMENTSOF(columns_roles))
			return columns_fail(p, "bad Columns= item %zu: unknown role \"%s\" (roles: " COLUMNS_ROLE_LIST ")",
					    n + 1, role_name);
		if (!*header)
			return columns_fail(p, "bad Columns= item %zu: no header name after \"%s:\"", n + 1, role_name);
		ingest_csv_role role = columns_roles[r].role;
		if (role != CSV_ROLE_EMAIL && role != CSV_ROLE_URL && (roles & CSV_ROLE_BIT(role)))
			return columns_fail(p, "bad Columns= item %zu: role \"%s\" given twice (only email and url repeat)",
					    n + 1, columns_roles[r].name);
		for (size_t k = 0; k < n; k++)
			if (strcasecmp(p->aliases[k].header, header) == 0)
				return columns_fail(p, "bad Columns= item %zu: header \"%s\" named twice", n + 1, header);
		if (n >= CSV_MAX_TABLE_ALIASES)
			return columns_fail(p, "bad Columns=: more than %u items", CSV_MAX_TABLE_ALIASES);
		p->aliases[n++] = (ingest_csv_alias){ .role = role, .header = header };
		roles |= CSV_ROLE_BIT(role);
	}
	if (!(roles & (CSV_ROLE_BIT(CSV_ROLE_FIRST) | CSV_ROLE_BIT(CSV_ROLE_LAST) | CSV_ROLE_BIT(CSV_ROLE_NAME) |
		       CSV_ROLE_BIT(CSV_ROLE_COMPANY) | CSV_ROLE_BIT(CSV_ROLE_EMAIL) | CSV_ROLE_BIT(CSV_ROLE_URL))))
		return columns_fail(p, "bad Columns=: no column to match on (first, last, name, company, email or url)");
	p->table = (ingest_csv_table){
		.label = "Columns=",
		.aliases = p->aliases,
		.n_aliases = n,
		.all_required = true,
		.event = CONTACT_EVENT_CONNECTION,
	};
	return 0;
}

static void *columns_parser_free(void *parser)
{
	columns_parser *p = parser;
	if (p) {
		ingest_csv_table_parser_free(p->inner);
		free(p->text);
		free(p);
	}
	return NULL;
}

static void *columns_parser_new(const ingest_options *opt, ingest_record_fn cb, void *userdata, ingest_result *result)
{
	columns_parser *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->result = result;
	p->text = malloc(strlen(strempty(opt->columns)) + 1);
	if (!p->text)
		return columns_parser_free(p);
	/* A bad Columns= is the file's -EBADMSG on the first feed: parser_new
	 * can only say ENOMEM. */
	if (columns_parse(p, opt->columns) < 0)
		return p;
	p->tables[0] = &p->table;
	p->inner = ingest_csv_table_parser_new("Columns=", p->tables, 1, opt, cb, userdata, result);
	if (!p->inner)
		return columns_parser_free(p);
	return p;
}

static int columns_parser_error(columns_parser *p)
{
	snprintf(p->result->error, sizeof p->result->error, "%s", p->error);
	p->result->error_line = 0;
	return -EBADMSG;
}

static int columns_parser_feed(void *parser, const char *buf, size_t n)
{
	columns_parser *p = parser;
	return p->inner ? ingest_csv_table_parser_feed(p->inner, buf, n) : columns_parser_error(p);
}

static int columns_parser_finish(void *parser)
{
	columns_parser *p = parser;
	return p->inner ? ingest_csv_table_parser_finish(p->inner) : columns_parser_error(p);
}

/* Never probed: a file is read as Format=csv only when its source says so,
 * with Columns=; under auto an unknown layout says how to set that up. */
static int columns_probe(const char *head, size_t len, bool at_eof)
{
	(void)head;
	(void)len;
	(void)at_eof;
	return 0;
}

const ingest_format ingest_format_csv = {
	.name = "csv",
	.probe = columns_probe,
	.parser_new = columns_parser_new,
	.parser_feed = columns_parser_feed,
	.parser_finish = columns_parser_finish,
	.parser_free = columns_parser_free,
};
