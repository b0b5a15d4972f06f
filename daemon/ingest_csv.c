/* ingest_csv.c — CSV exports: a push-based RFC 4180 tokenizer (fed chunks of
 * any size; quotes, embedded line ends, hard caps, line tracking) and on top
 * of it the header-mapped table formats, each a column alias table (LinkedIn
 * Connections.csv so far; Salesforce, HubSpot, Google, Outlook mirror it). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "contactwatch/date.h"
#include "contactwatch/ingest_csv.h"

/* ---- tokenizer ---------------------------------------------------------- */

enum csv_state {
	CSV_RECORD_START,    /* before the first byte of a record */
	CSV_FIELD,           /* in an unquoted cell (or before any byte of one) */
	CSV_QUOTED,          /* inside "..." */
	CSV_QUOTE_IN_QUOTED, /* saw " inside "...": "" or the closing quote */
};

static const char csv_bom[] = "\xef\xbb\xbf";

struct ingest_csv_tokenizer {
	ingest_csv_record_fn cb;
	void *userdata;
	char delims[4];
	enum csv_state state;
	unsigned line;        /* physical line of the next byte */
	unsigned record_line; /* where the current record started */
	unsigned field_line;  /* where the current cell (or its opening quote) started */
	unsigned bom_matched; /* leading bytes that matched the BOM so far */
	bool bom_done;
	bool prev_cr;         /* last byte was CR: a following LF is the same line end */
	bool field_blank;     /* cell so far only blanks: a quote still opens it (` "a,b"`) */
	int stopped;          /* sticky: INGEST_CSV_STOP or an error; later input is ignored */

	/* The current record: cells NUL-terminated one after another in buf,
	 * which is what lets ingest_csv_record_resplit merge cells in place. */
	char *buf;
	size_t len, cap;
	size_t field_start;
	size_t n_fields;
	size_t *starts; /* CW_MAX_COLUMNS each */
	char *seps;
	char **fields;

	char error[128];
	unsigned error_line;
};

ingest_csv_tokenizer *ingest_csv_tokenizer_free(ingest_csv_tokenizer *t)
{
	if (t) {
		free(t->buf);
		free(t->starts);
		free(t->seps);
		free(t->fields);
		free(t);
	}
	return NULL;
}

int ingest_csv_tokenizer_set_delimiters(ingest_csv_tokenizer *t, const char *delims)
{
	size_t n = strlen(delims);
	if (n < 1 || n >= sizeof t->delims)
		return -EINVAL;
	memcpy(t->delims, delims, n + 1);
	return 0;
}

ingest_csv_tokenizer *ingest_csv_tokenizer_new(const char *delims, ingest_csv_record_fn cb, void *userdata)
{
	ingest_csv_tokenizer *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->cb = cb;
	t->userdata = userdata;
	t->line = 1;
	t->starts = calloc(CW_MAX_COLUMNS, sizeof *t->starts);
	t->seps = calloc(CW_MAX_COLUMNS, sizeof *t->seps);
	t->fields = calloc(CW_MAX_COLUMNS, sizeof *t->fields);
	if (!t->starts || !t->seps || !t->fields || ingest_csv_tokenizer_set_delimiters(t, delims) < 0)
		return ingest_csv_tokenizer_free(t);
	return t;
}

const char *ingest_csv_tokenizer_error(const ingest_csv_tokenizer *t, unsigned *ret_line)
{
	if (ret_line)
		*ret_line = t->error_line;
	return t->error[0] ? t->error : NULL;
}

__attribute__((format(printf, 3, 4))) static int csv_fail(ingest_csv_tokenizer *t, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->error, sizeof t->error, fmt, ap);
	va_end(ap);
	t->error_line = line;
	return -EBADMSG;
}

static int csv_reserve(ingest_csv_tokenizer *t, size_t extra)
{
	if (t->len + extra <= t->cap)
		return 0;
	/* The caps bound this: CW_MAX_LINE_BYTES of text plus one NUL per cell. */
	size_t cap = t->cap ? t->cap * 2 : 256;
	while (cap < t->len + extra)
		cap *= 2;
	char *b = realloc(t->buf, cap);
	if (!b)
		return -ENOMEM;
	t->buf = b;
	t->cap = cap;
	return 0;
}

