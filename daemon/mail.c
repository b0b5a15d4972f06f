/* mail.c — the RFC 5322 message of the smtp channel: headers (RFC 2047
 * encoded-words for the Subject), a multipart/alternative body with a
 * plain-text and a simple HTML part, both UTF-8 in quoted-printable
 * (RFC 2045), CRLF everywhere. One alert, or a digest of one employee's
 * alerts of a scan. Deterministic: the same input gives the same bytes. */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "contactwatch/alert_text.h"
#include "contactwatch/hash.h"
#include "contactwatch/mail.h"
#include "contactwatch/strbuf.h"

#define MAIL_LINE_SOFT 78u   /* RFC 5322 2.1.1: SHOULD */
#define MAIL_LINE_HARD 998u  /* RFC 5322 2.1.1: MUST */
#define MAIL_QP_LINE 76u     /* RFC 2045 6.7 (5) */
#define MAIL_EW_MAX 75u      /* RFC 2047 2: one encoded-word */
#define MAIL_EW_LINE 76u     /* RFC 2047 2: a header line holding encoded-words */
#define MAIL_ADDR_MAX 900u   /* From= or one To= address, so its header line stays under 998 */
#define EW_PREFIX "=?UTF-8?Q?"
#define EW_SUFFIX "?="
#define EW_OVERHEAD (sizeof(EW_PREFIX) - 1 + sizeof(EW_SUFFIX) - 1)
#define LABEL_WIDTH 21

static const char hexdigits[] = "0123456789ABCDEF";

/* ---- headers ------------------------------------------------------------ */

/* Printable ASCII without "=?": sent as is, since a decoder would take an
 * "=?...?=" in plain text for an encoded-word and show something else. */
static bool header_plain(const char *v)
{
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return false;
	return !strstr(v, "=?");
}

/* Folds a plain value before a space where a line would pass 78
 * characters; unfolding (removing the CRLF) gives the value back. A line
 * is never folded to whitespace only. -E2BIG when one word alone would pass
 * 998: the caller encodes it instead. */
static int header_fold_plain(const char *v, size_t col, strbuf *b)
{
	size_t i = 0, n = strlen(v);

	while (i < n) {
		size_t j = i, word;
		while (j < n && v[j] == ' ')
			j++;
		word = j;
		while (j < n && v[j] != ' ')
			j++;
		if (i > 0 && j > word && col + (j - i) > MAIL_LINE_SOFT) {
			strbuf_puts(b, "\r\n");
			col = 0;
		}
		if (col + (j - i) > MAIL_LINE_HARD)
			return -E2BIG;
		strbuf_putn(b, v + i, j - i);
		col += j - i;
		i = j;
	}
	return 0;
}

/* Q encoding (RFC 2047 4.2), keeping only the characters 5(3) allows in
 * any header, so the word is safe in a phrase as well as in a Subject. */
static size_t q_encode_char(const char *s, size_t n, char out[static 13])
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("!*+-/", c))
			out[k++] = (char)c;
		else if (c == ' ')
			out[k++] = '_';
		else {
			out[k++] = '=';
			out[k++] = hexdigits[c >> 4];
			out[k++] = hexdigits[c & 15];
		}
	}
	out[k] = '\0';
	return k;
}

static void header_encode_words(const char *v, size_t header_len, strbuf *b)
{
	/* The first word shares its line with the header name. After a name
	 * too long to leave room for a 4-byte character, the value starts on
	 * the next line (the fold is whitespace a reader drops). */
	size_t budget = MAIL_EW_LINE - 1, used = 0;
	char q[13];

	if (header_len + EW_OVERHEAD + 12 <= MAIL_EW_LINE)
		budget = MAIL_EW_LINE - header_len;
	else
		strbuf_puts(b, "\r\n ");
	if (budget > MAIL_EW_MAX)
		budget = MAIL_EW_MAX;
	strbuf_puts(b, EW_PREFIX);
	for (const char *p = v; *p;) {
		size_t n = alert_text_char_len(p);
		size_t k = q_encode_char(p, n, q);
		/* A character's bytes stay in one word: a decoder may decode
		 * each word on its own. */
		if (used > 0 && EW_OVERHEAD + used + k > budget) {
			strbuf_puts(b, EW_SUFFIX "\r\n " EW_PREFIX);
			used = 0;
			budget = MAIL_EW_LINE - 1; /* " " + word */
			if (budget > MAIL_EW_MAX)
				budget = MAIL_EW_MAX;
		}
		strbuf_putn(b, q, k);
		used += k;
		p += n;
	}
	strbuf_puts(b, EW_SUFFIX);
}

