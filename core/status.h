/* Status codes and the caller-owned error message buffer.
 *
 * Every fallible function returns a tsr_status and, on failure, writes one
 * line into a tsr_error that the caller owns: no global error state, so two
 * tuners can live in one process. */
#ifndef TSR_STATUS_H
#define TSR_STATUS_H

#include <stddef.h>

typedef enum tsr_status {
    TSR_OK = 0,
    TSR_ERR_INPUT = -1,       /* bad input: malformed file, unknown key, impossible config */
    TSR_ERR_NOMEM = -2,       /* allocation failed */
    TSR_ERR_IO = -3,          /* a file could not be read or written */
    TSR_ERR_BACKEND = -4,     /* driver, runtime or compiler refused */
    TSR_ERR_UNSUPPORTED = -5, /* valid request the device or build cannot serve */
    TSR_ERR_VERIFY = -6,      /* a kernel produced a wrong answer */
    TSR_ERR_NOT_FOUND = -7,   /* no such device, profile, kernel or stored result */
    TSR_ERR_STORE = -8,       /* the results store refused */
} tsr_status;

#define TSR_ERROR_MAX 1024

typedef struct tsr_error {
    char msg[TSR_ERROR_MAX];
} tsr_error;

/* Formats the message into err (when not NULL) and returns status, so that a
 * failure reads `return tsr_fail(err, TSR_ERR_INPUT, "%s:%d:%d: ...", ...);`. */
tsr_status tsr_fail(tsr_error *err, tsr_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

const char *tsr_status_name(tsr_status status);

/* The exit code the CLI uses for a status: 0 ok, 2 bad input, 1 otherwise. */
int tsr_status_exit_code(tsr_status status);

#define TSR_TRY(expr)                                                                              \
    do {                                                                                           \
        tsr_status tsr_try_status_ = (expr);                                                       \
        if (tsr_try_status_ != TSR_OK)                                                             \
            return tsr_try_status_;                                                                \
    } while (0)

#endif
