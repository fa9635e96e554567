/* An op definition: everything tessera knows about one kind of operation,
 * as a table of data and functions (one per op in core/ops/):
 * its dims, its search space and constraints, how to build its tile
 * program from (op spec, config, profile), its launch geometry and
 * arguments, and its higher-precision CPU reference. */
#ifndef TSR_OP_H
#define TSR_OP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/launch.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "core/status.h"

#define TSR_MAX_PARAMS 20
#define TSR_MAX_PARAM_VALUES 12
#define TSR_MAX_BUFFERS 8
#define TSR_MAX_OP_FEATURES 16

struct tsr_tile_program;
struct tsr_resource_report;

typedef struct tsr_param_def {
    const char *name; /* "BM" */
    const char *doc;  /* one line for --help and reports */
    int n_values;
    int values[TSR_MAX_PARAM_VALUES];
    int default_value;
    /* Its values past the first only narrow what the others allow: a config
     * it refines is valid only where the same config at its first value
     * is. The space's walk tries them on those configs alone, which keeps
     * a param of five values from making the walk five times as long.
     * Such params come after all the others. */
    bool refines;
} tsr_param_def;

/* One point of an op's search space: values in the op's param order. */
typedef struct tsr_config {
    int value[TSR_MAX_PARAMS];
} tsr_config;

typedef struct tsr_buffer_def {
    const char *name;
    bool is_input;  /* read by the kernel (filled with random data) */
    bool is_output; /* written by the kernel (poisoned before each run) */
} tsr_buffer_def;

typedef struct tsr_op_def {
    const char *name;    /* as written in op specs: "gemm" */
    const char *summary; /* one line */
    int n_dims;
    const char *dim_names[TSR_MAX_DIMS];
    /* Per dim: 0 when every shape must give it, else the value a shape
     * that leaves it out has (gemm's batch: 1). Optional dims come after
     * the required ones and count independent problems: every buffer holds
     * one matrix per index of each of them. */
    long dim_default[TSR_MAX_DIMS];
    int n_params;
    const tsr_param_def *params;
    int n_buffers;
    const tsr_buffer_def *buffers;
    /* The element types op specs may name, as bits 1u << tsr_dtype; 0 for
     * f32 alone. */
    unsigned dtypes;
    /* The element type buffer `buffer` holds for the spec (NULL: every
     * buffer holds the spec's dtype): a GEMM of f16 inputs accumulates into
     * an f32 C. */
    tsr_dtype (*buffer_dtype)(const tsr_opspec *spec, int buffer);

    /* TSR_OK, or TSR_ERR_UNSUPPORTED with the reason a config cannot run on
     * the profile (work-group size, shared memory, divisibility ...). */
    tsr_status (*check)(const tsr_opspec *spec, const tsr_profile *profile,
                        const tsr_config *config, tsr_error *err);
    tsr_status (*build)(tsr_arena *arena, const tsr_opspec *spec, const tsr_profile *profile,
                        const tsr_config *config, struct tsr_tile_program **out, tsr_error *err);
    /* How the launch geometry follows from a shape (exported in bundles). */
    void (*geometry_rule)(const tsr_opspec *spec, const tsr_config *config, tsr_geometry_rule *out);
    /* Element count of each buffer for a shape. */
    size_t (*buffer_elems)(const tsr_opspec *spec, const tsr_shape *shape, int buffer);
    /* Kernel arguments in the order the tile program declares them. */
    int (*args)(const tsr_opspec *spec, const tsr_shape *shape, tsr_buffer *const *buffers,
                tsr_arg *out);
    /* Double-precision reference of the output buffer from the inputs'
     * contents; `magnitude` receives, per output element, the sum of the
     * absolute values of the terms that make it, which scales the error. */
    void (*reference)(const tsr_opspec *spec, const tsr_shape *shape, const float *const *buffers,
                      double *out, double *magnitude);
    /* Largest accepted |got - ref| / magnitude. */
    double (*tolerance)(const tsr_opspec *spec, const tsr_shape *shape);
    /* Useful floating-point operations, for GFLOP/s. */
    double (*flops)(const tsr_opspec *spec, const tsr_shape *shape);
    /* Which buffer the reference describes. */
    int output_buffer;
    /* A starting config shaped by the profile's capabilities (may be NULL:
     * the params' defaults). Need not pass check(); callers fall back. */
    void (*suggest)(const tsr_opspec *spec, const tsr_profile *profile, tsr_config *out);
    /* Whether the kernel reads the output's old contents (GEMM with beta);
     * when not, the output is poisoned before each verifying run. */
    bool (*reads_output)(const tsr_opspec *spec);
    /* What a cost model sees of a config's kernel on a profile for a shape
     * (may be NULL: the params alone): fills n_features numbers, the last
     * of which is log2 of an analytic time estimate in seconds. `resources`
     * is the vendor compiler's report when one is known, else NULL. */
    int n_features;
    const char *const *feature_names;
    int (*features)(const tsr_opspec *spec, const tsr_profile *profile, const tsr_shape *shape,
                    const tsr_config *config, const struct tsr_resource_report *resources,
                    double *out);
} tsr_op_def;

/* The registry of ops. */
const tsr_op_def *tsr_op_find(const char *name);
const tsr_op_def *const *tsr_ops(int *count);

/* The element types an op accepts (tsr_op_def.dtypes, f32 when 0). */
unsigned tsr_op_dtypes(const tsr_op_def *op);
/* The element type of one of the spec's buffers. */
tsr_dtype tsr_op_buffer_dtype(const tsr_opspec *spec, int buffer);

/* Config helpers shared by every op. */
int tsr_config_get(const tsr_op_def *op, const tsr_config *config, const char *name);
void tsr_config_default(const tsr_op_def *op, tsr_config *out);
/* The op's suggestion for the profile when check() accepts it, else the
 * params' defaults when accepted, else the first config of the space;
 * `origin` says which ("suggested", "default", "first valid"). */
tsr_status tsr_config_start(const tsr_opspec *spec, const tsr_profile *profile, tsr_config *out,
                            const char **origin, tsr_error *err);
/* The launch geometry of a config for a shape: the op's rule applied. */
void tsr_op_geometry(const tsr_opspec *spec, const tsr_config *config, const tsr_shape *shape,
                     tsr_geometry *out);
/* "BM=64,BN=64,..." in param order. */
void tsr_config_format(const tsr_op_def *op, const tsr_config *config, char *buf, size_t size);
/* Parses "k=v,k=v" over `base`: named params take the given values; each
 * value must be one of the param's listed values. */
tsr_status tsr_config_parse(const tsr_op_def *op, const char *text, tsr_config *inout,
                            tsr_error *err);

#endif
