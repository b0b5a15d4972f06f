/* ingest_csv.c — CSV exports: a push-based RFC 4180 tokenizer (fed chunks of
 * any size; quotes, embedded line ends, hard caps, line tracking) and on top
 * of it the header-mapped table formats, each a column alias table: LinkedIn
 * (Connections.csv, Invitations.csv) here, the CRMs in ingest_crm.c. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <sys/types.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/* Byte classes (ingest_csv_tokenizer.special): which bytes end a run that
 * csv_take_cells and csv_take_quoted copy in one go, per state, and which are
 * delimiters. */
enum {
	CSV_STOP_FIELD = 1 << 0,  /* unquoted cell: delimiter, quote, CR, LF, NUL */
	CSV_STOP_QUOTED = 1 << 1, /* quoted cell: quote, CR, LF, NUL */
	CSV_DELIM = 1 << 2,
};

/* The stop bytes of an unquoted cell, for csv_take_cells: each is the
 * byte repeated over a vector, so that one compare tests 16 bytes. Set with
 * the delimiters (up to 3; fewer repeat the first). */
typedef struct csv_stops {
#ifdef __SSE2__
	__m128i quote, cr, lf, nul, d0, d1, d2;
#else
	char unused;
#endif
} csv_stops;

struct ingest_csv_tokenizer {
	csv_stops stops;     /* first: vectors want 16-byte alignment, which calloc gives */
	ingest_csv_record_fn cb;
	void *userdata;
	char delims[4];
	unsigned char special[256]; /* CSV_STOP_* and CSV_DELIM bits per byte */
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
	size_t *lens;
	char *seps;
	char **fields;

	uint64_t max_field, max_record; /* bytes of text, see ingest_csv_tokenizer_set_limits */

	char error[128];
	unsigned error_line;
};

ingest_csv_tokenizer *ingest_csv_tokenizer_free(ingest_csv_tokenizer *t)
{
	if (t) {
		free(t->buf);
		free(t->starts);
		free(t->lens);
		free(t->seps);
		free(t->fields);
		free(t);
	}
	return NULL;
}

static void csv_stops_init(csv_stops *s, const char *delims)
{
#ifdef __SSE2__
	const char d0 = delims[0], d1 = delims[1] ? delims[1] : d0, d2 = delims[1] && delims[2] ? delims[2] : d0;
	s->quote = _mm_set1_epi8('"');
	s->cr = _mm_set1_epi8('\r');
	s->lf = _mm_set1_epi8('\n');
	s->nul = _mm_setzero_si128();
	s->d0 = _mm_set1_epi8(d0);
	s->d1 = _mm_set1_epi8(d1);
	s->d2 = _mm_set1_epi8(d2);
#else
	(void)delims;
	s->unused = 0;
#endif
}

int ingest_csv_tokenizer_set_delimiters(ingest_csv_tokenizer *t, const char *delims)
{
	size_t n = strlen(delims);
	if (n < 1 || n >= sizeof t->delims)
		return -EINVAL;
	memcpy(t->delims, delims, n + 1);
	memset(t->special, 0, sizeof t->special);
	for (const char *c = "\"\r\n"; *c; c++)
		t->special[(unsigned char)*c] = CSV_STOP_FIELD | CSV_STOP_QUOTED;
	t->special[0] = CSV_STOP_FIELD | CSV_STOP_QUOTED;
	for (const char *d = t->delims; *d; d++)
		t->special[(unsigned char)*d] |= CSV_STOP_FIELD | CSV_DELIM;
	csv_stops_init(&t->stops, t->delims);
	return 0;
}

