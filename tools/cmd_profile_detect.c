/* `tessera profile detect`: a profile for a live device from what its
 * driver reports and from short micro-benchmarks (runner/microbench.c),
 * every value marked as queried, assumed or measured, with the date. */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/profile.h"
#include "devices/devices.h"
#include "runner/microbench.h"
#include "tools/cli.h"

const char *cli_detected_name(const tsr_device_info *info, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "detected");
    for (const char *c = info->name; *c && used + 2 < size; c++) {
        if (!isalnum((unsigned char)*c))
            continue;
        if (c == info->name || !isalnum((unsigned char)c[-1]))
            buf[used++] = '-';
        buf[used++] = (char)tolower((unsigned char)*c);
    }
    buf[used] = '\0';
    return buf;
}

static const char detect_help[] =
    "usage: tessera profile detect --device ID [-o FILE] [--name NAME]\n"
    "\n"
    "Writes a device profile for the live device ID (opencl:0, cuda:0, ...): its\n"
    "limits as the driver reports them, and device-memory bandwidth, local-memory\n"
    "bandwidth, f32 and f64 FMA throughput and kernel launch latency as measured\n"
    "now by short micro-benchmarks (under a minute). Each value's source says\n"
    "whether it was queried, assumed or measured, and when. The profile goes to\n"
    "FILE (written whole or not at all) or stdout; its name is NAME, else FILE's\n"
    "base name, else one made from the device's name.\n";

typedef struct detect_ctx {
    tsr_profile *p;
    const tsr_device_info *info;
    char date[16];
} detect_ctx;

/* Measured values keep four significant digits: more would be noise. */
static double significant(double value)
{
    if (value == 0.0 || value == floor(value))
        return value;
    char buf[32];
    snprintf(buf, sizeof buf, "%.4g", value);
    return strtod(buf, NULL);
}

static void set(detect_ctx *ctx, tsr_quantity *q, double value, const char *fmt, const char *what)
{
    q->value = significant(value);
    q->present = true;
    q->source = tsr_arena_printf(ctx->p->arena, fmt, what, ctx->info->id, ctx->date);
}

#define QUERIED "queried: %s on %s, %s"
#define MEASURED "measured: %s on %s, %s"
#define ASSUMED "assumed: %s (%s, %s)"

/* The width threads run in lock-step: what each vendor fixes, else for a
 * CPU the float vector width its OpenCL driver prefers. */
static void detect_simd(detect_ctx *ctx)
{
    const tsr_device_info *info = ctx->info;
    tsr_quantity *q = &ctx->p->simd_width;
    bool nvidia = strcmp(info->backend, "cuda") == 0 || strstr(info->vendor, "NVIDIA");
    bool amd_wave64 = strncmp(info->arch, "gfx9", 4) == 0 || strncmp(info->arch, "gfx8", 4) == 0;
    if (nvidia)
        set(ctx, q, 32, ASSUMED, "NVIDIA's warp size, 32 on every GPU");
    else if (strncmp(info->arch, "gfx", 3) == 0)
        set(ctx, q, amd_wave64 ? 64 : 32, ASSUMED,
            amd_wave64 ? "wave64 on GCN and CDNA (gfx8, gfx9)" : "wave32 native on RDNA (gfx10+)");
    else {
        int width = info->preferred_vector_width_float;
        int pow2 = 1;
        while (pow2 * 2 <= width && pow2 < 128)
            pow2 *= 2;
        set(ctx, q, pow2, QUERIED, "CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT");
    }
}

