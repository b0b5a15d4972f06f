/* relations_csv.c — catalogues in CSV (RFC 4180: quoted cells may hold
 * commas, "" and line breaks): a header row naming the fields (any case),
 * lists separated by '|'. Each row's cells go to draft_set (relations.c). */
#include <errno.h>
#include <string.h>

#include "contactwatch/relations_loader.h"

/* Trimmed copy of s[0..len). */
static char *strndup_trim(const char *s, size_t len)
{
	s = loader_trim_range(s, &len);
	return strndup(s, len);
}

typedef struct csv_reader {
	const char *buf;
	size_t len, pos;
	unsigned line;     /* physical line of pos */
	char *field;       /* the cell being assembled */
	size_t field_len, field_cap;
} csv_reader;

static int csv_field_putc(csv_reader *c, char ch)
{
	if (c->field_len + 1 >= c->field_cap) {
		if (c->field_cap >= CW_MAX_FIELD_BYTES)
			return -E2BIG;
		size_t cap = c->field_cap ? c->field_cap * 2 : 128;
		char *n = realloc(c->field, cap);
		if (!n)
			return -ENOMEM;
		c->field = n;
		c->field_cap = cap;
	}
	c->field[c->field_len++] = ch;
	c->field[c->field_len] = '\0';
	return 0;
}

/* Consumes an end of line (LF, CRLF or CR) at pos, if any. */
static bool csv_eol(csv_reader *c)
{
	if (c->pos >= c->len)
		return false;
	if (c->buf[c->pos] == '\n') {
		c->pos++;
		c->line++;
		return true;
	}
	if (c->buf[c->pos] == '\r') {
		c->pos++;
		if (c->pos < c->len && c->buf[c->pos] == '\n')
			c->pos++;
		c->line++;
		return true;
	}
	return false;
}

/* One record (RFC 4180: quoted cells may hold commas, "" and line breaks).
 * *ret_line is where it starts. 0 and NULL at end of input; -EBADMSG for
 * a stray quote, -E2BIG for an oversized cell or too many columns. */
static int csv_read_record(csv_reader *c, char ***ret, unsigned *ret_line)
{
	char **fields = NULL;
	int r;

	*ret = NULL;
	if (c->pos >= c->len)
		return 0;
	*ret_line = c->line;
	for (;;) {
		c->field_len = 0;
		r = csv_field_putc(c, '\0'); /* makes field a valid empty string */
		if (r < 0)
			goto fail;
		c->field_len = 0;
		if (c->pos < c->len && c->buf[c->pos] == '"') {
			c->pos++;
			for (;;) {
				if (c->pos >= c->len) {
					r = -EBADMSG;
					goto fail;
				}
				char ch = c->buf[c->pos++];
				if (ch == '"') {
					if (c->pos < c->len && c->buf[c->pos] == '"')
						c->pos++;
					else
						break;
				} else if (ch == '\n' || (ch == '\r' && !(c->pos < c->len && c->buf[c->pos] == '\n'))) {
					c->line++;
				}
				r = csv_field_putc(c, ch);
				if (r < 0)
					goto fail;
			}
			if (c->pos < c->len && c->buf[c->pos] != ',' && c->buf[c->pos] != '\n' &&
			    c->buf[c->pos] != '\r') {
				r = -EBADMSG;
				goto fail;
			}
		} else {
			while (c->pos < c->len && c->buf[c->pos] != ',' && c->buf[c->pos] != '\n' &&
			       c->buf[c->pos] != '\r') {
				r = csv_field_putc(c, c->buf[c->pos++]);
				if (r < 0)
					goto fail;
			}
		}
		if (strv_length(fields) >= CW_MAX_COLUMNS) {
			r = -E2BIG;
			goto fail;
		}
		r = strv_push(&fields, c->field);
		if (r < 0)
			goto fail;
		if (c->pos < c->len && c->buf[c->pos] == ',') {
			c->pos++;
			continue;
		}
		csv_eol(c);
		break;
	}
	*ret = fields;
	return 0;
fail:
	strv_free(fields);
	return r;
}

static bool csv_record_blank(char *const *fields)
{
	if (strv_length(fields) != 1)
		return false;
	for (const char *p = fields[0]; *p; p++)
		if (!loader_is_space(*p))
			return false;
	return true;
}

