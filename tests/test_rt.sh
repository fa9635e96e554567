#!/bin/bash
# Makes a bundle of GEMMs (plain, fused, batched), the row ops, permutes,
# attention and conv2d tuned on PoCL with the tessera CLI, then runs each
# test program on it (test_rt, test_rt_f64, test_rt_rows,
# test_rt_attention, test_rt_conv2d, test_rt_workspace): libtessera-rt
# alone, as a user's program.
#
# usage: test_rt.sh TESSERA TEST...   (TSR_SOURCE_ROOT names the source tree)
set -u
usage="usage: test_rt.sh TESSERA TEST..."
tessera=$(realpath "${1:?$usage}")
shift
[ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }
tests=()
for program in "$@"; do
    tests+=("$(realpath "$program")")
done
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
# A GEMM whose K is split among 4 groups a tile (SK=4), which join through
# the runtime's workspace: that config alone, measured and stored.
spec rt-split "a: col, b: col, beta: 1.0, bias: col, activation: silu, residual: true" \
    "m: 16, n: 32, k: 512" >split.yaml
"$tessera" tune split.yaml --config SK=4,BM=16,BN=16,TM=1,TN=1,STRN=0 --db t.db >tune.log 2>&1 ||
    { cat tune.log; exit 1; }
tune() {
    "$tessera" tune "$@" --strategy random --budget 2 --db t.db >tune.log 2>&1 ||
        { cat tune.log; exit 1; }
}
tune "$root/ops/sgemm.yaml" --shape m=64,n=64,k=64
tune "$root/ops/hgemm.yaml" --shape m=64,n=64,k=64
tune "$root/ops/sgemm-tf32.yaml" --shape m=64,n=64,k=64
tune "$root/ops/bf16gemm-tn.yaml" --shape m=48,n=48,k=48
# f64: the plain dgemm, and one with A column-major, beta, a column bias,
# GELU and R, tuned with a batch.
tune "$root/ops/dgemm.yaml" --shape m=64,n=64,k=64
spec rt-f64-fused "a: col, b: row, beta: 1.0, bias: col, activation: gelu, residual: true" \
    "m: 32, n: 16, k: 32, batch: 2" | sed 's/^dtype: f32/dtype: f64/' >f64-fused.yaml
for row_op in softmax reduce-sum rmsnorm layernorm; do
    tune "$root/ops/$row_op.yaml" --shape rows=16,cols=512
done
# Means along the middle axis (X rows x cols x inner).
tune "$root/ops/reduce-mean-middle.yaml" --shape rows=4,cols=64,inner=96
# A row reduction whose long rows split among groups that join through
# the workspace: the first configs of the space, then only the split one
# (WG=8,VW=1,SG=0,CHUNK=4096,RT=1) kept for its shape, so that the bundle holds
# it whatever the timings.
"$tessera" tune "$root/ops/reduce-sum.yaml" --shape rows=1,cols=1048576 --strategy exhaustive \
    --budget 2 --db t.db >tune.log 2>&1 || { cat tune.log; exit 1; }
python3 - <<'PY' || exit 1
import sqlite3
db = sqlite3.connect("t.db")
kept = db.execute("SELECT count(*) FROM results WHERE shape = 'rows=1,cols=1048576'"
                  " AND config = 'WG=8,VW=1,SG=0,CHUNK=4096,RT=1' AND outcome = 'ok'").fetchone()[0]
assert kept == 1, "the split reduction did not verify"
db.execute("DELETE FROM results WHERE shape = 'rows=1,cols=1048576'"
           " AND config != 'WG=8,VW=1,SG=0,CHUNK=4096,RT=1'")
db.commit()
PY
# A transpose, a 4-D permute that keeps the innermost dim and one that
# moves it; and a perm tuned with its last dim 1, whose entry launches no
# axis along that dim (the runtime must not pick it for a dim above 1).
tune "$root/ops/transpose.yaml" --shape d0=64,d1=48
tune "$root/ops/permute-4d.yaml" --shape d0=2,d1=16,d2=4,d3=32
tune "$root/ops/permute-nhwc-nchw.yaml" --shape d0=2,d1=8,d2=8,d3=16
cat >reverse.yaml <<'SPEC'
schema: 1
name: rt-reverse
op: permute
dtype: f32
permute: {perm: [2, 1, 0]}
shapes:
  - {d0: 16, d1: 8, d2: 1}
SPEC
# Attention in f32 (PoCL compiles it fastest): a causal [batch][heads]
# [seq][d] kernel tuned with heads and a batch, and a [batch][seq][heads]
# [d] one tuned on one head of one sequence, whose heads and batch axes
# the export writes as lone groups (the runtime must still run many).
cat >attention-causal.yaml <<'SPEC'
schema: 1
name: rt-attention-causal
op: attention
dtype: f32
attention: {head_dim: 16, causal: true}
shapes:
  - {q: 32, kv: 32, heads: 2, batch: 2}
SPEC
cat >attention-bshd.yaml <<'SPEC'
schema: 1
name: rt-attention-bshd
op: attention
dtype: f32
attention: {head_dim: 16, layout: bshd, scale: 0.3}
shapes:
  - {q: 16, kv: 48}
SPEC
# conv2d in f32: NCHW with its bias and ReLU, and an NHWC one with every
# constant off its default (a 3x2 filter, stride, pad, dilation, groups).
cat >conv2d-nchw.yaml <<'SPEC'
schema: 1
name: rt-conv2d-nchw
op: conv2d
dtype: f32
conv2d: {layout: nchw, filter: 3, pad: 1, bias: true, activation: relu}
shapes:
  - {n: 2, c: 4, h: 8, w: 8, k: 8}
SPEC
cat >conv2d-nhwc.yaml <<'SPEC'
schema: 1
name: rt-conv2d-nhwc
op: conv2d
dtype: f32
conv2d: {layout: nhwc, filter: [3, 2], stride: [2, 1], pad: [1, 0], dilation: [1, 2], groups: 2}
shapes:
  - {n: 2, c: 8, h: 9, w: 9, k: 4}
SPEC
for made in col-gelu-res row-silu relu-res half-out f64-fused reverse attention-causal \
    attention-bshd conv2d-nchw conv2d-nhwc; do
    tune "$made.yaml"
done
"$tessera" export --db t.db --out bundle >/dev/null || exit 1
failed=0
for program in "${tests[@]}"; do
    echo "== ${program##*/}"
    "$program" bundle || failed=1
done
exit "$failed"
