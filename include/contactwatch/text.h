/* text.h — Unicode text handling over utf8proc: validation, folding for
 * comparison (case, diacritics, compatibility forms), trimming. Pure. */
#pragma once

#include "contactwatch/common.h"

bool text_utf8_valid(const char *s, size_t n);
/* Folds s for comparison: NFKD, case-folded, combining marks stripped,
 * ß -> ss, æ -> ae, ø -> o, ł -> l; runs of whitespace become one space.
 * Returns a new string in *ret; -EINVAL for invalid UTF-8, -ENOMEM. */
int text_fold(const char *s, char **ret);
/* Trims ASCII whitespace and U+00A0 at both ends, in place; returns s. */
char *text_strip(char *s);
/* As text_fold, but a/o/u with a diaeresis become "ae"/"oe"/"ue" (German
 * transliteration: "Müller" -> "mueller"), an alternative form for names. */
int text_fold_german(const char *s, char **ret);
