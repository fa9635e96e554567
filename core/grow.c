#include "core/grow.h"

#include <limits.h>
#include <stdlib.h>

void *tsr_grow(void *items, int count, int *cap, size_t size, int first)
{
    if (count < *cap)
        return items;
    if (*cap > INT_MAX / 2)
        return NULL;
    int grown = *cap ? 2 * *cap : first;
    void *moved = realloc(items, (size_t)grown * size);
    if (moved)
        *cap = grown;
    return moved;
}
