/* ingest.c — the format registry and the streaming reader: opens an export
 * safely, hashes every byte, picks the format (forced or probed from the
 * first chunk) and feeds the format's parser chunk by chunk. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "contactwatch/fileio.h"
#include "contactwatch/hash.h"
#include "contactwatch/ingest.h"
#include "contactwatch/ingest_csv.h"
#include "contactwatch/ingest_formats.h"

/* Every format this build reads; probing asks them in this order and ties go
 * to the earlier one. A new format is one line here and one in the names. */
static const ingest_format *const ingest_formats[] = {
	&ingest_format_linkedin, &ingest_format_salesforce, &ingest_format_hubspot, &ingest_format_google,
	&ingest_format_outlook,	 &ingest_format_vcard,	    &ingest_format_json,    &ingest_format_csv,
};

/* The same names, "auto" first, as a constant list for --help (a list built
 * at run time would need global state). */
static const char *const ingest_names[] = { "auto",	   "linkedin", "salesforce", "hubspot", "google",
					     "outlook", "vcard",    "json",	  "csv",     NULL };
_Static_assert(ELEMENTSOF(ingest_names) == ELEMENTSOF(ingest_formats) + 2, "ingest_names out of step");

static const ingest_format *ingest_format_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(ingest_formats); i++)
		if (streq(ingest_formats[i]->name, name))
			return ingest_formats[i];
	return NULL;
}

bool ingest_format_known(const char *name)
{
	return name && (streq(name, "auto") || ingest_format_find(name));
}

const char *const *ingest_format_names(void)
{
	return ingest_names;
}

/* One pass over one input, shared by the file and the buffer reader. */
typedef struct ingest_run {
	const ingest_options *opt;
	ingest_record_fn cb;
	void *userdata;
	ingest_result *result;
	const ingest_format *fmt;
	void *parser;
	hash_sha256 *hash;
	uint64_t max_size;
	size_t chunk;
	int parse_error; /* sticky -EBADMSG/-EMEDIUMTYPE: the rest is only hashed */
	ingest_options resolved; /* opt with every limit filled in, for the parser */
} ingest_run;

static void ingest_run_done(ingest_run *run)
{
	if (run->fmt && run->parser)
		run->fmt->parser_free(run->parser);
	run->parser = NULL;
	run->hash = hash_sha256_free(run->hash);
}

static int ingest_run_init(ingest_run *run, const ingest_options *opt, ingest_record_fn cb, void *userdata,
			   ingest_result *result)
{
	static const ingest_options defaults = { 0 };
	const char *format;

	*result = (ingest_result){ 0 };
	*run = (ingest_run){
		.opt = opt ? opt : &defaults,
		.cb = cb,
		.userdata = userdata,
		.result = result,
	};
	format = run->opt->format;
	run->resolved = *run->opt;
	ingest_limits *l = &run->resolved.limits;
	/* 0 means the default; the defaults are also ceilings no config exceeds. */
	if (l->max_records == 0 || l->max_records > CW_MAX_RECORDS)
		l->max_records = CW_MAX_RECORDS;
	if (l->max_record_size == 0 || l->max_record_size > CW_MAX_LINE_BYTES)
		l->max_record_size = CW_MAX_LINE_BYTES;
	if (l->max_field_size == 0 || l->max_field_size > CW_MAX_FIELD_BYTES)
		l->max_field_size = CW_MAX_FIELD_BYTES;
	if (l->max_json_depth == 0 || l->max_json_depth > CW_MAX_JSON_DEPTH)
		l->max_json_depth = CW_MAX_JSON_DEPTH;
	run->max_size = run->opt->max_size ? run->opt->max_size : CW_DEFAULT_MAX_FILE_SIZE;
	run->chunk = run->opt->chunk_size ? run->opt->chunk_size : CW_READ_CHUNK;
	if (format && !streq(format, "auto")) {
		run->fmt = ingest_format_find(format);
		if (!run->fmt) {
			snprintf(result->error, sizeof result->error, "unknown format \"%s\"", format);
			return -ENOENT;
		}
	}
	run->hash = hash_sha256_new();
	return run->hash ? 0 : -ENOMEM;
}

static int ingest_run_unknown(ingest_run *run, const char *head, size_t len, bool at_eof)
{
	char *msg = run->result->error;
	const size_t size = sizeof run->result->error;
	size_t k, known_end;
	unsigned line = 0;

	k = (size_t)snprintf(msg, size, "no known export format (");
	for (size_t i = 1; ingest_names[i] && k < size; i++)
		k += (size_t)snprintf(msg + k, size - k, "%s%s", i > 1 ? ", " : "", ingest_names[i]);
	known_end = k;
	/* An export we have no table for is still readable: say how. */
	if (k < size)
		k += (size_t)snprintf(msg + k, size - k,
				      "); set Format=csv and Columns=first:<header>,last:<header>,company:<header>,"
				      "email:<header> in the source; headers found: ");
	/* The cells go last so that a long header line is what gets cut. */
	if (k < size)
		line = ingest_csv_describe_head(head, len, at_eof, msg + k, size - k);
	if (!line && known_end < size)
		snprintf(msg + known_end, size - known_end, "); no header line found");
	run->result->error_line = line;
	return -EMEDIUMTYPE;
}

