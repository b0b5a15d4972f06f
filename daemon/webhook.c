/* webhook.c — the body and headers of a webhook POST for one alert: the
 * alert JSON itself (Format=generic), or a message a person reads at a
 * glance (slack: Block Kit; teams: a MessageCard) built from alert_text.
 * Every value from the alert reaches Slack and Teams as inline code,
 * through one escaper per target: exports are untrusted input, and a name
 * such as "<!channel> *x* [a](http://evil)" must show as text, never as a
 * mention, formatting or a link. */
#include <errno.h>
#include <stdio.h>

#include "contactwatch/alert_text.h"
#include "contactwatch/hash.h"
#include "contactwatch/strbuf.h"
#include "contactwatch/webhook.h"

/* Slack's limits (Block Kit reference): a header's plain text 150
 * characters, a field 2000, a section's text 3000, 10 fields a section.
 * Our budgets are in bytes, which never exceed characters' count. */
#define SLACK_HEADER_MAX 140u
#define SLACK_FIELD_MAX 1900u
#define SLACK_TEXT_MAX 2900u
#define SLACK_FIELDS_PER_SECTION 10u

/* "…" */
#define ELLIPSIS "\xE2\x80\xA6"

/* Slack wants &, < and > escaped in every text (it decodes them
 * everywhere; a raw '<' opens a mention or a link). As inline code (code:
 * true) no mrkdwn formatting, mention or link applies inside, so a URL
 * shows as plain, non-clickable text; Slack has no escape for '`' itself,
 * so it becomes U+02CB, a look-alike. At most max bytes of output, the
 * backticks included: then "…", never half an escape or a character. */
static void slack_escape(strbuf *b, const char *s, size_t max, bool code)
{
	size_t used = code ? 2 : 0;

	if (code)
		strbuf_putc(b, '`');
	while (*s) {
		size_t n = alert_text_char_len(s);
		const char *piece = s;
		size_t len = n;
		if (*s == '&')
			piece = "&amp;", len = 5;
		else if (*s == '<')
			piece = "&lt;", len = 4;
		else if (*s == '>')
			piece = "&gt;", len = 4;
		else if (*s == '`' && code)
			piece = "\xCB\x8B", len = 2;
		if (used + len + strlen(ELLIPSIS) > max) {
			strbuf_puts(b, ELLIPSIS);
			break;
		}
		strbuf_putn(b, piece, len);
		used += len;
		s += n;
	}
	if (code)
		strbuf_putc(b, '`');
}

static void slack_code(strbuf *b, const char *s, size_t max)
{
	slack_escape(b, s, max, true);
}

/* Teams renders MessageCard text as Markdown with some HTML. Inline code
 * stops Markdown (links, emphasis) and auto-linking; in it a backslash
 * escapes nothing, so the characters that could end the code or open HTML
 * become look-alikes: '`' U+02CB, '<' U+2039, '>' U+203A. */
static void teams_code(strbuf *b, const char *s)
{
	strbuf_putc(b, '`');
	for (; *s; s++) {
		if (*s == '`')
			strbuf_puts(b, "\xCB\x8B");
		else if (*s == '<')
			strbuf_puts(b, "\xE2\x80\xB9");
		else if (*s == '>')
			strbuf_puts(b, "\xE2\x80\xBA");
		else
			strbuf_putc(b, *s);
	}
	strbuf_putc(b, '`');
}

/* Takes *b's string into a new JSON string; NULL on error (then b is done). */
static json_t *strbuf_json(strbuf *b)
{
	_cleanup_free_ char *s = NULL;
	if (strbuf_steal(b, &s, NULL) < 0)
		return NULL;
	return json_string(s);
}

static json_t *slack_mrkdwn(strbuf *b)
{
	json_t *text = strbuf_json(b);
	/* verbatim: Slack must not turn anything into links or mentions. */
	return text ? json_pack("{s:s, s:o, s:b}", "type", "mrkdwn", "text", text, "verbatim", 1) : NULL;
}

