/* Device profiles: the shipped ones load with the values their sources
 * give, and every way a file can be wrong is named with its position. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"
#include "tests/check.h"

/* A minimal valid profile, in pieces so that a test can swap one out.
 * HEAD is lines 1-5, COMPUTE lines 6-9, MEMORY lines 10-11, BACKENDS 12. */
#define AFTER_NAME "description: \"d\"\nvendor: v\narch: a\n"
#define HEAD "schema: 1\nname: t\n" AFTER_NAME
#define COMPUTE                                                                                    \
    "compute:\n"                                                                                   \
    "  units: {value: 4, source: \"s\"}\n"                                                         \
    "  simd_width: {value: 32, source: \"s\"}\n"                                                   \
    "  max_work_group_size: {value: 256, source: \"s\"}\n"
/* COMPUTE with its line 7 (units) replaced. */
#define COMPUTE_REST                                                                               \
    "  simd_width: {value: 32, source: \"s\"}\n"                                                   \
    "  max_work_group_size: {value: 256, source: \"s\"}\n"
#define WITH_UNITS(line) HEAD "compute:\n" line COMPUTE_REST MEMORY BACKENDS
#define MEMORY "memory:\n  shared_per_block: {value: 49152, source: \"s\"}\n"
#define BACKENDS "backends: [opencl]\n"
#define MINIMAL HEAD COMPUTE MEMORY BACKENDS

static tsr_status parse(const char *text, tsr_profile **out, tsr_error *err)
{
    return tsr_profile_parse("t.yaml", text, strlen(text), out, err);
}

/* The text must be refused as bad input with exactly this message. */
#define CHECK_REJECTS(text, expected)                                                              \
    do {                                                                                           \
        tsr_profile *p_ = NULL;                                                                    \
        tsr_error e_ = {{0}};                                                                      \
        tsr_status s_ = parse((text), &p_, &e_);                                                   \
        CHECK(s_ == TSR_ERR_INPUT);                                                                \
        CHECK(p_ == NULL);                                                                         \
        CHECK_MSG(strcmp(e_.msg, (expected)) == 0, "got \"%s\"", e_.msg);                          \
        tsr_profile_free(p_);                                                                      \
    } while (0)

static tsr_profile *load_shipped(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/profiles/%s", check_source_root(), name);
    tsr_profile *p = NULL;
    tsr_error err = {{0}};
    tsr_status status = tsr_profile_load(path, &p, &err);
    CHECK_MSG(status == TSR_OK, "%s", err.msg);
    return p;
}