int mail_encode_header(const char *value, size_t header_len, char **ret)
{
	strbuf b = { 0 };

	if (!value)
		return -EINVAL;
	if (header_plain(value) && header_fold_plain(value, header_len, &b) == 0)
		return strbuf_steal(&b, ret, NULL);
	strbuf_done(&b);
	header_encode_words(value, header_len, &b);
	return strbuf_steal(&b, ret, NULL);
}

/* An address as configured (From=, To=): printable ASCII, so it can go
 * into a header as is; anything else is refused, never encoded: a control
 * character would start a header of its own. */
static bool address_ok(const char *a)
{
	size_t n = 0;
	for (; a[n]; n++)
		if ((unsigned char)a[n] < 0x20 || (unsigned char)a[n] > 0x7e)
			return false;
	return n > 0 && n <= MAIL_ADDR_MAX;
}

/* The domain of From= for the Message-ID ("Name <a@b.example>" or
 * "a@b.example"): letters, digits, '-' and '.' only; else "localhost". */
static void from_domain(const char *from, char ret[static 256])
{
	const char *at = strrchr(from, '@');
	size_t n = 0;

	if (at)
		for (const char *p = at + 1; *p && *p != '>' && n < 255; p++) {
			char c = *p;
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			      c == '.')) {
				n = 0;
				break;
			}
			ret[n++] = c;
		}
	if (n == 0 || ret[0] == '.' || ret[n - 1] == '.')
		n = (size_t)snprintf(ret, 256, "localhost");
	ret[n] = '\0';
}

/* RFC 5322 3.3 in UTC, with English names whatever the locale. */
static int mail_date(int64_t now, char ret[static 40])
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)now;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 1900 || tm.tm_year + 1900 > 9999)
		return -EINVAL;
	snprintf(ret, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}

static void header_to(strbuf *b, char *const *to)
{
	size_t col = strlen("To: ");

	strbuf_puts(b, "To: ");
	for (size_t i = 0; to[i]; i++) {
		size_t n = strlen(to[i]);
		if (i > 0) {
			strbuf_putc(b, ',');
			col++;
			if (col + 1 + n > MAIL_LINE_SOFT) {
				strbuf_puts(b, "\r\n");
				col = 0;
			}
			strbuf_putc(b, ' ');
			col++;
		}
		strbuf_puts(b, to[i]);
		col += n;
	}
	strbuf_puts(b, "\r\n");
}

/* ---- body ---------------------------------------------------------------- */

/* Quoted-printable (RFC 2045 6.7) of UTF-8 text whose lines end in "\n":
 * hard line breaks become CRLF; lines are at most 76 characters, a soft
 * break "=" CRLF included; '=', controls, non-ASCII bytes and whitespace at
 * a line's end are encoded. A '.' or "From " starting a line is encoded
 * too, so that no relay or mbox along the way can take it for something else. */
static void qp_encode(strbuf *out, const char *s)
{
	size_t col = 0;

	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		bool eol = s[i + 1] == '\n' || s[i + 1] == '\0';
		bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !eol);
		size_t len;

		if (c == '\n') {
			strbuf_puts(out, "\r\n");
			col = 0;
			continue;
		}
		len = literal ? 1 : 3;
		/* The last character of a line needs no room for a soft break. */
		if (col + len > (eol ? MAIL_QP_LINE : MAIL_QP_LINE - 1)) {
			strbuf_puts(out, "=\r\n");
			col = 0;
		}
		if (col == 0 && (c == '.' || (c == 'F' && strncmp(s + i, "From ", 5) == 0)))
			literal = false, len = 3;
		if (literal) {
			strbuf_putc(out, (char)c);
		} else {
			char e[3] = { '=', hexdigits[c >> 4], hexdigits[c & 15] };
			strbuf_putn(out, e, 3);
		}
		col += len;
	}
}

static void html_escape(strbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': strbuf_puts(b, "&amp;"); break;
		case '<': strbuf_puts(b, "&lt;"); break;
		case '>': strbuf_puts(b, "&gt;"); break;
		case '"': strbuf_puts(b, "&quot;"); break;
		case '\'': strbuf_puts(b, "&#39;"); break;
		default: strbuf_putc(b, *s); break;
		}
	}
}

