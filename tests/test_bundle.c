/* Bundle export: files, manifest, checksums, path safety, and the
 * standalone header, proven by a program that includes it, compiled with
 * the system compiler, running the picked kernels on OpenCL. */
#include <dirent.h>
#include <sha2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "core/bundle.h"
#include "core/launch.h"
#include "core/manifest.h"
#include "core/op.h"
#include "core/opspec.h"
#include "core/store.h"
#include "tests/check.h"

/* The program this test writes next to an exported bundle and builds with
 * the system compiler: it uses only tessera_bundle.h and raw OpenCL,
 * as a user's program would. It checks the header's dispatch and launch
 * size by hand-computed answers, then runs the picked GEMM kernels on
 * untuned shapes against a CPU GEMM. Exit 0 pass, 1 fail, 77 when every
 * check but the OpenCL run passed and no OpenCL device exists. */
static const char bundle_program[] =
    "#include <math.h>\n"
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "#include <CL/cl.h>\n"
    "#include \"tessera_bundle.h\"\n"
    "\n"
    "#define KEY \"gemm.f32.a=row.b=row.beta=1\"\n"
    "static int failures;\n"
    "#define EXPECT(c) do { if (!(c)) { printf(\"FAILED: %s (line %d)\\n\", #c, __LINE__);"
    " failures++; } } while (0)\n"
    "\n"
    "static int shape_is(const tessera_kernel *k, const char *text)\n"
    "{\n"
    "    return k && strcmp(k->shape_text, text) == 0;\n"
    "}\n"
    "\n"
    "static void check_dispatch(void)\n"
    "{\n"
    "    long exact[4] = {32, 32, 32, 1}, small[4] = {45, 70, 23, 1};\n"
    "    long big[4] = {300, 260, 700, 1}, tie[4] = {64, 64, 64, 1};\n"
    "    long batched[4] = {40, 32, 32, 3}, tie_batched[4] = {64, 64, 64, 2};\n"
    "    size_t global[3], local[3];\n"
    "    unsigned dims = 0;\n"
    "    const tessera_kernel *k = tessera_pick(KEY, exact);\n"
    "    EXPECT(shape_is(k, \"m=32,n=32,k=32\") && strcmp(k->config, \"BM=8\") == 0);\n"
    "    EXPECT(shape_is(tessera_pick(KEY, small), \"m=32,n=32,k=32\"));\n"
    "    EXPECT(shape_is(tessera_pick(KEY, big), \"m=512,n=512,k=512\"));\n"
    "    EXPECT(shape_is(tessera_pick(\"gemm.f32.tie\", tie), \"m=128,n=128,k=128\"));\n"
    "    EXPECT(tessera_pick(\"no.such.key\", exact) == NULL);\n"
    "    EXPECT(shape_is(tessera_pick_for(\"cuda|nvidia|h100\", KEY, exact), "
    "\"m=64,n=64,k=64\"));\n"
    "    k = tessera_pick(KEY, small);\n"
    "    tessera_launch_size(k, small, global, local, &dims);\n"
    "    EXPECT(dims == 2 && global[0] == 72 && global[1] == 48 && global[2] == 1);\n"
    "    EXPECT(local[0] == 8 && local[1] == 8 && local[2] == 1);\n"
    "    k = tessera_pick(KEY, big);\n"
    "    tessera_launch_size(k, big, global, local, &dims);\n"
    "    EXPECT(dims == 2 && global[0] == 136 && global[1] == 300);\n"
    "    EXPECT(local[0] == 8 && local[1] == 4);\n"
    "    /* A batch: only a kernel with a batch axis computes it, one group\n"
    "     * per problem; kernels built without one solve one problem. */\n"
    "    k = tessera_pick(KEY, batched);\n"
    "    EXPECT(shape_is(k, \"m=32,n=32,k=32,batch=4\"));\n"
    "    tessera_launch_size(k, batched, global, local, &dims);\n"
    "    EXPECT(dims == 3 && global[0] == 32 && global[1] == 40 && global[2] == 3);\n"
    "    EXPECT(tessera_pick(\"gemm.f32.tie\", tie_batched) == NULL);\n"
    "    EXPECT(shape_is(tessera_pick(KEY, exact), \"m=32,n=32,k=32\"));\n"
    "}\n"
    "\n"
    "/* The embedded source must equal the bundle's file byte for byte. */\n"
    "static void check_source(const char *dir)\n"
    "{\n"
    "    long evil[4] = {8, 8, 8, 1};\n"
    "    const tessera_kernel *k = tessera_pick(\"gemm.f32.evil\", evil);\n"
    "    char path[4096], *embedded, *file;\n"
    "    size_t len, got;\n"
    "    FILE *f;\n"
    "    EXPECT(k != NULL && k->source_part_count > 2);\n"
    "    if (!k)\n"
    "        return;\n"
    "    len = tessera_source_copy(k, NULL, 0);\n"
    "    EXPECT(len == k->source_length);\n"
    "    embedded = malloc(len + 1);\n"
    "    file = malloc(len + 2);\n"
    "    EXPECT(tessera_source_copy(k, embedded, len + 1) == len);\n"
    "    sprintf(path, \"%s/%s\", dir, k->file);\n"
    "    f = fopen(path, \"rb\");\n"
    "    EXPECT(f != NULL);\n"
    "    got = f ? fread(file, 1, len + 2, f) : 0;\n"
    "    EXPECT(got == len && memcmp(file, embedded, len) == 0);\n"
    "    if (f)\n"
    "        fclose(f);\n"
    "    free(embedded);\n"
    "    free(file);\n"
    "}\n"
    "\n"
    "static float next_random(unsigned *state)\n"
    "{\n"
    "    *state = *state * 1664525u + 1013904223u;\n"
    "    return (float)((*state >> 8) & 0xffff) / 32768.0f - 1.0f;\n"
    "}\n"
    "\n"
    "/* Runs the kernel picked for m x n x k and compares with a CPU GEMM. */\n"
    "static int run_gemm(cl_context ctx, cl_command_queue queue, cl_device_id device,\n"
    "                    const long *shape)\n"
    "{\n"
    "    const tessera_kernel *k = tessera_pick(KEY, shape);\n"
    "    int M = (int)shape[0], N = (int)shape[1], K = (int)shape[2], i, j, l, bad = 0;\n"
    "    float alpha = 1.5f, beta = 0.5f, *host[3], *out;\n"
    "    size_t sizes[3], global[3], local[3];\n"
    "    unsigned dims, state = 12345u, arg = 0;\n"
    "    cl_int err;\n"
    "    cl_mem mem[3];\n"
    "    cl_program program;\n"
    "    cl_kernel kernel;\n"
    "    char args[512], *item;\n"
    "    sizes[0] = (size_t)M * K; sizes[1] = (size_t)K * N; sizes[2] = (size_t)M * N;\n"
    "    for (i = 0; i < 3; i++) {\n"
    "        host[i] = malloc(sizes[i] * sizeof(float));\n"
    "        for (j = 0; j < (int)sizes[i]; j++)\n"
    "            host[i][j] = next_random(&state);\n"
    "        mem[i] = clCreateBuffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,\n"
    "                                sizes[i] * sizeof(float), host[i], &err);\n"
    "    }\n"
    "    program = clCreateProgramWithSource(ctx, k->source_part_count,\n"
    "                                        (const char **)k->source_parts, NULL, &err);\n"
    "    if (clBuildProgram(program, 1, &device, \"\", NULL, NULL) != CL_SUCCESS) {\n"
    "        printf(\"FAILED: build of %s\\n\", k->kernel_name);\n"
    "        return 1;\n"
    "    }\n"
    "    kernel = clCreateKernel(program, k->kernel_name, &err);\n"
    "    /* the arguments in the order the bundle lists them */\n"
    "    strcpy(args, k->args);\n"
    "    for (item = strtok(args, \",\"); item; item = strtok(NULL, \",\"), arg++) {\n"
    "        const char *name = strchr(item, ':') + 1;\n"
    "        if (strncmp(item, \"buffer:\", 7) == 0)\n"
    "            err = clSetKernelArg(kernel, arg, sizeof(cl_mem), &mem[name[0] - 'A']);\n"
    "        else if (strncmp(item, \"int:\", 4) == 0)\n"
    "            err = clSetKernelArg(kernel, arg, sizeof(int),\n"
    "                                 name[0] == 'M' ? &M : name[0] == 'N' ? &N : &K);\n"
    "        else\n"
    "            err = clSetKernelArg(kernel, arg, sizeof(float),\n"
    "                                 strcmp(name, \"alpha\") == 0 ? &alpha : &beta);\n"
    "        EXPECT(err == CL_SUCCESS);\n"
    "    }\n"
    "    tessera_launch_size(k, shape, global, local, &dims);\n"
    "    err = clEnqueueNDRangeKernel(queue, kernel, dims, NULL, global, local, 0, NULL, "
    "NULL);\n"
    "    EXPECT(err == CL_SUCCESS);\n"
    "    out = malloc(sizes[2] * sizeof(float));\n"
    "    err = clEnqueueReadBuffer(queue, mem[2], CL_TRUE, 0, sizes[2] * sizeof(float), out,\n"
    "                              0, NULL, NULL);\n"
    "    EXPECT(err == CL_SUCCESS);\n"
    "    for (i = 0; i < M; i++)\n"
    "        for (j = 0; j < N; j++) {\n"
    "            double ref = 0.0, magnitude = 0.0;\n"
    "            for (l = 0; l < K; l++) {\n"
    "                ref += (double)host[0][i * K + l] * host[1][l * N + j];\n"
    "                magnitude += fabs((double)host[0][i * K + l] * host[1][l * N + j]);\n"
    "            }\n"
    "            ref = alpha * ref + beta * host[2][i * N + j];\n"
    "            magnitude = alpha * magnitude + fabs(beta * host[2][i * N + j]) + 1e-30;\n"
    "            if (fabs(out[i * N + j] - ref) / magnitude > 1e-4)\n"
    "                bad++;\n"
    "        }\n"
    "    printf(\"%s on m=%d,n=%d,k=%d: %d wrong\\n\", k->config, M, N, K, bad);\n"
    "    for (i = 0; i < 3; i++) {\n"
    "        clReleaseMemObject(mem[i]);\n"
    "        free(host[i]);\n"
    "    }\n"
    "    free(out);\n"
    "    clReleaseKernel(kernel);\n"
    "    clReleaseProgram(program);\n"
    "    return bad != 0;\n"
    "}\n"
    "\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "    long small[4] = {45, 70, 23, 1}, big[4] = {300, 260, 700, 1};\n"
    "    cl_platform_id platforms[8];\n"
    "    cl_uint n_platforms = 0, p;\n"
    "    cl_device_id device = NULL;\n"
    "    cl_context ctx;\n"
    "    cl_command_queue queue;\n"
    "    cl_int err;\n"
    "    if (argc != 2)\n"
    "        return 2;\n"
    "    check_dispatch();\n"
    "    check_source(argv[1]);\n"
    "    if (failures)\n"
    "        return 1;\n"
    "    if (clGetPlatformIDs(8, platforms, &n_platforms) != CL_SUCCESS)\n"
    "        n_platforms = 0;\n"
    "    for (p = 0; p < n_platforms && !device; p++)\n"
    "        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 1, &device, NULL) != "
    "CL_SUCCESS)\n"
    "            device = NULL;\n"
    "    if (!device) {\n"
    "        printf(\"no OpenCL device\\n\");\n"
    "        return 77;\n"
    "    }\n"
    "    ctx = clCreateContext(NULL, 1, &device, NULL, NULL, &err);\n"
    "    queue = clCreateCommandQueue(ctx, device, 0, &err);\n"
    "    failures += run_gemm(ctx, queue, device, small);\n"
    "    failures += run_gemm(ctx, queue, device, big);\n"
    "    clReleaseCommandQueue(queue);\n"
    "    clReleaseContext(ctx);\n"
    "    return failures ? 1 : 0;\n"
    "}\n";

