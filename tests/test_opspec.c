/* Op specs: the shipped ones load, every malformed spec is named with its
 * position, and shapes and keys have one text form each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/op.h"
#include "core/opspec.h"
#include "tests/check.h"

/* Lines 1-4, then "shapes:" on line 5 and the first shape on line 6. */
#define HEAD "schema: 1\nname: g\nop: gemm\ndtype: f32\n"
#define SHAPES "shapes:\n  - {m: 7, n: 13, k: 17}\n"

static tsr_status parse(const char *text, tsr_opspec **out, tsr_error *err)
{
    return tsr_opspec_parse("t.yaml", text, strlen(text), out, err);
}

#define CHECK_REJECTS(text, expected)                                                              \
    do {                                                                                           \
        tsr_opspec *s_ = NULL;                                                                     \
        tsr_error e_ = {{0}};                                                                      \
        tsr_status st_ = parse((text), &s_, &e_);                                                  \
        CHECK(st_ == TSR_ERR_INPUT);                                                               \
        CHECK(s_ == NULL);                                                                         \
        CHECK_MSG(strcmp(e_.msg, (expected)) == 0, "got \"%s\"", e_.msg);                          \
        tsr_opspec_free(s_);                                                                       \
    } while (0)

#define CHECK_SHAPE_REJECTED(op, text, expected)                                                   \
    do {                                                                                           \
        tsr_shape sh_;                                                                             \
        tsr_error e_ = {{0}};                                                                      \
        CHECK(tsr_shape_parse((op), (text), &sh_, &e_) == TSR_ERR_INPUT);                          \
        CHECK_MSG(strcmp(e_.msg, (expected)) == 0, "got \"%s\"", e_.msg);                          \
    } while (0)

static tsr_opspec *load_shipped(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/ops/%s", check_source_root(), name);
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_load(path, &spec, &err) == TSR_OK, "%s", err.msg);
    return spec;
}

static void shipped_sgemm_tunes_three_square_row_major_shapes(void)
{
    tsr_opspec *spec = load_shipped("sgemm.yaml");
    if (!spec)
        return;
    CHECK(!strcmp(spec->name, "sgemm-nn") && !strcmp(spec->op->name, "gemm"));
    CHECK(spec->dtype == TSR_F32 && spec->schema == 1);
    CHECK(spec->layout_a == TSR_ROW_MAJOR && spec->layout_b == TSR_ROW_MAJOR);
    CHECK(spec->alpha == 1.0 && spec->beta == 0.0);
    CHECK(spec->n_shapes == 3);
    if (spec->n_shapes == 3)
        CHECK(spec->shapes[2].dim[0] == 2048 && spec->shapes[2].dim[2] == 2048);
    CHECK(!strcmp(tsr_opspec_key(spec), "gemm.f32.a=row.b=row.beta=0"));
    tsr_opspec_free(spec);
}

static void shipped_transposed_specs_accumulate_into_c(void)
{
    tsr_opspec *tn = load_shipped("sgemm-tn.yaml");
    tsr_opspec *nt = load_shipped("sgemm-nt.yaml");
    if (tn) {
        CHECK(tn->layout_a == TSR_COL_MAJOR && tn->layout_b == TSR_ROW_MAJOR);
        CHECK(!strcmp(tsr_opspec_key(tn), "gemm.f32.a=col.b=row.beta=1"));
        CHECK(tn->n_shapes >= 2);
    }
    if (nt) {
        CHECK(nt->layout_a == TSR_ROW_MAJOR && nt->layout_b == TSR_COL_MAJOR);
        CHECK(!strcmp(tsr_opspec_key(nt), "gemm.f32.a=row.b=col.beta=1"));
        /* At least one shape is ragged: not a multiple of 16 anywhere. */
        bool ragged = false;
        for (size_t i = 0; i < nt->n_shapes; i++)
            ragged = ragged || nt->shapes[i].dim[0] % 16 != 0;
        CHECK(ragged);
    }
    tsr_opspec_free(tn);
    tsr_opspec_free(nt);
}

static void shipped_softmax_uses_rows_and_cols(void)
{
    tsr_opspec *spec = load_shipped("softmax.yaml");
    if (!spec)
        return;
    CHECK(!strcmp(spec->op->name, "softmax"));
    CHECK(spec->n_shapes == 2);
    if (spec->n_shapes == 2)
        CHECK(spec->shapes[0].dim[0] == 4096 && spec->shapes[0].dim[1] == 1000);
    CHECK(!strcmp(tsr_opspec_key(spec), "softmax.f32"));
    tsr_opspec_free(spec);
}

