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
	char encoding[16];        /* "utf-8", "utf-8-bom", "utf-16le", "utf-16be", "windows-1252" */
	char sha256[65];          /* hex digest of the whole file as read (raw bytes, not the decoded text) */
	uint64_t size;            /* bytes read */
	size_t records;           /* data records passed to the callback */
	size_t rejected;          /* data rows skipped as unreadable (file still accepted) */
	unsigned error_line;      /* on failure: the physical line, 0 if none */
	char error[512];          /* on failure: the reason, without file:line */
} ingest_result;

/* Per-input caps (config: MaxRecords=, MaxRecordSize=, MaxFieldSize=,
 * MaxJSONDepth=); 0 means the default in common.h, which is also the ceiling. */
typedef struct ingest_limits {
	uint64_t max_records;     /* records in one export */
	uint64_t max_record_size; /* bytes of one CSV record, vCard or JSON record */
	uint64_t max_field_size;  /* bytes of one cell or property value */
	unsigned max_json_depth;  /* nesting of a JSON export */
} ingest_limits;

typedef struct ingest_options {
	const char *format;       /* NULL or "auto": detect from content */
	const char *columns;      /* Format=csv: "first:Voornaam,last:Achternaam,..." */
	ingest_limits limits;
	uint64_t max_size;        /* 0: CW_DEFAULT_MAX_FILE_SIZE */
	size_t chunk_size;        /* 0: CW_READ_CHUNK. The bytes handed to the parser per
				   * feed; tests set 1 to prove chunk boundaries change nothing. */
} ingest_options;

/* Opens path O_RDONLY|O_CLOEXEC|O_NOFOLLOW, requires a regular file within
 * max_size, decodes it to UTF-8 (text.h: a BOM wins, else UTF-8 if the whole
 * file is, else Windows-1252; a first pass reads ahead as far as that takes,
 * then the file is read again from the start) and streams the text through
 * the format's parser. Bytes that are not text in the encoding chosen (UTF-8
 * after a UTF-8 BOM, UTF-16) are -EBADMSG like a parser's error, with the
 * line of the first bad byte. Returns 0 when the whole
 * file was read, -EBADMSG when it is malformed (result->error_line/error say
 * why; records already passed to cb must be discarded by the caller),
 * -EFBIG over max_size, -EMEDIUMTYPE when no format recognises it, -ENOENT
 * for an unknown format name, -ELOOP for a symlink, -EISDIR for a directory,
 * -EBADFD for another non-regular file, other -errno for I/O.
 * On -EBADMSG and -EMEDIUMTYPE the rest of the file is still read, so
 * result->sha256 and size describe the whole (rejected) file as evidence. */
int ingest_file(const char *path, const ingest_options *opt, ingest_record_fn cb, void *userdata,
		ingest_result *result);
/* The same on a buffer (tests and fuzzers). */
int ingest_buffer(const char *buf, size_t len, const ingest_options *opt, ingest_record_fn cb,
		  void *userdata, ingest_result *result);
/* Whether name is a format this build knows ("auto" included). */
bool ingest_format_known(const char *name);
/* NULL-terminated list of format names, for --help and errors. */
const char *const *ingest_format_names(void);

/* The format side of the registry: what each export format module provides.
 * ingest.c holds the table of them; adding a format is one table entry. */
typedef struct ingest_format {
	const char *name;
	/* The format declares character sets per value (vCard): when the file
	 * is not UTF-8 throughout and has no BOM, its parser gets the raw bytes
	 * and decodes each value itself, UTF-8 if valid, else as declared, else
	 * Windows-1252. Otherwise parsers always get UTF-8. */
	bool decodes_itself;
	/* 0..100: how sure the format is that head (the start of the input
	 * decoded to UTF-8 without a BOM, possibly cut mid-record unless at_eof)
	 * is its own. */
	int (*probe)(const char *head, size_t len, bool at_eof);
	/* A streaming parser: fed arbitrary chunks of the decoded text (valid
	 * UTF-8, no BOM, U+0000 possible), it calls cb per record and
	 * counts result->records/rejected; on malformed input it fills
	 * result->error/error_line and returns -EBADMSG. new returns NULL on ENOMEM;
	 * opt has every limit filled in (no zeros) and outlives the parser. */
	void *(*parser_new)(const ingest_options *opt, ingest_record_fn cb, void *userdata,
			    ingest_result *result);
	int (*parser_feed)(void *parser, const char *buf, size_t n);
	int (*parser_finish)(void *parser);
	void *(*parser_free)(void *parser);
} ingest_format;
