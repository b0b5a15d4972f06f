/* config.h — the whole configuration: contactwatch.conf + conf.d/NAME.conf,
 * staff.d/<ID>.conf (one departing employee each) and the catalogues they
 * name. One table drives parsing, defaults and bounds; every error carries
 * file:line. A config is immutable once loaded; SIGHUP builds a new one. */
#pragma once

#include "contactwatch/common.h"
#include "contactwatch/diag.h"
#include "contactwatch/parse.h"
#include "contactwatch/relations.h"

#define CW_DEFAULT_CONFIG "/etc/contactwatch/contactwatch.conf"
#define CW_DEFAULT_STATE_DIR "/var/lib/contactwatch"

typedef enum channel_type {
	CHANNEL_JOURNAL,
	CHANNEL_FILE,
	CHANNEL_SMTP,
	CHANNEL_WEBHOOK,
} channel_type;

typedef struct channel_config {
	char *name;          /* the part after "channel:" */
	channel_type type;
	severity min_severity; /* default low: everything */
	char *path;          /* file: absolute */
	char *url;           /* smtp, webhook */
	char *from;          /* smtp */
	char **to;           /* smtp: strv, from a comma-separated To= */
	char *username_credential, *password_credential, *secret_credential;
	char *format;        /* webhook: generic | slack | teams */
	char *ca_file;       /* webhook, smtp: CAFile=, an extra CA bundle (absolute), or NULL */
	bool pseudonymize;   /* Pseudonymize=: the employee's name replaced by their Id in bodies */
	bool digest;         /* smtp: Digest=, one mail per scan per employee */
	uint64_t timeout_usec;         /* Timeout=, one attempt's total time (default 30s) */
	uint64_t retry_delay_usec;     /* RetryDelay=, the first retry's delay (default 1min) */
	uint64_t retry_max_delay_usec; /* RetryMaxDelay=, the cap of the doubling (default 1h) */
	uint64_t give_up_usec;         /* GiveUpAfter=, age at which a queued delivery fails (default 3d) */
	char *conf_file;
	unsigned conf_line;  /* where the section starts */
} channel_config;

typedef struct source_config {
	char *name;          /* the part after "source:" */
	char *path;          /* absolute, or NULL */
	char *url;           /* or NULL */
	uint64_t interval_usec;
	char *format;        /* "auto" or a format name */
	char *columns;       /* Format=csv: "first:Voornaam,last:Achternaam,..." (Columns=) */
	unsigned conf_line;
} source_config;

/* One catalogue file, read once per config however many employees name it. */
typedef struct catalogue {
	char *path;          /* absolute */
	relation_set set;    /* owns the relations and their strings */
} catalogue;

typedef struct employee {
	char *id;
	char *name;
	char *email;
	char *profile_url;
	int32_t departure;   /* day number */
	int32_t window_end;  /* day number, inclusive */
	char **relation_files; /* strv of absolute paths */
	char *penalty;
	char *reference;
	/* [clause] PersonThreshold= / CompanyThreshold=: this employee's own
	 * thresholds, overriding [match]; < 0 when not set (use the global). */
	double person_threshold;
	double company_threshold;
	source_config *sources;
	size_t n_sources;
	/* A view of the catalogues in relation_files, in that order: the
	 * strings belong to config.catalogues, and so does `items` when one
	 * file is named; with several, items is a malloc'd array of shallow
	 * copies that the employee owns (relations_own_items). Never passed to
	 * relation_set_done. */
	relation_set relations;
	bool relations_own_items;
	char *conf_file;
} employee;

typedef struct config {
	char *path;           /* the main file */
	char *state_dir;      /* absolute */
	char *staff_dir;      /* absolute */
	char *relations_dir;  /* absolute */
	uint64_t scan_interval_usec;
	uint64_t settle_usec;
	uint64_t max_file_size;
	uint64_t max_records;      /* per export */
	uint64_t max_record_size;  /* one CSV record / vCard / JSON value, bytes */
	uint64_t max_field_size;   /* one cell or property, bytes */
	uint64_t max_json_depth;   /* nesting of JSON exports */
	uint64_t retention_usec;
	int log_level;        /* LOG_ERR..LOG_DEBUG */
	double person_threshold;
	double company_threshold;
	char **free_mail_domains; /* names_free_mail_builtin plus FreeMailDomains= */
	channel_config *channels;
	size_t n_channels;
	employee *employees;  /* sorted by id */
	size_t n_employees;
	catalogue *catalogues; /* every file the employees name, once; owned,
				* freed after the employees that view them */
	size_t n_catalogues;
} config;

/* Loads path, then conf.d/NAME.conf beside it in lexical order, then every
 * staff.d/NAME.conf and the catalogues each names. All errors go to d; returns
 * 0, or -EINVAL when d holds at least one error (and *ret is untouched),
 * or another -errno. StateDirectory defaults to $STATE_DIRECTORY, else
 * /var/lib/contactwatch. */
int config_load(const char *path, diag_list *d, config **ret);
config *config_free(config *c);
const employee *config_find_employee(const config *c, const char *id);
/* Whether url names this machine's loopback interface, spelt localhost,
 * 127.0.0.1 or [::1] (a local relay, a test receiver): the only hosts that
 * http:// webhooks and plain smtp:// may reach. Anything else, another 127.x
 * address or a name that resolves to loopback, counts as remote. */
bool config_url_is_loopback(const char *url);
/* Whether day `today` lies in [departure, window_end]. */
bool employee_in_window(const employee *e, int32_t today);
/* The thresholds that apply to e: its [clause] values, else [match]'s. */
double employee_person_threshold(const config *c, const employee *e);
double employee_company_threshold(const config *c, const employee *e);
