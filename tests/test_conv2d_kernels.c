/* The conv2d op. Without a device: its spec's section, its keys and the
 * shapes it refuses at their place, the configs it refuses, its launch
 * rule, kernels of both layouts printed in every dialect with the
 * gather's divisions by constants and the padding's predicate, and the
 * gathered taps fed to the matrix unit (CUDA, an H200's profile). On PoCL:
 * nchw and nhwc, strided, padded, dilated, grouped and depthwise
 * convolutions with bias and activations, in f32, f16 and bf16, on ragged
 * shapes (ones, primes, non-multiples of every tile), a sample of configs
 * that holds every value of the params conv2d uses, each verified against
 * the double reference on a poisoned output; and kernels that read the
 * padding or leave out a tap must fail verification. */
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
#include "tests/check_profile.h"
#include "tests/check_pocl.h"

static tsr_device *device;
static tsr_profile *profile;

/* A conv2d spec of `dtype` with the section `conv` and the shapes `shapes`
 * (a YAML flow sequence). */
static tsr_opspec *conv_spec(const char *dtype, const char *conv, const char *shapes,
                             tsr_error *err)
{
    char text[1024];
    snprintf(text, sizeof text,
             "schema: 1\nname: c\nop: conv2d\ndtype: %s\nconv2d: %s\nshapes: %s\n", dtype, conv,
             shapes);
    tsr_opspec *spec = NULL;
    if (tsr_opspec_parse("c.yaml", text, strlen(text), &spec, err) != TSR_OK)
        return NULL;
    return spec;
}

static tsr_opspec *good_spec(const char *dtype, const char *conv)
{
    tsr_error err = {{0}};
    tsr_opspec *spec = conv_spec(dtype, conv, "[{n: 2, c: 4, h: 9, w: 7, k: 8}]", &err);
    CHECK_MSG(spec != NULL, "%s: %s", conv, err.msg);
    return spec;
}

/* ---- without a device ------------------------------------------------------------ */

static void section_sets_the_constants_and_names_the_key(void)
{
    tsr_opspec *a = good_spec("f32", "{layout: nchw, filter: 3, pad: 1}");
    tsr_opspec *b = good_spec("f16", "{layout: nhwc, filter: [3, 1], stride: [2, 1], pad: [0, 1], "
                                     "dilation: 2, groups: 4, bias: true, activation: relu, "
                                     "output: f16}");
    if (a) {
        CHECK(!a->conv.channels_last && a->conv.filter[0] == 3 && a->conv.filter[1] == 3);
        CHECK(a->conv.stride[1] == 1 && a->conv.dilation[0] == 1 && a->conv.groups == 1);
        CHECK_MSG(!strcmp(tsr_opspec_key(a),
                          "conv2d.f32.nchw.r=3.s=3.stride=1,1.pad=1,1.dil=1,1.groups=1"),
                  "%s", tsr_opspec_key(a));
        /* (9 + 2 - 3) / 1 + 1 rows, (7 + 2 - 3) / 1 + 1 cols */
        CHECK(tsr_conv2d_out(a, &a->shapes[0], 0) == 9 && tsr_conv2d_out(a, &a->shapes[0], 1) == 7);
    }
    if (b) {
        CHECK_MSG(!strcmp(tsr_opspec_key(b), "conv2d.f16.nhwc.r=3.s=1.stride=2,1.pad=0,1.dil=2,2."
                                             "groups=4.bias=1.act=relu.out=f16"),
                  "%s", tsr_opspec_key(b));
        /* (9 - 2 * 2 - 1) / 2 + 1 = 3 rows; (7 + 2 - 1) / 1 + 1 = 9 cols */
        CHECK(tsr_conv2d_out(b, &b->shapes[0], 0) == 3 && tsr_conv2d_out(b, &b->shapes[0], 1) == 9);
        char text[128];
        tsr_shape_format(b->op, &b->shapes[0], text, sizeof text);
        CHECK_MSG(!strcmp(text, "n=2,c=4,h=9,w=7,k=8"), "%s", text);
    }
    tsr_opspec_free(a);
    tsr_opspec_free(b);
}

#define CHECK_REFUSED(conv, shapes, where, message)                                                \
    do {                                                                                           \
        tsr_error err_ = {{0}};                                                                    \
        tsr_opspec *spec_ = conv_spec("f32", (conv), (shapes), &err_);                             \
        CHECK_MSG(spec_ == NULL, "%s %s was accepted", (conv), (shapes));                          \
        CHECK_STR_CONTAINS(err_.msg, (where));                                                     \
        CHECK_STR_CONTAINS(err_.msg, (message));                                                   \
        tsr_opspec_free(spec_);                                                                    \
    } while (0)