static void h100_profile_carries_datasheet_values(void)
{
    tsr_profile *p = load_shipped("nvidia-h100-sxm.yaml");
    if (!p)
        return;
    CHECK(!strcmp(p->name, "nvidia-h100-sxm"));
    CHECK(!strcmp(p->arch, "hopper"));
    CHECK(p->compute_units.value == 132);
    CHECK(p->simd_width.value == 32);
    CHECK(p->max_work_group_size.value == 1024);
    CHECK(p->max_work_item_sizes[2].value == 64 && p->max_work_item_sizes[2].present);
    CHECK(p->registers_per_unit.value == 65536 && p->registers_per_thread.value == 255);
    CHECK(p->shared_per_block.value == 48 * 1024);
    CHECK(p->shared_per_block_optin.value == 227 * 1024);
    CHECK(p->subgroup_sizes[0].value == 32 && !p->subgroup_sizes[1].present);
    CHECK(p->register_granularity.value == 8 && p->max_threads_per_unit.value == 2048);
    CHECK(p->shared_per_unit.value == 228 * 1024);
    CHECK(p->l2_bytes.value == 50 * 1024 * 1024);
    CHECK(p->bandwidth_gbs.value == 3350);
    CHECK(p->clock_boost_mhz.value == 1980);
    CHECK(!p->clock_base_mhz.present);
    CHECK(p->peak_gflops[TSR_F32].value == 67000);
    CHECK(p->peak_gflops[TSR_TF32].value == 494500);
    CHECK(!p->peak_gflops[TSR_I32].present);
    CHECK_STR_CONTAINS(p->peak_gflops[TSR_F16].source, "datasheet");
    CHECK_STR_CONTAINS(p->shared_per_block_optin.source, "opt-in");
    CHECK(p->n_matrix_units == 7);
    if (p->n_matrix_units == 7) {
        const tsr_matrix_unit *w = &p->matrix_units[4];
        CHECK(!strcmp(w->kind, "wgmma") && w->m == 64 && w->n == 256 && w->k == 16);
        CHECK(w->a_type == TSR_F16 && w->acc_type == TSR_F32);
        CHECK(p->matrix_units[2].a_type == TSR_TF32 && p->matrix_units[2].k == 8);
        CHECK(!p->matrix_units[2].gflops.present);
        /* FP64 on the tensor cores, at its own rate beside the FMAs'. */
        const tsr_matrix_unit *d = &p->matrix_units[3];
        CHECK(!strcmp(d->kind, "mma") && d->k == 8 && d->a_type == TSR_F64);
        CHECK(d->acc_type == TSR_F64 && d->gflops.present && d->gflops.value == 67000);
        CHECK_STR_CONTAINS(d->gflops.source, "FP64 Tensor Core");
        CHECK(tsr_profile_mma_m16n8(p, 8, TSR_F64) == d);
        CHECK(tsr_profile_mma_m16n8(p, 16, TSR_F64) == NULL);
        /* The warpgroup's tf32 unit, k = 8, K-major operands only. */
        const tsr_matrix_unit *t = &p->matrix_units[6];
        CHECK(!strcmp(t->kind, "wgmma") && t->k == 8 && t->a_type == TSR_TF32);
        CHECK_STR_CONTAINS(t->source, "K-major");
    }
    CHECK(p->features == (TSR_FEAT_SUBGROUP_SHUFFLE | TSR_FEAT_ASYNC_COPY | TSR_FEAT_FP16 |
                          TSR_FEAT_FP64 | TSR_FEAT_INLINE_PTX | TSR_FEAT_TMA));
    CHECK(p->backends == (TSR_BACKEND_CUDA | TSR_BACKEND_OPENCL));
    CHECK(p->offline_compiler && !strcmp(p->offline_compiler, "nvcc"));
    CHECK(p->offline_target && !strcmp(p->offline_target, "sm_90a"));
    CHECK(p->n_match == 2);
    if (p->n_match == 2) {
        CHECK(!strcmp(p->match[0].backend, "cuda"));
        CHECK_STR_CONTAINS(p->match[1].name, "H100");
    }
    tsr_profile_free(p);
}

static void pocl_profile_carries_clinfo_values(void)
{
    tsr_profile *p = load_shipped("pocl-cpu.yaml");
    if (!p)
        return;
    CHECK(!strcmp(p->name, "pocl-cpu"));
    CHECK(p->max_work_group_size.value == 4096);
    CHECK(p->max_work_item_sizes[0].value == 4096);
    CHECK(p->shared_per_block.value == 128 * 1024);
    CHECK(p->simd_width.value == 16);
    CHECK(p->preferred_vector_width.value == 16);
    CHECK(p->clock_boost_mhz.value == 2599);
    CHECK_STR_CONTAINS(p->compute_units.source, "clinfo");
    CHECK(p->features == (TSR_FEAT_FP64 | TSR_FEAT_CPU));
    CHECK(p->backends == TSR_BACKEND_OPENCL);
    CHECK(p->offline_compiler == NULL);
    CHECK(p->n_match >= 1);
    if (p->n_match >= 1)
        CHECK_STR_CONTAINS(p->match[0].name, "pthread");
    tsr_profile_free(p);
}

static void minimal_profile_leaves_optional_fields_absent(void)
{
    tsr_profile *p = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(parse(MINIMAL, &p, &err) == TSR_OK, "%s", err.msg);
    if (!p)
        return;
    CHECK(p->schema == 1 && !strcmp(p->path, "t.yaml"));
    CHECK(p->compute_units.present && p->compute_units.value == 4);
    CHECK(!strcmp(p->compute_units.source, "s"));
    CHECK(!p->registers_per_unit.present && !p->l2_bytes.present);
    CHECK(tsr_profile_value(&p->l2_bytes, 123.0) == 123.0);
    CHECK(tsr_profile_value(&p->compute_units, 123.0) == 4.0);
    CHECK(p->n_matrix_units == 0 && p->n_match == 0 && p->features == 0);
    tsr_profile_free(p);
}

