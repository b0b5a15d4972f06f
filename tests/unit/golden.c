/* golden.c — the golden-file machinery every format test shares, so that
 * all formats are held to the same normalised record (golden.h). */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <jansson.h>

#include "contactwatch/date.h"
#include "contactwatch/hash.h"
#include "golden.h"

static json_t *json_string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *json_strv(char *const *l)
{
	json_t *a = json_array();
	for (; l && *l; l++)
		json_array_append_new(a, json_string(*l));
	return a;
}

char *golden_contact_json(const contact *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "record", json_integer((json_int_t)c->record));
	json_object_set_new(o, "line", json_integer(c->line));
	if (c->event != CONTACT_EVENT_CONNECTION)
		json_object_set_new(o, "event", json_string(contact_event_to_string(c->event)));
	json_object_set_new(o, "first", json_string_or_null(c->first));
	json_object_set_new(o, "last", json_string_or_null(c->last));
	json_object_set_new(o, "name", json_string_or_null(c->name));
	json_object_set_new(o, "company", json_string_or_null(c->company));
	json_object_set_new(o, "position", json_string_or_null(c->position));
	json_object_set_new(o, "emails", json_strv(c->emails));
	json_object_set_new(o, "urls", json_strv(c->urls));
	if (c->connected_on == DATE_NONE) {
		json_object_set_new(o, "connected_on", json_null());
	} else {
		char day[11];
		date_format(c->connected_on, day);
		json_object_set_new(o, "connected_on", json_string(day));
	}
	json_object_set_new(o, "date_raw", json_string_or_null(c->date_raw));
	if (c->date_note)
		json_object_set_new(o, "date_note", json_string(c->date_note));
	char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(o);
	assert_non_null(s);
	return s;
}

void golden_collect_open(golden_collect *c)
{
	*c = (golden_collect){ 0 };
	c->f = open_memstream(&c->text, &c->len);
	assert_non_null(c->f);
}

char *golden_collect_close(golden_collect *c)
{
	assert_int_equal(fclose(c->f), 0);
	c->f = NULL;
	return c->text;
}

int golden_collect_cb(const contact *c, void *userdata)
{
	golden_collect *col = userdata;
	if (col->stop_at && c->record == col->stop_at)
		return -ECANCELED;
	char *s = golden_contact_json(c);
	fprintf(col->f, "%s\n", s);
	free(s);
	return 0;
}

char *golden_read_all(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rbe");
	char *buf;
	long n;
	if (!f)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*ret_len = (size_t)n;
	return buf;
}

void golden_write_all(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wbe");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

char *golden_run_buffer(const char *buf, size_t len, const char *format, size_t chunk, int expect_r,
			ingest_result *res)
{
	golden_collect col;
	ingest_options opt = { .format = format, .chunk_size = chunk };
	golden_collect_open(&col);
	int r = ingest_buffer(buf, len, &opt, golden_collect_cb, &col, res);
	if (r != expect_r)
		fail_msg("ingest_buffer: %d (%s), expected %d; line %u: %s", r, strerror(-r), expect_r,
			 res->error_line, res->error);
	return golden_collect_close(&col);
}

void golden_check(const char *dir, const char *name, const char *format, const char *expect_format)
{
	char in_path[512], ok_path[512], sha[65];
	size_t in_len, ok_len;
	char *in, *ok, *got;
	ingest_result res;
	golden_collect col;
	int r;

	snprintf(in_path, sizeof in_path, "%s/%s.in", dir, name);
	snprintf(ok_path, sizeof ok_path, "%s/%s.ok", dir, name);
	in = golden_read_all(in_path, &in_len);
	if (!in)
		fail_msg("%s missing", in_path);

	golden_collect_open(&col);
	r = ingest_file(in_path, &(ingest_options){ .format = format }, golden_collect_cb, &col, &res);
	got = golden_collect_close(&col);
	if (r != 0)
		fail_msg("%s: %d, line %u: %s", name, r, res.error_line, res.error);
	assert_string_equal(res.format, expect_format);
	assert_int_equal(res.size, in_len);
	assert_int_equal(hash_sha256_hex(in, in_len, sha), 0);
	assert_string_equal(res.sha256, sha);

	if (getenv("CW_UPDATE_GOLDEN"))
		golden_write_all(ok_path, got, strlen(got));
	ok = golden_read_all(ok_path, &ok_len);
	if (!ok)
		fail_msg("%s missing (CW_UPDATE_GOLDEN=1 writes it)", ok_path);
	assert_string_equal(got, ok);

	/* The same records whatever the chunking: 1 byte splits every CRLF,
	 * quote pair, BOM and multi-byte character; 7 and 4096 land elsewhere. */
	static const size_t chunks[] = { 1, 2, 3, 7, 4096 };
	for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
		ingest_result res2;
		char *again = golden_run_buffer(in, in_len, format, chunks[i], 0, &res2);
		assert_string_equal(again, ok);
		assert_int_equal(res2.records, res.records);
		assert_int_equal(res2.rejected, res.rejected);
		assert_string_equal(res2.sha256, sha);
		free(again);
	}
	free(in);
	free(ok);
	free(got);
}

void golden_check_bad(const golden_bad *cases, size_t n)
{
	static const size_t chunks[] = { 0, 1, 3 };
	for (size_t i = 0; i < n; i++) {
		const golden_bad *c = &cases[i];
		for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++) {
			ingest_result res;
			golden_collect col;
			ingest_options opt = { .format = c->format, .chunk_size = chunks[k] };
			golden_collect_open(&col);
			int r = ingest_buffer(c->data, c->len, &opt, golden_collect_cb, &col, &res);
			free(golden_collect_close(&col));
			if (r != c->r || res.error_line != c->line || strcmp(res.error, c->error) != 0)
				fail_msg("%s (chunk %zu): r=%d line=%u error=\"%s\"; expected r=%d line=%u \"%s\"",
					 c->what, chunks[k], r, res.error_line, res.error, c->r, c->line, c->error);
		}
	}
}

void golden_check_callback_stops(const char *path)
{
	golden_collect col;
	ingest_result res;
	golden_collect_open(&col);
	col.stop_at = 2;
	int r = ingest_file(path, NULL, golden_collect_cb, &col, &res);
	free(golden_collect_close(&col));
	assert_int_equal(r, -ECANCELED);
	assert_int_equal(res.records, 2);
}

static int golden_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int golden_rmtree(const char *dir)
{
	return nftw(dir, golden_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
