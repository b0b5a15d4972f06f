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
	char *free_mail[] = { "gmail.com", "hotmail.com", NULL };
	long total = 0, nfail = 0;
	for (long n = 1;; n++) {
		relation_set set = { 0 };
		diag_list d = { 0 };
		counter = 0;
		failed = 0;
		fail_at = n;
		int r = 0;
		for (int i = 1; i < argc && r >= 0; i++)
			r = relations_load_file(&set, argv[i], free_mail, &d);
		if (r >= 0 || r == -EINVAL)
			r = relations_check_unique(&set, "ctx", 1, &d);
		fail_at = -1;
		if (failed && r >= 0 && r != -EINVAL && diag_n_errors(&d) == 0) {
			fprintf(stderr, "swallowed at n=%ld r=%d\n", n, r);
			backtrace_symbols_fd(bt, nbt, 2);
		}
		if (failed && r != -ENOMEM)
			fprintf(stderr, "n=%ld r=%d errors=%zu\n", n, r, diag_n_errors(&d));
		nfail += failed;
		relation_set_done(&set);
		diag_done(&d);
		if (!failed) {
			total = counter;
			break;
		}
	}
	fprintf(stderr, "%ld allocations, %ld failing runs\n", total, nfail);
	return 0;
}
