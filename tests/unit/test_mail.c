/* test_mail.c — the smtp channel's message, parsed back here as a mail
 * reader would: CRLF only, line lengths (998; 76 in quoted-printable),
 * ASCII-only headers, the multipart/alternative boundary exactly at its
 * delimiters, both parts decoding to the original UTF-8 text; the Subject's
 * encoded-words decoding (with a decoder written here) to the original and
 * never splitting a character; Date and Message-ID formats; digests; the
 * HTML part escaping what an export may contain. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "contactwatch/mail.h"
#include "contactwatch/text.h"

static json_t *sample_alert(json_int_t id, const char *emp_name, const char *contact, const char *rel_name,
			    const char *sev)
{
	json_t *a = json_pack(
		"{s:I, s:s, s:I, s:I, s:{s:s, s:s, s:n, s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:f, s:s, s:s, "
		"s:[{s:s, s:s, s:s, s:f}], s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}, "
		"s:{s:s, s:s, s:s}, s:s, s:s, s:[]}",
		"id", id, "file", "/srv/exports/E1042/Connections.csv", "record", (json_int_t)12, "line",
		(json_int_t)16, "contact", "name", contact, "company", "Bouwbedrijf Jansen B.V.", "email",
		"profile_url", "https://www.linkedin.com/in/z%C3%B6e", "connected_on", "2026-08-02", "event",
		"connection", "relation", "id", "R002", "type", "person", "name", rel_name, "score", 1.0,
		"classification", "in_window", "severity", sev, "evidence", "feature", "person_name", "contact", contact,
		"relation", rel_name, "score", 0.97, "key",
		"ce41b6594d1c4e8774f4727727bc5adde8f337115ee1399cce8ea3277c76ea5d", "employee", "id", "E1042", "name",
		emp_name, "window", "start", "2026-06-30", "end", "2027-06-30", "clause", "reference",
		"Employment contract art. 12", "penalty", "10000 EUR", "source", "file",
		"/srv/exports/E1042/Connections.csv", "sha256",
		"3b712d97e9c49a6a8aa05dfbb3bfdfe434faa5d3961d846824b6914507b70e41", "received_at",
		"2026-11-22T15:51:28Z", "created_at", "2026-11-22T15:51:28Z", "state", "new", "history");
	assert_non_null(a);
	return a;
}

static char *to_list[] = { (char *)"legal@example.nl", (char *)"Hoofd Juridische Zaken <hjz@example.nl>",
			   (char *)"archive@example.nl", NULL };

static channel_config channel(void)
{
	return (channel_config){ .name = (char *)"legal-mail",
				 .type = CHANNEL_SMTP,
				 .from = (char *)"contactwatch <contactwatch@example.nl>",
				 .to = to_list };
}

/* 2026-11-22 15:49:37 UTC, a Sunday. */
static int64_t sample_now(void)
{
	struct tm tm = { .tm_year = 2026 - 1900, .tm_mon = 10, .tm_mday = 22, .tm_hour = 15, .tm_min = 49, .tm_sec = 37 };
	return (int64_t)timegm(&tm);
}

/* ---- a small mail reader ------------------------------------------------ */

typedef struct parsed {
	char *headers;    /* unfolded: "Name: value\n" each */
	char *raw_headers;
	char *body;
	char *boundary;
	char *parts[2];   /* the two parts, raw (headers + encoded body) */
	size_t n_parts;
} parsed;

static int hexval(char c)
{
	return text_hex_digit(c);
}

