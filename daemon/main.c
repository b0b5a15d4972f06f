/* main.c — contactwatchd: options, start-up and exit codes. Everything that
 * can be wrong with the configuration is reported (all of it, file:line)
 * before READY=1; after that a bad export is recorded and skipped. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "contactwatch/daemon.h"
#include "contactwatch/date.h"
#include "contactwatch/log.h"

static const char *arg_config = CW_DEFAULT_CONFIG;
static bool arg_once = false;
static bool arg_check_config = false;

static void help(void)
{
	printf("Usage: contactwatchd [OPTIONS]\n\n"
	       "Watch departing employees' contact exports for relations named in their\n"
	       "non-solicitation clause, and alert the legal team.\n\n"
	       "  -c, --config PATH   configuration file (default %s)\n"
	       "      --once          scan every source once, attempt every queued delivery, exit\n"
	       "      --check-config  load and validate the configuration, print a summary, exit\n"
	       "      --foreground    run in the foreground (always; for compatibility)\n"
	       "  -h, --help          show this help\n"
	       "      --version       show the version\n\n"
	       "Exit codes: 0 success, 2 usage error, 3 configuration error, 4 state database error.\n"
	       "See contactwatchd(8) and contactwatch.conf(5).\n",
	       CW_DEFAULT_CONFIG);
}

static int parse_argv(int argc, char *argv[])
{
	enum { ARG_ONCE = 0x100, ARG_CHECK, ARG_FOREGROUND, ARG_VERSION };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, ARG_ONCE },
		{ "check-config", no_argument, NULL, ARG_CHECK },
		{ "foreground", no_argument, NULL, ARG_FOREGROUND },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			arg_config = optarg;
			break;
		case ARG_ONCE:
			arg_once = true;
			break;
		case ARG_CHECK:
			arg_check_config = true;
			break;
		case ARG_FOREGROUND:
			break;
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("contactwatchd %s\n", CW_VERSION);
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "contactwatchd: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	return 1;
}

void daemon_print_diag(const diag_list *diag)
{
	for (char **w = diag->warnings; w && *w; w++)
		log_warning("warning: %s", *w);
	for (char **e = diag->errors; e && *e; e++)
		log_error("%s", *e);
}

static void print_summary(const config *cfg)
{
	int32_t today = date_today();
	size_t live = 0, relations = 0;

	for (size_t i = 0; i < cfg->n_employees; i++) {
		live += employee_in_window(&cfg->employees[i], today);
		relations += cfg->employees[i].relations.n;
	}
	printf("%s: configuration OK: %zu employee(s), %zu in a live clause window, %zu relation(s), "
	       "%zu channel(s)\n",
	       cfg->path, cfg->n_employees, live, relations, cfg->n_channels);
}

int daemon_open_state(daemon_ctx *d)
{
	_cleanup_free_ char *inbox = NULL, *db = NULL;
	int r;

	/* systemd's StateDirectory= creates it; a terminal run may not have it. */
	if (mkdir(d->cfg->state_dir, 0700) < 0 && errno != EEXIST)
		return log_errno(LOG_ERR, errno, "cannot create state directory %s", d->cfg->state_dir);
	if (asprintf(&inbox, "%s/inbox", d->cfg->state_dir) < 0 ||
	    asprintf(&db, "%s/%s", d->cfg->state_dir, STORE_FILE_NAME) < 0)
		return log_errno(LOG_ERR, ENOMEM, "out of memory");
	if (mkdir(inbox, 0700) < 0 && errno != EEXIST)
		return log_errno(LOG_ERR, errno, "cannot create inbox %s", inbox);
	/* Before the database: a start that cannot key its hashes must not
	 * read exports (every undated contact would look new without it). */
	r = secret_load_or_create(d->cfg->state_dir, d->secret);
	if (r < 0) {
		const char *why = r == -EPERM     ? "readable or writable by group or others; chmod 0600 it"
				  : r == -EBADMSG ? "not " STRINGIFY(SECRET_SIZE) " bytes; it is damaged (restore it "
						    "from a backup: a new one makes every undated contact look new)"
				  : r == -ELOOP   ? "a symlink, refused"
						  : strerror(-r);
		log_error("secret %s/%s: %s", d->cfg->state_dir, SECRET_FILE_NAME, why);
		return r;
	}
	r = store_open(db, 0, &d->store);
	if (r < 0) {
		const char *why = r == -EBUSY             ? "locked by another process"
				  : r == -EPROTONOSUPPORT ? "written by a newer contactwatch (schema too new)"
				  : r == -EBADMSG         ? "not a database, or corrupt"
							  : strerror(-r);
		log_error("state database %s: %s", db, why);
		return r;
	}
	return 0;
}

