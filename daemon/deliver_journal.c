/* deliver_journal.c — alerts as structured journal entries. The message
 * names employee and relation by id only: contact data never goes
 * to the journal above debug (journals are widely readable by admins). */
#include <errno.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "contactwatch/deliver.h"

static const char *json_get_str(const json_t *o, const char *k1, const char *k2)
{
	const json_t *v = json_object_get(o, k1);
	if (k2)
		v = json_object_get(v, k2);
	return json_is_string(v) ? json_string_value(v) : "";
}

bool deliver_wants(const channel_config *ch, const json_t *alert)
{
	severity s;
	if (parse_severity(json_get_str(alert, "severity", NULL), &s) < 0)
		return true; /* unknown severity: deliver rather than lose it */
	return s >= ch->min_severity;
}

int deliver_journal_alert(const json_t *alert)
{
	const char *sev = json_get_str(alert, "severity", NULL);
	json_int_t id = json_integer_value(json_object_get(alert, "id"));
	int prio = streq(sev, "high") ? LOG_WARNING : LOG_NOTICE;

	/* Ids only: a person relation's name is personal data too. */
	int r = sd_journal_send("MESSAGE=Alert %lld: employee %s, relation %s: %s, severity %s", (long long)id,
				json_get_str(alert, "employee", "id"), json_get_str(alert, "relation", "id"),
				json_get_str(alert, "classification", NULL), sev, "MESSAGE_ID=" CW_MESSAGE_ALERT, "PRIORITY=%d", prio,
				"CONTACTWATCH_ALERT=%lld", (long long)id, "CONTACTWATCH_EMPLOYEE=%s",
				json_get_str(alert, "employee", "id"), "CONTACTWATCH_RELATION=%s",
				json_get_str(alert, "relation", "id"), "CONTACTWATCH_SEVERITY=%s", sev,
				"CONTACTWATCH_CLASSIFICATION=%s", json_get_str(alert, "classification", NULL),
				"CONTACTWATCH_KEY=%s", json_get_str(alert, "key", NULL), NULL);
	return r < 0 ? r : 0;
}

int deliver_alert(const channel_config *ch, const json_t *alert)
{
	switch (ch->type) {
	case CHANNEL_JOURNAL:
		return deliver_journal_alert(alert);
	case CHANNEL_FILE:
		return deliver_file_alert(ch->path, alert);
	default:
		return -EOPNOTSUPP;
	}
}
