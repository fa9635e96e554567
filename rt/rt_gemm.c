/* GEMM calls of libtessera-rt, whatever the backend: the desc checked at
 * the API's edge and turned into the op key and shape that pick the
 * kernel (see tessera_rt.h and docs/bundle.md). */
#include <limits.h>
#include <stdio.h>

#include "rt/rt_internal.h"

/* The words tessera's store writes for these values in an op key
 * (core/opspec.c, tsr_opspec_key); indexed by the public enums. */
static const char *const layout_names[] = {"row", "col"};
static const char *const bias_names[] = {"none", "row", "col"};
static const char *const activation_names[] = {"none", "relu", "gelu", "silu"};
static const char *const dtype_names[] = {"f32", "f16", "bf16"};

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* An enum read from a program's struct may hold any int. */
static bool in_range(int value, size_t count)
{
    return value >= 0 && (size_t)value < count;
}

const char *rt_dtype_name(tsr_rt_dtype dtype)
{
    return in_range((int)dtype, COUNT(dtype_names)) ? dtype_names[dtype] : NULL;
}

const char *rt_activation_name(tsr_rt_activation activation)
{
    return in_range((int)activation, COUNT(activation_names)) ? activation_names[activation] : NULL;
}

/* A GEMM's C: a storage type of every op, or doubles, which only GEMM
 * takes. */
static bool c_type_valid(tsr_rt_dtype c_type)
{
    return c_type == TSR_RT_F64 || in_range((int)c_type, COUNT(dtype_names));
}

/* A and B: as C, or f32 that may be multiplied as tf32. */
static bool ab_type_valid(tsr_rt_dtype ab_type)
{
    return ab_type == TSR_RT_TF32 || c_type_valid(ab_type);
}

/* An f64 GEMM reads and writes doubles only (the store's `gemm.output`
 * is refused for f64). */
static bool types_pair(const tsr_rt_gemm_desc *d)
{
    return (d->ab_type == TSR_RT_F64) == (d->c_type == TSR_RT_F64);
}

static const char *gemm_type_name(tsr_rt_dtype type)
{
    return type == TSR_RT_F64 ? "f64" : dtype_names[type];
}

static bool desc_enums_valid(const tsr_rt_gemm_desc *d)
{
    return in_range((int)d->a_layout, COUNT(layout_names)) &&
           in_range((int)d->b_layout, COUNT(layout_names)) &&
           in_range((int)d->bias, COUNT(bias_names)) &&
           in_range((int)d->activation, COUNT(activation_names)) && ab_type_valid(d->ab_type) &&
           c_type_valid(d->c_type) && types_pair(d);
}

void tsr_rt_gemm_desc_init(tsr_rt_gemm_desc *desc, int m, int n, int k)
{
    *desc = (tsr_rt_gemm_desc){.a_layout = TSR_RT_ROW,
                               .b_layout = TSR_RT_ROW,
                               .m = m,
                               .n = n,
                               .k = k,
                               .batch = 1,
                               .alpha = 1.0f,
                               .beta = 0.0f,
                               .bias = TSR_RT_BIAS_NONE,
                               .activation = TSR_RT_ACT_NONE,
                               .residual = false,
                               .ab_type = TSR_RT_F32,
                               .c_type = TSR_RT_F32};
}

const char *tsr_rt_gemm_desc_key(const tsr_rt_gemm_desc *d, char *buf, size_t size)
{
    if (!d || !desc_enums_valid(d))
        return NULL;
    /* As the store: only beta's being zero changes the code (C is not
     * read then), and the epilogue's parts come only when used, so that a
     * plain GEMM keeps the key of bundles from before epilogues. */
    char bias[16] = "", activation[16] = "", output[16] = "";
    if (d->bias != TSR_RT_BIAS_NONE)
        snprintf(bias, sizeof bias, ".bias=%s", bias_names[d->bias]);
    if (d->activation != TSR_RT_ACT_NONE)
        snprintf(activation, sizeof activation, ".act=%s", activation_names[d->activation]);
    /* ".out=" names a C other than the products' type (f64's is f64). */
    if (d->c_type != TSR_RT_F32 && d->c_type != TSR_RT_F64)
        snprintf(output, sizeof output, ".out=%s", dtype_names[d->c_type]);
    bool tf32 = d->ab_type == TSR_RT_TF32;
    snprintf(buf, size, "gemm.%s.a=%s.b=%s.beta=%d%s%s%s%s%s",
             tf32 ? "f32" : gemm_type_name(d->ab_type), layout_names[d->a_layout],
             layout_names[d->b_layout], d->beta != 0.0, bias, activation,
             d->residual ? ".res=1" : "", output, tf32 ? ".math=tf32" : "");
    return buf;
}

const char *tsr_rt_gemm_key(tsr_rt_layout a, tsr_rt_layout b, bool beta_nonzero, char *buf,
                            size_t size)
{
    tsr_rt_gemm_desc d;
    tsr_rt_gemm_desc_init(&d, 1, 1, 1);
    /* This older call took any value but TSR_RT_COL for row-major. */
    d.a_layout = a == TSR_RT_COL ? TSR_RT_COL : TSR_RT_ROW;
    d.b_layout = b == TSR_RT_COL ? TSR_RT_COL : TSR_RT_ROW;
    d.beta = beta_nonzero ? 1.0f : 0.0f;
    return tsr_rt_gemm_desc_key(&d, buf, size);
}

