/* ingest.c — the format registry and the streaming reader: opens an export
 * safely, hashes every byte, picks the character encoding (text.h) and the
 * format (forced or probed from the decoded first chunk) and feeds the
 * format's parser the decoded text chunk by chunk. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "contactwatch/fileio.h"
#include "contactwatch/hash.h"
#include "contactwatch/ingest.h"
#include "contactwatch/ingest_csv.h"
#include "contactwatch/ingest_formats.h"
#include "contactwatch/text.h"

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
	text_encoding enc;
	text_decoder *dec; /* raw bytes in, the parser's UTF-8 out */
	int sink_error;    /* the parser's error when it stopped the decoder */
} ingest_run;

static void ingest_run_done(ingest_run *run)
{
	if (run->fmt && run->parser)
		run->fmt->parser_free(run->parser);
	run->parser = NULL;
	run->hash = hash_sha256_free(run->hash);
	run->dec = text_decoder_free(run->dec);
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

/* Sets the encoding (from text_detect) the rest of the run decodes. */
static int ingest_run_decode_as(ingest_run *run, text_encoding enc)
{
	run->enc = enc;
	snprintf(run->result->encoding, sizeof run->result->encoding, "%s", text_encoding_name(enc));
	run->dec = text_decoder_new(enc);
	return run->dec ? 0 : -ENOMEM;
}

/* The input is not text in its encoding: a malformed file like any other. */
static int ingest_run_not_text(ingest_run *run, const text_decoder *dec)
{
	unsigned line = 0;
	const char *why = text_decoder_error(dec, &line, NULL);
	snprintf(run->result->error, sizeof run->result->error, "%s", why ? why : "not text");
	run->result->error_line = line;
	return run->parse_error = -EBADMSG;
}

/* The decoded head of the input, for the probes. */
typedef struct ingest_head {
	char *text;
	size_t len, cap;
} ingest_head;

static int ingest_head_sink(const char *utf8, size_t n, void *userdata)
{
	ingest_head *h = userdata;
	if (n > h->cap - h->len)
		return -ENOBUFS; /* cannot happen: cap is the worst case */
	memcpy(h->text + h->len, utf8, n);
	h->len += n;
	return 0;
}

/* Decodes the raw head into h (a decoder of its own: the run's starts at
 * byte 0 again in feed). Returns 1 when the head holds bytes that are not
 * text (then h has the text before them and dec says why), 0, or -errno. */
static int ingest_head_decode(text_decoder *dec, const char *raw, size_t len, bool at_eof, ingest_head *h)
{
	/* Every input byte yields at most 3 bytes of UTF-8 (Windows-1252 0x80
	 * → U+20AC; a UTF-16 code unit is 2 bytes for at most 3, a pair 4 for 4). */
	h->cap = 3 * len + 4;
	h->len = 0;
	h->text = malloc(h->cap);
	if (!h->text)
		return -ENOMEM;
	int r = text_decoder_feed(dec, raw, len, ingest_head_sink, h);
	if (r == 0 && at_eof)
		r = text_decoder_finish(dec, ingest_head_sink, h);
	return r == -EILSEQ ? 1 : r;
}

/* No format knows a head with U+0000 in it. No export has one: most likely
 * it is UTF-16 without a BOM (detected as UTF-8 or Windows-1252, every
 * other byte NUL), whose headers would read as garbage in the usual message. */
static void ingest_run_nul(ingest_run *run, const char *head, size_t len)
{
	const char *nul = memchr(head, '\0', len);
	unsigned line = 1;
	for (const char *p = head; p < nul; p++)
		if (*p == '\r' || (*p == '\n' && (p == head || p[-1] != '\r')))
			line++;
	snprintf(run->result->error, sizeof run->result->error,
		 "no known export format: NUL bytes in the text (UTF-16 without a byte-order mark, or not a text file?)");
	run->result->error_line = line;
	run->parse_error = -EMEDIUMTYPE;
}

/* Picks the format from the head of the input (raw bytes, decoded here:
 * probes read text) and starts its parser. */
static int ingest_run_begin(ingest_run *run, const char *raw, size_t raw_len, bool raw_at_eof)
{
	_cleanup_free_ char *text = NULL;
	ingest_head h = { 0 };
	text_decoder *dec = text_decoder_new(run->enc);
	int bad;
	if (!dec)
		return -ENOMEM;
	bad = ingest_head_decode(dec, raw, raw_len, raw_at_eof, &h);
	text = h.text;
	if (bad < 0) {
		text_decoder_free(dec);
		return bad;
	}
	/* Cut short by a bad byte, the text so far is not the whole input. */
	const char *head = text;
	const size_t len = h.len;
	const bool at_eof = raw_at_eof && !bad;
	if (len == 0 && at_eof) {
		text_decoder_free(dec);
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
	}
	if (!run->fmt) {
		/* No format knows the text before a bad byte: the bad byte is the
		 * better reason (a parser would have met it next). */
		if (bad)
			ingest_run_not_text(run, dec);
		else if (memchr(head, '\0', len))
			ingest_run_nul(run, head, len);
		else
			run->parse_error = ingest_run_unknown(run, head, len, at_eof);
	}
	text_decoder_free(dec);
	if (run->parse_error)
		return run->parse_error;
	/* A file that is not UTF-8 throughout and has no BOM would be read as
	 * Windows-1252 as a whole; a format that declares charsets per value
	 * (vCard's CHARSET=, UTF-8 folded mid-character) gets the bytes as
	 * they are and applies the same rule per value. */
	if (run->fmt->decodes_itself && run->enc == TEXT_WINDOWS_1252) {
		text_decoder_free(run->dec);
		int r = ingest_run_decode_as(run, TEXT_BYTES);
		if (r < 0)
			return r;
	}
	snprintf(run->result->format, sizeof run->result->format, "%s", run->fmt->name);
	run->parser = run->fmt->parser_new(&run->resolved, run->cb, run->userdata, run->result);
	return run->parser ? 0 : -ENOMEM;
}

/* The decoder's sink: the text goes to the parser in opt->chunk_size pieces
 * too, so that chunk_size 1 also splits every character the parser sees. */
static int ingest_run_sink(const char *utf8, size_t n, void *userdata)
{
	ingest_run *run = userdata;
	for (size_t off = 0; off < n;) {
		size_t k = n - off < run->chunk ? n - off : run->chunk;
		int r = run->fmt->parser_feed(run->parser, utf8 + off, k);
		if (r < 0)
			return run->sink_error = r;
		off += k;
	}
	return 0;
}

/* Sorts out what text_decoder_feed/finish returned: the parser's -EBADMSG
 * or the decoder's -EILSEQ make the file malformed (0, the rest is only
 * hashed); anything else (the callback's stop, ENOMEM) ends the run. */
static int ingest_run_decoded(ingest_run *run, int r)
{
	if (r >= 0)
		return 0;
	if (run->sink_error) {
		r = run->sink_error;
		if (r != -EBADMSG)
			return r;
		run->parse_error = r;
		return 0;
	}
	if (r != -EILSEQ)
		return r;
	ingest_run_not_text(run, run->dec);
	return 0;
}

/* Hashes data (the raw bytes: the evidence is the file as received) and
 * decodes it to the parser in opt->chunk_size pieces, so chunk_size 1 also
 * splits every code unit and multi-byte sequence. A malformed file is still
 * hashed to the end (the evidence names the bytes it rejected); anything
 * else (the callback's stop, ENOMEM) ends the run. */
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
		r = ingest_run_decoded(run, text_decoder_feed(run->dec, data + off, k, ingest_run_sink, run));
		if (r < 0)
			return r;
		off += k;
	}
	return 0;
}

