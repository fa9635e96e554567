/* OpenCL C 1.2: the dialect table. */
#include <stdio.h>

#include "generators/dialects.h"

static void work_group_hint(tsr_strbuf *out, const tp_kernel *k)
{
    tsr_strbuf_printf(out, "__attribute__((reqd_work_group_size(%d, %d, %d)))\n", k->local[0],
                      k->local[1], k->local[2]);
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
    .kernel_qualifier = "__kernel ",
    .global_qualifier = "__global ",
    .shared_qualifier = "__local ",
    .restrict_qualifier = "restrict ",
    .barrier = "barrier(CLK_LOCAL_MEM_FENCE)",
    .builtin_format =
        {
            [TP_LOCAL_ID] = "(int)get_local_id(%d)",
            [TP_GROUP_ID] = "(int)get_group_id(%d)",
            [TP_LOCAL_SIZE] = "(int)get_local_size(%d)",
            [TP_NUM_GROUPS] = "(int)get_num_groups(%d)",
        },
    .func_names = {[TP_FMA] = "fma",
                   [TP_EXP] = "exp",
                   [TP_FMAX] = "fmax",
                   [TP_FMIN] = "fmin",
                   [TP_SQRT] = "sqrt"},
    .unroll_format = "#pragma unroll %d",
    .unroll_full = "#pragma unroll",
    .print_work_group_hint = work_group_hint,
    .print_vector_type = vector_type,
    .print_vload = vload,
    .print_vstore = vstore,
    .print_splat = splat,
    .lane_format = ".s%x",
};
