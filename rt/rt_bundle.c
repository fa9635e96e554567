/* Opening a bundle, its launch rules, and the dispatch rule (see
 * tessera_rt.h and docs/bundle.md). */
#include <errno.h>
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

/* An optional dim that every kernel of an op runs along a launch axis of
 * its own, one group per index, whatever shape it was tuned on. */
typedef struct rt_own_axis {
    int dim, axis; /* -1: none */
} rt_own_axis;

/* The ops this runtime launches: how many dims a shape must give and may
 * give, in the op's order; the optional dim a batch runs along, which
 * kernels from before batching cannot run (-1: none); and the optional
 * dims with launch axes of their own (docs/bundle.md, "Geometry rule"). A
 * dim that an entry or a call leaves out is 1, the default of every
 * optional dim so far. */
typedef struct rt_op {
    const char *name;
    int required_dims, all_dims;
    int batch_dim;
    rt_own_axis own_axes[2];
} rt_op;

static const rt_op rt_ops[] = {
    {"gemm", 3, 4, 3, {{3, 2}, {-1, -1}}},
    {"softmax", 2, 2, -1, {{-1, -1}, {-1, -1}}},
    /* rows, cols, and inner along the middle axis */
    {"reduce", 2, 3, -1, {{-1, -1}, {-1, -1}}},
    {"rmsnorm", 2, 2, -1, {{-1, -1}, {-1, -1}}},
    {"layernorm", 2, 2, -1, {{-1, -1}, {-1, -1}}},
    /* X's dims d0 .. d3; those past the perm's rank are 1. */
    {"permute", 1, 4, -1, {{-1, -1}, {-1, -1}}},
    /* q, kv, heads, batch: a work-group's head and batch are its group ids
     * 1 and 2 (core/ops/attention.c). */
    {"attention", 2, 4, -1, {{2, 1}, {3, 2}}},
    /* n, c, h, w, k: every one required. */
    {"conv2d", 5, 5, -1, {{-1, -1}, {-1, -1}}},
};

/* The op of a name, or of an op key's first part ("gemm" of
 * "gemm.f32.a=row..."); NULL for one this runtime does not launch. */
static const rt_op *op_named(const char *name, size_t length)
{
    for (size_t i = 0; i < sizeof rt_ops / sizeof rt_ops[0]; i++)
        if (strlen(rt_ops[i].name) == length && strncmp(rt_ops[i].name, name, length) == 0)
            return &rt_ops[i];
    return NULL;
}

/* A byte count of a geometry item: decimal digits to the end of the
 * text, at least 1 (no sign, no blank, nothing after). */
static bool parse_bytes(const char *text, size_t *bytes)
{
    if (*text < '0' || *text > '9')
        return false;
    errno = 0;
    char *after;
    long value = strtol(text, &after, 10);
    if (*after || value < 1 || errno == ERANGE)
        return false;
    *bytes = (size_t)value;
    return true;
}

/* Cuts the item ",NAME=BYTES" off the end of `axes`, its bytes in
 * *bytes; false when the item is there but malformed or not last. */
static bool cut_last_item(char *axes, const char *name, size_t *bytes)
{
    char *item = strstr(axes, name);
    if (!item)
        return true;
    if (!parse_bytes(item + strlen(name), bytes))
        return false;
    *item = '\0';
    return true;
}

/* An axis's repeat, the R of "R*" in [text, star): decimal digits only
 * (no sign, no blank), at least 2, as core/bundle.c reads it; a repeat of
 * 1 is written as none. */
static bool parse_repeat(const char *text, const char *star, long *repeat)
{
    if (*text < '0' || *text > '9')
        return false;
    errno = 0;
    char *after;
    long value = strtol(text, &after, 10);
    if (after != star || value < 2 || errno == ERANGE)
        return false;
    *repeat = value;
    return true;
}

/* "n/64x16,m/64x16": one axis per comma; [R*]DIM/PERxLOCAL or [R*]1xLOCAL,
 * R >= 2 launching the axis's groups R times over; then, for a kernel
 * launched with dynamic shared memory, ",shared=BYTES"; last, for a kernel
 * that takes a workspace, ",workspace=BYTES". */