int ingest_csv_tokenizer_set_limits(ingest_csv_tokenizer *t, uint64_t max_field, uint64_t max_record)
{
	/* The defaults are ceilings too: they bound the buffers (csv_reserve). */
	if (max_field == 0 || max_record == 0 || max_field > CW_MAX_FIELD_BYTES || max_record > CW_MAX_LINE_BYTES)
		return -EINVAL;
	t->max_field = max_field;
	t->max_record = max_record;
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
	t->max_field = CW_MAX_FIELD_BYTES;
	t->max_record = CW_MAX_LINE_BYTES;
	t->starts = calloc(CW_MAX_COLUMNS, sizeof *t->starts);
	t->lens = calloc(CW_MAX_COLUMNS, sizeof *t->lens);
	t->seps = calloc(CW_MAX_COLUMNS, sizeof *t->seps);
	t->fields = calloc(CW_MAX_COLUMNS, sizeof *t->fields);
	if (!t->starts || !t->lens || !t->seps || !t->fields || ingest_csv_tokenizer_set_delimiters(t, delims) < 0)
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
	/* The caps bound this: max_record (<= CW_MAX_LINE_BYTES) of text plus one NUL per cell. */
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
	if (t->len - t->field_start >= t->max_field)
		return csv_fail(t, t->field_line, "cell longer than %" PRIu64 " bytes", t->max_field);
	if (t->len - t->n_fields >= t->max_record)
		return csv_fail(t, t->record_line, "record longer than %" PRIu64 " bytes", t->max_record);
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
	t->starts[t->n_fields] = t->field_start;
	t->lens[t->n_fields] = t->len - t->field_start;
	t->buf[t->len++] = '\0';
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
		.lens = t->lens,
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
	return t->special[(unsigned char)c] & CSV_DELIM;
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

/* The fast path: inside a cell, the bytes up to the next one csv_push would
 * treat specially (CSV_STOP_*: delimiter, quote, CR, LF, NUL) are plain
 * content, and csv_push would append them one by one with nothing else
 * changing: no line end among them (so line and prev_cr need no per-byte
 * update, only prev_cr = false), no state change, and field_blank only turns
 * false at the first non-blank. csv_take_quoted and csv_take_cells copy such
 * runs without csv_push.
 *
 * How many more bytes of text the current cell may take: both caps hold
 * after every append (csv_append), so neither room underflows. A run that
 * would cross a cap stops short, and the byte at the cap goes to csv_push,
 * so the error names the same cell and line as before. */
static size_t csv_room(uint64_t max_field, uint64_t max_record, size_t len, size_t field_start, size_t n_fields,
		       size_t n)
{
	const uint64_t field_room = max_field - (len - field_start);
	const uint64_t record_room = max_record - (len - n_fields);
	const uint64_t room = field_room < record_room ? field_room : record_room;
	return room < n ? (size_t)room : n;
}

/* A quoted cell's plain run: up to the next quote, CR, LF or NUL (those
 * are csv_push's), 16 bytes at a time as in csv_take_cells, at most what
 * the caps allow. Exports that quote every cell (Salesforce's Data Loader,
 * Excel's "CSV UTF-8" of text cells) take this for every cell. Returns the
 * bytes taken or -ENOMEM. */
static ssize_t csv_take_quoted(ingest_csv_tokenizer *t, const char *in, size_t n)
{
	const size_t lim = csv_room(t->max_field, t->max_record, t->len, t->field_start, t->n_fields, n);
	size_t k = 0;
#ifdef __SSE2__
	const csv_stops *s = &t->stops;
	for (; k < lim && n - k >= 16; k += 16) {
		/* +1 keeps room for the cell's NUL, as csv_append does. */
		if (t->len + k + 16 + 1 > t->cap && csv_reserve(t, k + 16 + 1) < 0)
			return -ENOMEM;
		const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(in + k));
		_mm_storeu_si128((__m128i *)(void *)(t->buf + t->len + k), v);
		const unsigned bits = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, s->quote), _mm_cmpeq_epi8(v, s->nul)),
				     _mm_or_si128(_mm_cmpeq_epi8(v, s->cr), _mm_cmpeq_epi8(v, s->lf))));
		if (bits) {
			k += (size_t)__builtin_ctz(bits);
			break;
		}
	}
	if (k > lim)
		k = lim;
#endif
	for (; k < lim && !(t->special[(unsigned char)in[k]] & CSV_STOP_QUOTED); k++) {
		if (t->len + k + 1 + 1 > t->cap && csv_reserve(t, k + 16 + 1) < 0)
			return -ENOMEM;
		t->buf[t->len + k] = in[k];
	}
	if (k > 0) {
		t->len += k;
		t->prev_cr = false;
	}
	return (ssize_t)k;
}

/* Copies m <= 16 bytes from in to out; returns a bit per byte that is
 * special in an unquoted cell (CSV_STOP_FIELD). */
static unsigned csv_copy_classify(const unsigned char *special, const char *in, char *out, size_t m)
{
	unsigned bits = 0;
	for (size_t j = 0; j < m; j++) {
		const unsigned char c = (unsigned char)in[j];
		out[j] = (char)c;
		if (special[c] & CSV_STOP_FIELD)
			bits |= 1u << j;
	}
	return bits;
}

/* The common case of an unquoted record: plain runs and the delimiters
 * between them, cell after cell, as csv_push would take them (prev_cr is
 * false in this state: a CR ends the record). Stops before any other
 * special byte (CR, LF, quote, NUL), before the byte a cap refuses and
 * before a delimiter beyond CW_MAX_COLUMNS cells, all of which csv_push
 * handles, so that errors name the same cell and line as before.
 *
 * In such a run every input byte becomes one byte of the record: content
 * as it is, a delimiter the NUL that ends its cell. So the input is copied
 * to the record 16 bytes at a time while the special bytes of each block
 * are found at once (SSE2 compares against t->stops; a block of fewer than
 * 16 bytes at the end of the input is classified byte by byte), and the
 * delimiters among them are turned into NULs and cell ends. Bytes copied
 * past the stop are scratch beyond t->len. Reads stay within the n bytes
 * of in. Returns the bytes taken or -ENOMEM. */
