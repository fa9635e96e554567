/* tessera_bundle.h: the standalone C99 (and C++) header of a bundle. It
 * embeds every kernel's source and picks a kernel for a shape, so that a
 * program can use the tuned kernels with nothing of tessera installed.
 *
 * Strict compilers limit one string literal to 4095 bytes *after* adjacent
 * literals are joined (gcc -pedantic says so), so a source is embedded as
 * an array of parts, each well below that; the array is exactly what
 * clCreateProgramWithSource takes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bundle.h"
#include "core/bundle_internal.h"
#include "tsr_config.h"

/* Bytes of source per part and per physical line of the header. */
enum { PART_BYTES = 2048, LINE_BYTES = 96 };

/* Appends text[0..len) as the body of a C string literal. '?' is escaped
 * against trigraphs, and octal escapes (never more than three digits) are
 * used for other bytes so a following digit cannot extend them. */
static void c_escape(tsr_strbuf *sb, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        switch (c) {
        case '\\': tsr_strbuf_append(sb, "\\\\"); break;
        case '"': tsr_strbuf_append(sb, "\\\""); break;
        case '?': tsr_strbuf_append(sb, "\\?"); break;
        case '\n': tsr_strbuf_append(sb, "\\n"); break;
        case '\t': tsr_strbuf_append(sb, "\\t"); break;
        default:
            if (c < 0x20 || c >= 0x7f)
                tsr_strbuf_printf(sb, "\\%03o", c);
            else
                tsr_strbuf_appendn(sb, (const char *)&c, 1);
        }
    }
}

static void c_string(tsr_strbuf *sb, const char *text)
{
    if (!text) {
        tsr_strbuf_append(sb, "NULL");
        return;
    }
    tsr_strbuf_append(sb, "\"");
    c_escape(sb, text, strlen(text));
    tsr_strbuf_append(sb, "\"");
}

/* Emits `static const char *const tessera_source_N[]` and returns its
 * number of parts. One literal per source line keeps the header readable. */
static unsigned source_parts(tsr_strbuf *sb, const char *source, int index)
{
    tsr_strbuf_printf(sb, "static const char *const tessera_source_%d[] = {\n", index);
    size_t total = strlen(source), done = 0, part_bytes = 0;
    unsigned parts = 1;
    tsr_strbuf_append(sb, "    \"\"");
    while (done < total) {
        const char *line = source + done;
        const char *newline = memchr(line, '\n', total - done);
        size_t len = newline ? (size_t)(newline - line) + 1 : total - done;
        if (len > LINE_BYTES)
            len = LINE_BYTES;
        if (part_bytes + len > PART_BYTES) {
            tsr_strbuf_append(sb, ",\n    \"\"");
            parts++;
            part_bytes = 0;
        }
        tsr_strbuf_append(sb, "\n    \"");
        c_escape(sb, line, len);
        tsr_strbuf_append(sb, "\"");
        part_bytes += len;
        done += len;
    }
    tsr_strbuf_append(sb, "\n};\n\n");
    return parts;
}