static void detect_queries(detect_ctx *ctx)
{
    tsr_profile *p = ctx->p;
    const tsr_device_info *info = ctx->info;
    bool opencl = strcmp(info->backend, "opencl") == 0;
    set(ctx, &p->compute_units, info->compute_units > 0 ? info->compute_units : 1, QUERIED,
        opencl ? "CL_DEVICE_MAX_COMPUTE_UNITS" : "the multiprocessor count");
    detect_simd(ctx);
    set(ctx, &p->max_work_group_size, (double)info->max_work_group_size, QUERIED,
        opencl ? "CL_DEVICE_MAX_WORK_GROUP_SIZE" : "the maximum threads per block");
    if (info->max_work_item_sizes[0])
        for (int d = 0; d < 3; d++)
            set(ctx, &p->max_work_item_sizes[d], (double)info->max_work_item_sizes[d], QUERIED,
                opencl ? "CL_DEVICE_MAX_WORK_ITEM_SIZES" : "the maximum block dimensions");
    if (info->clock_mhz > 0)
        set(ctx, &p->clock_boost_mhz, info->clock_mhz, QUERIED,
            opencl ? "CL_DEVICE_MAX_CLOCK_FREQUENCY" : "the clock rate attribute");
    if (opencl && info->preferred_vector_width_float >= 1) {
        int w = info->preferred_vector_width_float;
        set(ctx, &p->preferred_vector_width,
            w > 16          ? 16
            : (w & (w - 1)) ? 4
                            : w,
            QUERIED, "CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT");
    } else {
        set(ctx, &p->preferred_vector_width, 4, ASSUMED, "16-byte loads, 4 f32");
    }
    set(ctx, &p->shared_per_block, (double)info->local_bytes, QUERIED,
        opencl ? "CL_DEVICE_LOCAL_MEM_SIZE" : "the shared memory per block");
    if (info->global_bytes)
        set(ctx, &p->global_bytes, (double)info->global_bytes, QUERIED,
            opencl ? "CL_DEVICE_GLOBAL_MEM_SIZE" : "the total memory");
    p->features = (info->has_fp64 ? TSR_FEAT_FP64 : 0u) | (info->has_fp16 ? TSR_FEAT_FP16 : 0u) |
                  (info->is_cpu ? TSR_FEAT_CPU : 0u);
    p->backends = strcmp(info->backend, "cuda") == 0  ? TSR_BACKEND_CUDA
                  : strcmp(info->backend, "hip") == 0 ? TSR_BACKEND_HIP
                                                      : TSR_BACKEND_OPENCL;
}

static void detect_measured(detect_ctx *ctx, const tsr_microbench *m)
{
    tsr_profile *p = ctx->p;
    set(ctx, &p->bandwidth_gbs, m->bandwidth_gbs, MEASURED,
        "tessera profile detect, a 16-byte-per-thread copy of up to 256 MiB, best of 3");
    set(ctx, &p->shared_bandwidth_gbs, m->shared_bandwidth_gbs, MEASURED,
        "tessera profile detect, conflict-free reads of a 4 KiB local tile, best of 3");
    set(ctx, &p->launch_latency_us, m->launch_latency_us, MEASURED,
        "tessera profile detect, an empty kernel from launch to completion, median of 101");
    const tsr_dtype types[] = {TSR_F32, TSR_F64};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (m->gflops[types[i]] > 0)
            set(ctx, &p->peak_gflops[types[i]], m->gflops[types[i]], MEASURED,
                types[i] == TSR_F32 ? "tessera profile detect, 16 f32 multiply-add chains per "
                                      "thread, best of 3"
                                    : "tessera profile detect, 16 f64 multiply-add chains per "
                                      "thread, best of 3");
}

/* NAME, else FILE's base name without .yaml, else from the device name:
 * lower-case letters and digits, runs of anything else as one '-'. */
static const char *profile_name(const char *name, const char *file, const tsr_device_info *info,
                                char *buf, size_t size)
{
    if (name)
        return name;
    if (file) {
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        size_t len = strlen(base);
        if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
            len -= 5;
        snprintf(buf, size, "%.*s", (int)len, base);
        return buf;
    }
    return cli_detected_name(info, buf, size);
}

/* The profile's text, checked by reading it back: what detect writes must
 * load. NULL (and a message) when it does not. */
static char *render(detect_ctx *ctx, const char *device_id, double seconds, const char *notes)
{
    char *body = tsr_profile_format(ctx->p);
    if (!body)
        return NULL;
    const char *rest = strchr(body, '\n'); /* the formatter's "read from" line */
    rest = rest ? rest + 1 : body;
    size_t size = strlen(rest) + 1024;
    char *text = malloc(size);
    if (text)
        snprintf(text, size,
                 "# Written by `tessera profile detect --device %s` on %s in %.0f s.\n"
                 "# Not measured: %s.\n%s",
                 device_id, ctx->date, seconds, notes, rest);
    free(body);
    tsr_profile *again = NULL;
    tsr_error err = {{0}};
    if (text &&
        tsr_profile_parse("(detected profile)", text, strlen(text), &again, &err) != TSR_OK) {
        fprintf(stderr, "tessera: the detected profile does not read back: %s\n", err.msg);
        free(text);
        text = NULL;
    }
    tsr_profile_free(again);
    return text;
}

