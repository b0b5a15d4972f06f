/* deliver_file.c — the file channel: one alert JSON object per line,
 * appended with a single write(2) on an O_APPEND descriptor so concurrent
 * readers never see half a line, then fsync'd: an archive must not lose an
 * alert the database already counts as raised. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "contactwatch/deliver.h"

int deliver_file_alert(const char *path, const json_t *alert)
{
	_cleanup_free_ char *line = json_dumps(alert, JSON_COMPACT);
	int fd, r = 0;

	if (!line)
		return -ENOMEM;
	size_t n = strlen(line);
	line[n] = '\n'; /* replaces the NUL: we write exactly n + 1 bytes */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, line, n + 1);
	if (w < 0)
		r = -errno;
	else if ((size_t)w != n + 1)
		r = -EIO;
	/* Only a complete line is worth making durable. */
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}
