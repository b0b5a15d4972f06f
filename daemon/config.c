/* config.c — the whole configuration: contactwatch.conf and conf.d (daemon,
 * match, channels), staff.d (one departing employee per file) and the
 * catalogues they name. One table per section kind drives parsing, defaults
 * and bounds; inih splits the lines, our reader feeds it one physical line at
 * a time so every message carries file:line. Errors are collected, not logged. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "contactwatch/config.h"
#include "contactwatch/fileio.h"
#include "contactwatch/names.h"
#include "contactwatch/date.h"

/* inih's documented line limit: INI_MAX_LINE includes '\r', '\n' and NUL. */
#define CONF_LINE_MAX (INI_MAX_LINE - 3)
#define CONF_MAX_KEYS 24
#define CONF_NAME_MAX 64

typedef enum conf_type {
	CONF_STRING,       /* char *: free text */
	CONF_ID,           /* char *: [A-Za-z0-9._-]{1,64} */
	CONF_PATH,         /* char *: made absolute against the naming file's directory */
	CONF_URL,          /* char *: scheme://... */
	CONF_EMAIL,        /* char *: local@domain */
	CONF_CREDENTIAL,   /* char *: a file name in $CREDENTIALS_DIRECTORY */
	CONF_CHOICE,       /* char *: one of key->choices */
	CONF_LIST,         /* char **: words separated by blanks or commas */
	CONF_ADDRESSES,    /* char **: e-mail addresses separated by commas */
	CONF_DOMAINS,      /* char **: lowercased domain names, blanks or commas */
	CONF_TIMESPAN,     /* uint64_t µs, within [min, max] */
	CONF_SIZE,         /* uint64_t bytes, within [min, max] */
	CONF_COUNT,        /* uint64_t, a plain number within [min, max] */
	CONF_FRACTION,     /* double in [0, 1] */
	CONF_LOG_LEVEL,    /* int */
	CONF_SEVERITY,     /* severity */
	CONF_CHANNEL_TYPE, /* channel_type */
	CONF_DATE,         /* int32_t day number */
	CONF_DURATION,     /* clause_duration */
	CONF_BOOL,         /* bool: yes/no, true/false, on/off, 1/0 */
} conf_type;

/* What a message says a bad value should have looked like. */
static const char *const conf_type_expect[] = {
	[CONF_STRING] = "not valid text",
	[CONF_ID] = "not an id (1-64 letters, digits, '.', '_' or '-')",
	[CONF_PATH] = "not a path",
	[CONF_URL] = "not a URL (scheme://...)",
	[CONF_EMAIL] = "not an e-mail address",
	[CONF_CREDENTIAL] = "not a credential name (a file name, no '/')",
	[CONF_CHOICE] = "not one of",
	[CONF_LIST] = "not a list",
	[CONF_ADDRESSES] = "not a comma-separated list of e-mail addresses",
	[CONF_DOMAINS] = "not a list of domain names",
	[CONF_TIMESPAN] = "not a time span (e.g. 30s, 15min, 6h, 1d)",
	[CONF_SIZE] = "not a size (e.g. 64K, 512M, 1G)",
	[CONF_COUNT] = "not a number",
	[CONF_FRACTION] = "not a number between 0 and 1",
	[CONF_LOG_LEVEL] = "not a log level (emerg, alert, crit, err, warning, notice, info, debug)",
	[CONF_SEVERITY] = "not a severity (low, medium, high)",
	[CONF_CHANNEL_TYPE] = "not a channel type (smtp, webhook, journal, file)",
	[CONF_DATE] = "not a date (YYYY-MM-DD)",
	[CONF_DURATION] = "not a clause duration (e.g. 12months, 1year, 18 months, 365days)",
	[CONF_BOOL] = "not a boolean (yes, no, true, false, on, off, 1, 0)",
};

#define CHANNEL_MASK(t) (1u << (t))

typedef struct conf_key {
	const char *name;
	conf_type type;
	size_t offset;              /* of the field in the section's base object */
	const char *def;            /* parsed like a written value when the object is made */
	uint64_t min, max;          /* CONF_TIMESPAN, CONF_SIZE; max 0: no bound */
	const char *range;          /* shown when out of range */
	const char *const *choices; /* CONF_CHOICE */
	unsigned channel_types;     /* channel keys: the types it applies to; 0: all */
	bool required;
} conf_key;

typedef enum conf_scope {
	SCOPE_MAIN,  /* contactwatch.conf and conf.d */
	SCOPE_STAFF, /* staff.d/ID.conf */
} conf_scope;

typedef enum conf_kind {
	KIND_DAEMON,
	KIND_MATCH,
	KIND_CHANNEL,
	KIND_EMPLOYEE,
	KIND_CLAUSE,
	KIND_SOURCE,
} conf_kind;

typedef struct conf_section {
	const char *name; /* "daemon", or the prefix of "channel:NAME" */
	conf_kind kind;
	bool named;
	conf_scope scope;
	const conf_key *keys;
	size_t n_keys;
} conf_section;

/* A place in a file; file points into conf_ctx.files. */
typedef struct conf_pos {
	const char *file;
	unsigned line;
} conf_pos;

/* One section instance: its fields live at base; keys[] says where each key
 * of its table was last set (line 0: not set), for later checks. */
typedef struct conf_object {
	const conf_section *section;
	void *base;
	conf_pos where;
	conf_pos keys[CONF_MAX_KEYS];
} conf_object;

typedef struct channel_parse {
	channel_config ch;
	conf_object obj;
} channel_parse;

typedef struct source_parse {
	source_config src;
	conf_object obj;
} source_parse;

/* A staff file while it is read: the employee plus the clause values that
 * become window_end only once both DepartureDate and Duration/End are known. */
typedef struct staff_parse {
	employee e;
	clause_duration duration;
	int32_t end;
	conf_object employee_obj, clause_obj;
	source_parse **sources;
	size_t n_sources;
} staff_parse;

typedef struct conf_ctx {
	diag_list *d;
	config *c;
	char *main_dir;          /* absolute */
	char **files;            /* every file read; conf_pos.file points here */
	conf_object daemon, match;
	channel_parse **channels;
	size_t n_channels;
	int oom;                 /* -ENOMEM seen inside an inih callback */
} conf_ctx;

/* One INI file being fed to inih. */
typedef struct conf_file {
	conf_ctx *ctx;
	conf_scope scope;
	staff_parse *staff;      /* SCOPE_STAFF */
	const char *path;        /* as in messages */
	char *dir;               /* absolute directory of path */
	const char *buf;
	size_t len, pos;
	unsigned line;
	conf_object *object;     /* current section; NULL outside a known one */
	bool in_section;         /* a header was seen (known or not) */
	unsigned syntax_line;    /* first syntax error we reported */
} conf_file;

/* --- the tables -------------------------------------------------------------- */

static const char *const webhook_formats[] = { "generic", "slack", "teams", NULL };
static const char *const source_formats[] = { "auto",  "linkedin", "salesforce", "hubspot", "google",
					      "outlook", "vcard", "json", "csv", NULL };

enum { DAEMON_KEY_STATE_DIRECTORY, DAEMON_KEY_STAFF_DIRECTORY };
static const conf_key daemon_keys[] = {
	[DAEMON_KEY_STATE_DIRECTORY] = { .name = "StateDirectory", .type = CONF_PATH,
					 .offset = offsetof(config, state_dir) },
	[DAEMON_KEY_STAFF_DIRECTORY] = { .name = "StaffDirectory", .type = CONF_PATH,
					 .offset = offsetof(config, staff_dir), .def = "staff.d" },
	{ .name = "RelationsDirectory", .type = CONF_PATH, .offset = offsetof(config, relations_dir),
	  .def = "relations" },
	{ .name = "ScanInterval", .type = CONF_TIMESPAN, .offset = offsetof(config, scan_interval_usec),
	  .def = "15min", .min = USEC_PER_SEC, .max = 7 * USEC_PER_DAY, .range = "1s..1w" },
	{ .name = "SettleTime", .type = CONF_TIMESPAN, .offset = offsetof(config, settle_usec), .def = "30s",
	  .min = 0, .max = USEC_PER_DAY, .range = "0..1d" },
	{ .name = "MaxFileSize", .type = CONF_SIZE, .offset = offsetof(config, max_file_size), .def = "512M",
	  .min = 1024, .max = 64ull << 30, .range = "1K..64G" },
	/* Input limits (common.h holds the defaults and the hard ceilings). */
	{ .name = "MaxRecords", .type = CONF_COUNT, .offset = offsetof(config, max_records),
	  .def = STRINGIFY(CW_MAX_RECORDS), .min = 1, .max = CW_MAX_RECORDS, .range = "1..50000000" },
	{ .name = "MaxRecordSize", .type = CONF_SIZE, .offset = offsetof(config, max_record_size), .def = "1M",
	  .min = 1024, .max = CW_MAX_LINE_BYTES, .range = "1K..1M" },
	{ .name = "MaxFieldSize", .type = CONF_SIZE, .offset = offsetof(config, max_field_size), .def = "64K",
	  .min = 256, .max = CW_MAX_FIELD_BYTES, .range = "256..64K" },
	{ .name = "MaxJSONDepth", .type = CONF_COUNT, .offset = offsetof(config, max_json_depth), .def = "64",
	  .min = 4, .max = CW_MAX_JSON_DEPTH, .range = "4..64" },
	{ .name = "RetentionAfterClause", .type = CONF_TIMESPAN, .offset = offsetof(config, retention_usec),
	  .def = "90d", .min = 0, .max = 3650 * USEC_PER_DAY, .range = "0..3650d" },
	{ .name = "LogLevel", .type = CONF_LOG_LEVEL, .offset = offsetof(config, log_level), .def = "info" },
};

