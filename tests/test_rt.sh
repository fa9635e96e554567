#!/bin/bash
# Makes a bundle of a GEMM and a softmax tuned on PoCL with the tessera
# CLI, then runs test_rt on it: libtessera-rt alone, as a user's program.
#
# usage: test_rt.sh TESSERA TEST_RT   (TSR_SOURCE_ROOT names the source tree)
set -u
tessera=$(realpath "${1:?usage: test_rt.sh TESSERA TEST_RT}")
test_rt=$(realpath "${2:?usage: test_rt.sh TESSERA TEST_RT}")
root=$(realpath "${TSR_SOURCE_ROOT:-.}")
export TESSERA_PROFILES=$root/profiles
work=$(mktemp -d /tmp/tsr_rt_XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
for job in "sgemm.yaml --shape m=64,n=64,k=64" "softmax.yaml --shape rows=16,cols=512"; do
    # shellcheck disable=SC2086
    "$tessera" tune "$root/ops/"$job --strategy random --budget 2 --db t.db >tune.log 2>&1 ||
        { cat tune.log; exit 1; }
done
"$tessera" export --db t.db --out bundle >/dev/null || exit 1
exec "$test_rt" bundle