/* FILE.tmp then rename: a failed run leaves any earlier FILE as it was. */
static int write_whole(const char *file, const char *text)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", file);
    FILE *f = fopen(tmp, "w");
    bool ok = f && fputs(text, f) >= 0;
    ok = f && fclose(f) == 0 && ok;
    if (ok && rename(tmp, file) == 0)
        return 0;
    remove(tmp);
    fprintf(stderr, "tessera: cannot write %s\n", file);
    return 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cli_detect_profile(tsr_device *device, const char *name, char **text)
{
    *text = NULL;
    double start = now_s();
    tsr_arena *arena = tsr_arena_create();
    tsr_profile *p = arena ? TSR_ARENA_NEW(arena, tsr_profile) : NULL;
    tsr_match_rule *rule = p ? TSR_ARENA_NEW(arena, tsr_match_rule) : NULL;
    if (!rule) {
        tsr_arena_destroy(arena);
        return cli_report(TSR_ERR_NOMEM, "profile detect: out of memory");
    }
    const tsr_device_info *info = &device->info;
    detect_ctx ctx = {.p = p, .info = info};
    time_t now = time(NULL);
    struct tm day;
    strftime(ctx.date, sizeof ctx.date, "%Y-%m-%d", gmtime_r(&now, &day));
    p->arena = arena;
    p->schema = TSR_PROFILE_SCHEMA;
    p->path = "(detected)";
    p->name = name;
    p->description = tsr_arena_printf(arena, "%s (%s), detected", info->name, info->id);
    p->vendor = info->vendor;
    p->arch = info->arch[0] ? info->arch : "unknown";
    *rule = (tsr_match_rule){.backend = info->backend, .vendor = info->vendor, .name = info->name};
    p->match = rule;
    p->n_match = 1;
    detect_queries(&ctx);
    fprintf(stderr, "tessera: measuring %s (%s)...\n", info->id, info->name);
    tsr_microbench m;
    tsr_error err = {{0}};
    tsr_status st = tsr_microbench_run(device, &m, &err);
    int rc = st == TSR_OK ? 0 : cli_report(st, err.msg);
    if (!rc) {
        detect_measured(&ctx, &m);
        *text = render(&ctx, info->id, now_s() - start, m.notes);
        rc = *text ? 0 : 1;
    }
    if (!rc)
        fprintf(stderr,
                "tessera: %s: %.0f GB/s memory, %.0f GB/s local, %.0f GFLOP/s f32, %.0f GFLOP/s "
                "f64, %.1f us launch (%.0f s)\n",
                info->id, m.bandwidth_gbs, m.shared_bandwidth_gbs, m.gflops[TSR_F32],
                m.gflops[TSR_F64], m.launch_latency_us, now_s() - start);
    tsr_arena_destroy(arena);
    return rc;
}

int profile_detect(int argc, char **argv)
{
    static const struct option options[] = {
        {"device", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'},
        {"name", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *device_id = NULL, *file = NULL, *name = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "d:o:n:h", options, NULL)) != -1) {
        switch (opt) {
        case 'd': device_id = optarg; break;
        case 'o': file = optarg; break;
        case 'n': name = optarg; break;
        case 'h': fputs(detect_help, stdout); return 0;
        default: return cli_usage_error("profile detect", "unknown option");
        }
    }
    if (optind != argc)
        return cli_usage_error("profile detect", "unexpected argument '%s'", argv[optind]);
    if (!device_id)
        return cli_usage_error("profile detect", "--device is required (see 'tessera devices')");
    tsr_device *device = NULL;
    int rc = cli_open_device(device_id, &device);
    if (rc)
        return rc;
    char name_buf[200];
    char *text = NULL;
    rc = cli_detect_profile(
        device, profile_name(name, file, &device->info, name_buf, sizeof name_buf), &text);
    if (!rc && file)
        rc = write_whole(file, text);
    else if (!rc)
        fputs(text, stdout);
    free(text);
    tsr_device_close(device);
    return rc;
}
