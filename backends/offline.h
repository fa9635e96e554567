/* The offline backend: a vendor's own compiler (nvcc/ptxas, hipcc, ocloc)
 * run as a child process for a device that is not attached, and its
 * resource report parsed into one struct. The parsers are separate
 * (offline_parse.c) so that they are tested on captured text. */
#ifndef TSR_OFFLINE_H
#define TSR_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/profile.h"
#include "core/resources.h"
#include "core/status.h"

/* Compiles `source` (in `language`: "cuda", "hip" or "opencl") with
 * `compiler` ("nvcc", "hipcc", "ocloc") for `target` ("sm_90", "gfx90a",
 * "dg2") in a private temporary directory, then removes it. A kernel the
 * compiler rejects is an outcome, not an error: TSR_OK with out->ok false
 * and the log's first lines. TSR_ERR_UNSUPPORTED when the compiler is not
 * installed (the message says how to get it), TSR_ERR_INPUT for an unknown
 * compiler, language or target (the message lists the supported ones). */
tsr_status tsr_offline_compile(const char *compiler, const char *target, const char *source,
                               const char *kernel_name, const char *language,
                               tsr_resource_report *out, tsr_error *err);

/* Which build of `compiler` would run, as tsr_resource_report.compiler_id
 * spells it, without compiling anything: the key under which a stored
 * report may be reused. Errors as tsr_offline_compile's. */
tsr_status tsr_offline_compiler_id(const char *compiler, char *out, size_t size, tsr_error *err);

/* Whether `compiler` building for `target` can spell the matrix unit of
 * `kind` (a profile's matrix_units kind: "mma", "mfma", "wmma" ...):
 * hipcc has MFMA for gfx908, gfx90a and gfx94x alone and WMMA for gfx11x
 * alone, ocloc DPAS for dg2, the acm parts and pvc where it knows
 * cl_intel_subgroup_matrix_multiply_accumulate (a probe compile; Debian
 * 12's ocloc does not), so a profile whose offline target stands in for
 * its GPU (RDNA2's gfx1030 for RDNA3), or a compiler older than its unit,
 * may lack a unit the profile lists; every other pair answers true. */
bool tsr_offline_target_has_unit(const char *compiler, const char *target, const char *kind);

/* The generator dialect a compiler takes: "cuda", "hip", "opencl"; NULL
 * for an unknown compiler. */
const char *tsr_offline_dialect(const char *compiler);

/* Blocks resident per SM/CU for a kernel of `threads_per_block` threads
 * with the report's resources on profile `p`: the least of
 *   registers_per_unit / (registers x threads_per_block),
 *   shared_per_unit / (shared_bytes + dynamic_shared)
 *                                           (when it uses shared memory;
 *                                            the report counts the static
 *                                            part, the launch the rest),
 *   2048 / threads_per_block                (threads per unit: the profile
 *                                            has no such field; 2048 is
 *                                            NVIDIA's sm_80..sm_90 figure).
 * 0 when one block does not fit; -1 when the profile lacks the numbers. */
int tsr_offline_occupancy(const tsr_profile *p, const tsr_resource_report *r, int threads_per_block,
                          long dynamic_shared);

/* The loadable binaries of a kernel, built by the vendor's compiler for
 * `target` and written into `dir` as STEM.TARGET.KIND:
 *   nvcc   a cubin for the sm target ("cubin", "sm_90") and PTX of the same
 *          architecture ("ptx", "compute_90"), which newer GPUs' drivers
 *          compile on load;
 *   hipcc  a HIP code object for the gfx target ("hsaco", "gfx90a");
 *   ocloc  the device binary ("bin", "dg2") and SPIR-V ("spirv").
 * Each file appears whole or not at all. A compiler that rejects the
 * kernel is an error here (TSR_ERR_BACKEND with its log's first lines):
 * the kernel was verified, so the toolchain is at fault. */
#define TSR_OFFLINE_MAX_BINARIES 2
typedef struct tsr_offline_binary {
    char kind[8], target[32];
    char name[512]; /* inside dir */
} tsr_offline_binary;

tsr_status tsr_offline_binaries(const char *compiler, const char *target, const char *source,
                                const char *language, const char *dir, const char *stem,
                                tsr_offline_binary out[TSR_OFFLINE_MAX_BINARIES], int *count,
                                tsr_error *err);

/* Parsers (offline_parse.c). Each fills the resource fields of `r` for
 * `kernel_name` from a compiler's output and returns true when the report
 * named it. */
bool tsr_offline_parse_ptxas(const char *log, const char *kernel_name, tsr_resource_report *r);
bool tsr_offline_parse_amdgpu(const char *log, const char *kernel_name, tsr_resource_report *r);
bool tsr_offline_parse_ocloc(const char *log, tsr_resource_report *r);
/* The excerpt of a failed compile's log worth reading, into `out`: from the
 * first line that mentions an error (skipping a driver's unrelated noise,
 * such as hipcc's rocm_agent_enumerator traceback on a machine without an
 * AMD GPU), else from the start. */
void tsr_offline_log_excerpt(const char *log, char *out, size_t size);

#endif
