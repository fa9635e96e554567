/* libtessera-rt's workspace on PoCL (docs/bundle.md, "Geometry rule"), on
 * a bundle of one probe kernel written here: the rule's workspace= item
 * and the kernel's workspace argument read strictly and together, and the
 * workspace the runtime gives a launch zeroed when made and kept per
 * queue; and an axis's repeat ("4*batch/1x1"), read as strictly, which
 * multiplies the groups a launch has and the workspace it takes.
 *
 * usage: test_rt_workspace BUNDLE_DIR   (tests/test_rt.sh; the bundle
 * there is not used) */
#define CL_TARGET_OPENCL_VERSION 120
#include <sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CL/cl.h>
#include <tessera/tessera_rt.h>
#include <tessera/tessera_rt_opencl.h>

#include "tests/check.h"
#include "tests/check_cl_queue.h"
#include "tests/check_rt_opencl.h"

/* Reads the workspace word of its work-item, then leaves its index + 1
 * there: what the next launch on the queue reads shows which buffer it
 * got, and whether it was zeroed. */
static const char probe_source[] =
    "kernel void probe(global const float *x, global float *y, int rows, int cols,\n"
    "                  global int *workspace)\n"
    "{\n"
    "    int i = (int)get_global_id(0);\n"
    "    y[i] = (float)workspace[i];\n"
    "    workspace[i] = i + 1;\n"
    "}\n";

/* The ops a probe entry may claim to be: the softmax it runs as, and a
 * batched GEMM, whose dims a split-K rule names (opened, never run). */
typedef struct probe_op {
    const char *op, *op_key, *shape, *shape_dims;
} probe_op;

static const probe_op softmax_op = {"softmax", "softmax.f32", "rows=4,cols=1",
                                    "{\"rows\": 4, \"cols\": 1}"};
static const probe_op gemm_op = {"gemm", "gemm.f32.a=row.b=row.beta=1", "m=4,n=4,k=4,batch=2",
                                 "{\"m\": 4, \"n\": 4, \"k\": 4, \"batch\": 2}"};

/* A bundle in `dir` of one entry of `op`, the probe with `geometry` and
 * `args`, opened: its code, the message in err. */
static int open_bundle_as(const probe_op *op, const char *dir, const char *geometry,
                          const char *args, tsr_rt_bundle **b, char *err, size_t err_size)
{
    char path[512], digest[SHA256_DIGEST_STRING_LENGTH];
    SHA256Data((const uint8_t *)probe_source, strlen(probe_source), digest);
    snprintf(path, sizeof path, "%s/probe.cl", dir);
    FILE *f = fopen(path, "w");
    CHECK(f && fputs(probe_source, f) >= 0 && fclose(f) == 0);
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    f = fopen(path, "w");
    CHECK(f &&
          fprintf(f,
                  "{\"bundle_schema\": 1, \"tessera_version\": \"0.1.0\", "
                  "\"created\": \"2025-01-31T12:00:00Z\", \"kernels\": [{\"index\": 0, "
                  "\"op\": \"%s\", \"spec_name\": \"probe\", \"op_key\": "
                  "\"%s\", \"shape\": \"%s\", \"shape_dims\": "
                  "%s, \"geometry\": \"%s\", \"config\": "
                  "\"WG=1\", \"args\": \"%s\", \"kernel_name\": \"probe\", "
                  "\"language\": \"opencl\", \"file\": \"probe.cl\", \"sha256\": "
                  "\"%s\", \"device\": \"test\", \"profile\": null, \"time_ms\": 1, "
                  "\"gflops\": 1, \"max_error\": 0, \"measured\": true}]}\n",
                  op->op, op->op_key, op->shape, op->shape_dims, geometry, args, digest) > 0 &&
          fclose(f) == 0);
    *b = NULL;
    return tsr_rt_open(dir, b, err, err_size);
}

static int open_probe_bundle(const char *dir, const char *geometry, const char *args,
                             tsr_rt_bundle **b, char *err, size_t err_size)
{
    return open_bundle_as(&softmax_op, dir, geometry, args, b, err, err_size);
}

static void remove_probe_bundle(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/probe.cl", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    unlink(path);
    rmdir(dir);
}

static const char probe_args[] = "buffer:X,buffer:Y,int:rows,int:cols,buffer:workspace";

/* ",workspace=BYTES" is the last item, a count above 0 and nothing else;
 * a kernel takes the workspace, as its last argument, exactly when its
 * rule has one. */
