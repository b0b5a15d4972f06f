/* ctl.c — contactwatchctl: the legal team's and admins' view. `check` runs
 * the daemon's own pipeline on files given on the command line and stores
 * nothing; `alerts`, `show` and `status` read the state database read-only;
 * `redeliver` queues deliveries again for the daemon's next pass. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "contactwatch/alert.h"
#include "contactwatch/date.h"
#include "contactwatch/deliver.h"
#include "contactwatch/log.h"
#include "contactwatch/scan.h"
#include "contactwatch/store.h"
#include "contactwatch/strbuf.h"

static const char *arg_config = CW_DEFAULT_CONFIG;
static bool arg_json = false;
static const char *arg_employee = NULL;
static const char *arg_format = NULL;
static const char *arg_columns = NULL;
static const char *arg_state = NULL;
static const char *arg_since = NULL;
static bool arg_timing = false;
static bool arg_failed = false;

static void help(void)
{
	printf("Usage: contactwatchctl [-c CONFIG] [--json] COMMAND ...\n\n"
	       "Commands:\n"
	       "  status                          employees in window, files, alerts, deliveries per channel\n"
	       "  check -e ID [--format F [--columns MAP]] FILE...\n"
	       "                                  dry run of the whole pipeline; stores nothing\n"
	       "  alerts [--state S] [-e ID] [--since DATE]  list alerts\n"
	       "  show ALERT                      one alert with its evidence and history\n"
	       "  redeliver ALERT|--failed        queue an alert's deliveries again, or every failed one;\n"
	       "                                  the daemon sends them at its next pass\n\n"
	       "Options:\n"
	       "  -c, --config PATH   configuration file (default %s)\n"
	       "      --json          machine-readable output\n"
	       "  -e, --employee ID   the departing employee\n"
	       "      --format F      force an export format (auto, linkedin, ...; see contactwatchctl(1))\n"
	       "      --columns MAP   with --format csv: which column holds what, as Columns= in staff.d\n"
	       "      --state S       new | acknowledged | confirmed | dismissed\n"
	       "      --since DATE    alerts created on or after DATE (YYYY-MM-DD, UTC)\n"
	       "      --timing        check: print where the time went (load, index, files, output) on stderr\n"
	       "      --failed        redeliver: every delivery that failed for good\n"
	       "  -h, --help          show this help\n"
	       "      --version       show the version\n\n"
	       "Exit codes: 0 success (check: no matches), 1 check found a match, 2 usage error or\n"
	       "unreadable/malformed input file, 3 configuration error, 4 state database error.\n",
	       CW_DEFAULT_CONFIG);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "contactwatchctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	return CW_EXIT_USAGE;
}

static int load_config(config **ret)
{
	diag_list diag = { 0 };
	int r = config_load(arg_config, &diag, ret);

	for (char **w = diag.warnings; w && *w; w++)
		fprintf(stderr, "contactwatchctl: warning: %s\n", *w);
	for (char **e = diag.errors; e && *e; e++)
		fprintf(stderr, "contactwatchctl: %s\n", *e);
	if (r < 0 && diag_n_errors(&diag) == 0)
		fprintf(stderr, "contactwatchctl: %s: %s\n", arg_config, strerror(-r));
	diag_done(&diag);
	return r < 0 ? CW_EXIT_CONFIG : 0;
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	if (s)
		puts(s);
	free(s);
}

/* check --json's document, written as soon as each part is known: the
 * frame (employee, window, files) once the last file has been read, then
 * the matches, each serialised the moment it is found and its tree freed.
 * 13,000 match trees held to the end cost more to build, dump and free than
 * the matching of a million rows; and the last file's matches, nearly
 * always all of them, go out in small pieces instead of growing a buffer
 * of ten megabytes. The bytes are exactly what json_dumps(JSON_INDENT(2))
 * and puts() wrote for the document as one tree. */
typedef struct check_doc {
	strbuf buf;   /* matches not written yet, each with its separator */
	size_t n;     /* matches so far */
	bool started; /* the frame is out; buf goes out as it fills */
	bool failed;  /* something could not be serialised: nothing more is
		       * printed (before the start, nothing at all) */
} check_doc;

/* The elements of the document's "matches" array stand two levels deep:
 * the array is a member of the top-level object. */
#define CHECK_DOC_MATCH_DEPTH 2
#define CHECK_DOC_FLUSH_BYTES (64u << 10)

static void check_doc_flush(check_doc *d)
{
	if (d->buf.err)
		d->failed = true;
	if (d->failed || d->buf.len == 0)
		return;
	fwrite(d->buf.s, 1, d->buf.len, stdout);
	d->buf.len = 0;
}