#define KEY "gemm.f32.a=row.b=row.beta=1"
#define POCL "opencl|pocl|cpu"
#define ARGS "buffer:A,buffer:B,buffer:C,int:M,int:N,int:K,float:alpha,float:beta"
#define EVIL_SPEC "../../evil\"name\t\001\377"

static const char naive_source[] =
    "__kernel void gemm_naive(__global const float *A, __global const float *B,\n"
    "                         __global float *C, int M, int N, int K, float alpha,\n"
    "                         float beta)\n"
    "{\n"
    "    int n = get_global_id(0), m = get_global_id(1);\n"
    "    if (m >= M || n >= N)\n"
    "        return;\n"
    "    float acc = 0.0f;\n"
    "    for (int k = 0; k < K; k++)\n"
    "        acc += A[m * K + k] * B[k * N + n];\n"
    "    C[m * N + n] = alpha * acc + beta * C[m * N + n];\n"
    "}\n";

/* Two columns per work-item: geometry "n/16x8,m/4x4". */
static const char two_column_source[] =
    "__kernel void gemm_2col(__global const float *A, __global const float *B,\n"
    "                        __global float *C, int M, int N, int K, float alpha,\n"
    "                        float beta)\n"
    "{\n"
    "    int n0 = get_global_id(0) * 2, m = get_global_id(1);\n"
    "    if (m >= M)\n"
    "        return;\n"
    "    for (int j = 0; j < 2 && n0 + j < N; j++) {\n"
    "        float acc = 0.0f;\n"
    "        for (int k = 0; k < K; k++)\n"
    "            acc += A[m * K + k] * B[k * N + n0 + j];\n"
    "        C[m * N + n0 + j] = alpha * acc + beta * C[m * N + n0 + j];\n"
    "    }\n"
    "}\n";

