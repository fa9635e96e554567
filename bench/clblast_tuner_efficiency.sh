#!/usr/bin/env bash
# CLBlast's own tuner as the reference for tuning efficiency: runs
# clblast_tuner_xgemm for SGEMM at SIZE^3 on the OpenCL device, stamps each
# line of its table with the time it appeared, and prints how many
# evaluations and seconds it needed to come within 5% of the best it found
# (and of REFERENCE GFLOP/s, when given: tessera's tuned best, say).
#
# usage: bench/clblast_tuner_efficiency.sh
#   SIZE       m = n = k (default 1024)
#   FRACTION   of the larger random-search space the tuner tries (default 0.05,
#              as in ../PERF.md's reference run)
#   PLATFORM, DEVICE   OpenCL indices (default 0 0)
#   MINUTES    stop the tuner after this long (default 40, as in PERF.md's
#              run; its random stage alone would take hours on a CPU)
#   REFERENCE  GFLOP/s to report the time to 95% of (optional)
#   LOG        where the stamped table goes (default clblast-tuner-SIZE.log)
set -euo pipefail

size=${SIZE:-1024}
fraction=${FRACTION:-0.05}
log=${LOG:-clblast-tuner-$size.log}
command -v clblast_tuner_xgemm >/dev/null ||
    { echo "clblast_tuner_xgemm is not installed (apt-get install clblast-utils)" >&2; exit 2; }

start=$(date +%s.%N)
# Each finished evaluation is a table row "| ID | total | params | ... | GFLOPS | status |".
# stdbuf: the tuner writes through stdio, block-buffered into a pipe, which
# would stamp a whole block with one time.
# Stopped at the time limit, the tuner's table so far is the result.
timeout "$((${MINUTES:-40} * 60))" stdbuf -oL clblast_tuner_xgemm -platform "${PLATFORM:-0}" \
    -device "${DEVICE:-0}" -precision 32 -m "$size" -n "$size" -k "$size" -fraction "$fraction" \
    2>&1 | while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done >"$log" ||
    true

# Rows with a GFLOPS figure, in the order they finished: seconds since the
# start, then GFLOP/s (the second-last column; colour codes stripped).
sed -E 's/\x1b\[[0-9;]*m//g' "$log" | awk -v start="$start" -v ref="${REFERENCE:-0}" '
    /^[0-9.]+ \| +[0-9]+ \|/ && !/skipping/ {
        # Every evaluation counts (rows the tuner skips unrun do not); only
        # a verified one has a speed.
        n = split($0, cols, "|")
        g = $0 ~ /results match/ ? cols[n - 2] + 0 : 0
        evals++
        t[evals] = $1 - start
        gf[evals] = g
        if (g > best) { best = g; best_at = evals }
    }
    END {
        if (best == 0) { print "no verified evaluation in the log"; exit 1 }
        for (i = 1; i <= evals; i++) if (gf[i] >= 0.95 * best) { e95 = i; break }
        printf "clblast_tuner_xgemm: %d evaluations in %.0f s; best %.1f GFLOP/s at the %dth (%.0f s)\n",
            evals, t[evals], best, best_at, t[best_at]
        printf "  within 5%% of its best: after %d evaluations, %.0f s\n", e95, t[e95]
        if (ref > 0) {
            for (i = 1; i <= evals; i++) if (gf[i] >= 0.95 * ref) { r95 = i; break }
            if (r95) printf "  within 5%% of %.1f GFLOP/s: after %d evaluations, %.0f s\n", ref, r95, t[r95]
            else printf "  never within 5%% of %.1f GFLOP/s\n", ref
        }
    }'
