#!/bin/bash
# The bad-input catalogue: every parser and command-line entry of tessera
# fed malformed, truncated, oversized, wrong-typed, duplicate-key and
# adversarial input (YAML bombs, deep nesting, huge numbers, NUL bytes,
# invalid UTF-8, binary noise, identifiers that would inject code into a
# kernel, corrupt or foreign stores). Each must end within 10 s with exit
# status 2 and one line on stderr naming the problem: never a crash, a
# hang, a sanitizer report, or a kernel printed from the input. Bundle
# manifests whose paths lead out of the bundle are refused too.
#
# usage: test_bad_input.sh TESSERA   (TSR_SOURCE_ROOT names the source tree)
set -u
tessera=$(realpath "${1:?usage: test_bad_input.sh TESSERA}")
root=$(realpath "${TSR_SOURCE_ROOT:-.}")
export TESSERA_PROFILES="$root/profiles"
work=$(mktemp -d /tmp/tsr_bad_input_XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
passed=0
failed=0

# refused DESCRIPTION ARGS...: tessera ARGS must be refused as bad input.
refused() {
    local what=$1
    shift
    timeout 10 "$tessera" "$@" >out 2>err </dev/null
    local code=$? why=""
    if [ $code -eq 124 ]; then
        why="did not finish in 10 s"
    elif [ $code -ne 2 ]; then
        why="exit status $code, expected 2"
    elif grep -qE "Sanitizer|runtime error" err; then
        why="a sanitizer report"
    elif [ "$(wc -l <err)" -ne 1 ] || [ ! -s err ]; then
        why="stderr has $(wc -l <err) lines, expected one"
    elif grep -q "__kernel\|__global__" out; then
        why="a kernel was printed"
    fi
    if [ -z "$why" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $what: $why"
        sed 's/^/    stderr: /' err | head -n 5
    fi
}

# refused_saying DESCRIPTION NEEDLE ARGS...: refused as bad input, and the
# one line names NEEDLE (where another refusal would pass unnoticed).
refused_saying() {
    local what=$1 needle=$2 before=$failed
    shift 2
    refused "$what" "$@"
    if [ "$failed" -eq "$before" ] && ! grep -qF -- "$needle" err; then
        passed=$((passed - 1))
        failed=$((failed + 1))
        echo "FAIL $what: stderr lacks '$needle'"
        sed 's/^/    stderr: /' err | head -n 5
    fi
}

# Fixed pseudo-random bytes (awk's generator, seeded), so a failure repeats.
noise() {
    awk -v seed="$2" -v n="$1" 'BEGIN { srand(seed); for (i = 0; i < n; i++) printf "%c", int(rand() * 255) + 1 }'
}

# ---- YAML files: device profiles and op specs ------------------------------------

spec_ok="schema: 1
name: s
op: gemm
dtype: f32
gemm: {a: row, b: row}
shapes:
  - {m: 8, n: 8, k: 8}
"
yaml_cases() { # KIND VALID-TEXT: writes case files KIND-NAME.yaml
    local kind=$1 valid=$2
    : >"$kind-empty.yaml"
    printf '# nothing but a comment\n' >"$kind-comment.yaml"
    printf '%s' "$valid" | head -c 40 >"$kind-truncated.yaml"
    { printf '%s' "$valid"; head -c 1100000 /dev/zero | tr '\0' '#'; printf '\n'; } >"$kind-oversized.yaml"
    printf 'schema: [1]\n' >"$kind-schema-list.yaml"
    printf 'schema: "one"\n' >"$kind-schema-string.yaml"
    printf 'schema: 1\nschema: 1\n' >"$kind-duplicate-key.yaml"
    printf 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\nschema: 1\n' >"$kind-alias-bomb.yaml"
    { printf 'schema: 1\nname: '; head -c 20000 /dev/zero | tr '\0' '['; printf '\n'; } >"$kind-deep-nesting.yaml"
    printf 'schema: 99999999999999999999999999999999\n' >"$kind-huge-schema.yaml"
    printf 'schema: 1e400\n' >"$kind-overflowing-float.yaml"
    printf 'schema: 1\nname: "a\0b"\n' >"$kind-nul-byte.yaml"
    printf 'schema: 1\nname: \377\376broken\n' >"$kind-invalid-utf8.yaml"
    printf 'schema: 1\nname:\tx\n  - :\n' >"$kind-syntax-error.yaml"
    noise 4096 7 >"$kind-noise.yaml"
    printf -- '--- 1\n--- 2\n' >"$kind-two-documents.yaml"
    printf '[1, 2, 3]\n' >"$kind-not-a-mapping.yaml"
    mkdir -p "$kind-directory.yaml"
}

yaml_cases profile "$(cat "$root/profiles/pocl-cpu.yaml")"
for f in profile-*.yaml; do
    refused "profile check $f" profile check "$f"
done
refused "profile check of a missing file" profile check no-such-profile.yaml
# Numbers past their limits, in a profile that is otherwise whole.
sed 's/units: {value: 2,/units: {value: 18446744073709551617,/' "$root/profiles/pocl-cpu.yaml" >profile-huge-units.yaml
refused "a profile with 2^64+1 compute units" profile check profile-huge-units.yaml
sed 's/units: {value: 2,/units: {value: -3,/' "$root/profiles/pocl-cpu.yaml" >profile-negative-units.yaml
refused "a profile with -3 compute units" profile check profile-negative-units.yaml
sed 's/^name: pocl-cpu/name: "pocl\/..\/..\/etc"/' "$root/profiles/pocl-cpu.yaml" >profile-path-name.yaml
refused "a profile whose name is a path" profile check profile-path-name.yaml

yaml_cases spec "$spec_ok"
for f in spec-*.yaml; do
    refused "gen $f" gen "$f" --profile pocl-cpu
done
refused "gen of a missing spec" gen no-such-spec.yaml --profile pocl-cpu
# Names that would end a comment or a string in the generated kernel.
printf '%s' "$spec_ok" | sed 's/^name: s/name: "x *\/ __kernel void evil(void) {} \/*"/' >spec-comment-injection.yaml
refused "a spec name that closes a comment" gen spec-comment-injection.yaml --profile pocl-cpu
printf '%s' "$spec_ok" | sed 's/^name: s/name: "x\\n#define float double"/' >spec-newline-injection.yaml
refused "a spec name with a newline" gen spec-newline-injection.yaml --profile pocl-cpu
printf '%s' "$spec_ok" | sed 's/{m: 8, n: 8, k: 8}/{m: 4294967297, n: 8, k: 8}/' >spec-huge-shape.yaml
refused "a shape of 2^32+1 rows" gen spec-huge-shape.yaml --profile pocl-cpu
printf '%s' "$spec_ok" | sed 's/{m: 8, n: 8, k: 8}/{m: 8, n: 8, k: 8, m: 9}/' >spec-duplicate-dim.yaml
refused "a shape with m twice" gen spec-duplicate-dim.yaml --profile pocl-cpu
printf '%s' "$spec_ok" | sed 's/dtype: f32/dtype: "f32; system(\\"rm\\")"/' >spec-dtype-injection.yaml
refused "a dtype with code in it" gen spec-dtype-injection.yaml --profile pocl-cpu
printf '%s' "$spec_ok" | sed 's/dtype: f32/dtype: i8/' >spec-i8-gemm.yaml
refused "a dtype GEMM does not take" gen spec-i8-gemm.yaml --profile pocl-cpu
printf '%s' "$spec_ok" | sed 's/dtype: f32/dtype: f64/' >spec-f64-gemm.yaml
refused "an f64 GEMM on a profile without fp64" gen spec-f64-gemm.yaml --profile intel-arc-a770
printf '%s' "$spec_ok" | sed 's/{m: 8, n: 8, k: 8}/{m: 8.5, n: 8, k: 8}/' >spec-fractional-shape.yaml
refused "a shape of 8.5 rows" gen spec-fractional-shape.yaml --profile pocl-cpu
printf '%s' "$spec_ok" | sed 's/{m: 8, n: 8, k: 8}/{m: 8, n: 8, k: 8, batch: -1}/' >spec-negative-batch.yaml
refused "a batch of -1 problems" gen spec-negative-batch.yaml --profile pocl-cpu
printf '%s' "$spec_ok" | sed 's/{a: row, b: row}/{a: row, b: row, activation: "gelu(x); }"}/' >spec-activation-injection.yaml
refused "an activation with code in it" gen spec-activation-injection.yaml --profile pocl-cpu
printf '%s' "$spec_ok" | sed 's/{a: row, b: row}/{a: row, b: row, bias: both}/' >spec-bad-bias.yaml
refused "a bias along both dims" gen spec-bad-bias.yaml --profile pocl-cpu
printf '%s' "$spec_ok" | sed 's/{a: row, b: row}/{a: row, b: row, residual: 2}/' >spec-bad-residual.yaml
refused "a residual that is not true or false" gen spec-bad-residual.yaml --profile pocl-cpu
# tf32 math on inputs that are not f32, or a math of no such name.
printf '%s' "$spec_ok" | sed 's/dtype: f32/dtype: f16/; s/{a: row, b: row}/{a: row, b: row, math: tf32}/' >spec-tf32-f16.yaml
refused "tf32 math on f16 inputs" gen spec-tf32-f16.yaml --profile pocl-cpu
printf '%s' "$spec_ok" | sed 's/{a: row, b: row}/{a: row, b: row, math: fp8}/' >spec-bad-math.yaml
refused "a math of no such name" gen spec-bad-math.yaml --profile pocl-cpu
# The row ops' sections: an unknown kind or key, a negative eps, a section
# for another op, a reduce without its kind.
row_spec() { # row_spec FILE OP SECTION [SHAPE]
    local shape=${4:-'{rows: 4, cols: 8}'}
    printf 'schema: 1\nname: r\nop: %s\ndtype: f32\n%s\nshapes:\n  - %s\n' "$2" "$3" "$shape" >"$1"
}
row_spec spec-reduce-kind.yaml reduce 'reduce: {kind: median}'
refused "a reduce of kind median" gen spec-reduce-kind.yaml --profile pocl-cpu
row_spec spec-reduce-no-kind.yaml reduce ''
refused "a reduce without a kind" gen spec-reduce-no-kind.yaml --profile pocl-cpu
row_spec spec-rmsnorm-negative-eps.yaml rmsnorm 'rmsnorm: {eps: -1e-6}'
refused "an rmsnorm with eps -1e-6" gen spec-rmsnorm-negative-eps.yaml --profile pocl-cpu
row_spec spec-layernorm-unknown-key.yaml layernorm 'layernorm: {eps: 1e-5, momentum: 0.1}'
refused "a layernorm with an unknown key" gen spec-layernorm-unknown-key.yaml --profile pocl-cpu
row_spec spec-layernorm-nan-eps.yaml layernorm 'layernorm: {eps: .nan}'
refused "a layernorm with eps NaN" gen spec-layernorm-nan-eps.yaml --profile pocl-cpu
row_spec spec-rmsnorm-reduce-section.yaml rmsnorm 'reduce: {kind: sum}'
refused "an rmsnorm with a reduce section" gen spec-rmsnorm-reduce-section.yaml --profile pocl-cpu
# The reduced axis: no such axis, a list of them; an inner dim where the
# axis is the last (in the spec and on the command line), an empty one, or
# rows x cols x inner past what 32-bit indices reach.
row_spec spec-reduce-axis-first.yaml reduce 'reduce: {kind: sum, axis: first}'
refused_saying "a reduce along an axis of no such name" \
    "spec-reduce-axis-first.yaml:5:27: reduce.axis: unknown value 'first'" \
    gen spec-reduce-axis-first.yaml --profile pocl-cpu
row_spec spec-reduce-axis-list.yaml reduce 'reduce: {kind: sum, axis: [1, 2]}'
refused_saying "a reduce along a list of axes" \
    "reduce.axis: expected one of: last, middle, got a sequence" \
    gen spec-reduce-axis-list.yaml --profile pocl-cpu
row_spec spec-reduce-last-inner.yaml reduce 'reduce: {kind: sum}' '{rows: 4, cols: 8, inner: 4}'
refused_saying "an inner dim on a last-axis reduce" "shapes[0].inner: only 'reduce: {axis: middle}'" \
    gen spec-reduce-last-inner.yaml --profile pocl-cpu
refused_saying "--shape with an inner dim on a last-axis reduce" "which has no inner dim" \
    verify "$root/ops/reduce-sum.yaml" --device opencl:0 --shape rows=4,cols=8,inner=4
row_spec spec-reduce-inner-0.yaml reduce 'reduce: {kind: max, axis: middle}' \
    '{rows: 4, cols: 8, inner: 0}'
refused_saying "a middle-axis reduce with inner 0" "shapes[0].inner: 0 is out of range" \
    gen spec-reduce-inner-0.yaml --profile pocl-cpu
row_spec spec-reduce-inner-huge.yaml reduce 'reduce: {kind: max, axis: middle}' \
    '{rows: 1, cols: 65536, inner: 65536}'
refused_saying "a middle-axis reduce past 2^31 elements" "rows*cols*inner = 4294967296 elements" \
    gen spec-reduce-inner-huge.yaml --profile pocl-cpu

# permute's perm: not a permutation, out of range, too long or empty, not
# a list, missing; shapes whose dims do not match the perm's rank.
permute_spec() { # permute_spec FILE SECTION SHAPE
    printf 'schema: 1\nname: p\nop: permute\ndtype: f32\n%s\nshapes:\n  - %s\n' "$2" "$3" >"$1"
}
permute_spec spec-perm-repeated.yaml 'permute: {perm: [1, 1]}' '{d0: 4, d1: 8}'
refused "a perm that names dim 1 twice" gen spec-perm-repeated.yaml --profile pocl-cpu
permute_spec spec-perm-out-of-range.yaml 'permute: {perm: [0, 2]}' '{d0: 4, d1: 8}'
refused "a perm of two dims naming dim 2" gen spec-perm-out-of-range.yaml --profile pocl-cpu
permute_spec spec-perm-negative.yaml 'permute: {perm: [-1, 0]}' '{d0: 4, d1: 8}'
refused "a perm naming dim -1" gen spec-perm-negative.yaml --profile pocl-cpu
permute_spec spec-perm-five-dims.yaml 'permute: {perm: [4, 3, 2, 1, 0]}' '{d0: 4}'
refused "a perm of five dims" gen spec-perm-five-dims.yaml --profile pocl-cpu
permute_spec spec-perm-empty.yaml 'permute: {perm: []}' '{d0: 4}'
refused "an empty perm" gen spec-perm-empty.yaml --profile pocl-cpu
permute_spec spec-perm-scalar.yaml 'permute: {perm: 10}' '{d0: 4, d1: 8}'
refused "a perm that is not a list" gen spec-perm-scalar.yaml --profile pocl-cpu
permute_spec spec-perm-text.yaml 'permute: {perm: [b, a]}' '{d0: 4, d1: 8}'
refused "a perm of names" gen spec-perm-text.yaml --profile pocl-cpu
permute_spec spec-perm-missing.yaml '' '{d0: 4, d1: 8}'
refused "a permute without a perm" gen spec-perm-missing.yaml --profile pocl-cpu
permute_spec spec-perm-extra-dim.yaml 'permute: {perm: [1, 0]}' '{d0: 4, d1: 8, d2: 2}'
refused "a shape with d2 for a perm of two dims" gen spec-perm-extra-dim.yaml --profile pocl-cpu
permute_spec spec-perm-missing-dim.yaml 'permute: {perm: [0, 2, 1]}' '{d0: 4, d1: 8}'
refused "a shape without d2 for a perm of three dims" gen spec-perm-missing-dim.yaml --profile pocl-cpu
permute_spec spec-perm-huge.yaml 'permute: {perm: [1, 0]}' '{d0: 65536, d1: 65536}'
refused "a permute of 2^32 elements" gen spec-perm-huge.yaml --profile pocl-cpu
refused "--shape with d2 for a perm of two dims" verify "$root/ops/transpose.yaml" \
    --shape d0=7,d1=13,d2=5

# conv2d's section: missing, unknown keys, bad layouts, filters, strides,
# pads, dilations, groups and pairs; shapes whose channels do not split into
# the groups, whose filter does not fit, or whose X passes 2^31 elements.
conv_spec() { # conv_spec FILE SECTION SHAPE
    printf 'schema: 1\nname: c\nop: conv2d\ndtype: f32\n%s\nshapes:\n  - %s\n' "$2" "$3" >"$1"
}
conv_shape='{n: 1, c: 4, h: 8, w: 8, k: 4}'
conv_spec spec-conv-missing.yaml '' "$conv_shape"
refused "a conv2d without its section" gen spec-conv-missing.yaml --profile pocl-cpu
conv_spec spec-conv-no-filter.yaml 'conv2d: {layout: nchw}' "$conv_shape"
refused "a conv2d without a filter" gen spec-conv-no-filter.yaml --profile pocl-cpu
conv_spec spec-conv-unknown-key.yaml 'conv2d: {layout: nchw, filter: 3, padding: 1}' "$conv_shape"
refused "a conv2d with an unknown key" gen spec-conv-unknown-key.yaml --profile pocl-cpu
conv_spec spec-conv-layout.yaml 'conv2d: {layout: chwn, filter: 3}' "$conv_shape"
refused "a conv2d layout that is not nchw or nhwc" gen spec-conv-layout.yaml --profile pocl-cpu
conv_spec spec-conv-filter-zero.yaml 'conv2d: {layout: nchw, filter: 0}' "$conv_shape"
refused "a filter of 0" gen spec-conv-filter-zero.yaml --profile pocl-cpu
conv_spec spec-conv-filter-triple.yaml 'conv2d: {layout: nchw, filter: [3, 3, 3]}' "$conv_shape"
refused "a filter of three extents" gen spec-conv-filter-triple.yaml --profile pocl-cpu
conv_spec spec-conv-stride-text.yaml 'conv2d: {layout: nchw, filter: 3, stride: two}' "$conv_shape"
refused "a stride that is not a number" gen spec-conv-stride-text.yaml --profile pocl-cpu
conv_spec spec-conv-pad-negative.yaml 'conv2d: {layout: nchw, filter: 3, pad: [1, -1]}' \
    "$conv_shape"
refused "a negative pad" gen spec-conv-pad-negative.yaml --profile pocl-cpu
conv_spec spec-conv-dilation-huge.yaml 'conv2d: {layout: nchw, filter: 3, dilation: 99999999999}' \
    "$conv_shape"
refused "a dilation past 64" gen spec-conv-dilation-huge.yaml --profile pocl-cpu
conv_spec spec-conv-groups-zero.yaml 'conv2d: {layout: nchw, filter: 3, groups: 0}' "$conv_shape"
refused "zero groups" gen spec-conv-groups-zero.yaml --profile pocl-cpu
conv_spec spec-conv-groups-split.yaml 'conv2d: {layout: nhwc, filter: 3, groups: 3}' \
    "$conv_shape"
refused "channels that do not split into the groups" gen spec-conv-groups-split.yaml \
    --profile pocl-cpu
conv_spec spec-conv-filter-fit.yaml 'conv2d: {layout: nchw, filter: 9}' "$conv_shape"
refused "a filter larger than the padded image" gen spec-conv-filter-fit.yaml --profile pocl-cpu
conv_spec spec-conv-huge.yaml 'conv2d: {layout: nchw, filter: 1}' \
    '{n: 65536, c: 64, h: 32, w: 32, k: 1}'
refused "a conv2d input of 2^32 elements" gen spec-conv-huge.yaml --profile pocl-cpu
conv_spec spec-conv-gemm-section.yaml 'gemm: {a: row}' "$conv_shape"
refused "a conv2d with a gemm section" gen spec-conv-gemm-section.yaml --profile pocl-cpu
refused "--shape whose channels do not split into the groups" verify \
    "$root/ops/conv2d-depthwise.yaml" --shape n=1,c=33,h=8,w=8,k=33
refused "--config with PF=1 for conv2d" gen "$root/ops/conv2d-resnet.yaml" --profile pocl-cpu \
    --config PF=1

# ---- command-line values -----------------------------------------------------------

sgemm="$root/ops/sgemm.yaml"
refused "--config with code in it" gen "$sgemm" --profile pocl-cpu --config 'BM=64;system(1)'
refused "--config with a huge value" gen "$sgemm" --profile pocl-cpu --config BM=99999999999999999999
refused "--config with a key twice" gen "$sgemm" --profile pocl-cpu --config BM=64,BM=32
refused "--config of a CHUNK smaller than one pass of the group's vectors" gen \
    "$root/ops/reduce-sum.yaml" --profile pocl-cpu --config WG=1024,VW=8,CHUNK=4096
refused "--config of a CHUNK for an op without one" gen "$root/ops/softmax.yaml" --profile pocl-cpu \
    --config CHUNK=4096
refused "--config of an empty key" gen "$sgemm" --profile pocl-cpu --config =64
# Split K: on the threads' FMAs only the staged tiles' one mapping splits
# (f64's as f32's); an f64 join takes back at most 512 words a thread; 3
# is not one of SK's values.
refused_saying "--config of split K on an f64 GEMM with padded tiles" \
    "SK=4 with the threads' FMAs is tried at RS=0, PAD=0" gen "$root/ops/dgemm.yaml" \
    --profile pocl-cpu --config SK=4,PAD=1
refused_saying "--config of an f64 split whose unrolled join is too long" \
    "SK=8 takes back 128 words a thread from each part, 1024 in the unrolled join" gen \
    "$root/ops/dgemm.yaml" --profile pocl-cpu --config SK=8,BM=128,BN=128,TM=8,TN=8
refused_saying "--config of split K on the FMAs with A not staged" \
    "SK=4 with the threads' FMAs is tried at RS=0, PAD=0, STRM=0, SA=1 and SB=1 only" gen \
    "$sgemm" --profile pocl-cpu --config SK=4,SA=0
refused_saying "--config of SK=3, which SK does not list" "SK=3 is not one of 1, 2, 4, 8, 16" gen \
    "$sgemm" --profile pocl-cpu --config SK=3
refused "--backend unknown" gen "$sgemm" --profile pocl-cpu --backend vulkan
refused "--config of the warpgroup unit, which OpenCL cannot spell" gen "$root/ops/hgemm.yaml" \
    --profile nvidia-h200 --backend opencl \
    --config MU=2,BM=128,BN=128,BK=64,TM=1,TN=16,STRN=0,KU=1,VW=8,PAD=0
refused "--config of the warp unit, which HIP cannot spell" gen "$root/ops/hgemm.yaml" \
    --profile nvidia-h200 --backend hip --config MU=1,STRN=0,KU=1
refused "--config of AMD's wave unit, which CUDA cannot spell" gen "$root/ops/hgemm.yaml" \
    --profile amd-mi250x --backend cuda --config MU=3,BK=16,TM=2,TN=2,STRN=0,KU=1
refused "--config of Intel's sub-group unit, which HIP cannot spell" gen "$root/ops/hgemm.yaml" \
    --profile intel-max-1550 --backend hip --config MU=6,BK=16,TM=2,TN=2,STRN=0,KU=1
refused "--config of DPAS at sub-groups of 16 on an Arc's profile" gen "$root/ops/hgemm.yaml" \
    --profile intel-arc-a770 --backend opencl --config MU=6,BK=16,TM=2,TN=2,STRN=0,KU=1
refused "--config of RDNA3's wave unit on a CDNA profile" gen "$root/ops/hgemm.yaml" \
    --profile amd-mi250x --backend hip --config MU=4,BK=16,TM=2,TN=2,STRN=0,KU=1
refused "--config of AMD's wave unit on an NVIDIA profile" gen "$root/ops/hgemm.yaml" \
    --profile nvidia-h200 --backend hip --config MU=3,BK=16,TM=2,TN=2,STRN=0,KU=1
refused "--config of tf32's matrix unit for a spec without tf32" gen "$sgemm" \
    --profile nvidia-h200 --backend cuda --config MU=1,STRN=0,KU=1
refused "--config of a matrix unit the device's profile lacks" verify "$root/ops/hgemm.yaml" \
    --profile pocl-cpu --config MU=1,STRN=0,KU=1 --shape m=8,n=8,k=8 --db v.db
refused "--shape overflowing" verify "$sgemm" --shape m=99999999999999999999,n=1,k=1 --db v.db
refused "--shape with a dimension twice" verify "$sgemm" --shape m=1,n=1,k=1,m=2 --db v.db
refused "--shape of zero rows" verify "$sgemm" --shape m=0,n=1,k=1 --db v.db
refused "--budget overflowing" tune "$sgemm" --budget 99999999999999999999 --db t.db
refused "--budget negative" tune "$sgemm" --budget -5 --db t.db
refused "--seconds nan" tune "$sgemm" --seconds nan --db t.db
refused "--seconds inf" tune "$sgemm" --seconds inf --db t.db
refused "--timeout negative" tune "$sgemm" --timeout -1 --db t.db
refused "--seed negative" tune "$sgemm" --seed -1 --db t.db
refused "--seed overflowing" tune "$sgemm" --seed 99999999999999999999999 --db t.db
refused "--device opencl:-1" tune "$sgemm" --device opencl:-1 --db t.db
refused "--device with a huge index" tune "$sgemm" --device cuda:99999999999999999999 --db t.db
refused "--device of no backend" tune "$sgemm" --device vulkan:0 --db t.db
refused "--profile missing" tune "$sgemm" --profile no-such-profile --db t.db
# tune --config: a config the profile refuses is named with the reason
# (before anything is measured); --config measures, so not with --offline;
# at most 16.
refused_saying "tune --config that the profile refuses" \
    "tune: --config SK=4,SA=0: SK=4 with the threads' FMAs" tune "$sgemm" --profile pocl-cpu \
    --config SK=4 --config SK=4,SA=0 --shape m=8,n=8,k=8 --db tc.db
refused_saying "tune --config of an unlisted value" "tune: --config SK=3: " tune "$sgemm" \
    --profile pocl-cpu --config SK=3 --shape m=8,n=8,k=8 --db tc.db
refused_saying "tune --config with --offline" "not with --offline" tune "$sgemm" --offline \
    --profile pocl-cpu --config SK=4 --db t.db
seventeen=()
for i in $(seq 17); do seventeen+=(--config SK=1); done
refused_saying "tune with 17 --config" "at most 16 --config" tune "$sgemm" "${seventeen[@]}" --db t.db
[ -e t.db ] && { echo "FAIL a refused tune created its store"; failed=$((failed + 1)); }

# ---- results stores ----------------------------------------------------------------

noise 8192 11 >store-noise.db
refused "tune with a store of noise" tune "$sgemm" --budget 1 --db store-noise.db
refused "export of a store of noise" export --db store-noise.db --out b1
# A real store, then damaged: truncated, and its pages overwritten.
"$tessera" tune "$sgemm" --shape m=8,n=8,k=8 --budget 2 --db good.db >/dev/null 2>&1
"$tessera" compile "$sgemm" --profile nvidia-h100-sxm --db good.db >/dev/null 2>&1
head -c 1500 good.db >store-truncated.db
refused "tune with a truncated store" tune "$sgemm" --budget 1 --db store-truncated.db
cp good.db store-overwritten.db
dd if=/dev/zero of=store-overwritten.db bs=1 seek=100 count=3000 conv=notrunc status=none
refused "export of a store with overwritten pages" export --db store-overwritten.db --out b2
refused "compile into a store with overwritten pages" compile "$sgemm" --profile nvidia-h100-sxm --db store-overwritten.db
mkdir -p store-directory.db
refused "tune with a directory as its store" tune "$sgemm" --budget 1 --db store-directory.db
for f in store-noise.db store-truncated.db; do
    [ -d "${f%.db}" ] && { echo "FAIL $f: a refused export wrote something"; failed=$((failed + 1)); }
done

# ---- bundles: manifests that lie, files that lead out ------------------------------

"$tessera" export --db good.db --out good-bundle >/dev/null 2>&1
file=$(sed -n 's/.*"file": "\([^"]*\)".*/\1/p' good-bundle/manifest.json | head -n 1)
# The cases below are refused for what they change, not for a broken start.
if "$tessera" bundle check good-bundle >out 2>err && [ -n "$file" ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAIL the unchanged bundle does not pass 'bundle check'"
    cat err
fi
# bundle_case NAME SED-EXPRESSION: a copy of the good bundle, its manifest edited.
bundle_case() {
    rm -rf "bundle-$1"
    cp -r good-bundle "bundle-$1"
    sed -i "$2" "bundle-$1/manifest.json"
}
bundle_case parent-path "s#\"file\": \"[^\"]*\"#\"file\": \"../../../etc/passwd\"#"
refused "a manifest naming ../../../etc/passwd" bundle check bundle-parent-path
bundle_case absolute-path "s#\"file\": \"[^\"]*\"#\"file\": \"/etc/passwd\"#"
refused "a manifest naming /etc/passwd" bundle check bundle-absolute-path
bundle_case inner-parent "s#\"file\": \"cpu/opencl/#\"file\": \"cpu/opencl/../../../#"
refused "a manifest path that climbs out midway" bundle check bundle-inner-parent
# A directory that is a link to one outside, holding the same bytes.
rm -rf bundle-link-out outside && cp -r good-bundle bundle-link-out && mkdir outside
cp bundle-link-out/"$file" outside/ && rm -rf "bundle-link-out/$(dirname "$file")" &&
    ln -s "$PWD/outside" "bundle-link-out/$(dirname "$file")"
refused "a bundle directory linked outside the bundle" bundle check bundle-link-out
rm -rf bundle-changed && cp -r good-bundle bundle-changed && printf '// changed\n' >>"bundle-changed/$file"
refused "a kernel file changed after export" bundle check bundle-changed
rm -rf bundle-missing && cp -r good-bundle bundle-missing && rm "bundle-missing/$file"
refused "a kernel file missing" bundle check bundle-missing
bundle_case truncated '$d'
refused "a truncated manifest" bundle check bundle-truncated
bundle_case duplicate-key 's/"index": 0,/"index": 0, "index": 0,/'
refused "a manifest with a key twice" bundle check bundle-duplicate-key
bundle_case wrong-type 's/"time_ms": [0-9.e+-]*/"time_ms": "fast"/'
refused "a manifest with a time that is a string" bundle check bundle-wrong-type
bundle_case huge-number 's/"time_ms": [0-9.e+-]*/"time_ms": 1e999/'
refused "a manifest with a time of 1e999" bundle check bundle-huge-number
bundle_case nul-byte 's/"op": "gemm"/"op": "ge\\u0000mm"/'
refused "a manifest with a NUL in a string" bundle check bundle-nul-byte
refused "export of an unknown vendor" export --db good.db --vendors nvidia,acme --out b3
bundle_case binary-escape 's#"binaries": \[\]#"binaries": [{"kind": "cubin", "target": "sm_90", "file": "../../etc/passwd", "sha256": "0000000000000000000000000000000000000000000000000000000000000000"}]#'
refused "a manifest whose binary lies outside the bundle" bundle check bundle-binary-escape
bundle_case binary-missing 's#"binaries": \[\]#"binaries": [{"kind": "cubin", "target": "sm_90", "file": "nvidia/cuda/x.cubin", "sha256": "0000000000000000000000000000000000000000000000000000000000000000"}]#'
refused "a manifest whose binary is missing" bundle check bundle-binary-missing
bundle_case newer-schema 's/"bundle_schema": 1/"bundle_schema": 2/'
refused "a manifest of a newer schema" bundle check bundle-newer-schema
bundle_case bad-digest 's/"sha256": "[0-9a-f]*"/"sha256": "ZZ"/'
refused "a manifest with a malformed digest" bundle check bundle-bad-digest
rm -rf bundle-deep && mkdir bundle-deep && { printf '{"kernels": '; head -c 100000 /dev/zero | tr '\0' '['; } >bundle-deep/manifest.json
refused "a manifest nested 100000 deep" bundle check bundle-deep
rm -rf bundle-huge && mkdir bundle-huge && truncate -s 70M bundle-huge/manifest.json
refused "a manifest of 70 MiB" bundle check bundle-huge
mkdir -p bundle-empty
refused "a directory without a manifest" bundle check bundle-empty
refused "a bundle that is a file" bundle check good.db
refused "a bundle that does not exist" bundle check no-such-bundle

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
