/* fuzz_ingest.c — libFuzzer target for ingest_buffer (format auto): no input
 * may crash, leak or hang it, and chunking must not change the outcome, so
 * each input is also parsed in chunks sized by its first byte and compared.
 * Built with -DFUZZ_REPLAY it is a plain program replaying corpus files. */
#include <errno.h>
#include <stdio.h>

#include "contactwatch/hash.h"
#include "contactwatch/ingest.h"

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
	ingest_options opt = { .format = "auto", .chunk_size = chunk };
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
int main(int argc, char *argv[])
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rbe");
		static uint8_t buf[1 << 20];
		size_t n;
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	return 0;
}
#endif