static const char header_types[] =
    "#include <stddef.h>\n"
    "#include <string.h>\n"
    "\n"
    "#define TESSERA_BUNDLE_SCHEMA %d\n"
    "#define TESSERA_MAX_DIMS %d\n"
    "#define TESSERA_KERNEL_COUNT %d\n"
    "\n"
    "typedef struct tessera_kernel {\n"
    "    const char *op;          /* \"gemm\" */\n"
    "    const char *op_key;      /* what the kernel computes: op, types, layouts */\n"
    "    const char *device;      /* fingerprint of the device it was tuned on */\n"
    "    const char *profile;     /* device profile used while tuning */\n"
    "    const char *shape_text;  /* the tuned shape, \"m=64,n=64,k=64\" */\n"
    "    const char *config;      /* the winning config, \"BM=64,...\" */\n"
    "    int n_dims;              /* the op's dims: gemm m, n, k, batch */\n"
    "    long shape[TESSERA_MAX_DIMS]; /* the tuned shape in the op's dim order */\n"
    "    /* The one value the kernel computes a dim for, 0 when any: a kernel\n"
    "     * built before its op counted a batch solves one problem (batch 1). */\n"
    "    long fixed[TESSERA_MAX_DIMS];\n"
    "    const char *kernel_name; /* entry point in the source */\n"
    "    const char *language;    /* \"opencl\", \"cuda\", \"hip\" */\n"
    "    const char *file;        /* the source's path inside the bundle */\n"
    "    /* The source, split in parts that join into the whole text; the\n"
    "     * array suits clCreateProgramWithSource(ctx, count, parts, NULL, &e). */\n"
    "    const char *const *source_parts;\n"
    "    unsigned source_part_count;\n"
    "    size_t source_length;\n"
    "    const char *args;        /* \"buffer:A,...,int:M,...,float:alpha\" */\n"
    "    /* Launch geometry: along axis a, ceil(shape[axis_dim[a]] / per_group[a])\n"
    "     * groups of local[a] work-items, or one group when axis_dim[a] is -1,\n"
    "     * those repeat[a] times over (a split-K GEMM's splits per problem). */\n"
    "    unsigned geometry_dims;\n"
    "    int axis_dim[3];\n"
    "    long per_group[3];\n"
    "    long repeat[3];          /* 1: once; 1 on unused axes */\n"
    "    size_t local[3];\n"
    "    /* Dynamic shared memory to launch each group with (CUDA's\n"
    "     * sharedMemBytes; above 48 KiB, after raising the function's\n"
    "     * CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES to it); 0: none. */\n"
    "    size_t shared_bytes;\n"
    "    /* Bytes of workspace each launched group needs, 0: none; else the\n"
    "     * kernel's last argument is a buffer of groups x workspace_bytes,\n"
    "     * zero when allocated, which launches on one queue may share\n"
    "     * (docs/bundle.md, \"Geometry rule\"). */\n"
    "    size_t workspace_bytes;\n"
    "    double time_ms;          /* measured time on the tuned shape */\n"
    "} tessera_kernel;\n\n";

static void entry_initializer(tsr_strbuf *sb, const tsr_bundle_entry *e, int index, unsigned parts)
{
    const tsr_result *r = &e->result;
    const char *texts[] = {r->op, r->op_key, r->device, r->profile, r->shape, r->config};
    tsr_strbuf_append(sb, "    {");
    for (int i = 0; i < 6; i++) {
        tsr_strbuf_append(sb, i ? ",\n     " : "");
        c_string(sb, texts[i]);
    }
    /* Every dim of the op, defaults filled in, and a dim with no launch
     * axis along it fixed at its default. */
    const tsr_geometry_rule *g = &e->launch;
    int n_dims = e->op->n_dims;
    tsr_strbuf_printf(sb, ",\n     %d, {", n_dims);
    for (int d = 0; d < TSR_MAX_DIMS; d++)
        tsr_strbuf_printf(sb, "%s%ldL", d ? ", " : "", d < n_dims ? e->shape[d] : 0L);
    tsr_strbuf_append(sb, "}, {");
    for (int d = 0; d < TSR_MAX_DIMS; d++) {
        bool along = false;
        for (int a = 0; a < g->dims; a++)
            along |= g->dim[a] == d;
        long fixed = d < n_dims && e->op->dim_default[d] && !along ? e->op->dim_default[d] : 0;
        tsr_strbuf_printf(sb, "%s%ldL", d ? ", " : "", fixed);
    }
    tsr_strbuf_append(sb, "},\n     ");
    c_string(sb, r->kernel_name);
    tsr_strbuf_append(sb, ", ");
    c_string(sb, r->language);
    tsr_strbuf_append(sb, ", ");
    c_string(sb, e->file);
    tsr_strbuf_printf(sb, ",\n     tessera_source_%d, %uu, %zuu,\n     ", index, parts,
                      strlen(r->source));
    c_string(sb, r->args);
    long dim[3], per_group[3], repeat[3];
    size_t local[3];
    for (int a = 0; a < 3; a++) {
        bool used = a < g->dims;
        dim[a] = used ? g->dim[a] : -1;
        per_group[a] = used ? g->per_group[a] : 1;
        repeat[a] = used && g->repeat[a] > 1 ? g->repeat[a] : 1;
        local[a] = used ? g->local[a] : 1;
    }
    tsr_strbuf_printf(sb,
                      ",\n     %du, {%ld, %ld, %ld}, {%ldL, %ldL, %ldL}, {%ldL, %ldL, %ldL}, "
                      "{%zuu, %zuu, %zuu}",
                      g->dims, dim[0], dim[1], dim[2], per_group[0], per_group[1], per_group[2],
                      repeat[0], repeat[1], repeat[2], local[0], local[1], local[2]);
    tsr_strbuf_printf(sb, ", %zuu, %zuu,\n     %.17g}", g->shared_bytes, g->workspace_bytes,
                      r->time_ms);
}