static int check_enums(const tsr_rt_gemm_desc *d, char *err, size_t err_size)
{
    if (!in_range((int)d->a_layout, COUNT(layout_names)) ||
        !in_range((int)d->b_layout, COUNT(layout_names)))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "GEMM desc: a_layout %d or b_layout %d is not TSR_RT_ROW or TSR_RT_COL",
                       (int)d->a_layout, (int)d->b_layout);
    if (!in_range((int)d->bias, COUNT(bias_names)))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "GEMM desc: bias %d is not TSR_RT_BIAS_NONE, _ROW or _COL", (int)d->bias);
    if (!in_range((int)d->activation, COUNT(activation_names)))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "GEMM desc: activation %d is not TSR_RT_ACT_NONE, _RELU, _GELU or _SILU",
                       (int)d->activation);
    if (!ab_type_valid(d->ab_type))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "GEMM desc: ab_type %d is not TSR_RT_F32, _F16, _BF16, _TF32 or _F64",
                       (int)d->ab_type);
    if (!c_type_valid(d->c_type))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "GEMM desc: c_type %d is not TSR_RT_F32, _F16, _BF16 or _F64",
                       (int)d->c_type);
    if (!types_pair(d))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "GEMM desc: ab_type %s with c_type %s: an f64 GEMM reads and writes "
                       "TSR_RT_F64 only (set both)",
                       d->ab_type == TSR_RT_TF32 ? "tf32" : gemm_type_name(d->ab_type),
                       gemm_type_name(d->c_type));
    return TSR_RT_OK;
}

/* The kernels index each buffer with 32-bit ints, batch offset included
 * (core/ops/gemm.c), so no buffer may hold more than INT_MAX elements. */
static int check_sizes(const tsr_rt_gemm_desc *d, char *err, size_t err_size)
{
    if (d->m < 1 || d->n < 1 || d->k < 1 || d->batch < 1)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "GEMM m=%d n=%d k=%d batch=%d: each must be >= 1", d->m, d->n, d->k,
                       d->batch);
    const struct {
        const char *name;
        long long rows, cols;
    } spans[] = {{"A", d->m, d->k}, {"B", d->k, d->n}, {"C", d->m, d->n}};
    for (size_t i = 0; i < COUNT(spans); i++)
        if (spans[i].rows * spans[i].cols > INT_MAX / d->batch)
            return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                           "GEMM m=%d n=%d k=%d batch=%d: %s holds batch x %lld x %lld elements, "
                           "more than the %d a kernel can index",
                           d->m, d->n, d->k, d->batch, spans[i].name, spans[i].rows, spans[i].cols,
                           INT_MAX);
    return TSR_RT_OK;
}

/* A buffer of the epilogue comes exactly when the desc asks for it: one
 * given and not asked for is a program that believes it is fused. */
static int check_epilogue_buffers(const tsr_rt_gemm_desc *d, const bool given[RT_MAX_BUFFERS],
                                  char *err, size_t err_size)
{
    bool wants_bias = d->bias != TSR_RT_BIAS_NONE;
    if (wants_bias && !given[3])
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "GEMM desc asks for a %s bias but the bias buffer is NULL",
                       bias_names[d->bias]);
    if (!wants_bias && given[3])
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "GEMM bias buffer given but the desc's bias is TSR_RT_BIAS_NONE");
    if (d->residual && !given[4])
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "GEMM desc asks for a residual but the R buffer is NULL");
    if (!d->residual && given[4])
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "GEMM R buffer given but the desc's residual is false");
    return TSR_RT_OK;
}

int rt_gemm_call(const tsr_rt_gemm_desc *d, const void *const handles[RT_MAX_BUFFERS],
                 const bool given[RT_MAX_BUFFERS], rt_call *call, char *err, size_t err_size)
{
    if (!d)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "GEMM: no desc (NULL)");
    int rc = check_enums(d, err, err_size);
    if (!rc)
        rc = check_sizes(d, err, err_size);
    if (!rc)
        rc = check_epilogue_buffers(d, given, err, err_size);
    if (rc)
        return rc;
    /* Both forms of the scalars: the kernel's arguments say which it takes
     * (an f64 kernel's "double:alpha"). */
    *call = (rt_call){.shape = {d->m, d->n, d->k, d->batch},
                      .n_dims = 4,
                      .ints = {d->m, d->n, d->k},
                      .floats = {(float)d->alpha, (float)d->beta},
                      .doubles = {d->alpha, d->beta}};
    tsr_rt_gemm_desc_key(d, call->op_key, sizeof call->op_key);
    for (int i = 0; i < RT_MAX_BUFFERS; i++) {
        call->buffers[i] = handles[i];
        call->given[i] = given[i];
    }
    return TSR_RT_OK;
}

tsr_rt_gemm_desc rt_plain_gemm_desc(tsr_rt_layout a_layout, tsr_rt_layout b_layout, int m, int n,
                                    int k, float alpha, float beta)
{
    tsr_rt_gemm_desc desc;
    tsr_rt_gemm_desc_init(&desc, m, n, k);
    desc.a_layout = a_layout;
    desc.b_layout = b_layout;
    desc.alpha = alpha;
    desc.beta = beta;
    return desc;
}