static char temp_dir[64];
static char *evil_source; /* made in main: quotes, trigraphs, a 10000-byte line */

static const char *temp_path(const char *name)
{
    static char paths[4][512];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, sizeof paths[0], "%s/%s", temp_dir, name);
    return path;
}

static tsr_result fixture(const char *op_key, const char *device, const char *shape,
                          const char *config, tsr_outcome outcome, double time_ms)
{
    tsr_result r = {
        .op_key = op_key,
        .op = "gemm",
        .spec_name = "sgemm-nn",
        .device = device,
        .profile = "pocl-cpu",
        .shape = shape,
        .config = config,
        .outcome = outcome,
        .time_ms = time_ms,
        .gflops = 2.0,
        .max_error = 1.25e-7,
        .kernel_name = "gemm_naive",
        .source = naive_source,
        .language = "opencl",
        .geometry = "n/8x8,m/8x8",
        .args = ARGS,
    };
    return r;
}

/* Eight kernels to export, and losers that must not be. */
static bool fill_store(const char *path)
{
    tsr_result rows[12];
    int n = 0;
    rows[n++] = fixture(KEY, POCL, "m=32,n=32,k=32", "BM=8", TSR_OUTCOME_OK, 1.0);
    rows[n++] = fixture(KEY, POCL, "m=32,n=32,k=32", "BM=4", TSR_OUTCOME_OK, 2.0);
    rows[n++] = fixture(KEY, POCL, "m=32,n=32,k=32", "BM=1", TSR_OUTCOME_WRONG, 0.1);
    rows[n] = fixture(KEY, POCL, "m=512,n=512,k=512", "BM=16", TSR_OUTCOME_OK, 50.0);
    rows[n].kernel_name = "gemm_2col";
    rows[n].source = two_column_source;
    rows[n++].geometry = "n/16x8,m/4x4";
    rows[n] = fixture(KEY, "cuda|nvidia|h100", "m=64,n=64,k=64", "BM=2", TSR_OUTCOME_OK, 0.5);
    rows[n].language = "cuda";
    rows[n].geometry = "n/8x8,m/8x8,shared=65536"; /* launched with dynamic shared memory */
    rows[n++].source = "__global__ void gemm_naive() {}\n";
    rows[n] = fixture(KEY, POCL, "m=32,n=32,k=32,batch=4", "BM=8", TSR_OUTCOME_OK, 4.0);
    rows[n++].geometry = "n/8x8,m/8x8,batch/1x1";
    rows[n++] = fixture("gemm.f32.tie", POCL, "m=32,n=32,k=32", "BM=8", TSR_OUTCOME_OK, 1.0);
    rows[n++] = fixture("gemm.f32.tie", POCL, "m=128,n=128,k=128", "BM=8", TSR_OUTCOME_OK, 1.0);
    rows[n] = fixture("gemm.f32.evil", POCL, "m=8,n=8,k=8", "BM=8", TSR_OUTCOME_OK, 1.0);
    rows[n].spec_name = EVIL_SPEC;
    rows[n++].source = evil_source;
    rows[n] = fixture("gemm.f32.lang", POCL, "m=8,n=8,k=8", "BM=8", TSR_OUTCOME_OK, 1.0);
    rows[n++].language = "../escape";

    tsr_store *store = NULL;
    tsr_error err = {{0}};
    bool ok = tsr_store_open(path, &store, &err) == TSR_OK;
    for (int i = 0; ok && i < n; i++)
        ok = tsr_store_put(store, &rows[i], &err) == TSR_OK;
    CHECK_MSG(ok, "%s", err.msg);
    tsr_store_close(store);
    return ok;
}

static tsr_status export_to(const char *db, const char *device, const char *dir, int *kernels,
                            tsr_error *err)
{
    tsr_store *store = NULL;
    tsr_status status = tsr_store_open(db, &store, err);
    tsr_export_summary summary = {-1};
    if (status == TSR_OK)
        status = tsr_bundle_export(store, device, dir, &summary, err);
    tsr_store_close(store);
    *kernels = summary.kernels;
    return status;
}

/* Names in a directory, sorted and joined by spaces. */
static void list_dir(const char *path, char *out, size_t size)
{
    struct dirent **names = NULL;
    int n = scandir(path, &names, NULL, alphasort);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
            snprintf(out + strlen(out), size - strlen(out), "%s%s", *out ? " " : "", name);
        free(names[i]);
    }
    free(names);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)len + 1);
    if (data && fread(data, 1, (size_t)len, f) == (size_t)len)
        data[len] = '\0';
    fclose(f);
    return data;
}