static json_t *slack_body(const alert_text *t)
{
	strbuf b = { 0 };
	json_t *blocks = json_array(), *fields = NULL, *body = NULL, *o;

	if (!blocks)
		return NULL;
	/* The header is plain text (never mrkdwn), clipped to Slack's limit. */
	strbuf_puts(&b, "contactwatch: ");
	slack_escape(&b, t->headline, SLACK_HEADER_MAX - b.len, false);
	o = strbuf_json(&b);
	if (!o || json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:o, s:b}}", "type", "header", "text", "type",
							  "plain_text", "text", o, "emoji", 0)) < 0)
		goto fail;

	for (size_t i = 0; i < t->n_rows; i++) {
		if (!fields && !(fields = json_array()))
			goto fail;
		strbuf_printf(&b, "*%s*\n", t->rows[i].label);
		slack_code(&b, t->rows[i].value, SLACK_FIELD_MAX);
		if (json_array_append_new(fields, slack_mrkdwn(&b)) < 0)
			goto fail;
		if (json_array_size(fields) == SLACK_FIELDS_PER_SECTION || i + 1 == t->n_rows) {
			if (json_array_append_new(blocks, json_pack("{s:s, s:o}", "type", "section", "fields", fields)) < 0) {
				fields = NULL; /* json_pack stole it even on failure */
				goto fail;
			}
			fields = NULL;
		}
	}

	strbuf_puts(&b, "*Why*");
	for (size_t i = 0; i < t->n_evidence; i++) {
		strbuf_puts(&b, "\n\xE2\x80\xA2 "); /* • */
		slack_code(&b, t->evidence[i], SLACK_FIELD_MAX / 4);
		if (b.len > SLACK_TEXT_MAX - SLACK_FIELD_MAX / 4) {
			if (i + 1 < t->n_evidence)
				strbuf_puts(&b, "\n" ELLIPSIS);
			break;
		}
	}
	if (!t->n_evidence)
		strbuf_puts(&b, "\n(no evidence recorded)");
	if (json_array_append_new(blocks, json_pack("{s:s, s:o}", "type", "section", "text", slack_mrkdwn(&b))) < 0)
		goto fail;

	strbuf_printf(&b, "Triage with ");
	slack_code(&b, t->triage, SLACK_FIELD_MAX);
	if (json_array_append_new(blocks, json_pack("{s:s, s:[o]}", "type", "context", "elements", slack_mrkdwn(&b))) < 0)
		goto fail;

	/* The notification text, for clients that cannot show blocks. */
	strbuf_printf(&b, "contactwatch alert %lld, severity ", t->id);
	slack_code(&b, t->severity, SLACK_FIELD_MAX);
	strbuf_puts(&b, ": employee ");
	slack_code(&b, t->employee_name, SLACK_FIELD_MAX);
	strbuf_puts(&b, ", relation ");
	slack_code(&b, t->relation_name, SLACK_FIELD_MAX);
	o = strbuf_json(&b);
	if (!o)
		goto fail;
	body = json_pack("{s:o, s:o, s:b, s:b}", "text", o, "blocks", blocks, "unfurl_links", 0, "unfurl_media", 0);
	return body; /* json_pack took blocks, also on failure */
fail:
	strbuf_done(&b);
	json_decref(fields);
	json_decref(blocks);
	return NULL;
}

static const char *teams_color(const char *sev)
{
	if (streq(sev, "high"))
		return "C4314B";
	if (streq(sev, "medium"))
		return "F7630C";
	return "8A8886";
}

static json_t *teams_fact(strbuf *b, const char *name, const char *value)
{
	json_t *v;
	teams_code(b, value);
	v = strbuf_json(b);
	return v ? json_pack("{s:s, s:o}", "name", name, "value", v) : NULL;
}

