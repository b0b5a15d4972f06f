/* common.h — what every module shares: input limits, exit codes, and the
 * small cleanup helpers that keep `goto fail` paths short. No state lives here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CW_VERSION "0.1.0"

/* Every buffer fed by untrusted input has a hard cap (named here, once). */
#define CW_MAX_LINE_BYTES       (1u << 20)  /* one logical CSV record */
#define CW_MAX_FIELD_BYTES      (64u << 10) /* one CSV cell */
#define CW_MAX_COLUMNS          512u        /* CSV columns in a header */
#define CW_MAX_RECORDS          50000000    /* records in one export */
#define CW_MAX_PREAMBLE_LINES   32u         /* lines searched for a header */
#define CW_MAX_JSON_DEPTH       64u
#define CW_MAX_CATALOGUE_BYTES  (64u << 20) /* one relations file */
#define CW_MAX_RELATIONS        1000000u    /* relations in one clause */
#define CW_MAX_CONF_BYTES       (1u << 20)  /* one INI file */
#define CW_MAX_CONF_FILES       10000u      /* files in staff.d / conf.d */
#define CW_READ_CHUNK           (64u << 10) /* read(2) size for exports */
#define CW_DEFAULT_MAX_FILE_SIZE (512ull << 20)

/* Exit codes of both programs (interfaces.md). */
enum {
	CW_EXIT_OK = 0,
	CW_EXIT_MATCH = 1,
	CW_EXIT_USAGE = 2,
	CW_EXIT_CONFIG = 3,
	CW_EXIT_STATE = 4,
};

#define _cleanup_(f) __attribute__((__cleanup__(f)))
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static inline void freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ _cleanup_(freep)

static inline void *mfree(void *p) { free(p); return NULL; }
static inline bool streq(const char *a, const char *b) { return strcmp(a, b) == 0; }
static inline bool isempty(const char *s) { return !s || !*s; }
static inline const char *strempty(const char *s) { return s ? s : ""; }

/* Hand ownership of *p to the caller and clear the local, so a _cleanup_
 * attribute on the local does not free it. */
static inline void *steal_ptr(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}
#define TAKE_PTR(p) steal_ptr(&(p))

/* A NULL-terminated array of owned strings. */
char **strv_free(char **l);
size_t strv_length(char *const *l);
int strv_push(char ***l, const char *s); /* copies s; -ENOMEM */
/* Moves *from's strings to the end of *l (*from becomes NULL); -ENOMEM
 * leaves both as they were. */
int strv_extend_steal(char ***l, char ***from);
bool strv_contains(char *const *l, const char *s);
bool strv_equal(char *const *a, char *const *b); /* same strings, same order; NULL = empty */
