/* The frames tessera and its evaluation worker exchange over two pipes:
 * a 4-byte little-endian length, then the payload: a one-byte tag and
 * NUL-terminated text fields (numbers as %.17g). No field holds a NUL:
 * sources, YAML and configs are text. Private to runner/worker*.c. */
#ifndef TSR_WORKER_WIRE_H
#define TSR_WORKER_WIRE_H

#include <stdbool.h>
#include <stddef.h>

/* The largest frame either side accepts: a kernel's source and more. */
#define TSR_WIRE_MAX_FRAME (16u << 20)

enum tsr_wire_tag {
    TSR_WIRE_SETUP = 'S',    /* parent: spec path, profile YAML, device id, shape, seed, role */
    TSR_WIRE_READY = 'R',    /* worker: set up (or an error field) */
    TSR_WIRE_CONFIG = 'C',   /* parent: evaluate this config */
    TSR_WIRE_SOURCE = 'K',   /* parent: evaluate this kernel source (planted faults, tests) */
    TSR_WIRE_BUILT = 'B',    /* worker: compiled; "1" if its first launch compiles more */
    TSR_WIRE_LAUNCHED = 'L', /* worker: the first launch finished, timing follows */
    TSR_WIRE_RESULT = 'O',   /* worker: the outcome, its fields and phase times */
    TSR_WIRE_COMPILE = 'P',  /* parent: compile this config ahead, do not run it */
    TSR_WIRE_COMPILED = 'D', /* worker: compiled ("" or why not), seconds taken */
};

typedef struct tsr_wire_frame {
    char *data;
    size_t len, cap;
    bool failed; /* an allocation failed: the frame is not sent */
} tsr_wire_frame;

/* Building a frame: begin with its tag, then fields in order. */
void tsr_wire_begin(tsr_wire_frame *f, char tag);
void tsr_wire_put(tsr_wire_frame *f, const char *text); /* NULL is sent as empty */
void tsr_wire_put_number(tsr_wire_frame *f, double value);
/* Writes the frame whole; false when the pipe is closed or the frame
 * could not be built (out of memory). Frees the frame either way. */
bool tsr_wire_send(int fd, tsr_wire_frame *f);

/* A received frame and a cursor over its fields. */
typedef struct tsr_wire_reader {
    char *data; /* malloc'd payload */
    size_t size, at;
    char tag;
} tsr_wire_reader;

typedef enum tsr_wire_status {
    TSR_WIRE_OK,
    TSR_WIRE_CLOSED,  /* end of file: the other side is gone */
    TSR_WIRE_TIMEOUT, /* nothing within the time allowed */
    TSR_WIRE_BROKEN,  /* a malformed or oversized frame, or a read error */
} tsr_wire_status;

/* Waits at most timeout_ms (< 0: forever) for a whole frame. */
tsr_wire_status tsr_wire_receive(int fd, int timeout_ms, tsr_wire_reader *r);
/* The next field, NUL-terminated inside the frame, or NULL past the end. */
const char *tsr_wire_next(tsr_wire_reader *r);
double tsr_wire_next_number(tsr_wire_reader *r);
void tsr_wire_release(tsr_wire_reader *r);

#endif
