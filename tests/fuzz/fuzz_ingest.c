/* fuzz_ingest.c — libFuzzer target for ingest_buffer, format FUZZ_FORMAT
 * ("auto" unless the build names one: one fuzzer per parser): no input
 * may crash, leak or hang it, and chunking must not change the outcome, so
 * each input is also parsed in chunks sized by its first byte and compared.
 * Built with -DFUZZ_REPLAY it is a plain program replaying corpus files. */
#include <errno.h>
#include <stdio.h>

#include "contactwatch/hash.h"
#include "contactwatch/ingest.h"

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT "auto"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz_digest {
	hash_sha256 *h;
} fuzz_digest;

/* Every field of every record goes into a digest, to compare two runs. */
static void fuzz_digest_str(fuzz_digest *d, const char *s)
{
	hash_sha256_update(d->h, s ? s : "\x01", s ? strlen(s) + 1 : 1);
}

static int fuzz_on_record(const contact *c, void *userdata)
{
	fuzz_digest *d = userdata;
	char **l;
	fuzz_digest_str(d, c->first);
	fuzz_digest_str(d, c->last);
	fuzz_digest_str(d, c->name);
	fuzz_digest_str(d, c->company);
	fuzz_digest_str(d, c->position);
	fuzz_digest_str(d, c->date_raw);
	for (l = c->emails; l && *l; l++)
		fuzz_digest_str(d, *l);
	for (l = c->urls; l && *l; l++)
		fuzz_digest_str(d, *l);
	hash_sha256_update(d->h, &c->connected_on, sizeof c->connected_on);
	hash_sha256_update(d->h, &c->record, sizeof c->record);
	hash_sha256_update(d->h, &c->line, sizeof c->line);
	return 0;
}

static int fuzz_run(const uint8_t *data, size_t size, size_t chunk, ingest_result *res, char digest[static 65])
{
	fuzz_digest d = { .h = hash_sha256_new() };
	ingest_options opt = { .format = FUZZ_FORMAT, .chunk_size = chunk };
	if (!d.h)
		abort();
	int r = ingest_buffer((const char *)data, size, &opt, fuzz_on_record, &d, res);
	if (hash_sha256_final_hex(d.h, digest) < 0)
		abort();
	hash_sha256_free(d.h);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ingest_result a, b;
	char da[65], db[65];
	int ra = fuzz_run(data, size, 0, &a, da);
	int rb = fuzz_run(data, size, size ? 1 + data[0] % 13 : 1, &b, db);
	if (ra != rb || !streq(da, db) || a.records != b.records || a.rejected != b.rejected ||
	    a.error_line != b.error_line || !streq(a.error, b.error) || !streq(a.format, b.format)) {
		fprintf(stderr, "chunking changed the result: %d/%d records %zu/%zu line %u/%u \"%s\"/\"%s\"\n", ra, rb,
			a.records, b.records, a.error_line, b.error_line, a.error, b.error);
		abort();
	}
	if (ra != 0 && ra != -EBADMSG && ra != -EMEDIUMTYPE)
		abort();
	return 0;
}

#ifdef FUZZ_REPLAY
#include <dirent.h>

/* Replays every file of the corpus directory (or the files named) through
 * the target, as one TAP test per corpus (a file is an input, not a test of
 * its own); a crash or abort ends the run before the "ok" line, and the
 * missing result counts as failed. */
static int replay_one(const char *path)
{
	static uint8_t buf[CW_MAX_LINE_BYTES * 2];
	FILE *f = fopen(path, "rbe");
	size_t len;

	if (!f) {
		printf("# %s: %s\n", path, strerror(errno));
		return 1;
	}
	len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char *argv[])
{
	char **files = NULL;
	size_t n = 0;
	int failed = 0;

	if (argc > 1) {
		files = argv + 1;
		n = (size_t)argc - 1;
	} else {
		DIR *d = opendir(FUZZ_CORPUS);
		if (!d) {
			printf("1..1\nnot ok 1 - %s: %s\n", FUZZ_CORPUS, strerror(errno));
			return 1;
		}
		for (struct dirent *de; (de = readdir(d));) {
			char *p = NULL;
			if (de->d_name[0] == '.' || asprintf(&p, "%s/%s", FUZZ_CORPUS, de->d_name) < 0)
				continue;
			char **nf = realloc(files, (n + 1) * sizeof *nf);
			if (!nf) {
				free(p);
				break;
			}
			files = nf;
			files[n++] = p;
		}
		closedir(d);
		if (n > 0)
			qsort(files, n, sizeof *files, cmp_name);
	}
	printf("1..1\n");
	fflush(stdout);
	for (size_t i = 0; i < n; i++)
		failed |= replay_one(files[i]);
	printf("%s 1 - %s format corpus: %zu inputs replayed, chunked and whole\n", failed || n == 0 ? "not ok" : "ok",
	       FUZZ_FORMAT, n);
	if (argc <= 1) {
		for (size_t i = 0; i < n; i++)
			free(files[i]);
		free(files);
	}
	return failed;
}
#endif