static void malformed_sections_and_shapes_are_refused_at_their_place(void)
{
    const char *shape = "[{n: 1, c: 4, h: 8, w: 8, k: 4}]";
    CHECK_REFUSED("{layout: nchw}", shape, "c.yaml:5:9:", "missing required key 'filter'");
    CHECK_REFUSED("{layout: nchw, filter: 3, strides: 2}", shape,
                  "c.yaml:5:35:", "unknown key 'strides'");
    CHECK_REFUSED("{layout: chwn, filter: 3}", shape, "c.yaml:5:18:", "conv2d.layout");
    CHECK_REFUSED("{layout: nchw, filter: 0}", shape, "c.yaml:5:32:", "conv2d.filter");
    CHECK_REFUSED("{layout: nchw, filter: [3, 3, 3]}", shape, "c.yaml:5:32:", "conv2d.filter");
    CHECK_REFUSED("{layout: nchw, filter: 3, stride: 0}", shape, "c.yaml:5:43:", "conv2d.stride");
    CHECK_REFUSED("{layout: nchw, filter: 3, pad: -1}", shape, "c.yaml:5:40:", "conv2d.pad");
    CHECK_REFUSED("{layout: nchw, filter: 3, groups: 3}", shape,
                  "c.yaml:6:10:", "c=4 and k=4 must both be multiples of groups=3");
    CHECK_REFUSED("{layout: nchw, filter: 9}", shape,
                  "c.yaml:6:10:", "the 9x9 filter (dilation 1,1) does not fit the 8x8 image");
    CHECK_REFUSED("{layout: nchw, filter: 3, dilation: 5, pad: 1}", shape,
                  "c.yaml:6:10:", "does not fit");
    CHECK_REFUSED("{layout: nchw, filter: 1}", "[{n: 32768, c: 64, h: 32, w: 32, k: 1}]",
                  "c.yaml:6:10:", "X has 2147483648 elements");
    CHECK_REFUSED("{layout: nchw, filter: 3}", "[{n: 1, c: 4, h: 8, w: 8}]",
                  "c.yaml:6:10:", "missing required key 'k'");
    /* The section belongs to conv2d, and conv2d needs it. */
    tsr_error err = {{0}};
    const char *no_section = "schema: 1\nname: c\nop: conv2d\ndtype: f32\nshapes: [{n: 1, c: 1, "
                             "h: 1, w: 1, k: 1}]\n";
    tsr_opspec *spec = NULL;
    CHECK(tsr_opspec_parse("c.yaml", no_section, strlen(no_section), &spec, &err) != TSR_OK);
    CHECK_STR_CONTAINS(err.msg, "op conv2d needs 'conv2d:");
    const char *foreign = "schema: 1\nname: c\nop: gemm\ndtype: f32\nconv2d: {layout: nchw}\n"
                          "shapes: [{m: 1, n: 1, k: 1}]\n";
    CHECK(tsr_opspec_parse("c.yaml", foreign, strlen(foreign), &spec, &err) != TSR_OK);
    CHECK_STR_CONTAINS(err.msg, "c.yaml:5:1: key 'conv2d' is only allowed for op conv2d");
    /* A shape from the command line meets the same rules. */
    tsr_opspec *ok = good_spec("f32", "{layout: nchw, filter: 3, groups: 2}");
    tsr_shape odd;
    if (ok && tsr_shape_parse(ok->op, "n=1,c=3,h=5,w=5,k=4", &odd, &err) == TSR_OK) {
        CHECK(tsr_opspec_check_shape(ok, &odd, &err) == TSR_ERR_INPUT);
        CHECK_STR_CONTAINS(err.msg, "c=3 and k=4 must both be multiples of groups=2");
    }
    tsr_opspec_free(ok);
}

/* `config` with param `name` at `value`, which its list need not hold. */
static tsr_config with_param(const tsr_opspec *spec, tsr_config config, const char *name, int value)
{
    for (int i = 0; i < spec->op->n_params; i++)
        if (!strcmp(spec->op->params[i].name, name))
            config.value[i] = value;
    return config;
}