static const conf_key match_keys[] = {
	{ .name = "PersonThreshold", .type = CONF_FRACTION, .offset = offsetof(config, person_threshold),
	  .def = "0.90", .range = "0..1" },
	{ .name = "CompanyThreshold", .type = CONF_FRACTION, .offset = offsetof(config, company_threshold),
	  .def = "0.92", .range = "0..1" },
	/* Parsed into free_mail_domains; the built-in list joins at the end,
	 * so a later FreeMailDomains= replaces only earlier additions. */
	{ .name = "FreeMailDomains", .type = CONF_DOMAINS, .offset = offsetof(config, free_mail_domains) },
};

#define CHANNEL_REMOTE (CHANNEL_MASK(CHANNEL_SMTP) | CHANNEL_MASK(CHANNEL_WEBHOOK))
enum {
	CHANNEL_KEY_TYPE,
	CHANNEL_KEY_MIN_SEVERITY,
	CHANNEL_KEY_PATH,
	CHANNEL_KEY_URL,
	CHANNEL_KEY_RETRY_DELAY,
	CHANNEL_KEY_RETRY_MAX_DELAY,
};
static const conf_key channel_keys[] = {
	[CHANNEL_KEY_TYPE] = { .name = "Type", .type = CONF_CHANNEL_TYPE, .offset = offsetof(channel_config, type),
			       .required = true },
	[CHANNEL_KEY_MIN_SEVERITY] = { .name = "MinSeverity", .type = CONF_SEVERITY,
				       .offset = offsetof(channel_config, min_severity), .def = "low" },
	[CHANNEL_KEY_PATH] = { .name = "Path", .type = CONF_PATH, .offset = offsetof(channel_config, path),
			       .channel_types = CHANNEL_MASK(CHANNEL_FILE) },
	[CHANNEL_KEY_URL] = { .name = "URL", .type = CONF_URL, .offset = offsetof(channel_config, url),
			      .channel_types = CHANNEL_REMOTE },
	/* The retry schedule of remote channels (retry.h). Local channels get
	 * the defaults too: the outbox retries them on the same schedule. */
	[CHANNEL_KEY_RETRY_DELAY] = { .name = "RetryDelay", .type = CONF_TIMESPAN,
				      .offset = offsetof(channel_config, retry_delay_usec), .def = "1min",
				      .min = USEC_PER_SEC, .max = USEC_PER_DAY, .range = "1s..1d",
				      .channel_types = CHANNEL_REMOTE },
	[CHANNEL_KEY_RETRY_MAX_DELAY] = { .name = "RetryMaxDelay", .type = CONF_TIMESPAN,
					  .offset = offsetof(channel_config, retry_max_delay_usec), .def = "1h",
					  .min = USEC_PER_SEC, .max = 7 * USEC_PER_DAY, .range = "1s..7d",
					  .channel_types = CHANNEL_REMOTE },
	{ .name = "GiveUpAfter", .type = CONF_TIMESPAN, .offset = offsetof(channel_config, give_up_usec),
	  .def = "3d", .min = USEC_PER_MIN, .max = 90 * USEC_PER_DAY, .range = "1min..90d",
	  .channel_types = CHANNEL_REMOTE },
	{ .name = "Timeout", .type = CONF_TIMESPAN, .offset = offsetof(channel_config, timeout_usec), .def = "30s",
	  .min = USEC_PER_SEC, .max = 10 * USEC_PER_MIN, .range = "1s..10min", .channel_types = CHANNEL_REMOTE },
	{ .name = "CAFile", .type = CONF_PATH, .offset = offsetof(channel_config, ca_file),
	  .channel_types = CHANNEL_REMOTE },
	/* The journal carries ids only, so there is nothing to pseudonymize. */
	{ .name = "Pseudonymize", .type = CONF_BOOL, .offset = offsetof(channel_config, pseudonymize), .def = "no",
	  .channel_types = CHANNEL_REMOTE | CHANNEL_MASK(CHANNEL_FILE) },
	{ .name = "Digest", .type = CONF_BOOL, .offset = offsetof(channel_config, digest), .def = "no",
	  .channel_types = CHANNEL_MASK(CHANNEL_SMTP) },
	{ .name = "From", .type = CONF_EMAIL, .offset = offsetof(channel_config, from),
	  .channel_types = CHANNEL_MASK(CHANNEL_SMTP) },
	{ .name = "To", .type = CONF_ADDRESSES, .offset = offsetof(channel_config, to),
	  .channel_types = CHANNEL_MASK(CHANNEL_SMTP) },
	{ .name = "UsernameCredential", .type = CONF_CREDENTIAL,
	  .offset = offsetof(channel_config, username_credential), .channel_types = CHANNEL_MASK(CHANNEL_SMTP) },
	{ .name = "PasswordCredential", .type = CONF_CREDENTIAL,
	  .offset = offsetof(channel_config, password_credential), .channel_types = CHANNEL_MASK(CHANNEL_SMTP) },
	{ .name = "SecretCredential", .type = CONF_CREDENTIAL, .offset = offsetof(channel_config, secret_credential),
	  .channel_types = CHANNEL_MASK(CHANNEL_WEBHOOK) },
	{ .name = "Format", .type = CONF_CHOICE, .offset = offsetof(channel_config, format), .def = "generic",
	  .choices = webhook_formats, .channel_types = CHANNEL_MASK(CHANNEL_WEBHOOK) },
};

enum { EMPLOYEE_KEY_ID };
static const conf_key employee_keys[] = {
	[EMPLOYEE_KEY_ID] = { .name = "Id", .type = CONF_ID, .offset = offsetof(staff_parse, e.id), .required = true },
	{ .name = "Name", .type = CONF_STRING, .offset = offsetof(staff_parse, e.name), .required = true },
	{ .name = "Email", .type = CONF_EMAIL, .offset = offsetof(staff_parse, e.email) },
	{ .name = "ProfileURL", .type = CONF_URL, .offset = offsetof(staff_parse, e.profile_url) },
	{ .name = "DepartureDate", .type = CONF_DATE, .offset = offsetof(staff_parse, e.departure),
	  .required = true },
};

enum { CLAUSE_KEY_DURATION, CLAUSE_KEY_END, CLAUSE_KEY_RELATIONS };
static const conf_key clause_keys[] = {
	[CLAUSE_KEY_DURATION] = { .name = "Duration", .type = CONF_DURATION, .offset = offsetof(staff_parse, duration),
				  .range = "1 day..100 years" },
	[CLAUSE_KEY_END] = { .name = "End", .type = CONF_DATE, .offset = offsetof(staff_parse, end) },
	[CLAUSE_KEY_RELATIONS] = { .name = "Relations", .type = CONF_LIST,
				   .offset = offsetof(staff_parse, e.relation_files), .required = true },
	{ .name = "PenaltyPerViolation", .type = CONF_STRING, .offset = offsetof(staff_parse, e.penalty) },
	{ .name = "Reference", .type = CONF_STRING, .offset = offsetof(staff_parse, e.reference) },
	/* A clause naming a handful of well-known relations may warrant a
	 * stricter (or, for a long list of look-alike names, a looser)
	 * threshold than the installation default in [match]. */
	{ .name = "PersonThreshold", .type = CONF_FRACTION, .offset = offsetof(staff_parse, e.person_threshold),
	  .range = "0..1" },
	{ .name = "CompanyThreshold", .type = CONF_FRACTION, .offset = offsetof(staff_parse, e.company_threshold),
	  .range = "0..1" },
};

