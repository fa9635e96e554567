/* Opening a bundle, its launch rules, and the dispatch rule (see
 * tessera_rt.h and docs/bundle.md). */
#include <math.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/rt_internal.h"

int rt_fail(char *err, size_t size, int code, const char *fmt, ...)
{
    if (err && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, size, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* "n/64x16,m/64x16": one axis per comma; DIM/PERxLOCAL or 1xLOCAL. */
static bool parse_geometry(const tsr_manifest_kernel *k, rt_geometry *g)
{
    memset(g, 0, sizeof *g);
    const char *p = k->geometry;
    while (*p) {
        if (g->dims == 3)
            return false;
        const char *slash = strchr(p, '/'), *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        char *after;
        int a = g->dims;
        g->axis_dim[a] = -1;
        if (slash && slash < end) {
            for (int d = 0; d < k->n_dims; d++)
                if (strlen(k->dim_names[d]) == (size_t)(slash - p) &&
                    strncmp(k->dim_names[d], p, (size_t)(slash - p)) == 0)
                    g->axis_dim[a] = d;
            if (g->axis_dim[a] < 0)
                return false;
            p = slash + 1;
        }
        g->per_group[a] = strtol(p, &after, 10);
        if (after == p || *after != 'x' || g->per_group[a] < 1)
            return false;
        p = after + 1;
        long local = strtol(p, &after, 10);
        if (after == p || after != end || local < 1 || local > 4096)
            return false;
        g->local[a] = (size_t)local;
        g->dims++;
        p = *end ? end + 1 : end;
    }
    return g->dims > 0;
}

/* The argument list, "buffer:A,...,float:beta", by name. */
static bool parse_args(const char *text, rt_kernel *k)
{
    static const struct {
        const char *name;
        rt_kind kind;
        int slot;
    } known[] = {
        {"buffer:A", RT_BUFFER, 0},
        {"buffer:B", RT_BUFFER, 1},
        {"buffer:C", RT_BUFFER, 2},
        {"buffer:X", RT_BUFFER, 0},
        {"buffer:Y", RT_BUFFER, 1},
        {"int:M", RT_INT, 0},
        {"int:N", RT_INT, 1},
        {"int:K", RT_INT, 2},
        {"int:rows", RT_INT, 0},
        {"int:cols", RT_INT, 1},
        {"float:alpha", RT_FLOAT, 0},
        {"float:beta", RT_FLOAT, 1},
        /* GEMM's fused epilogue: known, so that a bundle holding such
         * kernels opens, though no call of this runtime supplies them yet. */
        {"buffer:bias", RT_BUFFER, 3},
        {"buffer:R", RT_BUFFER, 4},
    };
    k->n_args = 0;
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, ",");
        int found = -1;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            if (strlen(known[i].name) == n && strncmp(known[i].name, p, n) == 0)
                found = (int)i;
        if (found < 0 || k->n_args == RT_MAX_ARGS)
            return false;
        k->args[k->n_args++] = (rt_arg){known[found].kind, known[found].slot};
        p += n + (p[n] == ',');
    }
    return k->n_args > 0;
}

