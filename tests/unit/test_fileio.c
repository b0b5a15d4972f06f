/* test_fileio.c — the checks every reader of a named file relies on. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "contactwatch/fileio.h"

static char dir[] = "/tmp/cw-test-fileio-XXXXXX";

static void path_in(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text)
{
	char p[256];
	path_in(p, sizeof p, name);
	FILE *f = fopen(p, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_read_all_regular(void **state)
{
	(void)state;
	char p[256], *buf = NULL;
	size_t len = 0;
	write_file("a.ini", "[daemon]\nX=1\n");
	path_in(p, sizeof p, "a.ini");
	assert_int_equal(fileio_read_all(p, 0, 1024, &buf, &len), 0);
	assert_int_equal(len, 13);
	assert_string_equal(buf, "[daemon]\nX=1\n");
	free(buf);
	assert_int_equal(fileio_read_all(p, 0, 12, &buf, &len), -EFBIG);
	assert_int_equal(fileio_read_all(p, 0, 13, &buf, &len), 0);
	free(buf);
}

static void test_refuses_what_is_not_a_regular_file(void **state)
{
	(void)state;
	char p[256], link[256], fifo[256], *buf = NULL;
	size_t len;
	write_file("target", "secret\n");
	path_in(p, sizeof p, "target");
	path_in(link, sizeof link, "link");
	path_in(fifo, sizeof fifo, "fifo");
	assert_int_equal(symlink(p, link), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(fileio_read_all(link, 0, 1024, &buf, &len), -ELOOP);
	assert_int_equal(fileio_read_all(link, FILEIO_FOLLOW, 1024, &buf, &len), 0);
	assert_string_equal(buf, "secret\n");
	free(buf);
	assert_int_equal(fileio_open_regular(dir, 0, 1024, NULL), -EISDIR);
	/* O_NONBLOCK: a FIFO with no writer must not hang the open. */
	assert_int_equal(fileio_open_regular(fifo, 0, 1024, NULL), -EBADFD);
	path_in(p, sizeof p, "missing");
	assert_int_equal(fileio_open_regular(p, 0, 1024, NULL), -ENOENT);
}

static void test_read_full_reads_to_end(void **state)
{
	(void)state;
	char p[256], buf[64];
	write_file("b", "0123456789");
	path_in(p, sizeof p, "b");
	int fd = fileio_open_regular(p, 0, 1024, NULL);
	assert_true(fd >= 0);
	assert_int_equal(fileio_read_full(fd, buf, 4), 4);
	assert_int_equal(fileio_read_full(fd, buf, sizeof buf), 6);
	assert_int_equal(fileio_read_full(fd, buf, sizeof buf), 0);
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	const char *names[] = { "a.ini", "target", "link", "fifo", "b" };
	char p[256];
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		path_in(p, sizeof p, names[i]);
		unlink(p);
	}
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_all_regular),
		cmocka_unit_test(test_refuses_what_is_not_a_regular_file),
		cmocka_unit_test(test_read_full_reads_to_end),
	};
	return cmocka_run_group_tests_name("fileio", tests, setup, teardown);
}
