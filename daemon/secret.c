/* secret.c — owns <StateDirectory>/secret, the per-installation HMAC key of
 * the baseline hashes: created once, atomically and 0600, then only read.
 * Losing or replacing it would make every known contact look new. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "contactwatch/fileio.h"
#include "contactwatch/secret.h"

static int secret_path(const char *state_dir, const char *name, char **ret)
{
	if (isempty(state_dir))
		return -EINVAL;
	return asprintf(ret, "%s/%s", state_dir, name) < 0 ? -ENOMEM : 0;
}

int secret_load(const char *state_dir, uint8_t ret[static SECRET_SIZE])
{
	_cleanup_free_ char *path = NULL;
	uint8_t buf[SECRET_SIZE + 1];
	struct stat st;
	ssize_t n;
	int fd, r;

	r = secret_path(state_dir, SECRET_FILE_NAME, &path);
	if (r < 0)
		return r;
	/* No symlink: the state directory is ours, a link in it is not. */
	fd = fileio_open_regular(path, 0, UINT64_MAX, &st);
	if (fd < 0)
		return fd;
	if (st.st_mode & 0077) {
		r = -EPERM;
		goto fail;
	}
	if (st.st_size != SECRET_SIZE) {
		r = -EBADMSG;
		goto fail;
	}
	/* One byte more than expected: a file that grew since fstat is caught. */
	n = fileio_read_full(fd, buf, sizeof buf);
	if (n < 0) {
		r = (int)n;
		goto fail;
	}
	if (n != SECRET_SIZE) {
		r = -EBADMSG;
		goto fail;
	}
	memcpy(ret, buf, SECRET_SIZE);
	r = 0;
fail:
	explicit_bzero(buf, sizeof buf);
	close(fd);
	return r;
}

static int random_bytes(uint8_t *buf, size_t n)
{
	size_t done = 0;

	/* Blocks until the kernel's pool is initialised: a key made from an
	 * unseeded pool would be guessable for the life of the installation. */
	while (done < n) {
		ssize_t k = getrandom(buf + done, n - done, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)k;
	}
	return 0;
}

static int write_full(int fd, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, buf, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Writes a new secret under a temporary name (O_CREAT|O_EXCL via
 * mkostemp, mode 0600 whatever the umask), syncs it, and links it into place:
 * link(2) fails with EEXIST rather than replacing, so of two racing first
 * starts one secret wins and a crash never leaves a short secret behind.
 * Returns 0 also when another process created it first. */
static int secret_create(const char *state_dir)
{
	_cleanup_free_ char *tmp = NULL, *path = NULL;
	uint8_t key[SECRET_SIZE];
	int fd = -1, dfd = -1, r;

	r = secret_path(state_dir, SECRET_FILE_NAME, &path);
	if (r < 0)
		return r;
	r = secret_path(state_dir, "." SECRET_FILE_NAME ".XXXXXX", &tmp);
	if (r < 0)
		return r;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* mkostemp makes 0600 files; say it explicitly, the secret depends on it. */
	if (fchmod(fd, 0600) < 0) {
		r = -errno;
		goto fail;
	}
	r = random_bytes(key, sizeof key);
	if (r < 0)
		goto fail;
	r = write_full(fd, key, sizeof key);
	if (r < 0)
		goto fail;
	if (fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (link(tmp, path) < 0 && errno != EEXIST) {
		r = -errno;
		goto fail;
	}
	/* The link must survive a crash too, or the next start makes another key. */
	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		r = -errno;
		goto fail;
	}
	r = 0;
fail:
	explicit_bzero(key, sizeof key);
	(void)unlink(tmp);
	if (dfd >= 0)
		close(dfd);
	close(fd);
	return r;
}

int secret_load_or_create(const char *state_dir, uint8_t ret[static SECRET_SIZE])
{
	int r = secret_load(state_dir, ret);

	if (r != -ENOENT)
		return r;
	r = secret_create(state_dir);
	if (r < 0)
		return r;
	/* Read back what is on disk: it is what later starts will use. */
	return secret_load(state_dir, ret);
}
