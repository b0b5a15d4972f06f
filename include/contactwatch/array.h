/* array.h — growing a malloc'd array by doubling: the one place that does
 * the capacity arithmetic (and its overflow check) for every growing list. */
#pragma once

#include "contactwatch/common.h"

/* Makes *items (a pointer to an array of elements of `size` bytes, with
 * *cap of them allocated) hold at least `need` elements: capacity doubles
 * from 16 until it does. *items and *cap are untouched on failure.
 * Returns 0 or -ENOMEM (also when the size would overflow). */
int array_reserve(void *items, size_t *cap, size_t need, size_t size);