static void expect_check(const tsr_opspec *spec, const tsr_config *config, const char *what,
                         const char *message)
{
    tsr_error err = {{0}};
    tsr_status st = spec->op->check(spec, profile, config, &err);
    if (*message)
        CHECK_MSG(st == TSR_ERR_UNSUPPORTED && strstr(err.msg, message), "%s: %s", what,
                  st == TSR_OK ? "accepted" : err.msg);
    else
        CHECK_MSG(st == TSR_OK, "%s: %s", what, err.msg);
}

#define CHECK_CONFIG(spec, config_text, message)                                                   \
    do {                                                                                           \
        tsr_config config_ = check_config((spec)->op, (config_text));                              \
        expect_check((spec), &config_, (config_text), (message));                                  \
    } while (0)

static void check_refuses_vectors_direct_taps_and_fetching_ahead(void)
{
    tsr_opspec *nchw = good_spec("f32", "{layout: nchw, filter: 3}");
    tsr_opspec *nhwc = good_spec("f32", "{layout: nhwc, filter: 3}");
    if (!nchw || !nhwc)
        goto out;
    CHECK_CONFIG(nchw, "", "");
    CHECK_CONFIG(nhwc, "", "");
    CHECK_CONFIG(nchw, "SB=0", "SB=1 is needed");
    CHECK_CONFIG(nhwc, "SA=0", "SA=1 is needed");
    CHECK_CONFIG(nchw, "SA=0", ""); /* W may be read in place */
    CHECK_CONFIG(nhwc, "SB=0", "");
    /* GEMM's own limits still hold. */
    CHECK_CONFIG(nchw, "BM=128,BN=128,TM=1,TN=1", "threads per work-group exceed");
    /* Vectors are in the space; the asynchronous rings need a profile
     * that lists them; fetching into registers is not in the space, and
     * check refuses it too, should a config be made by hand. */
    CHECK_CONFIG(nhwc, "VW=4", "");
    CHECK_CONFIG(nchw, "VW=8", "");
    CHECK_CONFIG(nhwc, "PF=2", "features: async_copy");
    tsr_config config = check_config(nchw->op, "");
    tsr_error err = {{0}};
    CHECK(tsr_config_parse(nchw->op, "PF=1", &config, &err) == TSR_ERR_INPUT);
    tsr_config ahead = with_param(nchw, config, "PF", 1);
    expect_check(nchw, &ahead, "PF=1", "PF=1: conv2d's k-loop runs inside its loop over tiles");
out:
    tsr_opspec_free(nchw);
    tsr_opspec_free(nhwc);
}

static void geometry_sizes_the_launch_from_the_dims(void)
{
    tsr_opspec *nchw = good_spec("f32", "{layout: nchw, filter: 3}");
    tsr_opspec *nhwc = good_spec("f32", "{layout: nhwc, filter: 3}");
    const char *expected[2] = {"h/1x16,k/64x16,n/1x1", "k/64x16,h/1x16,n/1x1"};
    tsr_opspec *specs[2] = {nchw, nhwc};
    for (int i = 0; i < 2; i++) {
        if (!specs[i])
            continue;
        tsr_config config = check_config(specs[i]->op, "");
        tsr_geometry_rule rule;
        char text[128];
        specs[i]->op->geometry_rule(specs[i], &config, &rule);
        tsr_geometry_rule_format(specs[i]->op, &rule, text, sizeof text);
        CHECK_MSG(!strcmp(text, expected[i]), "%s, expected %s", text, expected[i]);
    }
    tsr_opspec_free(nchw);
    tsr_opspec_free(nhwc);
}

/* The kernel of `spec` with `config_text` in `dialect`, as text. */
static char *kernel_text(const tsr_opspec *spec, const tsr_profile *prof, const char *config_text,
                         const char *dialect)
{
    tsr_arena *arena = tsr_arena_create();
    tsr_config config = check_config(spec->op, config_text);
    tsr_tile_program *p = NULL;
    tp_kernel *kernel = NULL;
    tsr_error err = {{0}};
    tsr_strbuf out;
    tsr_strbuf_init(&out);
    tsr_status st = arena ? spec->op->build(arena, spec, prof, &config, &p, &err) : TSR_ERR_NOMEM;
    if (st == TSR_OK)
        st = tsr_lower(p, arena, &kernel, &err);
    if (st == TSR_OK)
        st = tsr_generate(kernel, tsr_dialect_find(dialect), NULL, &out, &err);
    CHECK_MSG(st == TSR_OK, "%s %s: %s", config_text, dialect, err.msg);
    char *text = st == TSR_OK ? strdup(out.data) : NULL;
    tsr_strbuf_free(&out);
    tsr_arena_destroy(arena);
    return text;
}

