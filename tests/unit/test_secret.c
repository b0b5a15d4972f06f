/* test_secret.c — the per-installation secret against a real temporary
 * state directory: created once (0600 whatever the umask, 32 bytes), read
 * back unchanged, never replaced; refusals (group/other access, wrong size,
 * symlink, directory); and the keyed HMAC context it feeds (RFC 4231). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "contactwatch/hash.h"
#include "contactwatch/secret.h"

typedef struct fixture {
	char dir[64];
	char path[128];
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_secret.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/%s", fx->dir, SECRET_FILE_NAME);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	(void)unlink(fx->path);
	(void)rmdir(fx->path); /* test_not_regular */
	assert_int_equal(rmdir(fx->dir), 0); /* no temporary file left behind */
	free(fx);
	return 0;
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_create_and_reload(void **state)
{
	fixture *fx = *state;
	static const uint8_t zero[SECRET_SIZE];
	uint8_t a[SECRET_SIZE], b[SECRET_SIZE], c[SECRET_SIZE];
	mode_t old = umask(0); /* the 0600 must not come from the umask */
	struct stat st;

	assert_int_equal(secret_load(fx->dir, a), -ENOENT);
	assert_int_equal(secret_load_or_create(fx->dir, a), 0);
	umask(old);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, SECRET_SIZE);
	assert_memory_not_equal(a, zero, SECRET_SIZE);

	/* Never replaced: later starts and read-only users see the same key. */
	assert_int_equal(secret_load_or_create(fx->dir, b), 0);
	assert_memory_equal(a, b, SECRET_SIZE);
	assert_int_equal(secret_load(fx->dir, c), 0);
	assert_memory_equal(a, c, SECRET_SIZE);
}

static void test_two_installations_differ(void **state)
{
	fixture *fx = *state;
	char other[64];
	char other_path[128];
	uint8_t a[SECRET_SIZE], b[SECRET_SIZE];

	snprintf(other, sizeof other, "/tmp/test_secret.XXXXXX");
	assert_non_null(mkdtemp(other));
	assert_int_equal(secret_load_or_create(fx->dir, a), 0);
	assert_int_equal(secret_load_or_create(other, b), 0);
	assert_memory_not_equal(a, b, SECRET_SIZE);
	snprintf(other_path, sizeof other_path, "%s/%s", other, SECRET_FILE_NAME);
	assert_int_equal(unlink(other_path), 0);
	assert_int_equal(rmdir(other), 0);
}

static void test_refusals(void **state)
{
	fixture *fx = *state;
	uint8_t key[SECRET_SIZE], out[SECRET_SIZE];

	memset(key, 0x42, sizeof key);
	memset(out, 0x17, sizeof out);

	/* Group or others may read it: no longer a secret. */
	write_file(fx->path, key, sizeof key, 0640);
	assert_int_equal(secret_load(fx->dir, out), -EPERM);
	assert_int_equal(secret_load_or_create(fx->dir, out), -EPERM);
	/* ret untouched on failure */
	for (size_t i = 0; i < sizeof out; i++)
		assert_int_equal(out[i], 0x17);

	/* Too short or too long: damaged, and never silently replaced. */
	write_file(fx->path, key, 16, 0600);
	assert_int_equal(secret_load_or_create(fx->dir, out), -EBADMSG);
	write_file(fx->path, key, 0, 0600);
	assert_int_equal(secret_load_or_create(fx->dir, out), -EBADMSG);
	{
		uint8_t big[SECRET_SIZE + 1] = { 0 };
		write_file(fx->path, big, sizeof big, 0600);
		assert_int_equal(secret_load(fx->dir, out), -EBADMSG);
	}

	/* 0400 is as secret as 0600. */
	write_file(fx->path, key, sizeof key, 0400);
	assert_int_equal(secret_load(fx->dir, out), 0);
	assert_memory_equal(out, key, SECRET_SIZE);
	assert_int_equal(unlink(fx->path), 0);

	/* A symlink in the state directory is not followed. */
	{
		char target[160];
		snprintf(target, sizeof target, "%s/elsewhere", fx->dir);
		write_file(target, key, sizeof key, 0600);
		assert_int_equal(symlink(target, fx->path), 0);
		assert_int_equal(secret_load_or_create(fx->dir, out), -ELOOP);
		assert_int_equal(unlink(target), 0);
	}
	assert_int_equal(unlink(fx->path), 0);

	assert_int_equal(secret_load(NULL, out), -EINVAL);
	assert_int_equal(secret_load_or_create("", out), -EINVAL);
}

static void test_not_regular(void **state)
{
	fixture *fx = *state;
	uint8_t out[SECRET_SIZE];

	assert_int_equal(mkdir(fx->path, 0700), 0);
	assert_true(secret_load_or_create(fx->dir, out) < 0);
}

static void test_missing_dir(void **state)
{
	uint8_t out[SECRET_SIZE];
	(void)state;

	assert_int_equal(secret_load_or_create("/nonexistent/contactwatch-test", out), -ENOENT);
}

static void hex(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* RFC 4231 test cases 1, 2 and 6 (a key longer than a block), and the raw
 * context agrees with the one-shot hex HMAC for every message length. */
static void test_hmac(void **state)
{
	hash_hmac *h = NULL;
	uint8_t md[HASH_SHA256_SIZE], key1[20], key6[131];
	char got[65], want[65];
	(void)state;

	memset(key1, 0x0b, sizeof key1);
	assert_int_equal(hash_hmac_new(key1, sizeof key1, &h), 0);
	assert_int_equal(hash_hmac_sha256(h, "Hi There", 8, md), 0);
	hex(md, sizeof md, got);
	assert_string_equal(got, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	h = hash_hmac_free(h);
	assert_null(h);

	assert_int_equal(hash_hmac_new("Jefe", 4, &h), 0);
	assert_int_equal(hash_hmac_sha256(h, "what do ya want for nothing?", 28, md), 0);
	hex(md, sizeof md, got);
	assert_string_equal(got, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Reused: the same message gives the same hash. */
	assert_int_equal(hash_hmac_sha256(h, "what do ya want for nothing?", 28, md), 0);
	hex(md, sizeof md, got);
	assert_string_equal(got, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	hash_hmac_free(h);

	memset(key6, 0xaa, sizeof key6);
	assert_int_equal(hash_hmac_new(key6, sizeof key6, &h), 0);
	assert_int_equal(hash_hmac_sha256(h, "Test Using Larger Than Block-Size Key - Hash Key First", 54, md), 0);
	hex(md, sizeof md, got);
	assert_string_equal(got, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	hash_hmac_free(h);

	{
		uint8_t key[SECRET_SIZE];
		char msg[200];

		memset(key, 0x5a, sizeof key);
		for (size_t i = 0; i < sizeof msg; i++)
			msg[i] = (char)(i * 7 + 1);
		assert_int_equal(hash_hmac_new(key, sizeof key, &h), 0);
		for (size_t n = 0; n <= sizeof msg; n++) {
			assert_int_equal(hash_hmac_sha256(h, msg, n, md), 0);
			hex(md, sizeof md, got);
			assert_int_equal(hash_hmac_sha256_hex(key, sizeof key, msg, n, want), 0);
			assert_string_equal(got, want);
		}
		hash_hmac_free(h);
	}
	assert_null(hash_hmac_free(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_installations_differ, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_regular, setup, teardown),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test(test_hmac),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
