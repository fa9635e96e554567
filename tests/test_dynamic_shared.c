/* Shared memory past what a kernel may declare: CUDA kernels whose shared
 * arrays take more than 48 KiB place them in one dynamic shared array that
 * the launch sizes (the count travels in the geometry rule), every other
 * kernel keeps its declarations, and GEMM configs that need the memory are
 * valid where the profile lets a kernel opt in to it. No device is needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ir.h"
#include "core/lower.h"
#include "core/op.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "generators/generator.h"
#include "tests/check.h"

/* 128 x 128 tiles through a ring of four stages (PF=3) on the matrix unit:
 * As [4 * 128][BK + 8] and Bs [4 * BK][128 + 8] of 16-bit values. */
#define RING "MU=1,BM=128,BN=128,TM=2,TN=8,STRN=0,KU=1,VN=1,VW=8,PAD=1,PF=3"

static tsr_opspec *hgemm_spec(void)
{
    const char *text = "schema: 1\nname: h\nop: gemm\ndtype: f16\n"
                       "shapes:\n  - {m: 7, n: 13, k: 17}\n";
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_parse("h.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    return spec;
}

/* The H200's profile, or the same without the line that lets a kernel opt
 * in to more shared memory than a block gets as it is. */
static tsr_profile *h200_profile(bool with_optin)
{
    char path[512];
    snprintf(path, sizeof path, "%s/profiles/nvidia-h200.yaml", check_source_root());
    FILE *f = fopen(path, "r");
    char *text = calloc(1, 1 << 16);
    CHECK_MSG(f != NULL, "cannot read %s", path);
    size_t used = 0;
    char line[1024];
    while (f && text && fgets(line, sizeof line, f))
        if ((with_optin || !strstr(line, "shared_per_block_optin")) &&
            used + strlen(line) < (1 << 16)) {
            memcpy(text + used, line, strlen(line));
            used += strlen(line);
        }
    if (f)
        fclose(f);
    tsr_profile *profile = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(text && tsr_profile_parse(path, text, used, &profile, &err) == TSR_OK, "%s", err.msg);
    free(text);
    return profile;
}

static tsr_config config_of(const tsr_op_def *op, const char *text)
{
    tsr_config config;
    tsr_error err = {{0}};
    tsr_config_default(op, &config);
    CHECK_MSG(tsr_config_parse(op, text, &config, &err) == TSR_OK, "%s", err.msg);
    return config;
}

/* A config's kernel as printed in `dialect`, and the dynamic shared bytes
 * its launch takes; NULL when it does not build. */
static char *print_config(const tsr_opspec *spec, const tsr_profile *profile, const char *text,
                          const char *dialect, size_t *dynamic_bytes)
{
    tsr_config config = config_of(spec->op, text);
    tsr_arena *arena = tsr_arena_create();
    tsr_tile_program *p = NULL;
    tp_kernel *kernel = NULL;
    tsr_error err = {{0}};
    char *out = NULL;
    if (arena && spec->op->build(arena, spec, profile, &config, &p, &err) == TSR_OK &&
        tsr_lower(p, arena, &kernel, &err) == TSR_OK) {
        tsr_strbuf sb;
        tsr_strbuf_init(&sb);
        const tsr_dialect *d = tsr_dialect_find(dialect);
        if (tsr_generate(kernel, d, NULL, &sb, &err) == TSR_OK)
            out = tsr_strbuf_take(&sb);
        tsr_strbuf_free(&sb);
        *dynamic_bytes = tsr_dynamic_shared_bytes(kernel, d);
    }
    CHECK_MSG(out != NULL, "%s: %s", text, err.msg);
    tsr_arena_destroy(arena);
    return out;
}

static void cuda_places_tiles_past_48_kib_in_dynamic_shared_memory(void)
{
    tsr_opspec *spec = hgemm_spec();
    tsr_profile *h200 = h200_profile(true);
    size_t bytes = 1;
    char *text = spec && h200 ? print_config(spec, h200, RING ",BK=32", "cuda", &bytes) : NULL;
    if (text) {
        /* As: 4 * 128 rows of 40 halves, 40960 bytes; Bs after it, 4 * 32
         * rows of 136 halves, 34816 bytes. */
        CHECK_MSG(bytes == 40960 + 34816, "%zu dynamic bytes", bytes);
        CHECK_STR_CONTAINS(
            text,
            "{\n    extern __shared__ __attribute__((aligned(16))) unsigned char tsr_shared[];\n"
            "    const int tx");
        CHECK_STR_CONTAINS(
            text, "    unsigned short (*As)[40] = (unsigned short (*)[40])(tsr_shared + 0);\n");
        CHECK_STR_CONTAINS(
            text,
            "    unsigned short (*Bs)[136] = (unsigned short (*)[136])(tsr_shared + 40960);\n");
        CHECK(strstr(text, "__shared__ __attribute__((aligned(16))) unsigned short") == NULL);
        /* The statements index the placed tiles as they did the arrays. */
        CHECK_STR_CONTAINS(text, "tsr_cp_async_aligned<8>(&As[");
    }
    free(text);
    tsr_profile_free(h200);
    tsr_opspec_free(spec);
}

/* A kernel within the static limit prints as it always did: the same text,
 * declarations and all, and no bytes at launch. */
static void cuda_declares_tiles_within_48_kib_as_static_arrays(void)
{
    tsr_opspec *spec = hgemm_spec();
    tsr_profile *h200 = h200_profile(true);
    size_t bytes = 1;
    char *text = spec && h200 ? print_config(spec, h200, RING ",BK=16", "cuda", &bytes) : NULL;
    if (text) {
        CHECK_MSG(bytes == 0, "%zu dynamic bytes", bytes);
        CHECK_STR_CONTAINS(text, "    __shared__ __attribute__((aligned(16))) unsigned short "
                                 "As[512][24];\n");
        CHECK_STR_CONTAINS(text, "    __shared__ __attribute__((aligned(16))) unsigned short "
                                 "Bs[64][136];\n");
        CHECK(strstr(text, "tsr_shared") == NULL);
    }
    free(text);
    tsr_profile_free(h200);
    tsr_opspec_free(spec);
}

/* Hand-built: a 49156-byte array (just past the limit), then three floats
 * at the next 16-byte boundary, then a scalar; CUDA places them, HIP and
 * OpenCL declare them (their limits are the profiles' own). */
static void placed_arrays_start_at_16_byte_boundaries_and_scalars_are_references(void)
{
    tsr_arena *arena = tsr_arena_create();
    tp_builder b = {.arena = arena};
    tp_kernel k = {.name = "k", .dims = 1, .local = {32, 1, 1}};
    tp_var *big = tp_new_var(&b, "big", TSR_F32, TP_SHARED, 1, 12289, 0);
    tp_var *rows = tp_new_var(&b, "rows", TSR_F32, TP_SHARED, 2, 1, 3);
    tp_var *one = tp_new_var(&b, "one", TSR_I32, TP_SHARED, 0, 0, 0);
    tp_decl(&b, &k.body, big, NULL);
    tp_decl(&b, &k.body, rows, NULL);
    tp_decl(&b, &k.body, one, NULL);
    tp_assign(&b, &k.body, tp_ref(&b, one), tp_int(&b, 7));
    CHECK(arena && !b.failed);
    static const char *const names[] = {"cuda", "hip", "opencl"};
    for (int d = 0; arena && !b.failed && d < 3; d++) {
        const tsr_dialect *dialect = tsr_dialect_find(names[d]);
        tsr_strbuf out;
        tsr_strbuf_init(&out);
        tsr_error err = {{0}};
        CHECK_MSG(tsr_generate(&k, dialect, NULL, &out, &err) == TSR_OK, "%s", err.msg);
        size_t bytes = tsr_dynamic_shared_bytes(&k, dialect);
        if (d == 0 && out.data) {
            /* 49156 rounds up to 49168; 12 bytes of rows, then 4 of one. */
            CHECK_MSG(bytes == 49168 + 16 + 4, "%zu dynamic bytes", bytes);
            CHECK_STR_CONTAINS(out.data, "    float *big = (float *)(tsr_shared + 0);\n");
            CHECK_STR_CONTAINS(out.data,
                               "    float (*rows)[3] = (float (*)[3])(tsr_shared + 49168);\n");
            CHECK_STR_CONTAINS(out.data, "    int &one = *(int *)(tsr_shared + 49184);\n");
            CHECK_STR_CONTAINS(out.data, "    one = 7;\n");
        } else if (out.data) {
            CHECK_MSG(bytes == 0, "%s: %zu dynamic bytes", names[d], bytes);
            CHECK_STR_CONTAINS(out.data, " big[12289];\n");
            CHECK(strstr(out.data, "tsr_shared") == NULL);
        }
        tsr_strbuf_free(&out);
    }
    tsr_arena_destroy(arena);
}

/* The count rides in the rule's text as a last item, and into the launch. */
static void geometry_rule_carries_the_dynamic_shared_bytes(void)
{
    tsr_opspec *spec = hgemm_spec();
    if (!spec)
        return;
    tsr_geometry_rule rule = {
        .dims = 2, .dim = {1, 0}, .per_group = {128, 128}, .local = {64, 4}, .shared_bytes = 75776};
    char text[128];
    tsr_geometry_rule_format(spec->op, &rule, text, sizeof text);
    CHECK_MSG(strcmp(text, "n/128x64,m/128x4,shared=75776") == 0, "%s", text);
    tsr_shape shape = {{300, 200, 64, 1}};
    tsr_geometry g;
    tsr_geometry_apply(&rule, &shape, &g);
    CHECK(g.groups[0] == 2 && g.groups[1] == 3 && g.shared_bytes == 75776);
    rule.shared_bytes = 0;
    tsr_geometry_rule_format(spec->op, &rule, text, sizeof text);
    CHECK_MSG(strcmp(text, "n/128x64,m/128x4") == 0, "%s", text);
    tsr_opspec_free(spec);
}

/* Past shared_per_block only with an opt-in limit that holds the config;
 * the messages name the numbers, on one line. */
static void gemm_check_accepts_opted_in_shared_memory_where_the_profile_lists_it(void)
{
    tsr_opspec *spec = hgemm_spec();
    tsr_profile *h200 = h200_profile(true), *plain = h200_profile(false);
    if (!spec || !h200 || !plain)
        goto out;
    tsr_error err = {{0}};
    tsr_config ring32 = config_of(spec->op, RING ",BK=32");
    CHECK_MSG(spec->op->check(spec, h200, &ring32, &err) == TSR_OK, "%s", err.msg);
    CHECK(spec->op->check(spec, plain, &ring32, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "75776 bytes of shared memory exceed the profile's 49152");
    /* 256 x 256 tiles, BK=64, four stages: 282624 bytes, past 232448. */
    tsr_config huge = config_of(spec->op, "MU=1,BM=256,BN=256,BK=64,TM=4,TN=8,STRN=0,KU=1,VN=1,"
                                          "VW=8,PAD=1,PF=3");
    CHECK(spec->op->check(spec, h200, &huge, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "282624 bytes of shared memory exceed the profile's 232448");
    CHECK(strchr(err.msg, '\n') == NULL);
    /* Tiles past 128 x 128 x 32 are for the opted-in memory alone, even
     * where they would fit without it. */
    tsr_config wide = config_of(spec->op, "MU=1,BM=256,BN=64,BK=16,TM=4,TN=8,STRN=0,KU=1,VN=1,"
                                          "VW=8,PAD=1,PF=0");
    CHECK_MSG(spec->op->check(spec, h200, &wide, &err) == TSR_OK, "%s", err.msg);
    CHECK(spec->op->check(spec, plain, &wide, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "BM=256, BN=64, BK=16: tiles past 128 x 128 x 32");
out:
    tsr_profile_free(plain);
    tsr_profile_free(h200);
    tsr_opspec_free(spec);
}

int main(void)
{
    RUN_TEST(cuda_places_tiles_past_48_kib_in_dynamic_shared_memory);
    RUN_TEST(cuda_declares_tiles_within_48_kib_as_static_arrays);
    RUN_TEST(placed_arrays_start_at_16_byte_boundaries_and_scalars_are_references);
    RUN_TEST(geometry_rule_carries_the_dynamic_shared_bytes);
    RUN_TEST(gemm_check_accepts_opted_in_shared_memory_where_the_profile_lists_it);
    return check_summary();
}