static void export_writes_sources_manifest_and_header(void)
{
    int kernels = 0;
    tsr_error err = {{0}};
    tsr_status status = export_to(temp_path("store.db"), NULL, temp_path("bundle"), &kernels, &err);
    CHECK_MSG(status == TSR_OK, "%s", err.msg);
    CHECK_MSG(kernels == 8, "%d kernels", kernels);
    char listing[1024];
    list_dir(temp_path("bundle"), listing, sizeof listing);
    CHECK_MSG(strcmp(listing, "cpu manifest.json nvidia tessera_bundle.h") == 0, "bundle holds: %s",
              listing);
    /* One folder per vendor, one per language in it, and its own header. */
    list_dir(temp_path("bundle/cpu"), listing, sizeof listing);
    CHECK_MSG(strcmp(listing, "___escape opencl tessera_bundle.h") == 0, "cpu/ holds: %s", listing);
    list_dir(temp_path("bundle/nvidia"), listing, sizeof listing);
    CHECK_MSG(strcmp(listing, "cuda tessera_bundle.h") == 0, "nvidia/ holds: %s", listing);
    list_dir(temp_path("bundle/cpu/opencl"), listing, sizeof listing);
    CHECK_MSG(strcmp(listing, "001_sgemm-nn_m32_n32_k32.cl 002_sgemm-nn_m32_n32_k32_batch4.cl "
                              "003_sgemm-nn_m512_n512_k512.cl 004_.._.._evil_name____m8_n8_k8.cl "
                              "006_sgemm-nn_m128_n128_k128.cl 007_sgemm-nn_m32_n32_k32.cl") == 0,
              "opencl/ holds: %s", listing);
    list_dir(temp_path("bundle/nvidia/cuda"), listing, sizeof listing);
    CHECK_MSG(strcmp(listing, "000_sgemm-nn_m64_n64_k64.cu") == 0, "cuda/ holds: %s", listing);
    char *source = slurp(temp_path("bundle/cpu/opencl/003_sgemm-nn_m512_n512_k512.cl"));
    CHECK(source && strcmp(source, two_column_source) == 0);
    free(source);
    /* The NVIDIA header embeds the NVIDIA kernel only, with the dynamic
     * shared memory its launch takes after the work-group size. */
    char *header = slurp(temp_path("bundle/nvidia/tessera_bundle.h"));
    CHECK(header && strstr(header, "#define TESSERA_KERNEL_COUNT 1\n"));
    CHECK(header && strstr(header, "    size_t shared_bytes;\n"));
    CHECK(header && strstr(header, "    size_t workspace_bytes;\n"));
    CHECK(header && strstr(header, "{8u, 8u, 1u}, 65536u, 0u,\n"));
    free(header);
    header = slurp(temp_path("bundle/cpu/tessera_bundle.h"));
    CHECK(header && strstr(header, "{8u, 8u, 1u}, 0u, 0u,\n"));
    free(header);
}

static void store_data_cannot_place_files_outside_the_bundle(void)
{
    char listing[1024];
    list_dir(temp_dir, listing, sizeof listing);
    CHECK_MSG(strcmp(listing, "bundle store.db") == 0, "temp dir holds: %s", listing);
    list_dir(temp_path("bundle/cpu/___escape"), listing, sizeof listing);
    CHECK_MSG(strcmp(listing, "005_sgemm-nn_m8_n8_k8.src") == 0, "___escape/ holds: %s", listing);
}

static void only_the_best_ok_result_of_a_shape_is_exported(void)
{
    char *manifest = slurp(temp_path("bundle/manifest.json"));
    CHECK(manifest != NULL);
    if (!manifest)
        return;
    CHECK_STR_CONTAINS(manifest, "\"config\": \"BM=8\"");
    CHECK(strstr(manifest, "\"config\": \"BM=4\"") == NULL); /* slower */
    CHECK(strstr(manifest, "\"config\": \"BM=1\"") == NULL); /* wrong answers */
    CHECK_STR_CONTAINS(manifest, "\"bundle_schema\": 1,");
    CHECK_STR_CONTAINS(manifest, "\"geometry\": \"n/8x8,m/8x8,shared=65536\"");
    CHECK_STR_CONTAINS(manifest, "\"shared_bytes\": 65536,");
    CHECK_STR_CONTAINS(manifest, "\"shared_bytes\": 0,");
    free(manifest);
}

/* Recomputes the SHA-256 of every "file" the manifest lists. */
static void manifest_checksums_match_the_files(void)
{
    char *manifest = slurp(temp_path("bundle/manifest.json"));
    int checked = 0;
    for (char *p = manifest; p && (p = strstr(p, "\"file\": \"")); checked++) {
        char file[256], want[65], got[SHA256_DIGEST_STRING_LENGTH], path[512];
        p += strlen("\"file\": \"");
        snprintf(file, sizeof file, "%.*s", (int)strcspn(p, "\""), p);
        char *sum = strstr(p, "\"sha256\": \"");
        CHECK(sum != NULL);
        if (!sum)
            break;
        snprintf(want, sizeof want, "%.64s", sum + strlen("\"sha256\": \""));
        snprintf(path, sizeof path, "%s/bundle/%s", temp_dir, file);
        CHECK_MSG(SHA256File(path, got) && strcmp(got, want) == 0, "%s", file);
    }
    CHECK_MSG(checked == 8, "%d files checked", checked);
    free(manifest);
}

static const char manifest_check_py[] =
    "import hashlib, json, os, sys\n"
    "d = sys.argv[1]\n"
    "m = json.load(open(os.path.join(d, 'manifest.json'), encoding='utf-8'))\n"
    "assert m['bundle_schema'] == 1 and m['created'].endswith('Z')\n"
    "assert isinstance(m['tessera_version'], str)\n"
    "ks = m['kernels']\n"
    "assert len(ks) == 8, len(ks)\n"
    "root = os.path.realpath(d)\n"
    "fields = ('op spec_name op_key shape shape_dims config config_params kernel_name '\n"
    "          'language file sha256 geometry geometry_axes args arg_list device profile '\n"
    "          'time_ms gflops max_error shared_bytes workspace_bytes').split()\n"
    "for k in ks:\n"
    "    p = os.path.realpath(os.path.join(d, k['file']))\n"
    "    assert p.startswith(root + os.sep), p\n"
    "    assert hashlib.sha256(open(p, 'rb').read()).hexdigest() == k['sha256']\n"
    "    assert k['measured'] is True and all(f in k for f in fields), k\n"
    "k = [k for k in ks if k['shape'] == 'm=512,n=512,k=512'][0]\n"
    "assert k['shape_dims'] == {'m': 512, 'n': 512, 'k': 512}, k['shape_dims']\n"
    "assert k['config_params'] == {'BM': 16}, k['config_params']\n"
    "assert k['geometry_axes'] == [\n"
    "    {'dim': 'n', 'dim_index': 1, 'per_group': 16, 'repeat': 1, 'local': 8},\n"
    "    {'dim': 'm', 'dim_index': 0, 'per_group': 4, 'repeat': 1, 'local': 4}], "
    "k['geometry_axes']\n"
    "assert k['arg_list'][0] == {'kind': 'buffer', 'name': 'A'}\n"
    "assert k['arg_list'][7] == {'kind': 'float', 'name': 'beta'}\n"
    "assert k['time_ms'] == 50.0 and k['max_error'] == 1.25e-7\n"
    "e = [k for k in ks if k['op_key'] == 'gemm.f32.evil'][0]\n"
    "assert e['spec_name'] == '../../evil\"name\\t\\x01\\ufffd', repr(e['spec_name'])\n";