enum { SOURCE_KEY_PATH, SOURCE_KEY_URL, SOURCE_KEY_INTERVAL, SOURCE_KEY_FORMAT, SOURCE_KEY_COLUMNS };
static const conf_key source_keys[] = {
	[SOURCE_KEY_PATH] = { .name = "Path", .type = CONF_PATH, .offset = offsetof(source_config, path) },
	[SOURCE_KEY_URL] = { .name = "URL", .type = CONF_URL, .offset = offsetof(source_config, url) },
	[SOURCE_KEY_INTERVAL] = { .name = "Interval", .type = CONF_TIMESPAN,
				  .offset = offsetof(source_config, interval_usec), .def = "1d", .min = USEC_PER_MIN,
				  .max = 30 * USEC_PER_DAY, .range = "1min..30d" },
	[SOURCE_KEY_FORMAT] = { .name = "Format", .type = CONF_CHOICE, .offset = offsetof(source_config, format),
				.def = "auto", .choices = source_formats },
	/* For Format=csv: which column holds what (see contactwatch.conf(5)). */
	[SOURCE_KEY_COLUMNS] = { .name = "Columns", .type = CONF_STRING, .offset = offsetof(source_config, columns) },
};

/* Indexed by kind. */
static const conf_section conf_sections[] = {
	{ "daemon", KIND_DAEMON, false, SCOPE_MAIN, daemon_keys, ELEMENTSOF(daemon_keys) },
	{ "match", KIND_MATCH, false, SCOPE_MAIN, match_keys, ELEMENTSOF(match_keys) },
	{ "channel", KIND_CHANNEL, true, SCOPE_MAIN, channel_keys, ELEMENTSOF(channel_keys) },
	{ "employee", KIND_EMPLOYEE, false, SCOPE_STAFF, employee_keys, ELEMENTSOF(employee_keys) },
	{ "clause", KIND_CLAUSE, false, SCOPE_STAFF, clause_keys, ELEMENTSOF(clause_keys) },
	{ "source", KIND_SOURCE, true, SCOPE_STAFF, source_keys, ELEMENTSOF(source_keys) },
};

_Static_assert(ELEMENTSOF(channel_keys) <= CONF_MAX_KEYS, "CONF_MAX_KEYS too small");
_Static_assert(ELEMENTSOF(daemon_keys) <= CONF_MAX_KEYS, "CONF_MAX_KEYS too small");

static const char *const channel_type_names[] = {
	[CHANNEL_JOURNAL] = "journal",
	[CHANNEL_FILE] = "file",
	[CHANNEL_SMTP] = "smtp",
	[CHANNEL_WEBHOOK] = "webhook",
};

/* --- small helpers -------------------------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool name_is_valid(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return n >= 1 && n <= CONF_NAME_MAX;
}

static bool text_is_valid(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool email_is_valid(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || !at[1] || strchr(at + 1, '@') || !strchr(at + 1, '.'))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == ',' || *s == 0x7f)
			return false;
	return true;
}

static bool url_is_valid(const char *s)
{
	const char *p = s;
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return false;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '+' ||
	       *p == '-' || *p == '.')
		p++;
	if (!(p[0] == ':' && p[1] == '/' && p[2] == '/' && p[3]))
		return false;
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return false;
	return true;
}

static bool url_has_scheme(const char *url, const char *const *schemes)
{
	for (; *schemes; schemes++) {
		size_t n = strlen(*schemes);
		if (strncasecmp(url, *schemes, n) == 0 && strncmp(url + n, "://", 3) == 0)
			return true;
	}
	return false;
}

/* Collapses "//", "/./" and "dir/../" in an absolute path, in place. Paths
 * end up in alerts as evidence, where "conf/staff.d/../../exports/x.csv"
 * would read badly; lexical collapsing is right for the paths an admin
 * writes relative to a config file. A trailing '/' is kept. */
static void path_normalize(char *p)
{
	char *out = p, *in = p;

	if (*p != '/')
		return;
	const size_t n = strlen(p);
	const bool trailing = n > 1 && p[n - 1] == '/';
	while (*in) {
		while (*in == '/')
			in++;
		char *seg = in;
		while (*in && *in != '/')
			in++;
		size_t len = (size_t)(in - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > p && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, len);
		out += len;
	}
	if (out == p || (trailing && out[-1] != '/'))
		*out++ = '/';
	*out = '\0';
}

static char *path_join(const char *dir, const char *rel)
{
	char *p;

	if (rel[0] == '/') {
		p = strdup(rel);
	} else {
		size_t n = strlen(dir);
		if (asprintf(&p, "%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/", rel) < 0)
			return NULL;
	}
	if (p)
		path_normalize(p);
	return p;
}

/* The absolute directory of path, without resolving symlinks: an admin who
 * points -c at a symlinked file expects its neighbours, not the target's. */
static char *path_dirname_abs(const char *path)
{
	_cleanup_free_ char *dir = NULL, *cwd = NULL;
	const char *slash = strrchr(path, '/');

	if (slash == path)
		return strdup("/");
	dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	if (!dir)
		return NULL;
	if (dir[0] == '/')
		return TAKE_PTR(dir);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL; /* NOLINT(clang-analyzer-unix.Malloc): dir is freed by _cleanup_free_ */
	if (streq(dir, "."))
		return TAKE_PTR(cwd);
	return path_join(cwd, dir);
}

/* Splits value at any of seps into a strv of trimmed, non-empty words. */
static int split_words(const char *value, const char *seps, char ***ret)
{
	_cleanup_free_ char *copy = strdup(value);
	char **l = NULL, *save = NULL;
	int r;

	if (!copy)
		return -ENOMEM;
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): copy is freed by _cleanup_free_ */
	for (char *w = strtok_r(copy, seps, &save); w; w = strtok_r(NULL, seps, &save)) {
		while (is_blank(*w))
			w++;
		size_t n = strlen(w);
		while (n > 0 && is_blank(w[n - 1]))
			w[--n] = '\0';
		if (n == 0)
			continue;
		r = strv_push(&l, w);
		if (r < 0) {
			strv_free(l);
			return r;
		}
	}
	*ret = l;
	return 0;
}

static int read_error(diag_list *d, const char *path, unsigned line, int r)
{
	if (r == -ENOMEM)
		return r;
	if (r == -EFBIG)
		return diag_error(d, path, line, "larger than %u bytes", CW_MAX_CONF_BYTES);
	if (r == -EBADFD)
		return diag_error(d, path, line, "not a regular file");
	return diag_error(d, path, line, "%s", strerror(-r));
}

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.conf files of dir in byte order (not the locale's: the order must
 * not change with LANG). -ENOENT when dir does not exist. */
static int list_conf_files(const char *dir, char ***ret)
{
	char **l = NULL;
	struct dirent *de;
	DIR *dp;
	int fd, r = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dp = fdopendir(fd);
	if (!dp) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((errno = 0, de = readdir(dp))) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n <= 5 || !streq(de->d_name + n - 5, ".conf"))
			continue;
		if (strv_length(l) >= CW_MAX_CONF_FILES) {
			r = -E2BIG;
			goto out;
		}
		r = strv_push(&l, de->d_name);
		if (r < 0)
			goto out;
	}
	if (errno != 0)
		r = -errno;
out:
	closedir(dp);
	if (r < 0) {
		strv_free(l);
		return r;
	}
	if (l)
		qsort(l, strv_length(l), sizeof *l, strcmp_ptr);
	*ret = l;
	return 0;
}

/* --- assigning values ----------------------------------------------------------- */

static void *field_of(const conf_object *obj, const conf_key *k)
{
	return (char *)obj->base + k->offset;
}

static void conf_field_clear(const conf_object *obj, const conf_key *k)
{
	void *f = field_of(obj, k);

	switch (k->type) {
	case CONF_STRING: case CONF_ID: case CONF_PATH: case CONF_URL: case CONF_EMAIL:
	case CONF_CREDENTIAL: case CONF_CHOICE: {
		char **s = f;
		*s = mfree(*s);
		break;
	}
	case CONF_LIST: case CONF_ADDRESSES: case CONF_DOMAINS: {
		char ***l = f;
		*l = strv_free(*l);
		break;
	}
	case CONF_DATE:
		*(int32_t *)f = DATE_NONE;
		break;
	default:
		break;
	}
}

