/* ingest_json.c — JSON contact exports (Microsoft Graph, Google People,
 * HubSpot v3, Salesforce REST, or a bare array of their records): a push-based
 * scanner that validates the whole document in bounded memory and cuts out one
 * record object at a time, which jansson then reads and we map to a contact. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include <jansson.h>

#include "contactwatch/ingest_formats.h"
#include "contactwatch/text.h"

/* The top-level keys that hold the record list, one per API. */
static const char *const json_container_keys[] = { "value", "connections", "results", "records" };

/* Keys that mark a record object of one of the APIs, for probing a bare
 * array (Graph, Google, HubSpot, Salesforce). */
static const char *const json_element_keys[] = { "givenName",	   "surname",	 "displayName", "names",
						 "emailAddresses", "properties", "attributes",	"FirstName",
						 "LastName" };

#define JSON_KEY_MAX 64u      /* a top-level key longer than this is no container key */
#define JSON_KEYS_DESC 256u   /* the top-level keys quoted in the "unknown container" error */
#define JSON_KEY_SHOWN 32u    /* bytes of one key quoted there */
#define JSON_MAX_MULTI 16u    /* e-mails / URLs kept per record */

static const char json_bom[] = "\xef\xbb\xbf";

/* What the grammar allows next, outside any token. */
enum json_expect {
	EXPECT_VALUE, /* document start, after ':', after '[' or ',' in an array */
	EXPECT_KEY,   /* after '{' or ',' in an object */
	EXPECT_COLON,
	EXPECT_AFTER, /* after a value inside a container: ',' or the closing bracket */
	EXPECT_DONE,  /* after the top-level value: only blanks */
};

/* The token being read, if any. */
enum json_lex {
	LEX_NONE,
	LEX_STRING,
	LEX_ESCAPE,       /* after '\' */
	LEX_HEX,          /* in the 4 digits of \uXXXX */
	LEX_LOW_BACKSLASH, /* after a high surrogate: the '\' of its low half */
	LEX_LOW_U,        /* ... and its 'u' */
	LEX_NUMBER,
	LEX_LITERAL,
};

enum json_num {
	NUM_MINUS,    /* '-': a digit must follow */
	NUM_ZERO,     /* a leading 0: no more integer digits */
	NUM_INT,
	NUM_DOT,      /* '.': a digit must follow */
	NUM_FRAC,
	NUM_EXP,      /* 'e': sign or digit */
	NUM_EXP_SIGN, /* a digit must follow */
	NUM_EXP_DIGITS,
};

/* Fields ordered by size (8, 4, 1 bytes, then arrays) to keep padding out. */
typedef struct json_parser {
	const ingest_limits *limits;
	ingest_record_fn cb;
	void *userdata;
	ingest_result *result;
	uint64_t offset;      /* bytes fed so far (the BOM is only at offset 0..2) */
	const char *literal;  /* the literal being read: "true", "false" or "null" */
	size_t key_len;       /* the top-level key being captured */
	size_t keys_desc_len;
	size_t n_keys;        /* top-level keys seen */
	uint64_t elements;    /* elements of the record list so far */
	char *rec;            /* the record object being cut out */
	size_t rec_len, rec_cap;

	int stopped;          /* sticky: the error or the callback's stop */
	unsigned line;        /* physical line of the next byte */
	unsigned last_line;   /* line of the last non-blank byte, for "ends too early" */
	enum json_expect expect;
	unsigned depth;
	enum json_lex lex;
	unsigned string_line;
	unsigned utf8_need;   /* continuation bytes still due */
	unsigned hex_n;
	uint32_t hex;
	uint32_t high;        /* pending high surrogate, 0 if none */
	enum json_num num;
	unsigned literal_pos;
	unsigned records_depth; /* depth inside the open record array; 0 when none is open */
	unsigned first_rejected_line;
	unsigned rec_line;    /* where the record being cut out starts */

	bool prev_cr;         /* CRLF is one line end */
	bool bom_possible;
	bool any;             /* a non-blank byte was seen */
	bool after_comma;     /* the last structural byte was ',' (trailing comma check) */
	bool just_opened;     /* the last structural byte opened a container */
	bool string_is_key;
	unsigned char utf8_lo, utf8_hi; /* range of the next one (no overlongs, surrogates) */
	bool top_object;
	bool capture_key;     /* the string being read is a key of the top object */
	bool key_long;
	bool key_is_container;
	bool keys_more;       /* keys_desc is full */
	bool records_found;
	bool capturing;

	bool is_object[CW_MAX_JSON_DEPTH + 1]; /* by depth; [0] unused */
	char key[JSON_KEY_MAX];
	char keys_desc[JSON_KEYS_DESC];
	char records_name[24]; /* for messages: "\"results\"" or "the top-level array" */
} json_parser;

