/* alert.c — the JSON shapes of interfaces.md, built from hits, and the dedup
 * key. Keeping every shape in one file keeps `check`, the stored alert, the
 * file channel and `alerts --json` identical field for field. */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "contactwatch/alert.h"
#include "contactwatch/date.h"
#include "contactwatch/hash.h"

int hit_list_add(hit_list *l, const contact *c, match *m, classification cls)
{
	hit *items = realloc(l->items, (l->n + 1) * sizeof *items);
	if (!items)
		return -ENOMEM;
	l->items = items;
	hit *h = &items[l->n];
	memset(h, 0, sizeof *h);
	int r = contact_copy(c, &h->contact);
	if (r < 0)
		return r;
	h->match = *m;
	memset(m, 0, sizeof *m);
	h->cls = cls;
	/* A review-band match is a lead for a person to judge, not a
	 * breach: low whatever its date says. */
	h->sev = h->match.review ? SEVERITY_LOW : clause_severity(cls);
	l->n++;
	return 0;
}

void hit_list_done(hit_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		contact_done(&l->items[i].contact);
		match_done(&l->items[i].match);
	}
	l->items = mfree(l->items);
	l->n = 0;
}

int alert_key(const char *employee_id, const hit *h, char ret[static 65])
{
	_cleanup_free_ char *identity = NULL, *buf = NULL;
	int r, n;

	r = contact_identity(&h->contact, &identity);
	if (r < 0)
		return r;
	/* NUL separators: no field can contain one, so no two tuples collide. */
	n = asprintf(&buf, "%s%c%s%c%s", employee_id, 0, h->match.relation->id, 0, identity);
	if (n < 0)
		return -ENOMEM;
	return hash_sha256_hex(buf, (size_t)n, ret);
}

static json_t *json_string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *date_json(int32_t day)
{
	char buf[11];
	if (day == DATE_NONE)
		return json_null();
	date_format(day, buf);
	return json_string(buf);
}

/* Adds v to o under key (a literal, so no UTF-8 check) and says whether
 * both exist; v is consumed either way, as json_pack's "o" consumes it.
 * Built member by member rather than by json_pack: check --json builds one
 * of these per match, and parsing the format each time cost as much as
 * the objects themselves. */
static bool json_add(json_t *o, const char *key, json_t *v)
{
	return v && json_object_set_new_nocheck(o, key, v) == 0;
}

/* NULL when a string is not UTF-8 (or ENOMEM). */
static json_t *evidence_json(const match_evidence *e)
{
	json_t *o = json_object();

	if (json_add(o, "feature", json_string(e->feature)) && json_add(o, "contact", json_string_or_null(e->contact)) &&
	    json_add(o, "relation", json_string_or_null(e->relation)) && json_add(o, "score", json_real(e->score)))
		return o;
	json_decref(o);
	return NULL;
}

json_t *alert_match_json(const char *file, const hit *h)
{
	const contact *c = &h->contact;
	const relation *rel = h->match.relation;
	json_t *o = json_object(), *jc = json_object(), *jr = json_object(), *ev = json_array();

	/* An entry that cannot be built is left out; the match stands. */
	for (size_t i = 0; ev && i < h->match.n_evidence; i++)
		json_array_append_new(ev, evidence_json(&h->match.evidence[i]));
	if (!json_add(jc, "name", json_string_or_null(c->name)) ||
	    !json_add(jc, "company", json_string_or_null(c->company)) ||
	    !json_add(jc, "email", json_string_or_null(contact_email(c))) ||
	    !json_add(jc, "profile_url", json_string_or_null(contact_profile_url(c))) ||
	    !json_add(jc, "connected_on", date_json(c->connected_on)) ||
	    !json_add(jc, "event", json_string(contact_event_to_string(c->event))) ||
	    !json_add(jr, "id", json_string(rel->id)) ||
	    !json_add(jr, "type", json_string(relation_type_to_string(rel->type))) ||
	    !json_add(jr, "name", json_string(rel->name)))
		goto fail;
	/* From here the parts belong to o, whatever happens. */
	if (!json_add(o, "file", json_string_or_null(file)) || !json_add(o, "record", json_integer((json_int_t)c->record)) ||
	    !json_add(o, "line", json_integer((json_int_t)c->line)) || !json_add(o, "contact", TAKE_PTR(jc)) ||
	    !json_add(o, "relation", TAKE_PTR(jr)) || !json_add(o, "score", json_real(h->match.score)) ||
	    !json_add(o, "classification", json_string(classification_to_string(h->cls))) ||
	    !json_add(o, "severity", json_string(severity_to_string(h->sev))) ||
	    !json_add(o, "evidence", ev ? TAKE_PTR(ev) : json_array()))
		goto fail;
	if (h->match.review)
		json_object_set_new(o, "review", json_true());
	/* A date that could not be read without guessing: show what was
	 * written and why it was left undated, so the lawyer can judge. */
	if (c->date_note)
		json_object_set_new(json_object_get(o, "contact"), "date_note",
				    json_pack("{s:s?, s:s}", "raw", c->date_raw, "note", c->date_note));
	return o;
fail:
	json_decref(o);
	json_decref(jc);
	json_decref(jr);
	json_decref(ev);
	return NULL;
}

