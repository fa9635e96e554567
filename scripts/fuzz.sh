#!/usr/bin/env bash
# Runs every fuzz target (fuzz/) under libFuzzer with AddressSanitizer and
# UndefinedBehaviorSanitizer for FUZZ_SECONDS each (default 60), seeded with
# the shipped profiles and op specs and every earlier regression. An input
# that fails is copied to fuzz/regressions/TARGET/, where the ordinary test
# suite replays it from then on, and the run fails.
#
# usage: scripts/fuzz.sh [TARGET...]   (default: profile opspec manifest generator)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(profile opspec manifest generator)

if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined \
        -Db_lundef=false --buildtype=debugoptimized >/dev/null
fi
ninja -C build-fuzz $(printf 'fuzz/fuzz-%s ' "${targets[@]}") >/dev/null

# As in the sanitizer pass: the loader sees PoCL alone (Intel's driver
# cannot run beside the sanitizer runtime).
icd_dir=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$icd_dir" "$work"' EXIT
cp /etc/OpenCL/vendors/pocl.icd "$icd_dir"/
export OCL_ICD_VENDORS=$icd_dir TESSERA_PROFILES=$PWD/profiles
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

status=0
for target in "${targets[@]}"; do
    corpus=$work/corpus-$target
    mkdir -p "$corpus" "$work/found-$target"
    case $target in
    profile) cp profiles/*.yaml "$corpus"/ ;;
    opspec) cp ops/*.yaml "$corpus"/ ;;
    generator) printf '\0\1\2\3\4\5\6\7\10\11\12\13\14\15' >"$corpus/seed" ;;
    manifest) cp fuzz/seeds/manifest/* "$corpus"/ ;;
    esac
    cp fuzz/regressions/"$target"/* "$corpus"/ 2>/dev/null || true
    rm -f "$corpus"/README.md
    max_len=65536
    [ "$target" = generator ] && max_len=32
    dict=fuzz/yaml.dict
    [ "$target" = manifest ] && dict=fuzz/json.dict
    echo "fuzz-$target: ${seconds} s"
    if ! build-fuzz/fuzz/fuzz-"$target" "$corpus" -max_total_time="$seconds" -max_len=$max_len \
        -timeout=30 -rss_limit_mb=4096 -dict="$dict" -print_final_stats=1 \
        -artifact_prefix="$work/found-$target/" >"$work/log-$target" 2>&1; then
        status=1
        tail -n 40 "$work/log-$target"
    fi
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$work/log-$target" | sed "s/^/  /" || true
    for found in "$work/found-$target"/*; do
        [ -f "$found" ] || continue
        name=$(basename "$found")
        cp "$found" "fuzz/regressions/$target/$name"
        echo "fuzz-$target: a failing input, kept as fuzz/regressions/$target/$name"
        status=1
    done
done
exit $status
