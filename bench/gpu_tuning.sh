#!/usr/bin/env bash
# The tuner on an NVIDIA GPU, in one go: the tuning-efficiency benchmark on
# cuda:0 (a measured table of random candidates, replayed for every
# strategy); offline tuning for the GPU's profile (analytic model and nvcc's
# resource reports, nothing run) against a model-guided tune on the device;
# both choices then timed against cuBLAS in one tessera-bench-gemm process
# each. A table last.
#
# usage: bench/gpu_tuning.sh [BUILD_DIR]   (default build-gpu; TSR_NO_BUILD=1
#        takes a build made elsewhere as it is)
# SIZE (default 1024) and CANDIDATES (default 300): the efficiency table;
# OFFLINE_N (default 4096): the offline comparison's m = n = k;
# TUNE_SECONDS (default 120): the model-guided tune at OFFLINE_N;
# AHEAD (default 60): candidates of the compile-ahead comparison at SIZE;
# PROFILE: the GPU's profile (default: the one `tessera devices` matches);
# KEEP: a folder to copy the stores into (the measured tables), for
# replaying elsewhere with tessera-bench-tuning.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=bench/gpu_setup.sh
. bench/gpu_setup.sh "${1:-build-gpu}"
require_cuda
out=$(mktemp -d)
profile=${PROFILE:-$("$tessera" devices 2>/dev/null | awk '/^cuda:0 / {print $NF; exit}')}
echo "== cuda:0, profile $profile"

# 1. How soon each strategy reaches the best of a measured table.
DEVICE=cuda:0 SIZE=${SIZE:-1024} CANDIDATES=${CANDIDATES:-300} SEEDS=${SEEDS:-9} \
    DB=$out/table.db bash bench/tuning_efficiency.sh "$build" | tee "$out/eff.txt"
while read -r strategy evals device_s own_s ratio; do
    row "efficiency $strategy" "$evals evaluations, $device_s device-s, ${own_s} s own, random/it $ratio"
done < <(awk 'table && NF == 5; /^strategy / {table = 1}' "$out/eff.txt")

# 2. Compiling ahead: the same random candidates (same seed, fresh stores)
# tuned with no compile processes and with the default number.
ahead=${AHEAD:-60}
ahead_shape=m=${SIZE:-1024},n=${SIZE:-1024},k=${SIZE:-1024}
for jobs in 0 default; do
    opt=(); [ "$jobs" = default ] || opt=(--jobs "$jobs")
    echo "== compile ahead: $ahead random candidates at $ahead_shape, --jobs $jobs"
    start=$(date +%s.%N)
    "$tessera" tune ops/sgemm.yaml --device cuda:0 --shape "$ahead_shape" --strategy random \
        --seed 11 --budget "$ahead" "${opt[@]}" --db "$out/ahead-$jobs.db" | tail -n 8 |
        tee "$out/ahead-$jobs.txt"
    secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
    tried=$(awk '/candidates/ {print; exit}' "$out/ahead-$jobs.txt")
    row "compile ahead --jobs $jobs" "$secs s for $ahead candidates ($tried)"
done

# 3. Offline tuning against tuning on the device, at OFFLINE_N.
n=${OFFLINE_N:-4096}
shape=m=$n,n=$n,k=$n
echo "== offline: tessera tune --offline --profile $profile --shape $shape"
"$tessera" tune ops/sgemm.yaml --offline --profile "$profile" --shape "$shape" --budget 16 \
    --db "$out/offline.db" | tee "$out/off.txt"
offline=$(awk '/best \(predicted\):/ {print $NF; exit}' "$out/off.txt")
echo "== on the device: tessera tune --strategy model --seconds ${TUNE_SECONDS:-120} (the table's measurements in the store)"
cp "$out/table.db" "$out/live.db"
"$tessera" tune ops/sgemm.yaml --device cuda:0 --shape "$shape" --strategy model \
    --seconds "${TUNE_SECONDS:-120}" --db "$out/live.db" | tail -n 6 | tee "$out/live.txt"
tuned=$(awk '/^ *best:/ {print $NF; exit}' "$out/live.txt")
gflops_of() { awk -v n="$2" '$1 == n && NF >= 5 {print $2; exit}' "$1"; }
if [ -n "$offline" ] && [ -n "$tuned" ]; then
    "$build/bench/tessera-bench-gemm" --device cuda:0 --sizes "$n" --runs 20 \
        --config "$offline" | tee "$out/b_off.txt"
    "$build/bench/tessera-bench-gemm" --device cuda:0 --sizes "$n" --runs 20 \
        --config "$tuned" | tee "$out/b_tuned.txt"
    off_gf=$(gflops_of "$out/b_off.txt" "$n")
    tuned_gf=$(gflops_of "$out/b_tuned.txt" "$n")
    row "offline choice n=$n" "$off_gf GFLOP/s  $offline"
    row "tuned (model, ${TUNE_SECONDS:-120} s) n=$n" "$tuned_gf GFLOP/s  $tuned"
    row "offline / tuned" "$(awk -v a="$off_gf" -v b="$tuned_gf" 'BEGIN {printf "%.2f", a / b}')"
else
    row "offline vs tuned" "FAIL (no offline or tuned best; see above)"
fi

finish