static int conf_value_error(conf_ctx *ctx, conf_pos pos, const conf_key *k, const char *value, int r)
{
	if (r == -ENOMEM)
		return r;
	if (r == -ERANGE && k->range)
		return diag_error(ctx->d, pos.file, pos.line, "%s=%s: out of range (%s)", k->name, value, k->range);
	if (k->type == CONF_CHOICE) {
		char list[256] = "";
		size_t n = 0;
		for (const char *const *c = k->choices; *c; c++)
			n += (size_t)snprintf(list + n, n < sizeof list ? sizeof list - n : 0, "%s%s",
					      c == k->choices ? "" : ", ", *c);
		return diag_error(ctx->d, pos.file, pos.line, "%s=%s: not one of %s", k->name, value, list);
	}
	return diag_error(ctx->d, pos.file, pos.line, "%s=%s: %s", k->name, value, conf_type_expect[k->type]);
}

static int conf_set_string(const conf_object *obj, const conf_key *k, const char *value)
{
	char **s = field_of(obj, k);
	char *n = strdup(value);
	if (!n)
		return -ENOMEM;
	free(*s);
	*s = n;
	return 0;
}

static int conf_set_strv(const conf_object *obj, const conf_key *k, char **l)
{
	char ***f = field_of(obj, k);
	strv_free(*f);
	*f = l;
	return 0;
}

/* Parses value by k's type into obj. Errors are reported at pos; returns 0,
 * -EINVAL (reported) or -ENOMEM. dir resolves relative paths. */
static int conf_assign(conf_ctx *ctx, const char *dir, conf_pos pos, conf_object *obj, const conf_key *k,
		       const char *value)
{
	void *f = field_of(obj, k);
	int r = 0;

	switch (k->type) {
	case CONF_STRING:
		if (!text_is_valid(value))
			r = -EINVAL;
		else
			return conf_set_string(obj, k, value);
		break;
	case CONF_ID:
		if (!name_is_valid(value))
			r = -EINVAL;
		else
			return conf_set_string(obj, k, value);
		break;
	case CONF_PATH: {
		if (!text_is_valid(value)) {
			r = -EINVAL;
			break;
		}
		char *p = path_join(dir, value);
		if (!p)
			return -ENOMEM;
		char **s = f;
		free(*s);
		*s = p;
		return 0;
	}
	case CONF_URL:
		if (!url_is_valid(value))
			r = -EINVAL;
		else
			return conf_set_string(obj, k, value);
		break;
	case CONF_EMAIL:
		if (!email_is_valid(value))
			r = -EINVAL;
		else
			return conf_set_string(obj, k, value);
		break;
	case CONF_CREDENTIAL:
		if (!name_is_valid(value) || streq(value, ".") || streq(value, ".."))
			r = -EINVAL;
		else
			return conf_set_string(obj, k, value);
		break;
	case CONF_CHOICE:
		r = -EINVAL;
		for (const char *const *c = k->choices; *c; c++)
			if (strcasecmp(*c, value) == 0)
				return conf_set_string(obj, k, *c);
		break;
	case CONF_LIST:
	case CONF_ADDRESSES:
	case CONF_DOMAINS: {
		char **l = NULL;
		r = split_words(value, k->type == CONF_ADDRESSES ? "," : " \t,", &l);
		if (r < 0)
			return r;
		for (char **w = l; w && *w && r >= 0; w++) {
			if (k->type == CONF_ADDRESSES && !email_is_valid(*w))
				r = -EINVAL;
			if (k->type == CONF_DOMAINS) {
				for (char *q = *w; *q; q++)
					if (*q >= 'A' && *q <= 'Z')
						*q = (char)(*q - 'A' + 'a');
				if (!names_domain_is_valid(*w))
					r = -EINVAL;
			}
			if (k->type == CONF_LIST && !text_is_valid(*w))
				r = -EINVAL;
		}
		if (r < 0) {
			strv_free(l);
			break;
		}
		return conf_set_strv(obj, k, l);
	}
	case CONF_TIMESPAN:
	case CONF_SIZE:
	case CONF_COUNT: {
		uint64_t v;
		r = k->type == CONF_TIMESPAN ? parse_timespan(value, &v)
		    : k->type == CONF_SIZE   ? parse_size(value, &v)
					     : parse_count(value, &v);
		if (r >= 0 && (v < k->min || (k->max > 0 && v > k->max)))
			r = -ERANGE;
		if (r >= 0)
			*(uint64_t *)f = v;
		break;
	}
	case CONF_FRACTION:
		r = parse_fraction(value, (double *)f);
		break;
	case CONF_LOG_LEVEL:
		r = parse_log_level(value, (int *)f);
		break;
	case CONF_SEVERITY:
		r = parse_severity(value, (severity *)f);
		break;
	case CONF_CHANNEL_TYPE:
		r = -EINVAL;
		for (size_t i = 0; i < ELEMENTSOF(channel_type_names); i++)
			if (strcasecmp(value, channel_type_names[i]) == 0) {
				*(channel_type *)f = (channel_type)i;
				r = 0;
			}
		break;
	case CONF_DATE:
		r = date_parse_iso(value, (int32_t *)f);
		break;
	case CONF_DURATION:
		r = parse_clause_duration(value, (clause_duration *)f);
		break;
	case CONF_BOOL:
		r = parse_bool(value, (bool *)f);
		break;
	}
	if (r < 0) {
		int q = conf_value_error(ctx, pos, k, value, r);
		return q < 0 ? q : -EINVAL;
	}
	return 0;
}

