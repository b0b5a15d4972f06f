/* ingest.h — the format registry: probe + parse per export format, and the
 * streaming reader that turns a file into contact records while hashing it.
 * Pure: no logging; errors come back in ingest_result. */
#pragma once

#include "contactwatch/common.h"
#include "contactwatch/contact.h"

/* Called for every data record; the contact is valid only during the call.
 * Return <0 to stop (that value is returned by ingest_*). */
typedef int (*ingest_record_fn)(const contact *c, void *userdata);

typedef struct ingest_result {
	char format[32];          /* the format used (after auto-detection) */
	char sha256[65];          /* hex digest of the whole file as read */
	uint64_t size;            /* bytes read */
	size_t records;           /* data records passed to the callback */
	size_t rejected;          /* data rows skipped as unreadable (file still accepted) */
	unsigned error_line;      /* on failure: the physical line, 0 if none */
	char error[512];          /* on failure: the reason, without file:line */
} ingest_result;

typedef struct ingest_options {
	const char *format;       /* NULL or "auto": detect from content */
	uint64_t max_size;        /* 0: CW_DEFAULT_MAX_FILE_SIZE */
} ingest_options;

/* Opens path O_RDONLY|O_CLOEXEC|O_NOFOLLOW, requires a regular file within
 * max_size, streams it through the format's parser. Returns 0 when the whole
 * file was read, -EBADMSG when it is malformed (result->error_line/error say
 * why; records already passed to cb must be discarded by the caller),
 * -EFBIG over max_size, -EMEDIUMTYPE when no format recognises it, -ENOENT
 * for an unknown format name, other -errno for I/O. */
int ingest_file(const char *path, const ingest_options *opt, ingest_record_fn cb, void *userdata,
		ingest_result *result);
/* The same on a buffer (tests and fuzzers). */
int ingest_buffer(const char *buf, size_t len, const ingest_options *opt, ingest_record_fn cb,
		  void *userdata, ingest_result *result);
/* Whether name is a format this build knows ("auto" included). */
bool ingest_format_known(const char *name);
/* NULL-terminated list of format names, for --help and errors. */
const char *const *ingest_format_names(void);