static void text_alert(strbuf *b, const alert_text *t)
{
	for (size_t i = 0; i < t->n_rows; i++) {
		int pad = LABEL_WIDTH - (int)strlen(t->rows[i].label) - 1;
		strbuf_printf(b, "%s:%*s%s\n", t->rows[i].label, pad > 1 ? pad : 1, "", t->rows[i].value);
	}
	strbuf_puts(b, "Why:\n");
	for (size_t i = 0; i < t->n_evidence; i++)
		strbuf_printf(b, "  - %s\n", t->evidence[i]);
	if (!t->n_evidence)
		strbuf_puts(b, "  (no evidence recorded)\n");
	strbuf_printf(b, "\nTriage with: %s\n", t->triage);
}

static void text_body(strbuf *b, const alert_text *t, size_t n)
{
	if (n == 1) {
		strbuf_printf(b, "contactwatch found a %s.\n\n", t[0].headline);
		strbuf_printf(b,
			      "A contact in an export of %s matches %s, a relation named in the clause.\n"
			      "Severity %s.\n\n",
			      t[0].rows[0].value, t[0].relation_name, t[0].severity);
		text_alert(b, &t[0]);
		return;
	}
	strbuf_printf(b, "contactwatch found %zu alerts in one scan of the exports of %s.\n", n, t[0].rows[0].value);
	for (size_t i = 0; i < n; i++) {
		strbuf_printf(b, "\n\n=== Alert %lld (%zu of %zu), severity %s: %s ===\n\n", t[i].id, i + 1, n,
			      t[i].severity, t[i].headline);
		text_alert(b, &t[i]);
	}
}

static void html_alert(strbuf *b, const alert_text *t)
{
	strbuf_puts(b, "<table cellpadding=\"3\" style=\"border-collapse:collapse\">\n");
	for (size_t i = 0; i < t->n_rows; i++) {
		const alert_text_row *row = &t->rows[i];
		strbuf_puts(b, "<tr><th align=\"left\" valign=\"top\">");
		html_escape(b, row->label);
		strbuf_puts(b, row->kind == ALERT_TEXT_ADDRESS ? "</th><td><code>" : "</th><td>");
		html_escape(b, row->value);
		strbuf_puts(b, row->kind == ALERT_TEXT_ADDRESS ? "</code></td></tr>\n" : "</td></tr>\n");
	}
	strbuf_puts(b, "</table>\n<p><b>Why</b></p>\n<ul>\n");
	for (size_t i = 0; i < t->n_evidence; i++) {
		strbuf_puts(b, "<li>");
		html_escape(b, t->evidence[i]);
		strbuf_puts(b, "</li>\n");
	}
	if (!t->n_evidence)
		strbuf_puts(b, "<li>(no evidence recorded)</li>\n");
	strbuf_puts(b, "</ul>\n<p>Triage with: <code>");
	html_escape(b, t->triage);
	strbuf_puts(b, "</code></p>\n");
}

static void html_body(strbuf *b, const alert_text *t, size_t n)
{
	strbuf_puts(b, "<!DOCTYPE html>\n<html><head><meta charset=\"UTF-8\"><title>contactwatch</title></head>\n"
		       "<body style=\"font-family:sans-serif\">\n<p>");
	if (n == 1) {
		strbuf_puts(b, "contactwatch found a ");
		html_escape(b, t[0].headline);
		strbuf_puts(b, ".</p>\n<p>A contact in an export of ");
		html_escape(b, t[0].rows[0].value);
		strbuf_puts(b, " matches ");
		html_escape(b, t[0].relation_name);
		strbuf_puts(b, ", a relation named in the clause. Severity <b>");
		html_escape(b, t[0].severity);
		strbuf_puts(b, "</b>.</p>\n");
		html_alert(b, &t[0]);
	} else {
		strbuf_printf(b, "contactwatch found %zu alerts in one scan of the exports of ", n);
		html_escape(b, t[0].rows[0].value);
		strbuf_puts(b, ".</p>\n");
		for (size_t i = 0; i < n; i++) {
			strbuf_printf(b, "<hr>\n<h3>Alert %lld (%zu of %zu), severity ", t[i].id, i + 1, n);
			html_escape(b, t[i].severity);
			strbuf_puts(b, ": ");
			html_escape(b, t[i].headline);
			strbuf_puts(b, "</h3>\n");
			html_alert(b, &t[i]);
		}
	}
	strbuf_puts(b, "</body></html>\n");
}

