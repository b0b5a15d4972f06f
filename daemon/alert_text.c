/* alert_text.c — what a message about one alert says, in words, written
 * once for every channel a person reads (Slack, Teams, mail), so that they
 * cannot drift apart. Values come from the alert JSON as given: the caller
 * has already pseudonymized it when the channel says so. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <utf8proc.h>

#include "contactwatch/alert_text.h"
#include "contactwatch/strbuf.h"

static const char *jstr(const json_t *o, const char *k1, const char *k2)
{
	const json_t *v = json_object_get(o, k1);
	if (k2)
		v = json_object_get(v, k2);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int alert_text_check(const json_t *a)
{
	const json_t *ev = json_object_get(a, "evidence");

	if (!json_is_object(a) || !json_is_integer(json_object_get(a, "id")) || !jstr(a, "key", NULL) ||
	    !jstr(a, "severity", NULL) || !jstr(a, "classification", NULL) || !jstr(a, "employee", "id") ||
	    !jstr(a, "relation", "id") || !jstr(a, "relation", "name") || (ev && !json_is_array(ev)))
		return -EINVAL;
	return 0;
}

size_t alert_text_char_len(const char *s)
{
	unsigned char c = (unsigned char)s[0];
	size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1, n = 1;

	while (n < want && ((unsigned char)s[n] & 0xC0) == 0x80)
		n++;
	return n;
}

static bool blanked(utf8proc_int32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

char *alert_text_clean(const char *s, size_t max)
{
	strbuf b = { 0 };
	size_t n = strlen(s), i = 0;
	char *ret = NULL;

	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
		const char *piece = s + i;
		size_t len;

		if (k <= 0 || cp < 0) {
			piece = "\xEF\xBF\xBD"; /* U+FFFD for the one bad byte */
			len = 3;
			k = 1;
		} else if (blanked(cp)) {
			piece = " ";
			len = 1;
		} else {
			len = (size_t)k;
		}
		if (b.len + len > max) {
			strbuf_puts(&b, "\xE2\x80\xA6"); /* … */
			break;
		}
		strbuf_putn(&b, piece, len);
		i += (size_t)k;
	}
	return strbuf_steal(&b, &ret, NULL) < 0 ? NULL : ret;
}

/* The strings of one alert, cleaned and clipped; NULL where the alert has
 * none (or an empty one). */
typedef struct fields {
	char *emp_id, *emp_name, *rel_id, *rel_name, *rel_type;
	char *c_name, *c_company, *c_email, *c_url, *c_date, *date_raw, *date_note;
	char *win_start, *win_end, *reference, *penalty;
	char *file, *sha256, *received, *key, *severity, *cls;
} fields;

static void fields_done(fields *f)
{
	char **all[] = { &f->emp_id, &f->emp_name, &f->rel_id, &f->rel_name, &f->rel_type, &f->c_name,
			 &f->c_company, &f->c_email, &f->c_url, &f->c_date, &f->date_raw, &f->date_note,
			 &f->win_start, &f->win_end, &f->reference, &f->penalty, &f->file, &f->sha256,
			 &f->received, &f->key, &f->severity, &f->cls };
	for (size_t i = 0; i < ELEMENTSOF(all); i++)
		*all[i] = mfree(*all[i]);
}

static int field(const json_t *a, const char *k1, const char *k2, char **ret)
{
	const char *s = jstr(a, k1, k2);
	if (isempty(s))
		return 0;
	*ret = alert_text_clean(s, ALERT_TEXT_MAX_VALUE);
	return *ret ? 0 : -ENOMEM;
}

static int fields_load(fields *f, const json_t *a)
{
	const json_t *note = json_object_get(json_object_get(a, "contact"), "date_note");
	int r = 0;

	*f = (fields){ 0 };
	if ((r = field(a, "employee", "id", &f->emp_id)) < 0 || (r = field(a, "employee", "name", &f->emp_name)) < 0 ||
	    (r = field(a, "relation", "id", &f->rel_id)) < 0 || (r = field(a, "relation", "name", &f->rel_name)) < 0 ||
	    (r = field(a, "relation", "type", &f->rel_type)) < 0 || (r = field(a, "contact", "name", &f->c_name)) < 0 ||
	    (r = field(a, "contact", "company", &f->c_company)) < 0 ||
	    (r = field(a, "contact", "email", &f->c_email)) < 0 ||
	    (r = field(a, "contact", "profile_url", &f->c_url)) < 0 ||
	    (r = field(a, "contact", "connected_on", &f->c_date)) < 0 ||
	    (r = field(note, "raw", NULL, &f->date_raw)) < 0 || (r = field(note, "note", NULL, &f->date_note)) < 0 ||
	    (r = field(a, "window", "start", &f->win_start)) < 0 || (r = field(a, "window", "end", &f->win_end)) < 0 ||
	    (r = field(a, "clause", "reference", &f->reference)) < 0 ||
	    (r = field(a, "clause", "penalty", &f->penalty)) < 0 || (r = field(a, "file", NULL, &f->file)) < 0 ||
	    (r = field(a, "source", "sha256", &f->sha256)) < 0 ||
	    (r = field(a, "source", "received_at", &f->received)) < 0 || (r = field(a, "key", NULL, &f->key)) < 0 ||
	    (r = field(a, "severity", NULL, &f->severity)) < 0 ||
	    (r = field(a, "classification", NULL, &f->cls)) < 0)
		fields_done(f);
	/* alert_text_check made sure these exist; cleaning cannot empty them. */
	else if (!f->emp_id || !f->rel_id || !f->rel_name || !f->key || !f->severity || !f->cls) {
		fields_done(f);
		r = -EINVAL;
	}
	return r;
}

