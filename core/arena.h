/* Arena allocation: IR, lowered programs and generated text are allocated
 * from one arena and freed together. Every allocation is zeroed; NULL means
 * out of memory and the arena stays usable. */
#ifndef TSR_ARENA_H
#define TSR_ARENA_H

#include <stddef.h>

typedef struct tsr_arena tsr_arena;

tsr_arena *tsr_arena_create(void);
void tsr_arena_destroy(tsr_arena *arena);

void *tsr_arena_alloc(tsr_arena *arena, size_t size);
char *tsr_arena_strdup(tsr_arena *arena, const char *text);
char *tsr_arena_strndup(tsr_arena *arena, const char *text, size_t len);
char *tsr_arena_printf(tsr_arena *arena, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#define TSR_ARENA_NEW(arena, type) ((type *)tsr_arena_alloc((arena), sizeof(type)))
#define TSR_ARENA_ARRAY(arena, type, count)                                                        \
    ((type *)tsr_arena_alloc((arena), sizeof(type) * (size_t)(count)))

#endif