/* One part: the delimiter, the part's headers, the text in quoted-printable. */
static void mime_part(strbuf *b, const char *boundary, const char *type, const char *text)
{
	strbuf_printf(b, "--%s\r\nContent-Type: %s; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
		      boundary, type);
	qp_encode(b, text);
	/* The CRLF before the next delimiter belongs to the delimiter (RFC
	 * 2046 5.1.1): the text's own last line break stays in the part. */
	strbuf_puts(b, "\r\n");
}

static int mail_subject(const alert_text *t, size_t n, char **ret)
{
	_cleanup_free_ char *s = NULL;
	int r;

	if (n == 1)
		r = asprintf(&s, "[contactwatch] %s: %s \xE2\x80\x93 %s", t[0].severity, t[0].employee_name,
			     t[0].relation_name);
	else
		r = asprintf(&s, "[contactwatch] %zu alerts: %s", n, t[0].employee_name);
	if (r < 0) {
		s = NULL;
		return -ENOMEM;
	}
	return mail_encode_header(s, strlen("Subject: "), ret);
}

int mail_message_build(const channel_config *ch, json_t *const *alerts, size_t n, int64_t now,
		       const char *id_seed, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *subject = NULL, *plain = NULL, *html = NULL;
	alert_text *texts = NULL;
	strbuf b = { 0 };
	char date[40], domain[256], seed_hash[65], boundary[64], *msg = NULL;
	size_t n_texts = 0;
	int r;

	if (n == 0 || !alerts || isempty(id_seed) || !ch->from || !address_ok(ch->from) || !ch->to || !ch->to[0])
		return -EINVAL;
	for (size_t i = 0; ch->to[i]; i++)
		if (!address_ok(ch->to[i]))
			return -EINVAL;
	r = mail_date(now, date);
	if (r < 0)
		return r;
	texts = calloc(n, sizeof *texts);
	if (!texts)
		return -ENOMEM;
	for (; n_texts < n; n_texts++) {
		r = alert_text_init(&texts[n_texts], alerts[n_texts]);
		if (r < 0)
			goto fail;
		/* A digest is one employee's: its subject names only one. */
		if (!streq(texts[n_texts].employee_id, texts[0].employee_id)) {
			n_texts++;
			r = -EINVAL;
			goto fail;
		}
	}
	r = mail_subject(texts, n, &subject);
	if (r < 0)
		goto fail;
	text_body(&b, texts, n);
	r = strbuf_steal(&b, &plain, NULL);
	if (r < 0)
		goto fail;
	html_body(&b, texts, n);
	r = strbuf_steal(&b, &html, NULL);
	if (r < 0)
		goto fail;

	/* The Message-ID and the boundary come from the seed, hashed: the seed
	 * may hold characters a msg-id cannot, and a retry must give the same
	 * message. The boundary starts with "=_", which quoted-printable can
	 * never produce ('=' is always followed by hex digits or CRLF), so
	 * it cannot occur in the encoded parts. */
	r = hash_sha256_hex(id_seed, strlen(id_seed), seed_hash);
	if (r < 0)
		goto fail;
	from_domain(ch->from, domain);
	snprintf(boundary, sizeof boundary, "=_cw_%.40s", seed_hash + 24);

	strbuf_printf(&b, "From: %s\r\n", ch->from);
	header_to(&b, ch->to);
	strbuf_printf(&b, "Subject: %s\r\n", subject);
	strbuf_printf(&b, "Date: %s\r\n", date);
	strbuf_printf(&b, "Message-ID: <cw.%.32s@%s>\r\n", seed_hash, domain);
	strbuf_puts(&b, "MIME-Version: 1.0\r\n");
	strbuf_printf(&b, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n", boundary);
	/* RFC 3834: no vacation replies or bounces back to a daemon. */
	strbuf_puts(&b, "Auto-Submitted: auto-generated\r\n\r\n");
	strbuf_puts(&b, "This is a MIME message: a plain-text and an HTML version of the same alert.\r\n\r\n");
	mime_part(&b, boundary, "text/plain", plain);
	mime_part(&b, boundary, "text/html", html);
	strbuf_printf(&b, "--%s--\r\n", boundary);

	r = strbuf_steal(&b, &msg, ret_len);
	if (r < 0)
		goto fail;
	*ret = msg;
	r = 0;
fail:
	strbuf_done(&b);
	for (size_t i = 0; i < n_texts; i++)
		alert_text_done(&texts[i]);
	free(texts);
	return r;
}
