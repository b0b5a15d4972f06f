/* clause.c — classification of a matched contact against the clause window
 * [DepartureDate, DepartureDate + Duration], both ends included. */
#include "contactwatch/clause.h"
#include "contactwatch/date.h"

classification clause_classify(int32_t start, int32_t end, int32_t date, bool have_baseline, bool seen_before)
{
	if (date == DATE_NONE) {
		/* An undated contact in the first export could be years old; one
		 * that appears in a later export was added since the baseline. */
		if (have_baseline && !seen_before)
			return CLASS_NEW_SINCE_BASELINE;
		return CLASS_UNDATED;
	}
	if (date < start)
		return CLASS_PRE_EXISTING;
	if (date <= end)
		return CLASS_IN_WINDOW;
	return CLASS_NONE;
}

severity clause_severity(classification c)
{
	switch (c) {
	case CLASS_IN_WINDOW:
	case CLASS_NEW_SINCE_BASELINE:
		return SEVERITY_HIGH;
	case CLASS_UNDATED:
		return SEVERITY_MEDIUM;
	default:
		return SEVERITY_LOW;
	}
}

const char *classification_to_string(classification c)
{
	switch (c) {
	case CLASS_IN_WINDOW:
		return "in_window";
	case CLASS_PRE_EXISTING:
		return "pre_existing";
	case CLASS_NEW_SINCE_BASELINE:
		return "new_since_baseline";
	case CLASS_UNDATED:
		return "undated";
	default:
		return "none";
	}
}
