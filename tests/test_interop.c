/* T4 and CLBlast tuner files from a results store (core/interop.h): every
 * result in T4 with its outcome mapped; only verified f32 GEMM results of
 * OpenCL devices for CLBlast, each mapped config satisfying CLBlast's
 * Xgemm constraints, the fastest as best_parameters. */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/interop.h"
#include "core/store.h"
#include "tests/check.h"

static char temp_dir[64];

static const char *path_in(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", temp_dir, name);
    return path;
}

static void put(tsr_store *store, const char *device, const char *config, tsr_outcome outcome,
                double time_ms)
{
    tsr_result r = {.op_key = "gemm.f32.a=row.b=row.beta=0",
                    .op = "gemm",
                    .spec_name = "sgemm-nn",
                    .device = device,
                    .profile = "pocl-cpu",
                    .shape = "m=64,n=64,k=64",
                    .config = config,
                    .outcome = outcome,
                    .reason = outcome == TSR_OUTCOME_OK ? NULL : "planted",
                    .time_ms = time_ms,
                    .gflops = 1.0,
                    .max_error = 1e-7};
    tsr_error err = {{0}};
    CHECK_MSG(tsr_store_put(store, &r, &err) == TSR_OK, "%s", err.msg);
}

/* The one file in `dir` whose name starts with `prefix`, parsed. */
static json_t *load_one(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    json_t *root = NULL;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        json_error_t jerr;
        root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        CHECK_MSG(root != NULL, "%s: %s", path, jerr.text);
    }
    if (d)
        closedir(d);
    return root;
}

static long param(json_t *params, const char *key)
{
    return (long)json_integer_value(json_object_get(params, key));
}

/* CLBlast's Xgemm constraints (GEMMK=0), checked here on their own. */
static bool satisfies_xgemm(json_t *p)
{
    long mwg = param(p, "MWG"), nwg = param(p, "NWG"), kwg = param(p, "KWG");
    long mdimc = param(p, "MDIMC"), ndimc = param(p, "NDIMC"), mdima = param(p, "MDIMA");
    long ndimb = param(p, "NDIMB"), vwm = param(p, "VWM"), vwn = param(p, "VWN");
    long kwi = param(p, "KWI");
    return mdima > 0 && ndimb > 0 && kwi > 0 && mwg % (mdimc * vwm) == 0 &&
           nwg % (ndimc * vwn) == 0 && mwg % (mdima * vwm) == 0 && nwg % (ndimb * vwn) == 0 &&
           kwg % ((mdimc * ndimc) / mdima) == 0 && kwg % ((mdimc * ndimc) / ndimb) == 0 &&
           kwg % kwi == 0;
}

static const char *const good = "BM=64,BN=32,BK=32,TM=8,TN=32,VW=8,SA=0,SB=1,PAD=1,STRM=0,"
                                "STRN=0,KU=4,VN=16";
static const char *const faster = "BM=32,BN=32,BK=16,TM=4,TN=4,VW=4,SA=1,SB=1,PAD=0,STRM=0,"
                                  "STRN=1,KU=2,VN=4";
static const char *const too_thin = "BM=16,BN=16,BK=2,TM=1,TN=1,VW=1,SA=0,SB=0,PAD=0,STRM=0,"
                                    "STRN=0,KU=1,VN=1";

static tsr_store *make_store(void)
{
    tsr_store *store = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_store_open(path_in("s.db"), &store, &err) == TSR_OK, "%s", err.msg);
    if (!store)
        return NULL;
    const char *cl = "opencl|AuthenticAMD|pthread-test|3.1";
    put(store, cl, good, TSR_OUTCOME_OK, 2.0);
    put(store, cl, faster, TSR_OUTCOME_OK, 1.0);
    put(store, cl, too_thin, TSR_OUTCOME_OK, 0.5); /* fastest, but no CLBlast equivalent */
    put(store, cl, "BM=128,BN=128,BK=4,TM=1,TN=1,VW=1,SA=0,SB=0,PAD=0,STRM=0,STRN=0,KU=1,VN=1",
        TSR_OUTCOME_INVALID, 0);
    put(store, cl, "BM=32,BN=64,BK=8,TM=2,TN=2,VW=1,SA=0,SB=0,PAD=0,STRM=0,STRN=0,KU=1,VN=1",
        TSR_OUTCOME_WRONG, 0);
    put(store, cl, "BM=64,BN=64,BK=8,TM=4,TN=4,VW=1,SA=0,SB=0,PAD=0,STRM=0,STRN=0,KU=1,VN=1",
        TSR_OUTCOME_TIMEOUT, 0);
    put(store, "cuda|NVIDIA|NVIDIA H200|CUDA 13.0", good, TSR_OUTCOME_OK, 0.1);
    return store;
}

