/* source.h — which export files an employee's sources offer right now: the
 * inbox <StateDirectory>/inbox/<Id>/ and every Path= source (a directory:
 * each regular, non-hidden file in it; or one file). URL sources come later. */
#pragma once

#include "contactwatch/config.h"

typedef struct source_file {
	char *path;          /* absolute */
	const char *source;  /* source name, "inbox" for the inbox (borrowed from config) */
	const char *format;  /* the source's Format= (borrowed), "auto" for the inbox */
	const char *columns; /* the source's Columns= (borrowed), or NULL */
	uint64_t size;
	int64_t mtime_usec;  /* CLOCK_REALTIME */
} source_file;

typedef struct source_file_list {
	source_file *items;
	size_t n;
} source_file_list;

/* Returns the inbox directory of an employee (new string). */
char *source_inbox_path(const config *cfg, const employee *e);
/* Lists the files, sorted by path within each source. A source that is
 * missing or unreadable is reported to problems (not fatal for the others). */
int source_list_files(const config *cfg, const employee *e, source_file_list *ret, diag_list *problems);
void source_file_list_done(source_file_list *l);

/* Keeps a rejected export as evidence under <StateDirectory>/rejected/<Id>/,
 * named "<UTC time>-<file name>": an inbox file is moved there (the inbox is
 * ours), a file from a Path= source is copied (that directory is the
 * admin's). Never deletes. Returns the kept path in *ret. */
int source_keep_rejected(const config *cfg, const employee *e, const source_file *f, int64_t now, char **ret);
