/* OpenCL C 1.2: the dialect table. */
#include <stdio.h>

#include "generators/dialects.h"

static void kernel_head(tsr_strbuf *out, const tp_kernel *k)
{
    tsr_strbuf_printf(out, "__kernel __attribute__((reqd_work_group_size(%d, %d, %d)))\nvoid ",
                      k->local[0], k->local[1], k->local[2]);
}

static void builtin(tsr_strbuf *out, tp_builtin which, int axis)
{
    static const char *names[] = {[TP_LOCAL_ID] = "get_local_id",
                                  [TP_GROUP_ID] = "get_group_id",
                                  [TP_LOCAL_SIZE] = "get_local_size",
                                  [TP_NUM_GROUPS] = "get_num_groups"};
    tsr_strbuf_printf(out, "(int)%s(%d)", names[which], axis);
}

static void vector_type(tsr_strbuf *out, const char *scalar, int width)
{
    tsr_strbuf_printf(out, "%s%d", scalar, width);
}

/* vloadN and vstoreN need only element alignment, so any index is allowed. */
static void vload(tsr_strbuf *out, int width, const char *pointer)
{
    tsr_strbuf_printf(out, "vload%d(0, %s)", width, pointer);
}

static void vstore(tsr_strbuf *out, int width, const char *pointer, const char *value)
{
    tsr_strbuf_printf(out, "vstore%d(%s, 0, %s)", width, value, pointer);
}

static void splat(tsr_strbuf *out, const char *scalar, int width, const char *value)
{
    tsr_strbuf_printf(out, "(%s%d)(%s)", scalar, width, value);
}

const tsr_dialect tsr_dialect_opencl = {
    .name = "opencl",
    .extension = ".cl",
    .preamble = "",
    .print_kernel_head = kernel_head,
    .global_qualifier = "__global ",
    .shared_qualifier = "__local ",
    .restrict_qualifier = "restrict ",
    .barrier = "barrier(CLK_LOCAL_MEM_FENCE)",
    .print_builtin = builtin,
    .func_names = {[TP_FMA] = "fma",
                   [TP_EXP] = "exp",
                   [TP_FMAX] = "fmax",
                   [TP_FMIN] = "fmin",
                   [TP_SQRT] = "sqrt",
                   [TP_TANH] = "tanh"},
    .int_min = "min",
    .int_max = "max",
    .unroll_format = "#pragma unroll %d",
    .unroll_full = "#pragma unroll",
    .print_vector_type = vector_type,
    .print_vload = vload,
    .print_vstore = vstore,
    .print_splat = splat,
    .lane_format = ".s%x",
};