static void t4_holds_every_result_with_its_outcome(void)
{
    tsr_store *store = make_store();
    if (!store)
        return;
    tsr_interop_summary s;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_interop_export(store, TSR_INTEROP_T4, NULL, path_in("t4"), &s, &err) == TSR_OK,
              "%s", err.msg);
    CHECK(s.files == 2 && s.results == 7); /* one file per device for this op and shape */
    json_t *root = load_one(path_in("t4"), "000_");
    CHECK(root && strcmp(json_string_value(json_object_get(root, "schema_version")), "1.0.0") == 0);
    json_t *results = json_object_get(root, "results");
    CHECK(json_array_size(results) == 1); /* the CUDA device's file sorts first */
    json_decref(root);
    root = load_one(path_in("t4"), "001_");
    results = json_object_get(root, "results");
    CHECK(json_array_size(results) == 6);
    int seen[6] = {0};
    static const char *const kinds[] = {"correct", "constraints", "correctness", "timeout"};
    for (size_t i = 0; i < json_array_size(results); i++) {
        json_t *r = json_array_get(results, i);
        const char *inv = json_string_value(json_object_get(r, "invalidity"));
        for (int k = 0; k < 4; k++)
            seen[k] += inv && strcmp(inv, kinds[k]) == 0;
        CHECK(json_is_integer(json_object_get(json_object_get(r, "configuration"), "BM")));
        bool ok = inv && strcmp(inv, "correct") == 0;
        CHECK(json_array_size(json_object_get(r, "measurements")) == (ok ? 3u : 0u));
        CHECK(json_integer_value(json_object_get(r, "correctness")) ==
              (inv && strcmp(inv, "correctness") == 0 ? 0 : 1));
    }
    CHECK(seen[0] == 3 && seen[1] == 1 && seen[2] == 1 && seen[3] == 1);
    json_decref(root);
    tsr_store_close(store);
}

static void clblast_carries_mappable_verified_opencl_gemm_results(void)
{
    tsr_store *store = make_store();
    if (!store)
        return;
    tsr_interop_summary s;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_interop_export(store, TSR_INTEROP_CLBLAST, NULL, path_in("cl"), &s, &err) ==
                  TSR_OK,
              "%s", err.msg);
    CHECK(s.files == 1 && s.results == 2 && s.unmapped == 1);
    json_t *root = load_one(path_in("cl"), "clblast_xgemm_1_32_");
    if (!root)
        return;
    CHECK(strcmp(json_string_value(json_object_get(root, "kernel_family")), "xgemm_1") == 0);
    CHECK(strcmp(json_string_value(json_object_get(root, "best_time")), "1.000") == 0);
    CHECK_STR_CONTAINS(json_string_value(json_object_get(root, "best_parameters")),
                       "MWG=32 NDIMB=");
    CHECK(strcmp(json_string_value(json_object_get(root, "clblast_device_type")), "CPU") == 0);
    CHECK(strcmp(json_string_value(json_object_get(root, "arg_m")), "64") == 0);
    json_t *results = json_object_get(root, "results");
    CHECK(json_array_size(results) == 2);
    for (size_t i = 0; i < json_array_size(results); i++)
        CHECK(satisfies_xgemm(json_object_get(json_array_get(results, i), "parameters")));
    json_decref(root);
    tsr_store_close(store);
}

static void clblast_mapping_keeps_the_tile_and_shrinks_what_does_not_fit(void)
{
    char out[320];
    CHECK(tsr_interop_clblast_params(good, out, sizeof out));
    CHECK_STR_CONTAINS(out, "KWG=32 KWI=4 MDIMA=8 MDIMC=8 MWG=64");
    CHECK_STR_CONTAINS(out, "NDIMC=1 NWG=32");
    CHECK_STR_CONTAINS(out, "SA=0 SB=1");
    CHECK(!tsr_interop_clblast_params(too_thin, out, sizeof out));
    CHECK(!tsr_interop_clblast_params("WG=64,VW=4", out, sizeof out)); /* not a GEMM config */
}

int main(void)
{
    snprintf(temp_dir, sizeof temp_dir, "/tmp/tsr_interop_XXXXXX");
    if (!mkdtemp(temp_dir))
        return 1;
    RUN_TEST(clblast_mapping_keeps_the_tile_and_shrinks_what_does_not_fit);
    RUN_TEST(t4_holds_every_result_with_its_outcome);
    RUN_TEST(clblast_carries_mappable_verified_opencl_gemm_results);
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", temp_dir);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", temp_dir);
    return check_summary();
}