static int csv_append(ingest_csv_tokenizer *t, char c)
{
	if (t->len - t->field_start >= CW_MAX_FIELD_BYTES)
		return csv_fail(t, t->field_line, "cell longer than %u bytes", CW_MAX_FIELD_BYTES);
	if (t->len - t->n_fields >= CW_MAX_LINE_BYTES)
		return csv_fail(t, t->record_line, "record longer than %u bytes", CW_MAX_LINE_BYTES);
	/* +1 keeps room for the cell's NUL. */
	int r = csv_reserve(t, 2);
	if (r < 0)
		return r;
	t->buf[t->len++] = c;
	return 0;
}

static int csv_end_field(ingest_csv_tokenizer *t, char sep)
{
	if (t->n_fields >= CW_MAX_COLUMNS)
		return csv_fail(t, t->record_line, "more than %u cells in one record", CW_MAX_COLUMNS);
	int r = csv_reserve(t, 1);
	if (r < 0)
		return r;
	t->buf[t->len++] = '\0';
	t->starts[t->n_fields] = t->field_start;
	t->seps[t->n_fields] = sep;
	t->n_fields++;
	t->field_start = t->len;
	t->field_blank = true;
	t->field_line = t->line;
	t->state = CSV_FIELD;
	return 0;
}

static int csv_emit(ingest_csv_tokenizer *t)
{
	int r = csv_end_field(t, 0);
	if (r < 0)
		return r;
	for (size_t i = 0; i < t->n_fields; i++)
		t->fields[i] = t->buf + t->starts[i];
	ingest_csv_record rec = {
		.fields = t->fields,
		.seps = t->seps,
		.n_fields = t->n_fields,
		.line = t->record_line,
	};
	r = t->cb(&rec, t->userdata);
	t->len = t->field_start = t->n_fields = 0;
	t->state = CSV_RECORD_START;
	return r;
}

static bool csv_is_delim(const ingest_csv_tokenizer *t, char c)
{
	return c && strchr(t->delims, c);
}

static int csv_push(ingest_csv_tokenizer *t, char c)
{
	const bool lf_after_cr = c == '\n' && t->prev_cr;
	const bool eol = c == '\n' || c == '\r';
	int r = 0;

	t->prev_cr = c == '\r';
	if (c == '\0')
		return csv_fail(t, t->line, "NUL byte (binary file?)");

	switch (t->state) {
	case CSV_RECORD_START:
		if (lf_after_cr)
			return 0; /* the LF of the CRLF that ended the last record */
		t->record_line = t->field_line = t->line;
		t->field_blank = true;
		t->state = CSV_FIELD;
		/* fall through */
	case CSV_FIELD:
		if (c == '"' && t->field_blank) {
			/* Blanks before an opening quote are padding, not content. */
			t->len = t->field_start;
			t->field_line = t->line;
			t->state = CSV_QUOTED;
		} else if (csv_is_delim(t, c))
			r = csv_end_field(t, c);
		else if (eol)
			r = csv_emit(t);
		else {
			if (c != ' ' && c != '\t')
				t->field_blank = false;
			r = csv_append(t, c);
		}
		break;
	case CSV_QUOTED:
		if (c == '"')
			t->state = CSV_QUOTE_IN_QUOTED;
		else
			r = csv_append(t, c);
		break;
	case CSV_QUOTE_IN_QUOTED:
		if (c == '"') {
			r = csv_append(t, '"');
			t->state = CSV_QUOTED;
		} else if (csv_is_delim(t, c))
			r = csv_end_field(t, c);
		else if (eol)
			r = csv_emit(t);
		else {
			/* `"a"b`: not RFC 4180, but Excel reads it as a then b; so do we,
			 * rather than reject a whole export for one sloppy cell. */
			t->field_blank = false;
			t->state = CSV_FIELD;
			r = csv_append(t, c);
		}
		break;
	}
	if (c == '\r' || (c == '\n' && !lf_after_cr))
		t->line++;
	return r;
}