/* The functions, as text. The dispatch rule is docs/bundle.md's: exact
 * shape first, else the smallest sum over dims of |log2(shape/tuned)|,
 * ties to the larger tuned shape. The sum of logs is compared as the
 * product of the ratios max/min, which orders the same and needs no libm. */
static const char header_functions[] =
    "/* Copies the whole source into buf (truncated to size - 1 bytes, always\n"
    " * NUL-terminated when size > 0); returns the source's full length. */\n"
    "static inline size_t tessera_source_copy(const tessera_kernel *k, char *buf, size_t "
    "size)\n"
    "{\n"
    "    size_t used = 0;\n"
    "    unsigned i;\n"
    "    for (i = 0; i < k->source_part_count; i++) {\n"
    "        size_t len = strlen(k->source_parts[i]);\n"
    "        if (size > 0 && used < size - 1) {\n"
    "            size_t room = size - 1 - used;\n"
    "            memcpy(buf + used, k->source_parts[i], len < room ? len : room);\n"
    "        }\n"
    "        used += len;\n"
    "    }\n"
    "    if (size > 0)\n"
    "        buf[used < size - 1 ? used : size - 1] = '\\0';\n"
    "    return used;\n"
    "}\n"
    "\n"
    "/* The kernel for op_key on `shape` (every dim of the op, in its order:\n"
    " * gemm m, n, k, batch),\n"
    " * among the entries of `device` (any device when NULL): the exact shape\n"
    " * when it was tuned, else the nearest tuned shape, i.e. the smallest sum\n"
    " * over dims of |log2(shape[d] / tuned[d])|, ties to the larger tuned\n"
    " * shape (product of dims), then to the earlier entry. NULL when op_key\n"
    " * has no entry that can compute the shape. Every other kernel is correct\n"
    " * for every shape; the pick only chooses the fastest known config. */\n"
    "static inline const tessera_kernel *tessera_pick_for(const char *device,\n"
    "                                                      const char *op_key,\n"
    "                                                      const long *shape)\n"
    "{\n"
    "    const tessera_kernel *best = NULL;\n"
    "    double best_cost = 0.0, best_volume = 0.0;\n"
    "    int i, d;\n"
    "    for (i = 0; i < TESSERA_KERNEL_COUNT; i++) {\n"
    "        const tessera_kernel *k = &tessera_kernels[i];\n"
    "        double cost = 1.0, volume = 1.0;\n"
    "        int exact = 1;\n"
    "        if (strcmp(k->op_key, op_key) != 0 || (device && strcmp(k->device, device) != 0))\n"
    "            continue;\n"
    "        for (d = 0; d < k->n_dims; d++)\n"
    "            if (k->fixed[d] && (shape[d] > 0 ? shape[d] : 1) != k->fixed[d])\n"
    "                break;\n"
    "        if (d < k->n_dims)\n"
    "            continue; /* it cannot compute this shape */\n"
    "        for (d = 0; d < k->n_dims; d++) {\n"
    "            double want = shape[d] > 0 ? (double)shape[d] : 1.0;\n"
    "            double tuned = (double)k->shape[d];\n"
    "            exact = exact && shape[d] == k->shape[d];\n"
    "            cost *= want > tuned ? want / tuned : tuned / want;\n"
    "            volume *= tuned;\n"
    "        }\n"
    "        if (exact)\n"
    "            return k;\n"
    "        /* equal within rounding: the product of ratios is inexact */\n"
    "        if (!best || cost < best_cost * (1.0 - 1e-12) ||\n"
    "            (cost <= best_cost * (1.0 + 1e-12) && volume > best_volume)) {\n"
    "            best = k;\n"
    "            best_cost = cost;\n"
    "            best_volume = volume;\n"
    "        }\n"
    "    }\n"
    "    return best;\n"
    "}\n"
    "\n"
    "static inline const tessera_kernel *tessera_pick(const char *op_key, const long "
    "*shape)\n"
    "{\n"
    "    return tessera_pick_for(NULL, op_key, shape);\n"
    "}\n"
    "\n"
    "/* The launch size of k on `shape`: OpenCL global sizes (groups * local,\n"
    " * the groups repeat[a] times over) and local sizes per axis, and the\n"
    " * number of axes; unused axes are 1. CUDA and HIP take groups =\n"
    " * global / local. */\n"
    "static inline void tessera_launch_size(const tessera_kernel *k, const long *shape,\n"
    "                                       size_t global[3], size_t local[3], unsigned "
    "*dims)\n"
    "{\n"
    "    unsigned a;\n"
    "    for (a = 0; a < 3; a++) {\n"
    "        size_t groups = 1;\n"
    "        local[a] = a < k->geometry_dims ? k->local[a] : 1;\n"
    "        if (a < k->geometry_dims && k->axis_dim[a] >= 0) {\n"
    "            long extent = shape[k->axis_dim[a]] > 0 ? shape[k->axis_dim[a]] : 1;\n"
    "            groups = (size_t)((extent + k->per_group[a] - 1) / k->per_group[a]);\n"
    "        }\n"
    "        if (a < k->geometry_dims && k->repeat[a] > 1)\n"
    "            groups *= (size_t)k->repeat[a];\n"
    "        global[a] = groups * local[a];\n"
    "    }\n"
    "    *dims = k->geometry_dims;\n"
    "}\n\n"
    "/* The bytes of workspace a launch of k for `shape` takes as its last\n"
    " * argument: workspace_bytes for each of its groups; 0: none. */\n"
    "static inline size_t tessera_workspace_size(const tessera_kernel *k, const long *shape)\n"
    "{\n"
    "    size_t global[3], local[3], bytes = k->workspace_bytes;\n"
    "    unsigned a, dims;\n"
    "    tessera_launch_size(k, shape, global, local, &dims);\n"
    "    for (a = 0; a < 3; a++)\n"
    "        bytes *= global[a] / local[a];\n"
    "    return bytes;\n"
    "}\n";