static void gemm_section_defaults_to_row_major_alpha_one_beta_zero(void)
{
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(parse(HEAD SHAPES, &spec, &err) == TSR_OK, "%s", err.msg);
    if (!spec)
        return;
    CHECK(spec->layout_a == TSR_ROW_MAJOR && spec->layout_b == TSR_ROW_MAJOR);
    CHECK(spec->alpha == 1.0 && spec->beta == 0.0);
    CHECK(spec->n_shapes == 1 && spec->shapes[0].dim[1] == 13);
    CHECK(!strcmp(spec->path, "t.yaml"));
    tsr_opspec_free(spec);
}

/* alpha is a kernel argument: two specs differing only in it share a key;
 * beta being non-zero changes the kernel. */
static void key_ignores_alpha_but_not_whether_beta_is_zero(void)
{
    tsr_opspec *a = NULL, *b = NULL, *c = NULL;
    tsr_error err = {{0}};
    CHECK(parse(HEAD "gemm: {alpha: 2.5, b: col}\n" SHAPES, &a, &err) == TSR_OK);
    CHECK(parse(HEAD "gemm: {alpha: -1, b: col}\n" SHAPES, &b, &err) == TSR_OK);
    CHECK(parse(HEAD "gemm: {beta: 0.5, b: col}\n" SHAPES, &c, &err) == TSR_OK);
    if (a && b && c) {
        CHECK(a->alpha == 2.5 && b->alpha == -1.0 && c->beta == 0.5);
        CHECK(!strcmp(tsr_opspec_key(a), tsr_opspec_key(b)));
        CHECK(!strcmp(tsr_opspec_key(a), "gemm.f32.a=row.b=col.beta=0"));
        CHECK(!strcmp(tsr_opspec_key(c), "gemm.f32.a=row.b=col.beta=1"));
    }
    tsr_opspec_free(a);
    tsr_opspec_free(b);
    tsr_opspec_free(c);
}

/* The epilogue's parts follow the key of the plain spec, each only when
 * used, in one order; the key of a spec without them is what it was. */
static void epilogue_appends_its_parts_to_the_key(void)
{
    static const struct {
        const char *gemm, *key;
    } cases[] = {
        {"{a: row}", "gemm.f32.a=row.b=row.beta=0"},
        {"{bias: none, activation: none, residual: false}", "gemm.f32.a=row.b=row.beta=0"},
        {"{bias: row}", "gemm.f32.a=row.b=row.beta=0.bias=row"},
        {"{activation: relu, beta: 2}", "gemm.f32.a=row.b=row.beta=1.act=relu"},
        {"{residual: true, b: col}", "gemm.f32.a=row.b=col.beta=0.res=1"},
        {"{residual: true, activation: gelu, bias: col}",
         "gemm.f32.a=row.b=row.beta=0.bias=col.act=gelu.res=1"},
        {"{bias: row, activation: silu}", "gemm.f32.a=row.b=row.beta=0.bias=row.act=silu"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, HEAD "gemm: %s\n" SHAPES, cases[i].gemm);
        tsr_opspec *spec = NULL;
        tsr_error err = {{0}};
        CHECK_MSG(parse(text, &spec, &err) == TSR_OK, "%s", err.msg);
        if (spec)
            CHECK_MSG(!strcmp(tsr_opspec_key(spec), cases[i].key), "%s: got %s", cases[i].gemm,
                      tsr_opspec_key(spec));
        tsr_opspec_free(spec);
    }
}

static void shipped_fused_and_batched_specs_load(void)
{
    tsr_opspec *fused = load_shipped("sgemm-bias-gelu.yaml");
    tsr_opspec *batched = load_shipped("sgemm-batched.yaml");
    if (fused) {
        CHECK(fused->bias == TSR_BIAS_COL && fused->activation == TSR_ACT_GELU && fused->residual);
        CHECK(
            !strcmp(tsr_opspec_key(fused), "gemm.f32.a=row.b=row.beta=0.bias=col.act=gelu.res=1"));
    }
    if (batched) {
        CHECK(batched->n_shapes >= 2 && batched->shapes[0].dim[3] > 1);
        CHECK(!strcmp(tsr_opspec_key(batched), "gemm.f32.a=row.b=row.beta=0"));
    }
    tsr_opspec_free(fused);
    tsr_opspec_free(batched);
}

/* batch is optional (1 when left out) and its text appears only when it
 * is not 1, so every shape written before it existed reads the same. */