static void unknown_key_is_named_with_the_keys_expected(void)
{
    CHECK_REJECTS(HEAD COMPUTE "  foo: {value: 1, source: \"s\"}\n" MEMORY BACKENDS,
                  "t.yaml:10:3: unknown key 'foo' in compute (expected one of: units, "
                  "simd_width, max_work_group_size, max_work_item_sizes, clock_base_mhz, "
                  "clock_boost_mhz, preferred_vector_width, max_threads_per_unit, "
                  "max_blocks_per_unit, subgroup_sizes, launch_latency_us)");
    CHECK_REJECTS(MINIMAL "colour: red\n",
                  "t.yaml:13:1: unknown key 'colour' in the profile (expected one of: schema, "
                  "name, description, vendor, arch, compute, registers, memory, peak_gflops, "
                  "matrix_units, features, backends, offline, match, base)");
    CHECK_REJECTS(WITH_UNITS("  units: {value: 4, source: \"s\", unit: x}\n"),
                  "t.yaml:7:34: unknown key 'unit' in compute.units (expected one of: value, "
                  "source)");
}

static void wrong_type_says_what_was_expected_and_got(void)
{
    CHECK_REJECTS(WITH_UNITS("  units: {value: [4], source: \"s\"}\n"),
                  "t.yaml:7:18: compute.units: expected an integer, got a sequence");
    CHECK_REJECTS(WITH_UNITS("  units: 4\n"),
                  "t.yaml:7:10: compute.units: expected {value: N, source: \"...\"}, got '4'");
    CHECK_REJECTS(HEAD COMPUTE MEMORY "  bandwidth_gbs: {value: [1], source: \"s\"}\n" BACKENDS,
                  "t.yaml:12:26: memory.bandwidth_gbs: expected a number, got a sequence");
    CHECK_REJECTS(HEAD COMPUTE MEMORY "  bandwidth_gbs: {value: fast, source: \"s\"}\n" BACKENDS,
                  "t.yaml:12:26: memory.bandwidth_gbs: expected a number, got 'fast'");
    CHECK_REJECTS(HEAD "compute: [1]\n" MEMORY BACKENDS,
                  "t.yaml:6:10: compute: expected a mapping, got a sequence");
    CHECK_REJECTS(HEAD "compute:\n" MEMORY BACKENDS,
                  "t.yaml:6:9: compute: expected a mapping, got null");
}

static void integers_are_strict(void)
{
    CHECK_REJECTS(WITH_UNITS("  units: {value: 12abc, source: \"s\"}\n"),
                  "t.yaml:7:18: compute.units: expected an integer, got '12abc'");
    CHECK_REJECTS(WITH_UNITS("  units: {value: 1.5, source: \"s\"}\n"),
                  "t.yaml:7:18: compute.units: expected an integer, got '1.5'");
    /* YAML 1.1 would read 010 as octal 8. */
    CHECK_REJECTS(WITH_UNITS("  units: {value: 010, source: \"s\"}\n"),
                  "t.yaml:7:18: compute.units: expected an integer, got '010'");
    CHECK_REJECTS(WITH_UNITS("  units: {value: \"4\", source: \"s\"}\n"),
                  "t.yaml:7:18: compute.units: expected an integer, got the quoted string '4'");
    CHECK_REJECTS(WITH_UNITS("  units: {value: 99999999999999999999, source: \"s\"}\n"),
                  "t.yaml:7:18: compute.units: integer '99999999999999999999' is too large");
}

static void out_of_range_names_the_range(void)
{
    CHECK_REJECTS(WITH_UNITS("  units: {value: 0, source: \"s\"}\n"),
                  "t.yaml:7:18: compute.units: 0 is out of range 1..100000");
    CHECK_REJECTS(HEAD "compute:\n  units: {value: 4, source: \"s\"}\n"
                       "  simd_width: {value: 24, source: \"s\"}\n"
                       "  max_work_group_size: {value: 256, source: \"s\"}\n" MEMORY BACKENDS,
                  "t.yaml:8:23: compute.simd_width: 24 is not a power of two");
    CHECK_REJECTS(HEAD COMPUTE
                  "  preferred_vector_width: {value: 3, source: \"s\"}\n" MEMORY BACKENDS,
                  "t.yaml:10:35: compute.preferred_vector_width: 3 is not one of 1, 2, 4, 8, 16");
    CHECK_REJECTS(HEAD COMPUTE MEMORY "  bandwidth_gbs: {value: 0, source: \"s\"}\n" BACKENDS,
                  "t.yaml:12:26: memory.bandwidth_gbs: 0 is out of range: must be above 0 and "
                  "at most 1e+06");
    CHECK_REJECTS(HEAD COMPUTE MEMORY "  bandwidth_gbs: {value: 1e999, source: \"s\"}\n" BACKENDS,
                  "t.yaml:12:26: memory.bandwidth_gbs: number '1e999' is too large");
    CHECK_REJECTS(HEAD COMPUTE
                  "  max_work_item_sizes: {value: [1, 2], source: \"s\"}\n" MEMORY BACKENDS,
                  "t.yaml:10:32: compute.max_work_item_sizes: expected 3 integers, got 2");
    CHECK_REJECTS(HEAD COMPUTE
                  "  max_work_item_sizes: {value: [1, 0, 1], source: \"s\"}\n" MEMORY BACKENDS,
                  "t.yaml:10:36: compute.max_work_item_sizes[1]: 0 is out of range 1..2147483647");
}

