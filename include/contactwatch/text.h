/* text.h — Unicode text handling over utf8proc: validation, folding for
 * comparison (case, diacritics, compatibility forms), trimming. Pure. */
#pragma once

#include "contactwatch/common.h"

bool text_utf8_valid(const char *s, size_t n);
/* Folds s for comparison: NFKD, case-folded, combining marks stripped,
 * ß -> ss, æ -> ae, ø -> o, ł -> l; runs of whitespace become one space.
 * Returns a new string in *ret; -EINVAL for invalid UTF-8, -ENOMEM. */
int text_fold(const char *s, char **ret);
/* text_fold's rule for pure ASCII s (lowercase, control characters dropped,
 * whitespace runs one space, ends trimmed), written to out (at least
 * strlen(s) + 1 bytes). Returns the folded length. */
size_t text_fold_ascii_into(const char *s, char *out);
/* Trims ASCII whitespace and U+00A0 at both ends, in place; returns s. */
char *text_strip(char *s);
/* As text_fold, but a/o/u with a diaeresis become "ae"/"oe"/"ue" (German
 * transliteration: "Müller" -> "mueller"), an alternative form for names. */
int text_fold_german(const char *s, char **ret);

/* ---- decoding exports to UTF-8 -------------------------------------------
 * The decoding rule (domain.md): a byte-order mark wins; else the whole file
 * valid UTF-8 means UTF-8; else Windows-1252. Parsers only ever see UTF-8
 * without a BOM. */

/* The code point of a Windows-1252 byte (the five undefined bytes: U+FFFD). */
uint32_t text_cp1252_codepoint(unsigned char b);
/* 0..15 for a hex digit, else -1. */
int text_hex_digit(char c);
/* Writes the scalar value cp (never a surrogate, at most U+10FFFF) as
 * UTF-8 to out; returns the number of bytes (1..4). */
size_t text_utf8_encode(uint32_t cp, char out[static 4]);

typedef enum text_encoding {
	TEXT_UTF8,         /* no BOM, the whole input valid UTF-8 */
	TEXT_UTF8_BOM,     /* EF BB BF */
	TEXT_UTF16LE,      /* FF FE */
	TEXT_UTF16BE,      /* FE FF */
	TEXT_WINDOWS_1252, /* anything else */
	TEXT_BYTES,        /* passed on untouched: for formats that declare their
			    * charset per value (vCard's CHARSET=), never detected */
} text_encoding;

/* "utf-8", "utf-8-bom", "utf-16le", "utf-16be", "windows-1252" (< 16 bytes). */
const char *text_encoding_name(text_encoding enc);
/* Whether head starts with one of the three byte-order marks above; a head
 * shorter than the mark is not one. */
bool text_has_bom(const char *head, size_t n);
/* The encoding of an input starting with head; whole_valid_utf8 (from a
 * text_utf8_validator over the whole input) only counts without a BOM. */
text_encoding text_detect(const char *head, size_t n, bool whole_valid_utf8);

/* UTF-8 validation fed chunk by chunk (a sequence may span feeds), for a
 * first pass over a file that is too big to hold. Embedded: _init, no _free.
 * Accepts exactly what text_utf8_valid accepts. */
typedef struct text_utf8_validator {
	uint64_t offset;       /* bytes fed so far */
	unsigned line;         /* 1-based line of the next byte: LF, CR and CRLF end one */
	bool invalid;          /* sticky: the input is not UTF-8 */
	uint64_t error_offset; /* when invalid: the first byte of the ill-formed sequence */
	unsigned error_line;   /* ... and its line */
	/* private */
	uint64_t seq_offset;
	uint32_t cp;
	unsigned char need, lo, hi;
	bool prev_cr;
} text_utf8_validator;

void text_utf8_validator_init(text_utf8_validator *v);
/* Returns false once the input so far cannot be valid UTF-8 (then stops looking). */
bool text_utf8_validator_feed(text_utf8_validator *v, const char *s, size_t n);
/* End of input: a sequence cut short is invalid too. Returns !v->invalid. */
bool text_utf8_validator_finish(text_utf8_validator *v);

/* A streaming decoder from one text_encoding to UTF-8. It drops a leading
 * BOM, holds a code unit, surrogate pair or UTF-8 sequence split across feeds
 * until it is complete, and hands its output to the sink in pieces of at
 * most a few KiB. Output is always valid UTF-8; U+0000 is passed on (the
 * parsers reject it). Windows-1252's five undefined bytes (0x81, 0x8D, 0x8F,
 * 0x90, 0x9D) become U+FFFD. */
typedef struct text_decoder text_decoder;
/* Receives decoded UTF-8; returns 0, or <0 to stop (feed/finish return it). */
typedef int (*text_sink_fn)(const char *utf8, size_t n, void *userdata);

text_decoder *text_decoder_new(text_encoding enc); /* NULL on ENOMEM */
text_decoder *text_decoder_free(text_decoder *d);
/* Decodes n bytes. 0, the sink's error, or -EILSEQ when the input is not
 * text in the encoding (text_decoder_error says where); everything before the
 * bad sequence has been given to the sink by then. Errors are sticky. */
int text_decoder_feed(text_decoder *d, const char *in, size_t n, text_sink_fn out, void *userdata);
/* End of input: -EILSEQ for half a UTF-16 code unit, a high surrogate or a
 * UTF-8 sequence left over. */
int text_decoder_finish(text_decoder *d, text_sink_fn out, void *userdata);
/* After -EILSEQ: the reason ("invalid UTF-8 after a UTF-8 byte-order mark",
 * "invalid UTF-16LE: unpaired surrogate", ...), the 1-based line of the
 * decoded text and the byte offset in the input of the first bad byte.
 * NULL when there was no error. ret_* may be NULL. */
const char *text_decoder_error(const text_decoder *d, unsigned *ret_line, uint64_t *ret_offset);