static int ingest_run_end(ingest_run *run)
{
	int r;
	if (!run->parse_error) {
		r = ingest_run_decoded(run, text_decoder_finish(run->dec, ingest_run_sink, run));
		if (r < 0)
			return r;
	}
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

static text_encoding ingest_detect_buffer(const char *buf, size_t len)
{
	text_utf8_validator v;
	bool valid = false;
	/* With a BOM the bytes after it do not matter to the choice. */
	if (!text_has_bom(buf, len)) {
		text_utf8_validator_init(&v);
		valid = text_utf8_validator_feed(&v, buf, len) && text_utf8_validator_finish(&v);
	}
	return text_detect(buf, len, valid);
}

/* The first pass over a file. Without a BOM, whether the whole file is UTF-8
 * decides between UTF-8 and Windows-1252, and that needs every byte before
 * the first one is parsed. buf holds the first chunk (*n bytes); only a file
 * longer than that which is valid UTF-8 so far is read on (one chunk at a
 * time: RSS stays flat), up to its end or its first bad byte, then rewound
 * with the first chunk read into buf again. Nothing is hashed here: the
 * digest is taken in the parsing pass, so it is of the very bytes the
 * records came from even if the file changes in between (that pass decodes
 * UTF-8 strictly, so a file that stopped being UTF-8 fails, not garbles). */
static int ingest_file_detect(ingest_run *run, int fd, char *buf, ssize_t *n, text_encoding *ret)
{
	text_utf8_validator v;
	ssize_t k = *n;
	uint64_t total = (uint64_t)k;

	if (text_has_bom(buf, (size_t)k)) {
		*ret = text_detect(buf, (size_t)k, false);
		return 0;
	}
	text_utf8_validator_init(&v);
	text_utf8_validator_feed(&v, buf, (size_t)k);
	if ((size_t)k == CW_READ_CHUNK) {
		while (!v.invalid && (size_t)k == CW_READ_CHUNK) {
			k = fileio_read_full(fd, buf, CW_READ_CHUNK);
			if (k < 0)
				return (int)k;
			total += (uint64_t)k;
			if (total > run->max_size)
				return ingest_run_too_big(run);
			text_utf8_validator_feed(&v, buf, (size_t)k);
		}
		if (lseek(fd, 0, SEEK_SET) < 0)
			return -errno;
		k = fileio_read_full(fd, buf, CW_READ_CHUNK);
		if (k < 0)
			return (int)k;
		*n = k;
	}
	*ret = text_detect(buf, (size_t)k, text_utf8_validator_finish(&v));
	return 0;
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
	r = ingest_run_decode_as(&run, ingest_detect_buffer(buf, len));
	if (r < 0)
		goto finish;
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
	text_encoding enc = TEXT_UTF8;
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
	r = ingest_file_detect(&run, fd, buf, &n, &enc);
	if (r < 0)
		goto finish;
	r = ingest_run_decode_as(&run, enc);
	if (r < 0)
		goto finish;
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
