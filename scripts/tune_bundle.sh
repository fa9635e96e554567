#!/usr/bin/env bash
# Tunes the op specs of a model (files, or every *.yaml of a folder, in
# order) on one device into one results store and exports them as one
# bundle, checked: the kernels one program loads for the whole model.
# Running it again resumes: stored candidates are skipped.
#
# usage: scripts/tune_bundle.sh OUT_DIR SPEC_OR_FOLDER...
#   e.g. scripts/tune_bundle.sh bundle-llm ops/transformer-block
# DEVICE (default opencl:0), SECONDS_PER_SHAPE (default 20, the model-guided
# search's time per shape), BUDGET (most candidates per shape; default no
# limit), TIMEOUT (seconds a candidate may take compiling or running;
# default 180: a CPU's OpenCL compiler takes about a minute for the largest
# f16 GEMM kernels of ops/transformer-block), DB (default OUT_DIR.db), BUILD
# (default the source tree's build, set up if missing) or TESSERA (a tessera
# program to use as it is). Paths are the caller's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 2 ]; then
    echo "usage: $0 OUT_DIR SPEC_OR_FOLDER..." >&2
    exit 2
fi
out=$1
shift
db=${DB:-$out.db}
tessera=${TESSERA:-}
if [ -z "$tessera" ]; then
    build=${BUILD:-$root/build}
    [ -d "$build" ] || meson setup "$build" "$root" --buildtype=release
    ninja -C "$build" >/dev/null
    tessera=$build/tessera
fi

specs=()
for arg in "$@"; do
    if [ -d "$arg" ]; then
        found=("$arg"/*.yaml)
        [ -e "${found[0]}" ] || { echo "$0: $arg: no *.yaml in it" >&2; exit 2; }
        specs+=("${found[@]}")
    elif [ -f "$arg" ]; then
        specs+=("$arg")
    else
        echo "$0: $arg: no such spec or folder" >&2
        exit 2
    fi
done

for spec in "${specs[@]}"; do
    echo "== $spec"
    "$tessera" tune "$spec" --device "${DEVICE:-opencl:0}" --strategy model \
        --timeout "${TIMEOUT:-180}" \
        --seconds "${SECONDS_PER_SHAPE:-20}" ${BUDGET:+--budget "$BUDGET"} --db "$db" | tail -n 4
done
"$tessera" export --db "$db" --out "$out"
"$tessera" bundle check "$out"
