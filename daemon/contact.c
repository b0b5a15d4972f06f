/* contact.c — the normalised contact record: init/done, deep copy and the
 * small accessors that turn multi-valued fields into the spec's single ones,
 * and the contact's identity (what alert keys and baseline hashes are over).
 * Parsers hand out borrowed contacts; whoever keeps one makes a copy here. */
#include <errno.h>

#include "contactwatch/contact.h"
#include "contactwatch/date.h"
#include "contactwatch/names.h"
#include "contactwatch/text.h"

void contact_init(contact *c)
{
	*c = (contact){
		.connected_on = DATE_NONE,
		.event = CONTACT_EVENT_CONNECTION,
	};
}

void contact_done(contact *c)
{
	if (!c)
		return;
	free(c->first);
	free(c->last);
	free(c->name);
	free(c->company);
	free(c->position);
	strv_free(c->emails);
	strv_free(c->urls);
	free(c->date_raw);
	contact_init(c);
}

static int copy_string(const char *s, char **ret)
{
	if (!s) {
		*ret = NULL;
		return 0;
	}
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int copy_strv(char *const *l, char ***ret)
{
	char **n = NULL;
	*ret = NULL;
	if (!l)
		return 0;
	for (; *l; l++)
		if (strv_push(&n, *l) < 0) {
			strv_free(n);
			return -ENOMEM;
		}
	/* An empty (non-NULL) list stays non-NULL so a copy compares equal. */
	if (!n) {
		n = calloc(1, sizeof(char *));
		if (!n)
			return -ENOMEM;
	}
	*ret = n;
	return 0;
}

int contact_copy(const contact *src, contact *ret)
{
	contact c;
	contact_init(&c);
	c.connected_on = src->connected_on;
	c.date_note = src->date_note; /* static text */
	c.event = src->event;
	c.record = src->record;
	c.line = src->line;
	if (copy_string(src->first, &c.first) < 0 || copy_string(src->last, &c.last) < 0 ||
	    copy_string(src->name, &c.name) < 0 || copy_string(src->company, &c.company) < 0 ||
	    copy_string(src->position, &c.position) < 0 || copy_strv(src->emails, &c.emails) < 0 ||
	    copy_strv(src->urls, &c.urls) < 0 || copy_string(src->date_raw, &c.date_raw) < 0)
		goto fail;
	/* ret untouched on failure (systemd's ret_ convention). */
	*ret = c;
	return 0;
fail:
	contact_done(&c);
	return -ENOMEM;
}

const char *contact_email(const contact *c)
{
	return c->emails ? c->emails[0] : NULL;
}

const char *contact_profile_url(const contact *c)
{
	return c->urls ? c->urls[0] : NULL;
}

const char *contact_event_to_string(contact_event e)
{
	switch (e) {
	case CONTACT_EVENT_CONNECTION:
		return "connection";
	case CONTACT_EVENT_INVITATION_OUTGOING:
		return "invitation_outgoing";
	case CONTACT_EVENT_INVITATION_INCOMING:
		return "invitation_incoming";
	}
	return NULL;
}

int contact_identity(const contact *c, char **ret)
{
	_cleanup_free_ char *name = NULL, *company = NULL;
	const char *url = contact_profile_url(c), *email = contact_email(c);
	char *s = NULL;
	int r;

	/* A value that is not a LinkedIn URL or not an address is no identity:
	 * fall through to the next signal. Only running out of memory stops. */
	if (url) {
		r = names_linkedin_url(url, &s);
		if (r == -ENOMEM)
			return r;
		if (r >= 0)
			goto done;
	}
	if (email) {
		r = names_email(email, &s);
		if (r == -ENOMEM)
			return r;
		if (r >= 0)
			goto done;
	}
	if ((r = text_fold(strempty(c->name), &name)) < 0 || (r = text_fold(strempty(c->company), &company)) < 0)
		return r == -ENOMEM ? r : -EINVAL;
	/* "name:<name>|company:<company>", put together by hand: asprintf's
	 * format machinery cost more than the rest for an undated export
	 * (the daemon hashes every undated record's identity). */
	static const char pre_name[] = "name:", pre_company[] = "|company:";
	const size_t ln = strlen(name), lc = strlen(company);
	s = malloc(sizeof pre_name - 1 + ln + sizeof pre_company - 1 + lc + 1);
	if (!s)
		return -ENOMEM;
	char *p = mempcpy(s, pre_name, sizeof pre_name - 1);
	p = mempcpy(p, name, ln);
	p = mempcpy(p, pre_company, sizeof pre_company - 1);
	p = mempcpy(p, company, lc);
	*p = '\0';
done:
	*ret = s;
	return 0;
}