/* Sets every field of a new object to its table default. */
static int conf_object_init(conf_ctx *ctx, conf_object *obj, const conf_section *s, void *base, conf_pos where)
{
	*obj = (conf_object){ .section = s, .base = base, .where = where };
	for (size_t i = 0; i < s->n_keys; i++) {
		conf_field_clear(obj, &s->keys[i]);
		if (!s->keys[i].def)
			continue;
		/* Defaults are relative to the main file, whoever names the object. */
		int r = conf_assign(ctx, ctx->main_dir, where, obj, &s->keys[i], s->keys[i].def);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool conf_key_set(const conf_object *obj, size_t i)
{
	return obj->keys[i].line > 0;
}

/* Reports required keys that were never set, at the section header. */
static int conf_object_check_required(conf_ctx *ctx, const conf_object *obj, const char *label)
{
	for (size_t i = 0; i < obj->section->n_keys; i++) {
		if (!obj->section->keys[i].required || conf_key_set(obj, i))
			continue;
		int r = diag_error(ctx->d, obj->where.file, obj->where.line, "missing required key %s= in [%s]",
				   obj->section->keys[i].name, label);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- objects of named sections ---------------------------------------------------- */

static void channel_config_done(channel_config *ch)
{
	free(ch->name);
	free(ch->path);
	free(ch->url);
	free(ch->from);
	strv_free(ch->to);
	free(ch->username_credential);
	free(ch->password_credential);
	free(ch->secret_credential);
	free(ch->format);
	free(ch->ca_file);
	free(ch->conf_file);
	*ch = (channel_config){ 0 };
}

static void source_config_done(source_config *s)
{
	free(s->name);
	free(s->path);
	free(s->url);
	free(s->format);
	free(s->columns);
	*s = (source_config){ 0 };
}

static void employee_done(employee *e)
{
	free(e->id);
	free(e->name);
	free(e->email);
	free(e->profile_url);
	strv_free(e->relation_files);
	free(e->penalty);
	free(e->reference);
	for (size_t i = 0; i < e->n_sources; i++)
		source_config_done(&e->sources[i]);
	free(e->sources);
	/* A view: the strings are the config's catalogues' (see config.h). */
	if (e->relations_own_items)
		free(e->relations.items);
	free(e->conf_file);
	*e = (employee){ 0 };
}

static void staff_parse_done(staff_parse *sp)
{
	for (size_t i = 0; i < sp->n_sources; i++) {
		source_config_done(&sp->sources[i]->src);
		free(sp->sources[i]);
	}
	free(sp->sources);
	employee_done(&sp->e);
}

static conf_object *channel_get(conf_file *f, const conf_section *s, const char *name, conf_pos where)
{
	conf_ctx *ctx = f->ctx;
	channel_parse *cp, **n;

	for (size_t i = 0; i < ctx->n_channels; i++)
		if (streq(ctx->channels[i]->ch.name, name))
			return &ctx->channels[i]->obj;
	n = reallocarray(ctx->channels, ctx->n_channels + 1, sizeof *n); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so its element is a pointer */
	if (!n)
		return NULL;
	ctx->channels = n;
	cp = calloc(1, sizeof *cp);
	if (!cp)
		return NULL;
	cp->ch.name = strdup(name);
	if (!cp->ch.name || conf_object_init(ctx, &cp->obj, s, &cp->ch, where) < 0) {
		channel_config_done(&cp->ch);
		free(cp);
		return NULL;
	}
	ctx->channels[ctx->n_channels++] = cp;
	return &cp->obj;
}

static conf_object *source_get(conf_file *f, const conf_section *s, const char *name, conf_pos where)
{
	staff_parse *sp = f->staff;
	source_parse *p, **n;

	for (size_t i = 0; i < sp->n_sources; i++)
		if (streq(sp->sources[i]->src.name, name))
			return &sp->sources[i]->obj;
	n = reallocarray(sp->sources, sp->n_sources + 1, sizeof *n); /* NOLINT(bugprone-sizeof-expression): an array of pointers, so its element is a pointer */
	if (!n)
		return NULL;
	sp->sources = n;
	p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->src.name = strdup(name);
	p->src.conf_line = where.line;
	if (!p->src.name || conf_object_init(f->ctx, &p->obj, s, &p->src, where) < 0) {
		source_config_done(&p->src);
		free(p);
		return NULL;
	}
	sp->sources[sp->n_sources++] = p;
	return &p->obj;
}

/* --- reading one INI file ----------------------------------------------------------- */

/* A header "[name]" or "[kind:NAME]" was read: find or make its object. */
static int conf_file_enter_section(conf_file *f, const char *header)
{
	conf_pos where = { f->path, f->line };
	_cleanup_free_ char *kind = NULL;
	const char *colon = strchr(header, ':'), *name = colon ? colon + 1 : NULL;
	const conf_section *s = NULL;

	f->object = NULL;
	f->in_section = true;
	kind = colon ? strndup(header, (size_t)(colon - header)) : strdup(header);
	if (!kind)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(conf_sections); i++)
		if (conf_sections[i].scope == f->scope && streq(conf_sections[i].name, kind) &&
		    conf_sections[i].named == !!colon)
			s = &conf_sections[i];
	if (!s)
		return diag_error(f->ctx->d, f->path, f->line, "unknown section [%s]", header);
	if (s->named && !name_is_valid(name))
		return diag_error(f->ctx->d, f->path, f->line,
				  "invalid section name [%s] (after '%s:' 1-64 letters, digits, '.', '_' or '-')",
				  header, kind);
	switch (s->kind) {
	case KIND_DAEMON:
	case KIND_MATCH: {
		conf_object *o = s->kind == KIND_DAEMON ? &f->ctx->daemon : &f->ctx->match;
		if (!o->where.file)
			o->where = where;
		f->object = o;
		break;
	}
	case KIND_EMPLOYEE:
	case KIND_CLAUSE: {
		conf_object *o = s->kind == KIND_EMPLOYEE ? &f->staff->employee_obj : &f->staff->clause_obj;
		if (!o->where.file)
			o->where = where;
		f->object = o;
		break;
	}
	case KIND_CHANNEL:
		f->object = channel_get(f, s, name, where);
		if (!f->object)
			return -ENOMEM;
		break;
	case KIND_SOURCE:
		f->object = source_get(f, s, name, where);
		if (!f->object)
			return -ENOMEM;
		break;
	}
	return 0;
}

/* Where inih's inline comment (';' after a blank) starts, or the end. */
static const char *find_comment(const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p == ';' && p > s && is_blank(p[-1]))
			return p;
	return s + strlen(s);
}

/* Mirrors inih's view of a line (it reports only the first bad one) so that
 * every syntax error is reported, and tracks the section headers. */
static int conf_file_classify(conf_file *f, const char *s)
{
	const char *end;

	if (*s == '\0' || *s == '\n' || *s == ';' || *s == '#')
		return 0;
	end = find_comment(s);
	if (*s == '[') {
		const char *close = memchr(s + 1, ']', (size_t)(end - s - 1));
		if (!close) {
			f->object = NULL;
			f->in_section = true;
			if (!f->syntax_line)
				f->syntax_line = f->line;
			return diag_error(f->ctx->d, f->path, f->line, "syntax error");
		}
		_cleanup_free_ char *header = strndup(s + 1, (size_t)(close - s - 1));
		if (!header)
			return -ENOMEM;
		/* "[ daemon ]" is what the admin meant. */
		char *h = header;
		while (is_blank(*h))
			h++;
		size_t n = strlen(h);
		while (n > 0 && is_blank(h[n - 1]))
			h[--n] = '\0';
		return conf_file_enter_section(f, h); /* NOLINT(clang-analyzer-unix.Malloc): h points into header, which is freed by _cleanup_free_ */
	}
	if (!memchr(s, '=', (size_t)(end - s)) && !memchr(s, ':', (size_t)(end - s))) {
		if (!f->syntax_line)
			f->syntax_line = f->line;
		return diag_error(f->ctx->d, f->path, f->line, "syntax error");
	}
	return 0;
}

/* inih's reader: exactly one physical line per call, so f->line is the line
 * inih is about to handle. Leading blanks are stripped: inih would read an
 * indented line as a continuation of the previous value, which silently
 * turns an indented "Type=smtp" into part of another key's value. */
static char *conf_file_read_line(char *str, int num, void *stream)
{
	conf_file *f = stream;
	const char *start, *nl;
	size_t len, skip = 0;
	int r;

	if (f->pos >= f->len || f->ctx->oom < 0)
		return NULL;
	start = f->buf + f->pos;
	nl = memchr(start, '\n', f->len - f->pos);
	len = nl ? (size_t)(nl - start) : f->len - f->pos;
	f->pos += len + (nl ? 1 : 0);
	f->line++;
	/* An empty line has len 0 (nl == start); cppcheck assumes otherwise. */
	/* cppcheck-suppress knownConditionTrueFalse */
	if (len > 0 && start[len - 1] == '\r')
		len--;
	while (skip < len && is_blank(start[skip]))
		skip++;

	if (len > (size_t)CONF_LINE_MAX || len - skip + 2 > (size_t)num) {
		r = diag_error(f->ctx->d, f->path, f->line, "line longer than %d bytes", CONF_LINE_MAX);
		goto blank;
	}
	if (memchr(start, '\0', len)) {
		r = diag_error(f->ctx->d, f->path, f->line, "NUL byte in line");
		goto blank;
	}
	memcpy(str, start + skip, len - skip);
	str[len - skip] = '\n';
	str[len - skip + 1] = '\0';
	r = conf_file_classify(f, str);
	if (r < 0)
		f->ctx->oom = r;
	return str;
blank:
	/* The line is reported; inih sees an empty one and keeps counting. */
	if (r < 0)
		f->ctx->oom = r;
	str[0] = '\n';
	str[1] = '\0';
	return str;
}

static int conf_file_handle(void *user, const char *section, const char *name, const char *value)
{
	conf_file *f = user;
	conf_object *obj = f->object;
	const conf_key *k = NULL;
	size_t i;
	int r;

	if (f->ctx->oom < 0)
		return 1;
	if (!obj) {
		/* Keys of an unknown section: its header is reported already. */
		if (!f->in_section)
			r = diag_error(f->ctx->d, f->path, f->line, "key %s= outside of any section", name);
		else
			r = 0;
		goto out;
	}
	for (i = 0; i < obj->section->n_keys; i++)
		if (streq(obj->section->keys[i].name, name)) {
			k = &obj->section->keys[i];
			break;
		}
	if (!k) {
		r = diag_error(f->ctx->d, f->path, f->line, "unknown key %s= in [%s]", name, section);
		goto out;
	}
	if (isempty(value)) {
		/* "Key=" resets to the default, as in systemd units. */
		conf_field_clear(obj, k);
		obj->keys[i] = (conf_pos){ 0 };
		r = k->def ? conf_assign(f->ctx, f->ctx->main_dir, obj->where, obj, k, k->def) : 0;
		goto out;
	}
	r = conf_assign(f->ctx, f->dir, (conf_pos){ f->path, f->line }, obj, k, value);
	if (r >= 0)
		obj->keys[i] = (conf_pos){ f->path, f->line };
out:
	if (r == -ENOMEM)
		f->ctx->oom = r;
	/* We report our own errors; inih's count is only for syntax. */
	return 1;
}

/* Registers path for conf_pos and returns the stored copy. */
static const char *conf_ctx_file(conf_ctx *ctx, const char *path)
{
	if (strv_push(&ctx->files, path) < 0)
		return NULL;
	return ctx->files[strv_length(ctx->files) - 1];
}

/* Parses one INI file into ctx (main scope) or staff. Problems are in d;
 * returns -ENOMEM or 0. */
static int conf_parse_file(conf_ctx *ctx, const char *path, conf_scope scope, staff_parse *staff)
{
	_cleanup_free_ char *buf = NULL, *dir = NULL;
	conf_file f = { .ctx = ctx, .scope = scope, .staff = staff };
	size_t len = 0;
	int r;

	f.path = conf_ctx_file(ctx, path);
	dir = path_dirname_abs(path);
	if (!f.path || !dir)
		return -ENOMEM; /* NOLINT(clang-analyzer-unix.Malloc): dir is freed by _cleanup_free_ */
	r = fileio_read_all(path, FILEIO_FOLLOW, CW_MAX_CONF_BYTES, &buf, &len);
	if (r < 0)
		return read_error(ctx->d, path, 0, r) < 0 ? -ENOMEM : 0;
	f.buf = buf;
	f.len = len;
	f.dir = dir;
	r = ini_parse_stream(conf_file_read_line, &f, conf_file_handle, &f);
	if (ctx->oom < 0)
		return ctx->oom;
	if (r == -2)
		return -ENOMEM;
	/* Our classifier mirrors inih; this catches any rule it does not. */
	if (r > 0 && (unsigned)r != f.syntax_line && diag_error(ctx->d, f.path, (unsigned)r, "syntax error") < 0)
		return -ENOMEM;
	return 0;
}

/* --- the main file and conf.d -------------------------------------------------------- */

static int state_dir_default(config *c)
{
	const char *env = getenv("STATE_DIRECTORY");

	/* systemd passes StateDirectory= as an absolute, colon-separated list. */
	if (!isempty(env) && env[0] == '/') {
		const char *colon = strchr(env, ':');
		c->state_dir = colon ? strndup(env, (size_t)(colon - env)) : strdup(env);
	} else {
		c->state_dir = strdup(CW_DEFAULT_STATE_DIR);
	}
	return c->state_dir ? 0 : -ENOMEM;
}

static int free_mail_build(config *c)
{
	char **user = TAKE_PTR(c->free_mail_domains), **all = NULL;
	int r = 0;

	for (const char *const *p = names_free_mail_builtin; *p && r >= 0; p++)
		r = strv_push(&all, *p);
	for (char **p = user; p && *p && r >= 0; p++)
		if (!strv_contains(all, *p))
			r = strv_push(&all, *p);
	strv_free(user);
	if (r < 0) {
		strv_free(all);
		return r;
	}
	c->free_mail_domains = all;
	return 0;
}

/* The host part of an absolute URL (after "scheme://" and any userinfo;
 * an IPv6 literal with its brackets) into buf; false when it does not fit. */
static bool url_host(const char *url, char *buf, size_t size)
{
	const char *p = strstr(url, "://"), *end;

	if (!p)
		return false;
	p += 3;
	end = p + strcspn(p, "/?#");
	/* userinfo@host: the last '@' before the path ends the userinfo. */
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			p = q + 1;
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close)
			return false;
		end = close + 1;
	} else {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (colon)
			end = colon;
	}
	if (end == p || (size_t)(end - p) >= size)
		return false;
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	return true;
}

