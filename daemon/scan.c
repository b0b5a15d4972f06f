/* scan.c — the pipeline. A file is parsed as a stream and each record is
 * matched at once, so only matched contacts are ever copied (data
 * minimisation). Of the others the daemon keeps at most a keyed hash (the
 * baseline of undated sources: 32 bytes per undated contact while the file
 * is read). A file's alerts with their outbox rows, its `files` row and its
 * hashes are committed in one transaction: a crash never leaves a file
 * recorded as processed without its alerts, an alert without its
 * deliveries, nor a baseline that includes a file whose alerts are lost. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "contactwatch/array.h"
#include "contactwatch/date.h"
#include "contactwatch/deliver.h"
#include "contactwatch/hash.h"
#include "contactwatch/pipeline.h"
#include "contactwatch/log.h"
#include "contactwatch/scan.h"
#include "contactwatch/secret.h"
#include "contactwatch/source.h"

/* An index built earlier for an employee whose clause names the same
 * catalogue files with the same thresholds: the index then holds exactly
 * what this employee's would (the catalogues are loaded once per config,
 * so the relations are the same objects, or shallow copies of them), and
 * one copy serves both. Twenty departing employees of one sales team
 * screened against one 100,000-relation catalogue cost one index, not 20. */
static match_index *scan_index_find_shared(const config *cfg, const scan_indexes *x, size_t upto,
					   const match_options *opt)
{
	const employee *e = &cfg->employees[upto];
	for (size_t j = 0; j < upto; j++) {
		const employee *o = &cfg->employees[j];
		if (x->items[j] && !x->borrowed[j] && strv_equal(o->relation_files, e->relation_files) &&
		    employee_person_threshold(cfg, o) == opt->person_threshold &&
		    employee_company_threshold(cfg, o) == opt->company_threshold)
			return x->items[j];
	}
	return NULL;
}

int scan_indexes_build(const config *cfg, int32_t today, scan_indexes *ret)
{
	size_t n = cfg->n_employees ? cfg->n_employees : 1;
	scan_indexes x = { .items = calloc(n, sizeof(match_index *)), .borrowed = calloc(n, sizeof(bool)),
			   .n = cfg->n_employees };
	int r;

	if (!x.items || !x.borrowed) {
		scan_indexes_done(&x);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_employees; i++) {
		const employee *e = &cfg->employees[i];
		const match_options opt = {
			.person_threshold = employee_person_threshold(cfg, e),
			.company_threshold = employee_company_threshold(cfg, e),
			.free_mail = cfg->free_mail_domains,
		};
		if (!employee_in_window(e, today))
			continue;
		x.items[i] = scan_index_find_shared(cfg, &x, i, &opt);
		if (x.items[i]) {
			x.borrowed[i] = true;
			continue;
		}
		r = match_index_new(&e->relations, &opt, &x.items[i]);
		if (r < 0) {
			scan_indexes_done(&x);
			return r;
		}
	}
	*ret = x;
	return 0;
}

void scan_indexes_done(scan_indexes *x)
{
	for (size_t i = 0; x->items && i < x->n; i++)
		if (!x->borrowed[i])
			match_index_free(x->items[i]);
	x->items = mfree(x->items);
	x->borrowed = mfree(x->borrowed);
	x->n = 0;
}

/* The baseline side of reading one file (the daemon's pass only; `check`
 * stores nothing and has none): the keyed hash of every undated record's
 * identity, collected raw until the file's transaction. Dated records are
 * not hashed: their date classifies them, so a hash would serve no purpose,
 * and a dated export must not count as the baseline of an undated one. */
typedef struct scan_baseline {
	hash_hmac *hmac;           /* keyed with the per-installation secret */
	store *store;
	store_baseline key;        /* format filled in once ingest has detected it */
	const ingest_result *res;  /* where ingest writes the detected format */
	bool looked_up;            /* have_baseline is known */
	bool have_baseline;
	uint8_t (*items)[STORE_SEEN_HMAC_SIZE];
	size_t n, allocated;
	char *buf;                 /* employee NUL source NUL format NUL identity */
	size_t buf_size;
	int error;                 /* the database's or our own failure, not the file's */
} scan_baseline;