/* Appends match m (a tree the caller frees) as the next element. */
static void check_doc_add(check_doc *d, const json_t *m)
{
	strbuf_puts(&d->buf, d->n > 0 ? ",\n    " : "\n    ");
	strbuf_put_json(&d->buf, m, 2, CHECK_DOC_MATCH_DEPTH);
	d->n++;
	if (d->started && d->buf.len >= CHECK_DOC_FLUSH_BYTES)
		check_doc_flush(d);
}

/* Prints frame (a non-empty object, complete now) up to the first match,
 * and the matches so far. */
static void check_doc_start(check_doc *d, const json_t *frame)
{
	_cleanup_free_ char *head = json_dumps(frame, JSON_INDENT(2));
	size_t len = head ? strlen(head) : 0;

	d->started = true;
	/* head ends in "\n}": "matches" continues the object. */
	if (len < 2 || d->buf.err) {
		d->failed = true;
		return;
	}
	fwrite(head, 1, len - 2, stdout);
	fputs(",\n  \"matches\": [", stdout);
	check_doc_flush(d);
}

/* Returns false when the document could not be serialised in full (what
 * was printed then is cut short). */
static bool check_doc_finish(check_doc *d, const json_t *frame)
{
	if (!d->started)
		check_doc_start(d, frame);
	check_doc_flush(d);
	if (!d->failed)
		fputs(d->n > 0 ? "\n  ]\n}\n" : "]\n}\n", stdout);
	return !d->failed;
}

static json_t *window_json(const employee *e)
{
	char a[11], b[11];
	date_format(e->departure, a);
	date_format(e->window_end, b);
	return json_pack("{s:s, s:s}", "start", a, "end", b);
}

static void print_hit_text(const char *file, const hit *h)
{
	const contact *c = &h->contact;
	char date[11] = "undated";

	if (c->connected_on != DATE_NONE)
		date_format(c->connected_on, date);
	printf("%s:%u: record %zu: %s (%s) matches %s %s \"%s\"\n", file, c->line, c->record, strempty(c->name),
	       isempty(c->company) ? "no company" : c->company, relation_type_to_string(h->match.relation->type),
	       h->match.relation->id, h->match.relation->name);
	printf("    %s, severity %s, connected %s, score %.2f\n", classification_to_string(h->cls),
	       severity_to_string(h->sev), date, h->match.score);
	for (size_t i = 0; i < h->match.n_evidence; i++) {
		const match_evidence *ev = &h->match.evidence[i];
		printf("    why: %s \"%s\" ~ \"%s\" (%.2f)\n", ev->feature, strempty(ev->contact),
		       strempty(ev->relation), ev->score);
	}
}

