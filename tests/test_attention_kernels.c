/* The attention op. Without a device: its spec's section and key, the
 * sections it refuses at their place, the configs it refuses, its launch
 * rule, and its kernels printed in every dialect, the matrix unit's on an
 * H200's profile. On PoCL: f32, f16 and bf16, causal or not, both layouts,
 * on ragged shapes (one query and one key, primes, non-multiples of every
 * tile) with a sample of configs, each verified against the double
 * reference on a poisoned output; and kernels built without the online
 * softmax's rescaling, without the causal mask or without the final
 * division must fail verification. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "core/ir.h"
#include "core/lower.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "generators/generator.h"
#include "runner/runner.h"
#include "tests/check.h"
#include "tests/check_pocl.h"

static tsr_device *device;
static tsr_profile *profile;

/* An attention spec of `dtype` with the section `section` and the shapes
 * `shapes` (a YAML flow sequence). */
static tsr_opspec *attention_spec(const char *dtype, const char *section, const char *shapes,
                                  tsr_error *err)
{
    char text[1024];
    snprintf(text, sizeof text,
             "schema: 1\nname: a\nop: attention\ndtype: %s\nattention: %s\nshapes: %s\n", dtype,
             section, shapes);
    tsr_opspec *spec = NULL;
    if (tsr_opspec_parse("a.yaml", text, strlen(text), &spec, err) != TSR_OK)
        return NULL;
    return spec;
}

static tsr_opspec *good_spec(const char *dtype, const char *section)
{
    tsr_error err = {{0}};
    tsr_opspec *spec =
        attention_spec(dtype, section, "[{q: 37, kv: 53, heads: 3, batch: 2}]", &err);
    CHECK_MSG(spec != NULL, "%s: %s", section, err.msg);
    return spec;
}

/* ---- without a device ------------------------------------------------------------ */

static void section_sets_the_constants_and_names_the_key(void)
{
    tsr_opspec *spec = good_spec("f16", "{head_dim: 64, causal: true, layout: bshd, scale: 0.5}");
    if (!spec)
        return;
    CHECK(spec->attention.head_dim == 64 && spec->attention.causal && spec->attention.seq_major);
    CHECK(spec->attention.scale == 0.5);
    CHECK_STR_CONTAINS(tsr_opspec_key(spec), "attention.f16.d=64.causal=1.layout=bshd");
    /* heads and batch default to 1 and leave the shape's text */
    tsr_shape shape;
    tsr_error err = {{0}};
    char text[128];
    CHECK(tsr_shape_parse(spec->op, "q=5,kv=7", &shape, &err) == TSR_OK);
    tsr_shape_format(spec->op, &shape, text, sizeof text);
    CHECK_STR_CONTAINS(text, "q=5,kv=7");
    CHECK(!strstr(text, "heads"));
    tsr_opspec_free(spec);
    spec = good_spec("f32", "{head_dim: 128}");
    if (spec) {
        CHECK_STR_CONTAINS(tsr_opspec_key(spec), "attention.f32.d=128");
        CHECK(!strstr(tsr_opspec_key(spec), "causal"));
    }
    tsr_opspec_free(spec);
}