static void scan_baseline_done(scan_baseline *b)
{
	b->hmac = hash_hmac_free(b->hmac);
	b->items = mfree(b->items);
	b->n = b->allocated = 0;
	b->buf = mfree(b->buf);
	b->buf_size = 0;
}

/* The keyed hash of c's identity, appended to b->items when append is
 * set. Returns 1 with the hash in ret, 0 when c has no identity to hash
 * (invalid text), -errno. */
static int scan_baseline_hash(scan_baseline *b, const contact *c, bool append,
			      uint8_t ret[static STORE_SEEN_HMAC_SIZE])
{
	_cleanup_free_ char *identity = NULL;
	size_t ne, ns, nf, ni, need;
	int r;

	r = contact_identity(c, &identity);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	ne = strlen(b->key.employee);
	ns = strlen(b->key.source);
	nf = strlen(b->key.format);
	ni = strlen(identity);
	/* NUL separators: no field can contain one, so no two tuples collide.
	 * Employee, source and format in the message make the same person's
	 * hash differ between baselines: rows cannot be linked across them. */
	need = ne + ns + nf + ni + 3;
	if (need > b->buf_size) {
		char *p = realloc(b->buf, need);
		if (!p)
			return -ENOMEM;
		b->buf = p;
		b->buf_size = need;
	}
	memcpy(b->buf, b->key.employee, ne + 1);
	memcpy(b->buf + ne + 1, b->key.source, ns + 1);
	memcpy(b->buf + ne + ns + 2, b->key.format, nf + 1);
	memcpy(b->buf + ne + ns + nf + 3, identity, ni);
	r = hash_hmac_sha256(b->hmac, b->buf, need, ret);
	if (r < 0)
		return r;
	if (!append)
		return 1;
	/* Doubling: 32 MB for a million contacts; glibc grows blocks this
	 * large with mremap, so the old and new arrays never coexist. */
	if (array_reserve(&b->items, &b->allocated, b->n + 1, sizeof *b->items) < 0)
		return -ENOMEM;
	memcpy(b->items[b->n++], ret, STORE_SEEN_HMAC_SIZE);
	return 1;
}

typedef struct collect_state {
	const employee *employee;
	hit_list *hits;
	scan_baseline *baseline;   /* NULL: no baseline (check) */
	pipeline *matcher;
} collect_state;

/* Ingest's callback, on the reading thread: what needs every record (the
 * baseline's hash of each undated one) happens here; matching is queued. */
static int collect_record(const contact *c, void *userdata)
{
	collect_state *st = userdata;
	scan_baseline *b = st->baseline;

	/* A pending invitation someone else sent is not yet a contact the
	 * employee made; an outgoing one is, dated when it was sent. */
	if (c->event == CONTACT_EVENT_INVITATION_INCOMING)
		return 0;
	if (b && c->connected_on == DATE_NONE) {
		uint8_t hmac[STORE_SEEN_HMAC_SIZE];
		int r;
		if (!b->looked_up) {
			/* ingest names the format before the first record. */
			b->key.format = b->res->format;
			r = store_seen_has_baseline(b->store, &b->key, &b->have_baseline);
			if (r < 0)
				return b->error = r;
			b->looked_up = true;
		}
		r = scan_baseline_hash(b, c, true, hmac);
		if (r < 0)
			return b->error = r;
	}
	return pipeline_push(st->matcher, c);
}

/* The pipeline's callback, back on the reading thread in record order, for
 * a contact with matches: classify them and keep the hits. */
static int collect_matches(const contact *c, match_list *ml, void *userdata)
{
	collect_state *st = userdata;
	scan_baseline *b = st->baseline;
	bool seen_before = false;
	int r;

	/* Only an undated match needs to know whether the baseline holds the
	 * contact: a handful per file, so its hash is simply computed again. */
	if (b && b->have_baseline && c->connected_on == DATE_NONE) {
		uint8_t hmac[STORE_SEEN_HMAC_SIZE];
		r = scan_baseline_hash(b, c, false, hmac);
		if (r > 0)
			r = store_seen_contains(b->store, &b->key, hmac, &seen_before);
		if (r < 0)
			return b->error = r;
	}
	for (size_t i = 0; i < ml->n; i++) {
		classification cls = clause_classify(st->employee->departure, st->employee->window_end,
						     c->connected_on, b && b->have_baseline, seen_before);
		/* Dated after the window: not a match, not stored (spec). */
		if (cls == CLASS_NONE)
			continue;
		r = hit_list_add(st->hits, c, &ml->items[i], cls);
		if (r < 0)
			return r;
	}
	return 0;
}