static void batch_defaults_to_one_and_is_written_only_when_not_one(void)
{
    const tsr_op_def *gemm = tsr_op_find("gemm");
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(parse(HEAD "shapes:\n  - {m: 7, n: 13, k: 17}\n  - {m: 7, n: 13, k: 17, batch: 3}\n"
                         "  - {m: 7, n: 13, k: 17, batch: 1}\n",
                    &spec, &err) == TSR_ERR_INPUT,
              "a shape with batch 1 is the shape without it");
    CHECK_STR_CONTAINS(err.msg, "t.yaml:8:5: shapes[2]: duplicate of shapes[0] (m=7,n=13,k=17)");
    CHECK_MSG(parse(HEAD "shapes:\n  - {m: 7, n: 13, k: 17}\n  - {batch: 3, m: 7, n: 13, k: 17}\n",
                    &spec, &err) == TSR_OK,
              "%s", err.msg);
    if (spec && spec->n_shapes == 2) {
        CHECK(spec->shapes[0].dim[3] == 1 && spec->shapes[1].dim[3] == 3);
        char text[64];
        tsr_shape_format(gemm, &spec->shapes[0], text, sizeof text);
        CHECK_MSG(!strcmp(text, "m=7,n=13,k=17"), "%s", text);
        tsr_shape_format(gemm, &spec->shapes[1], text, sizeof text);
        CHECK_MSG(!strcmp(text, "m=7,n=13,k=17,batch=3"), "%s", text);
    }
    tsr_opspec_free(spec);
    tsr_shape shape;
    CHECK(tsr_shape_parse(gemm, "m=7,n=13,k=17", &shape, &err) == TSR_OK && shape.dim[3] == 1);
    CHECK(tsr_shape_parse(gemm, "batch=5,m=7,n=13,k=17", &shape, &err) == TSR_OK &&
          shape.dim[3] == 5);
    CHECK_SHAPE_REJECTED(gemm, "m=7,n=13,k=17,batch=0",
                         "shape 'm=7,n=13,k=17,batch=0': batch='0' is not an integer in "
                         "1..2147483647");
}

static void unknown_op_lists_the_known_ones(void)
{
    CHECK_REJECTS(
        "schema: 1\nname: g\nop: conv9d\ndtype: f32\n" SHAPES,
        "t.yaml:3:5: unknown op 'conv9d' (known: gemm, softmax, reduce, rmsnorm, layernorm, "
        "permute, conv2d, attention)");
}

/* GEMM takes 16-bit float inputs (computing in f32): their keys differ
 * from f32's, so tuned results never mix. Other types and other ops'
 * 16-bit inputs are refused with what the op takes. */
