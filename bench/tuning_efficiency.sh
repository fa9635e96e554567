#!/usr/bin/env bash
# The tuning-efficiency benchmark: measure a table of candidates on a device
# once, then replay it for every strategy over many seeds
# (tessera-bench-tuning; see bench/README.md).
#
# usage: bench/tuning_efficiency.sh [BUILD_DIR]
#   DEVICE      device id (default opencl:0)
#   SIZE        m = n = k (default 1024)
#   CANDIDATES  random candidates to measure (default 300)
#   SEEDS       seeds per strategy (default 9)
#   DB          the store of the table (default tuning-efficiency-DEVICE.db;
#               reused, so a second run measures only what is missing; one
#               device per store)
set -euo pipefail

build=${1:-build}
device=${DEVICE:-opencl:0}
size=${SIZE:-1024}
candidates=${CANDIDATES:-300}
seeds=${SEEDS:-9}
db=${DB:-tuning-efficiency-${device/:/-}.db}
shape="m=$size,n=$size,k=$size"

cd "$(dirname "$0")/.."
echo "== measuring $candidates random candidates of SGEMM at $shape on $device into $db"
start=$SECONDS
# Exit status 1 (no candidate verified, or interrupted) still leaves a table.
"$build/tessera" tune ops/sgemm.yaml --device "$device" --shape "$shape" --strategy random \
    --budget "$candidates" --seed 7 --db "$db" | tail -n 5 || true
echo "   ($((SECONDS - start)) s)"

echo "== replaying it for each strategy, $seeds seeds"
"$build/bench/tessera-bench-tuning" --db "$db" --shape "$shape" --seeds "$seeds"
