/* names.h — normalisation of the identity signals: LinkedIn profile URLs,
 * e-mail addresses and domains, company names (legal forms, low-identity
 * words) and Dutch person names (particles, initials, IJ/Y). Pure. */
#pragma once

#include "contactwatch/common.h"

/* ---- parse memory ---------------------------------------------------------
 * A bump allocator for values that live as long as one contact (or one
 * cache slot): the matcher parses a million contacts per scan, and a
 * malloc/free pair per word and per key cost more than the parsing. Blocks
 * never move, so what was handed out stays valid until names_arena_reset,
 * which keeps the blocks for the next contact. Embedded: _init/_done. One
 * arena belongs to one thread. */
typedef struct names_arena_block names_arena_block;
typedef struct names_arena {
	names_arena_block *first; /* NULL until the first allocation */
	names_arena_block *cur;   /* the block allocations come from */
	size_t used;              /* bytes of cur handed out */
} names_arena;

void names_arena_init(names_arena *a);
/* The same, with buf (size bytes, 8-aligned, outliving the arena) as the
 * first block: an arena on the stack. */
void names_arena_init_buffer(names_arena *a, void *buf, size_t size);
/* n bytes aligned for any scalar type; NULL when out of memory. */
void *names_arena_alloc(names_arena *a, size_t n);
/* Everything handed out is forgotten; the memory is kept. */
void names_arena_reset(names_arena *a);
void names_arena_done(names_arena *a);

/* "https://nl.linkedin.com/in/SjoerdVdMolen/?x=y" -> "linkedin.com/in/sjoerdvdmolen"
 * (percent-decoded, lowercased; /company/ URLs likewise). -EINVAL if it is
 * not a LinkedIn profile or company URL. */
int names_linkedin_url(const char *url, char **ret);
/* Trimmed, lowercased address with exactly one '@' and a dotted domain. */
int names_email(const char *raw, char **ret);
/* The same, the result in a (owned by it: never freed on its own). */
int names_email_in(names_arena *a, const char *raw, char **ret);
/* The domain part of a normalised address (pointer into it). */
const char *names_email_domain(const char *email);
/* Whether domain equals company_domain or is a subdomain of it. */
bool names_domain_within(const char *domain, const char *company_domain);
/* The free-mail list as a set: asked of every contact's address and every
 * catalogue domain, a hash per label instead of a pass over the list. */
typedef struct names_free_mail names_free_mail;
/* A set of domains (strv; NULL: empty), copied: case does not matter. */
int names_free_mail_new(char *const *domains, names_free_mail **ret);
names_free_mail *names_free_mail_free(names_free_mail *fm); /* NULL-safe; returns NULL */
/* Whether domain or a parent of it is in fm (NULL: an empty set):
 * "mail.gmail.com" says no more about an employer than "gmail.com". */
bool names_domain_is_free_mail(const char *domain, const names_free_mail *fm);
/* Whether s, lowercased already, is a domain name: dotted, labels of
 * letters, digits and '-' (not first or last) or UTF-8, none empty. */
bool names_domain_is_valid(const char *s);
/* Normalises a catalogue domain: trimmed, lowercased, without scheme, path,
 * a leading "@" or "www.", or a trailing dot. -EINVAL unless it is dotted. */
int names_domain(const char *raw, char **ret);
/* The same, the result in a (owned by it: never freed on its own). */
int names_domain_in(names_arena *a, const char *raw, char **ret);
/* The built-in free-mail and Dutch ISP domains (domain.md), NULL-terminated;
 * the daemon copies it into match_options.free_mail with the configured ones. */
extern const char *const names_free_mail_builtin[];

/* ---- company names ------------------------------------------------------
 * A company name becomes a token list: folded, IJ -> y, "&"/"en"/"and"
 * dropped, punctuation and hyphens are separators (dotted abbreviations such
 * as "B.V." or "A.S.R." are joined first), legal forms stripped at the ends.
 * Low-identity words ("Holding", "Nederland", "Koninklijke") are then left
 * out of the comparison key; trade words ("Bouw", "Transport") stay in it
 * but are not distinctive: a name match needs a shared distinctive word. */