void tsr_bundle_header_text(tsr_strbuf *sb, const tsr_bundle_entry *entries, int count,
                            const char *created)
{
    tsr_strbuf_printf(sb,
                      "/* tessera_bundle.h: %d kernel(s) exported by tessera %s at %s.\n"
                      " * Bundle schema %d, described in tessera's docs/bundle.md.\n"
                      " * Standalone C99 and C++; generated, do not edit. */\n"
                      "#ifndef TESSERA_BUNDLE_H\n#define TESSERA_BUNDLE_H\n\n",
                      count, TSR_VERSION, created, TSR_BUNDLE_SCHEMA);
    tsr_strbuf_printf(sb, header_types, TSR_BUNDLE_SCHEMA, TSR_MAX_DIMS, count);
    unsigned *parts = calloc((size_t)count, sizeof *parts);
    if (!parts) {
        sb->failed = true;
        return;
    }
    for (int i = 0; i < count; i++)
        parts[i] = source_parts(sb, entries[i].result.source, i);
    tsr_strbuf_append(sb,
                      "static const tessera_kernel tessera_kernels[TESSERA_KERNEL_COUNT] = {\n");
    for (int i = 0; i < count; i++) {
        entry_initializer(sb, &entries[i], i, parts[i]);
        tsr_strbuf_append(sb, i + 1 < count ? ",\n" : "\n");
    }
    tsr_strbuf_append(sb, "};\n\n");
    tsr_strbuf_append(sb, header_functions);
    tsr_strbuf_append(sb, "\n#endif\n");
    free(parts);
}
