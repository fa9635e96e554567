#!/usr/bin/env bash
# Every test on a fresh Debian machine: install, build with warnings as
# errors, run the whole suite (kernels run on PoCL, OpenCL on the CPU), then
# build again with AddressSanitizer and UndefinedBehaviorSanitizer (leak
# checking on) and run the suite once more, less the `vendor` suite (the
# vendor compilers' runs, which check their output, not tessera's memory)
# and the `install` suite (a user's program, built without the sanitizer),
# and last runs each fuzz target for FUZZ_SECONDS (default 60; scripts/fuzz.sh).
# TSR_SANITIZE=0 skips the second pass, TSR_FUZZ=0 the fuzzing; arguments go
# to `meson test` (a test's name runs only that test).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
rm -rf build-test
meson setup build-test --werror --buildtype=debugoptimized
ninja -C build-test
meson test -C build-test --print-errorlogs --num-processes 2 "$@"

if [ "${TSR_SANITIZE:-1}" != 0 ]; then
    rm -rf build-sanitize
    meson setup build-sanitize --werror --buildtype=debugoptimized -Db_sanitize=address,undefined \
        -Db_lundef=false
    ninja -C build-sanitize
    # The OpenCL loader sees PoCL alone here: Intel's driver (installed for
    # its offline compiler) dlopens with RTLD_DEEPBIND, which the sanitizer
    # runtime cannot run beside.
    icd_dir=$(mktemp -d)
    trap 'rm -rf "$icd_dir"' EXIT
    cp /etc/OpenCL/vendors/pocl.icd "$icd_dir"/
    export OCL_ICD_VENDORS="$icd_dir" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    if ! meson test -C build-sanitize --print-errorlogs --num-processes 2 --no-suite vendor \
        --no-suite install "$@"; then
        # LeakSanitizer's own tracer now and then crashes at exit beside
        # PoCL's threads; a test that failed only that way runs once more,
        # and every other failure stands (scripts/lsan_tracer_flakes.py).
        flaky=$(python3 scripts/lsan_tracer_flakes.py build-sanitize/meson-logs/testlog.json) || {
            echo "sanitizer pass failed" >&2
            exit 1
        }
        echo "LeakSanitizer's tracer crashed in: $flaky; running them again"
        # shellcheck disable=SC2086 # one word per test name
        meson test -C build-sanitize --print-errorlogs --no-rebuild $flaky
    fi
    unset OCL_ICD_VENDORS ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
fi

if [ "${TSR_FUZZ:-1}" != 0 ] && [ $# -eq 0 ]; then
    rm -rf build-fuzz
    scripts/fuzz.sh
fi
