/* ingest_csv.h — internal to ingest: the push-based RFC 4180 tokenizer every
 * CSV export format sits on, and the CSV formats it provides to the registry.
 * Not for the daemon: it talks to ingest.h. */
#pragma once

#include "contactwatch/common.h"
#include "contactwatch/ingest.h"
#include "contactwatch/ingest_formats.h"

/* One logical record. fields point into the tokenizer's buffer and stay valid
 * only during the callback; the callback may modify them in place (trim). */
typedef struct ingest_csv_record {
	char **fields;     /* n_fields NUL-terminated cells, quotes removed */
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