/* Seconds on the monotonic clock, for --timing. */
static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_check(char **files, int n_files)
{
	/* --timing: the phases make bench report, so that a slow run says
	 * whether loading, indexing or reading is to blame. */
	double t_start = now_seconds(), t_loaded = 0, t_indexed = 0, t_read = 0, t_output = 0, t_freed, t_index_freed;
	config *cfg = NULL;
	match_index *idx = NULL;
	json_t *out = NULL, *jfiles = NULL;
	check_doc doc = { 0 };
	size_t n_matches = 0;
	bool failed = false;
	int code, r;

	if (!arg_employee)
		return usage_error("%s: -e ID is required", "check");
	if (n_files == 0)
		return usage_error("%s: at least one FILE is required", "check");
	if (arg_format && !ingest_format_known(arg_format))
		return usage_error("unknown format '%s'", arg_format);
	code = load_config(&cfg);
	if (code)
		return code;
	t_loaded = now_seconds();
	const employee *e = config_find_employee(cfg, arg_employee);
	if (!e) {
		fprintf(stderr, "contactwatchctl: no employee '%s' in %s\n", arg_employee, cfg->staff_dir);
		code = CW_EXIT_USAGE;
		goto done;
	}
	if (!employee_in_window(e, date_today())) {
		char a[11], b[11];
		date_format(e->departure, a);
		date_format(e->window_end, b);
		/* Purpose limitation applies to dry runs too. */
		fprintf(stderr,
			"contactwatchctl: employee %s is outside their clause window (%s to %s); "
			"their exports are not processed\n",
			e->id, a, b);
		code = CW_EXIT_USAGE;
		goto done;
	}
	const match_options opt = { .person_threshold = employee_person_threshold(cfg, e),
				    .company_threshold = employee_company_threshold(cfg, e),
				    .free_mail = cfg->free_mail_domains };
	r = match_index_new(&e->relations, &opt, &idx);
	if (r < 0) {
		fprintf(stderr, "contactwatchctl: cannot index relations: %s\n", strerror(-r));
		code = CW_EXIT_CONFIG;
		goto done;
	}
	t_indexed = now_seconds();
	out = json_pack("{s:s, s:o, s:[]}", "employee", e->id, "window", window_json(e), "files");
	if (!out) {
		code = CW_EXIT_USAGE;
		goto done;
	}
	const ingest_options opt_ingest = scan_ingest_options(cfg, arg_format, arg_columns);
	jfiles = json_object_get(out, "files");
	for (int i = 0; i < n_files; i++) {
		ingest_result res = { 0 };
		hit_list hits = { 0 };
		r = scan_file_collect(e, idx, files[i], &opt_ingest, &res, &hits);
		if (r < 0) {
			const char *why = !isempty(res.error)	? res.error
					  : r == -EFBIG	? "file is larger than MaxFileSize="
					  : r == -EMEDIUMTYPE ? "not an export format contactwatch can read"
							      : strerror(-r);
			if (res.error_line)
				fprintf(stderr, "contactwatchctl: %s:%u: %s\n", files[i], res.error_line, why);
			else
				fprintf(stderr, "contactwatchctl: %s: %s\n", files[i], why);
			json_array_append_new(jfiles, json_pack("{s:s, s:s?, s:s}", "path", files[i], "format",
								isempty(res.format) ? NULL : res.format, "error",
								why));
			failed = true;
		} else {
			json_array_append_new(jfiles, json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "path", files[i],
								"format", res.format, "encoding", res.encoding,
								"records", (json_int_t)res.records, "rejected",
								(json_int_t)res.rejected, "sha256", res.sha256));
		}
		/* The frame is complete: the last file's matches can go out. */
		if (arg_json && i == n_files - 1)
			check_doc_start(&doc, out);
		for (size_t j = 0; j < hits.n; j++) {
			if (arg_json) {
				json_t *m = alert_match_json(files[i], &hits.items[j]);
				/* As json_array_append_new did: a match that could
				 * not be built is left out. */
				if (m)
					check_doc_add(&doc, m);
				json_decref(m);
			} else
				print_hit_text(files[i], &hits.items[j]);
		}
		n_matches += hits.n;
		hit_list_done(&hits);
	}
	t_read = now_seconds();
	bool complete = true;
	if (arg_json)
		complete = check_doc_finish(&doc, out);
	else
		printf("%zu match(es) in %d file(s) for employee %s\n", n_matches, n_files, e->id);
	code = failed ? CW_EXIT_USAGE : n_matches > 0 ? CW_EXIT_MATCH : CW_EXIT_OK;
	/* A report cut short (no memory, a full disk, a closed pipe) must not
	 * pass for a complete one: a script would read "no more matches". */
	if (fflush(stdout) != 0 || ferror(stdout) || !complete) {
		fprintf(stderr, "contactwatchctl: check: the report could not be written in full%s\n",
			complete ? "" : " (out of memory)");
		code = CW_EXIT_USAGE;
	}
	t_output = now_seconds();
done:
	json_decref(out);
	strbuf_done(&doc.buf);
	t_freed = now_seconds();
	match_index_free(idx);
	t_index_freed = now_seconds();
	config_free(cfg);
	if (arg_timing && t_output > 0) {
		fflush(stdout);
		fprintf(stderr,
			"timing: load %.3f s, index %.3f s, files %.3f s, output %.3f s, "
			"free index %.3f s, free rest %.3f s\n",
			t_loaded - t_start, t_indexed - t_loaded, t_read - t_indexed, t_output - t_read,
			t_index_freed - t_freed, now_seconds() - t_index_freed + (t_freed - t_output));
	}
	return code;
}

/* Opens the state database read-only; *ret stays NULL when there is none yet. */
static int open_store_ro(const config *cfg, store **ret)
{
	_cleanup_free_ char *path = NULL;
	int r;

	if (asprintf(&path, "%s/%s", cfg->state_dir, STORE_FILE_NAME) < 0)
		return CW_EXIT_STATE;
	r = store_open(path, STORE_READONLY, ret);
	if (r == -ENOENT) {
		fprintf(stderr, "contactwatchctl: no state database at %s yet (the daemon has not run)\n", path);
		*ret = NULL;
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "contactwatchctl: state database %s: %s\n", path,
			r == -EPROTONOSUPPORT ? "schema is newer than this contactwatchctl"
			: r == -ESTALE	      ? "schema is older than this contactwatchctl (the daemon migrates it when "
						"it starts: restart it)"
			: r == -EBADMSG	      ? "not a database, or corrupt"
			: r == -EBUSY	      ? "locked"
					      : strerror(-r));
		return CW_EXIT_STATE;
	}
	return 0;
}

/* Opens the state database for writing, for the few commands that change
 * it. Never creates or migrates it: that is the daemon's job at start, and
 * an older daemon still running must not find its schema changed. *ret
 * stays NULL when there is none yet. */