static void workspace_items_are_read_strictly(void)
{
    char dir[] = "/tmp/tsr_rt_workspace_XXXXXX", err[512];
    CHECK(mkdtemp(dir) != NULL);
    static const char *const bad[] = {"rows/1x256,workspace=",
                                      "rows/1x256,workspace=0",
                                      "rows/1x256,workspace=-8",
                                      "rows/1x256,workspace=8,shared=64",
                                      "rows/1x256,workspace=8x",
                                      "rows/1x256,workspace=+8",
                                      "rows/1x256,workspace= 8",
                                      "rows/1x256,workspace=8,workspace=8",
                                      "workspace=8",
                                      "rows/1x256,workspace=8,cols/16384x1",
                                      "rows/1x256,shared=64,workspace="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tsr_rt_bundle *b;
        CHECK_MSG(open_probe_bundle(dir, bad[i], probe_args, &b, err, sizeof err) ==
                      TSR_RT_ERR_INPUT,
                  "%s", bad[i]);
        CHECK(b == NULL && !strchr(err, '\n'));
        CHECK_STR_CONTAINS(err, "not as docs/bundle.md describes them");
        CHECK_STR_CONTAINS(err, bad[i]);
    }
    static const char *const good[] = {"rows/1x256,cols/16384x1,shared=64,workspace=8",
                                       "rows/1x256,cols/16384x1,workspace=8"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        tsr_rt_bundle *b;
        CHECK_MSG(open_probe_bundle(dir, good[i], probe_args, &b, err, sizeof err) == TSR_RT_OK,
                  "%s: %s", good[i], err);
        tsr_rt_close(b);
    }
    /* The argument without the item, the item without the argument, the
     * argument before another. */
    const char *mismatched[][2] = {
        {"rows/1x256", probe_args},
        {"rows/1x256,workspace=8", "buffer:X,buffer:Y,int:rows,int:cols"},
        {"rows/1x256,workspace=8", "buffer:X,buffer:workspace,buffer:Y,int:rows,int:cols"}};
    for (size_t i = 0; i < sizeof mismatched / sizeof mismatched[0]; i++) {
        tsr_rt_bundle *b;
        CHECK_MSG(open_probe_bundle(dir, mismatched[i][0], mismatched[i][1], &b, err, sizeof err) ==
                      TSR_RT_ERR_INPUT,
                  "%s with %s", mismatched[i][0], mismatched[i][1]);
        CHECK_STR_CONTAINS(err, "not as docs/bundle.md describes them");
    }
    remove_probe_bundle(dir);
}

/* The probe on `q` over `rows` rows: what each of the first `items`
 * work-items read from the workspace (0 past the last one launched), or
 * -1 where the call failed. */
static void probe(tsr_rt_bundle *b, cl_command_queue q, int rows, int items, float *seen)
{
    char err[512] = "";
    float zero[16] = {0};
    cl_mem x = upload(zero, 16), y = upload(zero, 16);
    for (int i = 0; i < items; i++)
        seen[i] = -1;
    CHECK_MSG(tsr_rt_softmax_opencl(b, q, rows, 1, x, y, NULL, err, sizeof err) == TSR_RT_OK, "%s",
              err);
    CHECK(clEnqueueReadBuffer(q, y, CL_TRUE, 0, (size_t)items * sizeof *seen, seen, 0, NULL,
                              NULL) == CL_SUCCESS);
    clReleaseMemObject(x);
    clReleaseMemObject(y);
}

/* 4 bytes per group, one group per row: a workspace word per row. Zero
 * when made; the same on the next launch on the queue; made again, zero,
 * when a launch needs more; another queue's of its own. */
static void the_workspace_is_zeroed_and_kept_per_queue(void)
{
    char dir[] = "/tmp/tsr_rt_workspace_XXXXXX", err[512] = "";
    CHECK(mkdtemp(dir) != NULL);
    tsr_rt_bundle *b;
    CHECK_MSG(open_probe_bundle(dir, "rows/1x1,workspace=4", probe_args, &b, err, sizeof err) ==
                  TSR_RT_OK,
              "%s", err);
    cl_device_id device;
    cl_int status = clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof device, &device, NULL);
    cl_command_queue other = clCreateCommandQueue(context, device, 0, &status);
    CHECK(other != NULL);
    if (!b || !other) {
        tsr_rt_close(b);
        return remove_probe_bundle(dir);
    }
    float seen[16];
    static const struct {
        bool other;
        int rows;
        bool kept; /* work-item i reads i + 1, left by the last launch; else 0 */
    } steps[] = {{false, 4, false}, {false, 4, true}, {false, 8, false},
                 {true, 2, false},  {false, 4, true}, {true, 2, true}};
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        probe(b, steps[s].other ? other : queue, steps[s].rows, steps[s].rows, seen);
        for (int i = 0; i < steps[s].rows; i++)
            CHECK_MSG(seen[i] == (steps[s].kept ? (float)(i + 1) : 0.0f),
                      "step %zu: work-item %d read %g", s, i, (double)seen[i]);
    }
    tsr_rt_close(b);
    clReleaseCommandQueue(other);
    remove_probe_bundle(dir);
}

/* An axis's "R*" prefix, R an integer >= 2 and nothing else, read as
 * strictly as core/bundle.c reads it: the malformed ones refused, on a GEMM
 * entry whose dims include the batch, beside well-formed ones opened
 * (core/bundle.c writes "4*1x1" for an entry tuned on one problem). */
