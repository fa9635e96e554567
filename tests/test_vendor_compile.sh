#!/bin/bash
# `tessera compile` end to end: every example op spec's default config
# through every vendor compiler for every CI target, each report checked
# (nvcc and hipcc must report registers and the block's shared memory),
# the reports kept in the results store and answered from it, and the exit
# status of bad input. The wider sample of configs goes
# through the compilers directly in vendor_compile.sh. Under CI a missing
# compiler fails the test; elsewhere that compiler is skipped.
#
# usage: test_vendor_compile.sh TESSERA SOURCE_ROOT
set -u
tessera=$(realpath "${1:?usage: test_vendor_compile.sh TESSERA SOURCE_ROOT}")
root=$(realpath "${2:?usage: test_vendor_compile.sh TESSERA SOURCE_ROOT}")
export TESSERA_PROFILES="$root/profiles"
profile=nvidia-h100-sxm
work=$(mktemp -d /tmp/tsr_offline_cli_XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
out=$work/out.txt
db=$work/reports.db
passed=0
failed=0

fail() {
    echo "FAIL $*"
    sed 's/^/    /' "$out"
    failed=$((failed + 1))
}

# check COMPILER TARGET SPEC: compiles and the report holds what it must.
check() {
    local compiler=$1 target=$2 spec=$3
    "$tessera" compile "$root/ops/$spec.yaml" --profile $profile --compiler "$compiler" \
        --target "$target" --db "$db" >"$out" 2>&1
    local rc=$?
    if [ $rc -ne 0 ]; then
        if grep -q "$compiler not found" "$out" && [ -z "${CI:-}" ]; then
            echo "skipped: $(cat "$out")"
            return 2
        fi
        fail "tessera compile $spec --compiler $compiler --target $target (exit $rc)"
        return 1
    fi
    if ! grep -q "^ok: *yes" "$out" || ! grep -q "^target: *$target\$" "$out"; then
        fail "$compiler $target $spec: report does not say ok for $target"
        return 1
    fi
    if [ "$compiler" != ocloc ] &&
        { ! grep -Eq '^registers: *[1-9][0-9]*$' "$out" ||
            ! grep -Eq '^occupancy: *[0-9]+ blocks per unit' "$out"; }; then
        fail "$compiler $target $spec: no register count or occupancy"
        return 1
    fi
    if [ "$spec" = sgemm ] && [ "$compiler" != ocloc ] && grep -q '^shared: *0 bytes static, 0 dynamic' "$out"; then
        fail "$compiler $target $spec: the tiled GEMM reports no shared memory"
        return 1
    fi
    passed=$((passed + 1))
}

run_all() {
    local compiler=$1 target spec
    shift
    for target in "$@"; do
        for spec in sgemm sgemm-tn sgemm-nt softmax transpose; do
            check "$compiler" "$target" "$spec"
            [ $? -eq 2 ] && return
        done
    done
}

run_all nvcc sm_80 sm_89 sm_90 sm_90a
run_all hipcc gfx908 gfx90a gfx940 gfx1030
run_all ocloc dg2 pvc tgllp

# The store: the same compile again is answered from it (with the date it
# was compiled), --fresh compiles again, and the two reports agree.
if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then
    compile_sgemm() {
        "$tessera" compile "$root/ops/sgemm.yaml" --profile $profile --db "$db" "$@" >"$out" 2>&1
    }
    if compile_sgemm && grep -q "^stored: *$db, compiled 20" "$out"; then
        grep -v '^stored:' "$out" >"$work/cached.txt"
        passed=$((passed + 1))
    else
        fail "a second compile of sgemm for $profile is not answered from the store"
    fi
    if compile_sgemm --fresh && grep -q "^stored: *$db\$" "$out" &&
        grep -v '^stored:' "$out" | cmp -s - "$work/cached.txt"; then
        passed=$((passed + 1))
    else
        fail "--fresh does not compile again, or its report differs from the stored one"
    fi
fi
# A file that is not a results store: exit 2, one line, the file untouched.
printf 'not a database\n' >"$work/foreign.db"
"$tessera" compile "$root/ops/sgemm.yaml" --profile $profile --db "$work/foreign.db" >"$out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "foreign.db: not a tessera results store" "$out" &&
    [ "$(wc -l <"$out")" -eq 1 ] && [ "$(cat "$work/foreign.db")" = "not a database" ]; then
    passed=$((passed + 1))
else
    fail "a foreign --db gives exit $rc"
fi

# Bad input: exit 2 and one line naming the target and the supported ones.
"$tessera" compile "$root/ops/sgemm.yaml" --profile $profile --compiler hipcc --target gfx1 \
    --db "$db" >"$out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "unsupported target 'gfx1'.*gfx90a" "$out" && [ "$(wc -l <"$out")" -eq 1 ]; then
    passed=$((passed + 1))
else
    fail "an unknown target gives exit $rc"
fi
"$tessera" compile "$root/ops/sgemm.yaml" --profile pocl-cpu --db "$db" >"$out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "names no offline compiler" "$out"; then
    passed=$((passed + 1))
else
    fail "a profile without an offline compiler gives exit $rc"
fi

# Offline tuning: the analytic model ranks, the vendor compiler reports on
# the best few, they are stored as predicted, resumed from the store, and
# exported as a bundle that says they were predicted.
# offline_tune PROFILE COMPILER TARGET
offline_tune() {
    local p=$1 compiler=$2 target=$3
    if [ -z "${CI:-}" ] && ! command -v "$compiler" >/dev/null && [ "$compiler" != nvcc ]; then
        echo "skipped: offline tune for $p ($compiler not installed)"
        return
    fi
    local tune=(tune "$root/ops/sgemm.yaml" --offline --profile "$p"
        --shape m=1024,n=1000,k=512 --budget 3 --db "$work/offline.db")
    "$tessera" "${tune[@]}" >"$out" 2>&1
    local rc=$?
    if [ $rc -eq 0 ] && grep -q "compiled by $compiler for $target (3 now" "$out" &&
        grep -q "best (predicted)" "$out"; then
        passed=$((passed + 1))
    else
        fail "tune --offline --profile $p (exit $rc)"
    fi
    "$tessera" "${tune[@]}" >"$out" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && grep -q "(0 now, the rest from the store)" "$out" &&
        [ "$(grep -c "(stored)" "$out")" -eq 3 ]; then
        passed=$((passed + 1))
    else
        fail "tune --offline --profile $p again, from the store (exit $rc)"
    fi
}
offline_tune nvidia-h100-sxm nvcc sm_90a
offline_tune amd-mi250x hipcc gfx90a
if [ -f "$work/offline.db" ]; then
    "$tessera" export --db "$work/offline.db" --out "$work/offline-bundle" >"$out" 2>&1 &&
        "$tessera" bundle check "$work/offline-bundle" >"$out" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && grep -q "(predicted)" "$out" &&
        grep -q '"measured": false' "$work/offline-bundle/manifest.json"; then
        passed=$((passed + 1))
    else
        fail "export of offline results (exit $rc)"
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