static void dtypes_are_the_ops_own(void)
{
    const char *text = "schema: 1\nname: g\nop: gemm\ndtype: bf16\n" SHAPES;
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_parse("t.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    if (spec) {
        CHECK(spec->dtype == TSR_BF16);
        CHECK(strcmp(tsr_opspec_key(spec), "gemm.bf16.a=row.b=row.beta=0") == 0);
        CHECK(tsr_op_buffer_dtype(spec, 0) == TSR_BF16 && tsr_op_buffer_dtype(spec, 1) == TSR_BF16);
        CHECK(tsr_op_buffer_dtype(spec, 2) == TSR_F32);
        tsr_opspec_free(spec);
    }
    /* The output type: the compute type unless given, in the key when not. */
    text = "schema: 1\nname: g\nop: gemm\ndtype: f16\ngemm: {output: bf16, bias: row}\n" SHAPES;
    CHECK_MSG(tsr_opspec_parse("t.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    if (spec) {
        CHECK(spec->output == TSR_BF16 && tsr_op_buffer_dtype(spec, 2) == TSR_BF16);
        CHECK(strcmp(tsr_opspec_key(spec), "gemm.f16.a=row.b=row.beta=0.bias=row.out=bf16") == 0);
        tsr_opspec_free(spec);
    }
    text = "schema: 1\nname: g\nop: gemm\ndtype: f32\ngemm: {output: f32}\n" SHAPES;
    CHECK_MSG(tsr_opspec_parse("t.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    if (spec) {
        CHECK(strcmp(tsr_opspec_key(spec), "gemm.f32.a=row.b=row.beta=0") == 0);
        tsr_opspec_free(spec);
    }
    CHECK_REJECTS("schema: 1\nname: g\nop: gemm\ndtype: f16\ngemm: {output: f64}\n" SHAPES,
                  "t.yaml:5:16: gemm.output: unknown value 'f64' (expected one of: f32, f16, "
                  "bf16)");
    CHECK_REJECTS("schema: 1\nname: g\nop: gemm\ndtype: i8\n" SHAPES,
                  "t.yaml:4:8: dtype i8 is not supported by op gemm (supported: f32, f64, f16, "
                  "bf16)");
    CHECK_REJECTS("schema: 1\nname: g\nop: gemm\ndtype: f64\ngemm: {output: f32}\n" SHAPES,
                  "t.yaml:5:16: gemm.output: an f64 GEMM writes f64 only");
    CHECK_REJECTS("schema: 1\nname: s\nop: softmax\ndtype: f64\n"
                  "shapes:\n  - {rows: 2, cols: 3}\n",
                  "t.yaml:4:8: dtype f64 is not supported by op softmax (supported: f32, f16, "
                  "bf16)");
    CHECK_REJECTS("schema: 1\nname: g\nop: gemm\ndtype: f8\n" SHAPES,
                  "t.yaml:4:8: dtype: unknown value 'f8' (expected one of: f32, f64, f16, bf16, "
                  "tf32, i8, i32)");
}

/* math: tf32 lets f32 inputs be multiplied as tf32: a permission the key
 * records last, for f32 inputs only; math: full is the default. */
static void math_tf32_is_for_f32_inputs_and_in_the_key(void)
{
    tsr_opspec *shipped = load_shipped("sgemm-tf32.yaml");
    if (shipped) {
        CHECK(shipped->tf32 && shipped->dtype == TSR_F32 && shipped->output == TSR_F32);
        CHECK(!strcmp(tsr_opspec_key(shipped), "gemm.f32.a=row.b=row.beta=0.math=tf32"));
    }
    tsr_opspec_free(shipped);
    shipped = load_shipped("sgemm-nt-tf32.yaml");
    if (shipped)
        CHECK(!strcmp(tsr_opspec_key(shipped), "gemm.f32.a=row.b=col.beta=0.math=tf32"));
    tsr_opspec_free(shipped);
    const char *text = "schema: 1\nname: g\nop: gemm\ndtype: f32\n"
                       "gemm: {math: tf32, bias: row, output: f16}\n" SHAPES;
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_parse("t.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    if (spec)
        CHECK(!strcmp(tsr_opspec_key(spec),
                      "gemm.f32.a=row.b=row.beta=0.bias=row.out=f16.math=tf32"));
    tsr_opspec_free(spec);
    text = "schema: 1\nname: g\nop: gemm\ndtype: f32\ngemm: {math: full}\n" SHAPES;
    CHECK_MSG(tsr_opspec_parse("t.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    if (spec)
        CHECK(!spec->tf32 && !strcmp(tsr_opspec_key(spec), "gemm.f32.a=row.b=row.beta=0"));
    tsr_opspec_free(spec);
    CHECK_REJECTS("schema: 1\nname: g\nop: gemm\ndtype: f16\ngemm: {math: tf32}\n" SHAPES,
                  "t.yaml:5:14: gemm.math: tf32 rounds f32 inputs only");
    CHECK_REJECTS("schema: 1\nname: g\nop: gemm\ndtype: f32\ngemm: {math: fast}\n" SHAPES,
                  "t.yaml:5:14: gemm.math: unknown value 'fast' (expected one of: full, tf32)");
}

static void gemm_section_is_only_for_gemm(void)
{
    CHECK_REJECTS("schema: 1\nname: s\nop: softmax\ndtype: f32\ngemm: {a: row}\n"
                  "shapes:\n  - {rows: 2, cols: 3}\n",
                  "t.yaml:5:1: key 'gemm' is only allowed for op gemm");
}

static void gemm_section_fields_are_checked(void)
{
    CHECK_REJECTS(HEAD "gemm:\n  a: diagonal\n" SHAPES,
                  "t.yaml:6:6: gemm.a: unknown value 'diagonal' (expected one of: row, col)");
    CHECK_REJECTS(HEAD "gemm:\n  beta: lots\n" SHAPES,
                  "t.yaml:6:9: gemm.beta: expected a number, got 'lots'");
    CHECK_REJECTS(
        HEAD "gemm:\n  gamma: 1\n" SHAPES,
        "t.yaml:6:3: unknown key 'gamma' in gemm (expected one of: a, b, alpha, beta, bias, "
        "activation, residual, output, math)");
    CHECK_REJECTS(HEAD "gemm:\n  bias: diagonal\n" SHAPES,
                  "t.yaml:6:9: gemm.bias: unknown value 'diagonal' (expected one of: none, row, "
                  "col)");
    CHECK_REJECTS(HEAD "gemm:\n  a: row\n  activation: tanh\n" SHAPES,
                  "t.yaml:7:15: gemm.activation: unknown value 'tanh' (expected one of: none, "
                  "relu, gelu, silu)");
    CHECK_REJECTS(HEAD "gemm: {residual: R}\n" SHAPES,
                  "t.yaml:5:18: gemm.residual: expected true or false, got 'R'");
}

static void shape_keys_must_be_the_ops_dims(void)
{
    CHECK_REJECTS(HEAD "shapes:\n  - {m: 7, n: 13, x: 17}\n",
                  "t.yaml:6:19: unknown key 'x' in shapes[0] (expected one of: m, n, k, batch)");
    CHECK_REJECTS(HEAD "shapes:\n  - {m: 7, n: 13, k: 17, batch: 0}\n",
                  "t.yaml:6:33: shapes[0].batch: 0 is out of range 1..2147483647");
    CHECK_REJECTS(HEAD "shapes:\n  - {m: 7, n: 13}\n",
                  "t.yaml:6:5: missing required key 'k' in shapes[0]");
    CHECK_REJECTS(HEAD "shapes:\n  - {m: 7, n: 13, k: 17}\n  - {m: 1, m: 1, n: 1, k: 1}\n",
                  "t.yaml:7:12: duplicate key 'm' in shapes[1] (first at 7:6)");
}

static void shape_values_are_positive_32_bit_integers(void)
{
    CHECK_REJECTS(HEAD "shapes:\n  - {m: 0, n: 13, k: 17}\n",
                  "t.yaml:6:9: shapes[0].m: 0 is out of range 1..2147483647");
    CHECK_REJECTS(HEAD "shapes:\n  - {m: 7, n: 13, k: 2147483648}\n",
                  "t.yaml:6:22: shapes[0].k: 2147483648 is out of range 1..2147483647");
    CHECK_REJECTS(HEAD "shapes:\n  - {m: 7, n: 1.5, k: 17}\n",
                  "t.yaml:6:15: shapes[0].n: expected an integer, got '1.5'");
}

/* Kernels index with 32-bit ints, so no buffer may reach 2^31 elements. */
static void buffers_must_stay_below_two_to_the_31_elements(void)
{
    CHECK_REJECTS(HEAD "shapes:\n  - {m: 65536, n: 1, k: 32768}\n",
                  "t.yaml:6:5: shapes[0]: m*k = 2147483648 elements, must stay below 2^31 "
                  "(kernels index with 32-bit ints)");
    CHECK_REJECTS(HEAD "shapes:\n  - {m: 1, n: 65536, k: 32768}\n",
                  "t.yaml:6:5: shapes[0]: n*k = 2147483648 elements, must stay below 2^31 "
                  "(kernels index with 32-bit ints)");
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(parse(HEAD "shapes:\n  - {m: 65536, n: 1, k: 32767}\n", &spec, &err) == TSR_OK, "%s",
              err.msg);
    tsr_opspec_free(spec);
    /* A batch holds that many matrices in each buffer. */
    CHECK_REJECTS(HEAD "shapes:\n  - {m: 1024, n: 1024, k: 64, batch: 2048}\n",
                  "t.yaml:6:5: shapes[0]: m*n*batch = 2147483648 elements, must stay below 2^31 "
                  "(kernels index with 32-bit ints)");
    CHECK_SHAPE_REJECTED(tsr_op_find("gemm"), "m=65536,n=1,k=16384,batch=2",
                         "shape 'm=65536,n=1,k=16384,batch=2': m*k*batch = 2147483648 elements, "
                         "must stay below 2^31 (kernels index with 32-bit ints)");
    CHECK_REJECTS("schema: 1\nname: s\nop: softmax\ndtype: f32\n"
                  "shapes:\n  - {rows: 2, cols: 1073741824}\n",
                  "t.yaml:6:5: shapes[0]: rows*cols = 2147483648 elements, must stay below 2^31 "
                  "(kernels index with 32-bit ints)");
}

static void shapes_must_be_a_non_empty_list_without_repeats(void)
{
    CHECK_REJECTS(HEAD "shapes: []\n", "t.yaml:5:9: shapes: at least one shape is required");
    CHECK_REJECTS(HEAD "shapes: {m: 1}\n",
                  "t.yaml:5:9: shapes: expected a sequence, got a mapping");
    CHECK_REJECTS(HEAD "shapes:\n  - {m: 7, n: 13, k: 17}\n  - {m: 1, n: 1, k: 1}\n"
                       "  - {k: 17, n: 13, m: 7}\n",
                  "t.yaml:8:5: shapes[2]: duplicate of shapes[0] (m=7,n=13,k=17)");
}

static void top_level_is_checked_like_profiles(void)
{
    CHECK_REJECTS(HEAD SHAPES "tile: 64\n",
                  "t.yaml:7:1: unknown key 'tile' in the op spec (expected one of: schema, name, "
                  "op, dtype, gemm, reduce, rmsnorm, layernorm, permute, conv2d, attention, "
                  "shapes)");
    CHECK_REJECTS("schema: 1\nname: g\nop: gemm\n" SHAPES,
                  "t.yaml:1:1: missing required key 'dtype' in the op spec");
    CHECK_REJECTS("schema: 3\nname: g\n",
                  "t.yaml:1:9: schema: version 3 is not supported (supported: 1)");
    CHECK_REJECTS("schema: 1\nname: g h\nop: gemm\ndtype: f32\n" SHAPES,
                  "t.yaml:2:7: name: 'g h' is not a valid name (use letters, digits, '_', '.', "
                  "'-')");
    CHECK_REJECTS("schema: 1\nname: &n g\n", "t.yaml:2:7: aliases are not allowed (anchor '&n')");
    CHECK_REJECTS("[]\n", "t.yaml:1:1: expected an op spec (a mapping) at the top level, got a "
                          "sequence");
}

static void shape_text_round_trips(void)
{
    const tsr_op_def *gemm = tsr_op_find("gemm");
    CHECK(gemm != NULL);
    if (!gemm)
        return;
    tsr_shape shape;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_shape_parse(gemm, "m=7,n=13,k=17", &shape, &err) == TSR_OK, "%s", err.msg);
    CHECK(shape.dim[0] == 7 && shape.dim[1] == 13 && shape.dim[2] == 17);
    char buf[64];
    tsr_shape_format(gemm, &shape, buf, sizeof buf);
    CHECK(!strcmp(buf, "m=7,n=13,k=17"));
    /* Order does not matter and spaces around parts are allowed. */
    CHECK(tsr_shape_parse(gemm, "k=3, m = 1 ,n=2", &shape, &err) == TSR_OK);
    CHECK(shape.dim[0] == 1 && shape.dim[1] == 2 && shape.dim[2] == 3);
    /* A short buffer is cut, never overrun. */
    char small[6];
    memset(small, 'x', sizeof small);
    tsr_shape_format(gemm, &shape, small, 5);
    CHECK(small[5] == 'x' && strlen(small) == 4);
}

static void bad_shape_text_names_the_bad_part(void)
{
    const tsr_op_def *gemm = tsr_op_find("gemm");
    const tsr_op_def *softmax = tsr_op_find("softmax");
    if (!gemm || !softmax)
        return;
    CHECK_SHAPE_REJECTED(gemm, "m=7,n=13", "shape 'm=7,n=13': missing dim 'k'");
    CHECK_SHAPE_REJECTED(gemm, "m=7,n=13,x=1,k=2",
                         "shape 'm=7,n=13,x=1,k=2': unknown dim 'x' (op gemm has: m, n, k, batch)");
    CHECK_SHAPE_REJECTED(gemm, "m=7,m=8,n=1,k=1",
                         "shape 'm=7,m=8,n=1,k=1': dim 'm' is given twice");
    CHECK_SHAPE_REJECTED(gemm, "m=0,n=1,k=1",
                         "shape 'm=0,n=1,k=1': m='0' is not an integer in 1..2147483647");
    CHECK_SHAPE_REJECTED(gemm, "m=-3,n=1,k=1",
                         "shape 'm=-3,n=1,k=1': m='-3' is not an integer in 1..2147483647");
    CHECK_SHAPE_REJECTED(gemm, "m=7x,n=1,k=1",
                         "shape 'm=7x,n=1,k=1': m='7x' is not an integer in 1..2147483647");
    CHECK_SHAPE_REJECTED(gemm, "m=99999999999999999999,n=1,k=1",
                         "shape 'm=99999999999999999999,n=1,k=1': m='99999999999999999999' is "
                         "not an integer in 1..2147483647");
    CHECK_SHAPE_REJECTED(gemm, "m7,n=1,k=1", "shape 'm7,n=1,k=1': 'm7' is not name=value");
    CHECK_SHAPE_REJECTED(gemm, "", "shape '': '' is not name=value");
    CHECK_SHAPE_REJECTED(softmax, "rows=65536,cols=32768",
                         "shape 'rows=65536,cols=32768': rows*cols = 2147483648 elements, must "
                         "stay below 2^31 (kernels index with 32-bit ints)");
}

/* Lines 1-4 of a row op's spec, then its section on line 5. */
#define ROW_HEAD(op) "schema: 1\nname: r\nop: " op "\ndtype: f32\n"
#define ROW_SHAPES "shapes:\n  - {rows: 3, cols: 5}\n"

static void shipped_row_ops_load_with_their_kind_and_eps(void)
{
    tsr_opspec *reduce = load_shipped("reduce-sum.yaml");
    tsr_opspec *rms = load_shipped("rmsnorm.yaml");
    tsr_opspec *layer = load_shipped("layernorm.yaml");
    if (reduce) {
        CHECK(reduce->reduce_kind == TSR_REDUCE_KIND_SUM);
        CHECK_MSG(!strcmp(tsr_opspec_key(reduce), "reduce.f32.kind=sum"), "%s",
                  tsr_opspec_key(reduce));
    }
    if (rms)
        CHECK(rms->eps == 1e-6 && !strcmp(tsr_opspec_key(rms), "rmsnorm.f32"));
    if (layer)
        CHECK(layer->eps == 1e-5 && !strcmp(tsr_opspec_key(layer), "layernorm.f32"));
    tsr_opspec_free(reduce);
    tsr_opspec_free(rms);
    tsr_opspec_free(layer);
}

/* The kind changes the kernel, so the key; eps is an argument, so not. */
static void reduce_kind_is_in_the_key_and_eps_has_a_default(void)
{
    static const char *const kinds[] = {"sum", "max", "mean", "l2"};
    for (int i = 0; i < 4; i++) {
        char text[256], key[64];
        snprintf(text, sizeof text, ROW_HEAD("reduce") "reduce: {kind: %s}\n" ROW_SHAPES, kinds[i]);
        snprintf(key, sizeof key, "reduce.f32.kind=%s", kinds[i]);
        tsr_opspec *spec = NULL;
        tsr_error err = {{0}};
        CHECK_MSG(parse(text, &spec, &err) == TSR_OK, "%s", err.msg);
        if (spec)
            CHECK_MSG(!strcmp(tsr_opspec_key(spec), key), "%s", tsr_opspec_key(spec));
        tsr_opspec_free(spec);
    }
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK(parse(ROW_HEAD("rmsnorm") ROW_SHAPES, &spec, &err) == TSR_OK);
    if (spec)
        CHECK(spec->eps == 1e-6);
    tsr_opspec_free(spec);
    CHECK(parse(ROW_HEAD("layernorm") "layernorm: {eps: 0.25}\n" ROW_SHAPES, &spec, &err) ==
          TSR_OK);
    if (spec)
        CHECK(spec->eps == 0.25 && !strcmp(tsr_opspec_key(spec), "layernorm.f32"));
    tsr_opspec_free(spec);
}

/* axis: middle reads a third dim, inner, into the key's kernel; the last
 * axis takes none, in a spec's shapes or a shape given apart. */
static void reduce_axis_middle_has_an_inner_dim(void)
{
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(parse(ROW_HEAD("reduce") "reduce: {kind: l2, axis: middle}\n"
                                       "shapes:\n  - {rows: 3, cols: 5, inner: 7}\n"
                                       "  - {rows: 3, cols: 5}\n",
                    &spec, &err) == TSR_OK,
              "%s", err.msg);
    if (spec) {
        CHECK(spec->reduce_middle && spec->n_shapes == 2);
        CHECK_MSG(!strcmp(tsr_opspec_key(spec), "reduce.f32.kind=l2.axis=middle"), "%s",
                  tsr_opspec_key(spec));
        CHECK(spec->shapes[0].dim[TSR_REDUCE_DIM_INNER] == 7 &&
              spec->shapes[1].dim[TSR_REDUCE_DIM_INNER] == 1);
        tsr_shape shape;
        CHECK(tsr_shape_parse(spec->op, "rows=2,cols=9,inner=4", &shape, &err) == TSR_OK &&
              tsr_opspec_check_shape(spec, &shape, &err) == TSR_OK);
    }
    tsr_opspec_free(spec);
    CHECK_MSG(parse(ROW_HEAD("reduce") "reduce: {kind: sum, axis: last}\n" ROW_SHAPES, &spec,
                    &err) == TSR_OK,
              "%s", err.msg);
    if (spec) {
        CHECK(!spec->reduce_middle && !strcmp(tsr_opspec_key(spec), "reduce.f32.kind=sum"));
        tsr_shape shape;
        CHECK(tsr_shape_parse(spec->op, "rows=2,cols=9,inner=4", &shape, &err) == TSR_OK);
        CHECK(tsr_opspec_check_shape(spec, &shape, &err) == TSR_ERR_INPUT);
        CHECK_MSG(!strcmp(err.msg, "shape inner=4: t.yaml reduces along the last axis, which has "
                                   "no inner dim (that is 'reduce: {axis: middle}')"),
                  "%s", err.msg);
    }
    tsr_opspec_free(spec);
    CHECK_REJECTS(ROW_HEAD("reduce") "reduce: {kind: sum}\n"
                                     "shapes:\n  - {rows: 3, cols: 5, inner: 7}\n",
                  "t.yaml:7:31: shapes[0].inner: only 'reduce: {axis: middle}' reduces X as rows x "
                  "cols x inner; this spec's axis is the last");
    CHECK_REJECTS(ROW_HEAD("reduce") "reduce: {kind: sum, axis: first}\n" ROW_SHAPES,
                  "t.yaml:5:27: reduce.axis: unknown value 'first' (expected one of: last, "
                  "middle)");
    CHECK_REJECTS(ROW_HEAD("reduce") "reduce: {kind: sum, axis: middle}\n"
                                     "shapes:\n  - {rows: 1024, cols: 1024, inner: 2048}\n",
                  "t.yaml:7:5: shapes[0]: rows*cols*inner = 2147483648 elements, must stay below "
                  "2^31 (kernels index with 32-bit ints)");
}

static void row_op_sections_are_checked(void)
{
    CHECK_REJECTS(ROW_HEAD("reduce") "reduce: {kind: median}\n" ROW_SHAPES,
                  "t.yaml:5:16: reduce.kind: unknown value 'median' (expected one of: sum, max, "
                  "mean, l2)");
    CHECK_REJECTS(ROW_HEAD("reduce") ROW_SHAPES,
                  "t.yaml:1:1: op reduce needs 'reduce: {kind: sum|max|mean|l2}'");
    CHECK_REJECTS(ROW_HEAD("rmsnorm") "rmsnorm: {eps: -1e-6}\n" ROW_SHAPES,
                  "t.yaml:5:16: rmsnorm.eps: -1e-06 is out of range 0..1");
    CHECK_REJECTS(ROW_HEAD("layernorm") "layernorm: {eps: 1e-5, axis: 0}\n" ROW_SHAPES,
                  "t.yaml:5:24: unknown key 'axis' in layernorm (expected one of: eps)");
    CHECK_REJECTS(ROW_HEAD("layernorm") "rmsnorm: {eps: 1e-5}\n" ROW_SHAPES,
                  "t.yaml:5:1: key 'rmsnorm' is only allowed for op rmsnorm");
}

static void missing_spec_file_is_an_io_error(void)
{
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_opspec_load("/nonexistent/s.yaml", &spec, &err) == TSR_ERR_IO);
    CHECK(spec == NULL);
    CHECK_STR_CONTAINS(err.msg, "/nonexistent/s.yaml: cannot open");
}

int main(void)
{
    RUN_TEST(shipped_sgemm_tunes_three_square_row_major_shapes);
    RUN_TEST(shipped_transposed_specs_accumulate_into_c);
    RUN_TEST(shipped_softmax_uses_rows_and_cols);
    RUN_TEST(gemm_section_defaults_to_row_major_alpha_one_beta_zero);
    RUN_TEST(key_ignores_alpha_but_not_whether_beta_is_zero);
    RUN_TEST(epilogue_appends_its_parts_to_the_key);
    RUN_TEST(shipped_fused_and_batched_specs_load);
    RUN_TEST(batch_defaults_to_one_and_is_written_only_when_not_one);
    RUN_TEST(unknown_op_lists_the_known_ones);
    RUN_TEST(dtypes_are_the_ops_own);
    RUN_TEST(math_tf32_is_for_f32_inputs_and_in_the_key);
    RUN_TEST(gemm_section_is_only_for_gemm);
    RUN_TEST(gemm_section_fields_are_checked);
    RUN_TEST(shape_keys_must_be_the_ops_dims);
    RUN_TEST(shape_values_are_positive_32_bit_integers);
    RUN_TEST(buffers_must_stay_below_two_to_the_31_elements);
    RUN_TEST(shapes_must_be_a_non_empty_list_without_repeats);
    RUN_TEST(top_level_is_checked_like_profiles);
    RUN_TEST(shape_text_round_trips);
    RUN_TEST(bad_shape_text_names_the_bad_part);
    RUN_TEST(shipped_row_ops_load_with_their_kind_and_eps);
    RUN_TEST(reduce_kind_is_in_the_key_and_eps_has_a_default);
    RUN_TEST(reduce_axis_middle_has_an_inner_dim);
    RUN_TEST(row_op_sections_are_checked);
    RUN_TEST(missing_spec_file_is_an_io_error);
    return check_summary();
}