/* Drops a leading UTF-8 BOM, which may arrive split over several feeds. */
static int csv_push_start(ingest_csv_tokenizer *t, char c)
{
	if (t->bom_done)
		return csv_push(t, c);
	if (c == csv_bom[t->bom_matched]) {
		if (++t->bom_matched == 3)
			t->bom_done = true;
		return 0;
	}
	t->bom_done = true;
	for (unsigned i = 0; i < t->bom_matched; i++) {
		int r = csv_push(t, csv_bom[i]);
		if (r != 0)
			return r;
	}
	return csv_push(t, c);
}

int ingest_csv_tokenizer_feed(ingest_csv_tokenizer *t, const char *buf, size_t n)
{
	if (t->stopped)
		return t->stopped;
	for (size_t i = 0; i < n; i++) {
		int r = csv_push_start(t, buf[i]);
		if (r != 0)
			return t->stopped = r;
	}
	return 0;
}

int ingest_csv_tokenizer_finish(ingest_csv_tokenizer *t)
{
	int r = 0;
	if (t->stopped)
		return t->stopped;
	if (!t->bom_done) {
		/* Input shorter than a BOM: what matched was content after all. */
		t->bom_done = true;
		for (unsigned i = 0; i < t->bom_matched && r == 0; i++)
			r = csv_push(t, csv_bom[i]);
		if (r != 0)
			return t->stopped = r;
	}
	switch (t->state) {
	case CSV_RECORD_START:
		break;
	case CSV_FIELD:
	case CSV_QUOTE_IN_QUOTED:
		r = csv_emit(t); /* a last record without a line end */
		break;
	case CSV_QUOTED:
		r = csv_fail(t, t->field_line, "unterminated quoted field starting here");
		break;
	}
	/* Nothing may follow the end. */
	t->stopped = r != 0 ? r : INGEST_CSV_STOP;
	return r;
}

void ingest_csv_record_resplit(ingest_csv_record *rec, char delim)
{
	size_t out = 0;
	for (size_t i = 0; i < rec->n_fields; i++) {
		if (out > 0 && rec->seps[out - 1] != delim) {
			/* Cells are stored back to back: turning the NUL that ended the
			 * previous cell back into its delimiter joins the two. */
			char *end = rec->fields[out - 1] + strlen(rec->fields[out - 1]);
			*end = rec->seps[out - 1];
			rec->seps[out - 1] = rec->seps[i];
			continue;
		}
		rec->fields[out] = rec->fields[i];
		rec->seps[out] = rec->seps[i];
		out++;
	}
	rec->n_fields = out;
}

char ingest_csv_record_main_delimiter(const ingest_csv_record *rec, const char *delims)
{
	char best = delims[0];
	size_t best_n = 0;
	for (const char *d = delims; *d; d++) {
		size_t n = 0;
		for (size_t i = 0; i < rec->n_fields; i++)
			n += rec->seps[i] == *d;
		if (n > best_n) {
			best = *d;
			best_n = n;
		}
	}
	return best;
}

/* ---- cells -------------------------------------------------------------- */

static char *cell_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	s[n] = '\0';
	return s;
}

/* Offset of the first byte that does not start a valid UTF-8 sequence
 * (overlong forms, surrogates and > U+10FFFF included), or SIZE_MAX. */
static size_t utf8_invalid_at(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (s[i]) {
		unsigned char c = s[i], lo = 0x80, hi = 0xbf;
		size_t n;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= n; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return i;
		i += n + 1;
	}
	return SIZE_MAX;
}

static unsigned count_line_ends(const char *s, size_t n)
{
	unsigned lines = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\r' || (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')))
			lines++;
	return lines;
}

/* Whether every cell is UTF-8; if not, the physical line of the bad byte
 * (cells may span lines). Windows-1252 decoding is a later step. */
static bool record_utf8_valid(const ingest_csv_record *rec, unsigned *ret_line)
{
	unsigned line = rec->line;
	for (size_t i = 0; i < rec->n_fields; i++) {
		size_t bad = utf8_invalid_at(rec->fields[i]);
		if (bad != SIZE_MAX) {
			*ret_line = line + count_line_ends(rec->fields[i], bad);
			return false;
		}
		line += count_line_ends(rec->fields[i], strlen(rec->fields[i]));
	}
	return true;
}

