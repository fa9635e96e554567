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

/* f16 loads and stores are OpenCL's own vload_half and vstore_half_rte
 * (core since 1.0, no cl_khr_fp16 needed); bf16 is carried as ushort, the
 * top half of an f32, rounded to nearest even as it is stored. */
static const char preamble[] =
    "float tsr_bf16_to_f32(ushort h)\n"
    "{\n"
    "    return as_float((uint)h << 16);\n"
    "}\n"
    "ushort tsr_f32_to_bf16(float f)\n"
    "{\n"
    "    uint u = as_uint(f);\n"
    "    if ((u & 0x7fffffffu) > 0x7f800000u)\n"
    "        return (ushort)((u >> 16) | 0x40u); /* NaN stays quiet */\n"
    "    return (ushort)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);\n"
    "}\n"
    "#define TSR_VLD_BF16(n)                                                  \\\n"
    "    float##n tsr_vld_bf16_##n(const __global ushort *p)                  \\\n"
    "    {                                                                    \\\n"
    "        return as_float##n(convert_uint##n(vload##n(0, p)) << 16);       \\\n"
    "    }\n"
    "TSR_VLD_BF16(2)\n"
    "TSR_VLD_BF16(4)\n"
    "TSR_VLD_BF16(8)\n"
    "TSR_VLD_BF16(16)\n"
    "#define TSR_VST_BF16(n)                                                  \\\n"
    "    void tsr_vst_bf16_##n(float##n v, __global ushort *p)                \\\n"
    "    {                                                                    \\\n"
    "        uint##n u = as_uint##n(v);                                       \\\n"
    "        uint##n r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;              \\\n"
    "        r = select(r, (u >> 16) | 0x40u, (u & 0x7fffffffu) > 0x7f800000u); \\\n"
    "        vstore##n(convert_ushort##n(r), 0, p);                           \\\n"
    "    }\n"
    "TSR_VST_BF16(2)\n"
    "TSR_VST_BF16(4)\n"
    "TSR_VST_BF16(8)\n"
    "TSR_VST_BF16(16)\n";

static void widening_load(tsr_strbuf *out, tsr_dtype dtype, int width, const char *pointer)
{
    if (dtype == TSR_F16 && width == 1)
        tsr_strbuf_printf(out, "vload_half(0, %s)", pointer);
    else if (dtype == TSR_F16)
        tsr_strbuf_printf(out, "vload_half%d(0, %s)", width, pointer);
    else if (width == 1)
        tsr_strbuf_printf(out, "tsr_bf16_to_f32(*(%s))", pointer);
    else
        tsr_strbuf_printf(out, "tsr_vld_bf16_%d(%s)", width, pointer);
}

/* OpenCL's sub-groups (cl_khr_subgroups, or Intel's cl_intel_subgroups,
 * which brings the same calls to OpenCL C 1.2) are the device's to size and
 * to fill: the helpers ask it (get_sub_group_size) and ignore the width the
 * lowering assumed, and sub_group_reduce_* combines whichever work-items the
 * device grouped, consecutive or not. Where neither extension is defined
 * (PoCL 3.1: clinfo lists neither and 0 sub-groups per work-group), each
 * work-item is a sub-group of its own: the kernel stays right, every
 * partial going through local memory as without sub-groups, and the tuner
 * measures it like any other. */
static const char subgroup_text[] =
    "#if defined(cl_khr_subgroups) || defined(cl_intel_subgroups)\n"
    "#ifdef cl_khr_subgroups\n"
    "#pragma OPENCL EXTENSION cl_khr_subgroups : enable\n"
    "#endif\n"
    "#define tsr_subgroup_sum(v, width) sub_group_reduce_add(v)\n"
    "#define tsr_subgroup_max(v, width) sub_group_reduce_max(v)\n"
    "#define tsr_subgroup_id(width) ((int)get_sub_group_id())\n"
    "#define tsr_subgroup_lane(width) ((int)get_sub_group_local_id())\n"
    "#define tsr_subgroup_size(width) ((int)get_sub_group_size())\n"
    "#define tsr_subgroup_count(threads, width) ((int)get_num_sub_groups())\n"
    "#else\n"
    "#define tsr_subgroup_sum(v, width) (v)\n"
    "#define tsr_subgroup_max(v, width) (v)\n"
    "#define tsr_subgroup_id(width)                                                          \\\n"
    "    ((int)(get_local_id(0) +                                                            \\\n"
    "           get_local_size(0) * (get_local_id(1) + get_local_size(1) * get_local_id(2))))\n"
    "#define tsr_subgroup_lane(width) 0\n"
    "#define tsr_subgroup_size(width) 1\n"
    "#define tsr_subgroup_count(threads, width) (threads)\n"
    "#endif\n";

static void subgroup_helpers(tsr_strbuf *out, int width)
{
    (void)width;
    tsr_strbuf_append(out, subgroup_text);
}

static void narrowing_store(tsr_strbuf *out, tsr_dtype dtype, int width, const char *pointer,
                            const char *value)
{
    if (dtype == TSR_F16 && width == 1)
        tsr_strbuf_printf(out, "vstore_half_rte(%s, 0, %s)", value, pointer);
    else if (dtype == TSR_F16)
        tsr_strbuf_printf(out, "vstore_half%d_rte(%s, 0, %s)", width, value, pointer);
    else if (width == 1)
        tsr_strbuf_printf(out, "*(%s) = tsr_f32_to_bf16(%s)", pointer, value);
    else
        tsr_strbuf_printf(out, "tsr_vst_bf16_%d(%s, %s)", width, value, pointer);
}

const tsr_dialect tsr_dialect_opencl = {
    .name = "opencl",
    .extension = ".cl",
    .preamble = preamble,
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
                   [TP_TANH] = "tanh",
                   TSR_SUBGROUP_FUNC_NAMES},
    .int_min = "min",
    .int_max = "max",
    .unroll_format = "#pragma unroll %d",
    .unroll_full = "#pragma unroll",
    .print_vector_type = vector_type,
    .print_vload = vload,
    .print_vstore = vstore,
    .print_splat = splat,
    .lane_format = ".s%x",
    .storage_names = {[TSR_F16] = "half", [TSR_BF16] = "ushort"},
    .print_widening_load = widening_load,
    .print_narrowing_store = narrowing_store,
    .print_subgroup_helpers = subgroup_helpers,
    /* OpenCL C 1.2 has double only as an extension, enabled before use. */
    .f64_helpers = "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n",
};