__attribute__((format(printf, 3, 4))) static int json_fail(json_parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->result->error, sizeof p->result->error, fmt, ap);
	va_end(ap);
	p->result->error_line = line;
	return p->stopped = -EBADMSG;
}

/* "'x'" for printable ASCII, "byte 0xNN" otherwise: the message must stay
 * readable (and valid UTF-8) whatever the input holds. */
static const char *json_describe_byte(unsigned char b, char buf[static 16])
{
	if (b >= 0x20 && b < 0x7f)
		snprintf(buf, 16, "'%c'", b);
	else
		snprintf(buf, 16, "byte 0x%02x", b);
	return buf;
}

static int json_fail_unexpected(json_parser *p, unsigned char b, const char *expected)
{
	char d[16];
	return json_fail(p, p->line, "expected %s, found %s", expected, json_describe_byte(b, d));
}

/* ---- the record list and its elements ----------------------------------- */

static void json_reject(json_parser *p, unsigned line)
{
	if (p->result->rejected++ == 0)
		p->first_rejected_line = line;
}

/* Keeps the top-level keys for the "unknown container" message, cut at a
 * character boundary and with control characters masked. */
static void json_note_top_key(json_parser *p)
{
	char shown[JSON_KEY_SHOWN + 1];
	size_t n = p->key_len < JSON_KEY_SHOWN ? p->key_len : JSON_KEY_SHOWN;
	int k;

	p->key_is_container = false;
	if (!p->key_long)
		for (size_t i = 0; i < ELEMENTSOF(json_container_keys); i++)
			if (strlen(json_container_keys[i]) == p->key_len &&
			    memcmp(json_container_keys[i], p->key, p->key_len) == 0)
				p->key_is_container = true;

	p->n_keys++;
	if (p->keys_more)
		return;
	while (n > 0 && n < p->key_len && ((unsigned char)p->key[n] & 0xc0) == 0x80)
		n--;
	for (size_t i = 0; i < n; i++)
		shown[i] = (unsigned char)p->key[i] < 0x20 ? '?' : p->key[i];
	shown[n] = '\0';
	k = snprintf(p->keys_desc + p->keys_desc_len, sizeof p->keys_desc - p->keys_desc_len, "%s\"%s%s\"",
		     p->n_keys > 1 ? ", " : "", shown, n < p->key_len || p->key_long ? "..." : "");
	/* Room is kept for the ", ..." that says the list goes on. */
	if (k < 0 || p->keys_desc_len + (size_t)k + 6 >= sizeof p->keys_desc) {
		p->keys_desc[p->keys_desc_len] = '\0';
		p->keys_more = true;
		return;
	}
	p->keys_desc_len += (size_t)k;
}

static int json_capture(json_parser *p, const char *s, size_t n)
{
	if (n > p->limits->max_record_size - p->rec_len)
		return json_fail(p, p->rec_line, "JSON record larger than %" PRIu64 " bytes",
				 p->limits->max_record_size);
	if (p->rec_len + n > p->rec_cap) {
		size_t cap = p->rec_cap ? p->rec_cap : 4096;
		char *m;
		while (cap < p->rec_len + n)
			cap *= 2;
		if (cap > p->limits->max_record_size)
			cap = p->limits->max_record_size;
		m = realloc(p->rec, cap);
		if (!m)
			return p->stopped = -ENOMEM;
		p->rec = m;
		p->rec_cap = cap;
	}
	memcpy(p->rec + p->rec_len, s, n);
	p->rec_len += n;
	return 0;
}

/* A value starts at the current depth: decides the shape of the document
 * and which values are the records. */
