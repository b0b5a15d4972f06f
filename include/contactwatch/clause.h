/* clause.h — the time logic of a relatiebeding: where a dated connection
 * falls against the clause window, and the severity that follows. Pure. */
#pragma once

#include "contactwatch/common.h"
#include "contactwatch/parse.h"

typedef enum classification {
	CLASS_NONE,               /* after the window: not a match, not stored */
	CLASS_IN_WINDOW,
	CLASS_PRE_EXISTING,
	CLASS_NEW_SINCE_BASELINE,
	CLASS_UNDATED,
} classification;

/* date: day number or DATE_NONE. For undated contacts, seen_before says the
 * same contact appeared in an earlier export of the same source, and
 * have_baseline whether there was an earlier export at all. */
classification clause_classify(int32_t start, int32_t end, int32_t date, bool have_baseline, bool seen_before);
severity clause_severity(classification c);
const char *classification_to_string(classification c);