/* RFC 2045 6.7 decoding, checking the encoder's side of the rules too. */
static char *qp_decode(const char *s)
{
	size_t n = strlen(s), k = 0;
	char *out = malloc(n + 1);
	const char *line = s;

	assert_non_null(out);
	for (size_t i = 0; i <= n; i++) {
		if (i == n || (s[i] == '\r' && s[i + 1] == '\n')) {
			size_t len = (size_t)(s + i - line);
			assert_true(len <= 76);
			/* No whitespace at the end of an encoded line. */
			if (len > 0)
				assert_true(line[len - 1] != ' ' && line[len - 1] != '\t');
			line = s + i + 2;
		}
	}
	for (size_t i = 0; i < n;) {
		if (s[i] == '=' && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 3;
		} else if (s[i] == '=') {
			assert_true(hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0);
			out[k++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 3;
		} else if (s[i] == '\r') {
			assert_int_equal(s[i + 1], '\n');
			out[k++] = '\n';
			i += 2;
		} else {
			/* Literal: printable ASCII, space or tab only. */
			assert_true((s[i] >= 33 && s[i] <= 126) || s[i] == ' ' || s[i] == '\t');
			out[k++] = s[i++];
		}
	}
	out[k] = '\0';
	return out;
}

/* RFC 2047 decoding of an unstructured value: encoded-words (UTF-8, Q),
 * whitespace between two adjacent ones dropped. Each word must decode to
 * valid UTF-8 on its own (no character split) and be <= 75 characters. */
static char *rfc2047_decode(const char *v)
{
	size_t n = strlen(v), k = 0;
	char *out = malloc(n + 1);
	bool prev_word = false;

	assert_non_null(out);
	for (size_t i = 0; i < n;) {
		if (strncmp(v + i, "=?UTF-8?Q?", 10) == 0) {
			const char *end = strstr(v + i + 10, "?=");
			size_t start = k;
			assert_non_null(end);
			assert_true((size_t)(end + 2 - (v + i)) <= 75);
			for (const char *p = v + i + 10; p < end;) {
				if (*p == '_') {
					out[k++] = ' ';
					p++;
				} else if (*p == '=') {
					assert_true(hexval(p[1]) >= 0 && hexval(p[2]) >= 0);
					out[k++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
					p += 3;
				} else {
					assert_true(*p > ' ' && *p < 127 && *p != '?');
					out[k++] = *p++;
				}
			}
			assert_true(text_utf8_valid(out + start, k - start));
			i = (size_t)(end + 2 - v);
			prev_word = true;
			continue;
		}
		if (prev_word && v[i] == ' ') {
			size_t j = i;
			while (v[j] == ' ')
				j++;
			if (strncmp(v + j, "=?", 2) == 0) {
				i = j;
				continue;
			}
		}
		prev_word = false;
		out[k++] = v[i++];
	}
	out[k] = '\0';
	return out;
}

static char *dup_range(const char *s, size_t n)
{
	char *d = strndup(s, n);
	assert_non_null(d);
	return d;
}

static void check_lines(const char *msg, size_t len)
{
	const char *line = msg;
	assert_int_equal(strlen(msg), len);
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\n')
			assert_true(i > 0 && msg[i - 1] == '\r'); /* no bare LF */
		if (msg[i] == '\r') {
			assert_true(msg[i + 1] == '\n'); /* no bare CR */
			assert_true((size_t)(msg + i - line) <= 998);
			line = msg + i + 2;
		}
		/* 7-bit: every byte of this message is ASCII. */
		assert_true((unsigned char)msg[i] < 0x80);
		assert_true(msg[i] != '\0');
	}
	assert_true(len >= 2 && msg[len - 2] == '\r' && msg[len - 1] == '\n');
}

/* Value of an unfolded header, or NULL; exactly one such header. */
static char *header_get(const parsed *p, const char *name)
{
	size_t nl = strlen(name);
	char *found = NULL;
	for (const char *h = p->headers; *h;) {
		const char *end = strchr(h, '\n');
		if (strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
			assert_null(found);
			found = dup_range(h + nl + 2, (size_t)(end - h - nl - 2));
		}
		h = end + 1;
	}
	return found;
}

static void parse_mail(const char *msg, size_t len, parsed *p)
{
	const char *sep;
	memset(p, 0, sizeof *p);
	check_lines(msg, len);
	sep = strstr(msg, "\r\n\r\n");
	assert_non_null(sep);
	p->raw_headers = dup_range(msg, (size_t)(sep - msg) + 2);
	p->body = dup_range(sep + 4, len - (size_t)(sep + 4 - msg));

	/* Unfold: CRLF followed by a space or tab continues the line. */
	p->headers = malloc(strlen(p->raw_headers) + 1);
	assert_non_null(p->headers);
	size_t k = 0;
	for (const char *s = p->raw_headers; *s; s++) {
		if (s[0] == '\r' && s[1] == '\n' && (s[2] == ' ' || s[2] == '\t')) {
			s++;
			continue;
		}
		if (s[0] == '\r')
			continue;
		p->headers[k++] = *s;
	}
	p->headers[k] = '\0';

	char *ct = header_get(p, "Content-Type");
	assert_non_null(ct);
	assert_non_null(strstr(ct, "multipart/alternative;"));
	const char *b = strstr(ct, "boundary=\"");
	assert_non_null(b);
	p->boundary = dup_range(b + 10, strcspn(b + 10, "\""));
	assert_true(strlen(p->boundary) >= 20 && strlen(p->boundary) <= 70);
	free(ct);

	/* The boundary appears only as whole delimiter lines: two "--B", then
	 * one "--B--" at the end, and nowhere else. */
	char delim[128], close[128];
	snprintf(delim, sizeof delim, "\r\n--%s\r\n", p->boundary);
	snprintf(close, sizeof close, "\r\n--%s--\r\n", p->boundary);
	size_t seen = 0;
	for (const char *s = strstr(p->body, p->boundary); s; s = strstr(s + 1, p->boundary))
		seen++;
	assert_int_equal(seen, 3);
	const char *first = strstr(p->body, delim);
	assert_non_null(first);
	const char *second = strstr(first + 1, delim);
	assert_non_null(second);
	const char *last = strstr(second + 1, close);
	assert_non_null(last);
	assert_string_equal(last, close); /* nothing after the close delimiter */
	p->parts[0] = dup_range(first + strlen(delim), (size_t)(second - first) - strlen(delim));
	p->parts[1] = dup_range(second + strlen(delim), (size_t)(last - second) - strlen(delim));
	p->n_parts = 2;
}

static void parsed_done(parsed *p)
{
	free(p->headers);
	free(p->raw_headers);
	free(p->body);
	free(p->boundary);
	for (size_t i = 0; i < p->n_parts; i++)
		free(p->parts[i]);
}

/* A part's decoded text, after checking its headers. */
static char *part_text(const char *part, const char *type)
{
	char want[128];
	const char *sep = strstr(part, "\r\n\r\n");
	assert_non_null(sep);
	snprintf(want, sizeof want,
		 "Content-Type: %s; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable", type);
	assert_memory_equal(part, want, strlen(want));
	char *text = qp_decode(sep + 4);
	assert_true(text_utf8_valid(text, strlen(text)));
	return text;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_one_alert(void **state)
{
	(void)state;
	channel_config ch = channel();
	json_t *a = sample_alert(7, "Zoë Müller", "Hélène Dubois-Ærø", "Hélène Dubois", "high");
	char *msg = NULL;
	size_t len = 0;
	parsed p;

	assert_int_equal(mail_message_build(&ch, &a, 1, sample_now(), "ce41b659-legal-mail", &msg, &len), 0);
	parse_mail(msg, len, &p);

	char *from = header_get(&p, "From"), *to = header_get(&p, "To"), *date = header_get(&p, "Date");
	char *subject = header_get(&p, "Subject"), *mid = header_get(&p, "Message-ID");
	char *mime = header_get(&p, "MIME-Version");
	assert_string_equal(from, "contactwatch <contactwatch@example.nl>");
	assert_string_equal(to, "legal@example.nl, Hoofd Juridische Zaken <hjz@example.nl>, archive@example.nl");
	assert_string_equal(date, "Sun, 22 Nov 2026 15:49:37 +0000");
	assert_string_equal(mime, "1.0");
	/* <hash@domain of From>: dot-atom characters only. */
	assert_true(mid[0] == '<' && mid[strlen(mid) - 1] == '>');
	assert_non_null(strstr(mid, "@example.nl>"));
	assert_true(strspn(mid + 1, "abcdefghijklmnopqrstuvwxyz0123456789.") == strlen(mid) - strlen("@example.nl>") - 1);

	char *decoded = rfc2047_decode(subject);
	assert_string_equal(decoded, "[contactwatch] high: Zoë Müller \xE2\x80\x93 Hélène Dubois");
	/* Encoded-word lines stay within 76 characters. */
	for (const char *l = strstr(p.raw_headers, "Subject: "); l;) {
		const char *e = strstr(l, "\r\n");
		assert_true(e - l <= 76);
		l = e[2] == ' ' ? e + 2 : NULL;
	}

	char *plain = part_text(p.parts[0], "text/plain");
	char *html = part_text(p.parts[1], "text/html");
	assert_non_null(strstr(plain, "Zoë Müller (E1042)"));
	assert_non_null(strstr(plain, "Hélène Dubois-Ærø"));
	assert_non_null(strstr(plain, "Hélène Dubois (R002, person)"));
	assert_non_null(strstr(plain, "in_window"));
	assert_non_null(strstr(plain, "severity high"));
	assert_non_null(strstr(plain, "2026-08-02, inside the clause window 2026-06-30 to 2027-06-30"));
	assert_non_null(strstr(plain, "person_name: Hélène Dubois-Ærø \xE2\x89\x88 Hélène Dubois (0.97)"));
	assert_non_null(strstr(plain, "/srv/exports/E1042/Connections.csv"));
	assert_non_null(strstr(plain, "3b712d97e9c49a6a8aa05dfbb3bfdfe434faa5d3961d846824b6914507b70e41"));
	assert_non_null(strstr(plain, "12 (line 16)"));
	assert_non_null(strstr(plain, "ce41b6594d1c4e8774f4727727bc5adde8f337115ee1399cce8ea3277c76ea5d"));
	assert_non_null(strstr(plain, "Triage with: contactwatchctl show 7"));
	assert_non_null(strstr(html, "Zoë Müller (E1042)"));
	assert_non_null(strstr(html, "Hélène Dubois-Ærø"));
	assert_non_null(strstr(html, "<code>contactwatchctl show 7</code>"));

	free(plain);
	free(html);
	free(decoded);
	free(from);
	free(to);
	free(date);
	free(subject);
	free(mid);
	free(mime);
	parsed_done(&p);
	free(msg);
	json_decref(a);
}

static void test_deterministic_and_seeded(void **state)
{
	(void)state;
	channel_config ch = channel();
	json_t *a = sample_alert(7, "Jan de Vries", "Petra van den Berg", "Petra van den Berg", "medium");
	/* A seed with characters no msg-id may hold. */
	static const char seed1[] = "key <1>@\"legal mail\"\r\n", seed2[] = "key-2";
	char *m1, *m1b, *m2;
	size_t l1, l1b, l2;
	parsed p1, p2;

	assert_int_equal(mail_message_build(&ch, &a, 1, sample_now(), seed1, &m1, &l1), 0);
	assert_int_equal(mail_message_build(&ch, &a, 1, sample_now(), seed1, &m1b, &l1b), 0);
	assert_int_equal(mail_message_build(&ch, &a, 1, sample_now(), seed2, &m2, &l2), 0);
	/* A retry is the same message, byte for byte. */
	assert_int_equal(l1, l1b);
	assert_memory_equal(m1, m1b, l1);
	parse_mail(m1, l1, &p1);
	parse_mail(m2, l2, &p2);
	char *id1 = header_get(&p1, "Message-ID"), *id2 = header_get(&p2, "Message-ID");
	assert_string_not_equal(id1, id2);
	assert_string_not_equal(p1.boundary, p2.boundary);
	assert_null(strchr(id1 + 1, '<'));
	assert_null(strchr(id1, '"'));
	/* Plain ASCII subject: not encoded. */
	char *subject = header_get(&p1, "Subject");
	assert_non_null(strstr(subject, "=?UTF-8?Q?")); /* the en dash */
	char *decoded = rfc2047_decode(subject);
	assert_string_equal(decoded, "[contactwatch] medium: Jan de Vries \xE2\x80\x93 Petra van den Berg");
	free(decoded);
	free(subject);
	free(id1);
	free(id2);
	parsed_done(&p1);
	parsed_done(&p2);
	free(m1);
	free(m1b);
	free(m2);
	json_decref(a);
}

static void test_digest(void **state)
{
	(void)state;
	channel_config ch = channel();
	json_t *alerts[3] = {
		sample_alert(7, "Zoë Müller", "Hélène Dubois-Ærø", "Hélène Dubois", "high"),
		sample_alert(8, "Zoë Müller", "Søren Kierkegaard", "Kierkegaard Holding", "low"),
		sample_alert(9, "Zoë Müller", "José Núñez", "Núñez & Zonen", "medium"),
	};
	char *msg;
	size_t len;
	parsed p;

	assert_int_equal(mail_message_build(&ch, alerts, 3, sample_now(), "digest-E1042-1", &msg, &len), 0);
	parse_mail(msg, len, &p);
	char *subject = header_get(&p, "Subject"), *decoded = rfc2047_decode(subject);
	assert_string_equal(decoded, "[contactwatch] 3 alerts: Zoë Müller");
	char *plain = part_text(p.parts[0], "text/plain"), *html = part_text(p.parts[1], "text/html");
	const char *at = plain;
	static const char *const expect[] = { "Alert 7 (1 of 3)", "Hélène Dubois-Ærø", "contactwatchctl show 7",
					      "Alert 8 (2 of 3)", "Søren Kierkegaard", "contactwatchctl show 8",
					      "Alert 9 (3 of 3)", "José Núñez", "contactwatchctl show 9" };
	for (size_t i = 0; i < 9; i++) {
		at = strstr(at, expect[i]);
		assert_non_null(at); /* present, and in this order */
	}
	assert_non_null(strstr(html, "Núñez &amp; Zonen"));
	free(plain);
	free(html);
	free(decoded);
	free(subject);
	parsed_done(&p);
	free(msg);

	/* A digest is one employee's. */
	json_object_set_new(json_object_get(alerts[2], "employee"), "id", json_string("E2001"));
	msg = NULL;
	assert_int_equal(mail_message_build(&ch, alerts, 3, sample_now(), "d", &msg, &len), -EINVAL);
	assert_null(msg);
	for (size_t i = 0; i < 3; i++)
		json_decref(alerts[i]);
}

static void test_hostile_content(void **state)
{
	(void)state;
	channel_config ch = channel();
	/* Markup, a header injection attempt, a line that is only ".", "From "
	 * at a line start, trailing spaces and a long unbroken word. */
	char longword[400];
	memset(longword, 'x', sizeof longword - 1);
	longword[sizeof longword - 1] = '\0';
	json_t *a = sample_alert(7, "Evil\r\nBcc: victim@example.com", "<script>alert(1)</script> & \"x\" 'y'   ",
				 "From here\n.\n", "high");
	json_t *contact = json_object_get(a, "contact");
	json_object_set_new(contact, "profile_url", json_string(longword));
	/* Values starting at column 21 ("Company:" and padding): after 54
	 * characters a soft break puts the rest at the start of a line. */
	json_object_set_new(contact, "company",
			    json_string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaFrom the start"));
	json_object_set_new(contact, "email", json_string("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.c"));
	char *msg;
	const char *at;
	size_t len;
	parsed p;

	assert_int_equal(mail_message_build(&ch, &a, 1, sample_now(), "k", &msg, &len), 0);
	parse_mail(msg, len, &p);
	assert_null(header_get(&p, "Bcc"));
	char *subject = header_get(&p, "Subject"), *decoded = rfc2047_decode(subject);
	assert_null(strchr(decoded, '\r'));
	assert_null(strchr(decoded, '\n'));
	assert_non_null(strstr(decoded, "Evil  Bcc: victim@example.com"));
	char *plain = part_text(p.parts[0], "text/plain"), *html = part_text(p.parts[1], "text/html");
	assert_null(strstr(html, "<script>"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39;"));
	assert_non_null(strstr(plain, "<script>alert(1)</script> & \"x\" 'y'   \n"));
	/* Clipped (at 300 bytes, then "…"), and its encoded lines still <= 76. */
	longword[300] = '\0';
	at = strstr(plain, longword);
	assert_non_null(at);
	assert_memory_equal(at + 300, "\xE2\x80\xA6\n", 4);
	/* No encoded line is "." alone or starts with "From " or ".". */
	assert_null(strstr(p.body, "\r\n.\r\n"));
	assert_null(strstr(p.body, "\r\nFrom "));
	assert_null(strstr(p.body, "\r\n."));
	assert_non_null(strstr(p.body, "=\r\n=46rom the start"));
	assert_non_null(strstr(p.body, "=\r\n=2Ec"));
	assert_non_null(strstr(plain, "aaaaFrom the start\n"));
	assert_non_null(strstr(plain, "bbbb.c\n"));
	free(plain);
	free(html);
	free(decoded);
	free(subject);
	parsed_done(&p);
	free(msg);
	json_decref(a);
}

static void test_refusals(void **state)
{
	(void)state;
	channel_config ch = channel();
	json_t *a = sample_alert(7, "Jan", "Petra", "Petra van den Berg", "high");
	char *bad_to[] = { (char *)"legal@example.nl\r\nBcc: x@example.com", NULL }, *no_to[] = { NULL };
	char *msg = NULL;
	size_t len;

	assert_int_equal(mail_message_build(&ch, &a, 0, sample_now(), "k", &msg, &len), -EINVAL);
	assert_int_equal(mail_message_build(&ch, &a, 1, sample_now(), "", &msg, &len), -EINVAL);
	assert_int_equal(mail_message_build(&ch, &a, 1, sample_now(), NULL, &msg, &len), -EINVAL);
	ch.to = bad_to;
	assert_int_equal(mail_message_build(&ch, &a, 1, sample_now(), "k", &msg, &len), -EINVAL);
	ch.to = no_to;
	assert_int_equal(mail_message_build(&ch, &a, 1, sample_now(), "k", &msg, &len), -EINVAL);
	ch = channel();
	ch.from = (char *)"Zoë <z@example.nl>";
	assert_int_equal(mail_message_build(&ch, &a, 1, sample_now(), "k", &msg, &len), -EINVAL);
	ch = channel();
	json_object_del(json_object_get(a, "relation"), "name");
	assert_int_equal(mail_message_build(&ch, &a, 1, sample_now(), "k", &msg, &len), -EINVAL);
	assert_null(msg);
	json_decref(a);
}

/* mail_encode_header on its own: every line within 76 (encoded) or 78
 * (plain), unfolding and decoding give the value back. */
static void check_header_roundtrip(const char *value, size_t header_len, bool expect_plain)
{
	char *enc = NULL;
	assert_int_equal(mail_encode_header(value, header_len, &enc), 0);
	size_t col = header_len;
	for (const char *s = enc; *s; s++) {
		assert_true((unsigned char)*s < 0x80);
		if (s[0] == '\r') {
			assert_true(s[1] == '\n' && (s[2] == ' ' || s[2] == '\t'));
			col = 0;
			s++;
			continue;
		}
		col++;
		if (col > (expect_plain ? 78 : 76))
			print_message("line too long (%zu) at offset %td of %s\n", col, s - enc, enc);
		assert_true(col <= (expect_plain ? 78 : 76));
	}
	assert_int_equal(strstr(enc, "=?UTF-8?Q?") == NULL, expect_plain);
	char *unfolded = malloc(strlen(enc) + 1);
	size_t k = 0;
	assert_non_null(unfolded);
	for (const char *s = enc; *s; s++)
		if (!(s[0] == '\r' || (s[0] == '\n')))
			unfolded[k++] = *s;
	unfolded[k] = '\0';
	/* A value folded before its first word: that whitespace is not the value's. */
	if (strncmp(enc, "\r\n ", 3) == 0)
		memmove(unfolded, unfolded + 1, k);
	char *decoded = rfc2047_decode(unfolded);
	assert_string_equal(expect_plain ? unfolded : decoded, value);
	free(decoded);
	free(unfolded);
	free(enc);
}

static void test_encode_header(void **state)
{
	(void)state;
	char buf[1200];

	check_header_roundtrip("", 9, true);
	check_header_roundtrip("[contactwatch] 3 alerts: Jan de Vries", 9, true);
	/* Long ASCII is folded before a space, never to a blank line. */
	check_header_roundtrip("word word word word word word word word word word word word word word word word word "
			       "word word word word  two  spaces   and   more",
			       9, true);
	/* "=?" in plain text would be decoded by readers: encoded instead. */
	check_header_roundtrip("not an =?UTF-8?Q?encoded_word?=", 9, false);
	check_header_roundtrip("tab\there", 9, false);
	check_header_roundtrip("Zoë", 9, false);
	/* Many 2-, 3- and 4-byte characters: words split between characters. */
	buf[0] = '\0';
	for (int i = 0; i < 60; i++)
		strcat(buf, i % 3 == 0 ? "ë" : i % 3 == 1 ? "\xE2\x80\x93" : "\xF0\x9F\x98\x80 ");
	check_header_roundtrip(buf, 9, false);
	check_header_roundtrip(buf, 70, false); /* a long header name */
	/* One ASCII word longer than 998: encoded, so it can be split. */
	memset(buf, 'a', 1100);
	buf[1100] = '\0';
	check_header_roundtrip(buf, 9, false);
}

/* The plain text of a one-alert mail. */
static char *plain_of(json_t *a)
{
	channel_config ch = channel();
	char *msg, *plain;
	size_t len;
	parsed p;

	assert_int_equal(mail_message_build(&ch, &a, 1, sample_now(), "k", &msg, &len), 0);
	parse_mail(msg, len, &p);
	plain = part_text(p.parts[0], "text/plain");
	parsed_done(&p);
	free(msg);
	return plain;
}

static void test_date_against_window(void **state)
{
	(void)state;
	json_t *a = sample_alert(7, "Jan de Vries", "Petra", "Petra van den Berg", "low");
	json_t *c = json_object_get(a, "contact");
	char *plain;

	json_object_set_new(a, "classification", json_string("pre_existing"));
	json_object_set_new(c, "connected_on", json_string("2025-03-01"));
	plain = plain_of(a);
	assert_non_null(strstr(plain, "Connected on:        2025-03-01, before the departure date (clause window "
				      "2026-06-30 to 2027-06-30)\n"));
	assert_non_null(strstr(plain, "pre_existing (dated before the departure date: an existing relationship)"));
	free(plain);

	/* Undated, new since the baseline, with the date that could not be read. */
	json_object_set_new(a, "classification", json_string("new_since_baseline"));
	json_object_set_new(c, "connected_on", json_null());
	json_object_set_new(c, "date_note", json_pack("{s:s, s:s}", "raw", "02/01/2027", "note", "day and month ambiguous"));
	plain = plain_of(a);
	assert_non_null(strstr(plain, "no date; absent from this source's earlier export, so new since then (clause "
				      "window 2026-06-30 to 2027-06-30); written \"02/01/2027\": day and month ambiguous"));
	free(plain);

	/* An outgoing invitation is dated when sent. */
	json_object_set_new(a, "classification", json_string("in_window"));
	json_object_set_new(c, "connected_on", json_string("2027-06-30"));
	json_object_set_new(c, "event", json_string("invitation_outgoing"));
	json_object_del(c, "date_note");
	plain = plain_of(a);
	assert_non_null(strstr(plain, "Invitation sent:     2027-06-30, inside the clause window 2026-06-30 to 2027-06-30"));
	free(plain);
	json_decref(a);
}

static void test_many_evidence(void **state)
{
	(void)state;
	json_t *a = sample_alert(7, "Jan de Vries", "Petra", "Petra van den Berg", "high");
	json_t *ev = json_object_get(a, "evidence");
	const char *at;
	size_t lines = 0;
	char *plain;

	for (int i = 0; i < 19; i++)
		json_array_append_new(ev, json_pack("{s:s, s:s, s:n, s:f}", "feature", "email_domain", "contact",
						    "acme.nl", "relation", "score", 0.5));
	plain = plain_of(a);
	for (at = strstr(plain, "\n  - "); at; at = strstr(at + 1, "\n  - "))
		lines++;
	assert_int_equal(lines, 13); /* 12 shown, then the summary line */
	assert_non_null(strstr(plain, "  - email_domain: acme.nl \xE2\x89\x88 - (0.50)\n"));
	assert_non_null(strstr(plain, "  - \xE2\x80\xA6 and 8 more (contactwatchctl show 7)\n"));
	free(plain);
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_alert),
		cmocka_unit_test(test_deterministic_and_seeded),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_hostile_content),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_encode_header),
		cmocka_unit_test(test_date_against_window),
		cmocka_unit_test(test_many_evidence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