static void kernels_gather_taps_with_constant_divisions_and_guard_the_padding(void)
{
    static const char *const dialects[] = {"opencl", "cuda", "hip"};
    tsr_opspec *padded = good_spec("f32", "{layout: nchw, filter: [3, 5], pad: 1}");
    tsr_opspec *unpadded = good_spec("f16", "{layout: nhwc, filter: 1, groups: 2, bias: true}");
    for (int d = 0; padded && unpadded && d < 3; d++) {
        char *text = kernel_text(padded, profile, "", dialects[d]);
        if (text) {
            CHECK_STR_CONTAINS(text, "tsr_conv2d");
            CHECK_STR_CONTAINS(text, "% 15");     /* the tap among R * S = 15 */
            CHECK_STR_CONTAINS(text, "% 15 / 5"); /* its row in the filter */
            CHECK_STR_CONTAINS(text, ">= 0");     /* the padding's predicate */
        }
        free(text);
        /* A 1x1 filter without padding: no division, no predicate. */
        text = kernel_text(unpadded, profile, "SB=0,STRN=0", dialects[d]);
        if (text) {
            CHECK_MSG(!strstr(text, "% 1)") && !strstr(text, ">= 0"), "%s", text);
            CHECK_STR_CONTAINS(text, "bias");
        }
        free(text);
    }
    tsr_opspec_free(padded);
    tsr_opspec_free(unpadded);
}

/* With 16-bit inputs and a profile that lists the units, the gathered
 * taps feed the matrix units like any staged operand, in either layout. */
static void gathered_taps_feed_the_matrix_unit(void)
{
    tsr_profile *h200 = check_load_profile("nvidia-h200");
    tsr_opspec *nhwc = good_spec("f16", "{layout: nhwc, filter: 3, pad: 1, bias: true}");
    tsr_opspec *nchw = good_spec("bf16", "{layout: nchw, filter: [1, 3], stride: 2, groups: 2}");
    const char *mu = "MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,STRN=0,KU=1";
    tsr_opspec *specs[2] = {nhwc, nchw};
    for (int i = 0; i < 2 && h200; i++) {
        char *text = specs[i] ? kernel_text(specs[i], h200, mu, "cuda") : NULL;
        if (text)
            CHECK_STR_CONTAINS(text, i == 0 ? "tsr_mma_f16(acc_0_0" : "tsr_mma_bf16(acc_0_0");
        free(text);
    }
    /* The warpgroup unit: nhwc's operands are both k-contiguous, so its
     * tiles need whole swizzled rows of 64 taps. */
    const char *wide = "MU=2,BM=128,BN=128,BK=64,TM=1,TN=8,STRN=0,KU=1,VW=8,PAD=0,PF=3";
    char *text = nhwc && h200 ? kernel_text(nhwc, h200, wide, "cuda") : NULL;
    CHECK(text != NULL);
    if (text) {
        CHECK_STR_CONTAINS(text, "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16");
        CHECK_STR_CONTAINS(text, " % 64 / 8 ^ ");
    }
    free(text);
    if (nhwc && h200) {
        tsr_config narrow = check_config(
            nhwc->op, "MU=2,BM=128,BN=128,BK=32,TM=1,TN=8,STRN=0,KU=1,VW=8,PAD=0,PF=3");
        tsr_error err = {{0}};
        CHECK(nhwc->op->check(nhwc, h200, &narrow, &err) == TSR_ERR_UNSUPPORTED);
        CHECK_STR_CONTAINS(err.msg, "BK=32 must be a multiple");
    }
    tsr_opspec_free(nhwc);
    tsr_opspec_free(nchw);
    tsr_profile_free(h200);
}

/* Whether every line of `text` that divides by (or takes the remainder of)
 * the output's width declares a pixel's decode: no division by a kernel
 * argument left inside a copy's tests or address. */
static bool divides_by_out_w_only_in_pixel_decodes(const char *text)
{
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *buf = malloc(len + 1);
        if (!buf)
            return false;
        memcpy(buf, line, len);
        buf[len] = '\0';
        bool divides = strstr(buf, "/ out_w") || strstr(buf, "% out_w");
        bool decode = strstr(buf, "const int ih") || strstr(buf, "const int iw") ||
                      strstr(buf, "const int px");
        free(buf);
        if (divides && !decode)
            return false;
        line = end ? end + 1 : NULL;
    }
    return true;
}

