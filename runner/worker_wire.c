/* Frames between tessera and its evaluation worker (see worker_wire.h). */
#include "runner/worker_wire.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/files.h"

static void append(tsr_wire_frame *f, const void *bytes, size_t n)
{
    if (f->failed)
        return;
    if (f->len + n > f->cap) {
        size_t cap = f->cap ? f->cap : 256;
        while (cap < f->len + n)
            cap *= 2;
        char *grown = cap <= TSR_WIRE_MAX_FRAME + 4 ? realloc(f->data, cap) : NULL;
        if (!grown) {
            f->failed = true;
            return;
        }
        f->data = grown;
        f->cap = cap;
    }
    memcpy(f->data + f->len, bytes, n);
    f->len += n;
}

void tsr_wire_begin(tsr_wire_frame *f, char tag)
{
    *f = (tsr_wire_frame){0};
    append(f, "\0\0\0\0", 4); /* the length, filled in by tsr_wire_send */
    append(f, &tag, 1);
}

void tsr_wire_put(tsr_wire_frame *f, const char *text)
{
    text = text ? text : "";
    append(f, text, strlen(text) + 1);
}

void tsr_wire_put_number(tsr_wire_frame *f, double value)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", value);
    tsr_wire_put(f, buf);
}

bool tsr_wire_send(int fd, tsr_wire_frame *f)
{
    bool ok = !f->failed && f->len - 4 <= TSR_WIRE_MAX_FRAME;
    if (ok) {
        uint32_t n = (uint32_t)(f->len - 4);
        for (int i = 0; i < 4; i++)
            f->data[i] = (char)(n >> (8 * i) & 0xff);
        ok = tsr_write_all(fd, f->data, f->len);
    }
    free(f->data);
    *f = (tsr_wire_frame){0};
    return ok;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* Reads n bytes by `deadline` (a now_ms() value; < 0: none). */
static tsr_wire_status read_all(int fd, char *p, size_t n, double deadline)
{
    while (n > 0) {
        int wait = -1;
        if (deadline >= 0) {
            double left = deadline - now_ms();
            if (left <= 0)
                return TSR_WIRE_TIMEOUT;
            wait = left > 1e9 ? 1000000000 : (int)left + 1;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ready = poll(&pfd, 1, wait);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            return TSR_WIRE_BROKEN;
        if (ready == 0)
            return TSR_WIRE_TIMEOUT;
        ssize_t got = read(fd, p, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return TSR_WIRE_BROKEN;
        if (got == 0)
            return TSR_WIRE_CLOSED;
        p += got;
        n -= (size_t)got;
    }
    return TSR_WIRE_OK;
}

tsr_wire_status tsr_wire_receive(int fd, int timeout_ms, tsr_wire_reader *r)
{
    *r = (tsr_wire_reader){0};
    double deadline = timeout_ms < 0 ? -1.0 : now_ms() + timeout_ms;
    unsigned char head[4];
    tsr_wire_status st = read_all(fd, (char *)head, 4, deadline);
    if (st != TSR_WIRE_OK)
        return st;
    uint32_t n = (uint32_t)head[0] | (uint32_t)head[1] << 8 | (uint32_t)head[2] << 16 |
                 (uint32_t)head[3] << 24;
    if (n < 1 || n > TSR_WIRE_MAX_FRAME)
        return TSR_WIRE_BROKEN;
    r->data = malloc(n);
    if (!r->data)
        return TSR_WIRE_BROKEN;
    st = read_all(fd, r->data, n, deadline);
    /* Every field ends in a NUL, so the payload does too (or is the tag alone). */
    if (st == TSR_WIRE_OK && n > 1 && r->data[n - 1] != '\0')
        st = TSR_WIRE_BROKEN;
    if (st != TSR_WIRE_OK) {
        tsr_wire_release(r);
        return st == TSR_WIRE_CLOSED ? TSR_WIRE_BROKEN : st; /* cut off mid-frame */
    }
    r->size = n;
    r->tag = r->data[0];
    r->at = 1;
    return TSR_WIRE_OK;
}

const char *tsr_wire_next(tsr_wire_reader *r)
{
    if (r->at >= r->size)
        return NULL;
    const char *field = r->data + r->at;
    r->at += strlen(field) + 1;
    return field;
}

double tsr_wire_next_number(tsr_wire_reader *r)
{
    const char *field = tsr_wire_next(r);
    return field ? strtod(field, NULL) : 0.0;
}

void tsr_wire_release(tsr_wire_reader *r)
{
    free(r->data);
    *r = (tsr_wire_reader){0};
}