__attribute__((format(printf, 2, 3))) static char *format(int *r, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (*r < 0)
		return NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
		*r = -ENOMEM;
	}
	va_end(ap);
	return s;
}

/* Takes value (NULL: ENOMEM, already in *r, or nothing to show). */
static void row_add(alert_text *t, const int *r, const char *label, alert_text_kind kind, char *value)
{
	if (*r < 0 || !value || t->n_rows >= ALERT_TEXT_MAX_ROWS) {
		free(value);
		return;
	}
	t->rows[t->n_rows++] = (alert_text_row){ .label = label, .value = value, .kind = kind };
}

static char *copy(int *r, const char *s)
{
	if (!s || *r < 0)
		return NULL;
	char *c = strdup(s);
	if (!c)
		*r = -ENOMEM;
	return c;
}

static const char *classification_gloss(const char *cls)
{
	if (streq(cls, "in_window"))
		return "dated inside the clause window";
	if (streq(cls, "pre_existing"))
		return "dated before the departure date: an existing relationship";
	if (streq(cls, "new_since_baseline"))
		return "undated, and new since this source's earlier export";
	if (streq(cls, "undated"))
		return "undated (the first export of this source)";
	return "unknown classification";
}

static const char *date_label(const char *event)
{
	if (event && streq(event, "invitation_outgoing"))
		return "Invitation sent";
	if (event && streq(event, "invitation_incoming"))
		return "Invitation received";
	return "Connected on";
}

/* The contact's date against the clause window: the fact the whole alert
 * turns on (domain.md), so said in words and not left to the reader. */
static char *date_text(int *r, const fields *f, const char *cls)
{
	_cleanup_free_ char *window = NULL, *base = NULL;

	if (f->win_start && f->win_end)
		window = format(r, "clause window %s to %s", f->win_start, f->win_end);
	else
		window = copy(r, "clause window unknown");
	if (!window)
		return NULL;
	if (f->c_date && f->win_start && f->win_end && strcmp(f->c_date, f->win_start) < 0)
		base = format(r, "%s, before the departure date (%s)", f->c_date, window);
	else if (f->c_date && f->win_start && f->win_end && strcmp(f->c_date, f->win_end) > 0)
		base = format(r, "%s, after the end of the %s", f->c_date, window);
	else if (f->c_date && f->win_start && f->win_end)
		base = format(r, "%s, inside the %s", f->c_date, window);
	else if (f->c_date)
		base = format(r, "%s (%s)", f->c_date, window);
	else if (streq(cls, "new_since_baseline"))
		base = format(r, "no date; absent from this source's earlier export, so new since then (%s)", window);
	else
		base = format(r, "no date in the export (%s)", window);
	if (!base || !f->date_note)
		return TAKE_PTR(base);
	return format(r, "%s; written \"%s\": %s", base, strempty(f->date_raw), f->date_note);
}

static int evidence_load(alert_text *t, const json_t *a)
{
	const json_t *ev = json_object_get(a, "evidence");
	size_t n = json_array_size(ev);
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		const json_t *e = json_array_get(ev, i);
		_cleanup_free_ char *feature = NULL, *contact = NULL, *relation = NULL, *line = NULL;

		if (i == ALERT_TEXT_MAX_EVIDENCE) {
			line = format(&r, "\xE2\x80\xA6 and %zu more (contactwatchctl show %lld)", n - i, t->id);
			if (line)
				r = strv_push(&t->evidence, line);
			break;
		}
		if ((r = field(e, "feature", NULL, &feature)) < 0 || (r = field(e, "contact", NULL, &contact)) < 0 ||
		    (r = field(e, "relation", NULL, &relation)) < 0)
			break;
		line = format(&r, "%s: %s \xE2\x89\x88 %s (%.2f)", feature ? feature : "match", contact ? contact : "-",
			      relation ? relation : "-", json_number_value(json_object_get(e, "score")));
		if (line)
			r = strv_push(&t->evidence, line);
	}
	t->n_evidence = strv_length(t->evidence);
	return r;
}

