#!/bin/bash
# The tessera command line end to end: exit statuses and one-line errors,
# gen, profile check, devices, verify and tune on PoCL, then export, and a
# C program that runs the exported GEMM through raw OpenCL with nothing of
# tessera but the bundle's header.
#
# usage: test_cli.sh TESSERA   (TSR_SOURCE_ROOT names the source tree)
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 TESSERA (an executable tessera binary)" >&2
    exit 2
fi
tessera=$(realpath "$1")
root=$(realpath "${TSR_SOURCE_ROOT:-.}")
export TESSERA_PROFILES="$root/profiles"
work=$(mktemp -d /tmp/tsr_cli_XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

passed=0
failed=0
why=""
code=0

# ---- harness -------------------------------------------------------------------

# Runs tessera with stdout in ./out and stderr in ./err; the status in $code.
run() {
    "$tessera" "$@" >out 2>err
    code=$?
}

# t NAME COMMAND...: the test passes when COMMAND succeeds; a failing check
# leaves its reason in $why.
t() {
    local name=$1
    shift
    why=""
    # Each line shows its seconds: CI's budget is spent case by case.
    local start=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        echo "ok   $name ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        echo "FAIL $name ($((SECONDS - start)) s): $why"
        [ -f out ] && head -n 15 out | sed 's/^/    stdout: /'
        [ -f err ] && head -n 15 err | sed 's/^/    stderr: /'
    fi
    rm -f out err
}

status_is() {
    [ "$code" -eq "$1" ] || { why="exit status $code, expected $1"; return 1; }
}
out_has() {
    grep -qF -- "$1" out || { why="stdout lacks '$1'"; return 1; }
}
err_has() {
    grep -qF -- "$1" err || { why="stderr lacks '$1'"; return 1; }
}
err_is_empty() {
    [ ! -s err ] || { why="stderr is not empty"; return 1; }
}
out_lacks() {
    ! grep -qF -- "$1" out || { why="stdout has '$1'"; return 1; }
}
file_is_written() {
    [ -s "$1" ] || { why="$1 is missing or empty"; return 1; }
}
err_is_one_line() {
    local lines
    lines=$(wc -l <err)
    [ "$lines" -eq 1 ] || { why="stderr has $lines lines, expected one"; return 1; }
}
# The error line, after the optional "tessera: " every CLI message starts
# with, begins with FILE:LINE:COL: (1-based numbers).
err_points_at() {
    grep -qE "^(tessera: )?$1:[1-9][0-9]*:[1-9][0-9]*: " err ||
        { why="stderr does not start with '$1:LINE:COL: '"; return 1; }
}

# ---- usage and help ---------------------------------------------------------------

no_arguments_print_usage_and_exit_2() {
    run
    status_is 2 && err_has "usage: tessera"
}

unknown_command_is_named_in_one_line() {
    run frobnicate
    status_is 2 && err_is_one_line && err_has "frobnicate"
}

help_of() {
    run "$@" --help
    status_is 0 && out_has "usage: tessera" && err_is_empty
}

t "no arguments print usage and exit 2" no_arguments_print_usage_and_exit_2
t "an unknown command is named in one line" unknown_command_is_named_in_one_line
t "tessera --help" help_of
for command in devices profile gen tune verify export; do
    t "$command --help" help_of "$command"
done
t "profile check --help" help_of profile check

# ---- gen ------------------------------------------------------------------------------

malformed_spec_is_refused_with_its_position() {
    printf 'schema: 1\nname: bad\nop: gemm\ndtype: f32\ngemm:\n  a: diagonal\nshapes:\n  - {m: 1, n: 1, k: 1}\n' >bad-spec.yaml
    run gen bad-spec.yaml --profile pocl-cpu
    status_is 2 && err_is_one_line && err_points_at "bad-spec.yaml" && err_has "diagonal"
}

unknown_config_param_is_refused() {
    run gen "$root/ops/sgemm.yaml" --profile pocl-cpu --config BM=64,XYZ=3
    status_is 2 && err_is_one_line && err_has "XYZ"
}

config_value_not_listed_is_refused() {
    run gen "$root/ops/sgemm.yaml" --profile pocl-cpu --config BM=48
    status_is 2 && err_is_one_line && err_has "BM=48"
}

gen_prints_an_opencl_kernel() {
    run gen "$root/ops/sgemm.yaml" --profile pocl-cpu --config BM=32,BN=32
    status_is 0 && out_has "__kernel" && out_has "BM=32,BN=32"
}

gen_ir_prints_the_tile_program() {
    run gen "$root/ops/sgemm.yaml" --profile pocl-cpu --ir
    status_is 0 && out_has "tile program" && out_has "mma" && out_has "barrier" &&
        out_lacks "__kernel"
}

t "gen of a malformed spec points at FILE:LINE:COL" malformed_spec_is_refused_with_its_position
t "gen with an unknown --config param exits 2" unknown_config_param_is_refused
t "gen with an unlisted --config value exits 2" config_value_not_listed_is_refused
t "gen prints an OpenCL kernel" gen_prints_an_opencl_kernel
t "gen --ir prints the tile program" gen_ir_prints_the_tile_program

# ---- profiles and devices ---------------------------------------------------------------

shipped_profiles_check() {
    local profiles=("$root"/profiles/*.yaml)
    run profile check "${profiles[@]}"
    status_is 0 && out_has "pocl-cpu.yaml: ok" || return 1
    [ "$(grep -c ': ok$' out)" -eq "${#profiles[@]}" ] ||
        { why="not each of the ${#profiles[@]} shipped profiles is ok"; return 1; }
}

bad_profile_is_refused_with_its_position() {
    printf 'schema: 1\nname: broken\ndescription: "d"\nvendor: v\narch: a\ncompute:\n  units: {value: -4, source: "s"}\n' >bad-profile.yaml
    run profile check bad-profile.yaml
    status_is 2 && err_is_one_line && err_points_at "bad-profile.yaml"
}

# A five-line variant of a shipped profile, and one that promises the
# device more local memory than it reports: refused, both values named.
profile_variant_inherits_its_base() {
    printf 'schema: 1\nname: pocl-slow\nbase: pocl-cpu\ncompute:\n  clock_boost_mhz: {value: 1000, source: "capped"}\n' >pocl-slow.yaml
    run profile show pocl-slow.yaml
    status_is 0 && out_has "# inherits from pocl-cpu" && out_has 'clock_boost_mhz: {value: 1000, source: "capped"}' &&
        out_has "simd_width: {value: 16"
}

profile_promising_too_much_is_refused() {
    printf 'schema: 1\nname: greedy\nbase: pocl-cpu\nmemory:\n  shared_per_block: {value: 1000000000, source: "wishful"}\n  shared_per_unit: {value: 1000000000, source: "wishful"}\n' >greedy.yaml
    run verify "$root/ops/sgemm.yaml" --profile greedy.yaml --shape m=8,n=8,k=8 --db greedy.db
    status_is 2 && err_is_one_line && err_has "memory.shared_per_block as 1000000000 bytes" &&
        err_has "but opencl:0" && err_has "reports" && [ ! -e greedy.db ]
}

# detect writes a profile that loads, each number marked as measured or
# queried, in well under a minute; a missing device is one line, exit 2,
# and leaves an earlier file untouched.
profile_detect_writes_a_valid_profile() {
    local start=$SECONDS
    run profile detect --device opencl:0 -o detected.yaml
    status_is 0 && [ $((SECONDS - start)) -lt 60 ] || { why="${why:-took $((SECONDS - start)) s}"; return 1; }
    run profile check detected.yaml
    status_is 0 || return 1
    grep -q 'bandwidth_gbs: {value: [0-9.]*, source: "measured: ' detected.yaml &&
        grep -q 'f32: {value: [0-9.]*, source: "measured: ' detected.yaml &&
        grep -q 'units: {value: [0-9]*, source: "queried: CL_DEVICE_MAX_COMPUTE_UNITS' detected.yaml &&
        grep -q '^name: detected$' detected.yaml || { why="detected.yaml lacks a measured or queried value"; return 1; }
    cp detected.yaml before.yaml
    run profile detect --device opencl:99 -o detected.yaml
    status_is 2 && err_is_one_line && err_has "opencl:99" && cmp -s detected.yaml before.yaml
}

# With no profile that matches, tune and verify detect one and say so.
verify_without_a_matching_profile_detects_one() {
    mkdir -p no-profiles
    TESSERA_PROFILES=$PWD/no-profiles run verify "$root/ops/sgemm.yaml" --shape m=33,n=17,k=9 --db np.db
    status_is 0 && err_has "no profile in" && err_has "detecting one" && out_has "PASS"
}

devices_list_pocl() {
    run devices
    status_is 0 && out_has "opencl:0" && out_has "pocl-cpu"
}

t "profile check of the shipped profiles" shipped_profiles_check
t "profile check of a bad profile exits 2" bad_profile_is_refused_with_its_position
t "devices lists opencl:0 with profile pocl-cpu" devices_list_pocl
t "a profile variant inherits its base" profile_variant_inherits_its_base
t "profile detect writes a profile that loads" profile_detect_writes_a_valid_profile
t "verify without a matching profile detects one" verify_without_a_matching_profile_detects_one
t "a profile promising more than the device has is refused" profile_promising_too_much_is_refused

# ---- verify and tune ---------------------------------------------------------------------

verify_passes_on_a_ragged_shape() {
    run verify "$root/ops/sgemm-tn.yaml" --shape m=7,n=13,k=17
    status_is 0 && out_has "PASS" && out_lacks "FAIL"
}

tune_stores_its_candidates() {
    run tune "$root/ops/sgemm.yaml" --budget 3 --db t.db --shape m=64,n=48,k=40
    status_is 0 && out_has "3 candidates tried (3 run now, 0 from the store)" &&
        out_has "best:" && out_has ", timed runs " && file_is_written t.db
}

# A fused epilogue and a batch go the whole way: tuned (every candidate
# verified against the reference), exported, and the bundle checks, with
# batch in the shape only where it is not 1.
fused_and_batched_specs_tune_export_and_check() {
    run tune "$root/ops/sgemm-bias-gelu.yaml" --budget 2 --db fused.db --shape m=37,n=13,k=71
    status_is 0 && out_has "best:" || return 1
    run tune "$root/ops/sgemm-batched.yaml" --budget 2 --db fused.db --shape m=37,n=13,k=71,batch=3
    status_is 0 && out_has "best:" || return 1
    run verify "$root/ops/sgemm-batched.yaml" --db fused.db --shape batch=2,m=5,n=3,k=2
    status_is 0 && out_has "PASS" && out_lacks "FAIL" || return 1
    run export --db fused.db --out fused-bundle
    status_is 0 || return 1
    grep -q '"op_key": *"gemm.f32.a=row.b=row.beta=0.bias=col.act=gelu.res=1"' \
        fused-bundle/manifest.json || { why="the manifest lacks the fused op key"; return 1; }
    grep -q '"shape_dims": {"m": 37, "n": 13, "k": 71, "batch": 3}' fused-bundle/manifest.json ||
        { why="the manifest lacks the batched shape"; return 1; }
    run bundle check fused-bundle
    status_is 0 && out_has "m=37,n=13,k=71,batch=3" && out_has "sha256 ok"
}

# The row ops (a reduction and both norms) go the same way: verified, tuned,
# exported under their own op keys, and the bundle checks.
row_ops_verify_tune_export_and_check() {
    run verify "$root/ops/rmsnorm.yaml" --shape rows=5,cols=4097
    status_is 0 && out_has "PASS" && out_lacks "FAIL" || return 1
    local spec
    for spec in reduce-sum rmsnorm layernorm; do
        run tune "$root/ops/$spec.yaml" --budget 2 --db rows.db --shape rows=37,cols=1000
        status_is 0 && out_has "best:" || return 1
    done
    run export --db rows.db --out rows-bundle
    status_is 0 || return 1
    for spec in reduce.f32.kind=sum rmsnorm.f32 layernorm.f32; do
        grep -q "\"op_key\": *\"$spec\"" rows-bundle/manifest.json ||
            { why="the manifest lacks op key $spec"; return 1; }
    done
    run bundle check rows-bundle
    status_is 0 && out_has "rows=37,cols=1000" && out_has "sha256 ok"
}

tune_rerun_takes_everything_from_the_store() {
    run tune "$root/ops/sgemm.yaml" --budget 3 --db t.db --shape m=64,n=48,k=40
    status_is 0 && out_has "(0 run now, 3 from the store)" && out_has "best:"
}

# A candidate that cannot finish in time is reported as rejected with its
# reason, and the report says where the time went.
tune_reports_rejections_and_where_the_time_went() {
    run tune "$root/ops/sgemm.yaml" --budget 2 --db to.db --shape m=64,n=48,k=40 \
        --strategy anneal --timeout 0.001
    status_is 1 && out_has "timeout 2, first: no answer while compiling within" &&
        out_has "no candidate verified" && out_has "lost to timeouts and crashes" &&
        out_has "compiling 0.0, first launch and verification 0.0, timed runs 0.0"
}

# Offline tuning for a profile with no offline compiler: the analytic model
# alone, stored as predicted; the options it needs are asked for.
tune_offline_ranks_by_the_model_and_stores_predictions() {
    run tune "$root/ops/sgemm.yaml" --offline --profile pocl-cpu --shape m=96,n=80,k=64 \
        --budget 4 --db off.db
    status_is 0 && out_has "4 candidates of" && out_has "by the analytic model" &&
        out_has "names no offline compiler" && out_has "predicted 4" &&
        out_has "offline|" || return 1
    run tune "$root/ops/sgemm.yaml" --offline --db off.db
    status_is 2 && err_is_one_line && err_has "--offline needs --profile" || return 1
    run tune "$root/ops/sgemm.yaml" --learned --db off.db
    status_is 2 && err_is_one_line && err_has "needs --offline" || return 1
    run tune "$root/ops/sgemm.yaml" --offline --learned --profile pocl-cpu --db off.db
    status_is 2 && err_is_one_line && err_has "measurements"
}

# --config measures exactly the configs given, each verified: K split
# among two groups a tile and one group a tile, in a space of the two.
tune_measures_exactly_the_given_configs() {
    run tune "$root/ops/sgemm.yaml" --config SK=2 --config SK=1 --db given.db \
        --shape m=7,n=13,k=17
    status_is 0 && out_has "2 candidates tried (2 run now, 0 from the store) of 2 in the space" &&
        out_has "outcomes: ok 2, invalid 0" && out_has "best:" || return 1
    grep -Eq '^ +1/2 ok .*,SK=2$' out && grep -Eq '^ +2/2 ok .*,SK=1$' out ||
        { why="the candidates are not SK=2 then SK=1, both ok"; return 1; }
    local lines
    lines=$(grep -Ec '^ +[0-9]+/[0-9]+ ' out)
    [ "$lines" -eq 2 ] || { why="$lines candidate lines, expected 2"; return 1; }
}

tune_on_a_missing_device_names_it() {
    run tune "$root/ops/sgemm.yaml" --device opencl:99 --db t2.db --shape m=8,n=8,k=8
    status_is 2 && err_is_one_line && err_has "opencl:99"
}

tune_with_an_unknown_strategy_exits_2() {
    run tune "$root/ops/sgemm.yaml" --strategy bogus --db t2.db
    status_is 2 && err_is_one_line && err_has "bogus"
}

# Ctrl-C finishes the candidate in flight, commits, says how to resume and
# exits 1; the same command then goes on from the store. The budget is far
# more than can run before the interrupt, even with every kernel cached.
tune_interrupted_says_how_to_resume_and_resumes() {
    local tune=(tune "$root/ops/sgemm.yaml" --db int.db --shape m=256,n=256,k=256 --strategy random)
    "$tessera" "${tune[@]}" --budget 100000 >out 2>err &
    local pid=$!
    local stored=0 waited=0
    while [ "$stored" -lt 2 ] && [ "$waited" -lt 600 ]; do
        sleep 0.1
        waited=$((waited + 1))
        stored=$(grep -cE '^ *[0-9]+/100000 ' out 2>/dev/null)
        stored=${stored:-0}
    done
    kill -INT "$pid"
    wait "$pid"
    code=$?
    status_is 1 && err_has "interrupted" && err_has "Run the same command to resume" || return 1
    local before
    before=$(grep -cE '^ *[0-9]+/100000 ' out)
    [ "$before" -ge 2 ] || { why="$before candidates before the interrupt"; return 1; }
    run "${tune[@]}" --budget $((before + 2))
    status_is 0 && out_has "$((before + 2)) candidates tried (2 run now, $before from the store)"
}

# SIGKILL mid-tune: the worker and the compile-ahead processes die with
# their parent (one could be stuck in a kernel forever), the store stays
# whole, and the same command goes on.
tune_killed_leaves_no_worker_and_resumes() {
    local tune=(tune "$root/ops/sgemm.yaml" --db kill.db --shape m=128,n=128,k=128 --strategy random)
    "$tessera" "${tune[@]}" --budget 100000 >out 2>err &
    local pid=$! waited=0 workers=""
    while [ "$waited" -lt 600 ]; do
        sleep 0.1
        waited=$((waited + 1))
        workers=$(pgrep -P "$pid")
        [ -n "$workers" ] && [ "$(grep -cE '^ *[0-9]+/100000 ' out)" -ge 2 ] && break
    done
    [ -n "$workers" ] || { why="no worker process seen"; kill -9 "$pid"; return 1; }
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    local worker left
    for worker in $workers; do
        left=1
        for _ in $(seq 50); do
            kill -0 "$worker" 2>/dev/null || { left=0; break; }
            sleep 0.1
        done
        [ "$left" = 0 ] || { why="process $worker outlived its killed parent"; return 1; }
    done
    local before
    before=$(grep -cE '^ *[0-9]+/100000 ' out)
    run "${tune[@]}" --budget $((before + 1))
    # A candidate stored in the instant before its line was printed counts
    # as stored: lost is only what was in flight.
    status_is 0 || return 1
    out_has "$((before + 1)) candidates tried (1 run now, $before from the store)" ||
        out_has "$((before + 1)) candidates tried (0 run now, $((before + 1)) from the store)"
}

# Compiling ahead in other processes changes when candidates compile, not
# which are tried or how they end.
tune_compiles_ahead_in_other_processes() {
    local tune=(tune "$root/ops/sgemm.yaml" --strategy random --seed 5 --budget 4
        --shape m=64,n=48,k=40)
    run "${tune[@]}" --jobs 2 --db ahead.db
    status_is 0 && out_has "4 candidates tried (4 run now" &&
        out_has "compiled ahead in 2 processes: 4 configs" || return 1
    grep -oE '^ *[0-9]+/4 [a-z-]+ .*BM=[^ :]*' out | sed -E 's/ +[0-9.]+ ms +[0-9.]+ GFLOP\/s//' |
        sort >ahead.list
    run "${tune[@]}" --jobs 0 --db serial.db
    status_is 0 && out_lacks "compiled ahead" || return 1
    grep -oE '^ *[0-9]+/4 [a-z-]+ .*BM=[^ :]*' out | sed -E 's/ +[0-9.]+ ms +[0-9.]+ GFLOP\/s//' |
        sort >serial.list
    [ -s ahead.list ] && cmp -s ahead.list serial.list ||
        { why="the candidates or outcomes differ: $(diff ahead.list serial.list | head -3)"; return 1; }
    run tune "$root/ops/sgemm.yaml" --jobs many --db ahead.db
    status_is 2 && err_is_one_line && err_has "--jobs" || return 1
    run tune "$root/ops/sgemm.yaml" --jobs 65 --db ahead.db
    status_is 2 && err_is_one_line && err_has "--jobs"
}

foreign_store_is_refused_as_bad_input() {
    printf 'this is not a database, it is a text file of some length........' >foreign.db
    cp foreign.db foreign.copy
    run tune "$root/ops/sgemm.yaml" --budget 1 --db foreign.db --shape m=8,n=8,k=8
    status_is 2 && err_has "foreign.db" && err_has "not a tessera results store" &&
        cmp -s foreign.db foreign.copy || { why="${why:-foreign.db was changed}"; return 1; }
}

export_of_a_missing_store_exits_2() {
    run export --db nowhere.db --out b2
    status_is 2 && err_is_one_line && err_has "nowhere.db" && [ ! -e nowhere.db ]
}

t "verify of sgemm-tn on 7x13x17 passes" verify_passes_on_a_ragged_shape
t "tune interrupted by Ctrl-C says how to resume, and resumes" tune_interrupted_says_how_to_resume_and_resumes
t "tune killed with SIGKILL leaves no worker and resumes" tune_killed_leaves_no_worker_and_resumes
t "a store file of another kind is refused, untouched, exit 2" foreign_store_is_refused_as_bad_input
t "export of a missing store exits 2 and creates nothing" export_of_a_missing_store_exits_2
t "tune --budget 3 runs and stores 3 candidates" tune_stores_its_candidates
t "tune --jobs 2 compiles ahead and tries what --jobs 0 tries" tune_compiles_ahead_in_other_processes
t "tune rerun takes all 3 from the store" tune_rerun_takes_everything_from_the_store
t "fused and batched specs tune, export and check" fused_and_batched_specs_tune_export_and_check
t "row ops verify, tune, export and check" row_ops_verify_tune_export_and_check
t "tune reports rejections with a reason and where the time went" \
    tune_reports_rejections_and_where_the_time_went
t "tune --offline ranks by the model and stores predictions" \
    tune_offline_ranks_by_the_model_and_stores_predictions
t "tune --config measures exactly the configs given" tune_measures_exactly_the_given_configs
t "tune --device opencl:99 exits 2 naming it" tune_on_a_missing_device_names_it
t "tune --strategy bogus exits 2" tune_with_an_unknown_strategy_exits_2

# ---- export and the bundle in a program of its own ------------------------------------------

export_writes_the_bundle() {
    run export --db t.db --out bundle
    status_is 0 && file_is_written bundle/manifest.json && file_is_written bundle/tessera_bundle.h || return 1
    grep -q '"op_key": *"gemm.f32.a=row.b=row.beta=0"' bundle/manifest.json ||
        { why="the manifest lacks the tuned op key"; return 1; }
}

# C = A * B for an untuned shape through the bundle, checked against a
# CPU GEMM in double precision.
write_bundle_program() {
    cat >use_bundle.c <<'EOF'
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/tessera_bundle.h"

enum { M = 50, N = 30, K = 20 };

static int fail(const char *what, cl_int status)
{
    fprintf(stderr, "%s failed with OpenCL status %d\n", what, (int)status);
    return 1;
}

int main(void)
{
    long shape[4] = {M, N, K, 1}; /* m, n, k, batch */
    const tessera_kernel *k = tessera_pick("gemm.f32.a=row.b=row.beta=0", shape);
    static float a[M * K], b[K * N], c[M * N];
    cl_platform_id platform;
    cl_device_id device;
    cl_int status;
    cl_mem buffers[3];
    size_t global[3], local[3];
    unsigned dims, i;
    int arg = 0, j, p;
    char args[512], *item;
    double worst = 0.0;

    if (!k || strcmp(k->language, "opencl") != 0) {
        fprintf(stderr, "the bundle has no OpenCL kernel for gemm.f32.a=row.b=row.beta=0\n");
        return 1;
    }
    for (i = 0; i < M * K; i++)
        a[i] = (float)((int)(i * 7 % 13) - 6) / 8.0f;
    for (i = 0; i < K * N; i++)
        b[i] = (float)((int)(i * 5 % 11) - 5) / 4.0f;
    for (i = 0; i < M * N; i++)
        c[i] = NAN;

    if ((status = clGetPlatformIDs(1, &platform, NULL)) != CL_SUCCESS)
        return fail("clGetPlatformIDs", status);
    if ((status = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, NULL)) != CL_SUCCESS)
        return fail("clGetDeviceIDs", status);
    cl_context context = clCreateContext(NULL, 1, &device, NULL, NULL, &status);
    if (status != CL_SUCCESS)
        return fail("clCreateContext", status);
    cl_command_queue queue = clCreateCommandQueue(context, device, 0, &status);
    if (status != CL_SUCCESS)
        return fail("clCreateCommandQueue", status);
    cl_program program = clCreateProgramWithSource(context, k->source_part_count,
                                                   (const char **)k->source_parts, NULL, &status);
    if (status != CL_SUCCESS)
        return fail("clCreateProgramWithSource", status);
    if ((status = clBuildProgram(program, 1, &device, "", NULL, NULL)) != CL_SUCCESS)
        return fail("clBuildProgram", status);
    cl_kernel kernel = clCreateKernel(program, k->kernel_name, &status);
    if (status != CL_SUCCESS)
        return fail("clCreateKernel", status);
    buffers[0] = clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof a, a, &status);
    buffers[1] = clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof b, b, &status);
    buffers[2] = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof c, c, &status);
    if (status != CL_SUCCESS)
        return fail("clCreateBuffer", status);

    /* the arguments in the order the bundle lists them */
    snprintf(args, sizeof args, "%s", k->args);
    for (item = strtok(args, ","); item; item = strtok(NULL, ","), arg++) {
        const char *name = strchr(item, ':') + 1;
        if (strncmp(item, "buffer:", 7) == 0) {
            cl_mem *buffer = &buffers[name[0] == 'A' ? 0 : name[0] == 'B' ? 1 : 2];
            status = clSetKernelArg(kernel, arg, sizeof *buffer, buffer);
        } else if (strncmp(item, "int:", 4) == 0) {
            cl_int value = name[0] == 'M' ? M : name[0] == 'N' ? N : K;
            status = clSetKernelArg(kernel, arg, sizeof value, &value);
        } else {
            cl_float value = strcmp(name, "alpha") == 0 ? 1.0f : 0.0f;
            status = clSetKernelArg(kernel, arg, sizeof value, &value);
        }
        if (status != CL_SUCCESS)
            return fail(item, status);
    }
    tessera_launch_size(k, shape, global, local, &dims);
    status = clEnqueueNDRangeKernel(queue, kernel, dims, NULL, global, local, 0, NULL, NULL);
    if (status != CL_SUCCESS)
        return fail("clEnqueueNDRangeKernel", status);
    status = clEnqueueReadBuffer(queue, buffers[2], CL_TRUE, 0, sizeof c, c, 0, NULL, NULL);
    if (status != CL_SUCCESS)
        return fail("clEnqueueReadBuffer", status);

    for (i = 0; i < M; i++)
        for (j = 0; j < N; j++) {
            double sum = 0.0, magnitude = 0.0;
            for (p = 0; p < K; p++) {
                sum += (double)a[i * K + p] * b[p * N + j];
                magnitude += fabs((double)a[i * K + p] * b[p * N + j]);
            }
            double e = fabs(c[i * N + j] - sum) / (magnitude > 0 ? magnitude : 1.0);
            if (!(e <= worst))
                worst = isnan(e) ? INFINITY : e;
        }
    printf("%s (%s, tuned for %s) on m=%d,n=%d,k=%d: max relative error %g\n", k->kernel_name,
           k->config, k->shape_text, M, N, K, worst);
    clReleaseMemObject(buffers[0]);
    clReleaseMemObject(buffers[1]);
    clReleaseMemObject(buffers[2]);
    clReleaseKernel(kernel);
    clReleaseProgram(program);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
    return worst <= 1e-5 ? 0 : 1;
}
EOF
}

