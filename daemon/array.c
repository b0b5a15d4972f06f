/* array.c — see array.h. */
#include <errno.h>

#include "contactwatch/array.h"

int array_reserve(void *items, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / size)
		return -ENOMEM;
	void *p = realloc(*(void **)items, ncap * size);
	if (!p)
		return -ENOMEM;
	*(void **)items = p;
	*cap = ncap;
	return 0;
}