int tsr_rt_open(const char *dir, tsr_rt_bundle **out, char *err, size_t err_size)
{
    *out = NULL;
    tsr_error e = {{0}};
    tsr_manifest *m = NULL;
    if (tsr_bundle_check(dir, &m, &e) != TSR_OK)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "%s", e.msg);
    tsr_rt_bundle *b = calloc(1, sizeof *b);
    rt_kernel *kernels = calloc(m->n_kernels ? m->n_kernels : 1, sizeof *kernels);
    char *dir_copy = strdup(dir);
    if (!b || !kernels || !dir_copy) {
        free(b);
        free(kernels);
        free(dir_copy);
        tsr_manifest_free(m);
        return rt_fail(err, err_size, TSR_RT_ERR_BACKEND, "out of memory opening %s", dir);
    }
    for (size_t i = 0; i < m->n_kernels; i++) {
        const tsr_manifest_kernel *k = &m->kernels[i];
        /* An op the runtime cannot launch is left alone; a launch rule or
         * argument list it cannot read is a bundle that does not check. */
        bool known = strcmp(k->op, "gemm") == 0 || strcmp(k->op, "softmax") == 0;
        if (known &&
            (!parse_geometry(k, &kernels[i].geometry) || !parse_args(k->args, &kernels[i]))) {
            free(b);
            free(kernels);
            free(dir_copy);
            int rc = rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                             "%s/manifest.json: kernels[%zu]: geometry '%s' or arguments '%s' "
                             "not as docs/bundle.md describes them",
                             dir, i, k->geometry, k->args);
            tsr_manifest_free(m);
            return rc;
        }
    }
    b->dir = dir_copy;
    b->manifest = m;
    b->kernels = kernels;
    pthread_mutex_init(&b->lock, NULL);
    *out = b;
    return TSR_RT_OK;
}

void tsr_rt_close(tsr_rt_bundle *b)
{
    if (!b)
        return;
    rt_opencl_release(b->opencl);
    rt_cuda_release(b->cuda);
    rt_hip_release(b->hip);
    pthread_mutex_destroy(&b->lock);
    tsr_manifest_free(b->manifest);
    free(b->kernels);
    free(b->dir);
    free(b);
}

const char *tsr_rt_loaded_from(const tsr_rt_bundle *b, size_t index)
{
    return b && index < b->manifest->n_kernels && b->kernels[index].loaded[0]
               ? b->kernels[index].loaded
               : NULL;
}

size_t tsr_rt_kernel_count(const tsr_rt_bundle *b)
{
    return b ? b->manifest->n_kernels : 0;
}

int tsr_rt_kernel_info_at(const tsr_rt_bundle *b, size_t index, tsr_rt_kernel_info *out)
{
    if (!b || index >= b->manifest->n_kernels)
        return TSR_RT_ERR_INPUT;
    const tsr_manifest_kernel *k = &b->manifest->kernels[index];
    *out = (tsr_rt_kernel_info){.op_key = k->op_key,
                                .shape = k->shape,
                                .config = k->config,
                                .language = k->language,
                                .device = k->device,
                                .time_ms = k->time_ms};
    return TSR_RT_OK;
}

const char *tsr_rt_gemm_key(tsr_rt_layout a, tsr_rt_layout b, bool beta_nonzero, char *buf,
                            size_t size)
{
    snprintf(buf, size, "gemm.f32.a=%s.b=%s.beta=%d", a == TSR_RT_COL ? "col" : "row",
             b == TSR_RT_COL ? "col" : "row", beta_nonzero ? 1 : 0);
    return buf;
}

/* docs/bundle.md, "Dispatch rule": the exact shape; else the least sum of
 * |log2(shape / tuned)| over dims; ties to the larger tuned shape, then
 * the earlier entry. */
long tsr_rt_pick(const tsr_rt_bundle *b, const char *op_key, const char *language,
                 const long *shape, int n_dims)
{
    long best = -1;
    double best_cost = INFINITY, best_size = 0;
    for (size_t i = 0; b && i < b->manifest->n_kernels; i++) {
        const tsr_manifest_kernel *k = &b->manifest->kernels[i];
        if (strcmp(k->op_key, op_key) != 0 || strcmp(k->language, language) != 0 ||
            k->n_dims != n_dims)
            continue;
        double cost = 0, size = 1;
        for (int d = 0; d < n_dims; d++) {
            double want = shape[d] < 1 ? 1 : (double)shape[d], have = (double)k->shape_dims[d];
            cost += fabs(log2(want / have));
            size *= have;
        }
        bool tie = fabs(cost - best_cost) <= 1e-12 * fmax(1.0, best_cost);
        if (best < 0 || (!tie && cost < best_cost) || (tie && size > best_size)) {
            best = (long)i;
            best_cost = cost;
            best_size = size;
        }
    }
    return best;
}

