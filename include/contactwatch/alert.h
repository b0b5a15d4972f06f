/* alert.h — a match in its context (employee, file, record, time class),
 * called a hit, and the spec's JSON shapes built from it: the `check` match
 * object, the stored alert body, and the alert as users see it (with id,
 * state and history). Also the stable dedup key. No I/O of its own: the
 * history is read through the store. */
#pragma once

#include <jansson.h>

#include "contactwatch/clause.h"
#include "contactwatch/config.h"
#include "contactwatch/contact.h"
#include "contactwatch/match.h"
#include "contactwatch/store.h"

typedef struct hit {
	contact contact;           /* owned deep copy of the matched record */
	match match;               /* owned evidence; relation borrowed */
	classification cls;
	severity sev;
} hit;

typedef struct hit_list {
	hit *items;
	size_t n;
} hit_list;

/* Moves m into a new hit (m is emptied) with a copy of c. */
int hit_list_add(hit_list *l, const contact *c, match *m, classification cls);
void hit_list_done(hit_list *l);

/* The stable dedup key: hex SHA-256 over employee id, relation id and the
 * contact's identity (normalised profile URL, else e-mail, else folded
 * name + company). The same connection in a re-export gives the same key. */
int alert_key(const char *employee_id, const hit *h, char ret[static 65]);

/* `check --json`'s matches[] element: file, record, line, contact,
 * relation, score, classification, severity, evidence. */
json_t *alert_match_json(const char *file, const hit *h);

typedef struct alert_context {
	const employee *employee;
	const char *file;          /* as shown to users */
	const char *sha256;
	int64_t received_at;       /* unix seconds */
	int64_t created_at;
} alert_context;

/* The stored body: the match object plus key, employee, window, clause,
 * source and created_at (no id, state or history: those live in columns). */
json_t *alert_body_json(const alert_context *ctx, const hit *h, const char *key);
/* The alert as users and channels see it: body + id, state and history
 * (history may be NULL: an empty list). Returns NULL on a corrupt body. */
json_t *alert_json(const store_alert *a, json_t *history);
/* A deep copy of alert (as alert_json gives it) with employee.name
 * replaced by employee.id, for channels with Pseudonymize=yes. The
 * contact's data stays: it is what the receiver must judge. NULL on
 * -ENOMEM or when alert has no employee.id string. */
json_t *alert_pseudonymized(const json_t *alert);
/* alert_json with the alert's history read from st (`show`, `alerts` and
 * every channel see the same object). -EBADMSG for a corrupt body, -ENOMEM,
 * or the store's -errno. */
int alert_json_load(store *st, const store_alert *a, json_t **ret);
/* Time helpers shared by the JSON shapes: RFC 3339 UTC ("...Z"). */
void alert_format_time(int64_t unix_seconds, char buf[static 32]);
