/* What a vendor compiler says a kernel needs: the resource report of one
 * offline compile (backends/offline.h makes it, the store keeps it, the
 * tuner reads it). Vendor-neutral fields, each zero where the vendor's
 * compiler does not report it. */
#ifndef TSR_RESOURCES_H
#define TSR_RESOURCES_H

#include <stdbool.h>

typedef struct tsr_resource_report {
    char compiler[16], target[32];
    /* Which build of the compiler: its resolved path, size and modification
     * time, so that a stored report is not reused after an upgrade. */
    char compiler_id[320];
    bool ok;             /* the compiler accepted the kernel */
    int registers;       /* per thread: NVIDIA registers, AMD VGPRs */
    int sgprs, agprs;    /* AMD scalar and accumulation registers */
    long spill_bytes;    /* NVIDIA spill stores + loads; AMD spilled VGPRs x 4 bytes/lane */
    long shared_bytes;   /* static shared memory (smem) / LDS per block */
    long private_bytes;  /* NVIDIA stack frame; AMD scratch bytes per lane */
    int occupancy_waves; /* AMD waves per SIMD as the compiler reports it; 0 elsewhere */
    char grf_mode[16];   /* Intel register file mode the kernel was built for */
    char log[1024];      /* the compiler's first lines of interest */
} tsr_resource_report;

#endif
