/* fileio.c — the one place files named by config or found in sources are
 * opened and read, so every reader gets the same checks: regular file,
 * close-on-exec, no controlling tty, size cap before a byte is read. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "contactwatch/fileio.h"

int fileio_open_regular(const char *path, unsigned flags, uint64_t max, struct stat *ret_st)
{
	return fileio_open_regular_at(AT_FDCWD, path, flags, max, ret_st);
}

int fileio_open_regular_at(int dirfd, const char *path, unsigned flags, uint64_t max, struct stat *ret_st)
{
	struct stat st;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
					     ((flags & FILEIO_FOLLOW) ? 0 : O_NOFOLLOW));
	int r;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
		goto fail;
	}
	if ((uint64_t)st.st_size > max) {
		r = -EFBIG;
		goto fail;
	}
	if (ret_st)
		*ret_st = st;
	return fd;
fail:
	close(fd);
	return r;
}

ssize_t fileio_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = read(fd, (char *)buf + got, n - got);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

int fileio_read_all(const char *path, unsigned flags, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	struct stat st = { 0 };
	int fd = fileio_open_regular(path, flags, max, &st);

	if (fd < 0)
		return fd;
	/* Sized from stat, plus one byte to notice a file that grew past max. */
	size_t cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t len = 0;
	for (;;) {
		ssize_t n = fileio_read_full(fd, buf + len, cap - len);
		if (n < 0) {
			close(fd);
			return (int)n;
		}
		len += (size_t)n;
		if (len < cap)
			break;
		if (len > max) {
			close(fd); /* NOLINT(clang-analyzer-unix.Malloc): buf is _cleanup_free_ */
			return -EFBIG;
		}
		/* It grew since fstat: make room and go on. */
		size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
		char *nb = realloc(buf, ncap + 1);
		if (!nb) {
			close(fd); /* NOLINT(clang-analyzer-unix.Malloc): buf is _cleanup_free_ */
			return -ENOMEM;
		}
		buf = nb;
		cap = ncap;
	}
	close(fd);
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}