/* ---- header-mapped table formats ---------------------------------------- */

/* What a column means, whatever a format calls it. */
typedef enum csv_role {
	CSV_ROLE_NONE = -1,
	CSV_ROLE_FIRST,
	CSV_ROLE_LAST,
	CSV_ROLE_NAME, /* a whole name, for formats that have one */
	CSV_ROLE_URL,
	CSV_ROLE_EMAIL,
	CSV_ROLE_COMPANY,
	CSV_ROLE_POSITION,
	CSV_ROLE_DATE,
	_CSV_ROLE_MAX,
} csv_role;

#define CSV_ROLE_BIT(r) (1u << (r))
#define CSV_MAX_MULTI 8 /* e-mail or URL columns kept per record */
#define CSV_PREAMBLE_DELIMS ",;\t"

typedef struct csv_alias {
	csv_role role;
	const char *header; /* compared trimmed and ASCII case-insensitively */
} csv_alias;

typedef struct csv_table_format {
	const char *label;  /* for messages: "LinkedIn" */
	const csv_alias *aliases;
	size_t n_aliases;
	unsigned required;  /* roles whose columns identify the header line */
	contact_event event;
} csv_table_format;

/* LinkedIn Connections.csv: 2018 `First Name,Last Name,Email Address,Company,
 * Position,Connected On`; 2023+ adds URL after Last Name. Mapped by name, so
 * a reordered re-save reads the same. "Connected On" is what no other
 * export has, hence required beside the name columns. */
static const csv_alias linkedin_aliases[] = {
	{ CSV_ROLE_FIRST, "First Name" },
	{ CSV_ROLE_LAST, "Last Name" },
	{ CSV_ROLE_URL, "URL" },
	{ CSV_ROLE_URL, "Profile URL" },
	{ CSV_ROLE_EMAIL, "Email Address" },
	{ CSV_ROLE_COMPANY, "Company" },
	{ CSV_ROLE_POSITION, "Position" },
	{ CSV_ROLE_DATE, "Connected On" },
};

static const csv_table_format linkedin_table = {
	.label = "LinkedIn",
	.aliases = linkedin_aliases,
	.n_aliases = ELEMENTSOF(linkedin_aliases),
	.required = CSV_ROLE_BIT(CSV_ROLE_FIRST) | CSV_ROLE_BIT(CSV_ROLE_LAST) | CSV_ROLE_BIT(CSV_ROLE_DATE),
	.event = CONTACT_EVENT_CONNECTION,
};

static csv_role csv_table_role(const csv_table_format *fmt, const char *cell)
{
	for (size_t i = 0; i < fmt->n_aliases; i++)
		if (strcasecmp(cell, fmt->aliases[i].header) == 0)
			return fmt->aliases[i].role;
	return CSV_ROLE_NONE;
}

/* Splits rec on its main delimiter, trims it and maps its cells; returns the
 * delimiter when rec is fmt's header (roles filled when non-NULL), else 0. */
static char csv_table_header(const csv_table_format *fmt, ingest_csv_record *rec, signed char *roles)
{
	char delim = ingest_csv_record_main_delimiter(rec, CSV_PREAMBLE_DELIMS);
	unsigned seen = 0;
	ingest_csv_record_resplit(rec, delim);
	for (size_t i = 0; i < rec->n_fields; i++) {
		csv_role role = csv_table_role(fmt, cell_trim(rec->fields[i]));
		/* A repeated single-valued column: the first one counts. */
		if (role != CSV_ROLE_NONE && role != CSV_ROLE_EMAIL && role != CSV_ROLE_URL &&
		    (seen & CSV_ROLE_BIT(role)))
			role = CSV_ROLE_NONE;
		if (role != CSV_ROLE_NONE)
			seen |= CSV_ROLE_BIT(role);
		if (roles)
			roles[i] = (signed char)role;
	}
	return (seen & fmt->required) == fmt->required ? delim : 0;
}

