/* For the vendor-compile check only: the functions of
 * cl_intel_subgroup_matrix_multiply_accumulate that tessera's OpenCL
 * kernels call, declared as the extension's specification gives them,
 * for clang's OpenCL front end, which does not know the extension (nor
 * does the ocloc CI installs, which predates it), so that the calls of
 * the kernels' native branch are type-checked against them. */
#define cl_intel_subgroup_matrix_multiply_accumulate 1
float8 __attribute__((overloadable)) intel_sub_group_f16_f16_matrix_mad_k16(int8 a, int8 b,
                                                                           float8 acc);
float8 __attribute__((overloadable)) intel_sub_group_f16_f16_matrix_mad_k16(short8 a, int8 b,
                                                                           float8 acc);
float8 __attribute__((overloadable)) intel_sub_group_bf16_bf16_matrix_mad_k16(int8 a, int8 b,
                                                                             float8 acc);
float8 __attribute__((overloadable)) intel_sub_group_bf16_bf16_matrix_mad_k16(short8 a, int8 b,
                                                                             float8 acc);
