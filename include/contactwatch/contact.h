/* contact.h — the normalised contact record every export format yields, so
 * that the matcher never knows where a record came from. */
#pragma once

#include "contactwatch/common.h"

typedef enum contact_event {
	CONTACT_EVENT_CONNECTION,         /* a connection / address-book entry */
	CONTACT_EVENT_INVITATION_OUTGOING, /* an invitation the employee sent */
	CONTACT_EVENT_INVITATION_INCOMING,
} contact_event;

typedef struct contact {
	char *first;        /* as read, trimmed; NULL if absent */
	char *last;
	char *name;         /* full name: "first last" when not given whole */
	char *company;
	char *position;
	char **emails;      /* strv, may be NULL */
	char **urls;        /* strv of profile/web URLs, may be NULL */
	int32_t connected_on; /* day number, DATE_NONE when undated */
	char *date_raw;     /* the date cell as read, or NULL */
	const char *date_note; /* why date_raw gave no date (ambiguous, unreadable):
				* static text (date.h DATE_WHY_*), not owned; NULL when dated or no date cell */
	contact_event event;
	size_t record;      /* 1-based index among data records */
	unsigned line;      /* physical line where the record starts (1-based) */
} contact;

void contact_init(contact *c);
void contact_done(contact *c);
int contact_copy(const contact *src, contact *ret); /* deep copy; -ENOMEM */
/* First e-mail / URL or NULL: what the spec's single-valued JSON fields show. */
const char *contact_email(const contact *c);
const char *contact_profile_url(const contact *c);
const char *contact_event_to_string(contact_event e);
/* The contact's identity, strongest signal first, in normalised form so
 * that cosmetic changes between exports (URL subdomain, case, diacritics) do
 * not make a known connection look new: "linkedin.com/in/<slug>" from the
 * profile URL, else the normalised e-mail address, else
 * "name:<folded name>|company:<folded company>". Alert keys and the keyed
 * baseline hashes are both computed over it. -EINVAL (invalid UTF-8 in the
 * name or company), -ENOMEM; *ret untouched on failure. */
int contact_identity(const contact *c, char **ret);