/* Whether url names this machine's loopback interface. Only the spellings
 * an admin writes for a local relay or a test receiver; anything else
 * (another 127.x address, a name that happens to resolve to loopback) is
 * treated as remote. */
bool config_url_is_loopback(const char *url)
{
	char host[64];

	if (!url_host(url, host, sizeof host))
		return false;
	return strcasecmp(host, "localhost") == 0 || streq(host, "127.0.0.1") || streq(host, "[::1]");
}

/* Formats a time span the way an admin writes one ("90s", "1h", "2d"), for
 * messages about two keys that disagree. */
static void timespan_format(uint64_t usec, char *buf, size_t size)
{
	static const struct {
		uint64_t usec;
		const char *unit;
	} units[] = { { USEC_PER_DAY, "d" }, { USEC_PER_HOUR, "h" }, { USEC_PER_MIN, "min" }, { USEC_PER_SEC, "s" } };

	for (size_t i = 0; i < ELEMENTSOF(units); i++)
		if (usec >= units[i].usec && usec % units[i].usec == 0) {
			snprintf(buf, size, "%llu%s", (unsigned long long)(usec / units[i].usec), units[i].unit);
			return;
		}
	snprintf(buf, size, "%lluus", (unsigned long long)usec);
}

static int channel_check_remote(conf_ctx *ctx, channel_parse *cp, const char *label)
{
	static const char *const webhook_schemes[] = { "https", "http", NULL };
	static const char *const smtp_schemes[] = { "smtps", "smtp", NULL };
	const conf_object *o = &cp->obj;
	const channel_config *ch = &cp->ch;
	const conf_pos url_at = o->keys[CHANNEL_KEY_URL];
	bool smtp = ch->type == CHANNEL_SMTP;
	const char *type = channel_type_names[ch->type];
	int r = 0;

	if (!ch->url)
		r = diag_error(ctx->d, o->where.file, o->where.line, "[%s] of Type=%s needs URL=", label, type);
	else if (!url_has_scheme(ch->url, smtp ? smtp_schemes : webhook_schemes))
		r = diag_error(ctx->d, url_at.file, url_at.line, "URL=%s: a %s URL must start with %s", ch->url, type,
			       smtp ? "smtp:// or smtps://" : "https://");
	/* A webhook body is an alert: personal data of the employee and of
	 * the contact. In clear text only to this machine — a test receiver
	 * or a local relay that does its own TLS onwards. */
	else if (!smtp && url_has_scheme(ch->url, (const char *const[]){ "http", NULL }) &&
		 !config_url_is_loopback(ch->url))
		r = diag_error(ctx->d, url_at.file, url_at.line,
			       "URL=%s: a webhook URL must use https:// (http:// only to 127.0.0.1, ::1 or localhost)",
			       ch->url);
	/* smtp:// to another host is fine here: the transport then requires
	 * STARTTLS (and fails rather than send in clear); that is its job. */
	if (r >= 0 && smtp && !ch->from)
		r = diag_error(ctx->d, o->where.file, o->where.line, "[%s] of Type=smtp needs From=", label);
	if (r >= 0 && smtp && !ch->to)
		r = diag_error(ctx->d, o->where.file, o->where.line, "[%s] of Type=smtp needs To=", label);
	if (r >= 0 && ch->retry_delay_usec > ch->retry_max_delay_usec) {
		/* At RetryDelay= when it was written (the first delay is what
		 * an admin tunes), else at RetryMaxDelay=: one of them was. */
		const conf_pos d = o->keys[CHANNEL_KEY_RETRY_DELAY], m = o->keys[CHANNEL_KEY_RETRY_MAX_DELAY];
		const conf_pos at = d.file ? d : m;
		char delay[32], max[32];

		timespan_format(ch->retry_delay_usec, delay, sizeof delay);
		timespan_format(ch->retry_max_delay_usec, max, sizeof max);
		r = diag_error(ctx->d, at.file ? at.file : o->where.file, at.file ? at.line : o->where.line,
			       "RetryDelay=%s is longer than RetryMaxDelay=%s in [%s]", delay, max, label);
	}
	return r;
}

static int channel_check(conf_ctx *ctx, channel_parse *cp)
{
	const conf_object *o = &cp->obj;
	const channel_config *ch = &cp->ch;
	char label[CONF_NAME_MAX + 16];
	int r;

	snprintf(label, sizeof label, "channel:%s", ch->name);
	r = conf_object_check_required(ctx, o, label);
	if (r < 0 || !conf_key_set(o, CHANNEL_KEY_TYPE))
		return r;
	/* Keys that mean nothing for this type are mistakes, as unknown keys are. */
	for (size_t i = 0; i < o->section->n_keys; i++) {
		const conf_key *k = &o->section->keys[i];
		if (k->channel_types == 0 || !conf_key_set(o, i) || (k->channel_types & CHANNEL_MASK(ch->type)))
			continue;
		r = diag_error(ctx->d, o->keys[i].file, o->keys[i].line, "%s= does not apply to channel type %s",
			       k->name, channel_type_names[ch->type]);
		if (r < 0)
			return r;
	}
	switch (ch->type) {
	case CHANNEL_JOURNAL:
		break;
	case CHANNEL_FILE:
		if (!ch->path)
			r = diag_error(ctx->d, o->where.file, o->where.line, "[%s] of Type=file needs Path=", label);
		break;
	case CHANNEL_WEBHOOK:
	case CHANNEL_SMTP:
		r = channel_check_remote(ctx, cp, label);
		break;
	}
	return r;
}