static int csv_error(loader *l, unsigned line, int r)
{
	l->failed = true;
	if (r == -EBADMSG)
		return diag_error(l->d, l->path, line, "malformed CSV: unbalanced or stray quote");
	if (r == -E2BIG)
		return diag_error(l->d, l->path, line, "CSV cell larger than %u bytes or more than %u columns",
				  CW_MAX_FIELD_BYTES, CW_MAX_COLUMNS);
	return r;
}

static int csv_load_row(loader *l, const int *columns, size_t n_columns, char **fields, size_t index, unsigned line)
{
	draft dr = { .index = index, .line = line };
	int r = 0;

	if (strv_length(fields) != n_columns) {
		l->failed = true;
		return diag_error(l->d, l->path, line, "relation %zu: %zu fields where the header has %zu", index,
				  strv_length(fields), n_columns);
	}
	/* The id first, so every later message can name it. */
	for (size_t i = 0; i < n_columns; i++)
		if (columns[i] == FIELD_ID) {
			r = draft_set(l, &dr, FIELD_ID, fields[i]);
			if (r < 0)
				goto fail;
		}
	for (size_t i = 0; i < n_columns; i++) {
		relation_field f = (relation_field)columns[i];
		if (f == FIELD_ID)
			continue;
		if (!relation_fields[f].list) {
			r = draft_set(l, &dr, f, fields[i]);
			if (r < 0)
				goto fail;
			continue;
		}
		/* Lists are '|'-separated in one cell. */
		char *save = NULL;
		for (char *tok = strtok_r(fields[i], "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
			r = draft_set(l, &dr, f, tok);
			if (r < 0)
				goto fail;
		}
	}
	return draft_finish(l, &dr);
fail:
	draft_done(l, &dr);
	return r;
}

int relations_csv_load(loader *l, const char *buf, size_t len)
{
	csv_reader c = { .buf = buf, .len = len, .line = 1 };
	char **fields = NULL;
	int columns[CW_MAX_COLUMNS];
	size_t n_columns = 0, index = 0;
	unsigned line = 0;
	bool seen[_FIELD_MAX] = { false }, header_ok = true;
	int r;

	/* A UTF-8 byte order mark (spreadsheet exports) is not part of "id". */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		c.pos = 3;
	do {
		fields = strv_free(fields);
		r = csv_read_record(&c, &fields, &line);
		if (r < 0) {
			r = csv_error(l, c.line, r);
			goto out;
		}
	} while (fields && csv_record_blank(fields));
	if (!fields) {
		l->failed = true;
		r = diag_error(l->d, l->path, 0, "empty file: expected a header line (id,type,name,...)");
		goto out;
	}
	n_columns = strv_length(fields);
	for (size_t i = 0; i < n_columns; i++) {
		char *name = strndup_trim(fields[i], strlen(fields[i]));
		if (!name) {
			r = -ENOMEM;
			goto out;
		}
		int f = loader_field_lookup(name);
		if (f < 0 || seen[f]) {
			header_ok = false;
			l->failed = true;
			r = diag_error(l->d, l->path, line, f < 0 ? "unknown column \"%s\"" : "duplicate column \"%s\"",
				       name);
			free(name);
			if (r < 0)
				goto out;
			continue;
		}
		free(name);
		seen[f] = true;
		columns[i] = f;
	}
	for (int f = FIELD_ID; f <= FIELD_NAME; f++)
		if (!seen[f]) {
			header_ok = false;
			l->failed = true;
			r = diag_error(l->d, l->path, line, "missing required column \"%s\"", relation_fields[f].name);
			if (r < 0)
				goto out;
		}
	/* Rows cannot be read reliably against a header that is wrong. */
	if (!header_ok) {
		r = 0;
		goto out;
	}
	for (;;) {
		fields = strv_free(fields);
		r = csv_read_record(&c, &fields, &line);
		if (r < 0) {
			r = csv_error(l, c.line, r);
			goto out;
		}
		if (!fields || l->full)
			break;
		if (csv_record_blank(fields))
			continue;
		r = csv_load_row(l, columns, n_columns, fields, ++index, line);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	strv_free(fields);
	free(c.field);
	return r;
}

