/* The offline backend: runs a vendor compiler as a child process on a
 * kernel written into a private temporary directory and parses its
 * resource report. No shell is involved: the compiler gets an argv array
 * whose only inputs are fixed words, the validated target and file names
 * this code makes. */
#include <dirent.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backends/offline.h"

extern char **environ;

/* What the child wrote to stdout and stderr is kept up to this size; a
 * resource report is a few lines per kernel. */
#define OFFLINE_LOG_MAX (1 << 20)

typedef struct offline_tool {
    const char *compiler;
    const char *language;  /* the dialect it compiles */
    const char *extension; /* of the source file it takes */
    const char *install;   /* how to get it, for the "not found" line */
    const char *targets;   /* the targets this build knows, for messages */
} offline_tool;

static const offline_tool offline_tools[] = {
    {"nvcc", "cuda", ".cu", "install the CUDA toolkit or set CUDA_HOME",
     "the sm_NN targets `nvcc --list-gpu-code` lists (e.g. sm_80 sm_89 sm_90), with an "
     "a or f suffix where nvcc has one"},
    {"hipcc", "hip", ".hip", "apt-get install hipcc",
     "gfx900 gfx906 gfx908 gfx90a gfx940 gfx941 gfx942 gfx1010 gfx1030 gfx1100 gfx1101 gfx1102"},
    {"ocloc", "opencl", ".cl", "apt-get install intel-opencl-icd",
     "tgllp dg1 dg2 acm-g10 acm-g11 pvc adlp adls rkl"},
};

/* AMD targets clang 15 (Debian's hipcc 5.2) builds device code for. */
static const char *const amd_targets[] = {
    "gfx900",  "gfx902",  "gfx904",  "gfx906",  "gfx908",  "gfx909",  "gfx90a",  "gfx90c",
    "gfx940",  "gfx941",  "gfx942",  "gfx1010", "gfx1011", "gfx1012", "gfx1030", "gfx1031",
    "gfx1032", "gfx1034", "gfx1035", "gfx1100", "gfx1101", "gfx1102", "gfx1103",
};
/* Intel device names ocloc 22.43 accepts (`ocloc compile --help`). */
static const char *const intel_targets[] = {
    "tgllp", "dg1", "dg2", "acm-g10", "acm-g11", "acm-g12", "pvc", "adlp", "adls", "adln", "rkl"};

/* Whether the installed ocloc declares cl_intel_subgroup_matrix_multiply_
 * accumulate for `target` (ocloc 22.43, Debian 12's, predates it): one
 * probe compile per target, remembered for the process. */
static bool ocloc_has_dpas(const char *target)
{
    static char probed[8][32];
    static bool answers[8];
    static int n_probed;
    for (int i = 0; i < n_probed; i++)
        if (strcmp(probed[i], target) == 0)
            return answers[i];
    static const char probe[] = "#ifndef cl_intel_subgroup_matrix_multiply_accumulate\n"
                                "#error no cl_intel_subgroup_matrix_multiply_accumulate\n"
                                "#endif\n"
                                "__kernel void tsr_probe(__global float *x) { x[0] = 0.0f; }\n";
    tsr_resource_report report;
    tsr_error err = {{0}};
    bool has = tsr_offline_compile("ocloc", target, probe, "tsr_probe", "opencl", &report, &err) ==
                   TSR_OK &&
               report.ok;
    if (n_probed < 8 && strlen(target) < sizeof probed[0]) {
        snprintf(probed[n_probed], sizeof probed[0], "%s", target);
        answers[n_probed++] = has;
    }
    return has;
}