static int open_store_rw(const config *cfg, store **ret)
{
	_cleanup_free_ char *path = NULL;
	int code, r;

	code = open_store_ro(cfg, ret);
	if (code || !*ret)
		return code;
	*ret = store_close(*ret);
	if (asprintf(&path, "%s/%s", cfg->state_dir, STORE_FILE_NAME) < 0)
		return CW_EXIT_STATE;
	r = store_open(path, 0, ret);
	if (r < 0) {
		fprintf(stderr, "contactwatchctl: state database %s: %s\n", path,
			r == -EBUSY ? "locked" : r == -EACCES ? "permission denied (run as the daemon's user or root)"
								: strerror(-r));
		return CW_EXIT_STATE;
	}
	return 0;
}

typedef struct alerts_walk {
	store *store;
	json_t *list;
} alerts_walk;

static int alert_collect(const store_alert *a, void *userdata)
{
	alerts_walk *w = userdata;
	json_t *j = NULL;
	int r = alert_json_load(w->store, a, &j);

	if (r < 0)
		return r;
	return json_array_append_new(w->list, j) < 0 ? -ENOMEM : 0;
}

static const char *jstr(const json_t *o, const char *k1, const char *k2)
{
	const json_t *v = json_object_get(o, k1);
	if (k2)
		v = json_object_get(v, k2);
	return json_is_string(v) ? json_string_value(v) : "-";
}

static void print_alert_row(const json_t *a)
{
	printf("%-6lld %-20s %-10s %-8s %-18s %-8s %-12s %s\n", (long long)json_integer_value(json_object_get(a, "id")),
	       jstr(a, "created_at", NULL), jstr(a, "employee", "id"), jstr(a, "relation", "id"),
	       jstr(a, "classification", NULL), jstr(a, "severity", NULL), jstr(a, "state", NULL),
	       jstr(a, "contact", "name"));
}

static int cmd_alerts(void)
{
	config *cfg = NULL;
	store *st = NULL;
	alerts_walk w = { 0 };
	store_alert_filter f = { .state = arg_state, .employee = arg_employee };
	int code, r;

	if (arg_state && !streq(arg_state, "new") && !streq(arg_state, "acknowledged") &&
	    !streq(arg_state, "confirmed") && !streq(arg_state, "dismissed"))
		return usage_error("unknown state '%s' (new, acknowledged, confirmed, dismissed)", arg_state);
	if (arg_since) {
		int32_t day;
		if (date_parse_iso(arg_since, &day) < 0)
			return usage_error("--since '%s' is not a date (YYYY-MM-DD)", arg_since);
		f.since = (int64_t)day * 86400;
	}
	code = load_config(&cfg);
	if (code)
		return code;
	code = open_store_ro(cfg, &st);
	if (code)
		goto done;
	w.store = st;
	w.list = json_array();
	if (st) {
		r = store_alerts_foreach(st, &f, alert_collect, &w);
		if (r < 0) {
			fprintf(stderr, "contactwatchctl: reading alerts: %s\n", store_last_error(st));
			code = CW_EXIT_STATE;
			goto done;
		}
	}
	if (arg_json) {
		print_json(w.list);
	} else {
		printf("%-6s %-20s %-10s %-8s %-18s %-8s %-12s %s\n", "ID", "CREATED", "EMPLOYEE", "RELATION",
		       "CLASS", "SEVERITY", "STATE", "CONTACT");
		for (size_t i = 0; i < json_array_size(w.list); i++)
			print_alert_row(json_array_get(w.list, i));
		printf("%zu alert(s)\n", json_array_size(w.list));
	}
done:
	json_decref(w.list);
	store_close(st);
	config_free(cfg);
	return code;
}

static void print_alert_detail(const json_t *a)
{
	const json_t *ev = json_object_get(a, "evidence"), *hist = json_object_get(a, "history");

	printf("Alert %lld (%s, severity %s, state %s)\n", (long long)json_integer_value(json_object_get(a, "id")),
	       jstr(a, "classification", NULL), jstr(a, "severity", NULL), jstr(a, "state", NULL));
	printf("  employee:   %s (%s), window %s to %s\n", jstr(a, "employee", "id"), jstr(a, "employee", "name"),
	       jstr(a, "window", "start"), jstr(a, "window", "end"));
	printf("  clause:     %s; penalty %s\n", jstr(a, "clause", "reference"), jstr(a, "clause", "penalty"));
	printf("  relation:   %s %s \"%s\"\n", jstr(a, "relation", "id"), jstr(a, "relation", "type"),
	       jstr(a, "relation", "name"));
	printf("  contact:    %s, %s, email %s, profile %s, connected %s\n", jstr(a, "contact", "name"),
	       jstr(a, "contact", "company"), jstr(a, "contact", "email"), jstr(a, "contact", "profile_url"),
	       jstr(a, "contact", "connected_on"));
	printf("  source:     %s:%lld (record %lld), sha256 %s, received %s\n", jstr(a, "source", "file"),
	       (long long)json_integer_value(json_object_get(a, "line")),
	       (long long)json_integer_value(json_object_get(a, "record")), jstr(a, "source", "sha256"),
	       jstr(a, "source", "received_at"));
	printf("  score:      %.2f\n", json_real_value(json_object_get(a, "score")));
	for (size_t i = 0; i < json_array_size(ev); i++) {
		const json_t *e = json_array_get(ev, i);
		printf("  why:        %s \"%s\" ~ \"%s\" (%.2f)\n", jstr(e, "feature", NULL), jstr(e, "contact", NULL),
		       jstr(e, "relation", NULL), json_real_value(json_object_get(e, "score")));
	}
	for (size_t i = 0; i < json_array_size(hist); i++) {
		const json_t *h = json_array_get(hist, i);
		printf("  history:    %s %s by %s%s%s\n", jstr(h, "at", NULL), jstr(h, "action", NULL),
		       jstr(h, "actor", NULL), json_is_string(json_object_get(h, "note")) ? ": " : "",
		       json_is_string(json_object_get(h, "note")) ? jstr(h, "note", NULL) : "");
	}
}

