/* Growing a malloc'd array one item at a time, doubling its capacity. */
#ifndef TSR_GROW_H
#define TSR_GROW_H

#include <stddef.h>

/* Room for item `count` in `items`, an array of *cap items of `size` bytes
 * (NULL with *cap 0 to begin; the first allocation holds `first`). Returns
 * the array, moved or not, with *cap updated; NULL when out of memory, and
 * then the old array and *cap are as they were. */
void *tsr_grow(void *items, int count, int *cap, size_t size, int first);

#endif
