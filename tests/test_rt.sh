#!/bin/bash
# Makes a bundle of GEMMs (plain, fused, batched) and a softmax tuned on
# PoCL with the tessera CLI, then runs test_rt on it: libtessera-rt alone,
# as a user's program.
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
# GEMMs with fused epilogues, between them every bias kind, activation and
# residual, both layouts, beta 0 and not, tuned with and without a batch.
spec() { # spec NAME GEMM_FIELDS SHAPES...
    local name=$1 gemm=$2
    shift 2
    printf 'schema: 1\nname: %s\nop: gemm\ndtype: f32\ngemm: {%s}\nshapes:\n' "$name" "$gemm"
    printf '  - {%s}\n' "$@"
}
spec rt-col-gelu-res "a: row, b: row, beta: 0.0, bias: col, activation: gelu, residual: true" \
    "m: 32, n: 32, k: 32" "m: 32, n: 32, k: 32, batch: 4" >col-gelu-res.yaml
spec rt-row-silu "a: col, b: row, beta: 1.0, bias: row, activation: silu" \
    "m: 32, n: 16, k: 32, batch: 2" >row-silu.yaml
spec rt-relu-res "a: row, b: col, beta: 0.0, activation: relu, residual: true" \
    "m: 16, n: 32, k: 16" >relu-res.yaml
spec rt-half-out "a: row, b: row, beta: 1.0, bias: col, activation: gelu, residual: true, \
output: f16" "m: 40, n: 24, k: 56" | sed 's/^dtype: f32/dtype: f16/' >half-out.yaml
tune() {
    "$tessera" tune "$@" --strategy random --budget 2 --db t.db >tune.log 2>&1 ||
        { cat tune.log; exit 1; }
}
tune "$root/ops/sgemm.yaml" --shape m=64,n=64,k=64
tune "$root/ops/hgemm.yaml" --shape m=64,n=64,k=64
tune "$root/ops/bf16gemm-tn.yaml" --shape m=48,n=48,k=48
tune "$root/ops/softmax.yaml" --shape rows=16,cols=512
# Not launched by the runtime, but their entries (gamma, beta, eps among
# the arguments) must not keep the bundle from opening.
for row_op in reduce-sum rmsnorm layernorm; do
    tune "$root/ops/$row_op.yaml" --shape rows=16,cols=512
done
for fused in col-gelu-res row-silu relu-res half-out; do
    tune "$fused.yaml"
done
"$tessera" export --db t.db --out bundle >/dev/null || exit 1
exec "$test_rt" bundle
