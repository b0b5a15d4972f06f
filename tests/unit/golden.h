/* golden.h — shared by the format tests: a contact as one line of JSON (the
 * .ok format of tests/data/FORMAT/NAME.in → NAME.ok), a collector for
 * ingest callbacks, and the golden-file check itself (file and buffer, every
 * chunking, sha256). CW_UPDATE_GOLDEN=1 rewrites .ok files: review the diff. */
#pragma once

#include <stdio.h>

#include "contactwatch/contact.h"
#include "contactwatch/ingest.h"

typedef struct golden_collect {
	char *text;      /* one JSON object per record, each ending in \n */
	size_t len;
	FILE *f;
	size_t stop_at;  /* >0: the callback returns -ECANCELED at that record */
} golden_collect;

/* record, line, event, first, last, name, company, position, emails, urls,
 * connected_on (YYYY-MM-DD or null), date_raw, date_note (when set). New string. */
char *golden_contact_json(const contact *c);
void golden_collect_open(golden_collect *c);
char *golden_collect_close(golden_collect *c); /* returns text: caller frees */
int golden_collect_cb(const contact *c, void *userdata);

char *golden_read_all(const char *path, size_t *ret_len); /* NULL if missing */
void golden_write_all(const char *path, const char *data, size_t n);

/* ingest_buffer with format (NULL: auto) and chunk size; fails the test
 * unless it returns expect_r. Returns the records as text. */
char *golden_run_buffer(const char *buf, size_t len, const char *format, size_t chunk, int expect_r,
			ingest_result *res);

/* dir/NAME.in must read (with format, NULL meaning auto) as dir/NAME.ok,
 * detected as expect_format, in one piece and in chunks of 1, 2, 3, 7 and
 * 4096 bytes, with the right size and sha256. */
void golden_check(const char *dir, const char *name, const char *format, const char *expect_format);

/* A malformed input and what ingest must say about it. */
typedef struct golden_bad {
	const char *what;
	const char *data;
	size_t len;
	const char *format; /* NULL: auto */
	int r;
	unsigned line;
	const char *error;
} golden_bad;
#define GOLDEN_BAD(what, s, fmt, r, line, err) { what, s, sizeof(s) - 1, fmt, r, line, err }

/* Each case in one piece, byte by byte and in threes: the error, its line
 * and the return code must not depend on where chunks end. */
void golden_check_bad(const golden_bad *cases, size_t n);
/* A callback returning -ECANCELED at record 2 of path stops the run there. */
void golden_check_callback_stops(const char *path);

/* Removes a test's temporary directory tree: depth first, never following
 * links, so only what the test made under its mkdtemp directory goes. */
int golden_rmtree(const char *dir);