void alert_format_time(int64_t unix_seconds, char buf[static 32])
{
	time_t t = (time_t)unix_seconds;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "%lld", (long long)unix_seconds);
}

json_t *alert_body_json(const alert_context *ctx, const hit *h, const char *key)
{
	const employee *e = ctx->employee;
	char received[32], created[32];
	json_t *o = alert_match_json(ctx->file, h);

	if (!o)
		return NULL;
	alert_format_time(ctx->received_at, received);
	alert_format_time(ctx->created_at, created);
	if (json_object_set_new(o, "key", json_string(key)) < 0 ||
	    json_object_set_new(o, "employee", json_pack("{s:s, s:s}", "id", e->id, "name", e->name)) < 0 ||
	    json_object_set_new(o, "window",
				json_pack("{s:o, s:o}", "start", date_json(e->departure), "end",
					  date_json(e->window_end))) < 0 ||
	    json_object_set_new(o, "clause",
				json_pack("{s:o, s:o}", "reference", json_string_or_null(e->reference),
					  "penalty", json_string_or_null(e->penalty))) < 0 ||
	    json_object_set_new(o, "source",
				json_pack("{s:o, s:s, s:s}", "file", json_string_or_null(ctx->file), "sha256",
					  ctx->sha256, "received_at", received)) < 0 ||
	    json_object_set_new(o, "created_at", json_string(created)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *json_decref_null(json_t *j)
{
	json_decref(j);
	return NULL;
}

json_t *alert_json(const store_alert *a, json_t *history)
{
	json_error_t err;
	json_t *o = json_loads(a->body, 0, &err);

	if (!o || !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	/* id first, for people reading `show --json`; then the stored body. */
	json_t *out = json_pack("{s:I}", "id", (json_int_t)a->id);
	if (!out || json_object_update(out, o) < 0 ||
	    json_object_set_new(out, "state", json_string(a->state)) < 0 ||
	    json_object_set_new(out, "history", history ? json_incref(history) : json_array()) < 0)
		out = json_decref_null(out);
	json_decref(o);
	return out;
}

static int alert_history_collect(const store_history *h, void *userdata)
{
	char at[32];

	alert_format_time(h->at, at);
	return json_array_append_new(userdata, json_pack("{s:s, s:s, s:s, s:s?}", "at", at, "actor", h->actor,
							 "action", h->action, "note", h->note)) < 0
		       ? -ENOMEM
		       : 0;
}

int alert_json_load(store *st, const store_alert *a, json_t **ret)
{
	json_t *history = json_array();
	int r = history ? store_history_foreach(st, a->id, alert_history_collect, history) : -ENOMEM;

	if (r >= 0) {
		*ret = alert_json(a, history);
		if (!*ret)
			r = -EBADMSG; /* a body that is not JSON any more */
	}
	json_decref(history);
	return r;
}

json_t *alert_pseudonymized(const json_t *alert)
{
	const json_t *id = json_object_get(json_object_get(alert, "employee"), "id");
	json_t *copy, *who;

	if (!json_is_string(id))
		return NULL;
	/* Deep: the caller's alert (maybe shared with other channels) must
	 * keep the name. */
	copy = json_deep_copy(alert);
	if (!copy)
		return NULL;
	who = json_object_get(copy, "employee");
	if (json_object_set_new(who, "name", json_string(json_string_value(id))) < 0)
		return json_decref_null(copy);
	return copy;
}