bool tsr_offline_target_has_unit(const char *compiler, const char *target, const char *kind)
{
    if (!compiler || !target || !kind)
        return true;
    /* Intel's matrix unit from Xe-HPG (dg2, the acm parts) and Xe-HPC (pvc)
     * on, where the installed ocloc knows the extension that spells it. */
    if (strcmp(compiler, "ocloc") == 0 && strcmp(kind, "dpas") == 0)
        return (strcmp(target, "dg2") == 0 || strncmp(target, "acm", 3) == 0 ||
                strcmp(target, "pvc") == 0) &&
               ocloc_has_dpas(target);
    if (strcmp(compiler, "hipcc") != 0)
        return true;
    if (strcmp(kind, "mfma") == 0)
        return strcmp(target, "gfx908") == 0 || strcmp(target, "gfx90a") == 0 ||
               strncmp(target, "gfx94", 5) == 0;
    if (strcmp(kind, "wmma") == 0)
        return strncmp(target, "gfx11", 5) == 0;
    return true;
}

const char *tsr_offline_dialect(const char *compiler)
{
    for (size_t i = 0; i < sizeof offline_tools / sizeof offline_tools[0]; i++)
        if (compiler && strcmp(offline_tools[i].compiler, compiler) == 0)
            return offline_tools[i].language;
    return NULL;
}

static bool executable_at(const char *dir, const char *name, char *out, size_t size)
{
    if (!dir || !*dir)
        return false;
    int n = snprintf(out, size, "%s/%s", dir, name);
    return n > 0 && (size_t)n < size && access(out, X_OK) == 0;
}

/* The compiler on PATH; for nvcc then $CUDA_HOME/bin, or /usr/local/cuda/bin
 * when CUDA_HOME is unset (a set CUDA_HOME is taken as the user's choice);
 * for hipcc then /opt/rocm/bin, where AMD's own packages put it. */
static bool find_tool(const char *name, char *out, size_t size)
{
    const char *path = getenv("PATH");
    if (path) {
        char dir[1024];
        for (const char *p = path; *p;) {
            size_t len = strcspn(p, ":");
            if (len > 0 && len < sizeof dir) {
                memcpy(dir, p, len);
                dir[len] = '\0';
                if (executable_at(dir, name, out, size))
                    return true;
            }
            p += len + (p[len] == ':');
        }
    }
    if (strcmp(name, "nvcc") == 0) {
        const char *home = getenv("CUDA_HOME");
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/bin", home ? home : "/usr/local/cuda");
        return executable_at(dir, name, out, size);
    }
    if (strcmp(name, "hipcc") == 0)
        return executable_at("/opt/rocm/bin", name, out, size);
    return false;
}

/* "PATH (SIZE bytes, modified TIME)" of the executable: changes
 * when the compiler is upgraded or replaced, which is what a stored report
 * must notice. */
static tsr_status describe_tool(const char *tool, char *out, size_t size, tsr_error *err)
{
    struct stat st; /* of the file a symbolic link leads to */
    if (stat(tool, &st) != 0)
        return tsr_fail(err, TSR_ERR_IO, "offline: cannot inspect %s: %s", tool, strerror(errno));
    struct tm when;
    char stamp[32] = "?";
    if (gmtime_r(&st.st_mtime, &when))
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &when);
    snprintf(out, size, "%s (%lld bytes, modified %s)", tool, (long long)st.st_size, stamp);
    return TSR_OK;
}

/* Runs argv[0] (a full path) with stdout and stderr into one malloc'd,
 * NUL-terminated string; *exit_code is the child's status (-1 when it
 * died of a signal). */
