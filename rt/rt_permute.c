/* Permute calls of libtessera-rt, whatever the backend: the desc checked
 * at the API's edge and turned into the op key (the perm) and shape (X's
 * dims) that pick the kernel (see tessera_rt.h). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "rt/rt_internal.h"

/* A call holds every dim of the op, and an int argument for each. */
_Static_assert(TSR_RT_MAX_RANK <= RT_MAX_DIMS, "rt_call.shape holds a permute's dims");
_Static_assert(TSR_RT_MAX_RANK <= sizeof((rt_call *)0)->ints / sizeof(int),
               "rt_call.ints holds a permute's dims");

void tsr_rt_permute_desc_init(tsr_rt_permute_desc *desc, int rank, const int *dims, const int *perm)
{
    *desc = (tsr_rt_permute_desc){.rank = rank, .dtype = TSR_RT_F32};
    for (int d = 0; d < TSR_RT_MAX_RANK; d++) {
        bool given = rank >= 1 && rank <= TSR_RT_MAX_RANK && d < rank;
        desc->dims[d] = given && dims ? dims[d] : 1;
        desc->perm[d] = given && perm ? perm[d] : d;
    }
}

static bool rank_valid(int rank)
{
    return rank >= 1 && rank <= TSR_RT_MAX_RANK;
}

/* Whether perm names each of 0 .. rank-1 once. */
static bool perm_valid(const tsr_rt_permute_desc *d)
{
    bool seen[TSR_RT_MAX_RANK] = {false};
    for (int i = 0; i < d->rank; i++) {
        int from = d->perm[i];
        if (from < 0 || from >= d->rank || seen[from])
            return false;
        seen[from] = true;
    }
    return true;
}

const char *tsr_rt_permute_desc_key(const tsr_rt_permute_desc *d, char *buf, size_t size)
{
    const char *dtype = d ? rt_dtype_name(d->dtype) : NULL;
    if (!dtype || !rank_valid(d->rank) || !perm_valid(d))
        return NULL;
    /* As the store: "permute.f32.perm=0,2,1,3". */
    char perm[4 * TSR_RT_MAX_RANK] = "";
    for (int i = 0; i < d->rank; i++)
        snprintf(perm + strlen(perm), sizeof perm - strlen(perm), "%s%d", i ? "," : "", d->perm[i]);
    snprintf(buf, size, "permute.%s.perm=%s", dtype, perm);
    return buf;
}

/* "[3,0,2]": the first `count` values, for messages. */
static const char *list_text(const int *values, int count, char *buf, size_t size)
{
    snprintf(buf, size, "[");
    for (int i = 0; i < count; i++)
        snprintf(buf + strlen(buf), size - strlen(buf), "%s%d", i ? "," : "", values[i]);
    snprintf(buf + strlen(buf), size - strlen(buf), "]");
    return buf;
}

static int check_desc(const tsr_rt_permute_desc *d, char *err, size_t err_size)
{
    if (!rank_valid(d->rank))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "permute rank=%d: must be 1 to %d", d->rank,
                       TSR_RT_MAX_RANK);
    char text[64];
    if (!perm_valid(d))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "permute perm=%s: must name each of X's dims 0..%d once",
                       list_text(d->perm, d->rank, text, sizeof text), d->rank - 1);
    if (!rt_dtype_name(d->dtype))
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "permute desc: dtype %d is not TSR_RT_F32, _F16 or _BF16", (int)d->dtype);
    /* The kernels index X and Y with 32-bit ints (core/ops/permute.c). */
    long long elems = 1;
    for (int i = 0; i < d->rank; i++) {
        if (d->dims[i] < 1)
            return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                           "permute dims=%s: dim %d is %d, each must be >= 1",
                           list_text(d->dims, d->rank, text, sizeof text), i, d->dims[i]);
        elems *= d->dims[i];
        if (elems > INT_MAX)
            return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                           "permute dims=%s: more than the %d elements a kernel can index",
                           list_text(d->dims, d->rank, text, sizeof text), INT_MAX);
    }
    return TSR_RT_OK;
}

int rt_permute_call(const tsr_rt_permute_desc *d, const void *const handles[2], const bool given[2],
                    rt_call *call, char *err, size_t err_size)
{
    if (!d)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "permute: no desc (NULL)");
    int rc = check_desc(d, err, err_size);
    if (rc)
        return rc;
    /* Every dim of the op, d0 .. d3: those past the rank are 1, as in the
     * tuner's shapes of the perm. */
    *call = (rt_call){.n_dims = TSR_RT_MAX_RANK};
    for (int i = 0; i < TSR_RT_MAX_RANK; i++) {
        int dim = i < d->rank ? d->dims[i] : 1;
        call->shape[i] = dim;
        call->ints[i] = dim;
    }
    tsr_rt_permute_desc_key(d, call->op_key, sizeof call->op_key);
    for (int i = 0; i < 2; i++) {
        call->buffers[i] = handles[i];
        call->given[i] = given[i];
    }
    return TSR_RT_OK;
}
