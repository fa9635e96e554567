# shellcheck shell=bash
# Sourced by the GPU scripts (bench/gpu.sh, bench/gpu_tuning.sh,
# bench/gpu_gemm.sh) from the source root: the build to use in $build,
# brought up to date unless TSR_NO_BUILD=1 (a build carried from another
# machine), and $tessera; require_cuda; a table the scripts fill with
# row NAME TEXT; measure_copy_rate; tune_best, fastest_stored and
# bench_cublas; and finish, which ends them.
# usage: . bench/gpu_setup.sh [BUILD_DIR]   (default build-gpu)
build=${1:-build-gpu}
if [ "${TSR_NO_BUILD:-0}" != 1 ]; then
    [ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release || exit 1
    ninja -C "$build" || exit 1
fi
export TESSERA_PROFILES=${TESSERA_PROFILES:-$PWD/profiles}
tessera=$build/tessera
table=()
row() { table+=("$(printf "%-${row_width:-34}s %s" "$1" "$2")"); }

# Exits unless tessera sees a CUDA device.
require_cuda() {
    if ! "$tessera" devices 2>/dev/null | grep -q '^cuda:0 '; then
        echo "$0: no CUDA device here (see 'tessera devices')" >&2
        exit 1
    fi
}

# The device's copy bandwidth in $copy_gbs (GB/s, measured by tessera
# profile detect into $out), printed and put in the table: what the
# memory-bound ops' bandwidth is a fraction of.
measure_copy_rate() {
    "$tessera" profile detect --device cuda:0 -o "$out/detected.yaml" >/dev/null || exit 1
    copy_gbs=$(awk '/bandwidth_gbs:/ {sub(/.*value: */, ""); sub(/[,}].*/, ""); print; exit}' \
        "$out/detected.yaml")
    echo "== copy bandwidth of cuda:0: $copy_gbs GB/s"
    row "device copy" "$copy_gbs GB/s"
}

# tune_best SPEC SHAPE DB: a model-guided tune of SPEC at SHAPE on cuda:0
# for $seconds into DB, its summary shown; prints its best config (nothing
# when no candidate passed).
tune_best() {
    echo "== tune $1 $2, --strategy model --seconds $seconds" >&2
    "$tessera" tune "$1" --device cuda:0 --shape "$2" --strategy model --seconds "$seconds" \
        --db "$3" | tail -n 5 | tee "$out/t.txt" >&2
    awk '/^ *best:/ {print $NF; exit}' "$out/t.txt"
}

# fastest_stored DB SHAPE PATTERN: "N CONFIG": how many configs stored ok
# for SHAPE in DB match the SQL LIKE PATTERN, and the fastest of them.
fastest_stored() {
    python3 - "$@" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
where = "WHERE shape = ? AND outcome = 'ok' AND config LIKE ?"
n = db.execute("SELECT count(*) FROM results " + where, sys.argv[2:4]).fetchone()[0]
best = db.execute("SELECT config FROM results " + where + " ORDER BY time_ms LIMIT 1",
                  sys.argv[2:4]).fetchone() or ("",)
print(n, best[0])
PY
}

# bench_cublas SPEC DB SIZE RUNS [CONFIG [PROFILE]]: "GFLOP/s (cuBLAS
# GFLOP/s, ratio R)" of SPEC's best stored in DB for SIZE, or of CONFIG
# (generated for PROFILE, else the device's), against cuBLAS on cuda:0
# (tessera-bench-gemm, RUNS interleaved runs; its output shown when it
# fails).
bench_cublas() {
    "$build/bench/tessera-bench-gemm" --device cuda:0 --spec "$1" --db "$2" --sizes "$3" \
        --runs "$4" ${5:+--config "$5"} ${6:+--profile "$6"} >"$out/b.txt" 2>&1 ||
        cat "$out/b.txt" >&2
    awk -v n="$3" '$1 == n && NF >= 5 {print $2 " (cuBLAS " $3 ", ratio " $4 ")"; exit}' \
        "$out/b.txt"
}

# Copies the stores in $out into $KEEP when it is set, prints the table,
# removes $out; fails when a row says FAIL.
finish() {
    if [ -n "${KEEP:-}" ]; then
        mkdir -p "$KEEP" && cp "$out"/*.db "$KEEP"/
    fi
    echo
    printf '%s\n' "${table[@]}"
    rm -rf "$out"
    ! printf '%s\n' "${table[@]}" | grep -q FAIL
}