static bool write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    bool ok = f && fputs(text, f) >= 0;
    if (f)
        ok = fclose(f) == 0 && ok;
    return ok;
}

static int run(const char *fmt, const char *a, const char *b)
{
    char command[2048];
    snprintf(command, sizeof command, fmt, a, b);
    int status = system(command);
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* What export writes, the reader takes: every entry, in order, with its
 * fields, and every file passes the check (even a stored name that tried
 * to climb out, which export has flattened). */
static void exported_bundle_passes_its_own_check(void)
{
    tsr_manifest *m = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_bundle_check(temp_path("bundle"), &m, &err) == TSR_OK, "%s", err.msg);
    if (!m)
        return;
    CHECK(m->schema == TSR_BUNDLE_SCHEMA && m->n_kernels == 8);
    for (size_t i = 0; i < m->n_kernels; i++) {
        CHECK(m->kernels[i].index == (int)i && m->kernels[i].measured);
        /* The batch is listed only where it is not 1. */
        int dims = strstr(m->kernels[i].shape, "batch=") ? 4 : 3;
        CHECK(m->kernels[i].n_dims == dims && m->kernels[i].shape_dims[0] >= 1);
    }
    CHECK(strcmp(m->kernels[0].language, "cuda") == 0);
    CHECK(strcmp(m->kernels[0].file, "nvidia/cuda/000_sgemm-nn_m64_n64_k64.cu") == 0);
    tsr_manifest_free(m);
}

static void manifest_reader_names_what_is_wrong(void)
{
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"{", "m.json:1:1: "},
        {"[]", "m.json: the manifest: expected an object, got an array"},
        {"{\"bundle_schema\": 1, \"bundle_schema\": 1}", "m.json:1:"},
        {"{\"bundle_schema\": 9}", "bundle_schema: version 9 is not supported (supported: 1)"},
        {"{\"bundle_schema\": 1, \"tessera_version\": \"x\", \"created\": \"y\", "
         "\"kernels\": [7]}",
         "m.json: kernels[0]: expected an object, got an integer"},
        {"{\"bundle_schema\": 1, \"tessera_version\": \"x\", \"created\": \"y\", "
         "\"kernels\": [{\"index\": 3}]}",
         "m.json: kernels[0]: index: expected 0, its position"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tsr_manifest *m = NULL;
        tsr_error err = {{0}};
        CHECK(tsr_manifest_parse("m.json", cases[i].text, strlen(cases[i].text), &m, &err) ==
              TSR_ERR_INPUT);
        CHECK(m == NULL);
        CHECK_STR_CONTAINS(err.msg, cases[i].expect);
    }
    tsr_manifest *m = NULL;
    tsr_error err = {{0}};
    static const char empty[] = "{\"bundle_schema\": 1, \"tessera_version\": \"0.1.0\", "
                                "\"created\": \"t\", \"kernels\": [], \"future_field\": 1}";
    CHECK_MSG(tsr_manifest_parse("m.json", empty, strlen(empty), &m, &err) == TSR_OK, "%s",
              err.msg);
    CHECK(m && m->n_kernels == 0); /* fields a reader does not know are ignored */
    tsr_manifest_free(m);
}

static void manifest_is_valid_json_with_every_field(void)
{
    if (run("command -v python3 >/dev/null 2>&1", "", "") != 0) {
        printf("     (python3 not found: JSON parse check skipped)\n");
        return;
    }
    const char *script = temp_path("check_manifest.py");
    CHECK(write_text(script, manifest_check_py));
    CHECK(run("python3 '%s' '%s'", script, temp_path("bundle")) == 0);
    remove(script);
}

static void export_leaves_no_temporary_files(void)
{
    char listing[1024];
    const char *dirs[] = {"bundle", "bundle/opencl", "bundle/cuda", "bundle/___escape"};
    for (int i = 0; i < 4; i++) {
        list_dir(temp_path(dirs[i]), listing, sizeof listing);
        CHECK_MSG(strstr(listing, ".tmp") == NULL, "%s: %s", dirs[i], listing);
    }
}

static void exporting_again_replaces_the_bundle(void)
{
    int kernels = 0;
    tsr_error err = {{0}};
    CHECK(export_to(temp_path("store.db"), NULL, temp_path("bundle"), &kernels, &err) == TSR_OK);
    CHECK(kernels == 8);
}

static void device_filter_exports_only_that_device(void)
{
    int kernels = 0;
    tsr_error err = {{0}};
    const char *dir = temp_path("bundle-pocl/nested");
    CHECK(export_to(temp_path("store.db"), POCL, dir, &kernels, &err) == TSR_OK);
    CHECK_MSG(kernels == 7, "%d kernels", kernels);
    char *manifest = slurp(temp_path("bundle-pocl/nested/manifest.json"));
    CHECK(manifest && strstr(manifest, "cuda|nvidia") == NULL);
    free(manifest);
    char listing[256];
    list_dir(dir, listing, sizeof listing);
    CHECK_MSG(strcmp(listing, "cpu manifest.json tessera_bundle.h") == 0, "%s", listing);
    run("rm -rf '%s'%s", temp_path("bundle-pocl"), "");
}