static int json_value_begin(json_parser *p, unsigned char b)
{
	if (p->depth == 0) {
		if (b == '{') {
			p->top_object = true;
		} else if (b == '[') {
			p->records_found = true;
			p->records_depth = 1;
			snprintf(p->records_name, sizeof p->records_name, "the top-level array");
		} else {
			return json_fail(p, p->line, "JSON document is a %s, not an object or array",
					 b == '"' ? "string" : b == 't' || b == 'f' ? "boolean" : b == 'n' ? "null" : "number");
		}
		return 0;
	}
	if (p->depth == 1 && p->top_object && p->key_is_container && !p->records_found && b == '[') {
		/* The first container key holding an array wins; a later one is only
		 * validated. */
		p->records_found = true;
		p->records_depth = 2;
		snprintf(p->records_name, sizeof p->records_name, "\"%.*s\"", (int)p->key_len, p->key);
		return 0;
	}
	if (p->records_depth && p->depth == p->records_depth) {
		if (++p->elements > p->limits->max_records)
			return json_fail(p, p->line, "more than %" PRIu64 " records", p->limits->max_records);
		if (b != '{') {
			json_reject(p, p->line);
			return 0;
		}
		p->capturing = true;
		p->rec_line = p->line;
		p->rec_len = 0;
		return json_capture(p, "{", 1);
	}
	return 0;
}

/* ---- mapping one record (jansson) ---------------------------------------- */

/* A trimmed copy of a string value into *dst unless already set; non-strings
 * and blanks are absent. -E2BIG (the record is rejected) over max_field_size. */
static int json_field_set(json_parser *p, char **dst, json_t *v)
{
	char *s;
	if (*dst || !json_is_string(v))
		return 0;
	s = strdup(json_string_value(v));
	if (!s)
		return -ENOMEM;
	text_strip(s);
	if (!*s) {
		free(s);
		return 0;
	}
	if (strlen(s) > p->limits->max_field_size) {
		free(s);
		return -E2BIG;
	}
	*dst = s;
	return 0;
}

static int json_field_push(json_parser *p, char ***l, json_t *v)
{
	_cleanup_free_ char *s = NULL;
	int r;
	if (strv_length(*l) >= JSON_MAX_MULTI)
		return 0;
	r = json_field_set(p, &s, v);
	if (r < 0 || !s || strv_contains(*l, s))
		return r;
	return strv_push(l, s);
}

/* Google lists each kind of field as an array of objects, one of them marked
 * metadata.primary; without a mark the first is the one shown. */
static json_t *json_google_primary(json_t *list)
{
	json_t *first = NULL, *e;
	size_t i;
	json_array_foreach(list, i, e) {
		if (!json_is_object(e))
			continue;
		if (!first)
			first = e;
		if (json_is_true(json_object_get(json_object_get(e, "metadata"), "primary")))
			return e;
	}
	return first;
}

/* Every entry's key into l, the primary first, so that contact_email() and
 * contact_profile_url() show what the owner marked primary while matching
 * still sees the others. */
static int json_google_push_all(json_parser *p, char ***l, json_t *list, const char *key)
{
	json_t *primary = json_google_primary(list), *e;
	size_t i;
	int r;
	if (!primary)
		return 0;
	r = json_field_push(p, l, json_object_get(primary, key));
	json_array_foreach(list, i, e) {
		if (r < 0)
			break;
		if (e != primary && json_is_object(e))
			r = json_field_push(p, l, json_object_get(e, key));
	}
	return r;
}

static int json_map_google(json_parser *p, json_t *o, contact *c)
{
	json_t *name = json_google_primary(json_object_get(o, "names"));
	json_t *org = json_google_primary(json_object_get(o, "organizations"));
	int r = 0;
	if (name)
		r = json_field_set(p, &c->first, json_object_get(name, "givenName")) ?:
		    json_field_set(p, &c->last, json_object_get(name, "familyName")) ?:
		    json_field_set(p, &c->name, json_object_get(name, "displayName"));
	if (r >= 0 && org)
		r = json_field_set(p, &c->company, json_object_get(org, "name")) ?:
		    json_field_set(p, &c->position, json_object_get(org, "title"));
	return r ?: json_google_push_all(p, &c->emails, json_object_get(o, "emailAddresses"), "value") ?:
	       json_google_push_all(p, &c->urls, json_object_get(o, "urls"), "value");
}