static ssize_t csv_take_cells(ingest_csv_tokenizer *t, const char *in, size_t n)
{
	const unsigned char *special = t->special;
	size_t *starts = t->starts, *lens = t->lens;
	char *seps = t->seps;
	/* Record position of in[k]: len0 + k (t->len stays len0 until the end,
	 * so csv_reserve's extra is counted from in[0]). */
	const size_t len0 = t->len, n_fields0 = t->n_fields;
	size_t n_fields = n_fields0, field_start = t->field_start;
	char *buf = t->buf;
	size_t cap = t->cap;
	/* The current cell's bytes in this call start at in[cs]; it may take
	 * room more (csv_room); before cs it was blank if blank_before. */
	size_t cs = 0, room = csv_room(t->max_field, t->max_record, len0, field_start, n_fields, SIZE_MAX);
	bool blank_before = t->field_blank;
	size_t off = 0, end = n;
#ifdef __SSE2__
	const csv_stops s = t->stops;
#endif

	while (off < n) {
		const size_t m = n - off < 16 ? n - off : 16;
		unsigned bits = 0;
		/* +1 keeps room for the cell's NUL, as csv_append does. */
		if (len0 + off + 16 + 1 > cap) {
			if (csv_reserve(t, off + 16 + 1) < 0)
				return -ENOMEM;
			buf = t->buf;
			cap = t->cap;
		}
#ifdef __SSE2__
		if (m == 16) {
			const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(in + off));
			_mm_storeu_si128((__m128i *)(void *)(buf + len0 + off), v);
			const __m128i stop = _mm_or_si128(
				_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, s.quote), _mm_cmpeq_epi8(v, s.nul)),
					     _mm_or_si128(_mm_cmpeq_epi8(v, s.cr), _mm_cmpeq_epi8(v, s.lf))),
				_mm_or_si128(_mm_cmpeq_epi8(v, s.d0),
					     _mm_or_si128(_mm_cmpeq_epi8(v, s.d1), _mm_cmpeq_epi8(v, s.d2))));
			bits = (unsigned)_mm_movemask_epi8(stop);
		} else
#endif
			bits = csv_copy_classify(special, in + off, buf + len0 + off, m);
		for (; bits; bits &= bits - 1) {
			const size_t q = off + (size_t)__builtin_ctz(bits);
			if (q - cs > room) {
				end = cs + room;
				goto done;
			}
			if (!(special[(unsigned char)in[q]] & CSV_DELIM) || n_fields >= CW_MAX_COLUMNS) {
				end = q;
				goto done;
			}
			/* csv_end_field. */
			starts[n_fields] = field_start;
			lens[n_fields] = len0 + q - field_start;
			seps[n_fields] = in[q];
			buf[len0 + q] = '\0';
			n_fields++;
			field_start = len0 + q + 1;
			cs = q + 1;
			blank_before = true;
			room = csv_room(t->max_field, t->max_record, field_start, field_start, n_fields, SIZE_MAX);
		}
		off += m;
		if (off - cs > room) {
			end = cs + room;
			break;
		}
	}
done:
	for (size_t j = cs; j < end && blank_before; j++)
		blank_before = in[j] == ' ' || in[j] == '\t';
	t->len = len0 + end;
	t->field_start = field_start;
	t->n_fields = n_fields;
	t->field_blank = blank_before;
	if (n_fields != n_fields0)
		t->field_line = t->line;
	if (end > 0)
		t->prev_cr = false;
	return (ssize_t)end;
}

/* What csv_push does at the start of a record (before the byte is handled
 * as a cell's first), for the feed loop that keeps the byte. */
static void csv_record_begin(ingest_csv_tokenizer *t)
{
	t->record_line = t->field_line = t->line;
	t->field_blank = true;
	t->state = CSV_FIELD;
}

