/* source.c — enumerate the files an employee's sources offer. Hidden files
 * are skipped because uploaders (scp, rsync) write to ".name.XXXX" and
 * rename when done; symlinks are skipped so a source cannot be pointed at
 * files outside it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "contactwatch/fileio.h"
#include "contactwatch/source.h"

char *source_inbox_path(const config *cfg, const employee *e)
{
	char *p = NULL;
	if (asprintf(&p, "%s/inbox/%s", cfg->state_dir, e->id) < 0)
		return NULL;
	return p;
}

static int list_add(source_file_list *l, const char *path, const struct stat *st, const source_config *src)
{
	source_file *items = realloc(l->items, (l->n + 1) * sizeof *items);
	if (!items)
		return -ENOMEM;
	l->items = items;
	source_file *f = &items[l->n];
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	f->source = src ? src->name : "inbox";
	f->format = src ? src->format : "auto";
	f->columns = src ? src->columns : NULL;
	f->size = (uint64_t)st->st_size;
	f->mtime_usec = (int64_t)st->st_mtim.tv_sec * 1000000 + st->st_mtim.tv_nsec / 1000;
	l->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(source_file_list *l, const char *dir, const source_config *src)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	int r = 0;

	if (!d)
		return -errno;
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		if (n >= CW_MAX_CONF_FILES) {
			r = -E2BIG;
			goto done;
		}
		char **nn = realloc(names, (n + 1) * sizeof *nn);
		if (!nn) {
			r = -ENOMEM;
			goto done;
		}
		names = nn;
		if (!(names[n] = strdup(de->d_name))) {
			r = -ENOMEM;
			goto done;
		}
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n && r >= 0; i++) {
		struct stat st;
		_cleanup_free_ char *path = NULL;
		if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
			r = -ENOMEM;
			break;
		}
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		r = list_add(l, path, &st, src);
	}
done:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return r;
}

/* src NULL: the inbox. */
static int list_path(source_file_list *l, const char *path, const source_config *src)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		/* Strip a trailing '/' so listed paths read naturally. */
		_cleanup_free_ char *dir = strdup(path);
		if (!dir)
			return -ENOMEM;
		size_t len = strlen(dir);
		while (len > 1 && dir[len - 1] == '/')
			dir[--len] = '\0';
		return list_dir(l, dir, src); /* NOLINT(clang-analyzer-unix.Malloc): dir is freed by _cleanup_free_ */
	}
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	return list_add(l, path, &st, src);
}

int source_list_files(const config *cfg, const employee *e, source_file_list *ret, diag_list *problems)
{
	_cleanup_free_ char *inbox = source_inbox_path(cfg, e);
	int r;

	if (!inbox)
		return -ENOMEM;
	r = list_path(ret, inbox, NULL);
	if (r == -ENOMEM)
		return r;
	/* A missing inbox is normal: nobody has uploaded anything yet. */
	if (r < 0 && r != -ENOENT)
		diag_error(problems, inbox, 0, "cannot list inbox: %s", strerror(-r));
	for (size_t i = 0; i < e->n_sources; i++) {
		const source_config *s = &e->sources[i];
		if (!s->path)
			continue; /* URL sources: not in this build (config load says so) */
		r = list_path(ret, s->path, s);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			diag_error(problems, s->path, 0, "source %s: %s", s->name,
				   r == -EBADFD ? "not a regular file or directory" : strerror(-r));
	}
	return 0;
}

void source_file_list_done(source_file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].path);
	l->items = mfree(l->items);
	l->n = 0;
}

static int copy_file(const char *from, const char *to)
{
	char buf[CW_READ_CHUNK];
	int r = 0, in, out;

	in = fileio_open_regular(from, 0, UINT64_MAX, NULL);
	if (in < 0)
		return in;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	for (;;) {
		ssize_t n = fileio_read_full(in, buf, sizeof buf);
		if (n <= 0) {
			r = (int)n;
			break;
		}
		if (write(out, buf, (size_t)n) != n) {
			r = errno ? -errno : -EIO;
			break;
		}
	}
	if (r == 0 && fsync(out) < 0)
		r = -errno;
	close(in);
	close(out);
	if (r < 0)
		unlink(to);
	return r;
}

static int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0; /* NOLINT(clang-analyzer-unix.Malloc): p is _cleanup_free_ */
}

int source_keep_rejected(const config *cfg, const employee *e, const source_file *f, int64_t now, char **ret)
{
	_cleanup_free_ char *dir = NULL;
	const char *base = strrchr(f->path, '/');
	char stamp[32];
	struct tm tm;
	time_t t = (time_t)now;
	int r;

	base = base ? base + 1 : f->path;
	if (!gmtime_r(&t, &tm) || strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
		return -EINVAL;
	if (asprintf(&dir, "%s/rejected/%s", cfg->state_dir, e->id) < 0)
		return -ENOMEM;
	r = mkdir_p(dir, 0700);
	if (r < 0)
		return r;
	/* Never overwrite earlier evidence: a numbered name when one is taken. */
	for (unsigned i = 0; i < 1000; i++) {
		_cleanup_free_ char *to = NULL;
		int n = i == 0 ? asprintf(&to, "%s/%s-%s", dir, stamp, base)
			       : asprintf(&to, "%s/%s-%u-%s", dir, stamp, i, base);
		if (n < 0)
			return -ENOMEM;
		if (streq(f->source, "inbox")) {
			/* renameat2(RENAME_NOREPLACE) keeps an existing file intact. */
			r = renameat2(AT_FDCWD, f->path, AT_FDCWD, to, RENAME_NOREPLACE);
			r = r < 0 ? -errno : 0;
			if (r == -EXDEV)
				r = copy_file(f->path, to);
		} else {
			r = copy_file(f->path, to);
		}
		if (r == -EEXIST)
			continue;
		if (r < 0)
			return r;
		*ret = TAKE_PTR(to);
		return 0;
	}
	return -EEXIST;
}