int daemon_scan_once(daemon_ctx *d, bool ignore_settle)
{
	int32_t today = date_today();
	int r;

	if (today != d->index_day) {
		/* Windows open and close at midnight: re-index for the new day. */
		scan_indexes idx = { 0 };
		r = scan_indexes_build(d->cfg, today, &idx);
		if (r < 0)
			return log_errno(LOG_ERR, r, "cannot index the relations");
		scan_indexes_done(&d->indexes);
		d->indexes = idx;
		d->index_day = today;
	}
	const scan_context ctx = {
		.cfg = d->cfg, .indexes = &d->indexes, .store = d->store, .secret = d->secret,
		.ignore_settle = ignore_settle,
	};
	r = scan_pass(&ctx, &d->last_stats);
	d->passes++;
	if (r < 0)
		return log_errno(LOG_ERR, r, "scan pass stopped: state database error (%s)",
				 store_last_error(d->store));
	log_info("scan done: %u employee(s) in window, %u file(s) read, %u rejected, %u unchanged, %u new alert(s)",
		 d->last_stats.employees, d->last_stats.files_processed, d->last_stats.files_rejected,
		 d->last_stats.files_unchanged, d->last_stats.alerts_new);
	/* Delivery is the outbox's (outbox_kick after the pass): the local
	 * channels at once, the remote ones as transfers in the loop. */
	return 0;
}

void daemon_ctx_done(daemon_ctx *d)
{
	/* First: its transfers use the loop and record into the store. */
	d->outbox = outbox_free(d->outbox);
	d->scan_timer = sd_event_source_unref(d->scan_timer);
	d->event = sd_event_unref(d->event);
	scan_indexes_done(&d->indexes);
	d->store = store_close(d->store);
	explicit_bzero(d->secret, sizeof d->secret);
	d->cfg = config_free(d->cfg);
}

int main(int argc, char *argv[])
{
	daemon_ctx d = { .index_day = DATE_NONE };
	diag_list diag = { 0 };
	int r, code;

	log_setup("contactwatchd", LOG_INFO);
	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? CW_EXIT_USAGE : CW_EXIT_OK;

	d.config_path = arg_config;
	r = config_load(arg_config, &diag, &d.cfg);
	if (r < 0) {
		daemon_print_diag(&diag);
		if (diag_n_errors(&diag) == 0)
			log_errno(LOG_ERR, r, "cannot load %s", arg_config);
		fprintf(stderr, "contactwatchd: %s: configuration invalid (%zu error(s))\n", arg_config,
			diag_n_errors(&diag));
		diag_done(&diag);
		return CW_EXIT_CONFIG;
	}
	for (char **w = diag.warnings; w && *w; w++)
		log_warning("warning: %s", *w);
	diag_done(&diag);
	if (arg_check_config) {
		print_summary(d.cfg);
		config_free(d.cfg);
		return CW_EXIT_OK;
	}
	log_set_max_level(d.cfg->log_level);
	/* Once per process, before anything could start a thread: it sets up
	 * OpenSSL for every later handle (transfer.c, the remote channels). */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("cannot initialise libcurl");
		config_free(d.cfg);
		return CW_EXIT_CONFIG;
	}
	for (size_t i = 0; i < d.cfg->n_employees; i++)
		for (size_t j = 0; j < d.cfg->employees[i].n_sources; j++)
			if (d.cfg->employees[i].sources[j].url)
				log_warning("employee %s: source %s: URL sources are not supported by this build yet; "
					    "it is not read", d.cfg->employees[i].id, d.cfg->employees[i].sources[j].name);

	if (daemon_open_state(&d) < 0) {
		daemon_ctx_done(&d);
		curl_global_cleanup();
		return CW_EXIT_STATE;
	}
	if (arg_once) {
		/* --once reads every file however fresh: it is run by hand or from
		 * cron after the exports are in place. */
		code = daemon_scan_once(&d, true) < 0 ? CW_EXIT_STATE : CW_EXIT_OK;
		if (code == CW_EXIT_OK)
			code = loop_run_deliveries(&d);
	} else {
		code = loop_run(&d);
	}
	daemon_ctx_done(&d);
	curl_global_cleanup();
	return code;
}