int ingest_csv_tokenizer_feed(ingest_csv_tokenizer *t, const char *buf, size_t n)
{
	ssize_t k;
	int r;

	if (t->stopped)
		return t->stopped;
	for (size_t i = 0; i < n;) {
		if (!t->bom_done) {
			r = csv_push_start(t, buf[i++]);
			if (r != 0)
				return t->stopped = r;
			continue;
		}
		switch (t->state) {
		case CSV_RECORD_START:
			if (buf[i] == '\n' && t->prev_cr)
				break; /* csv_push: the LF of a CRLF */
			csv_record_begin(t);
			continue;
		case CSV_FIELD:
			k = csv_take_cells(t, buf + i, n - i);
			if (k < 0)
				return t->stopped = (int)k;
			i += (size_t)k;
			if (i == n)
				return 0;
			if (buf[i] == '"' && t->field_blank) {
				/* csv_push's opening quote: blanks before it are padding. */
				i++;
				t->len = t->field_start;
				t->field_line = t->line;
				t->state = CSV_QUOTED;
				t->prev_cr = false;
				continue;
			}
			/* A line end is handled as after a closing quote. */
			/* fall through */
		case CSV_QUOTE_IN_QUOTED:
			/* csv_push's common cases after a cell, inline (prev_cr is
			 * false in both states: a CR ends the record, and a quote came
			 * last in the other). */
			if (t->state == CSV_QUOTE_IN_QUOTED && csv_is_delim(t, buf[i])) {
				r = csv_end_field(t, buf[i++]);
				if (r != 0)
					return t->stopped = r;
				continue;
			}
			if (buf[i] == '\n' || buf[i] == '\r') {
				const char c = buf[i++];
				r = csv_emit(t);
				t->line++;
				t->prev_cr = c == '\r';
				if (r != 0)
					return t->stopped = r;
				continue;
			}
			break;
		case CSV_QUOTED:
			k = csv_take_quoted(t, buf + i, n - i);
			if (k < 0)
				return t->stopped = (int)k;
			i += (size_t)k;
			if (i == n)
				return 0;
			if (buf[i] == '"') {
				/* csv_push: a closing quote, or the first of "". */
				i++;
				t->state = CSV_QUOTE_IN_QUOTED;
				t->prev_cr = false;
				continue;
			}
			break;
		}
		r = csv_push(t, buf[i++]);
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
			rec->lens[out - 1] = strlen(rec->fields[out - 1]);
			continue;
		}
		rec->fields[out] = rec->fields[i];
		rec->lens[out] = rec->lens[i];
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

/* cell_trim for a cell of known length (*n, no NUL inside): no strlen. *n
 * becomes the trimmed length. */
static char *cell_trim_len(char *s, size_t *n)
{
	size_t len = *n;
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	s[len] = '\0';
	*n = len;
	return s;
}

/* Whether a cell of length n holds nothing but blanks (what cell_trim would
 * make empty). */
static bool cell_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* ---- describing a header line ------------------------------------------- */

#define CSV_PREAMBLE_DELIMS ",;\t"

/* The cells of rec as `"a", "b", ...`, printable, cut with "..." to fit n. */
static void csv_describe_cells(const ingest_csv_record *rec, char *ret, size_t n)
{
	size_t len = 0;
	ret[0] = '\0';
	for (size_t i = 0; i < rec->n_fields; i++) {
		const char *cell = rec->fields[i];
		const char *sep = i ? ", " : "";
		size_t need = strlen(sep) + strlen(cell) + 2;
		if (len + need + 4 > n) {
			if (len + 4 <= n)
				memcpy(ret + len, "...", 4);
			break;
		}
		len += (size_t)snprintf(ret + len, n - len, "%s\"", sep);
		for (const char *s = cell; *s; s++)
			/* Control bytes would garble a log line. */
			ret[len++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
		ret[len++] = '"';
		ret[len] = '\0';
	}
}

static bool record_blank(ingest_csv_record *rec)
{
	for (size_t i = 0; i < rec->n_fields; i++)
		if (*cell_trim(rec->fields[i]))
			return false;
	return true;
}

typedef struct csv_describe_state {
	char *ret;
	size_t n;
	unsigned line;
	size_t cells;
} csv_describe_state;

/* The header is most likely the line with the most cells among the first
 * few (a `Notes:` line above it says nothing about the columns). */
static int csv_describe_on_record(ingest_csv_record *rec, void *userdata)
{
	csv_describe_state *st = userdata;
	if (rec->line > CW_MAX_PREAMBLE_LINES)
		return INGEST_CSV_STOP;
	if (record_blank(rec) || rec->n_fields <= st->cells)
		return 0;
	/* Cells as split on the line's main delimiter among , ; tab. */
	ingest_csv_record_resplit(rec, ingest_csv_record_main_delimiter(rec, CSV_PREAMBLE_DELIMS));
	if (rec->n_fields <= st->cells)
		return 0;
	csv_describe_cells(rec, st->ret, st->n);
	st->line = rec->line;
	st->cells = rec->n_fields;
	return 0;
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

/* ---- header-mapped table formats ---------------------------------------- */

#define CSV_MAX_MULTI 16 /* e-mails or URLs kept per record */

/* Header names compare ASCII case-insensitively (Dutch and English labels
 * are ASCII); with CSV_ALIAS_DIGITS a '#' stands for a number, as Google
 * numbers its repeated groups ("E-mail 3 - Value") as far as a file needs. */
static bool csv_alias_matches(const ingest_csv_alias *a, const char *cell)
{
	const char *h = a->header;
	if (!(a->flags & CSV_ALIAS_DIGITS))
		return strcasecmp(h, cell) == 0;
	for (; *h; h++) {
		if (*h == '#') {
			if (!isdigit((unsigned char)*cell))
				return false;
			while (isdigit((unsigned char)*cell))
				cell++;
		} else if (tolower((unsigned char)*h) != tolower((unsigned char)*cell))
			return false;
		else
			cell++;
	}
	return *cell == '\0';
}

static bool csv_role_multi(ingest_csv_role role)
{
	return role == CSV_ROLE_EMAIL || role == CSV_ROLE_URL;
}

typedef struct csv_header_info {
	char delim;
	unsigned mapped; /* cells given a role */
	uint64_t found;  /* bit k: aliases[k] has a column (k < CSV_MAX_TABLE_ALIASES) */
} csv_header_info;

/* Splits rec on its main delimiter, trims it and maps its cells (roles
 * filled when non-NULL); whether rec is fmt's header. */
static bool csv_table_header(const ingest_csv_table *fmt, ingest_csv_record *rec, signed char *roles,
			     csv_header_info *ret)
{
	char delim = ingest_csv_record_main_delimiter(rec, CSV_PREAMBLE_DELIMS);
	csv_header_info info = { .delim = delim };
	unsigned seen = 0;
	bool key = false;

	ingest_csv_record_resplit(rec, delim);
	for (size_t i = 0; i < rec->n_fields; i++) {
		const char *cell = cell_trim(rec->fields[i]);
		ingest_csv_role role = CSV_ROLE_NONE;
		for (size_t k = 0; k < fmt->n_aliases; k++)
			if (csv_alias_matches(&fmt->aliases[k], cell)) {
				role = fmt->aliases[k].role;
				key |= (fmt->aliases[k].flags & CSV_ALIAS_KEY) != 0;
				if (k < CSV_MAX_TABLE_ALIASES)
					info.found |= UINT64_C(1) << k;
				break;
			}
		/* A repeated single-valued column: the first one counts. */
		if (role != CSV_ROLE_NONE && !csv_role_multi(role) && (seen & CSV_ROLE_BIT(role)))
			role = CSV_ROLE_NONE;
		if (role != CSV_ROLE_NONE) {
			seen |= CSV_ROLE_BIT(role);
			info.mapped++;
		}
		if (roles)
			roles[i] = (signed char)role;
	}
	if (ret)
		*ret = info;
	if ((seen & fmt->required) != fmt->required || (fmt->need_key && !key))
		return false;
	if (fmt->all_required) {
		uint64_t all = fmt->n_aliases >= 64 ? UINT64_MAX : (UINT64_C(1) << fmt->n_aliases) - 1;
		return (info.found & all) == all;
	}
	return true;
}

/* Appends to ret: what fmt's header needs, for messages:
 * "First Name, Last Name and one of Account.Name, Account Name, AccountId". */
static size_t csv_table_required_names(const ingest_csv_table *fmt, char *ret, size_t len, size_t n)
{
	size_t start = len;
	int keys = 0;
#define APPEND(...)                                                         \
	do {                                                                \
		int k_ = snprintf(ret + len, n - len, __VA_ARGS__);         \
		if (k_ < 0 || (size_t)k_ >= n - len)                        \
			return n - 1;                                       \
		len += (size_t)k_;                                          \
	} while (0)
	unsigned named = 0;
	/* In table order, the first alias of each required role. */
	for (size_t i = 0; i < fmt->n_aliases; i++) {
		ingest_csv_role role = fmt->aliases[i].role;
		if (role == CSV_ROLE_NONE || !(fmt->required & CSV_ROLE_BIT(role)) || (named & CSV_ROLE_BIT(role)))
			continue;
		named |= CSV_ROLE_BIT(role);
		APPEND("%s%s", len > start ? ", " : "", fmt->aliases[i].header);
	}
	for (size_t i = 0; fmt->need_key && i < fmt->n_aliases && keys < 4; i++)
		if (fmt->aliases[i].flags & CSV_ALIAS_KEY)
			APPEND("%s%s", keys++ ? ", " : " and one of ", fmt->aliases[i].header);
#undef APPEND
	return len;
}

typedef struct csv_probe_state {
	const ingest_csv_table *const *tables;
	size_t n;
	int score;
} csv_probe_state;

static int csv_probe_on_record(ingest_csv_record *rec, void *userdata)
{
	csv_probe_state *st = userdata;
	if (rec->line > CW_MAX_PREAMBLE_LINES)
		return INGEST_CSV_STOP;
	for (size_t i = 0; i < st->n; i++) {
		csv_header_info info;
		if (csv_table_header(st->tables[i], rec, NULL, &info)) {
			/* The layout that knows more of the header wins among CRMs. */
			int score = st->tables[i]->confidence + (int)(info.mapped < 9 ? info.mapped : 9);
			if (score > st->score)
				st->score = score > 100 ? 100 : score;
		}
	}
	/* The parser takes the first line that is a header, so does the probe. */
	return st->score ? INGEST_CSV_STOP : 0;
}

int ingest_csv_table_probe(const ingest_csv_table *const *tables, size_t n, const char *head, size_t len,
			   bool at_eof)
{
	csv_probe_state st = { .tables = tables, .n = n };
	ingest_csv_tokenizer *t = ingest_csv_tokenizer_new(CSV_PREAMBLE_DELIMS, csv_probe_on_record, &st);
	if (!t)
		return 0;
	if (ingest_csv_tokenizer_feed(t, head, len) == 0 && at_eof)
		(void)ingest_csv_tokenizer_finish(t);
	ingest_csv_tokenizer_free(t);
	return st.score;
}

typedef struct csv_table_parser {
	const char *label;
	const ingest_csv_table *const *tables;
	size_t n_tables;
	const ingest_csv_table *fmt; /* the table whose header was found */
	ingest_limits limits;
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
	/* csv_table_on_row's single-valued cells by role and their lengths,
	 * kept here (single_set: the roles the last row filled) so that a row
	 * clears only those, not both lists (the zeroing, rep stos, was a
	 * quarter of a row's cost). */
	char *single[_CSV_ROLE_MAX];
	size_t single_len[_CSV_ROLE_MAX];
	unsigned single_set;
	/* csv_table_date: the last date cell parsed and what it gave. */
	char date_text[40];
	size_t date_len;
	bool date_ok;
	int32_t date_day;
	const char *date_why;
	char *name_buf;        /* "first middle last": 3 cells + 2 spaces + NUL */
	/* all_required tables: the preamble line nearest to a header, so that
	 * the error says what is missing and what is there. */
	unsigned best_line;
	int best_found;
	uint64_t best_aliases;
	char best_cells[320];
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

/* Format=csv: the Columns= headers no line had, and the line closest. */
static int csv_table_fail_missing_columns(csv_table_parser *p, const ingest_csv_table *fmt)
{
	char *msg = p->result->error;
	const size_t n = sizeof p->result->error;
	size_t len = (size_t)snprintf(msg, n, "Columns= names headers not in the first %u lines:",
				      CW_MAX_PREAMBLE_LINES);
	int missing = 0;
	for (size_t k = 0; k < fmt->n_aliases && len < n; k++)
		if (!(p->best_aliases & (UINT64_C(1) << k)))
			len += (size_t)snprintf(msg + len, n - len, "%s \"%s\"", missing++ ? "," : "",
						fmt->aliases[k].header);
	if (len < n)
		snprintf(msg + len, n - len, "; %s%s", p->best_line ? "headers found: " : "no header line found",
			 p->best_line ? p->best_cells : "");
	p->result->error_line = p->best_line;
	p->own_error = true;
	return -EBADMSG;
}

static int csv_table_fail_no_header(csv_table_parser *p)
{
	char names[384];
	size_t len = 0;
	if (p->n_tables == 1 && p->tables[0]->all_required)
		return csv_table_fail_missing_columns(p, p->tables[0]);
	names[0] = '\0';
	for (size_t i = 0; i < p->n_tables; i++) {
		if (i > 0)
			len += (size_t)snprintf(names + len, sizeof names - len, "; or ");
		if (len >= sizeof names - 1)
			break;
		len = csv_table_required_names(p->tables[i], names, len, sizeof names);
	}
	return csv_table_fail(p, 0, "no %s header (%s) in the first %u lines", p->label, names, CW_MAX_PREAMBLE_LINES);
}

static void csv_table_note_candidate(csv_table_parser *p, ingest_csv_record *rec, const csv_header_info *info)
{
	int found = __builtin_popcountll(info->found);
	if (record_blank(rec) || (p->best_line && found <= p->best_found))
		return;
	p->best_line = rec->line;
	p->best_found = found;
	p->best_aliases = info->found;
	csv_describe_cells(rec, p->best_cells, sizeof p->best_cells);
}

static int csv_table_on_preamble(csv_table_parser *p, ingest_csv_record *rec)
{
	if (rec->line > CW_MAX_PREAMBLE_LINES)
		return csv_table_fail_no_header(p);
	for (size_t i = 0; i < p->n_tables; i++) {
		csv_header_info info;
		if (!csv_table_header(p->tables[i], rec, p->roles, &info)) {
			if (p->tables[i]->all_required)
				csv_table_note_candidate(p, rec, &info);
			continue;
		}
		p->fmt = p->tables[i];
		p->header_found = true;
		p->n_header = rec->n_fields;
		/* From here on only the header's delimiter separates cells: a `;` in a
		 * comma file is text. */
		char d[2] = { info.delim, '\0' };
		return ingest_csv_tokenizer_set_delimiters(p->tok, d);
	}
	return 0; /* `Notes:`, its sentence, blank lines, Excel's `Notes:,,` */
}

/* Adds cell (trimmed, not empty) to list, split on sep (Google joins
 * several values in one cell with " ::: "), each part trimmed, empty parts
 * dropped. */
static void csv_add_multi(char **list, size_t *n, char *cell, const char *sep)
{
	if (!sep) {
		if (*n < CSV_MAX_MULTI)
			list[(*n)++] = cell;
		return;
	}
	while (cell && *n < CSV_MAX_MULTI) {
		char *next = strstr(cell, sep);
		if (next) {
			*next = '\0';
			next += strlen(sep);
		}
		cell = cell_trim(cell);
		if (*cell)
			list[(*n)++] = cell;
		cell = next;
	}
}

/* "first middle last" of the parts there are (lens[i]: their lengths), in
 * p->name_buf. */
static char *csv_join_name(csv_table_parser *p, char *const *parts, const size_t *lens, size_t n)
{
	size_t len = 0, used = 0;
	char *only = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!parts[i])
			continue;
		if (len)
			p->name_buf[len++] = ' ';
		memcpy(p->name_buf + len, parts[i], lens[i]);
		len += lens[i];
		only = parts[i];
		used++;
	}
	p->name_buf[len] = '\0';
	/* One part: that cell itself, as before names were joined. */
	return used == 0 ? NULL : used == 1 ? only : p->name_buf;
}

static void csv_table_reject(csv_table_parser *p, const ingest_csv_record *rec)
{
	if (p->result->rejected++ == 0)
		p->first_rejected_line = rec->line;
}

/* date_parse_export_why of a date cell (len bytes, not empty) into *ret
 * (untouched when it gives no date) and *ret_why. The parse depends on the
 * text alone, so the last cell's outcome is kept: LinkedIn sorts
 * connections by date, most rows repeat the date of the row before, and
 * reading the month name again was most of the cost of a row. */
static void csv_table_date(csv_table_parser *p, const char *raw, size_t len, int32_t *ret, const char **ret_why)
{
	if (len != p->date_len || memcmp(raw, p->date_text, len) != 0) {
		p->date_ok = date_parse_export_why(raw, &p->date_day, &p->date_why) == 0;
		/* Longer cells are parsed every time (date_len 0 matches no cell). */
		p->date_len = len < sizeof p->date_text ? len : 0;
		memcpy(p->date_text, raw, p->date_len);
	}
	if (p->date_ok)
		*ret = p->date_day;
	*ret_why = p->date_why;
}

static int csv_table_on_row(csv_table_parser *p, ingest_csv_record *rec)
{
	char **single = p->single;
	size_t *single_len = p->single_len;
	/* Not zeroed (that was a third of the cost of a row): the lists are
	 * filled from 0 and NULL-terminated when the contact is built. */
	char *emails[CSV_MAX_MULTI + 1], *urls[CSV_MAX_MULTI + 1];
	size_t n_emails = 0, n_urls = 0, n = rec->n_fields;
	bool content = false;
	contact c;

	for (unsigned m = p->single_set; m; m &= m - 1) {
		single[__builtin_ctz(m)] = NULL;
		single_len[__builtin_ctz(m)] = 0;
	}
	p->single_set = 0;

	/* Cells beyond the header: Excel pads rows with empty ones, which are
	 * harmless; text there means the row is misaligned and no cell of it can
	 * be trusted, so it is rejected (and counted) rather than guessed at. */
	for (size_t i = p->n_header; i < n; i++)
		if (!cell_blank(rec->fields[i], rec->lens[i])) {
			csv_table_reject(p, rec);
			return 0;
		}
	if (n > p->n_header)
		n = p->n_header;

	/* Fewer cells than the header: Excel drops trailing empties; the missing
	 * cells are empty. Cells without a role are not even trimmed. */
	for (size_t i = 0; i < n; i++) {
		ingest_csv_role role = (ingest_csv_role)p->roles[i];
		if (role == CSV_ROLE_NONE)
			continue;
		size_t len = rec->lens[i];
		char *cell = cell_trim_len(rec->fields[i], &len);
		if (len == 0)
			continue;
		if (role != CSV_ROLE_DATE)
			content = true;
		if (role == CSV_ROLE_EMAIL)
			csv_add_multi(emails, &n_emails, cell, p->fmt->multi_sep);
		else if (role == CSV_ROLE_URL)
			csv_add_multi(urls, &n_urls, cell, p->fmt->multi_sep);
		else if (!single[role]) {
			single[role] = cell;
			single_len[role] = len;
			p->single_set |= CSV_ROLE_BIT(role);
		}
	}
	/* Blank rows, and rows blank but for the date (2-3% of rows in real
	 * LinkedIn exports, see domain.md) or for columns we do not read (a CRM
	 * contact with only a phone number), carry nothing to match on. They are
	 * skipped and counted neither as records nor as rejected, so record
	 * numbers follow what a reader sees as contacts. */
	if (!content)
		return 0;

	contact_init(&c);
	c.event = p->fmt->event;
	if (p->fmt->required & CSV_ROLE_BIT(CSV_ROLE_DIRECTION)) {
		/* Invitations: the other party is To when the employee sent it, From
		 * when they received it. Another value: we cannot tell who is who. */
		const char *dir = single[CSV_ROLE_DIRECTION];
		bool out = dir && strcasecmp(dir, "OUTGOING") == 0, in = dir && strcasecmp(dir, "INCOMING") == 0;
		if (!out && !in) {
			csv_table_reject(p, rec);
			return 0;
		}
		c.event = out ? CONTACT_EVENT_INVITATION_OUTGOING : CONTACT_EVENT_INVITATION_INCOMING;
		single[CSV_ROLE_NAME] = single[out ? CSV_ROLE_TO : CSV_ROLE_FROM];
		p->single_set |= CSV_ROLE_BIT(CSV_ROLE_NAME);
		if (single[out ? CSV_ROLE_TO_URL : CSV_ROLE_FROM_URL] && n_urls < CSV_MAX_MULTI)
			urls[n_urls++] = single[out ? CSV_ROLE_TO_URL : CSV_ROLE_FROM_URL];
		/* Only the employee's side filled in: a broken row, not a contact. */
		if (!single[CSV_ROLE_NAME] && n_urls == 0) {
			csv_table_reject(p, rec);
			return 0;
		}
	}

	if (p->result->records >= p->limits.max_records)
		return csv_table_fail(p, rec->line, "more than %" PRIu64 " records", p->limits.max_records);

	/* The contact borrows the tokenizer's cells: valid during the callback,
	 * as ingest.h promises, and no allocation per record. */
	c.first = single[CSV_ROLE_FIRST];
	c.last = single[CSV_ROLE_LAST];
	c.company = single[CSV_ROLE_COMPANY] ? single[CSV_ROLE_COMPANY] : single[CSV_ROLE_COMPANY_ALT];
	c.position = single[CSV_ROLE_POSITION];
	emails[n_emails] = NULL;
	urls[n_urls] = NULL;
	c.emails = n_emails ? emails : NULL;
	c.urls = n_urls ? urls : NULL;
	if (single[CSV_ROLE_NAME])
		c.name = single[CSV_ROLE_NAME];
	else {
		char *parts[] = { c.first, single[CSV_ROLE_MIDDLE], c.last };
		const size_t lens[] = { single_len[CSV_ROLE_FIRST], single_len[CSV_ROLE_MIDDLE],
					single_len[CSV_ROLE_LAST] };
		c.name = csv_join_name(p, parts, lens, ELEMENTSOF(parts));
	}
	if (single[CSV_ROLE_DATE]) {
		c.date_raw = single[CSV_ROLE_DATE];
		/* Unreadable or ambiguous dates stay undated, never guessed; date_raw
		 * keeps what was there and date_note says why. */
		csv_table_date(p, c.date_raw, single_len[CSV_ROLE_DATE], &c.connected_on, &c.date_note);
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

	/* Cells need no UTF-8 check: the parser is fed the decoder's output,
	 * which is valid UTF-8 throughout (ingest.h), and a byte that is not
	 * text is the decoder's error, reported with its line. */
	p->any_record = true;
	if (!p->header_found)
		return csv_table_on_preamble(p, rec);
	return csv_table_on_row(p, rec);
}

void *ingest_csv_table_parser_free(void *parser)
{
	csv_table_parser *p = parser;
	if (p) {
		ingest_csv_tokenizer_free(p->tok);
		free(p->name_buf);
		free(p);
	}
	return NULL;
}

void *ingest_csv_table_parser_new(const char *label, const ingest_csv_table *const *tables, size_t n,
				  const ingest_options *opt, ingest_record_fn cb, void *userdata,
				  ingest_result *result)
{
	csv_table_parser *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->label = label;
	p->tables = tables;
	p->n_tables = n;
	p->limits = opt->limits;
	p->cb = cb;
	p->userdata = userdata;
	p->result = result;
	p->tok = ingest_csv_tokenizer_new(CSV_PREAMBLE_DELIMS, csv_table_on_record, p);
	p->name_buf = malloc(3 * (size_t)p->limits.max_field_size + 3);
	if (!p->tok || !p->name_buf ||
	    ingest_csv_tokenizer_set_limits(p->tok, p->limits.max_field_size, p->limits.max_record_size) < 0)
		return ingest_csv_table_parser_free(p);
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

int ingest_csv_table_parser_feed(void *parser, const char *buf, size_t n)
{
	csv_table_parser *p = parser;
	return csv_table_parser_check(p, ingest_csv_tokenizer_feed(p->tok, buf, n));
}

int ingest_csv_table_parser_finish(void *parser)
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

/* ---- LinkedIn ------------------------------------------------------------ */

/* Connections.csv: 2018 `First Name,Last Name,Email Address,Company,
 * Position,Connected On`; 2023+ adds URL after Last Name. Mapped by name, so
 * a reordered re-save reads the same. "Connected On" is what no other
 * export has: with the two name columns it identifies the header. */
static const ingest_csv_alias linkedin_connections_aliases[] = {
	{ "First Name", CSV_ROLE_FIRST, 0 },
	{ "Last Name", CSV_ROLE_LAST, 0 },
	{ "URL", CSV_ROLE_URL, 0 },
	{ "Profile URL", CSV_ROLE_URL, 0 },
	{ "Email Address", CSV_ROLE_EMAIL, 0 },
	{ "Company", CSV_ROLE_COMPANY, 0 },
	{ "Position", CSV_ROLE_POSITION, 0 },
	{ "Connected On", CSV_ROLE_DATE, 0 },
};

static const ingest_csv_table linkedin_connections = {
	.label = "LinkedIn Connections",
	.aliases = linkedin_connections_aliases,
	.n_aliases = ELEMENTSOF(linkedin_connections_aliases),
	.required = CSV_ROLE_BIT(CSV_ROLE_FIRST) | CSV_ROLE_BIT(CSV_ROLE_LAST) | CSV_ROLE_BIT(CSV_ROLE_DATE),
	.confidence = 100,
	.event = CONTACT_EVENT_CONNECTION,
};

/* Invitations.csv: `From,To,Sent At,Message,Direction` and since 2023
 * `inviterProfileUrl,inviteeProfileUrl`. Pending invitations both ways: an
 * OUTGOING one to a relation is the employee reaching out, evidence as much
 * as a connection. The row's contact is the other party. */
static const ingest_csv_alias linkedin_invitations_aliases[] = {
	{ "From", CSV_ROLE_FROM, 0 },
	{ "To", CSV_ROLE_TO, 0 },
	{ "Sent At", CSV_ROLE_DATE, 0 },
	{ "Direction", CSV_ROLE_DIRECTION, 0 },
	{ "inviterProfileUrl", CSV_ROLE_FROM_URL, 0 },
	{ "inviteeProfileUrl", CSV_ROLE_TO_URL, 0 },
};

static const ingest_csv_table linkedin_invitations = {
	.label = "LinkedIn Invitations",
	.aliases = linkedin_invitations_aliases,
	.n_aliases = ELEMENTSOF(linkedin_invitations_aliases),
	.required = CSV_ROLE_BIT(CSV_ROLE_FROM) | CSV_ROLE_BIT(CSV_ROLE_TO) | CSV_ROLE_BIT(CSV_ROLE_DATE) |
		    CSV_ROLE_BIT(CSV_ROLE_DIRECTION),
	.confidence = 100,
	.event = CONTACT_EVENT_CONNECTION, /* replaced per row by Direction */
};

static const ingest_csv_table *const linkedin_tables[] = { &linkedin_connections, &linkedin_invitations };

static int linkedin_probe(const char *head, size_t len, bool at_eof)
{
	return ingest_csv_table_probe(linkedin_tables, ELEMENTSOF(linkedin_tables), head, len, at_eof);
}

static void *linkedin_parser_new(const ingest_options *opt, ingest_record_fn cb, void *userdata,
				 ingest_result *result)
{
	return ingest_csv_table_parser_new("LinkedIn", linkedin_tables, ELEMENTSOF(linkedin_tables), opt, cb,
					   userdata, result);
}

const ingest_format ingest_format_linkedin = {
	.name = "linkedin",
	.probe = linkedin_probe,
	.parser_new = linkedin_parser_new,
	.parser_feed = ingest_csv_table_parser_feed,
	.parser_finish = ingest_csv_table_parser_finish,
	.parser_free = ingest_csv_table_parser_free,
};
