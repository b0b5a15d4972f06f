/* strv.c — NULL-terminated string vectors: the one list type used for
 * aliases, domains, e-mail addresses and file lists. */
#include <errno.h>
#include <string.h>

#include "contactwatch/common.h"

char **strv_free(char **l)
{
	if (!l)
		return NULL;
	for (char **p = l; *p; p++)
		free(*p);
	free(l);
	return NULL;
}

size_t strv_length(char *const *l)
{
	size_t n = 0;
	if (l)
		while (l[n])
			n++;
	return n;
}

int strv_push(char ***l, const char *s)
{
	size_t n = strv_length(*l);
	char *copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	char **nl = realloc(*l, (n + 2) * sizeof(char *));
	if (!nl) {
		free(copy);
		return -ENOMEM;
	}
	nl[n] = copy;
	nl[n + 1] = NULL;
	*l = nl;
	return 0;
}

int strv_extend_steal(char ***l, char ***from)
{
	size_t n = strv_length(*l), m = strv_length(*from);
	if (m == 0)
		return 0;
	char **nl = realloc(*l, (n + m + 1) * sizeof(char *));
	if (!nl)
		return -ENOMEM;
	memcpy(nl + n, *from, (m + 1) * sizeof(char *));
	*l = nl;
	free(*from);
	*from = NULL;
	return 0;
}

bool strv_equal(char *const *a, char *const *b)
{
	for (; a && b && *a && *b; a++, b++)
		if (!streq(*a, *b))
			return false;
	return (!a || !*a) && (!b || !*b);
}

bool strv_contains(char *const *l, const char *s)
{
	if (l)
		for (; *l; l++)
			if (streq(*l, s))
				return true;
	return false;
}