/* "First Name, Last Name, Connected On" for messages. */
static void csv_table_required_names(const csv_table_format *fmt, char *ret, size_t n)
{
	size_t len = 0;
	ret[0] = '\0';
	for (int role = 0; role < _CSV_ROLE_MAX; role++) {
		if (!(fmt->required & CSV_ROLE_BIT(role)))
			continue;
		for (size_t i = 0; i < fmt->n_aliases; i++)
			if ((int)fmt->aliases[i].role == role) {
				int k = snprintf(ret + len, n - len, "%s%s", len ? ", " : "", fmt->aliases[i].header);
				if (k < 0 || (size_t)k >= n - len)
					return;
				len += (size_t)k;
				break;
			}
	}
}

typedef struct csv_probe_state {
	const csv_table_format *fmt;
	bool found;
} csv_probe_state;

static int csv_probe_on_record(ingest_csv_record *rec, void *userdata)
{
	csv_probe_state *st = userdata;
	if (rec->line > CW_MAX_PREAMBLE_LINES)
		return INGEST_CSV_STOP;
	if (csv_table_header(st->fmt, rec, NULL)) {
		st->found = true;
		return INGEST_CSV_STOP;
	}
	return 0;
}

static int csv_table_probe(const csv_table_format *fmt, const char *head, size_t len, bool at_eof)
{
	csv_probe_state st = { .fmt = fmt };
	ingest_csv_tokenizer *t = ingest_csv_tokenizer_new(CSV_PREAMBLE_DELIMS, csv_probe_on_record, &st);
	if (!t)
		return 0;
	if (ingest_csv_tokenizer_feed(t, head, len) == 0 && at_eof)
		(void)ingest_csv_tokenizer_finish(t);
	ingest_csv_tokenizer_free(t);
	/* A whole header line matched by name: nothing else writes these. */
	return st.found ? 100 : 0;
}

typedef struct csv_table_parser {
	const csv_table_format *fmt;
	ingest_csv_tokenizer *tok;
	ingest_record_fn cb;
	void *userdata;
	ingest_result *result;
	bool header_found;
	bool any_record;
	bool own_error;        /* result->error was filled here, not by the tokenizer */
	size_t n_header;
	unsigned first_rejected_line;
	signed char roles[CW_MAX_COLUMNS];
	char *name_buf;        /* "first last", 2 cells + space + NUL */
} csv_table_parser;

__attribute__((format(printf, 3, 4))) static int csv_table_fail(csv_table_parser *p, unsigned line,
								const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->result->error, sizeof p->result->error, fmt, ap);
	va_end(ap);
	p->result->error_line = line;
	p->own_error = true;
	return -EBADMSG;
}

static int csv_table_fail_no_header(csv_table_parser *p)
{
	char names[128];
	csv_table_required_names(p->fmt, names, sizeof names);
	return csv_table_fail(p, 0, "no %s header (%s) in the first %u lines", p->fmt->label, names,
			      CW_MAX_PREAMBLE_LINES);
}

static int csv_table_on_preamble(csv_table_parser *p, ingest_csv_record *rec)
{
	char delim;
	if (rec->line > CW_MAX_PREAMBLE_LINES)
		return csv_table_fail_no_header(p);
	delim = csv_table_header(p->fmt, rec, p->roles);
	if (!delim)
		return 0; /* `Notes:`, its sentence, blank lines, Excel's `Notes:,,` */
	p->header_found = true;
	p->n_header = rec->n_fields;
	/* From here on only the header's delimiter separates cells: a `;` in a
	 * comma file is text. */
	char d[2] = { delim, '\0' };
	return ingest_csv_tokenizer_set_delimiters(p->tok, d);
}

