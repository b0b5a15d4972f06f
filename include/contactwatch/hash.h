/* hash.h — SHA-256 (file evidence) and HMAC-SHA256 (keyed identities,
 * webhook signatures) over OpenSSL's libcrypto, as hex strings; and the
 * FNV-1a step the in-memory tables hash their keys with. */
#pragma once

#include "contactwatch/common.h"

typedef struct hash_sha256 hash_sha256;

hash_sha256 *hash_sha256_new(void);           /* NULL on ENOMEM */
int hash_sha256_update(hash_sha256 *h, const void *data, size_t n);
/* Writes 64 hex digits + NUL; the context can then only be freed. */
int hash_sha256_final_hex(hash_sha256 *h, char ret[static 65]);
hash_sha256 *hash_sha256_free(hash_sha256 *h);
int hash_sha256_hex(const void *data, size_t n, char ret[static 65]);
int hash_hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t n, char ret[static 65]);

#define HASH_SHA256_SIZE 32u

/* HMAC-SHA256 under one key for many short messages (a keyed hash per
 * contact of an export): the key's inner and outer pads are hashed once in
 * hash_hmac_new, so each message costs two context copies and two short
 * compressions instead of a full HMAC set-up. Raw 32-byte output: that is
 * what the state database stores. The key is copied only into the hash
 * contexts' state, never kept in the clear. Not thread-safe per object. */
typedef struct hash_hmac hash_hmac;
int hash_hmac_new(const void *key, size_t key_len, hash_hmac **ret);
int hash_hmac_sha256(hash_hmac *h, const void *data, size_t n, uint8_t ret[static HASH_SHA256_SIZE]);
hash_hmac *hash_hmac_free(hash_hmac *h); /* NULL-safe; returns NULL */
/* Hex SHA-256 of a regular file (opened O_NOFOLLOW), refusing files over
 * max_size with -EFBIG. */
int hash_sha256_file(const char *path, uint64_t max_size, char ret[static 65]);

/* FNV-1a, a byte at a time, for in-memory tables of short keys (names,
 * ids, domains: no adversary controls both sides): start from
 * HASH_FNV1A_OFFSET (or a seed of the caller's), one step per byte. */
#define HASH_FNV1A_OFFSET UINT64_C(14695981039346656037)
static inline uint64_t hash_fnv1a_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * UINT64_C(1099511628211);
}