static int conf_finish_main(conf_ctx *ctx)
{
	config *c = ctx->c;
	int r;

	if (!c->state_dir) {
		r = state_dir_default(c);
		if (r < 0)
			return r;
	}
	r = free_mail_build(c);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ctx->n_channels; i++) {
		r = channel_check(ctx, ctx->channels[i]);
		if (r < 0)
			return r;
	}
	c->channels = calloc(ctx->n_channels ? ctx->n_channels : 1, sizeof *c->channels);
	if (!c->channels)
		return -ENOMEM;
	for (size_t i = 0; i < ctx->n_channels; i++) {
		channel_parse *cp = ctx->channels[i];
		cp->ch.conf_file = strdup(cp->obj.where.file);
		if (!cp->ch.conf_file)
			return -ENOMEM;
		cp->ch.conf_line = cp->obj.where.line;
		c->channels[c->n_channels++] = cp->ch;
		cp->ch = (channel_config){ 0 };
	}
	return 0;
}

static int conf_load_main(conf_ctx *ctx, const char *path)
{
	_cleanup_free_ char *confd = NULL;
	char **names = NULL;
	int r;

	r = conf_parse_file(ctx, path, SCOPE_MAIN, NULL);
	if (r < 0)
		return r;
	confd = path_join(ctx->main_dir, "conf.d");
	if (!confd)
		return -ENOMEM;
	r = list_conf_files(confd, &names);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r == -ENOMEM ? r : (diag_error(ctx->d, confd, 0, "%s", strerror(-r)) < 0 ? -ENOMEM : 0);
	for (char **n = names; n && *n && r >= 0; n++) {
		_cleanup_free_ char *p = path_join(confd, *n);
		r = p ? conf_parse_file(ctx, p, SCOPE_MAIN, NULL) : -ENOMEM;
	}
	strv_free(names);
	return r;
}

/* --- staff.d --------------------------------------------------------------------------- */

/* Copies the messages of src to dst, skipping ones dst holds already: two
 * employees naming one catalogue would otherwise repeat its warnings. */
static int diag_merge(diag_list *dst, const diag_list *src)
{
	for (char **p = src->errors; p && *p; p++)
		if (!strv_contains(dst->errors, *p) && strv_push(&dst->errors, *p) < 0)
			return -ENOMEM;
	for (char **p = src->warnings; p && *p; p++)
		if (!strv_contains(dst->warnings, *p) && strv_push(&dst->warnings, *p) < 0)
			return -ENOMEM;
	return 0;
}

/* The catalogue at absolute path, read on first use and kept in
 * ctx->c->catalogues (which owns it) for every later employee naming it: one
 * copy in memory, its messages reported once. Linear lookup: a config names a
 * handful of catalogue files. 0 or -ENOMEM; *ret_index is its place in
 * c->catalogues (an index: the array moves as it grows). */
static int config_catalogue_get(conf_ctx *ctx, const char *path, size_t *ret_index)
{
	config *c = ctx->c;
	catalogue *n;
	diag_list scratch = { 0 };
	int r, q;

	for (size_t i = 0; i < c->n_catalogues; i++)
		if (streq(c->catalogues[i].path, path)) {
			*ret_index = i;
			return 0;
		}
	n = reallocarray(c->catalogues, c->n_catalogues + 1, sizeof *n);
	if (!n)
		return -ENOMEM;
	c->catalogues = n;
	n = &c->catalogues[c->n_catalogues];
	*n = (catalogue){ .path = strdup(path) };
	if (!n->path)
		return -ENOMEM;
	c->n_catalogues++;
	/* Errors are in the messages; a catalogue that failed stays cached
	 * with what could be read, so it is neither re-read nor re-reported. */
	r = relations_load_file(&n->set, path, c->free_mail_domains, &scratch);
	q = diag_merge(ctx->d, &scratch);
	diag_done(&scratch);
	if (r == -ENOMEM || q < 0)
		return -ENOMEM;
	*ret_index = c->n_catalogues - 1;
	return 0;
}

/* Makes e->relations a view of parts[0..n), in order (see config.h): one
 * catalogue is borrowed whole; several are joined in an array of shallow
 * copies, their strings still the catalogues'. 0 or -ENOMEM. */
static int employee_relations_view(employee *e, const relation_set *const *parts, size_t n)
{
	relation *items;
	size_t total = 0;

	if (n == 1) {
		/* A view: items borrowed, the store stays the catalogue's. */
		e->relations = (relation_set){ .items = parts[0]->items, .n = parts[0]->n };
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		total += parts[i]->n;
	if (total == 0)
		return 0;
	items = reallocarray(NULL, total, sizeof *items);
	if (!items)
		return -ENOMEM;
	total = 0;
	for (size_t i = 0; i < n; i++) {
		if (parts[i]->n > 0)
			memcpy(items + total, parts[i]->items, parts[i]->n * sizeof *items);
		total += parts[i]->n;
	}
	e->relations = (relation_set){ .items = items, .n = total };
	e->relations_own_items = true;
	return 0;
}

static int staff_load_relations(conf_ctx *ctx, staff_parse *sp)
{
	const conf_pos at = sp->clause_obj.keys[CLAUSE_KEY_RELATIONS];
	char **resolved = NULL;
	int r = 0;

	for (char **p = sp->e.relation_files; p && *p; p++) {
		_cleanup_free_ char *abs = path_join(ctx->c->relations_dir, *p);
		if (!abs || strv_push(&resolved, abs) < 0) {
			strv_free(resolved);
			return -ENOMEM;
		}
	}
	strv_free(sp->e.relation_files);
	sp->e.relation_files = resolved;

	size_t n_files = strv_length(sp->e.relation_files), i = 0;
	size_t *index = calloc(n_files ? n_files : 1, sizeof *index);
	const relation_set **parts = calloc(n_files ? n_files : 1, sizeof *parts); /* NOLINT(bugprone-sizeof-expression): an array of pointers */
	if (!index || !parts) {
		r = -ENOMEM;
		goto fail;
	}
	for (char **p = sp->e.relation_files; p && *p && i < n_files; p++, i++) {
		r = config_catalogue_get(ctx, *p, &index[i]);
		if (r < 0)
			goto fail;
	}
	/* Pointers only now that c->catalogues has stopped growing; the view
	 * keeps the sets' items, which never move. */
	for (i = 0; i < n_files; i++)
		parts[i] = &ctx->c->catalogues[index[i]].set;
	r = employee_relations_view(&sp->e, parts, n_files);
fail:
	free(index);
	free(parts);
	if (r < 0)
		return r;
	r = relations_check_unique(&sp->e.relations, at.file, at.line, ctx->d);
	return r == -ENOMEM ? r : 0;
}

static int staff_check(conf_ctx *ctx, staff_parse *sp, const char *path, const char *stem, const employee *emps,
		       size_t n_emps)
{
	static const char *const source_schemes[] = { "https", "sftp", "file", NULL };
	const conf_object *eo = &sp->employee_obj, *co = &sp->clause_obj;
	diag_list *d = ctx->d;
	int r = 0;

	if (!eo->where.file)
		r = diag_error(d, path, 0, "missing section [employee]");
	else
		r = conf_object_check_required(ctx, eo, "employee");
	if (r < 0)
		return r;
	if (sp->e.id && !streq(sp->e.id, stem)) {
		r = diag_warning(d, eo->keys[EMPLOYEE_KEY_ID].file, eo->keys[EMPLOYEE_KEY_ID].line, "Id=%s differs from the file name %s.conf",
				 sp->e.id, stem);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; sp->e.id && i < n_emps; i++)
		if (streq(emps[i].id, sp->e.id)) {
			r = diag_error(d, eo->keys[EMPLOYEE_KEY_ID].file, eo->keys[EMPLOYEE_KEY_ID].line, "employee Id=%s is already defined in %s",
				       sp->e.id, emps[i].conf_file);
			if (r < 0)
				return r;
		}

	if (!co->where.file) {
		r = diag_error(d, path, 0, "missing section [clause]");
		if (r < 0)
			return r;
	} else {
		bool dur = conf_key_set(co, CLAUSE_KEY_DURATION), end = conf_key_set(co, CLAUSE_KEY_END);
		r = conf_object_check_required(ctx, co, "clause");
		if (r >= 0 && !dur && !end)
			r = diag_error(d, co->where.file, co->where.line, "[clause] needs Duration= or End=");
		if (r >= 0 && dur && end) {
			const conf_pos later = co->keys[CLAUSE_KEY_DURATION].line > co->keys[CLAUSE_KEY_END].line
						       ? co->keys[CLAUSE_KEY_DURATION]
						       : co->keys[CLAUSE_KEY_END];
			r = diag_error(d, later.file, later.line, "Duration= and End= exclude each other; set one");
		}
		if (r >= 0 && sp->e.departure != DATE_NONE && dur && !end) {
			sp->e.window_end = date_add_days(date_add_months(sp->e.departure, sp->duration.months),
							 sp->duration.days);
		} else if (r >= 0 && sp->e.departure != DATE_NONE && end && !dur) {
			if (sp->end < sp->e.departure) {
				char buf[11];
				date_format(sp->e.departure, buf);
				r = diag_error(d, co->keys[CLAUSE_KEY_END].file, co->keys[CLAUSE_KEY_END].line,
					       "End= lies before DepartureDate=%s", buf);
			}
			sp->e.window_end = sp->end;
		}
		if (r < 0)
			return r;
	}

	for (size_t i = 0; i < sp->n_sources; i++) {
		const source_parse *s = sp->sources[i];
		const conf_object *so = &s->obj;
		bool has_path = conf_key_set(so, SOURCE_KEY_PATH), has_url = conf_key_set(so, SOURCE_KEY_URL);
		if (has_path == has_url)
			r = diag_error(d, so->where.file, so->where.line, "[source:%s] needs exactly one of Path= or URL=",
				       s->src.name);
		else if (has_url && !url_has_scheme(s->src.url, source_schemes))
			r = diag_error(d, so->keys[SOURCE_KEY_URL].file, so->keys[SOURCE_KEY_URL].line,
				       "URL=%s: sources are fetched from https://, sftp:// or file:// URLs", s->src.url);
		else if (streq(s->src.format, "csv") && !s->src.columns)
			r = diag_error(d, so->where.file, so->where.line,
				       "[source:%s] has Format=csv but no Columns= saying which column holds what",
				       s->src.name);
		else if (s->src.columns && !streq(s->src.format, "csv"))
			r = diag_error(d, so->keys[SOURCE_KEY_COLUMNS].file, so->keys[SOURCE_KEY_COLUMNS].line,
				       "Columns= applies only to Format=csv");
		if (r < 0)
			return r;
	}
	return 0;
}

/* Reads one staff file and appends its employee to *emps. */
static int staff_load_file(conf_ctx *ctx, const char *dir, const char *name, employee **emps, size_t *n_emps)
{
	_cleanup_free_ char *path = path_join(dir, name), *stem = strndup(name, strlen(name) - 5);
	staff_parse sp = { .e.departure = DATE_NONE, .e.window_end = DATE_NONE, .end = DATE_NONE,
			   .e.person_threshold = -1, .e.company_threshold = -1 };
	int r;

	if (!path || !stem)
		return -ENOMEM; /* NOLINT(clang-analyzer-unix.Malloc): stem is freed by _cleanup_free_ */
	/* Both sections exist from the start; where stays unset until a
	 * header names them, which is how a missing section is noticed. */
	r = conf_object_init(ctx, &sp.employee_obj, &conf_sections[KIND_EMPLOYEE], &sp, (conf_pos){ 0 });
	if (r >= 0)
		r = conf_object_init(ctx, &sp.clause_obj, &conf_sections[KIND_CLAUSE], &sp, (conf_pos){ 0 });
	if (r >= 0)
		r = conf_parse_file(ctx, path, SCOPE_STAFF, &sp);
	if (r < 0)
		goto out;
	r = staff_check(ctx, &sp, path, stem, *emps, *n_emps);
	if (r < 0)
		goto out;
	if (sp.e.relation_files) {
		r = staff_load_relations(ctx, &sp);
		if (r < 0)
			goto out;
	}
	if (!sp.e.id) {
		r = 0;
		goto out;
	}
	employee *n = reallocarray(*emps, *n_emps + 1, sizeof **emps);
	if (!n) {
		r = -ENOMEM;
		goto out;
	}
	*emps = n;
	sp.e.conf_file = strdup(path);
	sp.e.sources = calloc(sp.n_sources ? sp.n_sources : 1, sizeof *sp.e.sources);
	if (!sp.e.conf_file || !sp.e.sources) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < sp.n_sources; i++) {
		sp.e.sources[sp.e.n_sources++] = sp.sources[i]->src;
		sp.sources[i]->src = (source_config){ 0 };
	}
	(*emps)[(*n_emps)++] = sp.e;
	sp.e = (employee){ 0 };
	r = 0;
out:
	staff_parse_done(&sp);
	return r;
}

