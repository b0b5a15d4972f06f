/* hash.h — SHA-256 (file evidence) and HMAC-SHA256 (keyed identities,
 * webhook signatures) over OpenSSL's libcrypto, as hex strings. */
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
/* Hex SHA-256 of a regular file (opened O_NOFOLLOW), refusing files over
 * max_size with -EFBIG. */
int hash_sha256_file(const char *path, uint64_t max_size, char ret[static 65]);
