/* hash.c — SHA-256 and HMAC-SHA256 as lowercase hex, and a keyed HMAC
 * context with raw output for hashing many contacts, through libcrypto's EVP
 * interface (the low-level SHA256_* calls are deprecated in OpenSSL 3). */
#include <errno.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "contactwatch/fileio.h"
#include "contactwatch/hash.h"

struct hash_sha256 {
	EVP_MD_CTX *ctx;
};

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

hash_sha256 *hash_sha256_new(void)
{
	hash_sha256 *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		return hash_sha256_free(h);
	return h;
}

int hash_sha256_update(hash_sha256 *h, const void *data, size_t n)
{
	return EVP_DigestUpdate(h->ctx, data, n) == 1 ? 0 : -EIO;
}

int hash_sha256_final_hex(hash_sha256 *h, char ret[static 65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32)
		return -EIO;
	hex_encode(md, len, ret);
	return 0;
}

hash_sha256 *hash_sha256_free(hash_sha256 *h)
{
	if (h) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
	}
	return NULL;
}

int hash_sha256_hex(const void *data, size_t n, char ret[static 65])
{
	hash_sha256 *h = hash_sha256_new();
	int r;
	if (!h)
		return -ENOMEM;
	r = hash_sha256_update(h, data, n);
	if (r == 0)
		r = hash_sha256_final_hex(h, ret);
	hash_sha256_free(h);
	return r;
}

int hash_hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t n, char ret[static 65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (key_len > INT32_MAX)
		return -EINVAL;
	if (!HMAC(EVP_sha256(), key, (int)key_len, data, n, md, &len) || len != 32)
		return -EIO;
	hex_encode(md, len, ret);
	return 0;
}

/* SHA-256's block size: HMAC pads the key to it (RFC 2104). */
#define HMAC_BLOCK 64u

struct hash_hmac {
	EVP_MD_CTX *inner, *outer; /* after the key's ipad / opad block */
	EVP_MD_CTX *work;          /* copied from inner/outer per message */
};

hash_hmac *hash_hmac_free(hash_hmac *h)
{
	if (h) {
		EVP_MD_CTX_free(h->inner);
		EVP_MD_CTX_free(h->outer);
		EVP_MD_CTX_free(h->work);
		free(h);
	}
	return NULL;
}

int hash_hmac_new(const void *key, size_t key_len, hash_hmac **ret)
{
	unsigned char block[HMAC_BLOCK] = { 0 }, pad[HMAC_BLOCK];
	unsigned int len = 0;
	hash_hmac *h = NULL;
	int r = -EIO;

	if (!key && key_len > 0)
		return -EINVAL;
	h = calloc(1, sizeof *h);
	if (!h)
		return -ENOMEM;
	h->inner = EVP_MD_CTX_new();
	h->outer = EVP_MD_CTX_new();
	h->work = EVP_MD_CTX_new();
	if (!h->inner || !h->outer || !h->work) {
		r = -ENOMEM;
		goto fail;
	}
	/* A key longer than a block is replaced by its digest (RFC 2104). */
	if (key_len > HMAC_BLOCK) {
		if (EVP_Digest(key, key_len, block, &len, EVP_sha256(), NULL) != 1)
			goto fail;
	} else if (key_len > 0)
		memcpy(block, key, key_len);
	for (size_t i = 0; i < HMAC_BLOCK; i++)
		pad[i] = block[i] ^ 0x36;
	if (EVP_DigestInit_ex(h->inner, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(h->inner, pad, HMAC_BLOCK) != 1)
		goto fail;
	for (size_t i = 0; i < HMAC_BLOCK; i++)
		pad[i] = block[i] ^ 0x5c;
	if (EVP_DigestInit_ex(h->outer, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(h->outer, pad, HMAC_BLOCK) != 1)
		goto fail;
	*ret = h;
	h = NULL;
	r = 0;
fail:
	/* The key must not linger on the stack. */
	explicit_bzero(block, sizeof block);
	explicit_bzero(pad, sizeof pad);
	hash_hmac_free(h);
	return r;
}

int hash_hmac_sha256(hash_hmac *h, const void *data, size_t n, uint8_t ret[static HASH_SHA256_SIZE])
{
	unsigned char inner[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_MD_CTX_copy_ex(h->work, h->inner) != 1 || EVP_DigestUpdate(h->work, data, n) != 1 ||
	    EVP_DigestFinal_ex(h->work, inner, &len) != 1 || len != HASH_SHA256_SIZE)
		return -EIO;
	if (EVP_MD_CTX_copy_ex(h->work, h->outer) != 1 || EVP_DigestUpdate(h->work, inner, len) != 1 ||
	    EVP_DigestFinal_ex(h->work, ret, &len) != 1 || len != HASH_SHA256_SIZE)
		return -EIO;
	return 0;
}

int hash_sha256_file(const char *path, uint64_t max_size, char ret[static 65])
{
	char buf[CW_READ_CHUNK];
	uint64_t total = 0;
	hash_sha256 *h = NULL;
	int r, fd = fileio_open_regular(path, 0, max_size, NULL);

	if (fd < 0)
		return fd;
	h = hash_sha256_new();
	if (!h) {
		r = -ENOMEM;
		goto fail;
	}
	for (;;) {
		ssize_t n = fileio_read_full(fd, buf, sizeof buf);
		if (n < 0) {
			r = (int)n;
			goto fail;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > max_size) {
			r = -EFBIG; /* grew since it was opened */
			goto fail;
		}
		r = hash_sha256_update(h, buf, (size_t)n);
		if (r < 0)
			goto fail;
	}
	r = hash_sha256_final_hex(h, ret);
fail:
	hash_sha256_free(h);
	close(fd);
	return r;
}
