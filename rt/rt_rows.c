/* Row-op calls of libtessera-rt (softmax, the norms, the row
 * reductions), whatever the backend: the desc checked at the API's edge
 * and turned into the op key and shape that pick the kernel (see
 * tessera_rt.h). */
#include <limits.h>
#include <math.h>
#include <stdio.h>

#include "rt/rt_internal.h"

/* Per op, indexed by tsr_rt_row_op: the op and reduce kind its store key
 * names (core/opspec.c, tsr_opspec_key), the per-column vectors it reads,
 * and the eps an op spec has when it names none (core/opspec.c). */
static const struct {
    const char *name, *op, *kind;
    bool gamma, beta, eps;
    float default_eps;
} row_ops[] = {
    [TSR_RT_SOFTMAX] = {"softmax", "softmax", NULL, false, false, false, 0.0f},
    [TSR_RT_RMSNORM] = {"rmsnorm", "rmsnorm", NULL, true, false, true, 1e-6f},
    [TSR_RT_LAYERNORM] = {"layernorm", "layernorm", NULL, true, true, true, 1e-5f},
    [TSR_RT_REDUCE_SUM] = {"reduce sum", "reduce", "sum", false, false, false, 0.0f},
    [TSR_RT_REDUCE_MAX] = {"reduce max", "reduce", "max", false, false, false, 0.0f},
    [TSR_RT_REDUCE_MEAN] = {"reduce mean", "reduce", "mean", false, false, false, 0.0f},
    [TSR_RT_REDUCE_L2] = {"reduce l2", "reduce", "l2", false, false, false, 0.0f},
};

/* The call's buffer slots, as parse_args (rt_bundle.c) gives the kernels'
 * argument names; the backends pass the handles in this order. */
enum { SLOT_X, SLOT_Y, SLOT_GAMMA, SLOT_BETA };

/* An enum read from a program's struct may hold any int. */
static bool op_valid(tsr_rt_row_op op)
{
    return (int)op >= 0 && (size_t)op < sizeof row_ops / sizeof row_ops[0];
}

void tsr_rt_rows_desc_init(tsr_rt_rows_desc *desc, tsr_rt_row_op op, int rows, int cols)
{
    *desc = (tsr_rt_rows_desc){.op = op,
                               .rows = rows,
                               .cols = cols,
                               .eps = op_valid(op) ? row_ops[op].default_eps : 0.0f,
                               .dtype = TSR_RT_F32,
                               .inner = 1};
}

const char *tsr_rt_rows_desc_key(const tsr_rt_rows_desc *d, char *buf, size_t size)
{
    const char *dtype = d ? rt_dtype_name(d->dtype) : NULL;
    if (!dtype || !op_valid(d->op))
        return NULL;
    /* As the store: the reduce kind changes the kernel; eps is an
     * argument, so it does not enter the key. */
    if (row_ops[d->op].kind)
        snprintf(buf, size, "%s.%s.kind=%s%s", row_ops[d->op].op, dtype, row_ops[d->op].kind,
                 d->inner > 1 ? ".axis=middle" : "");
    else
        snprintf(buf, size, "%s.%s", row_ops[d->op].op, dtype);
    return buf;
}

static int check_desc(const tsr_rt_rows_desc *d, char *err, size_t err_size)
{
    if (!op_valid(d->op))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "row desc: op %d is not TSR_RT_SOFTMAX, _RMSNORM, _LAYERNORM or "
                       "_REDUCE_SUM, _MAX, _MEAN, _L2",
                       (int)d->op);
    if (!rt_dtype_name(d->dtype))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "%s desc: dtype %d is not TSR_RT_F32, _F16 or _BF16", row_ops[d->op].name,
                       (int)d->dtype);
    if (d->inner < 1 || (d->inner > 1 && !row_ops[d->op].kind))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "%s inner=%d: must be 1%s",
                       row_ops[d->op].name, d->inner,
                       row_ops[d->op].kind ? " or more" : " (only a reduction has an inner dim)");
    /* The kernels index X with 32-bit ints (core/ops/row_ops.c). */
    if (d->rows < 1 || d->cols < 1 || (long long)d->rows * d->cols > INT_MAX)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "%s rows=%d cols=%d: each must be >= 1 and rows x cols at most %d",
                       row_ops[d->op].name, d->rows, d->cols, INT_MAX);
    if ((long long)d->rows * d->cols * d->inner > INT_MAX)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "%s rows=%d cols=%d inner=%d: rows x cols x inner must be at most %d",
                       row_ops[d->op].name, d->rows, d->cols, d->inner, INT_MAX);
    if (row_ops[d->op].eps && !(d->eps >= 0.0f && isfinite(d->eps)))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "%s eps=%g: must be finite and >= 0 (it is added to a mean of squares)",
                       row_ops[d->op].name, (double)d->eps);
    return TSR_RT_OK;
}

/* gamma and beta come exactly when the op reads them: one given for an op
 * that has none is a program that believes it is scaled. */
static int check_vectors(const tsr_rt_rows_desc *d, const bool given[4], char *err, size_t err_size)
{
    static const struct {
        int slot;
        const char *name;
    } vectors[] = {{SLOT_GAMMA, "gamma"}, {SLOT_BETA, "beta"}};
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        bool wants = vectors[i].slot == SLOT_GAMMA ? row_ops[d->op].gamma : row_ops[d->op].beta;
        if (wants && !given[vectors[i].slot])
            return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "%s reads %s, but it is NULL",
                           row_ops[d->op].name, vectors[i].name);
        if (!wants && given[vectors[i].slot])
            return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                           "%s buffer given, but %s reads none (pass NULL)", vectors[i].name,
                           row_ops[d->op].name);
    }
    return TSR_RT_OK;
}

int rt_rows_call(const tsr_rt_rows_desc *d, const void *const handles[4], const bool given[4],
                 rt_call *call, char *err, size_t err_size)
{
    if (!d)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "row op: no desc (NULL)");
    int rc = check_desc(d, err, err_size);
    if (!rc)
        rc = check_vectors(d, given, err, err_size);
    if (rc)
        return rc;
    /* A reduction along the middle axis gives its third dim. */
    *call = (rt_call){.shape = {d->rows, d->cols, d->inner},
                      .n_dims = d->inner > 1 ? 3 : 2,
                      .ints = {d->rows, d->cols, d->inner},
                      .floats = {d->eps}};
    tsr_rt_rows_desc_key(d, call->op_key, sizeof call->op_key);
    for (int i = 0; i < 4; i++) {
        call->buffers[i] = handles[i];
        call->given[i] = given[i];
    }
    return TSR_RT_OK;
}