static int csv_table_on_row(csv_table_parser *p, ingest_csv_record *rec)
{
	const char *single[_CSV_ROLE_MAX] = { 0 };
	char *emails[CSV_MAX_MULTI + 1] = { 0 }, *urls[CSV_MAX_MULTI + 1] = { 0 };
	size_t n_emails = 0, n_urls = 0, n = rec->n_fields;
	bool content = false;
	contact c;

	/* Cells beyond the header: Excel pads rows with empty ones, which are
	 * harmless; text there means the row is misaligned and no cell of it can
	 * be trusted, so it is rejected (and counted) rather than guessed at. */
	for (size_t i = p->n_header; i < n; i++)
		if (*cell_trim(rec->fields[i])) {
			if (p->result->rejected++ == 0)
				p->first_rejected_line = rec->line;
			return 0;
		}
	if (n > p->n_header)
		n = p->n_header;

	/* Fewer cells than the header: Excel drops trailing empties; the missing
	 * cells are empty. */
	for (size_t i = 0; i < n; i++) {
		char *cell = cell_trim(rec->fields[i]);
		csv_role role = (csv_role)p->roles[i];
		if (!*cell)
			continue;
		if (role != CSV_ROLE_DATE)
			content = true;
		if (role == CSV_ROLE_EMAIL) {
			if (n_emails < CSV_MAX_MULTI)
				emails[n_emails++] = cell;
		} else if (role == CSV_ROLE_URL) {
			if (n_urls < CSV_MAX_MULTI)
				urls[n_urls++] = cell;
		} else if (role != CSV_ROLE_NONE && !single[role])
			single[role] = cell;
	}
	/* Blank rows, and rows blank but for the date (2-3% of rows in real
	 * LinkedIn exports, see domain.md), carry nothing to match on. They are skipped and counted neither as records nor as
	 * rejected, so record numbers follow what a reader sees as contacts. */
	if (!content)
		return 0;

	if (p->result->records >= CW_MAX_RECORDS)
		return csv_table_fail(p, rec->line, "more than %u records", CW_MAX_RECORDS);

	contact_init(&c);
	/* The contact borrows the tokenizer's cells: valid during the callback,
	 * as ingest.h promises, and no allocation per record. */
	c.first = (char *)single[CSV_ROLE_FIRST];
	c.last = (char *)single[CSV_ROLE_LAST];
	c.company = (char *)single[CSV_ROLE_COMPANY];
	c.position = (char *)single[CSV_ROLE_POSITION];
	c.emails = n_emails ? emails : NULL;
	c.urls = n_urls ? urls : NULL;
	c.event = p->fmt->event;
	if (single[CSV_ROLE_NAME])
		c.name = (char *)single[CSV_ROLE_NAME];
	else if (c.first && c.last) {
		size_t a = strlen(c.first), b = strlen(c.last);
		memcpy(p->name_buf, c.first, a);
		p->name_buf[a] = ' ';
		memcpy(p->name_buf + a + 1, c.last, b + 1);
		c.name = p->name_buf;
	} else
		c.name = c.first ? c.first : c.last;
	if (single[CSV_ROLE_DATE]) {
		int32_t d;
		c.date_raw = (char *)single[CSV_ROLE_DATE];
		/* Unreadable dates stay undated; date_raw keeps what was there. */
		if (date_parse_export(c.date_raw, &d) == 0)
			c.connected_on = d;
	}
	c.record = ++p->result->records;
	c.line = rec->line;
	int r = p->cb(&c, p->userdata);
	/* Only a negative return stops (ingest.h); a positive one must not be
	 * mistaken for the tokenizer's quiet INGEST_CSV_STOP and truncate the file. */
	return r < 0 ? r : 0;
}

static int csv_table_on_record(ingest_csv_record *rec, void *userdata)
{
	csv_table_parser *p = userdata;
	unsigned bad_line;

	p->any_record = true;
	if (!record_utf8_valid(rec, &bad_line))
		return csv_table_fail(p, bad_line, "invalid UTF-8");
	if (!p->header_found)
		return csv_table_on_preamble(p, rec);
	return csv_table_on_row(p, rec);
}

static void *csv_table_parser_free(void *parser)
{
	csv_table_parser *p = parser;
	if (p) {
		ingest_csv_tokenizer_free(p->tok);
		free(p->name_buf);
		free(p);
	}
	return NULL;
}

static void *csv_table_parser_new(const csv_table_format *fmt, ingest_record_fn cb, void *userdata,
				  ingest_result *result)
{
	csv_table_parser *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fmt = fmt;
	p->cb = cb;
	p->userdata = userdata;
	p->result = result;
	p->tok = ingest_csv_tokenizer_new(CSV_PREAMBLE_DELIMS, csv_table_on_record, p);
	p->name_buf = malloc(2 * (size_t)CW_MAX_FIELD_BYTES + 2);
	if (!p->tok || !p->name_buf)
		return csv_table_parser_free(p);
	return p;
}