ingest_options scan_ingest_options(const config *cfg, const char *format, const char *columns)
{
	return (ingest_options){
		.format = format,
		.columns = columns,
		.max_size = cfg->max_file_size,
		.limits = {
			.max_records = cfg->max_records,
			.max_record_size = cfg->max_record_size,
			.max_field_size = cfg->max_field_size,
			.max_json_depth = (unsigned)cfg->max_json_depth,
		},
	};
}

static int scan_file_read(const employee *e, const match_index *idx, const char *path, const ingest_options *opt,
			  ingest_result *res, hit_list *hits, scan_baseline *baseline)
{
	collect_state st = { .employee = e, .hits = hits, .baseline = baseline };
	int r = pipeline_new(idx, pipeline_default_workers(), collect_matches, &st, &st.matcher);
	if (r < 0)
		return r;
	r = ingest_file(path, opt, collect_record, &st, res);
	if (r >= 0)
		r = pipeline_finish(st.matcher);
	pipeline_free(st.matcher);
	if (r < 0)
		hit_list_done(hits);
	return r;
}

int scan_file_collect(const employee *e, const match_index *idx, const char *path, const ingest_options *opt,
		      ingest_result *res, hit_list *hits)
{
	return scan_file_read(e, idx, path, opt, res, hits, NULL);
}

static int hmac_compare(const void *a, const void *b)
{
	return memcmp(a, b, STORE_SEEN_HMAC_SIZE);
}

static const char *ingest_reason(int r, const ingest_result *res, char *buf, size_t n)
{
	if (!isempty(res->error))
		return res->error;
	switch (r) {
	case -EFBIG:
		return "file is larger than MaxFileSize=";
	case -EMEDIUMTYPE:
		return "not an export format contactwatch can read";
	case -ENOENT:
		return "unknown format";
	default:
		snprintf(buf, n, "%s", strerror(-r));
		return buf;
	}
}

/* Records a file that could not be read and keeps it as evidence; the
 * daemon keeps going. Reported once: the next pass knows its digest. */
static int scan_reject(const scan_context *ctx, const employee *e, const source_file *f, const char *sha256,
		       int r, const ingest_result *res, int64_t now)
{
	_cleanup_free_ char *kept = NULL;
	char why[256], error[1024];
	const char *reason = ingest_reason(r, res, why, sizeof why);

	if (res->error_line > 0)
		snprintf(error, sizeof error, "%s:%u: %s", f->path, res->error_line, reason);
	else
		snprintf(error, sizeof error, "%s: %s", f->path, reason);
	int k = source_keep_rejected(ctx->cfg, e, f, now, &kept);
	if (k < 0)
		log_errno(LOG_WARNING, k, "employee %s: could not keep rejected %s under %s/rejected", e->id,
			  f->path, ctx->cfg->state_dir);
	log_error("employee %s: rejected %s%s%s", e->id, error, kept ? "; kept as " : "", strempty(kept));
	sd_journal_send("MESSAGE=employee %s: rejected export: %s", e->id, error,
			"MESSAGE_ID=" CW_MESSAGE_FILE_REJECTED, "PRIORITY=%d", LOG_ERR, "CONTACTWATCH_EMPLOYEE=%s",
			e->id, "CONTACTWATCH_FILE=%s", f->path, "CONTACTWATCH_KEPT=%s", strempty(kept),
			"CONTACTWATCH_SHA256=%s", sha256, NULL);

	const store_file sf = {
		.employee = e->id, .source = f->source, .path = f->path, .sha256 = sha256, .size = f->size,
		.format = isempty(res->format) ? NULL : res->format, .received_at = now, .status = "rejected",
		.error = error, .records = res->records, .rejected_records = res->rejected, .kept_path = kept,
		.encoding = isempty(res->encoding) ? NULL : res->encoding,
	};
	return store_file_insert(ctx->store, &sf, NULL);
}