/* A load item decodes its pixel once, ahead of its tests and copies (so
 * the compiler can hoist it out of the k-loop), in every layout and
 * dialect; and nhwc's filters, k-contiguous, reach the matrix unit's tile
 * by whole asynchronous copies rather than element by element. */
static void pixels_decode_once_and_nhwc_filters_copy_whole(void)
{
    tsr_profile *h200 = check_load_profile("nvidia-h200");
    tsr_opspec *nhwc = good_spec("f16", "{layout: nhwc, filter: 3, stride: 2, pad: 1}");
    tsr_opspec *nchw = good_spec("f32", "{layout: nchw, filter: 3, pad: 1, groups: 2}");
    static const char *const dialects[] = {"opencl", "cuda", "hip"};
    for (int d = 0; h200 && nhwc && nchw && d < 3; d++) {
        /* Asynchronous copies (PF) only where the dialect spells them. */
        const char *configs[] = {"VW=4", "VW=1", "VW=1,PF=2", "VW=8,PF=3"};
        for (int c = 0; c < (d == 1 ? 4 : 2); c++) {
            for (int s = 0; s < 2; s++) {
                char *text = kernel_text(s ? nchw : nhwc, h200, configs[c], dialects[d]);
                if (text) {
                    CHECK_STR_CONTAINS(text, "const int px");
                    CHECK_MSG(divides_by_out_w_only_in_pixel_decodes(text), "%s %s %s", dialects[d],
                              configs[c], s ? "nchw" : "nhwc");
                }
                free(text);
            }
        }
    }
    char *ring =
        nhwc ? kernel_text(nhwc, h200,
                           "MU=1,BM=64,BN=64,BK=32,TM=2,TN=4,STRN=0,KU=2,VW=8,PAD=1,PF=3", "cuda")
             : NULL;
    if (ring) {
        CHECK_STR_CONTAINS(ring, "tsr_cp_async_aligned<8>(&Bs[");
        CHECK_STR_CONTAINS(ring, "tsr_cp_async<8>(&As[");
        CHECK(divides_by_out_w_only_in_pixel_decodes(ring));
        /* X's whole copies add to the tile's first channel: no division by
         * the channel count in their address. */
        for (const char *at = strstr(ring, "tsr_cp_async<8>(&As["); at;
             at = strstr(at + 1, "tsr_cp_async<8>(&As[")) {
            const char *end = strchr(at, '\n');
            size_t len = end ? (size_t)(end - at) : strlen(at);
            char *copy = malloc(len + 1);
            if (copy) {
                memcpy(copy, at, len);
                copy[len] = '\0';
                CHECK_MSG(!strstr(copy, "/ in_c") && !strstr(copy, "% in_c"), "%s", copy);
            }
            free(copy);
        }
    }
    free(ring);
    tsr_opspec_free(nhwc);
    tsr_opspec_free(nchw);
    tsr_profile_free(h200);
}

/* The cost model sees a conv2d kernel as its implicit GEMM: the features
 * are the GEMM's, finite; on a GPU with a matrix unit an f16 config on the
 * unit estimates faster than the same tiles on the threads' FMAs, and a
 * batch of 32 slower than one image. */
static void the_cost_model_sees_the_implicit_gemm(void)
{
    tsr_profile *h200 = check_load_profile("nvidia-h200");
    tsr_opspec *nhwc = good_spec("f16", "{layout: nhwc, filter: 3, stride: 2, pad: 1}");
    tsr_error err = {{0}};
    tsr_shape one, batch;
    bool ok = h200 && nhwc && nhwc->op->features &&
              tsr_shape_parse(nhwc->op, "n=1,c=128,h=56,w=56,k=128", &one, &err) == TSR_OK &&
              tsr_shape_parse(nhwc->op, "n=32,c=128,h=56,w=56,k=128", &batch, &err) == TSR_OK;
    CHECK_MSG(ok, "%s", err.msg);
    if (ok) {
        const char *tiles = "BM=128,BN=128,BK=32,TM=2,TN=8,VW=8,PAD=1,STRN=0,KU=2,PF=3";
        char text[128];
        double f[TSR_MAX_OP_FEATURES], unit_one, unit_batch, fma_batch;
        snprintf(text, sizeof text, "%s,MU=1", tiles);
        tsr_config mu = check_config(nhwc->op, text);
        snprintf(text, sizeof text, "%s,MU=0", tiles);
        tsr_config fma = check_config(nhwc->op, text);
        int n = nhwc->op->features(nhwc, h200, &one, &mu, NULL, f);
        CHECK(n == nhwc->op->n_features && n <= TSR_MAX_OP_FEATURES);
        for (int i = 0; i < n; i++)
            CHECK_MSG(isfinite(f[i]), "feature %d: %g", i, f[i]);
        unit_one = f[n - 1];
        nhwc->op->features(nhwc, h200, &batch, &mu, NULL, f);
        unit_batch = f[n - 1];
        nhwc->op->features(nhwc, h200, &batch, &fma, NULL, f);
        fma_batch = f[n - 1];
        CHECK_MSG(unit_batch < fma_batch, "unit %g, FMAs %g", unit_batch, fma_batch);
        CHECK_MSG(unit_one < unit_batch, "one image %g, 32 %g", unit_one, unit_batch);
    }
    tsr_opspec_free(nhwc);
    tsr_profile_free(h200);
}