static void repeats_are_read_strictly(void)
{
    char dir[] = "/tmp/tsr_rt_workspace_XXXXXX", err[512];
    CHECK(mkdtemp(dir) != NULL);
    static const char gemm_args[] =
        "buffer:A,buffer:B,buffer:C,int:M,int:N,int:K,float:alpha,float:beta";
    static const char *const bad[] = {
        "1*batch/1x1",   "0*batch/1x1",  "*batch/1x1",           "x*batch/1x1",
        "4*4*batch/1x1", "4*",           "-2*batch/1x1",         "+2*batch/1x1",
        " 2*batch/1x1",  "2 *batch/1x1", "n/64x16,m/64x8,1*1x1", "n/64x16,m/64x8,4*,1x1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tsr_rt_bundle *b;
        CHECK_MSG(open_bundle_as(&gemm_op, dir, bad[i], gemm_args, &b, err, sizeof err) ==
                      TSR_RT_ERR_INPUT,
                  "%s", bad[i]);
        CHECK(b == NULL && !strchr(err, '\n'));
        CHECK_STR_CONTAINS(err, "not as docs/bundle.md describes them");
        CHECK_STR_CONTAINS(err, bad[i]);
    }
    static const char *const good[] = {"4*batch/1x1", "n/64x16,m/64x8,4*batch/1x1",
                                       "n/64x16,m/64x8,4*1x1", "2*n/64x16,m/64x8,batch/1x1"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        tsr_rt_bundle *b;
        CHECK_MSG(open_bundle_as(&gemm_op, dir, good[i], gemm_args, &b, err, sizeof err) ==
                      TSR_RT_OK,
                  "%s: %s", good[i], err);
        tsr_rt_close(b);
    }
    remove_probe_bundle(dir);
}

/* "4*rows/1x1": 4 groups of one work-item per row, and the workspace's 4
 * bytes for each of them. Two rows launch 8 work-items, each with a word
 * of the queue's workspace that the next launch finds again. */
static void a_repeated_axis_launches_its_groups_that_many_times(void)
{
    char dir[] = "/tmp/tsr_rt_workspace_XXXXXX", err[512] = "";
    CHECK(mkdtemp(dir) != NULL);
    tsr_rt_bundle *b;
    CHECK_MSG(open_probe_bundle(dir, "4*rows/1x1,workspace=4", probe_args, &b, err, sizeof err) ==
                  TSR_RT_OK,
              "%s", err);
    if (!b)
        return remove_probe_bundle(dir);
    float seen[16];
    probe(b, queue, 2, 16, seen);
    for (int i = 0; i < 16; i++)
        CHECK_MSG(seen[i] == 0.0f, "first launch: work-item %d read %g", i, (double)seen[i]);
    probe(b, queue, 2, 16, seen);
    for (int i = 0; i < 16; i++)
        CHECK_MSG(seen[i] == (i < 8 ? (float)(i + 1) : 0.0f), "again: work-item %d read %g", i,
                  (double)seen[i]);
    tsr_rt_close(b);
    remove_probe_bundle(dir);
}

/* Kernels index the workspace with 32-bit ints: a call whose launch
 * would need more than 2^31 - 1 words of it is refused, in one line and
 * before anything is allocated or launched; one just under runs. */
static void a_workspace_past_32_bit_indices_is_refused(void)
{
    char dir[] = "/tmp/tsr_rt_workspace_XXXXXX", err[512] = "";
    CHECK(mkdtemp(dir) != NULL);
    tsr_rt_bundle *b;
    /* 2^31 bytes a group: 4 rows need 8 GiB, one word past the limit. */
    CHECK_MSG(open_probe_bundle(dir, "rows/1x1,workspace=2147483648", probe_args, &b, err,
                                sizeof err) == TSR_RT_OK,
              "%s", err);
    if (!b)
        return remove_probe_bundle(dir);
    float zero[4] = {0};
    cl_mem x = upload(zero, 4), y = upload(zero, 4);
    CHECK(tsr_rt_softmax_opencl(b, queue, 4, 1, x, y, NULL, err, sizeof err) == TSR_RT_ERR_INPUT);
    CHECK(!strchr(err, '\n'));
    CHECK_STR_CONTAINS(err, "8589934592 bytes of workspace, past the 8589934588");
    clReleaseMemObject(x);
    clReleaseMemObject(y);
    tsr_rt_close(b);
    remove_probe_bundle(dir);
}

int main(int argc, char **argv)
{
    int status = check_rt_start(argc, argv);
    if (status >= 0)
        return status;
    RUN_TEST(workspace_items_are_read_strictly);
    RUN_TEST(the_workspace_is_zeroed_and_kept_per_queue);
    RUN_TEST(repeats_are_read_strictly);
    RUN_TEST(a_repeated_axis_launches_its_groups_that_many_times);
    RUN_TEST(a_workspace_past_32_bit_indices_is_refused);
    return check_rt_finish();
}