static int json_map_hubspot(json_parser *p, json_t *o, contact *c)
{
	json_t *props = json_object_get(o, "properties");
	/* createdate is when the CRM record was made, not when the employee
	 * connected: leaving it out keeps the contact undated. */
	return json_field_set(p, &c->first, json_object_get(props, "firstname")) ?:
	       json_field_set(p, &c->last, json_object_get(props, "lastname")) ?:
	       json_field_set(p, &c->company, json_object_get(props, "company")) ?:
	       json_field_set(p, &c->position, json_object_get(props, "jobtitle")) ?:
	       json_field_push(p, &c->emails, json_object_get(props, "email")) ?:
	       json_field_push(p, &c->urls, json_object_get(props, "hs_linkedin_url")) ?:
	       json_field_push(p, &c->urls, json_object_get(props, "website"));
}

static int json_map_salesforce(json_parser *p, json_t *o, contact *c)
{
	/* A Contact names its company only through the Account relationship; a
	 * Lead has it as plain Company. */
	return json_field_set(p, &c->first, json_object_get(o, "FirstName")) ?:
	       json_field_set(p, &c->last, json_object_get(o, "LastName")) ?:
	       json_field_set(p, &c->name, json_object_get(o, "Name")) ?:
	       json_field_set(p, &c->company, json_object_get(json_object_get(o, "Account"), "Name")) ?:
	       json_field_set(p, &c->company, json_object_get(o, "Company")) ?:
	       json_field_set(p, &c->position, json_object_get(o, "Title")) ?:
	       json_field_push(p, &c->emails, json_object_get(o, "Email")) ?:
	       json_field_push(p, &c->urls, json_object_get(o, "LinkedIn__c"));
}

static int json_map_graph(json_parser *p, json_t *o, contact *c)
{
	json_t *emails = json_object_get(o, "emailAddresses"), *e;
	size_t i;
	int r = json_field_set(p, &c->first, json_object_get(o, "givenName")) ?:
		json_field_set(p, &c->last, json_object_get(o, "surname")) ?:
		json_field_set(p, &c->name, json_object_get(o, "displayName")) ?:
		json_field_set(p, &c->company, json_object_get(o, "companyName")) ?:
		json_field_set(p, &c->position, json_object_get(o, "jobTitle"));
	json_array_foreach(emails, i, e) {
		if (r < 0)
			break;
		r = json_field_push(p, &c->emails, json_object_get(e, "address"));
	}
	return r ?: json_field_push(p, &c->urls, json_object_get(o, "businessHomePage"));
}

/* The element's API, told by its keys: a bare array may hold any of them. */
static int json_map(json_parser *p, json_t *o, contact *c)
{
	json_t *emails = json_object_get(o, "emailAddresses");
	if (json_is_object(json_object_get(o, "properties")))
		return json_map_hubspot(p, o, c);
	if (json_object_get(o, "attributes") || json_object_get(o, "FirstName") || json_object_get(o, "LastName") ||
	    json_object_get(o, "Account") || json_object_get(o, "Email"))
		return json_map_salesforce(p, o, c);
	if (json_object_get(o, "names") || json_object_get(o, "organizations") || json_object_get(o, "resourceName") ||
	    json_object_get(json_array_get(emails, 0), "value"))
		return json_map_google(p, o, c);
	return json_map_graph(p, o, c);
}

static int json_record_done(json_parser *p)
{
	json_t *o;
	contact c;
	int r;

	p->capturing = false;
	/* The scanner has checked syntax, UTF-8, escapes and depth; what jansson
	 * may still refuse (\u0000, numbers beyond its range) makes the record
	 * unreadable, not the file. */
	o = json_loadb(p->rec, p->rec_len, 0, NULL);
	if (!o) {
		json_reject(p, p->rec_line);
		return 0;
	}
	contact_init(&c);
	r = json_map(p, o, &c);
	json_decref(o);
	if (r == -ENOMEM)
		goto fail;
	if (r == 0 && !c.name && (c.first || c.last)) {
		if (c.first && c.last)
			r = asprintf(&c.name, "%s %s", c.first, c.last) < 0 ? -ENOMEM : 0;
		else
			c.name = strdup(c.first ? c.first : c.last);
		if (r < 0 || !c.name) {
			r = -ENOMEM;
			goto fail;
		}
	}
	/* A profile URL alone is the strongest identity signal there is, so it
	 * makes a record as much as a name, e-mail or company does. */
	if (r < 0 || (!c.name && !c.emails && !c.company && !c.urls)) {
		json_reject(p, p->rec_line);
		contact_done(&c);
		return 0;
	}
	c.record = ++p->result->records;
	c.line = p->rec_line;
	r = p->cb(&c, p->userdata);
	contact_done(&c);
	if (r < 0)
		p->stopped = r;
	return r < 0 ? r : 0;
fail:
	contact_done(&c);
	return p->stopped = r;
}