bundle_header_runs_the_gemm_through_raw_opencl() {
    write_bundle_program
    ${CC:-cc} -std=c99 -Wall -Wextra -Werror -I. use_bundle.c -o use_bundle -lOpenCL -lm >out 2>err ||
        { why="the program did not compile"; return 1; }
    ./use_bundle >out 2>err || { why="the program failed"; return 1; }
    out_has "max relative error"
}

t "export writes manifest.json and tessera_bundle.h" export_writes_the_bundle
if [ -s bundle/tessera_bundle.h ]; then
    t "a C program runs the bundle's GEMM on an untuned shape" bundle_header_runs_the_gemm_through_raw_opencl
else
    no_bundle() { why="export wrote no tessera_bundle.h"; return 1; }
    t "a C program runs the bundle's GEMM on an untuned shape" no_bundle
fi

# ---- a model's ops as one bundle (scripts/tune_bundle.sh) ---------------------------

# One candidate a shape (BUDGET), however long a sanitizer build takes to
# reach it (SECONDS_PER_SHAPE only bounds when the last one may start).
model_folder_tunes_into_one_checked_bundle() {
    TESSERA=$tessera BUDGET=1 SECONDS_PER_SHAPE=300 DB=model.db \
        "$root/scripts/tune_bundle.sh" model "$root/ops/resnet50-stage" >out 2>err ||
        { why="tune_bundle.sh failed"; return 1; }
    # Four specs, two of them the same kernel and shape: three entries.
    out_has "3 kernels" && out_has "conv2d.f16.nhwc.r=3.s=3" && [ -s model/manifest.json ] ||
        { why="${why:-no manifest}"; return 1; }
}

model_script_names_a_missing_spec() {
    TESSERA=$tessera "$root/scripts/tune_bundle.sh" model2 no-such-folder >out 2>err
    code=$?
    status_is 2 && err_has "no-such-folder: no such spec or folder"
}

every_shipped_spec_prints_a_kernel() {
    local spec
    for spec in "$root"/ops/*.yaml "$root"/ops/*/*.yaml; do
        run gen "$spec" --profile pocl-cpu
        [ "$code" -eq 0 ] || { why="gen $spec: exit $code: $(head -n 1 err)"; return 1; }
    done
}

t "every shipped op spec (ops/ and its model folders) prints a kernel" \
    every_shipped_spec_prints_a_kernel
t "tune_bundle.sh tunes a model's folder into one checked bundle" \
    model_folder_tunes_into_one_checked_bundle
t "tune_bundle.sh names a missing spec" model_script_names_a_missing_spec

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
