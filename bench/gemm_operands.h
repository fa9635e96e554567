/* The operands tessera-bench-gemm times both libraries on: A, B and C of
 * one problem size on the device, filled with random non-zero values, and
 * host copies for comparing the two results. */
#ifndef TSR_BENCH_GEMM_OPERANDS_H
#define TSR_BENCH_GEMM_OPERANDS_H

#include "devices/devices.h"

/* One problem size. */
typedef struct gemm_size {
    int m, n, k;
} gemm_size;

/* The operands both libraries are timed on. */
typedef struct operands {
    gemm_size size;
    size_t elems[3];    /* of A (m x k), B (k x n), C (m x n) */
    tsr_buffer *buf[3]; /* A, B, C in the op's buffer order */
    tsr_dtype c_type;   /* f64 for f64 inputs, else f32 */
    /* C's contents before each checked run, and both results: of c_type. */
    void *c_start;
    void *ours, *theirs;
} operands;

/* C's element i, of c_type, as a double. */
double operands_c_value(const operands *o, const void *c, size_t i);

/* Allocates and fills them (the same values for the same size); A and B
 * hold `ab_type` (f32, f64, f16 or bf16), C f64 for f64, else f32. */
tsr_status operands_create(tsr_device *device, gemm_size size, tsr_dtype ab_type, operands *o,
                           tsr_error *err);
void operands_free(tsr_device *device, operands *o);

#endif