static json_t *teams_body(const alert_text *t)
{
	strbuf b = { 0 };
	json_t *facts = json_array(), *why = json_array(), *o;
	char *title = NULL, *activity = NULL;

	if (!facts || !why)
		goto fail;
	for (size_t i = 0; i < t->n_rows; i++)
		if (json_array_append_new(facts, teams_fact(&b, t->rows[i].label, t->rows[i].value)) < 0)
			goto fail;
	for (size_t i = 0; i < t->n_evidence; i++)
		if (json_array_append_new(why, teams_fact(&b, "Why", t->evidence[i])) < 0)
			goto fail;
	strbuf_puts(&b, "Triage with ");
	teams_code(&b, t->triage);
	o = strbuf_json(&b);
	/* The title and summary are not rendered as Markdown; the title names
	 * the clause (from the configuration), the summary what is in it. */
	if (!o)
		goto fail;
	if (asprintf(&title, "contactwatch: %s", t->headline) < 0)
		title = NULL;
	if (asprintf(&activity, "Alert %lld, severity %s", t->id, t->severity) < 0)
		activity = NULL;
	if (!title || !activity) {
		json_decref(o);
		goto fail;
	}
	json_t *card = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:o, s:b}, {s:s, s:o, s:b}, {s:o, s:b}]}", "@type",
				 "MessageCard", "@context", "http://schema.org/extensions", "summary", t->summary,
				 "themeColor", teams_color(t->severity), "title", title, "sections", "activityTitle",
				 activity, "facts", facts, "markdown", 1, "activityTitle", "Why it matched", "facts", why,
				 "markdown", 1, "text", o, "markdown", 1);
	free(title);
	free(activity);
	return card; /* json_pack took facts, why and o, also on failure */
fail:
	free(title);
	free(activity);
	strbuf_done(&b);
	json_decref(facts);
	json_decref(why);
	return NULL;
}

/* Header values go on the wire as given: no control characters, which
 * would split the header, and printable ASCII only. */
static bool header_value_ok(const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
			return false;
	return n > 0 && n < max;
}

int webhook_request_build(const channel_config *ch, const json_t *alert, const char *idem_key,
			  const void *secret, size_t secret_len, webhook_request *ret)
{
	const char *fmt = ch->format ? ch->format : "generic";
	webhook_request req = { 0 };
	json_t *msg = NULL;
	alert_text t;
	int r;

	if (!idem_key || !header_value_ok(idem_key, sizeof req.idempotency_key))
		return -EINVAL;
	/* A zero-length key signs nothing a receiver could check: refuse it
	 * rather than send a signature that proves nothing. */
	if (secret && secret_len == 0)
		return -EINVAL;
	r = alert_text_check(alert);
	if (r < 0)
		return r;

	if (streq(fmt, "generic")) {
		req.body = json_dumps(alert, JSON_COMPACT);
	} else if (streq(fmt, "slack") || streq(fmt, "teams")) {
		r = alert_text_init(&t, alert);
		if (r < 0)
			return r;
		msg = streq(fmt, "slack") ? slack_body(&t) : teams_body(&t);
		alert_text_done(&t);
		if (!msg)
			return -ENOMEM;
		req.body = json_dumps(msg, JSON_COMPACT);
		json_decref(msg);
	} else {
		return -EINVAL;
	}
	if (!req.body)
		return -ENOMEM;
	req.body_len = strlen(req.body);
	memcpy(req.idempotency_key, idem_key, strlen(idem_key) + 1);
	if (secret) {
		char hex[65];
		r = hash_hmac_sha256_hex(secret, secret_len, req.body, req.body_len, hex);
		if (r < 0) {
			webhook_request_done(&req);
			return r;
		}
		snprintf(req.signature, sizeof req.signature, "sha256=%s", hex);
	}
	*ret = req;
	return 0;
}

void webhook_request_done(webhook_request *r)
{
	free(r->body);
	*r = (webhook_request){ 0 };
}