static int ingest_run_too_big(ingest_run *run)
{
	snprintf(run->result->error, sizeof run->result->error, "larger than %" PRIu64 " bytes", run->max_size);
	return -EFBIG;
}

/* Picks the format from the head of the input and starts its parser. */
static int ingest_run_begin(ingest_run *run, const char *head, size_t len, bool at_eof)
{
	if (len == 0 && at_eof) {
		snprintf(run->result->error, sizeof run->result->error, "empty file");
		return run->parse_error = -EBADMSG;
	}
	if (!run->fmt) {
		int best = 0;
		for (size_t i = 0; i < ELEMENTSOF(ingest_formats); i++) {
			int c = ingest_formats[i]->probe(head, len, at_eof);
			if (c > best) {
				best = c;
				run->fmt = ingest_formats[i];
			}
		}
		if (!run->fmt)
			return run->parse_error = ingest_run_unknown(run, head, len, at_eof);
	}
	snprintf(run->result->format, sizeof run->result->format, "%s", run->fmt->name);
	run->parser = run->fmt->parser_new(&run->resolved, run->cb, run->userdata, run->result);
	return run->parser ? 0 : -ENOMEM;
}

/* Hashes data and hands it to the parser in opt->chunk_size pieces. A
 * malformed file is still hashed to the end (the evidence names the bytes it
 * rejected); anything else (the callback's stop, ENOMEM) ends the run. */
static int ingest_run_feed(ingest_run *run, const char *data, size_t n)
{
	int r;
	if (n > run->max_size - run->result->size) {
		return ingest_run_too_big(run);
	}
	r = hash_sha256_update(run->hash, data, n);
	if (r < 0)
		return r;
	run->result->size += n;
	for (size_t off = 0; off < n && !run->parse_error;) {
		size_t k = n - off < run->chunk ? n - off : run->chunk;
		r = run->fmt->parser_feed(run->parser, data + off, k);
		if (r == -EBADMSG)
			run->parse_error = r;
		else if (r < 0)
			return r;
		off += k;
	}
	return 0;
}

static int ingest_run_end(ingest_run *run)
{
	int r;
	if (!run->parse_error) {
		r = run->fmt->parser_finish(run->parser);
		if (r == -EBADMSG)
			run->parse_error = r;
		else if (r < 0)
			return r;
	}
	r = hash_sha256_final_hex(run->hash, run->result->sha256);
	if (r < 0)
		return r;
	return run->parse_error;
}

int ingest_buffer(const char *buf, size_t len, const ingest_options *opt, ingest_record_fn cb, void *userdata,
		  ingest_result *result)
{
	ingest_run run;
	size_t head = len < CW_READ_CHUNK ? len : CW_READ_CHUNK;
	int r = ingest_run_init(&run, opt, cb, userdata, result);
	if (r < 0)
		goto finish;
	if (len > run.max_size) {
		r = ingest_run_too_big(&run);
		goto finish;
	}
	r = ingest_run_begin(&run, buf, head, head == len);
	if (r < 0 && !run.parse_error)
		goto finish;
	r = ingest_run_feed(&run, buf, len);
	if (r < 0)
		goto finish;
	r = ingest_run_end(&run);
finish:
	ingest_run_done(&run);
	return r;
}

int ingest_file(const char *path, const ingest_options *opt, ingest_record_fn cb, void *userdata,
		ingest_result *result)
{
	_cleanup_free_ char *buf = NULL;
	ingest_run run;
	ssize_t n;
	int fd = -1;
	int r = ingest_run_init(&run, opt, cb, userdata, result);
	if (r < 0)
		goto finish;

	/* No symlinks (an inbox is writable by others: a link there must not make
	 * us read, hash and report on the file it points to); a FIFO planted
	 * there is refused without hanging. */
	fd = fileio_open_regular(path, 0, run.max_size, NULL);
	if (fd == -EFBIG) {
		r = ingest_run_too_big(&run);
		fd = -1;
		goto finish;
	}
	if (fd < 0) {
		r = fd;
		goto finish;
	}
	/* One chunk at a time, never the whole file: RSS stays flat however
	 * large the export (up to the tokenizer's per-record caps). */
	buf = malloc(CW_READ_CHUNK);
	if (!buf) {
		r = -ENOMEM;
		goto finish;
	}
	n = fileio_read_full(fd, buf, CW_READ_CHUNK);
	if (n < 0) {
		r = (int)n;
		goto finish;
	}
	r = ingest_run_begin(&run, buf, (size_t)n, (size_t)n < CW_READ_CHUNK);
	if (r < 0 && !run.parse_error)
		goto finish;
	while (n > 0) {
		/* The file may grow after fstat; feed() enforces max_size again. */
		r = ingest_run_feed(&run, buf, (size_t)n);
		if (r < 0)
			goto finish;
		n = fileio_read_full(fd, buf, CW_READ_CHUNK);
		if (n < 0) {
			r = (int)n;
			goto finish;
		}
	}
	r = ingest_run_end(&run);
finish:
	if (fd >= 0)
		close(fd);
	ingest_run_done(&run);
	return r;
}