/* Queues a new alert for every channel whose MinSeverity= admits it, in the
 * alert's own transaction: an alert never exists without its deliveries,
 * and a crash before the commit loses both, so the next pass raises it
 * again with them. Delivery itself is the outbox's, after the commit. */
/* One delivery row per channel that wants the alert. renewal: NULL for a
 * new alert; for a reclassified one, the new classification, which makes
 * its idempotency key new too (deliver_idem_key). */
static int scan_queue(const scan_context *ctx, int64_t alert_id, const char *key, const char *renewal,
		      const json_t *alert, int64_t now, unsigned *ret_queued)
{
	for (size_t i = 0; i < ctx->cfg->n_channels; i++) {
		const channel_config *ch = &ctx->cfg->channels[i];
		_cleanup_free_ char *idem = NULL;

		if (!deliver_wants(ch, alert))
			continue;
		if (deliver_idem_key(key, ch->name, renewal, &idem) < 0)
			return -ENOMEM;
		int r = renewal ? store_delivery_renew(ctx->store, alert_id, ch->name, idem, now)
				: store_delivery_add(ctx->store, alert_id, ch->name, idem, now, NULL);
		if (r < 0)
			return r;
		(*ret_queued)++;
	}
	return 0;
}

typedef struct known_alert {
	classification cls;
	severity sev;
	char *file;
	json_int_t record;
} known_alert;

static int known_alert_read(const store_alert *a, void *userdata)
{
	known_alert *k = userdata;
	json_t *body = json_loads(a->body, 0, NULL);
	if (!body)
		return -EBADMSG;
	k->cls = CLASS_NONE;
	for (classification c = CLASS_IN_WINDOW; c <= CLASS_UNDATED; c++)
		if (streq(a->classification, classification_to_string(c)))
			k->cls = c;
	k->sev = clause_severity(k->cls);
	k->file = strdup(strempty(json_string_value(json_object_get(body, "file"))));
	k->record = json_integer_value(json_object_get(body, "record"));
	json_decref(body);
	return k->file ? 0 : -ENOMEM;
}

static bool classification_dated(classification c)
{
	return c == CLASS_IN_WINDOW || c == CLASS_PRE_EXISTING;
}

/* A connection alerted undated (a vCard, a CRM dump) and now seen dated (a
 * LinkedIn export): the date is the better evidence, so the alert takes the
 * dated sighting's classification, severity, file and body, and the history
 * says what it was before and where the date came from. Only a rise in
 * severity is delivered again (as a new message: a new idempotency key),
 * so a date that shows an old relationship corrects the record quietly
 * instead of sending "never mind" to the legal team. Dated alerts are never
 * reclassified by a later sighting: the first date seen stays the evidence. */
static int scan_reclassify(const scan_context *ctx, const store_alert *fresh_alert, const hit *h, const char *path,
			   int64_t now, unsigned *ret_queued)
{
	known_alert k = { 0 };
	_cleanup_free_ char *note = NULL;
	char day[16];
	int r;

	if (!classification_dated(h->cls))
		return 0;
	r = store_alert_get(ctx->store, fresh_alert->id, known_alert_read, &k);
	if (r < 0)
		goto done;
	if (classification_dated(k.cls) || k.cls == CLASS_NONE)
		goto done;
	r = store_alert_reclassify(ctx->store, fresh_alert->id, fresh_alert);
	if (r < 0)
		goto done;
	date_format(h->contact.connected_on, day);
	if (asprintf(&note, "dated %s in %s (record %zu): %s, was %s from %s (record %lld)", day, path,
		     h->contact.record, classification_to_string(h->cls), classification_to_string(k.cls), k.file,
		     (long long)k.record) < 0) {
		r = -ENOMEM;
		goto done;
	}
	r = store_history_add(ctx->store, &(store_history){ .alert_id = fresh_alert->id, .at = now,
							     .actor = "contactwatchd", .action = "reclassified",
							     .note = note });
	if (r < 0 || h->sev <= k.sev)
		goto done;
	log_notice("alert %lld: %s", (long long)fresh_alert->id, note);
	json_t *aj = alert_json(fresh_alert, NULL);
	if (!aj) {
		r = -ENOMEM;
		goto done;
	}
	r = scan_queue(ctx, fresh_alert->id, fresh_alert->key, classification_to_string(h->cls), aj, now,
		       ret_queued);
	json_decref(aj);
done:
	free(k.file);
	return r;
}