/* Tokenizer errors land in result like the parser's own. */
static int csv_table_parser_check(csv_table_parser *p, int r)
{
	unsigned line;
	const char *msg;
	if (r == INGEST_CSV_STOP)
		return 0;
	if (r == -EBADMSG && !p->own_error && (msg = ingest_csv_tokenizer_error(p->tok, &line))) {
		snprintf(p->result->error, sizeof p->result->error, "%s", msg);
		p->result->error_line = line;
	}
	return r;
}

static int csv_table_parser_feed(void *parser, const char *buf, size_t n)
{
	csv_table_parser *p = parser;
	return csv_table_parser_check(p, ingest_csv_tokenizer_feed(p->tok, buf, n));
}

static int csv_table_parser_finish(void *parser)
{
	csv_table_parser *p = parser;
	int r = csv_table_parser_check(p, ingest_csv_tokenizer_finish(p->tok));
	if (r < 0)
		return r;
	if (!p->header_found)
		return p->any_record ? csv_table_fail_no_header(p) : csv_table_fail(p, 0, "empty file");
	/* Some misaligned rows are noise; nothing but misaligned rows means we
	 * misread the file, and an empty result would look like "no contacts". */
	if (p->result->records == 0 && p->result->rejected > 0)
		return csv_table_fail(p, p->first_rejected_line,
				      "every data row (%zu) has more cells than the header", p->result->rejected);
	return 0;
}

/* ---- describing unknown input ------------------------------------------- */

typedef struct csv_describe_state {
	char *ret;
	size_t n;
	unsigned line;
} csv_describe_state;

static int csv_describe_on_record(ingest_csv_record *rec, void *userdata)
{
	csv_describe_state *st = userdata;
	size_t len = 0;
	bool any = false;

	for (size_t i = 0; i < rec->n_fields; i++)
		if (*cell_trim(rec->fields[i]))
			any = true;
	if (!any)
		return 0;
	/* Cells as split on any of , ; tab: the delimiter is unknown here. */
	for (size_t i = 0; i < rec->n_fields; i++) {
		const char *cell = rec->fields[i];
		const char *sep = i ? ", " : "";
		size_t need = strlen(sep) + strlen(cell) + 2;
		if (len + need + 4 > st->n) {
			if (len + 4 <= st->n)
				memcpy(st->ret + len, "...", 4);
			break;
		}
		len += (size_t)snprintf(st->ret + len, st->n - len, "%s\"", sep);
		for (const char *s = cell; *s; s++)
			/* Control bytes would garble a log line. */
			st->ret[len++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
		st->ret[len++] = '"';
		st->ret[len] = '\0';
	}
	st->line = rec->line;
	return INGEST_CSV_STOP;
}

unsigned ingest_csv_describe_head(const char *head, size_t len, bool at_eof, char *ret, size_t n)
{
	csv_describe_state st = { .ret = ret, .n = n };
	ingest_csv_tokenizer *t;
	if (n < 8)
		return 0;
	ret[0] = '\0';
	t = ingest_csv_tokenizer_new(CSV_PREAMBLE_DELIMS, csv_describe_on_record, &st);
	if (!t)
		return 0;
	if (ingest_csv_tokenizer_feed(t, head, len) == 0 && at_eof)
		(void)ingest_csv_tokenizer_finish(t);
	ingest_csv_tokenizer_free(t);
	return st.line;
}

/* ---- the registry's entries --------------------------------------------- */

static int linkedin_probe(const char *head, size_t len, bool at_eof)
{
	return csv_table_probe(&linkedin_table, head, len, at_eof);
}

static void *linkedin_parser_new(const ingest_options *opt, ingest_record_fn cb, void *userdata,
				 ingest_result *result)
{
	(void)opt;
	return csv_table_parser_new(&linkedin_table, cb, userdata, result);
}

const ingest_format ingest_format_linkedin = {
	.name = "linkedin",
	.probe = linkedin_probe,
	.parser_new = linkedin_parser_new,
	.parser_feed = csv_table_parser_feed,
	.parser_finish = csv_table_parser_finish,
	.parser_free = csv_table_parser_free,
};