static void missing_required_key_is_reported_at_its_mapping(void)
{
    CHECK_REJECTS(HEAD "compute:\n  units: {value: 4, source: \"s\"}\n" MEMORY BACKENDS,
                  "t.yaml:7:3: missing required key 'simd_width' in compute");
    CHECK_REJECTS(HEAD COMPUTE BACKENDS,
                  "t.yaml:1:1: missing required key 'memory' in the profile");
    CHECK_REJECTS("name: t\n", "t.yaml:1:1: missing required key 'schema' in the profile");
}

static void source_is_required_and_not_empty(void)
{
    CHECK_REJECTS(WITH_UNITS("  units: {value: 4}\n"),
                  "t.yaml:7:10: missing required key 'source' in compute.units");
    CHECK_REJECTS(WITH_UNITS("  units: {value: 4, source: \"\"}\n"),
                  "t.yaml:7:29: compute.units.source: must not be empty");
    CHECK_REJECTS(WITH_UNITS("  units: {value: 4, source: }\n"),
                  "t.yaml:7:29: compute.units.source: expected a string, got null");
}

static void unsupported_schema_version_lists_the_supported_one(void)
{
    CHECK_REJECTS("schema: 2\nname: t\nwhatever: 1\n",
                  "t.yaml:1:9: schema: version 2 is not supported (supported: 1)");
}

static void duplicate_key_points_at_the_repeat_and_the_first(void)
{
    CHECK_REJECTS(HEAD "compute:\n  units: {value: 4, source: \"s\"}\n"
                       "  units: {value: 5, source: \"s\"}\n" COMPUTE_REST MEMORY BACKENDS,
                  "t.yaml:8:3: duplicate key 'units' in compute (first at 7:3)");
}

static void aliases_and_anchors_are_refused(void)
{
    CHECK_REJECTS(HEAD "compute: &c\n  units: {value: 4, source: \"s\"}\nmemory: *c\n",
                  "t.yaml:6:10: aliases are not allowed (anchor '&c')");
    CHECK_REJECTS("schema: 1\nname: *n\n", "t.yaml:2:7: aliases are not allowed ('*n')");
}

static void deep_nesting_is_refused(void)
{
    char text[256] = "schema: ";
    for (int i = 0; i < 40; i++)
        strcat(text, "[");
    for (int i = 0; i < 40; i++)
        strcat(text, "]");
    strcat(text, "\n");
    /* The top-level mapping is level 1, so the 32nd '[' (column 9 + 31)
     * opens level 33. */
    CHECK_REJECTS(text, "t.yaml:1:40: nesting deeper than 32 levels");
}

static void nul_byte_in_a_scalar_is_refused(void)
{
    CHECK_REJECTS("schema: 1\nname: \"a\\0b\"\n", "t.yaml:2:7: scalar contains a NUL byte");
    /* A raw NUL byte never reaches a scalar: the reader stops at it. */
    tsr_profile *p = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_profile_parse("t.yaml", "schema: 1\nn\0: 1\n", 16, &p, &err) == TSR_ERR_INPUT);
    CHECK_MSG(!strcmp(err.msg, "t.yaml:2:2: control characters are not allowed"), "got %s",
              err.msg);
}

static void malformed_yaml_reports_libyaml_position(void)
{
    CHECK_REJECTS("schema: 1\nname: [t\n",
                  "t.yaml:3:1: did not find expected ',' or ']' (while parsing a flow sequence "
                  "at 2:7)");
    CHECK_REJECTS("schema: 1\nname: a: b\n",
                  "t.yaml:2:8: mapping values are not allowed in this context");
}

