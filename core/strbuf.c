#include "core/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tsr_strbuf_init(tsr_strbuf *sb)
{
    memset(sb, 0, sizeof *sb);
}

void tsr_strbuf_free(tsr_strbuf *sb)
{
    free(sb->data);
    tsr_strbuf_init(sb);
}

static bool reserve(tsr_strbuf *sb, size_t extra)
{
    if (sb->failed)
        return false;
    if (sb->len + extra + 1 <= sb->cap)
        return true;
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->len + extra + 1) {
        if (cap > ((size_t)-1) / 2) {
            sb->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *data = realloc(sb->data, cap);
    if (!data) {
        sb->failed = true;
        return false;
    }
    sb->data = data;
    sb->cap = cap;
    return true;
}

void tsr_strbuf_appendn(tsr_strbuf *sb, const char *text, size_t len)
{
    if (!reserve(sb, len))
        return;
    memcpy(sb->data + sb->len, text, len);
    sb->len += len;
    sb->data[sb->len] = '\0';
}

void tsr_strbuf_append(tsr_strbuf *sb, const char *text)
{
    tsr_strbuf_appendn(sb, text, strlen(text));
}

void tsr_strbuf_printf(tsr_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->failed = true;
        return;
    }
    if (!reserve(sb, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

char *tsr_strbuf_take(tsr_strbuf *sb)
{
    char *data = sb->data;
    if (!data && !sb->failed)
        data = calloc(1, 1);
    tsr_strbuf_init(sb);
    return data;
}

void tsr_bufprintf(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
    if (size == 0 || *used >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, size - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used = *used + (size_t)n < size ? *used + (size_t)n : size;
}