static int cmd_show(const char *which)
{
	config *cfg = NULL;
	store *st = NULL;
	alerts_walk w = { 0 };
	char *end = NULL;
	int code, r;

	errno = 0;
	long long id = strtoll(which, &end, 10);
	if (errno || !end || *end || id <= 0)
		return usage_error("'%s' is not an alert id", which);
	code = load_config(&cfg);
	if (code)
		return code;
	code = open_store_ro(cfg, &st);
	if (code)
		goto done;
	w.store = st;
	w.list = json_array();
	r = st ? store_alert_get(st, id, alert_collect, &w) : -ENOENT;
	if (r == -ENOENT) {
		fprintf(stderr, "contactwatchctl: no alert %lld\n", id);
		code = CW_EXIT_USAGE;
		goto done;
	}
	if (r < 0) {
		fprintf(stderr, "contactwatchctl: reading alert %lld: %s\n", id, store_last_error(st));
		code = CW_EXIT_STATE;
		goto done;
	}
	if (arg_json)
		print_json(json_array_get(w.list, 0));
	else
		print_alert_detail(json_array_get(w.list, 0));
done:
	json_decref(w.list);
	store_close(st);
	config_free(cfg);
	return code;
}

static int file_collect(const store_file *f, void *userdata)
{
	json_t *list = userdata;
	char at[32];
	alert_format_time(f->received_at, at);
	return json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:I, s:s?, s:s?}",
						     "employee", f->employee, "source", f->source, "path", f->path,
						     "sha256", f->sha256, "format", f->format, "encoding", f->encoding,
						     "received_at", at, "records", (json_int_t)f->records, "error",
						     f->error, "kept_path", f->kept_path)) < 0
		       ? -ENOMEM
		       : 0;
}

/* "12min", "3h", "2d": how long the oldest queued delivery has waited. */
static void format_age(int64_t seconds, char buf[static 32])
{
	if (seconds < 60)
		snprintf(buf, 32, "%llds", (long long)(seconds < 0 ? 0 : seconds));
	else if (seconds < 3600)
		snprintf(buf, 32, "%lldmin", (long long)(seconds / 60));
	else if (seconds < 86400)
		snprintf(buf, 32, "%lldh", (long long)(seconds / 3600));
	else
		snprintf(buf, 32, "%lldd", (long long)(seconds / 86400));
}

static const char *channel_type_name(channel_type t)
{
	switch (t) {
	case CHANNEL_JOURNAL:
		return "journal";
	case CHANNEL_FILE:
		return "file";
	case CHANNEL_SMTP:
		return "smtp";
	case CHANNEL_WEBHOOK:
		return "webhook";
	}
	return "unknown";
}

static json_t *channel_counts_json(const char *type, const store_channel_counts *c, int64_t now)
{
	char at[32] = "";

	if (c->oldest_queued > 0)
		alert_format_time(c->oldest_queued, at);
	return json_pack("{s:s?, s:I, s:I, s:I, s:I, s:s?, s:o, s:s?}", "type", type, "queued", (json_int_t)c->queued,
			 "retrying", (json_int_t)c->retrying, "failed", (json_int_t)c->failed, "delivered",
			 (json_int_t)c->delivered, "oldest_queued", c->oldest_queued > 0 ? at : NULL,
			 "oldest_queued_age", c->oldest_queued > 0 ? json_integer(now - c->oldest_queued) : json_null(),
			 "last_error", c->last_error);
}

typedef struct counts_walk {
	const config *cfg;
	json_t *channels;  /* name -> counts */
	int64_t now;
} counts_walk;