static void empty_and_non_mapping_documents_are_refused(void)
{
    CHECK_REJECTS("", "t.yaml:1:1: empty document (expected a device profile: a mapping)");
    CHECK_REJECTS("# nothing\n",
                  "t.yaml:1:1: empty document (expected a device profile: a mapping)");
    CHECK_REJECTS("- schema\n- 1\n",
                  "t.yaml:1:1: expected a device profile (a mapping) at the top level, got a "
                  "sequence");
    CHECK_REJECTS("schema: 1\n---\nschema: 1\n",
                  "t.yaml:2:1: multiple documents are not allowed (one per file)");
}

static void unknown_feature_backend_and_dtype_are_refused(void)
{
    CHECK_REJECTS(
        MINIMAL "features: [fp16, warp_magic]\n",
        "t.yaml:13:18: features: unknown value 'warp_magic' (expected one of: "
        "subgroup_shuffle, async_copy, fp16, fp64, inline_ptx, tma, subgroup_matrix, cpu)");
    CHECK_REJECTS(MINIMAL "features: [fp16, fp16]\n",
                  "t.yaml:13:18: features: 'fp16' is listed twice");
    CHECK_REJECTS(HEAD COMPUTE MEMORY "backends: [metal]\n",
                  "t.yaml:12:12: backends: unknown value 'metal' (expected one of: opencl, "
                  "cuda, hip)");
    CHECK_REJECTS(HEAD COMPUTE MEMORY "backends: []\n",
                  "t.yaml:12:11: backends: at least one backend is required (opencl, cuda, "
                  "hip)");
    CHECK_REJECTS(MINIMAL "peak_gflops:\n  f8: {value: 1, source: \"s\"}\n",
                  "t.yaml:14:3: unknown key 'f8' in peak_gflops (expected one of: f32, f64, "
                  "f16, bf16, tf32, i8, i32)");
    CHECK_REJECTS(MINIMAL "matrix_units:\n"
                          "  - {kind: mma, shape: [16, 8, 16], a: f8, acc: f32, source: \"s\"}\n",
                  "t.yaml:14:40: matrix_units[0].a: unknown value 'f8' (expected one of: f32, "
                  "f64, f16, bf16, tf32, i8, i32)");
    /* A unit's own rate is optional, a quantity like any other. */
    CHECK_REJECTS(MINIMAL "matrix_units:\n"
                          "  - {kind: mma, shape: [16, 8, 8], a: f64, acc: f64, gflops: 5, "
                          "source: \"s\"}\n",
                  "t.yaml:14:62: matrix_units[0].gflops: expected {value: N, source: \"...\"}, "
                  "got '5'");
    CHECK_REJECTS(MINIMAL "matrix_units:\n"
                          "  - {kind: mma, shape: [16, 8, 8], a: f64, acc: f64, rate: 5, "
                          "source: \"s\"}\n",
                  "t.yaml:14:54: unknown key 'rate' in matrix_units[0] (expected one of: kind, "
                  "shape, a, acc, source, gflops)");
}

static void match_rules_need_a_listed_backend(void)
{
    CHECK_REJECTS(MINIMAL "match:\n  - {name: \"x\"}\n",
                  "t.yaml:14:5: missing required key 'backend' in match[0]");
    CHECK_REJECTS(MINIMAL "match:\n  - {backend: cuda, name: \"x\"}\n",
                  "t.yaml:14:15: match[0].backend: backend cuda is not listed in backends");
}

static void names_must_be_identifier_safe(void)
{
    CHECK_REJECTS("schema: 1\nname: \"../evil name\"\n" AFTER_NAME COMPUTE MEMORY BACKENDS,
                  "t.yaml:2:7: name: '../evil name' is not a valid name (use letters, digits, "
                  "'_', '.', '-')");
}

static void shared_per_block_cannot_exceed_shared_per_unit(void)
{
    CHECK_REJECTS(HEAD COMPUTE MEMORY "  shared_per_unit: {value: 1024, source: \"s\"}\n" BACKENDS,
                  "t.yaml:11:3: memory.shared_per_block (49152) exceeds memory.shared_per_unit "
                  "(1024)");
}

static void oversized_input_is_refused(void)
{
    size_t len = 1024 * 1024 + 1;
    char *text = malloc(len);
    if (!text)
        return;
    memset(text, '#', len);
    tsr_profile *p = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_profile_parse("t.yaml", text, len, &p, &err) == TSR_ERR_INPUT);
    CHECK(!strcmp(err.msg, "t.yaml:1:1: file is larger than 1 MiB"));
    free(text);
}