/* Stores the file and its hits in one transaction, each new alert with its
 * deliveries; the new alerts (as users see them) are appended to `fresh`
 * for the log after the commit. */
static int scan_store(const scan_context *ctx, const employee *e, const source_file *f, const ingest_result *res,
		      const hit_list *hits, scan_baseline *baseline, int64_t now, json_t *fresh, size_t *ret_added,
		      unsigned *ret_queued)
{
	unsigned queued = 0;
	int64_t file_id;
	int r = store_begin(ctx->store);
	if (r < 0)
		return r;
	const store_file sf = {
		.employee = e->id, .source = f->source, .path = f->path, .sha256 = res->sha256, .size = res->size,
		.format = res->format, .received_at = now, .status = "processed", .records = res->records,
		.rejected_records = res->rejected, .encoding = isempty(res->encoding) ? NULL : res->encoding,
	};
	r = store_file_insert(ctx->store, &sf, &file_id);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < hits->n; i++) {
		const hit *h = &hits->items[i];
		const alert_context actx = { .employee = e, .file = f->path, .sha256 = res->sha256,
					     .received_at = now, .created_at = now };
		char key[65];
		int64_t id;

		r = alert_key(e->id, h, key);
		if (r < 0)
			goto fail;
		json_t *body = alert_body_json(&actx, h, key);
		_cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
		json_decref(body);
		if (!text) {
			r = -ENOMEM;
			goto fail;
		}
		store_alert a = {
			.key = key, .employee = e->id, .relation = h->match.relation->id,
			.severity = severity_to_string(h->sev), .classification = classification_to_string(h->cls),
			.state = "new", .created_at = now, .file_id = file_id, .body = text,
		};
		r = store_alert_insert(ctx->store, &a, &id);
		if (r < 0)
			goto fail;
		if (r == 0) {
			/* The same connection was already alerted (a re-export):
			 * nothing new, unless this sighting dates it. */
			a.id = id;
			r = scan_reclassify(ctx, &a, h, f->path, now, &queued);
			if (r < 0)
				goto fail;
			continue;
		}
		a.id = id;
		json_t *aj = alert_json(&a, NULL);
		if (!aj || json_array_append_new(fresh, aj) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		r = scan_queue(ctx, id, key, NULL, aj, now, &queued);
		if (r < 0)
			goto fail;
	}
	if (baseline->n > 0) {
		/* In key order: the B-tree is then walked forwards, not at random
		 * (a million random inserts into a table larger than the page
		 * cache would each touch the disk). */
		qsort(baseline->items, baseline->n, sizeof *baseline->items, hmac_compare);
		r = store_seen_add(ctx->store, &baseline->key, (const uint8_t (*)[STORE_SEEN_HMAC_SIZE])baseline->items,
				   baseline->n, now, ret_added);
		if (r < 0)
			goto fail;
	}
	r = store_commit(ctx->store);
	if (r < 0)
		goto fail;
	*ret_queued += queued;
	return 0;
fail:
	store_rollback(ctx->store);
	json_array_clear(fresh);
	return r;
}