static int employee_compare(const void *a, const void *b)
{
	return strcmp(((const employee *)a)->id, ((const employee *)b)->id);
}

static int conf_load_staff(conf_ctx *ctx)
{
	config *c = ctx->c;
	char **names = NULL;
	employee *emps = NULL;
	size_t n_emps = 0;
	int r;

	r = list_conf_files(c->staff_dir, &names);
	if (r < 0) {
		const conf_pos at = ctx->daemon.keys[DAEMON_KEY_STAFF_DIRECTORY];
		if (r == -ENOMEM)
			return r;
		if (at.file)
			r = diag_error(ctx->d, at.file, at.line, "StaffDirectory=%s: %s", c->staff_dir, strerror(-r));
		else
			r = diag_error(ctx->d, c->staff_dir, 0, "staff directory: %s", strerror(-r));
		return r < 0 ? r : 0;
	}
	for (char **n = names; n && *n; n++) {
		r = staff_load_file(ctx, c->staff_dir, *n, &emps, &n_emps);
		if (r < 0)
			goto fail;
	}
	strv_free(names);
	if (n_emps > 1)
		qsort(emps, n_emps, sizeof *emps, employee_compare);
	c->employees = emps;
	c->n_employees = n_emps;
	return 0;
fail:
	strv_free(names);
	for (size_t i = 0; i < n_emps; i++)
		employee_done(&emps[i]);
	free(emps);
	return r;
}

/* --- the public face --------------------------------------------------------------------- */

config *config_free(config *c)
{
	if (!c)
		return NULL;
	free(c->path);
	free(c->state_dir);
	free(c->staff_dir);
	free(c->relations_dir);
	strv_free(c->free_mail_domains);
	for (size_t i = 0; i < c->n_channels; i++)
		channel_config_done(&c->channels[i]);
	free(c->channels);
	for (size_t i = 0; i < c->n_employees; i++)
		employee_done(&c->employees[i]);
	free(c->employees);
	/* After the employees: their relation sets are views of these. */
	for (size_t i = 0; i < c->n_catalogues; i++) {
		free(c->catalogues[i].path);
		relation_set_done(&c->catalogues[i].set);
	}
	free(c->catalogues);
	free(c);
	return NULL;
}

static void conf_ctx_done(conf_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_channels; i++) {
		channel_config_done(&ctx->channels[i]->ch);
		free(ctx->channels[i]);
	}
	free(ctx->channels);
	strv_free(ctx->files);
	free(ctx->main_dir);
	config_free(ctx->c);
}

int config_load(const char *path, diag_list *d, config **ret)
{
	conf_ctx ctx = { .d = d };
	size_t errors_before = diag_n_errors(d);
	int r;

	if (!path || !ret)
		return -EINVAL;
	ctx.c = calloc(1, sizeof *ctx.c);
	ctx.main_dir = path_dirname_abs(path);
	if (!ctx.c || !ctx.main_dir) {
		r = -ENOMEM;
		goto out;
	}
	ctx.c->path = strdup(path);
	if (!ctx.c->path) {
		r = -ENOMEM;
		goto out;
	}
	/* [daemon] and [match] exist with their defaults even when absent. */
	r = conf_object_init(&ctx, &ctx.daemon, &conf_sections[KIND_DAEMON], ctx.c, (conf_pos){ 0 });
	if (r >= 0)
		r = conf_object_init(&ctx, &ctx.match, &conf_sections[KIND_MATCH], ctx.c, (conf_pos){ 0 });
	if (r >= 0)
		r = conf_load_main(&ctx, path);
	if (r >= 0)
		r = conf_finish_main(&ctx);
	if (r >= 0)
		r = conf_load_staff(&ctx);
	if (r < 0)
		goto out;
	if (diag_n_errors(d) > errors_before) {
		r = -EINVAL;
		goto out;
	}
	*ret = TAKE_PTR(ctx.c);
	r = 0;
out:
	conf_ctx_done(&ctx);
	return r;
}

const employee *config_find_employee(const config *c, const char *id)
{
	employee key = { .id = (char *)id };

	if (!c || !id || c->n_employees == 0)
		return NULL;
	return bsearch(&key, c->employees, c->n_employees, sizeof *c->employees, employee_compare);
}

bool employee_in_window(const employee *e, int32_t today)
{
	return e && e->departure != DATE_NONE && e->window_end != DATE_NONE && e->departure <= today &&
	       today <= e->window_end;
}

double employee_person_threshold(const config *c, const employee *e)
{
	return e && e->person_threshold >= 0 ? e->person_threshold : c->person_threshold;
}

double employee_company_threshold(const config *c, const employee *e)
{
	return e && e->company_threshold >= 0 ? e->company_threshold : c->company_threshold;
}