static int counts_collect(const store_channel_counts *c, void *userdata)
{
	counts_walk *w = userdata;
	const char *type = NULL;

	for (size_t i = 0; i < w->cfg->n_channels; i++)
		if (streq(w->cfg->channels[i].name, c->channel))
			type = channel_type_name(w->cfg->channels[i].type);
	json_t *j = channel_counts_json(type, c, w->now);
	if (!j)
		return -ENOMEM;
	/* A channel no longer configured keeps its rows: shown, so queued
	 * ones that nobody will send are not invisible. */
	if (!type)
		json_object_set_new(j, "configured", json_false());
	return json_object_set_new(w->channels, c->channel, j) < 0 ? -ENOMEM : 0;
}

/* Every configured channel (zeros where nothing was queued yet), then
 * channels that only the database still knows. */
static int deliveries_json(const config *cfg, store *st, json_t **ret)
{
	counts_walk w = { .cfg = cfg, .channels = json_object(), .now = (int64_t)time(NULL) };
	json_t *out = json_object();
	int r;

	if (!w.channels || !out) {
		r = -ENOMEM;
		goto fail;
	}
	if (st) {
		r = store_delivery_counts_foreach(st, counts_collect, &w);
		if (r < 0)
			goto fail;
	}
	for (size_t i = 0; i < cfg->n_channels; i++) {
		const channel_config *ch = &cfg->channels[i];
		json_t *j = json_object_get(w.channels, ch->name);

		j = j ? json_incref(j) : channel_counts_json(channel_type_name(ch->type), &(store_channel_counts){ 0 }, w.now);
		if (!j || json_object_set_new(out, ch->name, j) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		json_object_del(w.channels, ch->name);
	}
	if (json_object_update(out, w.channels) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	json_decref(w.channels);
	*ret = out;
	return 0;
fail:
	json_decref(w.channels);
	json_decref(out);
	return r;
}

static void print_deliveries_text(json_t *deliveries)
{
	const char *name;
	json_t *c;

	if (json_object_size(deliveries) == 0) {
		printf("Deliveries: no channels configured\n");
		return;
	}
	printf("Deliveries:\n  %-16s %-8s %7s %9s %7s %10s  %s\n", "CHANNEL", "TYPE", "QUEUED", "RETRYING", "FAILED",
	       "DELIVERED", "OLDEST QUEUED");
	json_object_foreach(deliveries, name, c) {
		const json_t *age = json_object_get(c, "oldest_queued_age");
		char when[32] = "-";

		if (json_is_integer(age))
			format_age(json_integer_value(age), when);
		printf("  %-16s %-8s %7lld %9lld %7lld %10lld  %s%s\n", name,
		       json_is_string(json_object_get(c, "type")) ? jstr(c, "type", NULL) : "(gone)",
		       (long long)json_integer_value(json_object_get(c, "queued")),
		       (long long)json_integer_value(json_object_get(c, "retrying")),
		       (long long)json_integer_value(json_object_get(c, "failed")),
		       (long long)json_integer_value(json_object_get(c, "delivered")), when,
		       json_is_integer(age) ? " ago" : "");
		if (json_is_string(json_object_get(c, "last_error")))
			printf("  %-16s last error: %s\n", "", jstr(c, "last_error", NULL));
		if (json_is_false(json_object_get(c, "configured")))
			printf("  %-16s not configured any more: its queued deliveries are not sent\n", "");
	}
}

static int cmd_status(void)
{
	config *cfg = NULL;
	store *st = NULL;
	store_counts counts = { 0 };
	json_t *out = NULL, *emps, *rejected, *deliveries = NULL;
	int32_t today = date_today();
	int code, r;

	code = load_config(&cfg);
	if (code)
		return code;
	code = open_store_ro(cfg, &st);
	if (code)
		goto done;
	if (st && store_counts_get(st, &counts) < 0) {
		fprintf(stderr, "contactwatchctl: reading counts: %s\n", store_last_error(st));
		code = CW_EXIT_STATE;
		goto done;
	}
	emps = json_array();
	for (size_t i = 0; i < cfg->n_employees; i++) {
		const employee *e = &cfg->employees[i];
		json_array_append_new(emps, json_pack("{s:s, s:o, s:b, s:I, s:I}", "id", e->id, "window",
						      window_json(e), "in_window", employee_in_window(e, today),
						      "relations", (json_int_t)e->relations.n, "sources",
						      (json_int_t)e->n_sources));
	}
	rejected = json_array();
	if (st) {
		json_t *all = json_array();
		store_files_foreach(st, NULL, file_collect, all);
		for (size_t i = 0; i < json_array_size(all); i++)
			if (json_is_string(json_object_get(json_array_get(all, i), "error")))
				json_array_append(rejected, json_array_get(all, i));
		json_decref(all);
	}
	r = deliveries_json(cfg, st, &deliveries);
	if (r < 0) {
		fprintf(stderr, "contactwatchctl: reading deliveries: %s\n",
			r == -ENOMEM ? strerror(ENOMEM) : store_last_error(st));
		json_decref(emps);
		json_decref(rejected);
		code = CW_EXIT_STATE;
		goto done;
	}
	out = json_pack("{s:s, s:o, s:{s:I, s:I}, s:{s:I, s:I}, s:o, s:o}", "state_directory", cfg->state_dir,
			"employees", emps, "files", "processed", (json_int_t)counts.files_processed, "rejected",
			(json_int_t)counts.files_rejected, "alerts", "total", (json_int_t)counts.alerts_total, "new",
			(json_int_t)counts.alerts_new, "rejected_files", rejected, "deliveries", deliveries);
	if (arg_json) {
		print_json(out);
		goto done;
	}
	printf("State directory: %s\n", cfg->state_dir);
	printf("Employees: %zu configured\n", cfg->n_employees);
	for (size_t i = 0; i < cfg->n_employees; i++) {
		const json_t *e = json_array_get(emps, i);
		printf("  %-12s window %s to %s  %s  %lld relation(s), %lld source(s)\n", jstr(e, "id", NULL),
		       jstr(e, "window", "start"), jstr(e, "window", "end"),
		       json_is_true(json_object_get(e, "in_window")) ? "in window " : "not in window",
		       (long long)json_integer_value(json_object_get(e, "relations")),
		       (long long)json_integer_value(json_object_get(e, "sources")));
	}
	printf("Files: %llu read, %llu rejected\n", (unsigned long long)counts.files_processed,
	       (unsigned long long)counts.files_rejected);
	for (size_t i = 0; i < json_array_size(rejected); i++) {
		const json_t *f = json_array_get(rejected, i);
		printf("  rejected: %s\n", jstr(f, "error", NULL));
		if (json_is_string(json_object_get(f, "kept_path")))
			printf("            kept as %s\n", jstr(f, "kept_path", NULL));
	}
	printf("Alerts: %llu, of which %llu new\n", (unsigned long long)counts.alerts_total,
	       (unsigned long long)counts.alerts_new);
	print_deliveries_text(json_object_get(out, "deliveries"));
done:
	json_decref(out);
	store_close(st);
	config_free(cfg);
	return code;
}

typedef struct alert_facts {
	char key[80];
	char severity[16];
} alert_facts;

static int alert_facts_collect(const store_alert *a, void *userdata)
{
	alert_facts *f = userdata;

	snprintf(f->key, sizeof f->key, "%s", a->key);
	snprintf(f->severity, sizeof f->severity, "%s", a->severity);
	return 0;
}

/* Queues the alert for every configured channel that admits it but has no
 * row: channels added since it was raised, and alerts from before the
 * outbox (schema 4), which were delivered without rows. */
static int redeliver_add_missing(const config *cfg, store *st, int64_t id, int64_t now, size_t *ret_added)
{
	alert_facts f = { 0 };
	json_t *probe = NULL;
	size_t added = 0;
	int r;

	r = store_alert_get(st, id, alert_facts_collect, &f);
	if (r < 0)
		return r;
	probe = json_pack("{s:s}", "severity", f.severity);
	if (!probe)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_channels; i++) {
		const channel_config *ch = &cfg->channels[i];
		_cleanup_free_ char *idem = NULL;

		if (!deliver_wants(ch, probe))
			continue;
		/* The key scan.c gives it: a receiver that has it drops it. */
		if (deliver_idem_key(f.key, ch->name, NULL, &idem) < 0) {
			r = -ENOMEM;
			break;
		}
		r = store_delivery_add(st, id, ch->name, idem, now, NULL);
		if (r == -EEXIST) {
			r = 0; /* has its row, requeued already */
			continue;
		}
		if (r < 0)
			break;
		added++;
	}
	json_decref(probe);
	if (r < 0)
		return r;
	*ret_added = added;
	return 0;
}

static int cmd_redeliver(char **args, int n_args)
{
	config *cfg = NULL;
	store *st = NULL;
	long long id = 0;
	size_t requeued = 0, added = 0;
	const int64_t now = (int64_t)time(NULL);
	int code, r;

	if (arg_failed ? n_args != 0 : n_args != 1)
		return usage_error("redeliver: exactly one of ALERT or --failed");
	if (!arg_failed) {
		char *end = NULL;

		errno = 0;
		id = strtoll(args[0], &end, 10);
		if (errno || !end || *end || id <= 0)
			return usage_error("'%s' is not an alert id", args[0]);
	}
	code = load_config(&cfg);
	if (code)
		return code;
	code = open_store_rw(cfg, &st);
	if (code)
		goto done;
	if (!st) {
		/* No database: no alert, and nothing that failed. */
		if (!arg_failed) {
			fprintf(stderr, "contactwatchctl: no alert %lld\n", id);
			code = CW_EXIT_USAGE;
		} else if (arg_json)
			printf("{\n  \"requeued\": 0,\n  \"added\": 0\n}\n");
		else
			printf("No failed deliveries to requeue.\n");
		goto done;
	}
	r = store_begin(st);
	if (r >= 0)
		r = store_delivery_requeue(st, arg_failed ? 0 : id, now, &requeued);
	if (r >= 0 && !arg_failed)
		r = redeliver_add_missing(cfg, st, id, now, &added);
	if (r >= 0)
		r = store_commit(st);
	if (r < 0) {
		store_rollback(st);
		if (r == -ENOENT && !arg_failed) {
			fprintf(stderr, "contactwatchctl: no alert %lld\n", id);
			code = CW_EXIT_USAGE;
		} else {
			fprintf(stderr, "contactwatchctl: requeueing: %s\n",
				r == -EBUSY ? "the state database is locked" : store_last_error(st));
			code = CW_EXIT_STATE;
		}
		goto done;
	}
	if (arg_json) {
		json_t *j = json_pack("{s:I, s:I}", "requeued", (json_int_t)requeued, "added", (json_int_t)added);
		print_json(j);
		json_decref(j);
		goto done;
	}
	if (arg_failed)
		printf("Requeued %zu failed deliver%s.\n", requeued, requeued == 1 ? "y" : "ies");
	else if (added > 0)
		printf("Requeued %zu deliver%s of alert %lld, and queued it for %zu channel(s) that had none.\n",
		       requeued, requeued == 1 ? "y" : "ies", id, added);
	else
		printf("Requeued %zu deliver%s of alert %lld.\n", requeued, requeued == 1 ? "y" : "ies", id);
	if (requeued + added > 0)
		printf("The daemon sends them at its next scan pass; `systemctl reload contactwatch` starts one now.\n");
done:
	store_close(st);
	config_free(cfg);
	return code;
}

int main(int argc, char *argv[])
{
	enum { ARG_JSON = 0x100, ARG_VERSION, ARG_FORMAT, ARG_COLUMNS, ARG_STATE, ARG_SINCE, ARG_TIMING, ARG_FAILED };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "json", no_argument, NULL, ARG_JSON },
		{ "employee", required_argument, NULL, 'e' }, { "format", required_argument, NULL, ARG_FORMAT },
		{ "columns", required_argument, NULL, ARG_COLUMNS },
		{ "state", required_argument, NULL, ARG_STATE }, { "since", required_argument, NULL, ARG_SINCE },
		{ "timing", no_argument, NULL, ARG_TIMING }, { "failed", no_argument, NULL, ARG_FAILED },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, ARG_VERSION },
		{},
	};
	int c;

	log_setup("contactwatchctl", LOG_WARNING);
	/* GNU getopt permutes: global options may stand before or after the command word. */
	while ((c = getopt_long(argc, argv, "c:e:h", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			arg_config = optarg;
			break;
		case ARG_JSON:
			arg_json = true;
			break;
		case 'e':
			arg_employee = optarg;
			break;
		case ARG_FORMAT:
			arg_format = optarg;
			break;
		case ARG_COLUMNS:
			arg_columns = optarg;
			break;
		case ARG_STATE:
			arg_state = optarg;
			break;
		case ARG_SINCE:
			arg_since = optarg;
			break;
		case ARG_TIMING:
			arg_timing = true;
			break;
		case ARG_FAILED:
			arg_failed = true;
			break;
		case 'h':
			help();
			return CW_EXIT_OK;
		case ARG_VERSION:
			printf("contactwatchctl %s\n", CW_VERSION);
			return CW_EXIT_OK;
		default:
			return CW_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("a command is required");
	const char *cmd = argv[optind];
	char **rest = argv + optind + 1;
	int n_rest = argc - optind - 1;

	if (arg_failed && !streq(cmd, "redeliver"))
		return usage_error("--failed applies only to redeliver");
	if (streq(cmd, "check"))
		return cmd_check(rest, n_rest);
	if (streq(cmd, "alerts"))
		return n_rest ? usage_error("alerts: unexpected argument '%s'", rest[0]) : cmd_alerts();
	if (streq(cmd, "show"))
		return n_rest == 1 ? cmd_show(rest[0]) : usage_error("%s: exactly one ALERT id", "show");
	if (streq(cmd, "status"))
		return n_rest ? usage_error("status: unexpected argument '%s'", rest[0]) : cmd_status();
	if (streq(cmd, "redeliver"))
		return cmd_redeliver(rest, n_rest);
	static const char *const planned[] = { "ack", "confirm", "dismiss", "evidence", "report", "verify",
					       "subject-access", "purge", "scan" };
	for (size_t i = 0; i < ELEMENTSOF(planned); i++)
		if (streq(cmd, planned[i])) {
			fprintf(stderr, "contactwatchctl: '%s' is planned but not available in this version\n", cmd);
			return CW_EXIT_USAGE;
		}
	return usage_error("unknown command '%s'", cmd);
}
