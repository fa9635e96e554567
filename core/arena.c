#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Blocks are chained; a request larger than the default block gets a block
 * of its own so that big arrays do not waste the tail of a small one. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    max_align_t data[];
} arena_block;

struct tsr_arena {
    arena_block *head;
};

enum { ARENA_BLOCK_BYTES = 64 * 1024 };

tsr_arena *tsr_arena_create(void)
{
    return calloc(1, sizeof(tsr_arena));
}

void tsr_arena_destroy(tsr_arena *arena)
{
    if (!arena)
        return;
    for (arena_block *b = arena->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(arena);
}

void *tsr_arena_alloc(tsr_arena *arena, size_t size)
{
    const size_t align = sizeof(max_align_t);
    if (size > SIZE_MAX - align)
        return NULL;
    size = (size + align - 1) / align * align;
    if (size == 0)
        size = align;
    arena_block *b = arena->head;
    if (!b || b->size - b->used < size) {
        size_t cap = size > ARENA_BLOCK_BYTES ? size : ARENA_BLOCK_BYTES;
        b = malloc(sizeof(arena_block) + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->size = cap;
        b->next = arena->head;
        arena->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *tsr_arena_strndup(tsr_arena *arena, const char *text, size_t len)
{
    char *copy = tsr_arena_alloc(arena, len + 1);
    if (copy)
        memcpy(copy, text, len);
    return copy;
}

char *tsr_arena_strdup(tsr_arena *arena, const char *text)
{
    return text ? tsr_arena_strndup(arena, text, strlen(text)) : NULL;
}

char *tsr_arena_printf(tsr_arena *arena, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *out = n < 0 ? NULL : tsr_arena_alloc(arena, (size_t)n + 1);
    if (out)
        vsnprintf(out, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return out;
}