static void missing_file_is_an_io_error(void)
{
    tsr_profile *p = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_profile_load("/nonexistent/p.yaml", &p, &err) == TSR_ERR_IO);
    CHECK(p == NULL);
    CHECK_STR_CONTAINS(err.msg, "/nonexistent/p.yaml: cannot open");
}

static bool same_quantity(const tsr_quantity *a, const tsr_quantity *b)
{
    if (a->present != b->present)
        return false;
    return !a->present || (a->value == b->value && !strcmp(a->source, b->source));
}

/* The formatted text is itself a valid profile with the same content, so
 * nothing is lost or misprinted. */
static void format_prints_every_source_and_reads_back(void)
{
    tsr_profile *p = load_shipped("nvidia-h100-sxm.yaml");
    if (!p)
        return;
    char *text = tsr_profile_format(p);
    CHECK(text != NULL);
    CHECK_STR_CONTAINS(text, "units: {value: 132, source: \"whitepaper: 132 SMs");
    CHECK_STR_CONTAINS(text, "max_work_item_sizes: {value: [1024, 1024, 64], source:");
    CHECK_STR_CONTAINS(text, "# clock_base_mhz: not given");
    CHECK_STR_CONTAINS(text, "offline: {compiler: nvcc, target: sm_90a}");
    tsr_profile *q = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(text && tsr_profile_parse("again.yaml", text, strlen(text), &q, &err) == TSR_OK, "%s",
              err.msg);
    if (q) {
        const tsr_quantity *a[] = {&p->compute_units,         &p->simd_width,
                                   &p->max_work_group_size,   &p->max_work_item_sizes[2],
                                   &p->clock_boost_mhz,       &p->preferred_vector_width,
                                   &p->registers_per_thread,  &p->shared_per_block,
                                   &p->global_bytes,          &p->bandwidth_gbs,
                                   &p->peak_gflops[TSR_TF32], &p->clock_base_mhz};
        const tsr_quantity *b[] = {&q->compute_units,         &q->simd_width,
                                   &q->max_work_group_size,   &q->max_work_item_sizes[2],
                                   &q->clock_boost_mhz,       &q->preferred_vector_width,
                                   &q->registers_per_thread,  &q->shared_per_block,
                                   &q->global_bytes,          &q->bandwidth_gbs,
                                   &q->peak_gflops[TSR_TF32], &q->clock_base_mhz};
        for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
            CHECK_MSG(same_quantity(a[i], b[i]), "quantity %zu differs", i);
        CHECK(!strcmp(p->description, q->description));
        CHECK(q->n_matrix_units == p->n_matrix_units && q->n_match == p->n_match);
        CHECK(q->features == p->features && q->backends == p->backends);
        CHECK(q->n_match == 2 && !strcmp(q->match[1].vendor, p->match[1].vendor));
    }
    tsr_profile_free(q);
    free(text);
    tsr_profile_free(p);
}

static void format_escapes_quotes_in_strings(void)
{
    tsr_profile *p = NULL, *q = NULL;
    tsr_error err = {{0}};
    const char *text = "schema: 1\nname: t\ndescription: \"say \\\"hi\\\"\\n\\\\\"\n"
                       "vendor: v\narch: a\n" COMPUTE MEMORY BACKENDS;
    CHECK_MSG(parse(text, &p, &err) == TSR_OK, "%s", err.msg);
    char *out = p ? tsr_profile_format(p) : NULL;
    CHECK_STR_CONTAINS(out, "description: \"say \\\"hi\\\"\\x0a\\\\\"");
    CHECK(out && parse(out, &q, &err) == TSR_OK);
    CHECK(q && !strcmp(q->description, "say \"hi\"\n\\"));
    free(out);
    tsr_profile_free(q);
    tsr_profile_free(p);
}

static void feature_names_match_the_schema(void)
{
    CHECK(!strcmp(tsr_feature_name(TSR_FEAT_SUBGROUP_SHUFFLE), "subgroup_shuffle"));
    CHECK(!strcmp(tsr_feature_name(TSR_FEAT_TMA), "tma"));
    CHECK(!strcmp(tsr_feature_name(TSR_FEAT_SUBGROUP_MATRIX), "subgroup_matrix"));
    CHECK(tsr_feature_name((tsr_feature)(TSR_FEAT_FP16 | TSR_FEAT_FP64)) == NULL);
}