typedef enum names_word_class {
	NAMES_WORD_DISTINCTIVE,
	NAMES_WORD_TRADE,        /* kept, but says nothing on its own */
	NAMES_WORD_LOW_IDENTITY, /* dropped from the key */
	NAMES_WORD_LEGAL_FORM,   /* dropped at either end of the name */
	NAMES_WORD_CONNECTOR,    /* "en", "and": dropped ("&" is a separator) */
} names_word_class;

/* Class of one folded word (as it appears in a key, e.g. "bv", "groep"). */
names_word_class names_company_word_class(const char *word);

typedef struct names_company {
	char *full_key;    /* legal forms gone, low-identity words kept: "philips nederland" */
	char *key;         /* the comparison key: low-identity words gone too: "philips" */
	char **tokens;     /* key split at spaces (strv) */
	bool *trade;       /* per token: not distinctive */
	uint8_t (*letters)[32]; /* per token: its bytes counted per (byte & 31), for
				 * the Jaro-Winkler bound in names_company_compare */
	uint32_t *masks;   /* per token: bit (byte & 31) set for each of its bytes, for
			    * an upper bound on the letters two words share that
			    * costs two popcounts */
	uint8_t *lens;     /* per token: its length (words are < NAMES_MAX_WORD bytes) */
	size_t n_tokens;
	size_t n_distinctive;
	/* For names_company_compare's first test, which ends most pairs of
	 * unrelated names without a call: */
	uint64_t full_hash, key_hash; /* of full_key and key */
	uint64_t distinctive_hash;    /* of the distinctive tokens, in order */
} names_company;

/* -EINVAL when nothing is left of raw (empty, punctuation only), -ENOMEM. */
int names_company_parse(const char *raw, names_company *ret);
/* The same with German transliteration (ü -> ue, ö -> oe, ä -> ae): the
 * alternative form "Müller GmbH" needs to meet "Mueller GmbH". */
int names_company_parse_german(const char *raw, names_company *ret);
/* Either of the two into a (german: the transliterated form): the result
 * is owned by the arena, never passed to names_company_done. */
int names_company_parse_in(names_arena *a, const char *raw, bool german, names_company *ret);
/* Whether raw may fold differently with transliteration (has non-ASCII). */
bool names_has_transliteration(const char *raw);

/* Longest word (bytes, with its NUL) the name parsers keep; a longer
 * "word" in a name is noise, not identity, and is cut. */
#define NAMES_MAX_WORD 128

/* Distinctive words of at most this many letters are acronyms or short
 * names: they agree only exactly, never by similarity. */
#define NAMES_COMPANY_SHORT_WORD 4
/* A one-edit typo is accepted in words of at least this many letters. */
#define NAMES_TYPO_MIN_WORD 8
/* Word pairs less similar than this (Jaro-Winkler) are different words
 * (in percent too, for exact integer bounds). */
#define NAMES_JW_NEAR_PERCENT 88
#define NAMES_JW_NEAR (NAMES_JW_NEAR_PERCENT / 100.0)
/* A near miss scores this times the similarity of its differing words. */
#define NAMES_NEAR_MISS_WEIGHT 0.85
/* Jaro-Winkler similarity of two (folded) strings, 0..1 (1: equal). */
double names_jaro_winkler(const char *a, const char *b);
/* names_jaro_winkler(a, b) when it can reach min, else 0 (a cheap bound
 * from the letters the two share rules most pairs out first). */
double names_jaro_winkler_at_least(const char *a, const char *b, double min);
/* Whether names_jaro_winkler_at_least(a, b, min) gets past its bound (it
 * then returns names_jaro_winkler(a, b), else 0), for words of la and lb
 * bytes (below NAMES_MAX_WORD) counted by names_letters_count, whose
 * common prefix (at most 4) is prefix: without the words themselves. */
bool names_jaro_winkler_may_reach(size_t la, const uint8_t ca[32], uint32_t ma, size_t lb, const uint8_t cb[32],
				  uint32_t mb, size_t prefix, double min);
/* A word's bytes counted per (byte & 31), as names_company.letters;
 * returns its mask, as names_company.masks. */