/* ---- on PoCL ------------------------------------------------------------------ */

/* The specs verified: both layouts, every constant off its default
 * somewhere, grouped and depthwise, every epilogue, every input type. */
static const struct {
    const char *dtype, *conv;
} cases[] = {
    {"f32", "{layout: nchw, filter: 3, pad: 1}"},
    {"f32", "{layout: nhwc, filter: 3, pad: 1}"},
    {"f32", "{layout: nchw, filter: [3, 2], stride: [2, 1], pad: [1, 0], dilation: [1, 2]}"},
    {"f32", "{layout: nhwc, filter: [2, 3], stride: [1, 3], pad: [2, 1], dilation: [2, 1]}"},
    {"f32", "{layout: nchw, filter: 1, groups: 2, bias: true, activation: relu}"},
    {"f32", "{layout: nhwc, filter: 3, stride: 2, pad: 1, groups: 2, bias: true, activation: "
            "silu}"},
    {"f32", "{layout: nchw, filter: 3, pad: 1, groups: 6, bias: true}"}, /* depthwise */
    {"f32", "{layout: nhwc, filter: 3, pad: 1, stride: 2, groups: 6, activation: gelu}"},
    {"f16", "{layout: nchw, filter: 3, pad: 1, bias: true, activation: relu}"},
    {"bf16", "{layout: nhwc, filter: 3, pad: 1, stride: 2, output: bf16}"},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

/* Ragged: ones, primes, non-multiples of every tile; c and k multiples of
 * 6 so that every grouping above splits them; a batch and a channel count
 * above one tile along the pixels and the filters. */
static const char *const shapes =
    "[{n: 1, c: 6, h: 5, w: 4, k: 6}, {n: 2, c: 12, h: 13, w: 11, k: 18},"
    " {n: 3, c: 6, h: 7, w: 17, k: 66}, {n: 1, c: 36, h: 9, w: 9, k: 12}]";

/* Together: every value of BM, BN, BK, TM, TN, VW, SA/SB, PAD, STRM, STRN,
 * KU and VN that a conv2d can take on a CPU (PF=0; no matrix unit). With
 * VW > 1, nhwc's taps move in vectors where the channels of a group are a
 * multiple of VW (12 and 36 here) and lane by lane where not (6, 3, 1). */
static const char *const configs[] = {
    "BM=16,BN=16,BK=2,TM=1,TN=1,PAD=0,STRM=0,STRN=0,KU=1,VN=1",
    "BM=32,BN=64,BK=8,TM=2,TN=4,PAD=1,STRM=1,STRN=1,KU=2,VN=2",
    "BM=64,BN=32,BK=32,TM=8,TN=2,PAD=0,STRM=0,STRN=0,KU=8,VN=1,SA=0",
    "BM=128,BN=128,BK=16,TM=8,TN=8,PAD=1,STRM=1,STRN=1,KU=4,VN=4,SB=0",
    "BM=64,BN=64,BK=4,TM=4,TN=16,PAD=0,STRM=0,STRN=1,KU=4,VN=8",
    "BM=16,BN=128,BK=16,TM=2,TN=32,PAD=0,STRM=1,STRN=0,KU=2,VN=16",
    "BM=32,BN=32,BK=8,TM=2,TN=2,VW=4,PAD=1,STRM=0,STRN=1,KU=2,VN=1",
    "BM=64,BN=16,BK=16,TM=4,TN=1,VW=2,PAD=0,STRM=0,STRN=0,KU=4,VN=1",
};
#define N_CONFIGS ((int)(sizeof configs / sizeof configs[0]))

/* Counts of one sweep. */
typedef struct sweep_counts {
    int evaluated, failed, refused;
} sweep_counts;

/* Every shape of case `i` with each of `configs` on `prof`: a config its
 * check() refuses counts as refused, the rest must verify. */
static void sweep_case(int i, const tsr_profile *prof, const char *const *configs, int n_configs,
                       sweep_counts *counts)
{
    tsr_error err = {{0}};
    tsr_opspec *spec = conv_spec(cases[i].dtype, cases[i].conv, shapes, &err);
    CHECK_MSG(spec != NULL, "%s", err.msg);
    for (size_t s = 0; spec && s < spec->n_shapes; s++) {
        tsr_problem *problem = NULL;
        if (tsr_problem_create(device, spec, &spec->shapes[s], 7 + (uint64_t)s, &problem, &err) !=
            TSR_OK) {
            CHECK_MSG(false, "%s", err.msg);
            continue;
        }
        for (int c = 0; c < n_configs; c++) {
            tsr_config config = check_config(spec->op, configs[c]);
            if (spec->op->check(spec, prof, &config, &err) != TSR_OK) {
                counts->refused++;
                continue;
            }
            char what[200];
            snprintf(what, sizeof what, "shape %zu %s", s, configs[c]);
            counts->evaluated++;
            counts->failed += !check_verifies(problem, prof, spec, &config, what);
        }
        tsr_problem_free(problem);
    }
    tsr_opspec_free(spec);
}

static void every_case_verifies_on_ragged_shapes(void)
{
    sweep_counts counts = {0};
    for (int i = 0; i < N_CASES; i++)
        sweep_case(i, profile, configs, N_CONFIGS, &counts);
    printf("     %d cases: %d evaluations, %d not ok, %d refused\n", N_CASES, counts.evaluated,
           counts.failed, counts.refused);
    /* SA=0 reads nhwc's gathered X in place, SB=0 nchw's: refused. */
    CHECK(counts.evaluated >= 200 && counts.failed == 0 && counts.refused == 2 * 4 * N_CASES / 2);
}

/* AMD's wave units (MFMA, MU=3; WMMA, MU=4) and Intel's sub-group unit
 * (DPAS, MU=6) on the gathered taps, on PoCL's emulation of them
 * (tests/data/pocl-cpu-wave-units.yaml): f16 nchw with an epilogue and
 * bf16 nhwc strided, over the ragged shapes, plain and with vectors. */
static void gathered_taps_feed_the_emulated_wave_units(void)
{
    tsr_profile *units = check_test_profile("pocl-cpu-wave-units");
    static const char *const unit_configs[] = {
        "MU=3,BM=64,BN=64,BK=16,TM=2,TN=2,STRN=0,KU=1,VW=1",
        "MU=3,BM=32,BN=64,BK=32,TM=1,TN=2,STRN=0,KU=2,VW=4,PAD=1",
        "MU=4,BM=32,BN=32,BK=16,TM=1,TN=1,STRN=0,KU=1,VW=1",
        "MU=6,BM=32,BN=32,BK=16,TM=2,TN=1,STRN=0,KU=1,VW=4,PAD=1",
    };
    sweep_counts counts = {0};
    for (int i = N_CASES - 2; units && i < N_CASES; i++)
        sweep_case(i, units, unit_configs, 4, &counts);
    tsr_profile_free(units);
    printf("     %d evaluations, %d not ok\n", counts.evaluated, counts.failed);
    CHECK(counts.evaluated == 32 && counts.failed == 0 && counts.refused == 0);
}

/* The outcome of a hand-written nchw kernel, one work-item an output, of
 * a 3x3 filter padded by 1 on a 2 x 5 x 9 x 7 image to 3 filters, with
 * `tap` as the sum's term. */
static tsr_outcome run_planted(const char *tap)
{
    char source[2048];
    snprintf(source, sizeof source,
             "__kernel void planted(__global const float *X, __global const float *W,\n"
             "    __global float *Y, int batch, int in_c, int in_h, int in_w, int out_c,\n"
             "    int out_h, int out_w, float alpha)\n"
             "{\n"
             "    int ow = get_global_id(0), oh = get_global_id(1), bk = get_global_id(2);\n"
             "    int b = bk / out_c, k = bk %% out_c;\n"
             "    float sum = 0.0f;\n"
             "    for (int c = 0; c < in_c; c++)\n"
             "        for (int r = 0; r < 3; r++)\n"
             "            for (int s = 0; s < 3; s++) {\n"
             "                int ih = oh - 1 + r, iw = ow - 1 + s;\n"
             "                bool in = ih >= 0 && ih < in_h && iw >= 0 && iw < in_w;\n"
             "                %s\n"
             "            }\n"
             "    Y[((b * out_c + k) * out_h + oh) * out_w + ow] = alpha * sum;\n"
             "}\n",
             tap);
    tsr_error err = {{0}};
    tsr_opspec *spec = conv_spec("f32", "{layout: nchw, filter: 3, pad: 1}",
                                 "[{n: 2, c: 5, h: 9, w: 7, k: 3}]", &err);
    tsr_geometry geometry = {.dims = 3, .groups = {7, 9, 6}, .local = {1, 1, 1}};
    tsr_eval_options options = {.min_runs = 1, .max_runs = 1};
    tsr_problem *problem = NULL;
    tsr_arena *arena = tsr_arena_create();
    tsr_result r = {0};
    tsr_status st = spec && arena
                        ? tsr_problem_create(device, spec, &spec->shapes[0], 5, &problem, &err)
                        : TSR_ERR_NOMEM;
    if (st == TSR_OK)
        st = tsr_evaluate_source(problem, source, "planted", &geometry, &options, arena, &r, &err);
    CHECK_MSG(st == TSR_OK, "%s", err.msg);
    tsr_problem_free(problem);
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
    return st == TSR_OK ? r.outcome : TSR_OUTCOME_CRASHED;
}

static void verifier_catches_read_padding_and_a_missing_tap(void)
{
    const char *w = "W[((k * in_c + c) * 3 + r) * 3 + s]";
    const char *x = "X[((b * in_c + c) * in_h + ih) * in_w + iw]";
    char tap[512];
    /* The harness itself is sound. */
    snprintf(tap, sizeof tap, "if (in) sum += %s * %s;", x, w);
    CHECK(run_planted(tap) == TSR_OUTCOME_OK);
    /* The padding read as the nearest pixel of the image, not as zero. */
    snprintf(tap, sizeof tap,
             "int ch = min(max(ih, 0), in_h - 1), cw = min(max(iw, 0), in_w - 1);\n"
             "sum += X[((b * in_c + c) * in_h + ch) * in_w + cw] * %s;",
             w);
    CHECK(run_planted(tap) == TSR_OUTCOME_WRONG);
    /* The filter's last tap left out. */
    snprintf(tap, sizeof tap, "if (in && (r < 2 || s < 2)) sum += %s * %s;", x, w);
    CHECK(run_planted(tap) == TSR_OUTCOME_WRONG);
    /* The filter applied flipped (a correlation is what conv2d computes). */
    snprintf(tap, sizeof tap, "if (in) sum += %s * W[((k * in_c + c) * 3 + 2 - r) * 3 + 2 - s];",
             x);
    CHECK(run_planted(tap) == TSR_OUTCOME_WRONG);
}

int main(void)
{
    profile = check_load_profile("pocl-cpu");
    if (!profile)
        return check_summary();
    RUN_TEST(section_sets_the_constants_and_names_the_key);
    RUN_TEST(malformed_sections_and_shapes_are_refused_at_their_place);
    RUN_TEST(check_refuses_vectors_direct_taps_and_fetching_ahead);
    RUN_TEST(geometry_sizes_the_launch_from_the_dims);
    RUN_TEST(kernels_gather_taps_with_constant_divisions_and_guard_the_padding);
    RUN_TEST(gathered_taps_feed_the_matrix_unit);
    RUN_TEST(pixels_decode_once_and_nhwc_filters_copy_whole);
    RUN_TEST(the_cost_model_sees_the_implicit_gemm);
    tsr_profile_free(profile);
    int opened = check_open_pocl(&device, &profile);
    if (opened == 77)
        return check_summary();
    if (opened >= 0)
        return opened;
    RUN_TEST(every_case_verifies_on_ragged_shapes);
    RUN_TEST(gathered_taps_feed_the_emulated_wave_units);
    RUN_TEST(verifier_catches_read_padding_and_a_missing_tap);
    tsr_profile_free(profile);
    tsr_device_close(device);
    return check_summary();
}