/* ---- the scanner ---------------------------------------------------------- */

static int json_push(json_parser *p, bool object)
{
	if (p->depth >= p->limits->max_json_depth)
		return json_fail(p, p->line, "JSON nested deeper than %u levels", p->limits->max_json_depth);
	p->is_object[++p->depth] = object;
	p->expect = object ? EXPECT_KEY : EXPECT_VALUE;
	p->just_opened = true;
	p->after_comma = false;
	return 0;
}

static void json_value_done(json_parser *p)
{
	p->expect = p->depth == 0 ? EXPECT_DONE : EXPECT_AFTER;
	p->just_opened = false;
	p->after_comma = false;
}

static int json_pop(json_parser *p)
{
	int r = 0;
	p->depth--;
	if (p->capturing && p->depth == p->records_depth)
		r = json_record_done(p);
	else if (p->records_depth && p->depth + 1 == p->records_depth)
		p->records_depth = 0; /* the record list is closed */
	json_value_done(p);
	return r;
}

static void json_key_add(json_parser *p, uint32_t cp)
{
	char u[4];
	if (!p->capture_key)
		return;
	size_t n = text_utf8_encode(cp, u);
	if (p->key_len + n > sizeof p->key) {
		p->key_long = true;
		return;
	}
	memcpy(p->key + p->key_len, u, n);
	p->key_len += n;
}

static void json_string_begin(json_parser *p, bool key)
{
	p->lex = LEX_STRING;
	p->string_is_key = key;
	p->string_line = p->line;
	p->utf8_need = 0;
	p->high = 0;
	/* Only the top object's keys are kept: they locate the record list. */
	p->capture_key = key && p->depth == 1 && p->top_object;
	if (p->capture_key) {
		p->key_len = 0;
		p->key_long = false;
	}
}

static void json_string_end(json_parser *p)
{
	p->lex = LEX_NONE;
	if (p->string_is_key) {
		if (p->capture_key)
			json_note_top_key(p);
		p->expect = EXPECT_COLON;
		p->just_opened = false;
		p->after_comma = false;
	} else
		json_value_done(p);
}

/* A byte of string content (not an escape). */
static int json_string_byte(json_parser *p, unsigned char b)
{
	if (p->utf8_need > 0) {
		if (b < p->utf8_lo || b > p->utf8_hi)
			return json_fail(p, p->line, "invalid UTF-8");
		p->utf8_need--;
		p->utf8_lo = 0x80;
		p->utf8_hi = 0xbf;
		json_key_add(p, b); /* raw bytes of a key: added as they come */
		return 0;
	}
	if (b == '"') {
		json_string_end(p);
		return 0;
	}
	if (b == '\\') {
		p->lex = LEX_ESCAPE;
		return 0;
	}
	if (b == '\n' || b == '\r')
		return json_fail(p, p->string_line, "unterminated string");
	if (b < 0x20)
		return json_fail(p, p->line, "control character 0x%02x in a string", b);
	if (b >= 0x80) {
		/* The ranges of RFC 3629: no overlong forms, no surrogates, nothing
		 * past U+10FFFF. */
		p->utf8_lo = 0x80;
		p->utf8_hi = 0xbf;
		if (b >= 0xc2 && b <= 0xdf)
			p->utf8_need = 1;
		else if (b >= 0xe0 && b <= 0xef) {
			p->utf8_need = 2;
			if (b == 0xe0)
				p->utf8_lo = 0xa0;
			else if (b == 0xed)
				p->utf8_hi = 0x9f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			p->utf8_need = 3;
			if (b == 0xf0)
				p->utf8_lo = 0x90;
			else if (b == 0xf4)
				p->utf8_hi = 0x8f;
		} else
			return json_fail(p, p->line, "invalid UTF-8");
		json_key_add(p, b);
		return 0;
	}
	json_key_add(p, b);
	return 0;
}