uint32_t names_letters_count(const char *w, size_t n, uint8_t ret[32]);
void names_company_done(names_company *c);
/* How well a contact's company name agrees with a relation's name (or alias):
 * 1.0 same full key; 0.98 same key (low-identity words differ); 0.94 the
 * same distinctive words, exactly, with trade words left out on one side
 * ("ING Bank" = "ING"); for names with the same number of words that differ
 * only in words of > 4 letters, each pair with Jaro-Winkler >= NAMES_JW_NEAR:
 * one edit in a word of >= 8 letters gives the JW of that word pair, kept
 * within 0.93..0.97 (a typo), anything else 0.85 x that JW (a near miss:
 * review band at most);
 * 0 otherwise. Words of <= 4 letters (acronyms: ING, KPN, BAM) never agree
 * by similarity, and a longer name that starts with the relation's
 * ("Ingram Micro", "Philips Van Heusen") never agrees. */
double names_company_compare(const names_company *contact, const names_company *relation);
/* What names_company_may_agree needs of a relation's name, in one cache
 * line: a candidate list reads one per relation, from anywhere in the
 * index, and a parsed name is three blocks. Words beyond
 * NAMES_SUMMARY_WORDS are not kept (such a name is never ruled out). */
#define NAMES_SUMMARY_WORDS 4
typedef struct names_company_summary {
	uint64_t full_hash, key_hash, distinctive_hash;
	uint32_t masks[NAMES_SUMMARY_WORDS];
	uint8_t heads[NAMES_SUMMARY_WORDS][4]; /* first bytes of each word, zero-padded */
	uint8_t lens[NAMES_SUMMARY_WORDS];
	uint8_t n_tokens;      /* NAMES_SUMMARY_WORDS + 1: more than that */
	uint8_t n_distinctive; /* 255: that many or more */
} names_company_summary;

void names_company_summarize(const names_company *c, names_company_summary *ret);
/* false when names_company_compare(contact, relation) is surely 0; a
 * cheap test (no call, no pass over the words) that ends most comparisons
 * of unrelated names. true says nothing. */
bool names_company_may_agree(const names_company *contact, const names_company_summary *relation);
/* Whether a and b are at Damerau-Levenshtein distance exactly 1 (bytes). */
bool names_distance_is_one(const char *a, const char *b);

/* ---- person names -------------------------------------------------------- */
typedef struct names_surname {
	char *particles; /* "van der", "" when none */
	char *main;      /* "molen" */
} names_surname;

typedef struct names_person_form {
	char **given;     /* given-name words, hyphens split; initials as one letter (strv, may be NULL) */
	bool has_initials;
	char *given_key;     /* given words joined by spaces, "" when none */
	char *given_compact; /* the same without spaces: "Annemarie" = "Anne-Marie" */
	names_surname *surnames; /* alternatives: "Bakker-de Wit" gives "bakker" and "de wit" */
	size_t n_surnames;
} names_person_form;

typedef struct names_person {
	char *display;               /* the folded full name, for evidence */
	names_person_form form[2];   /* [0] plain fold, [1] German transliteration */
	bool german_same;            /* both folds alike: form[1] shares form[0]'s storage */
} names_person;

typedef enum names_person_agreement {
	NAMES_PERSON_DISAGREE = 0,
	NAMES_PERSON_TYPO,       /* same given name, main surnames one edit apart (>= 8 letters) */
	NAMES_PERSON_INITIALS,   /* initials agree with the given names, same surname */
	NAMES_PERSON_FULL_LOOSE, /* same given name and main surname, particles on one side only */
	NAMES_PERSON_FULL,       /* same given name, particles and main surname */
} names_person_agreement;

/* A whole name: "Jan de Vries", "P.J.M. van den Berg", "Vries, Jan de".
 * -EINVAL when there is no surname (empty, or particles only). */
int names_person_parse(const char *full, names_person *ret);
/* Separate fields as exports give them; first may be NULL or hold initials. */
int names_person_parse_split(const char *first, const char *last, names_person *ret);
/* The two into a: owned by the arena, never passed to names_person_done
 * (and parsing needs no other allocation for an ASCII or Latin name). */
int names_person_parse_in(names_arena *a, const char *full, names_person *ret);
int names_person_parse_split_in(names_arena *a, const char *first, const char *last, names_person *ret);
/* A deep copy of src into a (compact: none of the parse's temporaries). */
int names_person_copy_in(names_arena *a, const names_person *src, names_person *ret);
void names_person_done(names_person *p);
names_person_agreement names_person_compare(const names_person *a, const names_person *b);
