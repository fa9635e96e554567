/* Attention calls of libtessera-rt, whatever the backend: the desc checked
 * at the API's edge and turned into the op key (head dim, mask, layout)
 * and shape (q, kv, heads, batch) that pick the kernel (see tessera_rt.h
 * and docs/attention.md). */
#include <limits.h>
#include <math.h>
#include <stdio.h>

#include "rt/rt_internal.h"

/* The words tessera's store writes for the layouts in an op key
 * (core/ops/attention_spec.c); indexed by tsr_rt_attention_layout. */
static const char *const layout_names[] = {"bhsd", "bshd"};

/* The call's buffer slots, as parse_args (rt_bundle.c) gives the kernels'
 * argument names; the backends pass the handles in this order. */
enum { SLOT_Q, SLOT_K, SLOT_V, SLOT_O, SLOT_COUNT };

/* As the op spec: the matrix unit's k step, and as much of a row as a
 * work-group's tiles hold (core/ops/attention_spec.c). */
static bool head_dim_valid(int head_dim)
{
    return head_dim >= 16 && head_dim <= 256 && head_dim % 16 == 0;
}

/* An enum read from a program's struct may hold any int. */
static bool layout_valid(tsr_rt_attention_layout layout)
{
    return (int)layout >= 0 && (size_t)layout < sizeof layout_names / sizeof layout_names[0];
}

void tsr_rt_attention_desc_init(tsr_rt_attention_desc *desc, int head_dim, int q, int kv)
{
    /* The op spec's scale when it names none (tsr_attention_scale), in
     * double and then rounded, as the tuner passes it to the kernel. */
    *desc = (tsr_rt_attention_desc){
        .head_dim = head_dim,
        .q = q,
        .kv = kv,
        .heads = 1,
        .batch = 1,
        .causal = false,
        .layout = TSR_RT_BHSD,
        .scale = head_dim > 0 ? (float)(1.0 / sqrt((double)head_dim)) : 0.0f,
        .dtype = TSR_RT_F16,
    };
}

const char *tsr_rt_attention_desc_key(const tsr_rt_attention_desc *d, char *buf, size_t size)
{
    const char *dtype = d ? rt_dtype_name(d->dtype) : NULL;
    if (!dtype || !head_dim_valid(d->head_dim) || !layout_valid(d->layout))
        return NULL;
    /* As the store: the mask and the layout only when used, so that the
     * plain kernel's key is "attention.f16.d=64". */
    snprintf(buf, size, "attention.%s.d=%d%s%s", dtype, d->head_dim, d->causal ? ".causal=1" : "",
             d->layout == TSR_RT_BSHD ? ".layout=bshd" : "");
    return buf;
}

static int check_enums(const tsr_rt_attention_desc *d, char *err, size_t err_size)
{
    if (!head_dim_valid(d->head_dim))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "attention head_dim=%d: must be a multiple of 16 from 16 to 256",
                       d->head_dim);
    if (!layout_valid(d->layout))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "attention desc: layout %d is not TSR_RT_BHSD or TSR_RT_BSHD",
                       (int)d->layout);
    if (!rt_dtype_name(d->dtype))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "attention desc: dtype %d is not TSR_RT_F32, _F16 or _BF16", (int)d->dtype);
    return TSR_RT_OK;
}

/* The kernels index each of Q, K, V and O with 32-bit ints, the (batch,
 * head) offset included (core/ops/attention.c). */
static int check_sizes(const tsr_rt_attention_desc *d, char *err, size_t err_size)
{
    if (d->q < 1 || d->kv < 1 || d->heads < 1 || d->batch < 1)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "attention q=%d kv=%d heads=%d batch=%d: each must be >= 1", d->q, d->kv,
                       d->heads, d->batch);
    const struct {
        const char *names, *rows_name;
        long long rows;
    } spans[] = {{"Q and O", "q", d->q}, {"K and V", "kv", d->kv}};
    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
        /* Each factor is below 2^31, so the first product fits in 62 bits
         * and the division keeps the rest from overflowing. */
        long long per_row = (long long)d->batch * d->heads;
        if (spans[i].rows * d->head_dim > INT_MAX / per_row)
            return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                           "attention q=%d kv=%d heads=%d batch=%d head_dim=%d: %s hold batch x "
                           "heads x %s x head_dim elements, more than the %d a kernel can index",
                           d->q, d->kv, d->heads, d->batch, d->head_dim, spans[i].names,
                           spans[i].rows_name, INT_MAX);
    }
    return TSR_RT_OK;
}

static int check_scale(const tsr_rt_attention_desc *d, char *err, size_t err_size)
{
    if (!(d->scale > 0.0f && isfinite(d->scale)))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "attention scale=%g: must be finite and > 0 (the scores' factor)",
                       (double)d->scale);
    return TSR_RT_OK;
}

/* Every buffer is the kernel's: a NULL one would reach the device as a
 * null pointer and fault there, far from the call. */
static int check_buffers(const bool given[SLOT_COUNT], char *err, size_t err_size)
{
    static const char *const names[SLOT_COUNT] = {"Q", "K", "V", "O"};
    for (int i = 0; i < SLOT_COUNT; i++)
        if (!given[i])
            return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "attention %s %s, but it is NULL",
                           i == SLOT_O ? "writes" : "reads", names[i]);
    return TSR_RT_OK;
}

int rt_attention_call(const tsr_rt_attention_desc *d, const void *const handles[4],
                      const bool given[4], rt_call *call, char *err, size_t err_size)
{
    if (!d)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "attention: no desc (NULL)");
    int rc = check_enums(d, err, err_size);
    if (!rc)
        rc = check_sizes(d, err, err_size);
    if (!rc)
        rc = check_scale(d, err, err_size);
    if (!rc)
        rc = check_buffers(given, err, err_size);
    if (rc)
        return rc;
    *call = (rt_call){.shape = {d->q, d->kv, d->heads, d->batch},
                      .n_dims = 4,
                      .ints = {d->q, d->kv, d->heads},
                      .floats = {d->scale}};
    tsr_rt_attention_desc_key(d, call->op_key, sizeof call->op_key);
    for (int i = 0; i < SLOT_COUNT; i++) {
        call->buffers[i] = handles[i];
        call->given[i] = given[i];
    }
    return TSR_RT_OK;
}
