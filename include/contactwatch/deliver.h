/* deliver.h — the alert channels of this build: the journal (structured
 * fields, no contact data above debug) and an append-only JSON-lines file.
 * Each returns 0 or -errno; the caller logs. */
#pragma once

#include <jansson.h>

#include "contactwatch/config.h"

/* Fixed journal MESSAGE_IDs, one per event kind (journalctl MESSAGE_ID=...). */
#define CW_MESSAGE_ALERT         "6f1c9a1e2b7d4c0e8a53d0c4b2e17f01"
#define CW_MESSAGE_FILE_REJECTED "6f1c9a1e2b7d4c0e8a53d0c4b2e17f02"
#define CW_MESSAGE_SCAN_DONE     "6f1c9a1e2b7d4c0e8a53d0c4b2e17f03"

/* Whether ch wants an alert of this severity (MinSeverity=). */
bool deliver_wants(const channel_config *ch, const json_t *alert);
int deliver_journal_alert(const json_t *alert);
int deliver_file_alert(const char *path, const json_t *alert);
/* Dispatches on ch->type; -EOPNOTSUPP for channel types this build lacks. */
int deliver_alert(const channel_config *ch, const json_t *alert);
