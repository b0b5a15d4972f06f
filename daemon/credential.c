/* credential.c — one secret from $CREDENTIALS_DIRECTORY (systemd's
 * LoadCredential=): opened relative to that directory without following a
 * link, checked to be a small regular file, read whole, and wiped from
 * memory when the caller is done with it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "contactwatch/credential.h"
#include "contactwatch/fileio.h"

#define CREDENTIAL_MAX_BYTES (64u << 10)

static bool credential_name_ok(const char *name)
{
	return !isempty(name) && !strchr(name, '/') && !streq(name, ".") && !streq(name, "..") &&
	       strlen(name) <= 255; /* NAME_MAX */
}

int credential_read(const char *name, char **ret, size_t *ret_len)
{
	const char *dir;
	struct stat st;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int dfd = -1, fd = -1, r;

	if (!credential_name_ok(name))
		return -EINVAL;
	/* secure_getenv: a set-uid helper must not be pointed at other files. */
	dir = secure_getenv("CREDENTIALS_DIRECTORY");
	if (isempty(dir))
		return -ENOKEY;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = fileio_open_regular_at(dfd, name, 0, CREDENTIAL_MAX_BYTES, &st);
	if (fd < 0) {
		r = fd;
		goto fail;
	}
	/* One byte more than the size: a file that grew since fstat is
	 * noticed and refused rather than read cut short. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (!buf) {
		r = -ENOMEM;
		goto fail;
	}
	n = fileio_read_full(fd, buf, cap);
	if (n < 0) {
		r = (int)n;
		goto fail;
	}
	if ((size_t)n == cap) {
		r = -EFBIG;
		goto fail;
	}
	/* One line end, as an editor or `echo` leaves it; the rest is the secret. */
	if (n > 0 && buf[n - 1] == '\n') {
		n--;
		if (n > 0 && buf[n - 1] == '\r')
			n--;
	}
	buf[n] = '\0';
	close(fd);
	close(dfd);
	*ret = buf;
	*ret_len = (size_t)n;
	return 0;
fail:
	if (buf)
		explicit_bzero(buf, cap + 1);
	free(buf);
	if (fd >= 0)
		close(fd);
	close(dfd);
	return r;
}

void credential_free(char *secret, size_t len)
{
	if (!secret)
		return;
	/* explicit_bzero: a plain memset before free may be optimised away. */
	explicit_bzero(secret, len);
	free(secret);
}
