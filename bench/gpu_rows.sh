#!/usr/bin/env bash
# The memory-bound ops on an NVIDIA GPU, in one go: the device's copy
# bandwidth (tessera profile detect), then for each op (softmax, rmsnorm,
# layernorm, reduce-sum, and the transpose of ops/transpose.yaml) and shape
# a model-guided tune on cuda:0, its best kernel's achieved bandwidth (X
# read, Y written) against the copy rate, and PyTorch's own op on the same
# shape (bench/torch_rows.py, CUDA events, median of 50). A table last.
#
# usage: bench/gpu_rows.sh [BUILD_DIR]   (default build-gpu; TSR_NO_BUILD=1
#        takes a build made elsewhere as it is)
# SHAPES (default 8192x8192,4096x1024): ROWSxCOLS each; OPS (default all
# five, comma-separated); TUNE_SECONDS (default 20) per op and shape; KEEP:
# a folder for the store. For reduce-sum a second row gives the best kernel
# the tune timed with one work-group a row (CHUNK=0), against which the
# split rows' (CHUNK > 0, groups joining through a workspace) show.
#
# Long rows: SHAPES=16x4194304,128x524288 OPS=reduce-sum bash bench/gpu_rows.sh
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
row_width=30
# shellcheck source=bench/gpu_setup.sh
. bench/gpu_setup.sh "${1:-build-gpu}"
require_cuda
out=$(mktemp -d)
seconds=${TUNE_SECONDS:-20}

measure_copy_rate

IFS=, read -r -a shapes <<<"${SHAPES:-8192x8192,4096x1024}"
for shape in "${shapes[@]}"; do
    IFS=x read -r rows cols <<<"$shape"
    python3 bench/torch_rows.py "$rows" "$cols" | tee "$out/torch.txt"
    IFS=, read -r -a ops <<<"${OPS:-softmax,rmsnorm,layernorm,reduce-sum,transpose}"
    for op in "${ops[@]}"; do
        dims="rows=$rows,cols=$cols"
        [ "$op" = transpose ] && dims="d0=$rows,d1=$cols"
        echo "== $op $dims: tessera tune --strategy model --seconds $seconds"
        "$tessera" tune "ops/$op.yaml" --device cuda:0 --shape "$dims" \
            --strategy model --seconds "$seconds" --db "$out/rows.db" | tail -n 5 | tee "$out/t.txt"
        ms=$(awk '/^ *best:/ {print $2; exit}' "$out/t.txt")
        config=$(awk '/^ *best:/ {print $NF; exit}' "$out/t.txt")
        ref=$(awk -v op="$op" '$2 == op {print $5; exit}' "$out/torch.txt")
        # X read and Y written; a reduction writes one value per row.
        out_elems=$([ "$op" = reduce-sum ] && echo "$rows" || echo "$((rows * cols))")
        bytes=$(((rows * cols + out_elems) * 4))
        if [ -z "$ms" ]; then
            row "$op ${rows}x$cols" "FAIL (no verified kernel, see above)"
            continue
        fi
        row "$op ${rows}x$cols" "$(awk -v b="$bytes" -v t="$ms" -v c="$copy_gbs" -v r="${ref:-0}" \
            'BEGIN {g = b / (t * 1e6); printf "%.3f ms %.0f GB/s = %.2f of copy", t, g, g / c;
                    if (r > 0) printf "; torch %.3f ms, ratio %.2f", r, r / t}'); $config"
        [ "$op" = reduce-sum ] || continue
        whole=$(python3 - "$out/rows.db" "$dims" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
where = ("WHERE op_key LIKE 'reduce.%' AND shape = ? AND outcome = 'ok'"
         " AND config LIKE '%CHUNK=0%'")
n = db.execute("SELECT count(*) FROM results " + where, (sys.argv[2],)).fetchone()[0]
best = db.execute("SELECT time_ms, config FROM results " + where + " ORDER BY time_ms LIMIT 1",
                  (sys.argv[2],)).fetchone() or (0, "-")
print(f"{best[0]} {n} {best[1]}")
PY
        )
        read -r whole_ms whole_n whole_config <<<"$whole"
        row "  one group a row (CHUNK=0)" "$(awk -v b="$bytes" -v t="$whole_ms" -v c="$copy_gbs" \
            -v n="$whole_n" -v s="$ms" 'BEGIN {if (t <= 0) {print "none timed"; exit}
                g = b / (t * 1e6); printf "%.3f ms %.0f GB/s = %.2f of copy, best of %d; split %.2fx",
                t, g, g / c, n, t / s}'); $whole_config"
    done
done

# The row sums through libtessera-rt in a program of its own, on the
# stream's workspace, every shape in one run (examples/cuda_reduce.c).
if [[ ",${OPS:-reduce-sum}," == *,reduce-sum,* ]] && [ -x "$build/examples/cuda_reduce" ]; then
    "$tessera" export --db "$out/rows.db" --out "$out/bundle" >/dev/null
    echo "== examples/cuda_reduce bundle ${shapes[*]}"
    "$build/examples/cuda_reduce" "$out/bundle" "${shapes[@]}" | tee "$out/rt.txt"
    [ "${PIPESTATUS[0]}" = 0 ] || row "examples/cuda_reduce" "FAIL (see above)"
    while read -r key shape rest; do
        row "  libtessera-rt $shape" "$(sed -E 's/.*: max error ([^ ]+).* (ok|WRONG); ([0-9.]+ ms), ([0-9]+ GB\/s).*/\3 \4, max error \1 \2/' <<<"$rest")"
    done <"$out/rt.txt"
fi

finish