static int json_escape_byte(json_parser *p, unsigned char b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e = b ? strchr(from, b) : NULL;
	if (b == 'u') {
		p->lex = LEX_HEX;
		p->hex_n = 0;
		p->hex = 0;
		return 0;
	}
	if (!e && b >= 0x20 && b < 0x7f)
		return json_fail(p, p->line, "invalid escape '\\%c' in a string", b);
	if (!e)
		return json_fail(p, p->line, "invalid escape in a string (byte 0x%02x after '\\')", b);
	json_key_add(p, (unsigned char)to[e - from]);
	p->lex = LEX_STRING;
	return 0;
}

static int json_hex_byte(json_parser *p, unsigned char b)
{
	uint32_t v;
	if (b >= '0' && b <= '9')
		v = b - '0';
	else if (b >= 'a' && b <= 'f')
		v = b - 'a' + 10;
	else if (b >= 'A' && b <= 'F')
		v = b - 'A' + 10;
	else
		return json_fail(p, p->line, "invalid \\u escape in a string");
	p->hex = p->hex << 4 | v;
	if (++p->hex_n < 4)
		return 0;
	p->lex = LEX_STRING;
	if (p->high) {
		if (p->hex < 0xdc00 || p->hex > 0xdfff)
			return json_fail(p, p->line, "unpaired surrogate in a \\u escape");
		json_key_add(p, 0x10000 + ((p->high - 0xd800) << 10) + (p->hex - 0xdc00));
		p->high = 0;
	} else if (p->hex >= 0xd800 && p->hex <= 0xdbff) {
		p->high = p->hex;
		p->lex = LEX_LOW_BACKSLASH;
	} else if (p->hex >= 0xdc00 && p->hex <= 0xdfff)
		return json_fail(p, p->line, "unpaired surrogate in a \\u escape");
	else
		json_key_add(p, p->hex);
	return 0;
}

/* Returns 1 when b is not part of the number (which then ends before it). */
static int json_number_byte(json_parser *p, unsigned char b)
{
	bool digit = b >= '0' && b <= '9';
	switch (p->num) {
	case NUM_MINUS:
		if (!digit)
			break;
		p->num = b == '0' ? NUM_ZERO : NUM_INT;
		return 0;
	case NUM_ZERO:
	case NUM_INT:
		if (digit && p->num == NUM_INT)
			return 0;
		if (b == '.')
			p->num = NUM_DOT;
		else if (b == 'e' || b == 'E')
			p->num = NUM_EXP;
		else if (digit)
			break; /* 01 */
		else
			return 1;
		return 0;
	case NUM_DOT:
		if (!digit)
			break;
		p->num = NUM_FRAC;
		return 0;
	case NUM_FRAC:
		if (digit)
			return 0;
		if (b == 'e' || b == 'E') {
			p->num = NUM_EXP;
			return 0;
		}
		return 1;
	case NUM_EXP:
		if (b == '+' || b == '-') {
			p->num = NUM_EXP_SIGN;
			return 0;
		}
		if (!digit)
			break;
		p->num = NUM_EXP_DIGITS;
		return 0;
	case NUM_EXP_SIGN:
		if (!digit)
			break;
		p->num = NUM_EXP_DIGITS;
		return 0;
	case NUM_EXP_DIGITS:
		return digit ? 0 : 1;
	}
	return json_fail(p, p->line, "invalid number");
}

static int json_close(json_parser *p, unsigned char b)
{
	bool object = b == '}';
	if (p->is_object[p->depth] != object)
		return json_fail_unexpected(p, b, p->is_object[p->depth] ? "',' or '}'" : "',' or ']'");
	return json_pop(p);
}

