/* A growable text buffer for generated source and reports. A failed
 * allocation latches `failed` so that callers check once, at the end. */
#ifndef TSR_STRBUF_H
#define TSR_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct tsr_strbuf {
    char *data; /* always NUL-terminated once anything was appended */
    size_t len, cap;
    bool failed;
} tsr_strbuf;

void tsr_strbuf_init(tsr_strbuf *sb);
void tsr_strbuf_free(tsr_strbuf *sb);
void tsr_strbuf_append(tsr_strbuf *sb, const char *text);
void tsr_strbuf_appendn(tsr_strbuf *sb, const char *text, size_t len);
void tsr_strbuf_printf(tsr_strbuf *sb, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Appends to a fixed buffer at *used, never past `size` (the text is cut
 * there, always NUL-terminated); for short keys and messages. */
void tsr_bufprintf(char *buf, size_t size, size_t *used, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Hands the text to the caller (free() it); the buffer is reset. */
char *tsr_strbuf_take(tsr_strbuf *sb);

#endif