/* ---- new quantities and inheritance ------------------------------------------- */

static void subgroup_sizes_are_rising_powers_of_two(void)
{
    const char *good =
        HEAD COMPUTE "  subgroup_sizes: {value: [8, 16, 32], source: \"s\"}\n" MEMORY BACKENDS;
    tsr_profile *p = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(parse(good, &p, &err) == TSR_OK, "%s", err.msg);
    if (p) {
        CHECK(p->subgroup_sizes[0].value == 8 && p->subgroup_sizes[2].value == 32);
        CHECK(p->subgroup_sizes[2].present && !p->subgroup_sizes[3].present);
        CHECK(strcmp(p->subgroup_sizes[1].source, "s") == 0);
    }
    tsr_profile_free(p);
    CHECK_REJECTS(HEAD COMPUTE
                  "  subgroup_sizes: {value: [16, 12], source: \"s\"}\n" MEMORY BACKENDS,
                  "t.yaml:10:32: compute.subgroup_sizes: 12 is not a power of two");
    CHECK_REJECTS(HEAD COMPUTE
                  "  subgroup_sizes: {value: [32, 16], source: \"s\"}\n" MEMORY BACKENDS,
                  "t.yaml:10:32: compute.subgroup_sizes: sizes must rise, 16 follows 32");
    CHECK_REJECTS(HEAD COMPUTE
                  "  subgroup_sizes: {value: [1, 2, 4, 8, 16], source: \"s\"}\n" MEMORY BACKENDS,
                  "t.yaml:10:27: compute.subgroup_sizes: expected 1 to 4 sizes, got 5");
}

static char temp_dir[64];

static void write_text(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", temp_dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static tsr_status load_temp(const char *name, tsr_profile **out, tsr_error *err)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", temp_dir, name);
    return tsr_profile_load(path, out, err);
}

#define BASE_PROFILE                                                                               \
    "schema: 1\nname: parent\ndescription: \"the parent\"\nvendor: v\narch: a\n" COMPUTE           \
    "  clock_boost_mhz: {value: 2000, source: \"datasheet\"}\n" MEMORY                             \
    "peak_gflops:\n  f32: {value: 1000, source: \"datasheet\"}\n"                                  \
    "matrix_units:\n  - {kind: mma, shape: [16, 8, 16], a: f16, acc: f32, source: \"isa\"}\n"      \
    "features: [fp16, fp64]\nbackends: [cuda, opencl]\noffline: {compiler: nvcc, target: sm_90}\n" \
    "match:\n  - {backend: cuda, name: \"Parent GPU\"}\n"

static void a_variant_inherits_what_it_leaves_out(void)
{
    write_text("parent.yaml", BASE_PROFILE);
    write_text("child.yaml", "schema: 1\nname: child\nbase: parent\ncompute:\n"
                             "  clock_boost_mhz: {value: 1600, source: \"capped\"}\n"
                             "features: [fp16]\n");
    tsr_profile *p = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(load_temp("child.yaml", &p, &err) == TSR_OK, "%s", err.msg);
    if (!p)
        return;
    CHECK(strcmp(p->name, "child") == 0 && strcmp(p->base, "parent") == 0);
    CHECK(strcmp(p->description, "the parent") == 0);
    CHECK(p->clock_boost_mhz.value == 1600 && strcmp(p->clock_boost_mhz.source, "capped") == 0);
    CHECK(p->compute_units.value == 4 && strcmp(p->compute_units.source, "s") == 0);
    CHECK(p->shared_per_block.value == 49152);
    CHECK(p->peak_gflops[TSR_F32].value == 1000);
    CHECK(p->n_matrix_units == 1 && p->matrix_units[0].m == 16);
    CHECK(p->features == TSR_FEAT_FP16); /* a list it gives replaces the base's */
    CHECK(p->backends == (TSR_BACKEND_CUDA | TSR_BACKEND_OPENCL));
    CHECK(p->offline_compiler && strcmp(p->offline_target, "sm_90") == 0);
    CHECK(p->n_match == 0); /* never inherited: the variant names its own devices */
    /* What it prints stands alone and reads back the same. */
    char *text = tsr_profile_format(p);
    tsr_profile *again = NULL;
    CHECK(text && tsr_profile_parse("again.yaml", text, strlen(text), &again, &err) == TSR_OK);
    CHECK(again && again->clock_boost_mhz.value == 1600 && again->compute_units.value == 4);
    free(text);
    tsr_profile_free(again);
    tsr_profile_free(p);
}