static void malformed_sections_are_refused_at_their_place(void)
{
    static const struct {
        const char *dtype, *section, *message;
    } cases[] = {
        {"f16", "{head_dim: 24}", "a.yaml:5:23: attention.head_dim: 24 is not a multiple of 16"},
        {"f16", "{head_dim: 512}", "a.yaml:5:23"},
        {"f16", "{causal: true}", "missing required key 'head_dim'"},
        {"f16", "{head_dim: 64, mask: causal}", "unknown key 'mask'"},
        {"f16", "{head_dim: 64, layout: sbhd}", "attention.layout"},
        {"f16", "{head_dim: 64, causal: maybe}", "attention.causal"},
        {"f16", "{head_dim: 64, scale: -1}", "attention.scale"},
        {"f64", "{head_dim: 64}", "a.yaml:4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tsr_error err = {{0}};
        tsr_opspec *spec =
            attention_spec(cases[i].dtype, cases[i].section, "[{q: 4, kv: 4}]", &err);
        CHECK_MSG(!spec && strstr(err.msg, cases[i].message), "%s: %s", cases[i].section,
                  spec ? "accepted" : err.msg);
        tsr_opspec_free(spec);
    }
    tsr_error err = {{0}};
    const char *missing =
        "schema: 1\nname: a\nop: attention\ndtype: f16\nshapes: [{q: 4, kv: 4}]\n";
    tsr_opspec *spec = NULL;
    CHECK(tsr_opspec_parse("a.yaml", missing, strlen(missing), &spec, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "op attention needs 'attention: {head_dim: 64}'");
    const char *elsewhere =
        "schema: 1\nname: a\nop: softmax\ndtype: f32\nattention: {head_dim: 64}\n"
        "shapes: [{rows: 4, cols: 4}]\n";
    CHECK(tsr_opspec_parse("a.yaml", elsewhere, strlen(elsewhere), &spec, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "a.yaml:5:1: key 'attention' is only allowed for op attention");
}

static void expect_check(const tsr_opspec *spec, const tsr_profile *prof, const char *config_text,
                         const char *message)
{
    tsr_error err = {{0}};
    tsr_config config = check_config(spec->op, config_text);
    tsr_status st = spec->op->check(spec, prof, &config, &err);
    if (*message)
        CHECK_MSG(st == TSR_ERR_UNSUPPORTED && strstr(err.msg, message), "%s: %s", config_text,
                  st == TSR_OK ? "accepted" : err.msg);
    else
        CHECK_MSG(st == TSR_OK, "%s: %s", config_text, err.msg);
}

static void check_refuses_what_the_tiles_or_the_profile_cannot_hold(void)
{
    tsr_opspec *d64 = good_spec("f16", "{head_dim: 64}");
    tsr_opspec *d128 = good_spec("f16", "{head_dim: 128}");
    tsr_profile *h200 = check_load_profile("nvidia-h200");
    if (!d64 || !d128 || !h200)
        goto done;
    expect_check(d64, profile, "", "");
    expect_check(d64, profile, "MU=1,WC=1,TM=1,BM=32", "lists no mma m16n8k16 unit for f16");
    expect_check(d64, profile, "BM=32,TM=8,WC=16,VN=4", "must split BN=32");
    expect_check(d64, profile, "BN=16,KU=8,WC=16", "");
    expect_check(d64, h200, "MU=1,WC=1,TM=1,BM=32,BN=32,KU=8", "KU=8 exceeds the k-steps");
    expect_check(d64, h200, "MU=1,WC=1,TM=1,BM=32,BN=32,KU=4", "");
    expect_check(d64, h200, "MU=1,WC=1,TM=1,BM=32,BN=32,KU=2", "");
    expect_check(d64, h200, "MU=1,WC=8,TM=1,BM=32,BN=32,KU=1", "whole 16-key steps");
    expect_check(d64, h200, "MU=1,WC=1,TM=4,BM=32,BN=32,KU=1", "fragments of 16 rows must tile");
    expect_check(d128, h200, "BM=128,BN=128,TM=8,WC=16,KU=1",
                 "bytes of shared memory exceed the profile's 232448");
    /* past the 48 KiB a kernel declares, up to what it may opt in to */
    expect_check(d128, h200, "MU=1,BM=64,BN=32,TM=1,WC=1,VW=8,KU=2,PF=1,SH=1,PR=1", "");
    expect_check(d64, profile, "BM=128,BN=128,TM=8,WC=16,KU=1", "exceed the profile's");
    expect_check(d128, h200, "BM=16,BN=16,TM=1,WC=1,KU=1", "too few");
    /* asynchronous copies and shuffles where the profile has them */
    expect_check(d64, profile, "PF=1", "does not list (features: async_copy)");
    expect_check(d64, profile, "SH=1", "does not list (features: subgroup_shuffle)");
    expect_check(d64, h200, "MU=1,WC=1,TM=1,BM=32,BN=32,KU=2,PF=1,SH=1", "");
    expect_check(d64, h200, "MU=1,WC=2,TM=1,BM=32,BN=32,KU=2,SH=1", "within one warp");
    expect_check(d64, h200, "BM=32,BN=32,TM=1,WC=1,KU=1,SH=1", "same kernel as SH=0");
    expect_check(d64, h200, "BM=32,BN=32,TM=1,WC=32,KU=1,SH=1", "");
    expect_check(d64, h200, "BM=32,BN=32,TM=1,WC=4,KU=1,PR=1", "needs the matrix unit");
    expect_check(d64, h200, "MU=1,WC=2,TM=1,BM=32,BN=32,KU=2,PR=1", "a warp a row");
    expect_check(d64, h200, "BM=64,BN=32,TM=1,WC=32,KU=1", "exceed the profile's limit of 1024");
    /* the warpgroup's unit: 64 query rows a warpgroup, swizzled tiles in
     * rows of 64 values, P through shared memory, shuffles */
    const char *wg = "MU=2,TM=1,WC=1,VW=8,PAD=0,KU=1,SH=1,PR=0,PF=1,BM=128,BN=64";
    expect_check(d128, h200, wg, "");
    expect_check(d64, h200, wg, "");
    expect_check(d64, profile, wg, "lists no wgmma m64nNk16 unit for f16");
    tsr_profile *a100 = check_load_profile("nvidia-a100-80gb");
    if (a100)
        expect_check(d64, a100, wg, "lists no wgmma m64nNk16 unit for f16");
    tsr_profile_free(a100);
    tsr_opspec *f32 = good_spec("f32", "{head_dim: 64}");
    if (f32)
        expect_check(f32, h200, wg, "lists no wgmma m64nNk16 unit for f32");
    tsr_opspec_free(f32);
    expect_check(d64, h200, "MU=2,TM=1,WC=1,VW=8,PAD=0,KU=1,SH=1,PR=0,BM=32,BN=64",
                 "warpgroups of 64 query rows must tile BM=32");
    expect_check(d64, h200, "MU=2,TM=1,WC=1,VW=8,PAD=0,KU=1,SH=1,PR=0,BM=64,BN=32",
                 "BN=32 and the head's 64 cols must be multiples");
    expect_check(d64, h200, "MU=2,TM=2,WC=1,VW=8,PAD=0,KU=1,SH=1,PR=0,BM=128,BN=64",
                 "(TM=2, WC=1: 1)");
    expect_check(d64, h200, "MU=2,TM=1,WC=1,VW=8,PAD=1,KU=1,SH=1,PR=0,BM=64,BN=64",
                 "PAD=1 and PR=0 must be 0");
    expect_check(d64, h200, "MU=2,TM=1,WC=1,VW=8,PAD=0,KU=1,SH=1,PR=1,BM=64,BN=64",
                 "PAD=0 and PR=1 must be 0");
    expect_check(d64, h200, "MU=2,TM=1,WC=1,VW=8,PAD=0,KU=2,SH=1,PR=0,BM=64,BN=64", "KU and VN 1");
    expect_check(d64, h200, "MU=2,TM=1,WC=1,VW=8,PAD=0,KU=1,SH=0,PR=0,BM=64,BN=64",
                 "by shuffles: SH=0 must be 1");
    /* A GPU with the matrix unit starts from the flash-attention shape,
     * past 48 KiB where it may opt in; a CPU from vector accumulators. */
    tsr_config start;
    const char *origin = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_config_start(d128, h200, &start, &origin, &err) == TSR_OK, "%s", err.msg);
    CHECK(origin && !strcmp(origin, "suggested"));
    /* 128-wide heads on the warpgroup's unit, 64-wide on mma.sync */
    CHECK(tsr_config_get(d128->op, &start, "MU") == 2 &&
          tsr_config_get(d128->op, &start, "PR") == 0);
    CHECK(tsr_config_get(d128->op, &start, "PF") == 1 &&
          tsr_config_get(d128->op, &start, "SH") == 1);
    CHECK_MSG(tsr_config_start(d64, h200, &start, &origin, &err) == TSR_OK, "%s", err.msg);
    CHECK(tsr_config_get(d64->op, &start, "MU") == 1 && tsr_config_get(d64->op, &start, "PR") == 1);
    CHECK(tsr_config_start(d64, profile, &start, &origin, &err) == TSR_OK);
    CHECK(tsr_config_get(d64->op, &start, "MU") == 0 && tsr_config_get(d64->op, &start, "VN") == 8);
done:
    tsr_profile_free(h200);
    tsr_opspec_free(d64);
    tsr_opspec_free(d128);
}

static void geometry_sizes_the_launch_from_the_dims(void)
{
    tsr_opspec *spec = good_spec("f32", "{head_dim: 32}");
    if (!spec)
        return;
    tsr_config config = check_config(spec->op, "BM=32,TM=4,WC=8");
    tsr_shape shape = {{70, 9, 3, 2}};
    tsr_geometry g;
    tsr_op_geometry(spec, &config, &shape, &g);
    CHECK(g.dims == 3 && g.groups[0] == 3 && g.groups[1] == 3 && g.groups[2] == 2);
    CHECK(g.local[0] == 8 && g.local[1] == 8 && g.local[2] == 1);
    config = check_config(spec->op, "MU=1,BM=64,TM=2,WC=1,KU=1");
    tsr_op_geometry(spec, &config, &shape, &g);
    CHECK(g.groups[0] == 2 && g.local[0] == 32 && g.local[1] == 2);
    tsr_opspec_free(spec);
}

/* The kernel of `spec` and a config on `prof`, printed in `dialect`; NULL
 * (with the reason in err) where a step refuses. */
static char *kernel_text(const tsr_opspec *spec, const tsr_profile *prof, const char *config_text,
                         const char *dialect, tsr_error *err)
{
    tsr_arena *arena = tsr_arena_create();
    tsr_config config = check_config(spec->op, config_text);
    tsr_tile_program *p = NULL;
    tp_kernel *kernel = NULL;
    tsr_strbuf out;
    tsr_strbuf_init(&out);
    tsr_status st = arena ? spec->op->build(arena, spec, prof, &config, &p, err) : TSR_ERR_NOMEM;
    if (st == TSR_OK)
        st = tsr_lower(p, arena, &kernel, err);
    if (st == TSR_OK)
        st = tsr_generate(kernel, tsr_dialect_find(dialect), NULL, &out, err);
    char *text = st == TSR_OK ? strdup(out.data) : NULL;
    tsr_strbuf_free(&out);
    tsr_arena_destroy(arena);
    return text;
}

static void kernels_print_in_every_dialect_and_the_matrix_unit_in_cuda(void)
{
    tsr_opspec *spec = good_spec("f16", "{head_dim: 64, causal: true}");
    tsr_profile *h200 = check_load_profile("nvidia-h200");
    if (!spec || !h200)
        goto done;
    static const char *const dialects[] = {"opencl", "cuda", "hip"};
    for (int d = 0; d < 3; d++) {
        tsr_error err = {{0}};
        char *text = kernel_text(spec, profile, "", dialects[d], &err);
        CHECK_MSG(text, "%s: %s", dialects[d], err.msg);
        /* the row max and sum go through shared scratch tiles; no score
         * leaves the work-group */
        CHECK_STR_CONTAINS(text, "row_maxes[");
        CHECK_STR_CONTAINS(text, "row_sums[");
        CHECK_STR_CONTAINS(text, "-1e+30f");
        /* the softmax in base 2 (core/ops/attention.c) */
        CHECK_STR_CONTAINS(text, d == 0 ? "exp2(" : "tsr_exp2(");
        CHECK_STR_CONTAINS(text, "(scale * 1.44269504f)");
        free(text);
    }
    tsr_error err = {{0}};
    const char *mu = "MU=1,BM=64,BN=32,TM=1,WC=1,VW=8,KU=2";
    char *text = kernel_text(spec, h200, mu, "cuda", &err);
    CHECK_MSG(text, "%s", err.msg);
    if (text) {
        CHECK_STR_CONTAINS(text, "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32");
        CHECK_STR_CONTAINS(text, "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16");
        /* P enters the second multiply rounded once to f16 */
        CHECK_STR_CONTAINS(text, "= tsr_f32_to_f16(");
    }
    free(text);
    text = kernel_text(spec, h200, mu, "opencl", &err);
    CHECK_MSG(!text && strstr(err.msg, "cannot spell"), "%s", text ? "printed" : err.msg);
    free(text);
    /* The quad of lanes that shares a fragment's row combines by shuffles
     * (no scratch tile, no barrier for it), while the next step's K and V
     * are copied into the other stage: a step's first barrier also frees
     * the previous step's tiles, so it needs one more only before P V. */
    text = kernel_text(spec, h200, "MU=1,BM=64,BN=32,TM=1,WC=1,VW=8,KU=2,SH=1,PF=1", "cuda", &err);
    CHECK_MSG(text, "%s", err.msg);
    if (text) {
        CHECK_STR_CONTAINS(text, "tsr_subgroup_max(");
        CHECK_STR_CONTAINS(text, ", 4)");
        CHECK_STR_CONTAINS(text, "cp.async");
        CHECK(!strstr(text, "row_maxes"));
        int barriers = check_count(text, "__syncthreads()");
        /* per step, in each of the two key loops (whole steps, masked) */
        CHECK_MSG(barriers == 2 * 2, "%d barriers", barriers);
        CHECK_STR_CONTAINS(text, "for (int kv1 = ");
    }
    free(text);
    /* P straight from the scores' registers, packed to f16 pairs: no P
     * tile, and no barrier between the two multiplies. */
    text = kernel_text(spec, h200, "MU=1,BM=64,BN=32,TM=1,WC=1,VW=8,KU=2,SH=1,PF=1,PR=1", "cuda",
                       &err);
    CHECK_MSG(text, "%s", err.msg);
    if (text) {
        CHECK_STR_CONTAINS(text, "= tsr_pack_f16x2(s_0_0, s_0_1);");
        CHECK(!strstr(text, "Ps["));
        int barriers = check_count(text, "__syncthreads()");
        CHECK_MSG(barriers == 2 * 1, "%d barriers", barriers);
    }
    free(text);
    /* Without the second stage a step loads its own K and V and ends with
     * a barrier after reading them. */
    text = kernel_text(spec, h200, "MU=1,BM=64,BN=32,TM=1,WC=1,VW=8,KU=2,SH=1,PF=0,PR=1", "cuda",
                       &err);
    CHECK_MSG(text, "%s", err.msg);
    if (text) {
        int barriers = check_count(text, "__syncthreads()");
        CHECK_MSG(barriers == 2 * 2, "%d barriers", barriers);
    }
    free(text);
    /* The warpgroup's unit: both multiplies on wgmma from swizzled tiles,
     * each thread fencing its shared writes for the unit's reads before a
     * barrier, and each warpgroup waiting for its own P alone. */
    const char *wg = "MU=2,BM=128,BN=64,TM=1,WC=1,VW=8,PAD=0,KU=1,SH=1,PR=0,PF=1";
    text = kernel_text(spec, h200, wg, "cuda", &err);
    CHECK_MSG(text, "%s", err.msg);
    if (text) {
        CHECK_STR_CONTAINS(text, "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16");
        /* Q K^T reads K as stored (K-major), P V reads V transposed */
        CHECK_STR_CONTAINS(text, "%33, 1, 1, 1, 0, 0;");
        CHECK_STR_CONTAINS(text, "%33, 1, 1, 1, 0, 1;");
        CHECK_STR_CONTAINS(text, "fence.proxy.async.shared::cta;");
        CHECK_STR_CONTAINS(text, "bar.sync %0, 128;");
        CHECK_STR_CONTAINS(text, "tsr_subgroup_max(");
        int barriers = check_count(text, "__syncthreads()");
        int warpgroup_barriers = check_count(text, "bar.sync %0, 128;");
        CHECK_MSG(barriers == 2 && warpgroup_barriers == 2, "%d barriers, %d of warpgroups",
                  barriers, warpgroup_barriers);
    }
    free(text);
    text = kernel_text(spec, h200, wg, "opencl", &err);
    CHECK_MSG(!text && strstr(err.msg, "cannot spell"), "%s", text ? "printed" : err.msg);
    free(text);
    text = kernel_text(spec, h200, wg, "hip", &err);
    CHECK_MSG(!text && strstr(err.msg, "cannot spell"), "%s", text ? "printed" : err.msg);
    free(text);
    text = kernel_text(spec, h200, "BM=32,BN=32,TM=4,WC=8,KU=4,SH=1", "opencl", &err);
    CHECK_MSG(!text && strstr(err.msg, "shuffle within runs of threads"), "%s",
              text ? "printed" : err.msg);
    free(text);
done:
    tsr_profile_free(h200);
    tsr_opspec_free(spec);
}

/* The cost model's view of a kernel: the features are finite for valid
 * configs; on a GPU with a matrix unit the unit's config estimates faster
 * than the same tiles on FMAs, the flash-attention shape (P in registers,
 * shuffles) faster than P and the row reductions through shared memory, a
 * padded row faster than one whose ldmatrix rows collide, and the causal
 * mask (half the keys) faster than none. */
static double estimate(const tsr_opspec *spec, const tsr_profile *prof, const tsr_shape *shape,
                       const char *config_text)
{
    tsr_config config = check_config(spec->op, config_text);
    tsr_error err = {{0}};
    CHECK_MSG(spec->op->check(spec, prof, &config, &err) == TSR_OK, "%s: %s", config_text, err.msg);
    double f[TSR_MAX_OP_FEATURES];
    int n = spec->op->features(spec, prof, shape, &config, NULL, f);
    CHECK(n == spec->op->n_features && n <= TSR_MAX_OP_FEATURES);
    for (int i = 0; i < n; i++)
        CHECK_MSG(isfinite(f[i]), "%s: feature %d is %g", config_text, i, f[i]);
    return f[n - 1];
}

static void the_cost_model_prefers_the_flash_attention_shape(void)
{
    tsr_profile *h200 = check_load_profile("nvidia-h200");
    tsr_error err = {{0}};
    tsr_opspec *full = attention_spec("f16", "{head_dim: 128}",
                                      "[{q: 2048, kv: 2048, heads: 16, batch: 2}]", &err);
    tsr_opspec *causal = attention_spec("f16", "{head_dim: 128, causal: true}",
                                        "[{q: 2048, kv: 2048, heads: 16, batch: 2}]", &err);
    CHECK_MSG(h200 && full && causal && full->op->features, "%s", err.msg);
    if (h200 && full && causal && full->op->features) {
        const char *flash = "MU=1,BM=128,BN=32,TM=1,WC=1,VW=8,PAD=1,KU=2,PF=1,SH=1,PR=1";
        double fast = estimate(full, h200, &full->shapes[0], flash);
        CHECK(fast < estimate(full, h200, &full->shapes[0],
                              "MU=0,BM=128,BN=32,TM=4,WC=8,VW=8,PAD=1,KU=2,PF=1,SH=1"));
        CHECK(fast < estimate(full, h200, &full->shapes[0],
                              "MU=1,BM=128,BN=32,TM=1,WC=2,VW=8,PAD=1,KU=2,PF=1,SH=0,PR=0"));
        CHECK(fast < estimate(full, h200, &full->shapes[0],
                              "MU=1,BM=128,BN=32,TM=1,WC=1,VW=8,PAD=0,KU=2,PF=1,SH=1,PR=1"));
        CHECK(estimate(causal, h200, &causal->shapes[0], flash) < fast);
    }
    tsr_opspec_free(full);
    tsr_opspec_free(causal);
    tsr_profile_free(h200);
}

/* ---- on PoCL --------------------------------------------------------------------- */

/* Each type with each head dim, mask and layout at least once. */
static const struct {
    const char *dtype, *section;
} cases[] = {
    {"f32", "{head_dim: 32}"},
    {"f16", "{head_dim: 32, causal: true, layout: bshd}"},
    {"bf16", "{head_dim: 16, causal: true}"},
    {"f16", "{head_dim: 64, layout: bshd, scale: 0.3}"},
    {"f32", "{head_dim: 64, causal: true}"},
    {"bf16", "{head_dim: 32, layout: bshd}"},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static const char *const shapes =
    "[{q: 1, kv: 1}, {q: 37, kv: 53, heads: 3, batch: 2}, {q: 100, kv: 33, heads: 2}]";

/* Every value of every param but MU at least once. */
static const char *const configs[] = {
    "BM=16,BN=16,TM=2,WC=8,VN=1,VW=1,PAD=0,KU=1", "BM=64,BN=64,TM=8,WC=4,VN=2,VW=8,PAD=1,KU=8",
    "BM=128,BN=32,TM=8,WC=2,VN=8,VW=2,KU=2",      "BM=32,BN=128,TM=2,WC=32,VN=1,VW=4,KU=4",
    "BM=32,BN=32,TM=4,WC=1,VN=4,VW=4,KU=2",
};
#define N_CONFIGS (sizeof configs / sizeof configs[0])

static void every_case_verifies_on_ragged_shapes(void)
{
    int evaluated = 0, failed = 0, refused = 0;
    for (size_t c = 0; c < N_CASES; c++) {
        tsr_error err = {{0}};
        tsr_opspec *spec = attention_spec(cases[c].dtype, cases[c].section, shapes, &err);
        CHECK_MSG(spec, "%s", err.msg);
        for (size_t s = 0; spec && s < spec->n_shapes; s++) {
            tsr_problem *problem = NULL;
            if (tsr_problem_create(device, spec, &spec->shapes[s], 11 + (uint64_t)s, &problem,
                                   &err) != TSR_OK) {
                CHECK_MSG(false, "%s", err.msg);
                continue;
            }
            for (size_t k = 0; k < N_CONFIGS; k++) {
                tsr_config config = check_config(spec->op, configs[k]);
                if (spec->op->check(spec, profile, &config, &err) != TSR_OK) {
                    refused++;
                    continue;
                }
                char what[160];
                snprintf(what, sizeof what, "shape %zu config '%s'", s, configs[k]);
                failed += !check_verifies(problem, profile, spec, &config, what);
                evaluated++;
            }
            tsr_problem_free(problem);
        }
        tsr_opspec_free(spec);
    }
    printf("     %d evaluations, %d not ok, %d configs refused\n", evaluated, failed, refused);
    CHECK(evaluated >= 75 && failed == 0);
}

/* Removes the first statement of `kind` from a list or its loops' bodies
 * whose `with[0]` is the tile named `with` (NULL: any). */
static bool remove_stmt(tsr_stmt_list *list, tsr_stmt_kind kind, const char *tile, const char *with)
{
    for (int i = 0; i < list->count; i++) {
        tsr_stmt *s = list->items[i];
        if (s->kind == TSR_S_LOOP && remove_stmt(&s->body, kind, tile, with))
            return true;
        if (s->kind != kind || strcmp(s->tile->name, tile) != 0 ||
            (with && (!s->with[0] || strcmp(s->with[0]->name, with) != 0)))
            continue;
        memmove(&list->items[i], &list->items[i + 1],
                (size_t)(list->count - i - 1) * sizeof list->items[0]);
        list->count--;
        return true;
    }
    return false;
}

/* The outcome of `built`'s kernel (its tile program less the statement
 * named, when `tile` is given) on a problem of `checked`. */
static tsr_outcome run_planted(const tsr_opspec *built, const tsr_opspec *checked,
                               tsr_stmt_kind kind, const char *tile, const char *with)
{
    tsr_error err = {{0}};
    tsr_arena *arena = tsr_arena_create();
    tsr_config config = check_config(built->op, "BM=16,BN=16,TM=2,WC=4");
    tsr_tile_program *p = NULL;
    tp_kernel *kernel = NULL;
    tsr_problem *problem = NULL;
    tsr_result r = {0};
    tsr_strbuf source;
    tsr_strbuf_init(&source);
    tsr_status st =
        arena ? built->op->build(arena, built, profile, &config, &p, &err) : TSR_ERR_NOMEM;
    if (st == TSR_OK && tile && !remove_stmt(&p->body, kind, tile, with))
        st = tsr_fail(&err, TSR_ERR_INPUT, "no statement on %s to remove", tile);
    if (st == TSR_OK)
        st = tsr_lower(p, arena, &kernel, &err);
    if (st == TSR_OK)
        st = tsr_generate(kernel, tsr_dialect_find("opencl"), NULL, &source, &err);
    if (st == TSR_OK)
        st = tsr_problem_create(device, checked, &checked->shapes[0], 5, &problem, &err);
    tsr_geometry geometry;
    tsr_op_geometry(checked, &config, &checked->shapes[0], &geometry);
    tsr_eval_options options = {.min_runs = 1, .max_runs = 1};
    if (st == TSR_OK)
        st = tsr_evaluate_source(problem, source.data, p->kernel_name, &geometry, &options, arena,
                                 &r, &err);
    CHECK_MSG(st == TSR_OK, "%s", err.msg);
    tsr_problem_free(problem);
    tsr_strbuf_free(&source);
    tsr_arena_destroy(arena);
    return st == TSR_OK ? r.outcome : TSR_OUTCOME_CRASHED;
}

static void verifier_catches_a_missing_rescale_mask_or_division(void)
{
    /* 70 keys: a row's max grows after its first tile of 16 */
    const char *shape = "[{q: 45, kv: 70, heads: 2}]";
    tsr_error err = {{0}};
    tsr_opspec *causal = attention_spec("f32", "{head_dim: 32, causal: true}", shape, &err);
    tsr_opspec *full = attention_spec("f32", "{head_dim: 32}", shape, &err);
    if (!causal || !full) {
        CHECK_MSG(false, "%s", err.msg);
        goto done;
    }
    /* The harness itself is sound. */
    CHECK(run_planted(causal, causal, TSR_S_FILL, NULL, NULL) == TSR_OUTCOME_OK);
    CHECK(run_planted(full, full, TSR_S_FILL, NULL, NULL) == TSR_OUTCOME_OK);
    /* The outputs not shrunk as the running max grows. */
    CHECK(run_planted(full, full, TSR_S_TILE_MAP, "o", "m") == TSR_OUTCOME_WRONG);
    /* The running sum not shrunk likewise. */
    CHECK(run_planted(full, full, TSR_S_TILE_MAP, "l", "m") == TSR_OUTCOME_WRONG);
    /* No final division by the sum. */
    CHECK(run_planted(full, full, TSR_S_TILE_MAP, "o", "l") == TSR_OUTCOME_WRONG);
    /* The causal spec checked against a kernel without the mask. */
    CHECK(run_planted(full, causal, TSR_S_FILL, NULL, NULL) == TSR_OUTCOME_WRONG);
done:
    tsr_opspec_free(causal);
    tsr_opspec_free(full);
}

int main(void)
{
    profile = check_load_profile("pocl-cpu");
    if (!profile)
        return check_summary();
    RUN_TEST(section_sets_the_constants_and_names_the_key);
    RUN_TEST(malformed_sections_are_refused_at_their_place);
    RUN_TEST(check_refuses_what_the_tiles_or_the_profile_cannot_hold);
    RUN_TEST(geometry_sizes_the_launch_from_the_dims);
    RUN_TEST(kernels_print_in_every_dialect_and_the_matrix_unit_in_cuda);
    RUN_TEST(the_cost_model_prefers_the_flash_attention_shape);
    tsr_profile_free(profile);
    int opened = check_open_pocl(&device, &profile);
    if (opened == 77)
        return check_summary();
    if (opened >= 0)
        return opened;
    RUN_TEST(every_case_verifies_on_ragged_shapes);
    RUN_TEST(verifier_catches_a_missing_rescale_mask_or_division);
    tsr_profile_free(profile);
    tsr_device_close(device);
    return check_summary();
}
