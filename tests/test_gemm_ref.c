/* The reference SGEMM (backends/gemm_ref.h) on every device that has one
 * here: CLBlast on opencl:0 (PoCL), cuBLAS on cuda:0 where an NVIDIA GPU is.
 * Each must match a double-precision CPU product in every layout, on
 * poisoned output, and refuse malformed requests with a clear message. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/gemm_ref.h"
#include "tests/check.h"

static float rand_unit(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

/* Largest |got - ref| / (sum of |terms|) over C, in double precision. */
static double gemm_error(bool a_col, bool b_col, int m, int n, int k, float alpha, const float *a,
                         const float *b, float beta, const float *c0, const float *got)
{
    double worst = 0.0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double sum = 0.0, magnitude = 0.0;
            for (int p = 0; p < k; p++) {
                double av = a[a_col ? p * m + i : i * k + p];
                double bv = b[b_col ? j * k + p : p * n + j];
                sum += av * bv;
                magnitude += fabs(av * bv);
            }
            double c = c0[i * n + j];
            double ref = alpha * sum + beta * c;
            magnitude = fabs(alpha) * magnitude + fabs(beta * c);
            double e = fabs((double)got[i * n + j] - ref) / (magnitude > 0 ? magnitude : 1.0);
            worst = isnan(e) ? INFINITY : fmax(worst, e);
        }
    return worst;
}

/* Ragged sizes, so that no dimension is a multiple of any tile. */
enum { M = 37, N = 13, K = 71 };

static void check_layout(tsr_device *device, bool a_col, bool b_col)
{
    const tsr_backend *be = device->backend;
    static float a[M * K], b[K * N], c0[M * N], got[M * N];
    uint32_t seed = 12345u + (a_col ? 1u : 0u) + (b_col ? 2u : 0u);
    for (int i = 0; i < M * K; i++)
        a[i] = rand_unit(&seed);
    for (int i = 0; i < K * N; i++)
        b[i] = rand_unit(&seed);
    for (int i = 0; i < M * N; i++)
        c0[i] = rand_unit(&seed);
    tsr_buffer *da = NULL, *db = NULL, *dc = NULL;
    tsr_error err = {{0}};
    CHECK(be->alloc(device, sizeof a, &da, &err) == TSR_OK);
    CHECK(be->alloc(device, sizeof b, &db, &err) == TSR_OK);
    CHECK(be->alloc(device, sizeof c0, &dc, &err) == TSR_OK);
    if (da && db && dc) {
        CHECK(be->write(da, a, sizeof a, &err) == TSR_OK);
        CHECK(be->write(db, b, sizeof b, &err) == TSR_OK);
        CHECK(be->write(dc, c0, sizeof c0, &err) == TSR_OK);
        memset(got, 0xff, sizeof got); /* NaN: an unread element cannot pass */
        double ms = -1.0;
        tsr_status status =
            tsr_gemm_ref_sgemm(device, a_col, b_col, M, N, K, 1.5f, da, db, 0.75f, dc, &ms, &err);
        CHECK_MSG(status == TSR_OK, "%s: %s", device->info.id, err.msg);
        CHECK(be->read(dc, got, sizeof got, &err) == TSR_OK);
        double e = gemm_error(a_col, b_col, M, N, K, 1.5f, a, b, 0.75f, c0, got);
        CHECK_MSG(e <= 1e-5, "%s a %s, b %s: relative error %g", device->info.id,
                  a_col ? "col" : "row", b_col ? "col" : "row", e);
        CHECK(ms >= 0.0);
    }
    be->free(da);
    be->free(db);
    be->free(dc);
}

static void check_refusals(tsr_device *device)
{
    tsr_buffer *small = NULL, *big = NULL;
    tsr_error err = {{0}};
    CHECK(device->backend->alloc(device, 4 * sizeof(float), &small, &err) == TSR_OK);
    CHECK(device->backend->alloc(device, 64 * sizeof(float), &big, &err) == TSR_OK);
    if (small && big) {
        CHECK(tsr_gemm_ref_sgemm(device, false, false, 4, 4, 4, 1.0f, big, small, 0.0f, big, NULL,
                                 &err) == TSR_ERR_INPUT);
        CHECK_STR_CONTAINS(err.msg, "matrix B");
        CHECK(tsr_gemm_ref_sgemm(device, false, false, 0, 4, 4, 1.0f, big, big, 0.0f, big, NULL,
                                 &err) == TSR_ERR_INPUT);
        CHECK_STR_CONTAINS(err.msg, "m=0");
        CHECK(tsr_gemm_ref_sgemm(device, false, false, 4, 4, 4, 1.0f, NULL, big, 0.0f, big, NULL,
                                 &err) == TSR_ERR_INPUT);
        CHECK_STR_CONTAINS(err.msg, "matrix A");
    }
    device->backend->free(small);
    device->backend->free(big);
}

/* Runs every check on device `id` when it is here and has a reference;
 * returns whether it ran. */
static bool check_device(const char *id)
{
    tsr_device *device = NULL;
    tsr_error err = {{0}};
    if (tsr_device_open(id, &device, &err) != TSR_OK) {
        printf("note %s: %s\n", id, err.msg);
        return false;
    }
    bool ran = tsr_gemm_ref_name(device) != NULL;
    if (ran) {
        printf("note %s: checking %s\n", id, tsr_gemm_ref_name(device));
        for (int layout = 0; layout < 4; layout++)
            check_layout(device, layout & 1, layout & 2);
        check_refusals(device);
        CHECK(tsr_gemm_ref_clock(device) == (strcmp(device->backend->name, "cuda") == 0
                                                 ? TSR_REF_DEVICE_EVENTS
                                                 : TSR_REF_WALL_CLOCK));
    }
    tsr_device_close(device);
    return ran;
}

static void test_opencl_reference_matches_cpu_in_every_layout(void)
{
    bool ran = check_device("opencl:0");
    tsr_device *device = NULL;
    tsr_error err = {{0}};
    if (!ran && tsr_device_open("opencl:0", &device, &err) == TSR_OK) {
        /* Built without CLBlast: the reference says so and does nothing. */
        CHECK(tsr_gemm_ref_sgemm(device, false, false, 1, 1, 1, 1.0f, NULL, NULL, 0.0f, NULL, NULL,
                                 &err) == TSR_ERR_UNSUPPORTED);
        CHECK_STR_CONTAINS(err.msg, "no reference SGEMM for opencl:0");
        tsr_device_close(device);
    }
}

static void test_cuda_reference_matches_cpu_in_every_layout(void)
{
    check_device("cuda:0"); /* a note, not a failure, where no NVIDIA GPU is */
}

/* A backend without a reference (HIP today) is refused by name, before
 * any buffer is touched. */
static void test_backend_without_reference_is_refused_by_name(void)
{
    tsr_device fake = {.backend = tsr_backend_find("hip")};
    CHECK(fake.backend != NULL);
    if (!fake.backend)
        return;
    snprintf(fake.info.id, sizeof fake.info.id, "hip:0");
    CHECK(tsr_gemm_ref_name(&fake) == NULL);
    tsr_error err = {{0}};
    CHECK(tsr_gemm_ref_sgemm(&fake, false, false, 2, 2, 2, 1.0f, NULL, NULL, 0.0f, NULL, NULL,
                             &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "no reference SGEMM for hip:0");
}

int main(void)
{
    RUN_TEST(test_opencl_reference_matches_cpu_in_every_layout);
    RUN_TEST(test_cuda_reference_matches_cpu_in_every_layout);
    RUN_TEST(test_backend_without_reference_is_refused_by_name);
    return check_summary();
}