static void broken_bases_are_named(void)
{
    tsr_profile *p = NULL;
    tsr_error err = {{0}};
    write_text("orphan.yaml", "schema: 1\nname: orphan\nbase: nowhere\n");
    CHECK(load_temp("orphan.yaml", &p, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "orphan.yaml:3:7: base: no profile 'nowhere' (looked for ");
    write_text("self.yaml", "schema: 1\nname: self\nbase: self\n");
    CHECK(load_temp("self.yaml", &p, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "self.yaml:3:7: base: profile self cannot be its own base");
    write_text("ping.yaml", "schema: 1\nname: ping\nbase: pong\n");
    write_text("pong.yaml", "schema: 1\nname: pong\nbase: ping\n");
    CHECK(load_temp("ping.yaml", &p, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "chain of bases (do they loop?)");
    /* An error in the base names the base's own file and line. */
    write_text("bad-parent.yaml",
               "schema: 1\nname: bad-parent\ndescription: d\nvendor: v\n"
               "arch: a\ncompute:\n  units: {value: -1, source: s}\n"
               "  simd_width: {value: 32, source: s}\n"
               "  max_work_group_size: {value: 256, source: s}\n" MEMORY BACKENDS);
    write_text("kid.yaml", "schema: 1\nname: kid\nbase: bad-parent\n");
    CHECK(load_temp("kid.yaml", &p, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "bad-parent.yaml:7:18: compute.units: -1 is out of range");
    /* Without a base, the required keys are required. */
    CHECK_REJECTS("schema: 1\nname: alone\n",
                  "t.yaml:1:1: missing required key 'description' in the profile");
    /* A variant's own values are checked against what it inherits. */
    write_text("parent.yaml", BASE_PROFILE);
    write_text("greedy.yaml", "schema: 1\nname: greedy\nbase: parent\nmemory:\n"
                              "  shared_per_unit: {value: 1024, source: s}\n");
    CHECK(load_temp("greedy.yaml", &p, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "shared_per_block (49152) exceeds memory.shared_per_unit (1024)");
    CHECK(p == NULL);
}

int main(void)
{
    RUN_TEST(h100_profile_carries_datasheet_values);
    RUN_TEST(pocl_profile_carries_clinfo_values);
    RUN_TEST(minimal_profile_leaves_optional_fields_absent);
    RUN_TEST(unknown_key_is_named_with_the_keys_expected);
    RUN_TEST(wrong_type_says_what_was_expected_and_got);
    RUN_TEST(integers_are_strict);
    RUN_TEST(out_of_range_names_the_range);
    RUN_TEST(missing_required_key_is_reported_at_its_mapping);
    RUN_TEST(source_is_required_and_not_empty);
    RUN_TEST(unsupported_schema_version_lists_the_supported_one);
    RUN_TEST(duplicate_key_points_at_the_repeat_and_the_first);
    RUN_TEST(aliases_and_anchors_are_refused);
    RUN_TEST(deep_nesting_is_refused);
    RUN_TEST(nul_byte_in_a_scalar_is_refused);
    RUN_TEST(malformed_yaml_reports_libyaml_position);
    RUN_TEST(empty_and_non_mapping_documents_are_refused);
    RUN_TEST(unknown_feature_backend_and_dtype_are_refused);
    RUN_TEST(match_rules_need_a_listed_backend);
    RUN_TEST(names_must_be_identifier_safe);
    RUN_TEST(shared_per_block_cannot_exceed_shared_per_unit);
    RUN_TEST(oversized_input_is_refused);
    RUN_TEST(missing_file_is_an_io_error);
    RUN_TEST(format_prints_every_source_and_reads_back);
    RUN_TEST(format_escapes_quotes_in_strings);
    RUN_TEST(feature_names_match_the_schema);
    RUN_TEST(subgroup_sizes_are_rising_powers_of_two);
    snprintf(temp_dir, sizeof temp_dir, "/tmp/tsr_profile_XXXXXX");
    if (!mkdtemp(temp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN_TEST(a_variant_inherits_what_it_leaves_out);
    RUN_TEST(broken_bases_are_named);
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", temp_dir);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", temp_dir);
    return check_summary();
}