/* A byte outside any token. */
static int json_structural(json_parser *p, unsigned char b)
{
	int r;
	if (b == ' ' || b == '\t' || b == '\n' || b == '\r')
		return 0;
	switch (p->expect) {
	case EXPECT_DONE:
		return json_fail(p, p->line, "trailing data after the JSON document");
	case EXPECT_COLON:
		if (b != ':')
			return json_fail_unexpected(p, b, "':' after an object key");
		p->expect = EXPECT_VALUE;
		return 0;
	case EXPECT_KEY:
		if (b == '"') {
			json_string_begin(p, true);
			return 0;
		}
		if (b == '}' && p->after_comma)
			return json_fail(p, p->line, "trailing comma before '}'");
		if (b == '}' && p->just_opened)
			return json_pop(p);
		return json_fail_unexpected(p, b, "an object key (a string)");
	case EXPECT_AFTER:
		if (b == ',') {
			p->expect = p->is_object[p->depth] ? EXPECT_KEY : EXPECT_VALUE;
			p->after_comma = true;
			return 0;
		}
		if (b == '}' || b == ']')
			return json_close(p, b);
		return json_fail_unexpected(p, b, p->is_object[p->depth] ? "',' or '}'" : "',' or ']'");
	case EXPECT_VALUE:
		break;
	}
	if (b == ']' && p->after_comma)
		return json_fail(p, p->line, "trailing comma before ']'");
	if (b == ']' && p->just_opened && p->depth > 0 && !p->is_object[p->depth])
		return json_pop(p);
	if (!(b == '{' || b == '[' || b == '"' || b == '-' || (b >= '0' && b <= '9') || b == 't' || b == 'f' ||
	      b == 'n'))
		return json_fail_unexpected(p, b, "a value");
	r = json_value_begin(p, b);
	if (r < 0)
		return r;
	switch (b) {
	case '{':
	case '[':
		return json_push(p, b == '{');
	case '"':
		json_string_begin(p, false);
		return 0;
	case 't':
	case 'f':
	case 'n':
		p->lex = LEX_LITERAL;
		p->literal = b == 't' ? "true" : b == 'f' ? "false" : "null";
		p->literal_pos = 1;
		return 0;
	default:
		p->lex = LEX_NUMBER;
		p->num = b == '-' ? NUM_MINUS : b == '0' ? NUM_ZERO : NUM_INT;
		return 0;
	}
}

static int json_byte(json_parser *p, unsigned char b)
{
	int r;
	switch (p->lex) {
	case LEX_STRING:
		return json_string_byte(p, b);
	case LEX_ESCAPE:
		return json_escape_byte(p, b);
	case LEX_HEX:
		return json_hex_byte(p, b);
	case LEX_LOW_BACKSLASH:
		if (b != '\\')
			return json_fail(p, p->line, "unpaired surrogate in a \\u escape");
		p->lex = LEX_LOW_U;
		return 0;
	case LEX_LOW_U:
		if (b != 'u')
			return json_fail(p, p->line, "unpaired surrogate in a \\u escape");
		p->lex = LEX_HEX;
		p->hex_n = 0;
		p->hex = 0;
		return 0;
	case LEX_LITERAL:
		if (b != (unsigned char)p->literal[p->literal_pos])
			return json_fail(p, p->line, "invalid literal (expected true, false or null)");
		if (!p->literal[++p->literal_pos]) {
			p->lex = LEX_NONE;
			json_value_done(p);
		}
		return 0;
	case LEX_NUMBER:
		r = json_number_byte(p, b);
		if (r <= 0)
			return r;
		/* The byte after a number is the next token's: read it again. */
		p->lex = LEX_NONE;
		json_value_done(p);
		return json_structural(p, b);
	case LEX_NONE:
		break;
	}
	return json_structural(p, b);
}

static bool json_plain(unsigned char b)
{
	return b >= 0x20 && b < 0x7f && b != '"' && b != '\\';
}

static int json_parser_feed(void *parser, const char *buf, size_t n)
{
	json_parser *p = parser;
	for (size_t i = 0; i < n && !p->stopped; i++) {
		unsigned char b = (unsigned char)buf[i];
		int r;

		/* Fast path: a run of plain ASCII inside a string (no quote,
		 * backslash or control byte) changes no state but the capture;
		 * most of a large export is such runs. */
		if (p->lex == LEX_STRING && p->utf8_need == 0 && !p->capture_key && json_plain(b) && !p->bom_possible) {
			size_t k = i + 1;
			while (k < n && json_plain((unsigned char)buf[k]))
				k++;
			if (p->capturing) {
				r = json_capture(p, buf + i, k - i);
				if (r < 0)
					return r;
			}
			p->offset += k - i;
			i = k - 1;
			continue;
		}
		if (p->bom_possible && p->offset < 3) {
			p->offset++;
			if (b == (unsigned char)json_bom[p->offset - 1])
				continue;
			if (p->offset > 1)
				return json_fail(p, p->line, "invalid UTF-8");
		} else
			p->offset++;
		p->bom_possible = false;
		if (b == '\0')
			return json_fail(p, p->line, "NUL byte (binary file?)");
		if (p->capturing) {
			r = json_capture(p, buf + i, 1);
			if (r < 0)
				return r;
		}
		r = json_byte(p, b);
		if (r < 0)
			return r;
		if (b == '\n') {
			if (!p->prev_cr)
				p->line++;
		} else if (b == '\r')
			p->line++;
		else if (b != ' ' && b != '\t') {
			p->last_line = p->line;
			p->any = true;
		}
		p->prev_cr = b == '\r';
	}
	return p->stopped;
}