static tsr_status run_tool(char *const argv[], char **output, int *exit_code, tsr_error *err)
{
    int fds[2];
    if (pipe(fds) != 0)
        return tsr_fail(err, TSR_ERR_BACKEND, "offline: pipe: %s", strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return tsr_fail(err, TSR_ERR_BACKEND, "offline: cannot run %s: %s", argv[0], strerror(rc));
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    bool nomem = buf == NULL;
    char chunk[4096];
    ssize_t got;
    while ((got = read(fds[0], chunk, sizeof chunk)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (nomem || len + (size_t)got + 1 > OFFLINE_LOG_MAX)
            continue; /* keep draining so the child never blocks on a full pipe */
        if (len + (size_t)got + 1 > cap) {
            while (len + (size_t)got + 1 > cap)
                cap *= 2;
            char *grown = realloc(buf, cap);
            if (!grown) {
                nomem = true;
                continue;
            }
            buf = grown;
        }
        memcpy(buf + len, chunk, (size_t)got);
        len += (size_t)got;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (nomem) {
        free(buf);
        return tsr_fail(err, TSR_ERR_NOMEM, "offline: out of memory reading %s's output", argv[0]);
    }
    buf[len] = '\0';
    *output = buf;
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return TSR_OK;
}

static bool in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

/* An NVIDIA target is sm_ and digits, optionally a or f; its base must be
 * one the installed nvcc lists, so that a new toolkit's targets work and a
 * dropped one (sm_70 in CUDA 13) is named as unsupported, not as a crash of
 * nvcc. */
static bool nvcc_target_ok(const char *nvcc, const char *target, char *known, size_t size,
                           tsr_error *err)
{
    if (strncmp(target, "sm_", 3) != 0)
        return false;
    size_t digits = 0;
    while (target[3 + digits] >= '0' && target[3 + digits] <= '9')
        digits++;
    if (digits == 0 || strlen(target) > 3 + digits + 1 ||
        (target[3 + digits] && target[3 + digits] != 'a' && target[3 + digits] != 'f'))
        return false;
    char base[32];
    snprintf(base, sizeof base, "%.*s", (int)(3 + digits), target);
    char *argv[] = {(char *)nvcc, "--list-gpu-code", NULL};
    char *listing = NULL;
    int code = 0;
    if (run_tool(argv, &listing, &code, err) != TSR_OK || code != 0) {
        free(listing);
        return true; /* an nvcc that cannot list: let it judge the target itself */
    }
    bool ok = false;
    size_t used = 0;
    known[0] = '\0';
    char *save = NULL;
    for (char *line = strtok_r(listing, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        ok = ok || strcmp(line, base) == 0;
        int n = snprintf(known + used, size - used, "%s%s", used ? " " : "", line);
        if (n > 0 && (size_t)n < size - used)
            used += (size_t)n;
    }
    free(listing);
    return ok;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[4096];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

static tsr_status write_file(const char *path, const char *text, tsr_error *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return tsr_fail(err, TSR_ERR_IO, "offline: cannot write %s: %s", path, strerror(errno));
    size_t len = strlen(text);
    bool ok = fwrite(text, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    return ok ? TSR_OK : tsr_fail(err, TSR_ERR_IO, "offline: cannot write %s", path);
}

enum { OCLOC_ARGC = 14 };

/* ocloc's command line, one for the resource report and the bundle's
 * binaries alike, so that a report describes the binary that ships:
 * OUT_DIR/k (the device binary) and OUT_DIR/k.spv. */
static void ocloc_command(char *argv[OCLOC_ARGC], char *tool, char *src, const char *target,
                          char *out_dir)
{
    char *const command[OCLOC_ARGC] = {tool,
                                       "compile",
                                       "-file",
                                       src,
                                       "-device",
                                       (char *)target,
                                       "-options",
                                       "-cl-std=CL1.2",
                                       "-out_dir",
                                       out_dir,
                                       "-output",
                                       "k",
                                       "-output_no_suffix",
                                       NULL};
    memcpy(argv, command, sizeof command);
}

/* Compiles in `dir` and parses the output into `out`. */
static tsr_status compile_in(const char *dir, const char *tool, const offline_tool *t,
                             const char *target, const char *source, const char *kernel_name,
                             tsr_resource_report *out, tsr_error *err)
{
    char src[4200], obj[4200], arch[64];
    snprintf(src, sizeof src, "%s/k%s", dir, t->extension);
    TSR_TRY(write_file(src, source, err));
    char *nvcc_argv[] = {(char *)tool, "-cubin", arch, "-Xptxas", "-v", "-o", obj, src, NULL};
    char *hipcc_argv[] = {
        (char *)tool, "-x", "hip", arch, "-O3", "-c", "-Rpass-analysis=kernel-resource-usage",
        "-o",         obj,  src,   NULL};
    char *ocloc_argv[OCLOC_ARGC];
    ocloc_command(ocloc_argv, (char *)tool, src, target, (char *)dir);
    char **argv;
    if (strcmp(t->compiler, "nvcc") == 0) {
        snprintf(arch, sizeof arch, "-arch=%s", target);
        snprintf(obj, sizeof obj, "%s/k.cubin", dir);
        argv = nvcc_argv;
    } else if (strcmp(t->compiler, "hipcc") == 0) {
        snprintf(arch, sizeof arch, "--offload-arch=%s", target);
        snprintf(obj, sizeof obj, "%s/k.o", dir);
        argv = hipcc_argv;
    } else {
        argv = ocloc_argv;
    }
    char *log = NULL;
    int code = 0;
    TSR_TRY(run_tool(argv, &log, &code, err));
    out->ok = code == 0;
    if (out->ok && strcmp(t->compiler, "nvcc") == 0)
        tsr_offline_parse_ptxas(log, kernel_name, out);
    else if (out->ok && strcmp(t->compiler, "hipcc") == 0)
        tsr_offline_parse_amdgpu(log, kernel_name, out);
    else if (out->ok) {
        tsr_offline_parse_ocloc(log, out);
        /* Built with ocloc's defaults: no large-GRF request was made. */
        snprintf(out->grf_mode, sizeof out->grf_mode, "default");
    }
    tsr_offline_log_excerpt(log, out->log, sizeof out->log);
    free(log);
    return TSR_OK;
}

/* The table row of `compiler` and the path of its executable: an unknown
 * compiler is bad input, a missing one unsupported (saying how to get it). */
static tsr_status locate(const char *compiler, const offline_tool **t, char *tool, size_t size,
                         tsr_error *err)
{
    *t = NULL;
    for (size_t i = 0; i < sizeof offline_tools / sizeof offline_tools[0]; i++)
        if (compiler && strcmp(offline_tools[i].compiler, compiler) == 0)
            *t = &offline_tools[i];
    if (!*t)
        return tsr_fail(err, TSR_ERR_INPUT,
                        "unknown offline compiler '%s' (supported: nvcc, hipcc, ocloc)",
                        compiler ? compiler : "(none)");
    if (!find_tool(compiler, tool, size))
        return tsr_fail(err, TSR_ERR_UNSUPPORTED, "%s not found (%s)", compiler, (*t)->install);
    return TSR_OK;
}

/* TSR_ERR_INPUT, listing the supported ones, for a target the compiler
 * does not know. */
static tsr_status check_target(const offline_tool *t, const char *tool, const char *target,
                               tsr_error *err)
{
    char supported[512];
    snprintf(supported, sizeof supported, "%s", t->targets);
    bool known =
        strcmp(t->compiler, "nvcc") == 0
            ? nvcc_target_ok(tool, target, supported, sizeof supported, err)
        : strcmp(t->compiler, "hipcc") == 0
            ? in_list(target, amd_targets, sizeof amd_targets / sizeof amd_targets[0])
            : in_list(target, intel_targets, sizeof intel_targets / sizeof intel_targets[0]);
    if (!known)
        return tsr_fail(err, TSR_ERR_INPUT, "%s: unsupported target '%s' (supported: %s)",
                        t->compiler, target, supported);
    return TSR_OK;
}

tsr_status tsr_offline_compile(const char *compiler, const char *target, const char *source,
                               const char *kernel_name, const char *language,
                               tsr_resource_report *out, tsr_error *err)
{
    memset(out, 0, sizeof *out);
    const offline_tool *t = NULL;
    char tool[1100];
    TSR_TRY(locate(compiler, &t, tool, sizeof tool, err));
    if (!target || !source || !kernel_name)
        return tsr_fail(err, TSR_ERR_INPUT, "%s: target, source and kernel name are required",
                        compiler);
    if (language && strcmp(language, t->language) != 0)
        return tsr_fail(err, TSR_ERR_INPUT, "%s compiles %s source, not %s", compiler, t->language,
                        language);
    snprintf(out->compiler, sizeof out->compiler, "%s", compiler);
    snprintf(out->target, sizeof out->target, "%s", target);
    TSR_TRY(describe_tool(tool, out->compiler_id, sizeof out->compiler_id, err));
    TSR_TRY(check_target(t, tool, target, err));

    char dir[] = "/tmp/tsr_offline_XXXXXX";
    if (!mkdtemp(dir))
        return tsr_fail(err, TSR_ERR_IO, "offline: cannot make a temporary directory: %s",
                        strerror(errno));
    tsr_status st = compile_in(dir, tool, t, target, source, kernel_name, out, err);
    remove_dir(dir);
    return st;
}

tsr_status tsr_offline_compiler_id(const char *compiler, char *out, size_t size, tsr_error *err)
{
    const offline_tool *t = NULL;
    char tool[1100];
    TSR_TRY(locate(compiler, &t, tool, sizeof tool, err));
    return describe_tool(tool, out, size, err);
}

int tsr_offline_occupancy(const tsr_profile *p, const tsr_resource_report *r, int threads_per_block,
                          long dynamic_shared)
{
    if (!p || !r || threads_per_block <= 0 || !p->registers_per_unit.present)
        return -1;
    const long threads_per_unit = 2048;
    long blocks = threads_per_unit / threads_per_block;
    if (r->registers > 0) {
        long by_registers =
            (long)p->registers_per_unit.value / ((long)r->registers * threads_per_block);
        if (by_registers < blocks)
            blocks = by_registers;
    }
    long shared = r->shared_bytes + (dynamic_shared > 0 ? dynamic_shared : 0);
    if (shared > 0) {
        if (!p->shared_per_unit.present)
            return -1;
        long by_shared = (long)p->shared_per_unit.value / shared;
        if (by_shared < blocks)
            blocks = by_shared;
    }
    return (int)blocks;
}

/* ---- loadable binaries ------------------------------------------------------------ */

/* One compiler run into `tmp`; a failure is an error with the log's lines
 * of interest. */
static tsr_status build_one(char *const argv[], const char *what, tsr_error *err)
{
    char *log = NULL;
    int code = 0;
    TSR_TRY(run_tool(argv, &log, &code, err));
    tsr_status st = TSR_OK;
    if (code != 0) {
        char excerpt[600];
        tsr_offline_log_excerpt(log ? log : "", excerpt, sizeof excerpt);
        for (char *c = excerpt; *c; c++)
            if (*c == '\n')
                *c = ' ';
        st = tsr_fail(err, TSR_ERR_BACKEND, "%s failed: %s", what, excerpt);
    }
    free(log);
    return st;
}

static tsr_status place(const char *from, const char *dir, const char *name, tsr_offline_binary *b,
                        const char *kind, const char *target, tsr_error *err)
{
    char to[4300];
    snprintf(to, sizeof to, "%s/%s", dir, name);
    if (rename(from, to) != 0)
        return tsr_fail(err, TSR_ERR_IO, "offline: cannot move %s to %s: %s", from, to,
                        strerror(errno));
    snprintf(b->kind, sizeof b->kind, "%s", kind);
    snprintf(b->target, sizeof b->target, "%s", target);
    snprintf(b->name, sizeof b->name, "%s", name);
    return TSR_OK;
}

tsr_status tsr_offline_binaries(const char *compiler, const char *target, const char *source,
                                const char *language, const char *dir, const char *stem,
                                tsr_offline_binary out[TSR_OFFLINE_MAX_BINARIES], int *count,
                                tsr_error *err)
{
    *count = 0;
    const offline_tool *t = NULL;
    char tool[1100];
    TSR_TRY(locate(compiler, &t, tool, sizeof tool, err));
    if (language && strcmp(language, t->language) != 0)
        return tsr_fail(err, TSR_ERR_INPUT, "%s compiles %s source, not %s", compiler, t->language,
                        language);
    TSR_TRY(check_target(t, tool, target, err));
    /* Built in a private folder inside `dir`, then renamed into place: the
     * same file system, so a file is there whole or not at all. */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/.tsr_build_XXXXXX", dir);
    if (!mkdtemp(tmp))
        return tsr_fail(err, TSR_ERR_IO, "offline: cannot make a folder in %s: %s", dir,
                        strerror(errno));
    char src[4300], o1[4300], o2[4300], flag[64], flag2[64], name[512], what[128];
    snprintf(src, sizeof src, "%s/k%s", tmp, t->extension);
    tsr_status st = write_file(src, source, err);
    if (st == TSR_OK && strcmp(compiler, "nvcc") == 0) {
        /* A cubin for the target, and PTX of the same architecture, which the
         * driver of a newer GPU compiles on load. */
        const char *digits = target + strspn(target, "smcompute_");
        snprintf(flag, sizeof flag, "-arch=%s", target);
        snprintf(flag2, sizeof flag2, "-arch=compute_%s", digits);
        snprintf(o1, sizeof o1, "%s/k.cubin", tmp);
        snprintf(o2, sizeof o2, "%s/k.ptx", tmp);
        char *cubin[] = {tool, "-cubin", flag, "-o", o1, src, NULL};
        char *ptx[] = {tool, "-ptx", flag2, "-o", o2, src, NULL};
        snprintf(what, sizeof what, "nvcc -cubin %s", flag);
        st = build_one(cubin, what, err);
        snprintf(what, sizeof what, "nvcc -ptx %s", flag2);
        if (st == TSR_OK)
            st = build_one(ptx, what, err);
        snprintf(name, sizeof name, "%s.%s.cubin", stem, target);
        if (st == TSR_OK)
            st = place(o1, dir, name, &out[(*count)++], "cubin", target, err);
        snprintf(name, sizeof name, "%s.compute_%s.ptx", stem, digits);
        snprintf(flag2, sizeof flag2, "compute_%s", digits);
        if (st == TSR_OK)
            st = place(o2, dir, name, &out[(*count)++], "ptx", flag2, err);
    } else if (st == TSR_OK && strcmp(compiler, "hipcc") == 0) {
        snprintf(flag, sizeof flag, "--offload-arch=%s", target);
        snprintf(o1, sizeof o1, "%s/k.hsaco", tmp);
        char *genco[] = {tool, "--genco", flag, "-O3", "-o", o1, src, NULL};
        snprintf(what, sizeof what, "hipcc --genco %s", flag);
        st = build_one(genco, what, err);
        snprintf(name, sizeof name, "%s.%s.hsaco", stem, target);
        if (st == TSR_OK)
            st = place(o1, dir, name, &out[(*count)++], "hsaco", target, err);
    } else if (st == TSR_OK) {
        char *ocloc[OCLOC_ARGC];
        ocloc_command(ocloc, tool, src, target, tmp);
        snprintf(what, sizeof what, "ocloc compile -device %s", target);
        st = build_one(ocloc, what, err);
        snprintf(o1, sizeof o1, "%s/k", tmp);
        snprintf(o2, sizeof o2, "%s/k.spv", tmp);
        snprintf(name, sizeof name, "%s.%s.bin", stem, target);
        if (st == TSR_OK)
            st = place(o1, dir, name, &out[(*count)++], "bin", target, err);
        snprintf(name, sizeof name, "%s.spirv.spv", stem);
        if (st == TSR_OK)
            st = place(o2, dir, name, &out[(*count)++], "spirv", "spirv", err);
    }
    remove_dir(tmp);
    return st;
}
