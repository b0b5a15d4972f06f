/* source.c — enumerate the files an employee's sources offer. Hidden files
 * are skipped because uploaders (scp, rsync) write to ".name.XXXX" and
 * rename when done; symlinks are skipped so a source cannot be pointed at
 * files outside it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

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