static int json_parser_finish(void *parser)
{
	json_parser *p = parser;
	if (p->stopped)
		return p->stopped;
	if (p->lex == LEX_NUMBER) {
		/* A top-level number would have been refused already: this can
		 * only end a document cut short. */
		int r = json_number_byte(p, ' ');
		if (r < 0)
			return r;
		p->lex = LEX_NONE;
		json_value_done(p);
	}
	if (p->lex != LEX_NONE && p->lex != LEX_LITERAL)
		return json_fail(p, p->string_line, "unterminated string");
	if (!p->any)
		return json_fail(p, 0, "no JSON document (only blanks)");
	if (p->lex != LEX_NONE || p->expect != EXPECT_DONE)
		return json_fail(p, p->last_line, "unexpected end of JSON document");
	if (!p->records_found)
		return json_fail(p, 0,
				 "no contact list in this JSON: none of \"value\", \"connections\", \"results\" or "
				 "\"records\" holds an array; top-level keys: %s%s",
				 p->n_keys ? p->keys_desc : "(none)", p->keys_more ? ", ..." : "");
	/* Some odd elements are noise; nothing but odd elements means this is
	 * some other JSON, and an empty result would read as "no contacts". */
	if (p->result->records == 0 && p->result->rejected > 0)
		return json_fail(p, p->first_rejected_line,
				 "none of the %zu elements of %s is a contact (a name, e-mail, company or URL)",
				 p->result->rejected, p->records_name);
	return 0;
}

static void *json_parser_free(void *parser)
{
	json_parser *p = parser;
	if (p) {
		free(p->rec);
		free(p);
	}
	return NULL;
}

static void *json_parser_new(const ingest_options *opt, ingest_record_fn cb, void *userdata, ingest_result *result)
{
	json_parser *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->limits = &opt->limits;
	p->cb = cb;
	p->userdata = userdata;
	p->result = result;
	p->line = 1;
	p->bom_possible = true;
	p->expect = EXPECT_VALUE;
	return p;
}

/* ---- probing --------------------------------------------------------------- */

/* Whether "key" followed by ':' occurs in head. */
static bool json_head_has_key(const char *head, size_t len, const char *key)
{
	char quoted[JSON_KEY_MAX + 3];
	size_t k = (size_t)snprintf(quoted, sizeof quoted, "\"%s\"", key);
	const char *s = head, *end = head + len, *hit;

	while ((hit = memmem(s, (size_t)(end - s), quoted, k))) {
		const char *q = hit + k;
		while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
			q++;
		if (q < end && *q == ':')
			return true;
		s = hit + 1;
	}
	return false;
}

static int json_probe(const char *head, size_t len, bool at_eof)
{
	size_t i = 0;
	(void)at_eof;
	if (len >= 3 && memcmp(head, json_bom, 3) == 0)
		i = 3;
	while (i < len && (head[i] == ' ' || head[i] == '\t' || head[i] == '\n' || head[i] == '\r'))
		i++;
	if (i >= len || (head[i] != '{' && head[i] != '['))
		return 0;
	for (size_t k = 0; k < ELEMENTSOF(json_container_keys); k++)
		if (json_head_has_key(head + i, len - i, json_container_keys[k]))
			return 80;
	if (head[i] == '[')
		for (size_t k = 0; k < ELEMENTSOF(json_element_keys); k++)
			if (json_head_has_key(head + i, len - i, json_element_keys[k]))
				return 80;
	return 20;
}

const ingest_format ingest_format_json = {
	.name = "json",
	.probe = json_probe,
	.parser_new = json_parser_new,
	.parser_feed = json_parser_feed,
	.parser_finish = json_parser_finish,
	.parser_free = json_parser_free,
};