static bool parse_geometry(const tsr_manifest_kernel *k, tsr_geometry_rule *g)
{
    memset(g, 0, sizeof *g);
    char axes[256];
    if (snprintf(axes, sizeof axes, "%s", k->geometry) >= (int)sizeof axes)
        return false;
    if (!cut_last_item(axes, ",workspace=", &g->workspace_bytes) ||
        !cut_last_item(axes, ",shared=", &g->shared_bytes))
        return false;
    const char *p = axes;
    while (*p) {
        if (g->dims == 3)
            return false;
        const char *comma = strchr(p, ','), *star = strchr(p, '*');
        const char *end = comma ? comma : p + strlen(p);
        char *after;
        int a = g->dims;
        g->dim[a] = -1;
        g->repeat[a] = 1;
        if (star && star < end) {
            if (!parse_repeat(p, star, &g->repeat[a]))
                return false;
            p = star + 1;
            star = strchr(p, '*');
            if (star && star < end)
                return false;
        }
        const char *slash = strchr(p, '/');
        if (slash && slash < end) {
            for (int d = 0; d < k->n_dims; d++)
                if (strlen(k->dim_names[d]) == (size_t)(slash - p) &&
                    strncmp(k->dim_names[d], p, (size_t)(slash - p)) == 0)
                    g->dim[a] = d;
            if (g->dim[a] < 0)
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

/* An entry tuned without a batch leaves the dim out of its shape, so its
 * batch axis is written as a lone group ("n/64x16,m/64x16,1x1"). Its
 * kernel still takes the problem from that axis's group id, so the axis
 * is read back as the batch: a kernel tuned on one problem runs a batch.
 * So for each dim with an axis of its own (attention's heads too, whose
 * lone group keeps its threads: "q/32x2,1x8,1x1"). The axis keeps its
 * repeat: a split-K GEMM's "4*1x1" launches 4 groups per problem of the
 * batch, as "4*batch/1x1" would. A GEMM entry from before batching has
 * two axes, and a kernel that reads no group id of a third: it gets no
 * batch axis, and runs batch 1 only. */
static void read_own_axes(const rt_op *op, tsr_geometry_rule *g)
{
    for (size_t i = 0; i < sizeof op->own_axes / sizeof op->own_axes[0]; i++) {
        int a = op->own_axes[i].axis;
        if (a >= 0 && a < g->dims && g->dim[a] < 0 && g->per_group[a] == 1)
            g->dim[a] = op->own_axes[i].dim;
    }
}

static bool launches_along(const tsr_geometry_rule *g, int dim)
{
    for (int a = 0; a < g->dims; a++)
        if (g->dim[a] == dim)
            return true;
    return false;
}

/* The argument list, "buffer:A,...,float:beta", by name; read after the
 * geometry rule, whose workspace bytes it is checked against. */
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
        {"int:inner", RT_INT, 2}, /* a reduction along the middle axis */
        {"float:alpha", RT_FLOAT, 0},
        {"float:beta", RT_FLOAT, 1},
        {"double:alpha", RT_DOUBLE, 0}, /* an f64 GEMM's */
        {"double:beta", RT_DOUBLE, 1},
        /* GEMM's fused epilogue, last and only when used. */
        {"buffer:bias", RT_BUFFER, 3},
        {"buffer:R", RT_BUFFER, 4},
        /* The norms' per-column vectors and eps (rmsnorm, layernorm). */
        {"buffer:gamma", RT_BUFFER, 2},
        {"buffer:beta", RT_BUFFER, 3},
        {"float:eps", RT_FLOAT, 0},
        /* permute's dims, X's d0 .. d(rank-1). */
        {"int:d0", RT_INT, 0},
        {"int:d1", RT_INT, 1},
        {"int:d2", RT_INT, 2},
        {"int:d3", RT_INT, 3},
        /* attention's sequences, lengths, heads and scale. */
        {"buffer:Q", RT_BUFFER, 0},
        {"buffer:K", RT_BUFFER, 1},
        {"buffer:V", RT_BUFFER, 2},
        {"buffer:O", RT_BUFFER, 3},
        {"int:QLEN", RT_INT, 0},
        {"int:KVLEN", RT_INT, 1},
        {"int:HEADS", RT_INT, 2},
        {"float:scale", RT_FLOAT, 0},
        /* conv2d's filters (its X and Y are the slots above), sizes and
         * bias; alpha is GEMM's. */
        {"buffer:W", RT_BUFFER, 2},
        {"int:batch", RT_INT, 0},
        {"int:in_c", RT_INT, 1},
        {"int:in_h", RT_INT, 2},
        {"int:in_w", RT_INT, 3},
        {"int:out_c", RT_INT, 4},
        {"int:out_h", RT_INT, 5},
        {"int:out_w", RT_INT, 6},
        /* The workspace libtessera-rt supplies (rt_call). */
        {"buffer:workspace", RT_WORKSPACE, 0},
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
        k->args[k->n_args++] = (rt_arg){known[found].kind, known[found].slot, known[found].name};
        p += n + (p[n] == ',');
    }
    /* The workspace comes last, exactly when the rule gives its bytes: a
     * kernel launched without one would be handed no buffer. */
    bool takes_workspace = k->n_args > 0 && k->args[k->n_args - 1].kind == RT_WORKSPACE;
    for (int i = 0; i + 1 < k->n_args; i++)
        if (k->args[i].kind == RT_WORKSPACE)
            return false;
    return k->n_args > 0 && takes_workspace == (k->geometry.workspace_bytes > 0);
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
         * argument list it cannot read is a bundle that does not check, and
         * so are dims other than the op's (a launch reads the call's shape
         * at the indices the rule names). */
        const rt_op *op = op_named(k->op, strlen(k->op));
        if (op && (!parse_geometry(k, &kernels[i].geometry) || !parse_args(k->args, &kernels[i]) ||
                   k->n_dims < op->required_dims || k->n_dims > op->all_dims)) {
            free(b);
            free(kernels);
            free(dir_copy);
            int rc = rt_fail(err, err_size, TSR_RT_ERR_INPUT,
                             "%s/manifest.json: kernels[%zu]: shape '%s', geometry '%s' or "
                             "arguments '%s' not as docs/bundle.md describes them",
                             dir, i, k->shape, k->geometry, k->args);
            tsr_manifest_free(m);
            return rc;
        }
        if (op)
            read_own_axes(op, &kernels[i].geometry);
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

/* How far entry i's tuned shape is from a call's shape of n_dims values
 * (docs/bundle.md, "Dispatch rule"): the sum of |log2(shape / tuned)| over
 * the op's dims, a dim left out on either side being 1; and the tuned
 * shape's size, for ties. False when the entry cannot run the call: dims
 * of another count, or an optional dim above 1 along which its kernel
 * launches no axis: a batch for a GEMM kernel from before batching, or a
 * permute dim that was 1 in the tuned shape, whose axis the export wrote
 * as a lone group (core/bundle.c, entry_dims). */
static bool entry_distance(const tsr_rt_bundle *b, size_t i, const long *shape, int n_dims,
                           double *cost, double *size)
{
    const tsr_manifest_kernel *k = &b->manifest->kernels[i];
    const rt_op *op = op_named(k->op, strlen(k->op));
    int dims = n_dims;
    if (op) {
        if (n_dims < op->required_dims || n_dims > op->all_dims)
            return false;
        for (int d = op->required_dims; d < n_dims; d++)
            if (shape[d] > 1 && !launches_along(&b->kernels[i].geometry, d))
                return false;
        dims = op->all_dims;
    } else if (k->n_dims != n_dims) {
        return false;
    }
    *cost = 0;
    *size = 1;
    for (int d = 0; d < dims; d++) {
        double want = d < n_dims && shape[d] > 1 ? (double)shape[d] : 1.0;
        double have = d < k->n_dims ? (double)k->shape_dims[d] : 1.0;
        *cost += fabs(log2(want / have));
        *size *= have;
    }
    return true;
}

/* docs/bundle.md, "Dispatch rule": the exact shape; else the least sum of
 * |log2(shape / tuned)| over dims; ties to the larger tuned shape, then
 * the earlier entry. */
long tsr_rt_pick(const tsr_rt_bundle *b, const char *op_key, const char *language,
                 const long *shape, int n_dims)
{
    long best = -1;
    double best_cost = INFINITY, best_size = 0;
    for (size_t i = 0; b && shape && i < b->manifest->n_kernels; i++) {
        const tsr_manifest_kernel *k = &b->manifest->kernels[i];
        double cost, size;
        if (strcmp(k->op_key, op_key) != 0 || strcmp(k->language, language) != 0 ||
            !entry_distance(b, i, shape, n_dims, &cost, &size))
            continue;
        bool tie = fabs(cost - best_cost) <= 1e-12 * fmax(1.0, best_cost);
        if (best < 0 || (!tie && cost < best_cost) || (tie && size > best_size)) {
            best = (long)i;
            best_cost = cost;
            best_size = size;
        }
    }
    return best;
}

/* Whether the bundle has any entry of the key in the language. */
static bool has_key(const tsr_rt_bundle *b, const char *op_key, const char *language)
{
    for (size_t i = 0; i < b->manifest->n_kernels; i++)
        if (strcmp(b->manifest->kernels[i].op_key, op_key) == 0 &&
            strcmp(b->manifest->kernels[i].language, language) == 0)
            return true;
    return false;
}

/* No entry for the call: said so, and why when the bundle has kernels of
 * the key that launch no axis along a dim the call sets above 1. */
static int not_found(const tsr_rt_bundle *b, const char *language, const rt_call *call, char *err,
                     size_t err_size)
{
    if (!has_key(b, call->op_key, language))
        return rt_fail(err, err_size, TSR_RT_ERR_NOT_FOUND,
                       "%s has no %s kernel for %s (export a bundle tuned on such a device)",
                       b->dir, language, call->op_key);
    const rt_op *op = op_named(call->op_key, strcspn(call->op_key, "."));
    long one[RT_MAX_DIMS];
    memcpy(one, call->shape, sizeof one);
    bool batched =
        op && op->batch_dim >= 0 && op->batch_dim < call->n_dims && one[op->batch_dim] > 1;
    if (batched) {
        one[op->batch_dim] = 1;
        if (tsr_rt_pick(b, call->op_key, language, one, call->n_dims) >= 0)
            return rt_fail(err, err_size, TSR_RT_ERR_NOT_FOUND,
                           "%s: no %s kernel for %s launches a batch (%ld problems): the bundle "
                           "is from before batched GEMM; export it again",
                           b->dir, language, call->op_key, call->shape[op->batch_dim]);
    }
    return rt_fail(err, err_size, TSR_RT_ERR_NOT_FOUND,
                   "%s: no %s kernel for %s launches an axis along every dim this call sets above "
                   "1 (each was tuned with such a dim at 1); tune a shape with it above 1",
                   b->dir, language, call->op_key);
}

int rt_pick_call(const tsr_rt_bundle *b, const char *language, const rt_call *call, long *index,
                 char *err, size_t err_size)
{
    if (!b)
        return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "no bundle");
    *index = tsr_rt_pick(b, call->op_key, language, call->shape, call->n_dims);
    if (*index < 0)
        return not_found(b, language, call, err, err_size);
    /* A NULL buffer would reach the kernel as a null pointer and fault on
     * the device, far from the call that passed it. */
    const rt_kernel *rk = &b->kernels[*index];
    for (int i = 0; i < rk->n_args; i++)
        if (rk->args[i].kind == RT_BUFFER && !call->given[rk->args[i].slot])
            return rt_fail(err, err_size, TSR_RT_ERR_INPUT, "%s: the kernel's argument %s is NULL",
                           call->op_key, rk->args[i].name);
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
