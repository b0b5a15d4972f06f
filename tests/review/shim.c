#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
long sysconf(int name) {
	static long (*real)(int);
	if (!real) real = dlsym(RTLD_NEXT, "sysconf");
	if (name == _SC_NPROCESSORS_ONLN && getenv("CW_NCPU")) return atol(getenv("CW_NCPU"));
	return real(name);
}
static int calls;
int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg) {
	static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	if (!real) real = dlsym(RTLD_NEXT, "pthread_create");
	int n = __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
	const char *m = getenv("CW_PT_FAIL");
	if (m && n < 63 && (strtoull(m, NULL, 0) >> n & 1)) return EAGAIN;
	return real(t, a, f, arg);
}
