/* ingest_csv.h — internal to ingest: the push-based RFC 4180 tokenizer every
 * CSV export format sits on, and the header-mapped table machinery the CSV
 * formats (ingest_csv.c: LinkedIn; ingest_crm.c: the CRMs and Format=csv) are
 * built from: one alias table per export layout. Not for the daemon: it
 * talks to ingest.h. */
#pragma once

#include "contactwatch/common.h"
#include "contactwatch/ingest.h"
#include "contactwatch/ingest_formats.h"

/* One logical record. fields point into the tokenizer's buffer and stay valid
 * only during the callback; the callback may modify them in place (trim). */
typedef struct ingest_csv_record {
	char **fields;     /* n_fields NUL-terminated cells, quotes removed */
	size_t *lens;      /* lens[i]: strlen(fields[i]) as handed out (kept by
			    * ingest_csv_record_resplit; trimming in place does not) */
	char *seps;        /* seps[i]: the delimiter that ended fields[i], 0 for the last */
	size_t n_fields;
	unsigned line;     /* physical line (1-based) where the record starts */
} ingest_csv_record;

/* Return 0 to go on, <0 to stop with that error, INGEST_CSV_STOP to stop quietly
 * (feed/finish then return INGEST_CSV_STOP and ignore further input). */
#define INGEST_CSV_STOP 1
typedef int (*ingest_csv_record_fn)(ingest_csv_record *rec, void *userdata);

typedef struct ingest_csv_tokenizer ingest_csv_tokenizer;

/* delims: the bytes that separate cells (1..3 of ",;\t"); several while the
 * header is not yet known, one once it is. A leading UTF-8 BOM is dropped. */
ingest_csv_tokenizer *ingest_csv_tokenizer_new(const char *delims, ingest_csv_record_fn cb, void *userdata);
ingest_csv_tokenizer *ingest_csv_tokenizer_free(ingest_csv_tokenizer *t);
/* Caps on one cell and one record (bytes of text), CW_MAX_FIELD_BYTES and
 * CW_MAX_LINE_BYTES until set (at most those); -EINVAL for 0. */
int ingest_csv_tokenizer_set_limits(ingest_csv_tokenizer *t, uint64_t max_field, uint64_t max_record);
/* Takes effect from the next byte, so a callback can switch after the header. */
int ingest_csv_tokenizer_set_delimiters(ingest_csv_tokenizer *t, const char *delims);
/* 0, INGEST_CSV_STOP, the callback's error, or -EBADMSG (see ingest_csv_tokenizer_error). */
int ingest_csv_tokenizer_feed(ingest_csv_tokenizer *t, const char *buf, size_t n);
/* End of input: flushes a last record without a line end; an open quoted
 * field is -EBADMSG. */
int ingest_csv_tokenizer_finish(ingest_csv_tokenizer *t);
/* After -EBADMSG: the reason and the physical line it refers to. */
const char *ingest_csv_tokenizer_error(const ingest_csv_tokenizer *t, unsigned *ret_line);

/* Merges cells of a record split on several delimiters so that only delim
 * separates them (the other delimiters become cell text again). */
void ingest_csv_record_resplit(ingest_csv_record *rec, char delim);
/* The delimiter among delims that separated most cells of rec (ties: first). */
char ingest_csv_record_main_delimiter(const ingest_csv_record *rec, const char *delims);

/* For error messages when no format recognises a file: the cells of the
 * first non-blank record of head as `"a", "b", ...`, printable, truncated to
 * fit n bytes. Returns the record's line, 0 when head has no such record. */
unsigned ingest_csv_describe_head(const char *head, size_t len, bool at_eof, char *ret, size_t n);


/* ---- header-mapped tables ------------------------------------------------ */

/* What a column means, whatever an export calls it. */
typedef enum ingest_csv_role {
	CSV_ROLE_NONE = -1,
	CSV_ROLE_FIRST,
	CSV_ROLE_MIDDLE,      /* Outlook's and Google's middle name: Dutch particles often land here */
	CSV_ROLE_LAST,
	CSV_ROLE_NAME,        /* a whole name, for layouts that have one */
	CSV_ROLE_URL,         /* multi-valued */
	CSV_ROLE_EMAIL,       /* multi-valued */
	CSV_ROLE_COMPANY,
	CSV_ROLE_COMPANY_ALT, /* used when COMPANY is empty (HubSpot's Associated Company) */
	CSV_ROLE_POSITION,
	CSV_ROLE_DATE,        /* when the connection was made: nothing else */
	CSV_ROLE_FROM,        /* LinkedIn Invitations: the inviter's name */
	CSV_ROLE_TO,          /* the invitee's name */
	CSV_ROLE_FROM_URL,
	CSV_ROLE_TO_URL,
	CSV_ROLE_DIRECTION,   /* INCOMING / OUTGOING: picks FROM or TO */
	_CSV_ROLE_MAX,
} ingest_csv_role;

#define CSV_ALIAS_KEY    (1u << 0) /* identifies the layout (see need_key) */
#define CSV_ALIAS_DIGITS (1u << 1) /* '#' in header matches a number: "E-mail # - Value" */

typedef struct ingest_csv_alias {
	const char *header;   /* compared trimmed and ASCII case-insensitively */
	ingest_csv_role role; /* CSV_ROLE_NONE: a KEY column that carries nothing we use */
	unsigned flags;
} ingest_csv_alias;

/* One export layout. A record is its header when it has a column for every
 * role in required, a KEY column if need_key, and (all_required) a column
 * for every alias. */
typedef struct ingest_csv_table {
	const char *label;        /* for messages: "LinkedIn", "Outlook" */
	const ingest_csv_alias *aliases;
	size_t n_aliases;
	unsigned required;        /* CSV_ROLE_BIT()s */
	bool need_key;
	bool all_required;        /* Format=csv: every Columns= header must be there */
	const char *multi_sep;    /* splits e-mail and URL cells (Google's " ::: "), or NULL */
	int confidence;           /* probe score when the header is found; +1 per mapped column, up to +9 */
	contact_event event;      /* unless CSV_ROLE_DIRECTION says otherwise */
} ingest_csv_table;

#define CSV_ROLE_BIT(r) (1u << (r))
#define CSV_MAX_TABLE_ALIASES 64u /* Format=csv: Columns= items */

/* A format is one or more tables (LinkedIn: Connections and Invitations);
 * the first whose header appears within CW_MAX_PREAMBLE_LINES lines is used. */
int ingest_csv_table_probe(const ingest_csv_table *const *tables, size_t n, const char *head, size_t len,
			   bool at_eof);
/* The registry's parser_* calls for a table format; tables must outlive the
 * parser. label names the format in "no ... header" messages. */
void *ingest_csv_table_parser_new(const char *label, const ingest_csv_table *const *tables, size_t n,
				  const ingest_options *opt, ingest_record_fn cb, void *userdata,
				  ingest_result *result);
int ingest_csv_table_parser_feed(void *parser, const char *buf, size_t n);
int ingest_csv_table_parser_finish(void *parser);
void *ingest_csv_table_parser_free(void *parser);
