/* What every backend's launch shares: the geometry of a call, a kernel's
 * arguments as pointers, CUDA's and HIP's grid limits, and the caches'
 * growth (see rt_internal.h). */
#include <stdlib.h>

#include "rt/rt_internal.h"

int rt_geometry(const rt_kernel *k, const rt_call *call, tsr_geometry *out, char *err,
                size_t err_size)
{
    /* A dim the call leaves out is 1, as for the pick. */
    tsr_shape shape;
    for (int d = 0; d < TSR_MAX_DIMS; d++)
        shape.dim[d] = d < call->n_dims ? call->shape[d] : 1;
    tsr_geometry_apply(&k->geometry, &shape, out);
    if (out->workspace_bytes > TSR_WORKSPACE_MAX_BYTES)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "%s: the launch needs %zu bytes of workspace, past the %zu its kernel can "
                       "index (split the call)",
                       call->op_key, out->workspace_bytes, TSR_WORKSPACE_MAX_BYTES);
    return TSR_RT_OK;
}

void rt_param_pointers(const rt_kernel *k, const rt_call *call, void **params)
{
    for (int i = 0; i < k->n_args; i++) {
        const rt_arg *a = &k->args[i];
        params[i] = a->kind == RT_BUFFER      ? (void *)call->buffers[a->slot]
                    : a->kind == RT_WORKSPACE ? (void *)call->workspace
                    : a->kind == RT_INT       ? (void *)&call->ints[a->slot]
                    : a->kind == RT_DOUBLE    ? (void *)&call->doubles[a->slot]
                                              : (void *)&call->floats[a->slot];
    }
}

int rt_grid(const rt_kernel *k, const rt_call *call, unsigned grid[3], unsigned block[3], char *err,
            size_t err_size)
{
    /* CUDA's grid limits per axis (HIP's are no smaller); a batch runs
     * along the third, so a large one meets its limit first. */
    static const size_t limit[3] = {2147483647u, 65535u, 65535u};
    tsr_geometry geometry;
    int rc = rt_geometry(k, call, &geometry, err, err_size);
    if (rc)
        return rc;
    for (int d = 0; d < 3; d++) {
        if (geometry.groups[d] > limit[d])
            return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                           "%s: %zu groups along launch axis %d, more than the %zu a CUDA or HIP "
                           "grid takes (split the call)",
                           call->op_key, geometry.groups[d], d, limit[d]);
        grid[d] = (unsigned)geometry.groups[d];
        block[d] = (unsigned)geometry.local[d];
    }
    return TSR_RT_OK;
}

int rt_reserve(void **entries, size_t *capacity, size_t count, size_t entry_size, char *err,
               size_t err_size)
{
    if (count < *capacity)
        return TSR_RT_OK;
    size_t cap = *capacity ? 2 * *capacity : 8;
    void *grown = realloc(*entries, cap * entry_size);
    if (!grown)
        return rt_fail(err, err_size, TSR_RT_ERR_BACKEND, "out of memory");
    *entries = grown;
    *capacity = cap;
    return TSR_RT_OK;
}

rt_workspace *rt_workspace_slot(rt_workspaces *table, uintptr_t place, uintptr_t queue,
                                bool per_thread, char *err, size_t err_size)
{
    for (size_t i = 0; i < table->count; i++) {
        rt_workspace *w = &table->items[i];
        if (w->place == place && w->queue == queue &&
            (!per_thread || pthread_equal(w->thread, pthread_self())))
            return w;
    }
    void *items = table->items;
    int reserved =
        rt_reserve(&items, &table->capacity, table->count, sizeof *table->items, err, err_size);
    table->items = items;
    if (reserved)
        return NULL;
    rt_workspace *w = &table->items[table->count++];
    *w = (rt_workspace){.place = place, .queue = queue, .per_thread = per_thread};
    if (per_thread)
        w->thread = pthread_self();
    return w;
}