int rt_gemm_call(tsr_rt_layout a_layout, tsr_rt_layout b_layout, int m, int n, int k, float alpha,
                 float beta, rt_call *call, char *err, size_t err_size)
{
    if (m < 1 || n < 1 || k < 1)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "GEMM m=%d n=%d k=%d: each must be >= 1", m,
                       n, k);
    *call = (rt_call){.shape = {m, n, k}, .n_dims = 3, .ints = {m, n, k}, .floats = {alpha, beta}};
    tsr_rt_gemm_key(a_layout, b_layout, beta != 0.0f, call->op_key, sizeof call->op_key);
    return TSR_RT_OK;
}

int rt_softmax_call(int rows, int cols, rt_call *call, char *err, size_t err_size)
{
    if (rows < 1 || cols < 1)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "softmax rows=%d cols=%d: each must be >= 1", rows, cols);
    *call = (rt_call){
        .op_key = "softmax.f32", .shape = {rows, cols}, .n_dims = 2, .ints = {rows, cols}};
    return TSR_RT_OK;
}

int rt_pick_call(const tsr_rt_bundle *b, const char *language, const rt_call *call, long *index,
                 char *err, size_t err_size)
{
    if (!b)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "no bundle");
    *index = tsr_rt_pick(b, call->op_key, language, call->shape, call->n_dims);
    if (*index < 0)
        return rt_fail(err, err_size, TSR_RT_ERR_NOT_FOUND,
                       "%s has no %s kernel for %s (export a bundle tuned on such a device)",
                       b->dir, language, call->op_key);
    return TSR_RT_OK;
}

int rt_read_file(const tsr_rt_bundle *b, const char *file, const char *sha256, char **out,
                 size_t *length, char *err, size_t err_size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", b->dir, file);
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        data = malloc((size_t)size + 1);
    if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    if (f)
        fclose(f);
    if (!data)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "cannot read %s", path);
    data[size] = '\0';
    char digest[SHA256_DIGEST_STRING_LENGTH];
    SHA256Data((const uint8_t *)data, (size_t)size, digest);
    if (strcmp(digest, sha256) != 0) {
        free(data);
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                       "%s changed since the bundle was opened (SHA-256 differs)", path);
    }
    *out = data;
    if (length)
        *length = (size_t)size;
    return TSR_RT_OK;
}

int rt_read_source(const tsr_rt_bundle *b, long index, char **out, char *err, size_t err_size)
{
    const tsr_manifest_kernel *k = &b->manifest->kernels[index];
    return rt_read_file(b, k->file, k->sha256, out, NULL, err, err_size);
}

void rt_groups(const rt_geometry *g, const long *shape, size_t groups[3])
{
    for (int a = 0; a < 3; a++) {
        groups[a] = 1;
        if (a < g->dims && g->axis_dim[a] >= 0)
            groups[a] = (size_t)((shape[g->axis_dim[a]] + g->per_group[a] - 1) / g->per_group[a]);
    }
}

void rt_param_pointers(const rt_kernel *k, const rt_call *call, void **params)
{
    for (int i = 0; i < k->n_args; i++) {
        const rt_arg *a = &k->args[i];
        params[i] = a->kind == RT_BUFFER ? (void *)call->buffers[a->slot]
                    : a->kind == RT_INT  ? (void *)&call->ints[a->slot]
                                         : (void *)&call->floats[a->slot];
    }
}

void rt_grid(const rt_kernel *k, const rt_call *call, unsigned grid[3], unsigned block[3])
{
    size_t groups[3];
    rt_groups(&k->geometry, call->shape, groups);
    for (int d = 0; d < 3; d++) {
        grid[d] = (unsigned)groups[d];
        block[d] = d < k->geometry.dims ? (unsigned)k->geometry.local[d] : 1u;
    }
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
