/* Parsers of the vendor compilers' resource reports. They read text only,
 * so the tests feed them output captured from the real tools. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/offline.h"

/* The number written just before `suffix` in [line, end), or -1. */
static long number_before(const char *line, const char *end, const char *suffix)
{
    size_t n = strlen(suffix);
    for (const char *p = line; p + n <= end; p++) {
        if (strncmp(p, suffix, n) != 0)
            continue;
        const char *digits = p;
        while (digits > line && digits[-1] >= '0' && digits[-1] <= '9')
            digits--;
        if (digits < p)
            return strtol(digits, NULL, 10);
    }
    return -1;
}

/* The number written just after `prefix` in [line, end), or -1. */
static long number_after(const char *line, const char *end, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = line; p + n <= end; p++) {
        if (strncmp(p, prefix, n) == 0 && p[n] >= '0' && p[n] <= '9')
            return strtol(p + n, NULL, 10);
    }
    return -1;
}

static const char *line_end(const char *p)
{
    const char *nl = strchr(p, '\n');
    return nl ? nl : p + strlen(p);
}

static bool line_has(const char *line, const char *end, const char *needle)
{
    const char *hit = strstr(line, needle);
    return hit && hit < end;
}

/* ptxas -v writes, per entry function:
 *   ptxas info    : Compiling entry function 'NAME' for 'sm_90'
 *   ptxas info    : Function properties for NAME
 *       0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
 *   ptxas info    : Used 10 registers, used 1 barriers, 1024 bytes smem
 * (older releases: "Used 10 registers, 1024 bytes smem, 352 bytes cmem[0]").
 * The section of NAME runs to the next "Compiling entry function". */
bool tsr_offline_parse_ptxas(const char *log, const char *kernel_name, tsr_resource_report *r)
{
    char header[160];
    snprintf(header, sizeof header, "Compiling entry function '%s'", kernel_name);
    const char *p = strstr(log, header);
    if (!p)
        return false;
    p = line_end(p);
    bool found = false;
    while (*p) {
        p += *p == '\n';
        const char *end = line_end(p);
        if (line_has(p, end, "Compiling entry function"))
            break;
        long v;
        if ((v = number_after(p, end, "Used ")) >= 0 && number_before(p, end, " registers") >= 0) {
            r->registers = (int)v;
            found = true;
            long smem = number_before(p, end, " bytes smem");
            r->shared_bytes = smem > 0 ? smem : 0;
        }
        long stack = number_before(p, end, " bytes stack frame");
        if (stack >= 0) {
            long stores = number_before(p, end, " bytes spill stores");
            long loads = number_before(p, end, " bytes spill loads");
            r->private_bytes = stack;
            r->spill_bytes = (stores > 0 ? stores : 0) + (loads > 0 ? loads : 0);
        }
        p = end;
    }
    return found;
}

/* clang's -Rpass-analysis=kernel-resource-usage for AMDGPU writes remarks:
 *   k.hip:74:1: remark: Function Name: NAME [-Rpass-analysis=...]
 *   k.hip:74:1: remark:     SGPRs: 37 [...]
 *   ... VGPRs, AGPRs (gfx90a and later), ScratchSize [bytes/lane],
 *   Occupancy [waves/SIMD], SGPRs Spill, VGPRs Spill, LDS Size [bytes/block].
 * A spilled VGPR costs 4 bytes per lane in scratch. */
bool tsr_offline_parse_amdgpu(const char *log, const char *kernel_name, tsr_resource_report *r)
{
    char header[160];
    snprintf(header, sizeof header, "Function Name: %s ", kernel_name);
    const char *p = strstr(log, header);
    if (!p) {
        /* The name may end its line when the remark carries no flag. */
        snprintf(header, sizeof header, "Function Name: %s\n", kernel_name);
        if (!(p = strstr(log, header)))
            return false;
    }
    p = line_end(p);
    while (*p) {
        p += *p == '\n';
        const char *end = line_end(p);
        if (line_has(p, end, "Function Name:"))
            break;
        long v;
        if ((v = number_after(p, end, "SGPRs: ")) >= 0)
            r->sgprs = (int)v;
        else if ((v = number_after(p, end, "VGPRs: ")) >= 0)
            r->registers = (int)v;
        else if ((v = number_after(p, end, "AGPRs: ")) >= 0)
            r->agprs = (int)v;
        else if ((v = number_after(p, end, "ScratchSize [bytes/lane]: ")) >= 0)
            r->private_bytes = v;
        else if ((v = number_after(p, end, "Occupancy [waves/SIMD]: ")) >= 0)
            r->occupancy_waves = (int)v;
        else if ((v = number_after(p, end, "VGPRs Spill: ")) >= 0)
            r->spill_bytes = 4 * v;
        else if ((v = number_after(p, end, "LDS Size [bytes/block]: ")) >= 0)
            r->shared_bytes = v;
        p = end;
    }
    return true;
}

/* ocloc (intel-opencl-icd 22.43) prints "Build succeeded." and no resource
 * figures: the binary it writes holds patch tokens, not a readable report.
 * IGC does warn when a kernel spills ("... spilled around N bytes ..." in
 * some releases); that number is taken when present. */
bool tsr_offline_parse_ocloc(const char *log, tsr_resource_report *r)
{
    for (const char *p = log; *p;) {
        const char *end = line_end(p);
        const char *spill = strstr(p, "spill");
        if (spill && spill < end) {
            long v = number_after(spill, end, "spilled around ");
            if (v < 0)
                v = number_before(p, end, " bytes");
            if (v > r->spill_bytes)
                r->spill_bytes = v;
        }
        p = *end ? end + 1 : end;
    }
    return strstr(log, "Build succeeded") != NULL;
}

void tsr_offline_log_excerpt(const char *log, char *out, size_t size)
{
    if (size == 0)
        return;
    const char *start = log;
    for (const char *p = log; *p;) {
        const char *end = line_end(p);
        if (line_has(p, end, "error")) {
            start = p;
            break;
        }
        p = *end ? end + 1 : end;
    }
    snprintf(out, size, "%s", start);
}
