/* Fault injection over match_index_new: fail the N-th allocation (any
 * thread) inside the build, for every N, with several worker counts and
 * with pthread_create failures. Linked with --wrap. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <execinfo.h>
static void *bt[16]; static int nbt;

#include "contactwatch/diag.h"
#include "contactwatch/match.h"
#include "contactwatch/relations.h"

static long fail_at = -1, counter = 0, failed = 0;
static int ncpu = 2;
static unsigned pt_fail_mask = 0, pt_calls = 0;

static int should_fail(void)
{
	if (fail_at < 0)
		return 0;
	long n = __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST);
	if (n == fail_at) {
		__atomic_store_n(&failed, 1, __ATOMIC_SEQ_CST);
		nbt = backtrace(bt, 16);
		return 1;
	}
	return 0;
}
void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void *__real_aligned_alloc(size_t, size_t);
void *__real_reallocarray(void *, size_t, size_t);
char *__real_strdup(const char *);
long __real_sysconf(int);
int __real_pthread_create(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
void *__wrap_malloc(size_t n) { return should_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t a, size_t b) { return should_fail() ? NULL : __real_calloc(a, b); }
void *__wrap_realloc(void *p, size_t n) { return should_fail() ? NULL : __real_realloc(p, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { return should_fail() ? NULL : __real_aligned_alloc(a, n); }
void *__wrap_reallocarray(void *p, size_t a, size_t b) { return should_fail() ? NULL : __real_reallocarray(p, a, b); }
char *__wrap_strdup(const char *s) { return should_fail() ? NULL : __real_strdup(s); }
long __wrap_sysconf(int name) { return name == _SC_NPROCESSORS_ONLN ? ncpu : __real_sysconf(name); }
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg)
{
	unsigned n = __atomic_fetch_add(&pt_calls, 1, __ATOMIC_SEQ_CST);
	if (n < 32 && (pt_fail_mask >> n & 1))
		return EAGAIN;
	return __real_pthread_create(t, a, f, arg);
}

int main(int argc, char **argv)
{
	relation_set set = { 0 };
	diag_list d = { 0 };
	char *free_mail[] = { "gmail.com", "hotmail.com", NULL };
	if (argc < 2)
		return 2;
	int r = relations_load_file(&set, argv[1], free_mail, &d);
	fprintf(stderr, "loaded %zu relations (r=%d)\n", set.n, r);
	const match_options opt = { .person_threshold = 0.9, .company_threshold = 0.92, .free_mail = free_mail };
	long step = argc > 2 ? atol(argv[2]) : 1;
	int cpus[] = { 1, 2, 3, 8 };
	unsigned masks[] = { 0, 1, 2, 3 };
	for (size_t ci = 0; ci < sizeof cpus / sizeof *cpus; ci++)
		for (size_t mi = 0; mi < sizeof masks / sizeof *masks; mi++) {
			ncpu = cpus[ci];
			long ok_runs = 0, fail_runs = 0;
			for (long n = 1;; n += step) {
				match_index *idx = NULL;
				counter = 0;
				failed = 0;
				pt_calls = 0;
				pt_fail_mask = masks[mi];
				fail_at = n;
				r = match_index_new(&set, &opt, &idx);
				fail_at = -1;
				if (r >= 0 && failed) {
					/* a failure swallowed: fine only if the index is usable */
					ok_runs++;
					fprintf(stderr, "swallowed at n=%ld cpus=%d mask=%u:\n", n, ncpu, masks[mi]);
					backtrace_symbols_fd(bt, nbt, 2);
				} else if (r < 0) {
					if (!failed)
						fprintf(stderr, "cpus=%d mask=%u n=%ld: r=%d without injected failure\n", ncpu, masks[mi], n, r);
					if (r != -ENOMEM)
						fprintf(stderr, "cpus=%d mask=%u n=%ld: r=%d (%s)\n", ncpu, masks[mi], n, r, strerror(-r));
					fail_runs++;
				}
				match_index_free(idx);
				if (!failed) {
					fprintf(stderr, "cpus=%d mask=%u: %ld allocations, %ld failing runs, %ld swallowed\n", ncpu,
						masks[mi], counter, fail_runs, ok_runs);
					break;
				}
			}
		}
	relation_set_done(&set);
	diag_done(&d);
	return 0;
}