static int scan_one_file(const scan_context *ctx, const employee *e, const match_index *idx, const source_file *f,
			 int64_t now, scan_stats *stats)
{
	char sha[65];
	ingest_result res = { 0 };
	hit_list hits = { 0 };
	scan_baseline baseline = { .store = ctx->store, .res = &res,
				   .key = { .employee = e->id, .source = f->source } };
	size_t added = 0;
	bool known = false;
	json_t *fresh = NULL;
	int r;

	/* Hashed whatever its size: an export over MaxFileSize= is rejected by
	 * ingest, but its digest is still the evidence of what was received. */
	r = hash_sha256_file(f->path, UINT64_MAX, sha);
	if (r == -ENOENT)
		return 0; /* gone since the listing: picked up or retracted */
	if (r < 0) {
		log_errno(LOG_WARNING, r, "employee %s: cannot read %s", e->id, f->path);
		return 0;
	}
	r = store_file_known(ctx->store, e->id, sha, &known);
	if (r < 0)
		return r;
	if (known) {
		stats->files_unchanged++;
		log_debug("employee %s: %s unchanged since it was read", e->id, f->path);
		return 0;
	}

	if (ctx->secret) {
		r = hash_hmac_new(ctx->secret, SECRET_SIZE, &baseline.hmac);
		if (r < 0)
			return r;
	}
	const ingest_options opt = scan_ingest_options(ctx->cfg, f->format, f->columns);
	r = scan_file_read(e, idx, f->path, &opt, &res, &hits, baseline.hmac ? &baseline : NULL);
	if (baseline.error < 0) {
		r = baseline.error; /* the database's or ours, not the file's fault */
		goto done;
	}
	if (r == -ENOMEM)
		goto done;
	if (r < 0) {
		/* A rejected file adds nothing to the baseline. */
		stats->files_rejected++;
		r = scan_reject(ctx, e, f, sha, r, &res, now);
		goto done;
	}

	fresh = json_array();
	if (!fresh) {
		r = -ENOMEM;
		goto done;
	}
	r = scan_store(ctx, e, f, &res, &hits, &baseline, now, fresh, &added, &stats->deliveries_queued);
	if (r < 0)
		goto done;
	stats->files_processed++;
	stats->alerts_new += (unsigned)json_array_size(fresh);
	if (baseline.n > 0)
		log_info("employee %s: read %s (%s, %zu records, %zu rows rejected): %zu matches, %zu new alerts; "
			 "%zu undated contact(s) hashed, %zu new to the %s baseline",
			 e->id, f->path, res.format, res.records, res.rejected, hits.n, json_array_size(fresh),
			 baseline.n, added, baseline.have_baseline ? "existing" : "first");
	else
		log_info("employee %s: read %s (%s, %zu records, %zu rows rejected): %zu matches, %zu new alerts",
			 e->id, f->path, res.format, res.records, res.rejected, hits.n, json_array_size(fresh));
	for (size_t i = 0; i < json_array_size(fresh); i++) {
		json_t *a = json_array_get(fresh, i);
		log_notice("alert %lld: employee %s, relation %s, %s, severity %s",
			   (long long)json_integer_value(json_object_get(a, "id")), e->id,
			   json_string_value(json_object_get(json_object_get(a, "relation"), "id")),
			   json_string_value(json_object_get(a, "classification")),
			   json_string_value(json_object_get(a, "severity")));
	}
done:
	json_decref(fresh);
	hit_list_done(&hits);
	scan_baseline_done(&baseline);
	return r;
}

int scan_pass(const scan_context *ctx, scan_stats *ret)
{
	const config *cfg = ctx->cfg;
	scan_stats stats = { 0 };
	struct timespec ts;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	const int64_t now = ts.tv_sec;
	const int64_t now_usec = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;

	for (size_t i = 0; i < cfg->n_employees && r >= 0; i++) {
		const employee *e = &cfg->employees[i];
		const match_index *idx = i < ctx->indexes->n ? ctx->indexes->items[i] : NULL;
		source_file_list files = { 0 };
		diag_list problems = { 0 };

		if (!idx) {
			/* Purpose limitation: nothing of theirs is read. */
			log_debug("employee %s: outside the clause window, not scanned", e->id);
			continue;
		}
		stats.employees++;
		_cleanup_free_ char *inbox = source_inbox_path(cfg, e);
		if (inbox && mkdir(inbox, 0700) < 0 && errno != EEXIST && errno != ENOENT)
			log_errno(LOG_WARNING, errno, "employee %s: cannot create inbox %s", e->id, inbox);
		r = source_list_files(cfg, e, &files, &problems);
		for (char **p = problems.errors; p && *p; p++)
			log_warning("employee %s: %s", e->id, *p);
		for (size_t j = 0; r >= 0 && j < files.n; j++) {
			const source_file *f = &files.items[j];
			if (!ctx->ignore_settle && now_usec - f->mtime_usec < (int64_t)cfg->settle_usec) {
				stats.files_unsettled++;
				log_debug("employee %s: %s changed less than SettleTime= ago, next pass", e->id,
					  f->path);
				continue;
			}
			r = scan_one_file(ctx, e, idx, f, now, &stats);
		}
		source_file_list_done(&files);
		diag_done(&problems);
	}
	if (ret)
		*ret = stats;
	return r;
}
