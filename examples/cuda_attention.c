/* Runs the fused attention of a tessera bundle through CUDA, on the
 * program's own context, stream and device memory: f16 Q, K, V and O in
 * the BHSD layout, checked against a double-precision softmax(Q K^T) V on
 * the CPU and timed by events on the same stream.
 *
 *   cc cuda_attention.c $(pkg-config --cflags --libs tessera-rt) \
 *      -I/usr/local/cuda/include -L/usr/local/cuda/lib64 -lcuda -lm
 *   ./cuda_attention BUNDLE_DIR [HEAD_DIM Q KV HEADS BATCH CAUSAL [RUNS]]
 *                    (default 64 1024 1024 16 4 1, 20 runs)
 *
 * Exit status 0 when the output is right. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda.h>
#include <tessera/tessera_rt.h>
#include <tessera/tessera_rt_cuda.h>

#define CHECK_CU(call)                                                                             \
    do {                                                                                           \
        CUresult rc_ = (call);                                                                     \
        if (rc_ != CUDA_SUCCESS) {                                                                 \
            const char *name_ = "?";                                                               \
            cuGetErrorName(rc_, &name_);                                                           \
            fprintf(stderr, "%s: %s\n", #call, name_);                                             \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* Uniform in [-1, 1), never 0. */
