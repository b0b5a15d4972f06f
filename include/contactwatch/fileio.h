/* fileio.h — opening and reading the files contactwatch is pointed at
 * (configuration, catalogues, exports): regular files only, O_CLOEXEC, a
 * size cap checked before reading, short reads and EINTR handled. */
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include "contactwatch/common.h"

enum {
	/* Follow a final symlink: /etc files are often managed as links. Without
	 * it a symlink is refused (-ELOOP): an inbox is writable by others, and a
	 * link there must not make us read the file it points to. */
	FILEIO_FOLLOW = 1 << 0,
};

/* Opens path read-only and returns the fd, or -ELOOP, -EISDIR, -EBADFD (not
 * a regular file), -EFBIG (larger than max), -errno. ret_st may be NULL.
 * O_NONBLOCK, so a FIFO cannot hang open() before it is refused. */
int fileio_open_regular(const char *path, unsigned flags, uint64_t max, struct stat *ret_st);
/* The same, path relative to the directory dirfd (or AT_FDCWD). */
int fileio_open_regular_at(int dirfd, const char *path, unsigned flags, uint64_t max, struct stat *ret_st);
/* Reads up to n bytes; fewer only at end of file. Returns the count or -errno. */
ssize_t fileio_read_full(int fd, void *buf, size_t n);
/* The whole file (at most max bytes, else -EFBIG) as a new NUL-terminated string. */
int fileio_read_all(const char *path, unsigned flags, size_t max, char **ret, size_t *ret_len);
