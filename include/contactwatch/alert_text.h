/* alert_text.h — an alert as a person reads it: the headline, a one-line
 * summary, labelled rows (employee, relation, contact, classification, the
 * date against the clause window, clause, source, alert id and key) and
 * the evidence lines, as plain UTF-8. The webhook (Slack, Teams) and mail
 * bodies render the same content, each escaping it for its own markup, so
 * every value here is untrusted text (names in exports are attacker
 * controlled) with only its control characters already replaced. Pure. */
#pragma once

#include <jansson.h>

#include "contactwatch/common.h"

/* Every value is clipped to this many bytes (at a character boundary, with
 * "…"): an export cell may hold 64 KiB, a message should stay readable and
 * within Slack's and Teams' size limits. */
#define ALERT_TEXT_MAX_VALUE 300u
/* Evidence lines shown; more are summarised as "... and N more". */
#define ALERT_TEXT_MAX_EVIDENCE 12u
#define ALERT_TEXT_MAX_ROWS 16u

typedef enum alert_text_kind {
	ALERT_TEXT_PROSE,    /* names, sentences */
	ALERT_TEXT_ADDRESS,  /* an e-mail address, a URL or a path: shown verbatim, never as a link */
} alert_text_kind;

typedef struct alert_text_row {
	const char *label;   /* static English label ("Employee", ...) */
	char *value;         /* owned */
	alert_text_kind kind;
} alert_text_row;

typedef struct alert_text {
	long long id;
	char *severity;             /* "high", ...; this and the rest: owned, cleaned copies */
	char *employee_id;
	char *employee_name;        /* the name, or the id when there is none */
	char *relation_name;
	char *headline;             /* "possible breach of <clause reference>" or "... of the relatiebeding" */
	char *summary;              /* "high: <employee name> – <relation name>" */
	alert_text_row rows[ALERT_TEXT_MAX_ROWS]; /* rows[0] is always "Employee", rows[1] "Relation" */
	size_t n_rows;
	char **evidence;            /* strv: "feature: contact ≈ relation (0.95)" */
	size_t n_evidence;
	char *triage;               /* "contactwatchctl show <id>" */
} alert_text;

/* Whether alert has what every message needs: id (integer), key, severity,
 * classification (strings), employee.id, relation.id and relation.name.
 * 0 or -EINVAL. */
int alert_text_check(const json_t *alert);
/* Fills t from alert (which it does not keep). -EINVAL (alert_text_check),
 * -ENOMEM; on failure t is left empty (alert_text_done is still safe). */
int alert_text_init(alert_text *t, const json_t *alert);
void alert_text_done(alert_text *t);

/* A copy of s with every control character (C0, DEL, C1), line or
 * paragraph separator and bidirectional override replaced by a space (they
 * could break a message's layout or make a name display as another) and
 * each invalid UTF-8 byte by U+FFFD; clipped to about max bytes at a
 * character boundary (then ending in "…"). NULL on ENOMEM. */
char *alert_text_clean(const char *s, size_t max);
/* Bytes in the character starting at s (s[0] not NUL): a lead byte and the
 * continuation bytes it announces that are there, at least 1. Renderers
 * clip and encode by it so that no UTF-8 sequence is ever cut in two. */
size_t alert_text_char_len(const char *s);