static float next_value(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    float value = (float)(*state >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
    return value != 0.0f ? value : 0.5f;
}

/* IEEE half from a float in f16's normal range or zero, rounded to
 * nearest even (the inputs here lie in [-1, 1]). */
static uint16_t to_half(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t sign = (u >> 16) & 0x8000u, abs = u & 0x7fffffffu;
    if (abs < 0x38800000u) /* below f16's smallest normal: flush (never met here) */
        return (uint16_t)sign;
    uint32_t mant = abs & 0x7fffffu, exp = (abs >> 23) - 127 + 15;
    uint32_t h = (exp << 10) | (mant >> 13), rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
        h++;
    return (uint16_t)(sign | h);
}

static float from_half(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    uint32_t u;
    if (exp == 0x1fu)
        u = sign | 0x7f800000u | (mant << 13); /* inf and NaN (the poison) */
    else if (exp == 0)
        u = sign; /* zero; subnormals are not written here */
    else
        u = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static int compare_floats(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The largest |ours - reference| over every output, the reference in
 * double from the f16 inputs as stored. */
static double worst_error(const tsr_rt_attention_desc *d, const uint16_t *q, const uint16_t *k,
                          const uint16_t *v, const uint16_t *o)
{
    int dh = d->head_dim;
    double worst = 0.0;
    double *p = malloc((size_t)d->kv * sizeof *p), *acc = malloc((size_t)dh * sizeof *acc);
    for (long zh = 0; p && acc && zh < (long)d->batch * d->heads; zh++) {
        const uint16_t *qz = q + zh * d->q * dh, *kz = k + zh * d->kv * dh,
                       *vz = v + zh * d->kv * dh;
        for (int i = 0; i < d->q; i++) {
            int seen = d->causal ? (i + 1 < d->kv ? i + 1 : d->kv) : d->kv;
            double top = -INFINITY, sum = 0.0;
            for (int j = 0; j < seen; j++) {
                double s = 0.0;
                for (int c = 0; c < dh; c++)
                    s += (double)from_half(qz[(size_t)i * dh + c]) *
                         from_half(kz[(size_t)j * dh + c]);
                p[j] = s * d->scale;
                top = fmax(top, p[j]);
            }
            memset(acc, 0, (size_t)dh * sizeof *acc);
            for (int j = 0; j < seen; j++) {
                double e = exp(p[j] - top);
                sum += e;
                for (int c = 0; c < dh; c++)
                    acc[c] += e * from_half(vz[(size_t)j * dh + c]);
            }
            for (int c = 0; c < dh; c++) {
                double got = from_half(o[(zh * d->q + i) * dh + c]);
                double e = fabs(got - acc[c] / sum);
                worst = isnan(e) ? INFINITY : fmax(worst, e);
            }
        }
    }
    free(p);
    free(acc);
    return worst;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 8 && argc != 9) {
        fprintf(stderr, "usage: %s BUNDLE_DIR [HEAD_DIM Q KV HEADS BATCH CAUSAL [RUNS]]\n",
                argv[0]);
        return 2;
    }
    tsr_rt_attention_desc d;
    tsr_rt_attention_desc_init(&d, argc >= 8 ? atoi(argv[2]) : 64, argc >= 8 ? atoi(argv[3]) : 1024,
                               argc >= 8 ? atoi(argv[4]) : 1024);
    d.heads = argc >= 8 ? atoi(argv[5]) : 16;
    d.batch = argc >= 8 ? atoi(argv[6]) : 4;
    d.causal = argc >= 8 ? atoi(argv[7]) != 0 : true;
    int runs = argc == 9 ? atoi(argv[8]) : 20;
    if (runs < 1 || runs > 1000) {
        fprintf(stderr, "RUNS must be 1 to 1000\n");
        return 2;
    }
    char err[512];
    tsr_rt_bundle *bundle;
    if (tsr_rt_open(argv[1], &bundle, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    CUdevice device;
    CUcontext context;
    CHECK_CU(cuInit(0));
    CHECK_CU(cuDeviceGet(&device, 0));
    CHECK_CU(cuDevicePrimaryCtxRetain(&context, device));
    CHECK_CU(cuCtxSetCurrent(context));
    CUstream stream;
    CHECK_CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));

    size_t heads = (size_t)d.batch * d.heads, nq = heads * d.q * d.head_dim,
           nkv = heads * d.kv * d.head_dim;
    uint16_t *q = malloc(nq * 2), *k = malloc(nkv * 2), *v = malloc(nkv * 2), *o = malloc(nq * 2);
    if (!q || !k || !v || !o) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    unsigned state = 42;
    for (size_t i = 0; i < nq; i++)
        q[i] = to_half(next_value(&state));
    for (size_t i = 0; i < nkv; i++) {
        k[i] = to_half(next_value(&state));
        v[i] = to_half(next_value(&state));
    }
    CUdeviceptr dq, dk, dv, dout;
    CHECK_CU(cuMemAlloc(&dq, nq * 2));
    CHECK_CU(cuMemAlloc(&dk, nkv * 2));
    CHECK_CU(cuMemAlloc(&dv, nkv * 2));
    CHECK_CU(cuMemAlloc(&dout, nq * 2));
    CHECK_CU(cuMemcpyHtoD(dq, q, nq * 2));
    CHECK_CU(cuMemcpyHtoD(dk, k, nkv * 2));
    CHECK_CU(cuMemcpyHtoD(dv, v, nkv * 2));
    CHECK_CU(cuMemsetD16(dout, 0x7e00u, nq)); /* NaN: an unwritten element cannot pass */

    if (tsr_rt_attention_cuda(bundle, stream, &d, dq, dk, dv, dout, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    CHECK_CU(cuStreamSynchronize(stream));
    CHECK_CU(cuMemcpyDtoH(o, dout, nq * 2));
    /* |V| < 1, so every output is below 1: O's f16 rounding (2^-11), P's
     * where the matrix unit multiplies it as f16, and the f32 sums stay
     * well inside 4e-3; a wrong scale, mask or head is off by far more. */
    double worst = worst_error(&d, q, k, v, o), bound = 4e-3;

    CUevent start, end;
    CHECK_CU(cuEventCreate(&start, 0));
    CHECK_CU(cuEventCreate(&end, 0));
    float *times = malloc((size_t)runs * 4);
    for (int r = 0; times && r < runs; r++) {
        CHECK_CU(cuEventRecord(start, stream));
        int rc = tsr_rt_attention_cuda(bundle, stream, &d, dq, dk, dv, dout, err, sizeof err);
        CHECK_CU(cuEventRecord(end, stream));
        CHECK_CU(cuEventSynchronize(end));
        if (rc != 0) {
            fprintf(stderr, "a timed run failed: %s\n", err);
            return 1;
        }
        CHECK_CU(cuEventElapsedTime(&times[r], start, end));
    }
    qsort(times, (size_t)runs, 4, compare_floats);
    double ms = times ? times[runs / 2] : 0.0;
    /* 4 head_dim flops a visible (query, key) pair: Q K^T and P V. */
    double pairs = 0.0;
    for (int i = 0; i < d.q; i++)
        pairs += d.causal ? (i + 1 < d.kv ? i + 1 : d.kv) : d.kv;
    double flop = 4.0 * d.head_dim * pairs * (double)heads;
    char key[128];
    long shape[4] = {d.q, d.kv, d.heads, d.batch};
    long pick =
        tsr_rt_pick(bundle, tsr_rt_attention_desc_key(&d, key, sizeof key), "cuda", shape, 4);
    tsr_rt_kernel_info info = {0};
    tsr_rt_kernel_info_at(bundle, (size_t)pick, &info);
    printf("%s, q=%d kv=%d heads=%d batch=%d, with the kernel tuned for %s (%s):\n", key, d.q, d.kv,
           d.heads, d.batch, info.shape, info.config);
    printf("  max error %.3g against a double softmax(Q K^T) V on the CPU (bound %.3g): %s\n",
           worst, bound, worst <= bound ? "ok" : "WRONG");
    printf("  %.3f ms, %.1f TFLOP/s (median of %d, events)\n", ms, flop / (ms * 1e9), runs);

    cuMemFree(dq);
    cuMemFree(dk);
    cuMemFree(dv);
    cuMemFree(dout);
    free(q);
    free(k);
    free(v);
    free(o);
    free(times);
    tsr_rt_close(bundle);
    cuStreamDestroy(stream);
    cuDevicePrimaryCtxRelease(device);
    return worst <= bound ? 0 : 1;
}
