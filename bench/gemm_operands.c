/* The benchmark's operands (see gemm_operands.h). */
#include "bench/gemm_operands.h"

#include <stdlib.h>

#include "core/half.h"

void operands_free(tsr_device *device, operands *o)
{
    for (int i = 0; i < 3; i++)
        if (o->buf[i])
            device->backend->free(o->buf[i]);
    free(o->c_start);
    free(o->ours);
    free(o->theirs);
}

/* xorshift64*: cheap, and good enough to make every term of a dot product
 * count; values in [-1, -1/8] u [1/8, 1], never zero. */
static float random_value(unsigned long long *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    unsigned long long r = *state * 2685821657736338717ull;
    float magnitude = 0.125f + 0.875f * (float)(r >> 40) * (1.0f / 16777216.0f);
    return (r & 1) ? -magnitude : magnitude;
}

double operands_c_value(const operands *o, const void *c, size_t i)
{
    return o->c_type == TSR_F64 ? ((const double *)c)[i] : (double)((const float *)c)[i];
}

tsr_status operands_create(tsr_device *device, gemm_size size, tsr_dtype ab_type, operands *o,
                           tsr_error *err)
{
    size_t m = (size_t)size.m, n = (size_t)size.n, k = (size_t)size.k;
    tsr_dtype c_type = ab_type == TSR_F64 ? TSR_F64 : TSR_F32;
    *o = (operands){.size = size, .elems = {m * k, k * n, m * n}, .c_type = c_type};
    size_t largest = o->elems[0] > o->elems[1] ? o->elems[0] : o->elems[1];
    largest = largest > o->elems[2] ? largest : o->elems[2];
    float *host = malloc(largest * sizeof(float));
    void *packed = malloc(largest * sizeof(double)); /* A or B in its storage form */
    size_t c_bytes = o->elems[2] * tsr_dtype_size(c_type);
    o->c_start = malloc(c_bytes);
    o->ours = malloc(c_bytes);
    o->theirs = malloc(c_bytes);
    tsr_status st = host && packed && o->c_start && o->ours && o->theirs
                        ? TSR_OK
                        : tsr_fail(err, TSR_ERR_NOMEM, "out of memory for %dx%dx%d operands",
                                   size.m, size.n, size.k);
    unsigned long long state = 0x9e3779b97f4a7c15ull ^ (unsigned long long)(m * 31 + n * 7 + k);
    for (int i = 0; i < 3 && st == TSR_OK; i++) {
        tsr_dtype dtype = i == 2 ? c_type : ab_type;
        size_t bytes = o->elems[i] * tsr_dtype_size(dtype);
        for (size_t e = 0; e < o->elems[i]; e++)
            host[e] = random_value(&state);
        void *storage = i == 2 ? o->c_start : packed;
        tsr_dtype_pack(dtype, host, o->elems[i], storage);
        st = device->backend->alloc(device, bytes, &o->buf[i], err);
        if (st == TSR_OK)
            st = device->backend->write(o->buf[i], storage, bytes, err);
    }
    free(host);
    free(packed);
    if (st != TSR_OK)
        operands_free(device, o);
    return st;
}