static void vendor_filter_exports_only_those_vendors(void)
{
    tsr_store *store = NULL;
    tsr_error err = {{0}};
    tsr_export_summary summary = {0};
    CHECK(tsr_store_open(temp_path("store.db"), &store, &err) == TSR_OK);
    CHECK(tsr_bundle_export_vendors(store, NULL, "nvidia", temp_path("bundle-nv"), &summary,
                                    &err) == TSR_OK);
    CHECK_MSG(summary.kernels == 1, "%d kernels", summary.kernels);
    char listing[256];
    list_dir(temp_path("bundle-nv"), listing, sizeof listing);
    CHECK_MSG(strcmp(listing, "manifest.json nvidia tessera_bundle.h") == 0, "%s", listing);
    CHECK(tsr_bundle_export_vendors(store, NULL, "nvidia,rocm", temp_path("bundle-x"), &summary,
                                    &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "unknown vendor 'rocm'");
    CHECK(access(temp_path("bundle-x"), F_OK) != 0); /* refused before anything is written */
    tsr_store_close(store);
    run("rm -rf '%s'%s", temp_path("bundle-nv"), "");
}

static void vendors_follow_the_device_fingerprint(void)
{
    CHECK(!strcmp(tsr_bundle_vendor("cuda|NVIDIA|NVIDIA H200|CUDA 13.0"), "nvidia"));
    CHECK(!strcmp(tsr_bundle_vendor("opencl|NVIDIA Corporation|NVIDIA H200|580"), "nvidia"));
    CHECK(!strcmp(tsr_bundle_vendor("hip|AMD|AMD Instinct MI300X|6.0"), "amd"));
    CHECK(!strcmp(tsr_bundle_vendor("opencl|Advanced Micro Devices, Inc.|gfx90a|3.0"), "amd"));
    CHECK(
        !strcmp(tsr_bundle_vendor("opencl|Intel(R) Corporation|Intel(R) Arc(TM) A770|1"), "intel"));
    /* A CPU vendor's name on PoCL's CPU device is still a CPU. */
    CHECK(!strcmp(tsr_bundle_vendor("opencl|AuthenticAMD|pthread-znver3-AMD EPYC|3.1"), "cpu"));
    CHECK(!strcmp(tsr_bundle_vendor("opencl|GenuineIntel|cpu-skylake-avx512-Intel|5.0"), "cpu"));
    CHECK(!strcmp(tsr_bundle_vendor("vulkan|Acme|Widget|1"), "other"));
}

static void store_without_ok_results_exports_nothing(void)
{
    tsr_store *store = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_store_open(temp_path("failures.db"), &store, &err) == TSR_OK);
    tsr_result r = fixture(KEY, POCL, "m=8,n=8,k=8", "BM=8", TSR_OUTCOME_BUILD_FAILED, 0);
    CHECK(store && tsr_store_put(store, &r, &err) == TSR_OK);
    tsr_export_summary summary = {-1};
    CHECK(store && tsr_bundle_export(store, NULL, temp_path("none"), &summary, &err) == TSR_OK);
    CHECK(summary.kernels == 0);
    struct stat st;
    CHECK(stat(temp_path("none"), &st) != 0);
    tsr_store_close(store);
    remove(temp_path("failures.db"));
}

static void malformed_result_is_refused_before_anything_is_written(void)
{
    /* Dynamic shared memory and the workspace are items after the axes, of
     * at least one byte, the workspace last. */
    const char *geometries[] = {"n/8x8,q/8x8",
                                "n/0x8",
                                "n/8",
                                "n/8x8,m/8x8,1x1,1x1",
                                "n/8x8,shared=0",
                                "n/8x8,shared=64,m/8x8",
                                "shared=64",
                                "n/8x8,shared=+64",
                                "n/8x8,workspace=0",
                                "n/8x8,workspace=8,shared=64",
                                "n/8x8,workspace=8,m/8x8",
                                "workspace=8",
                                "n/8x8,workspace=8x"};
    for (size_t i = 0; i < sizeof geometries / sizeof geometries[0]; i++) {
        tsr_store *store = NULL;
        tsr_error err = {{0}};
        CHECK(tsr_store_open(temp_path("bad.db"), &store, &err) == TSR_OK);
        tsr_result good = fixture(KEY, POCL, "m=8,n=8,k=8", "BM=8", TSR_OUTCOME_OK, 1.0);
        tsr_result bad = fixture(KEY, POCL, "m=9,n=9,k=9", "BM=8", TSR_OUTCOME_OK, 1.0);
        bad.geometry = geometries[i];
        CHECK(tsr_store_put(store, &good, &err) == TSR_OK);
        CHECK(tsr_store_put(store, &bad, &err) == TSR_OK);
        tsr_export_summary summary;
        CHECK(tsr_bundle_export(store, NULL, temp_path("bad"), &summary, &err) == TSR_ERR_INPUT);
        CHECK_STR_CONTAINS(err.msg, "m=9,n=9,k=9");
        CHECK_STR_CONTAINS(err.msg, "geometry");
        struct stat st;
        CHECK(stat(temp_path("bad"), &st) != 0);
        tsr_store_close(store);
        remove(temp_path("bad.db"));
    }
}

/* A repeat is "R*" at the head of an axis, R an integer >= 2 and nothing
 * else: a repeat of 1 is written as none, so that one rule has one text.
 * Each is refused with a one-line reason that names the axis and the form. */
static void malformed_repeats_are_refused_with_a_reason(void)
{
    const char *geometries[] = {"1*batch/1x1",   "0*batch/1x1",  "*batch/1x1",       "x*batch/1x1",
                                "4*4*batch/1x1", "4*",           "-2*batch/1x1",     "+2*batch/1x1",
                                " 2*batch/1x1",  "2 *batch/1x1", "n/8x8,m/8x8,1*1x1"};
    for (size_t i = 0; i < sizeof geometries / sizeof geometries[0]; i++) {
        tsr_store *store = NULL;
        tsr_error err = {{0}};
        CHECK(tsr_store_open(temp_path("bad.db"), &store, &err) == TSR_OK);
        tsr_result bad = fixture(KEY, POCL, "m=9,n=9,k=9,batch=2", "BM=8", TSR_OUTCOME_OK, 1.0);
        bad.geometry = geometries[i];
        CHECK(tsr_store_put(store, &bad, &err) == TSR_OK);
        tsr_export_summary summary;
        CHECK_MSG(tsr_bundle_export(store, NULL, temp_path("bad"), &summary, &err) == TSR_ERR_INPUT,
                  "%s", geometries[i]);
        CHECK_STR_CONTAINS(err.msg, "is not [R*]DIM/PERxLOCAL or [R*]1xLOCAL");
        CHECK_STR_CONTAINS(err.msg, geometries[i]);
        CHECK_MSG(!strchr(err.msg, '\n'), "%s", err.msg);
        struct stat st;
        CHECK(stat(temp_path("bad"), &st) != 0);
        tsr_store_close(store);
        remove(temp_path("bad.db"));
    }
    /* The same entry with a well-formed repeat exports. */
    tsr_store *store = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_store_open(temp_path("good.db"), &store, &err) == TSR_OK);
    tsr_result good = fixture(KEY, POCL, "m=9,n=9,k=9,batch=2", "BM=8", TSR_OUTCOME_OK, 1.0);
    good.geometry = "4*batch/1x1";
    CHECK(store && tsr_store_put(store, &good, &err) == TSR_OK);
    tsr_export_summary summary = {-1};
    CHECK_MSG(store && tsr_bundle_export(store, NULL, temp_path("good"), &summary, &err) == TSR_OK,
              "%s", err.msg);
    CHECK(summary.kernels == 1);
    tsr_store_close(store);
    remove(temp_path("good.db"));
    run("rm -rf '%s'%s", temp_path("good"), "");
}

