/* test_credential.c — secrets from $CREDENTIALS_DIRECTORY against a real
 * temporary directory: read whole, one line end dropped, binary kept;
 * refusals (no directory set, bad names, missing, symlink, directory,
 * FIFO, too large). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "contactwatch/credential.h"
#include "golden.h"

typedef struct fixture {
	char dir[64];
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_credential.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", fx->dir, 1), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	assert_int_equal(golden_rmtree(fx->dir), 0);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(fx);
	return 0;
}

static void put(const fixture *fx, const char *name, const void *data, size_t n)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", fx->dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static void expect(const char *name, const void *want, size_t want_len)
{
	char *s = NULL;
	size_t n = 0;
	assert_int_equal(credential_read(name, &s, &n), 0);
	assert_int_equal(n, want_len);
	assert_memory_equal(s, want, want_len);
	assert_int_equal(s[n], '\0');
	credential_free(s, n);
}

static void test_read(void **state)
{
	fixture *fx = *state;

	put(fx, "webhook-secret", "s3cret\n", 7);
	expect("webhook-secret", "s3cret", 6);
	put(fx, "crlf", "p@ss w0rd\r\n", 11);
	expect("crlf", "p@ss w0rd", 9);
	/* Only one line end goes: the rest may be part of the secret. */
	put(fx, "two", "abc\n\n", 5);
	expect("two", "abc\n", 4);
	put(fx, "none", "abc", 3);
	expect("none", "abc", 3);
	put(fx, "empty", "", 0);
	expect("empty", "", 0);
	/* Binary: a NUL inside is kept, the length tells. */
	put(fx, "binary", "a\0b\xff", 4);
	expect("binary", "a\0b\xff", 4);
	credential_free(NULL, 0); /* NULL-safe */
}

static void test_size_cap(void **state)
{
	fixture *fx = *state;
	size_t cap = 64u << 10;
	char *big = malloc(cap + 1), *s = NULL;
	size_t n = 0;

	assert_non_null(big);
	memset(big, 'k', cap + 1);
	put(fx, "max", big, cap);
	assert_int_equal(credential_read("max", &s, &n), 0);
	assert_int_equal(n, cap);
	credential_free(s, n);
	put(fx, "over", big, cap + 1);
	s = NULL;
	assert_int_equal(credential_read("over", &s, &n), -EFBIG);
	assert_null(s);
	free(big);
}

static void test_refusals(void **state)
{
	fixture *fx = *state;
	char path[128], target[128], *s = NULL;
	size_t n = 0;

	put(fx, "real", "x", 1);
	assert_int_equal(credential_read("missing", &s, &n), -ENOENT);
	assert_int_equal(credential_read("", &s, &n), -EINVAL);
	assert_int_equal(credential_read(NULL, &s, &n), -EINVAL);
	assert_int_equal(credential_read(".", &s, &n), -EINVAL);
	assert_int_equal(credential_read("..", &s, &n), -EINVAL);
	assert_int_equal(credential_read("../real", &s, &n), -EINVAL);
	assert_int_equal(credential_read("sub/real", &s, &n), -EINVAL);

	/* A link is not followed, even to a file in the same directory. */
	snprintf(path, sizeof path, "%s/link", fx->dir);
	snprintf(target, sizeof target, "%s/real", fx->dir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(credential_read("link", &s, &n), -ELOOP);
	snprintf(path, sizeof path, "%s/dir", fx->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(credential_read("dir", &s, &n), -EISDIR);
	snprintf(path, sizeof path, "%s/fifo", fx->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(credential_read("fifo", &s, &n), -EBADFD);
	assert_null(s);

	/* No credentials handed over by systemd at all. */
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", "", 1), 0);
	assert_int_equal(credential_read("real", &s, &n), -ENOKEY);
	assert_int_equal(unsetenv("CREDENTIALS_DIRECTORY"), 0);
	assert_int_equal(credential_read("real", &s, &n), -ENOKEY);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
