#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>

tsr_status tsr_fail(tsr_error *err, tsr_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

const char *tsr_status_name(tsr_status status)
{
    switch (status) {
    case TSR_OK: return "ok";
    case TSR_ERR_INPUT: return "bad input";
    case TSR_ERR_NOMEM: return "out of memory";
    case TSR_ERR_IO: return "i/o error";
    case TSR_ERR_BACKEND: return "backend error";
    case TSR_ERR_UNSUPPORTED: return "unsupported";
    case TSR_ERR_VERIFY: return "wrong result";
    case TSR_ERR_NOT_FOUND: return "not found";
    case TSR_ERR_STORE: return "store error";
    }
    return "unknown status";
}

int tsr_status_exit_code(tsr_status status)
{
    if (status == TSR_OK)
        return 0;
    if (status == TSR_ERR_INPUT || status == TSR_ERR_NOT_FOUND)
        return 2;
    return 1;
}