/* The program written next to the split-K bundle: the header's repeat,
 * launch size and workspace size, by hand-computed answers. Exit 0 pass. */
static const char repeat_program[] =
    "#include <stdio.h>\n"
    "#include \"tessera_bundle.h\"\n"
    "\n"
    "static int failures;\n"
    "#define EXPECT(c) do { if (!(c)) { printf(\"FAILED: %s (line %d)\\n\", #c, __LINE__);"
    " failures++; } } while (0)\n"
    "\n"
    "int main(void)\n"
    "{\n"
    "    long three[4] = {100, 200, 64, 3}, one[4] = {100, 200, 64, 1};\n"
    "    size_t global[3], local[3];\n"
    "    unsigned dims = 0;\n"
    "    const tessera_kernel *k = tessera_pick(\"gemm.f32.splitk\", three);\n"
    "    EXPECT(k != NULL);\n"
    "    if (!k)\n"
    "        return 1;\n"
    "    EXPECT(k->repeat[0] == 1 && k->repeat[1] == 1 && k->repeat[2] == 4);\n"
    "    tessera_launch_size(k, three, global, local, &dims);\n"
    "    /* 4 x 2 groups of 16 x 8, then 4 splits of each of 3 problems */\n"
    "    EXPECT(dims == 3 && global[0] == 64 && global[1] == 16 && global[2] == 12);\n"
    "    EXPECT(local[0] == 16 && local[1] == 8 && local[2] == 1);\n"
    "    EXPECT(tessera_workspace_size(k, three) == (size_t)65552 * 4 * 2 * 12);\n"
    "    /* tuned on one problem: its splits still launch, per problem */\n"
    "    k = tessera_pick(\"gemm.f32.splitk\", one);\n"
    "    EXPECT(k != NULL && k->repeat[2] == 4 && k->fixed[3] == 0);\n"
    "    if (!k)\n"
    "        return 1;\n"
    "    tessera_launch_size(k, one, global, local, &dims);\n"
    "    EXPECT(dims == 3 && global[2] == 4);\n"
    "    tessera_launch_size(k, three, global, local, &dims);\n"
    "    EXPECT(dims == 3 && global[2] == 12);\n"
    "    EXPECT(tessera_workspace_size(k, one) == (size_t)65552 * 4 * 2 * 4);\n"
    "    return failures ? 1 : 0;\n"
    "}\n";

/* A split-K GEMM launches its splits for each problem of a batch along the
 * third axis: "4*batch/1x1". The rule reads and prints back the same,
 * without a prefix where nothing repeats; its groups, and so its
 * workspace, are multiplied by the repeat; an entry tuned on one problem
 * keeps the repeat on its lone axis; the manifest lists it per axis and
 * the header launches it. */
static void a_repeated_axis_launches_its_groups_that_many_times(void)
{
    const tsr_op_def *gemm = tsr_op_find("gemm");
    CHECK(gemm != NULL);
    if (!gemm)
        return;
    static const char text[] = "n/64x16,m/64x8,4*batch/1x1,workspace=65552";
    tsr_geometry_rule rule = {.dims = 3,
                              .dim = {1, 0, 3},
                              .per_group = {64, 64, 1},
                              .repeat = {0, 1, 4},
                              .local = {16, 8, 1},
                              .workspace_bytes = 65552};
    char buf[128];
    tsr_geometry_rule_format(gemm, &rule, buf, sizeof buf);
    CHECK_MSG(strcmp(buf, text) == 0, "%s", buf);
    tsr_shape shape = {{100, 200, 64, 3}};
    tsr_geometry g;
    tsr_geometry_apply(&rule, &shape, &g);
    CHECK(g.dims == 3 && g.groups[0] == 4 && g.groups[1] == 2 && g.groups[2] == 12);
    CHECK(g.workspace_bytes == (size_t)65552 * 4 * 2 * 12);
    rule.repeat[2] = 1; /* once: the text of a rule from before repeats */
    tsr_geometry_rule_format(gemm, &rule, buf, sizeof buf);
    CHECK_MSG(strcmp(buf, "n/64x16,m/64x8,batch/1x1,workspace=65552") == 0, "%s", buf);
    tsr_geometry_apply(&rule, &shape, &g);
    CHECK(g.groups[2] == 3);

    tsr_store *store = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_store_open(temp_path("splitk.db"), &store, &err) == TSR_OK);
    const char *shapes[] = {"m=100,n=200,k=64,batch=3", "m=100,n=200,k=64"};
    for (int i = 0; store && i < 2; i++) {
        tsr_result r =
            fixture("gemm.f32.splitk", POCL, shapes[i], "BM=64,SPLITS=4", TSR_OUTCOME_OK, 1.0);
        r.geometry = text;
        r.args = ARGS ",buffer:workspace";
        CHECK_MSG(tsr_store_put(store, &r, &err) == TSR_OK, "%s", err.msg);
    }
    tsr_export_summary summary = {-1};
    CHECK_MSG(store &&
                  tsr_bundle_export(store, NULL, temp_path("splitk"), &summary, &err) == TSR_OK,
              "%s", err.msg);
    tsr_store_close(store);
    CHECK(summary.kernels == 2);
    char *manifest = slurp(temp_path("splitk/manifest.json"));
    CHECK_STR_CONTAINS(manifest, "\"geometry\": \"n/64x16,m/64x8,4*batch/1x1,workspace=65552\"");
    CHECK_STR_CONTAINS(manifest, "{\"dim\": \"n\", \"dim_index\": 1, \"per_group\": 64, "
                                 "\"repeat\": 1, \"local\": 16}");
    CHECK_STR_CONTAINS(manifest, "{\"dim\": \"batch\", \"dim_index\": 3, \"per_group\": 1, "
                                 "\"repeat\": 4, \"local\": 1}");
    /* batch 1: the axis along no dim, still repeated */
    CHECK_STR_CONTAINS(manifest, "\"geometry\": \"n/64x16,m/64x8,4*1x1,workspace=65552\"");
    CHECK_STR_CONTAINS(manifest, "{\"dim\": null, \"dim_index\": -1, \"per_group\": 1, "
                                 "\"repeat\": 4, \"local\": 1}");
    free(manifest);
    tsr_manifest *m = NULL;
    CHECK_MSG(tsr_bundle_check(temp_path("splitk"), &m, &err) == TSR_OK, "%s", err.msg);
    tsr_manifest_free(m);

    char source[512]; /* temp_path's own buffers are reused */
    snprintf(source, sizeof source, "%s", temp_path("splitk_prog.c"));
    CHECK(write_text(source, repeat_program));
    char command[1024];
    snprintf(command, sizeof command, "'%s' -o '%s'", source, temp_path("splitk_prog"));
    CHECK(run("cc -std=c99 -Wall -Wextra -Werror -pedantic -I'%s' %s", temp_path("splitk"),
              command) == 0);
    CHECK(run("'%s'%s", temp_path("splitk_prog"), "") == 0);
    if (run("command -v g++ >/dev/null 2>&1", "", "") == 0)
        CHECK(run("g++ -x c++ -std=c++11 -Wall -Wextra -Werror -pedantic -fsyntax-only -I'%s' "
                  "'%s'",
                  temp_path("splitk"), source) == 0);
    remove(source);
    remove(temp_path("splitk_prog"));
    remove(temp_path("splitk.db"));
    run("rm -rf '%s'%s", temp_path("splitk"), "");
}