int alert_text_init(alert_text *t, const json_t *a)
{
	fields f;
	int r;

	*t = (alert_text){ 0 };
	r = alert_text_check(a);
	if (r < 0)
		return r;
	r = fields_load(&f, a);
	if (r < 0)
		return r;
	t->id = (long long)json_integer_value(json_object_get(a, "id"));
	t->severity = copy(&r, f.severity);
	t->employee_id = copy(&r, f.emp_id);
	/* A pseudonymized alert carries the Id as the name: say it once. */
	t->employee_name = copy(&r, f.emp_name ? f.emp_name : f.emp_id);
	t->relation_name = copy(&r, f.rel_name);
	t->headline = f.reference ? format(&r, "possible breach of %s", f.reference)
				  : copy(&r, "possible breach of the relatiebeding");
	t->summary = format(&r, "%s: %s \xE2\x80\x93 %s", f.severity, f.emp_name ? f.emp_name : f.emp_id, f.rel_name);
	t->triage = format(&r, "contactwatchctl show %lld", t->id);

	row_add(t, &r, "Employee", ALERT_TEXT_PROSE,
		!f.emp_name || streq(f.emp_name, f.emp_id) ? copy(&r, f.emp_id)
							    : format(&r, "%s (%s)", f.emp_name, f.emp_id));
	row_add(t, &r, "Relation", ALERT_TEXT_PROSE,
		f.rel_type ? format(&r, "%s (%s, %s)", f.rel_name, f.rel_id, f.rel_type)
			   : format(&r, "%s (%s)", f.rel_name, f.rel_id));
	row_add(t, &r, "Contact", ALERT_TEXT_PROSE, copy(&r, f.c_name ? f.c_name : "(no name in the export)"));
	row_add(t, &r, "Company", ALERT_TEXT_PROSE, copy(&r, f.c_company));
	row_add(t, &r, "E-mail", ALERT_TEXT_ADDRESS, copy(&r, f.c_email));
	row_add(t, &r, "Profile", ALERT_TEXT_ADDRESS, copy(&r, f.c_url));
	row_add(t, &r, "Classification", ALERT_TEXT_PROSE,
		format(&r, "%s (%s), severity %s, score %.2f%s", f.cls, classification_gloss(f.cls), f.severity,
		       json_number_value(json_object_get(a, "score")),
		       json_is_true(json_object_get(a, "review")) ? "; review band: a lead to judge, not a breach" : ""));
	row_add(t, &r, date_label(jstr(a, "contact", "event")), ALERT_TEXT_PROSE, date_text(&r, &f, f.cls));
	if (f.reference && f.penalty)
		row_add(t, &r, "Clause", ALERT_TEXT_PROSE, format(&r, "%s; penalty %s", f.reference, f.penalty));
	else if (f.reference || f.penalty)
		row_add(t, &r, "Clause", ALERT_TEXT_PROSE,
			f.reference ? copy(&r, f.reference) : format(&r, "penalty %s", f.penalty));
	row_add(t, &r, "Source", ALERT_TEXT_ADDRESS, copy(&r, f.file));
	row_add(t, &r, "Record", ALERT_TEXT_PROSE,
		format(&r, "%lld (line %lld)", (long long)json_integer_value(json_object_get(a, "record")),
		       (long long)json_integer_value(json_object_get(a, "line"))));
	row_add(t, &r, "SHA-256", ALERT_TEXT_ADDRESS, copy(&r, f.sha256));
	row_add(t, &r, "Received", ALERT_TEXT_PROSE, copy(&r, f.received));
	row_add(t, &r, "Alert", ALERT_TEXT_PROSE, format(&r, "%lld, key %s", t->id, f.key));
	if (r == 0)
		r = evidence_load(t, a);
	fields_done(&f);
	if (r < 0)
		alert_text_done(t);
	return r;
}

void alert_text_done(alert_text *t)
{
	free(t->severity);
	free(t->employee_id);
	free(t->employee_name);
	free(t->relation_name);
	free(t->headline);
	free(t->summary);
	free(t->triage);
	for (size_t i = 0; i < t->n_rows; i++)
		free(t->rows[i].value);
	strv_free(t->evidence);
	*t = (alert_text){ 0 };
}