static void header_compiles_as_strict_c99_and_cxx(void)
{
    const char *unit = temp_path("strict.c");
    CHECK(write_text(unit, "#include \"tessera_bundle.h\"\n"
                           "int main(void)\n{\n    long shape[3] = {1, 2, 3};\n"
                           "    const tessera_kernel *k = tessera_pick(\"x\", shape);\n"
                           "    return k != NULL && tessera_workspace_size(k, shape) > 0;\n}\n"));
    CHECK(run("cc -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only -I'%s' '%s'",
              temp_path("bundle"), unit) == 0);
    if (run("command -v g++ >/dev/null 2>&1", "", "") == 0)
        CHECK(run("g++ -x c++ -std=c++11 -Wall -Wextra -Werror -pedantic -fsyntax-only "
                  "-I'%s' '%s'",
                  temp_path("bundle"), unit) == 0);
    else
        printf("     (g++ not found: C++ check skipped)\n");
    remove(unit);
}

/* 0 passed, 77 no OpenCL device, else failed. */
static int opencl_status;

static void header_dispatch_runs_the_picked_kernels(void)
{
    const char *source = temp_path("prog.c");
    CHECK(write_text(source, bundle_program));
    char command[2048];
    snprintf(command, sizeof command, "%s -o '%s' -lOpenCL -lm", source, temp_path("prog"));
    int rc = run("cc -std=c99 -Wall -Wextra -Werror -pedantic -DCL_TARGET_OPENCL_VERSION=120 "
                 "-I'%s' %s",
                 temp_path("bundle"), command);
    CHECK_MSG(rc == 0, "the program did not compile against tessera_bundle.h");
    if (rc != 0)
        return;
    opencl_status = run("'%s' '%s'", temp_path("prog"), temp_path("bundle"));
    CHECK_MSG(opencl_status == 0 || opencl_status == 77, "the program failed (%d)", opencl_status);
}

static char *make_evil_source(void)
{
    const char *head = "/* \"quoted\" \\ back ?\?= trigraph\ttab \303\251 */\n// ";
    size_t len = strlen(head) + 10000 + strlen(naive_source) + 2;
    char *text = malloc(len);
    if (!text)
        return NULL;
    strcpy(text, head);
    memset(text + strlen(head), 'x', 10000);
    snprintf(text + strlen(head) + 10000, len - strlen(head) - 10000, "\n%s", naive_source);
    return text;
}

int main(void)
{
    snprintf(temp_dir, sizeof temp_dir, "/tmp/tsr_bundle_XXXXXX");
    evil_source = make_evil_source();
    if (!mkdtemp(temp_dir) || !evil_source || !fill_store(temp_path("store.db"))) {
        fprintf(stderr, "test_bundle: cannot set up %s\n", temp_dir);
        return 1;
    }
    RUN_TEST(export_writes_sources_manifest_and_header);
    RUN_TEST(store_data_cannot_place_files_outside_the_bundle);
    RUN_TEST(only_the_best_ok_result_of_a_shape_is_exported);
    RUN_TEST(manifest_checksums_match_the_files);
    RUN_TEST(manifest_is_valid_json_with_every_field);
    RUN_TEST(exported_bundle_passes_its_own_check);
    RUN_TEST(manifest_reader_names_what_is_wrong);
    RUN_TEST(export_leaves_no_temporary_files);
    RUN_TEST(exporting_again_replaces_the_bundle);
    RUN_TEST(device_filter_exports_only_that_device);
    RUN_TEST(vendor_filter_exports_only_those_vendors);
    RUN_TEST(vendors_follow_the_device_fingerprint);
    RUN_TEST(store_without_ok_results_exports_nothing);
    RUN_TEST(malformed_result_is_refused_before_anything_is_written);
    RUN_TEST(malformed_repeats_are_refused_with_a_reason);
    RUN_TEST(a_repeated_axis_launches_its_groups_that_many_times);
    RUN_TEST(header_compiles_as_strict_c99_and_cxx);
    RUN_TEST(header_dispatch_runs_the_picked_kernels);
    run("rm -rf '%s'%s", temp_dir, "");
    free(evil_source);
    int status = check_summary();
    if (status == 0 && opencl_status == 77) {
        printf("no OpenCL device: the kernels of the bundle were not run\n");
        return 77;
    }
    return status;
}
