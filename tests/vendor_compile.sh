#!/bin/bash
# Every generator's output through its vendor's own compiler: the example op
# specs (a fused epilogue and a batch among them, GEMM's K split among
# groups, the row ops' sub-group and one-pass variants, conv2d's gathered
# implicit GEMM, fused attention), a
# sample of configs each, as CUDA with nvcc for sm_80, sm_89 and sm_90 (and
# the warpgroup unit's for sm_90a), as
# HIP with hipcc for gfx908, gfx90a, gfx940 and gfx1030 (AMD's wave matrix
# units: MFMA for gfx90a and gfx940, WMMA for gfx1100), as OpenCL C with
# ocloc for dg2, pvc and tgllp, as OpenCL C with AMD's wave units with
# clang for the same targets,
# and as OpenCL C with inline PTX (NVIDIA's matrix unit and asynchronous
# copies, for NVIDIA's OpenCL compiler, which only runs beside an NVIDIA
# driver) with clang and libclc into PTX for sm_80, assembled by NVIDIA's
# ptxas for sm_80 and sm_90. A kernel that does not compile fails the test.
# Under CI a missing compiler fails it too; elsewhere it is reported and
# skipped.
#
# usage: vendor_compile.sh TESSERA SOURCE_ROOT
set -u
tessera=$(realpath "${1:?usage: vendor_compile.sh TESSERA SOURCE_ROOT}")
root=$(realpath "${2:?usage: vendor_compile.sh TESSERA SOURCE_ROOT}")
export TESSERA_PROFILES="$root/profiles"
work=$(mktemp -d /tmp/tsr_vendor_XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

find_tool() {
    local name=$1 dir
    command -v "$name" 2>/dev/null && return 0
    for dir in "${CUDA_HOME:-}/bin" /usr/local/cuda/bin /opt/rocm/bin; do
        [ -x "$dir/$name" ] && { echo "$dir/$name"; return 0; }
    done
    return 1
}

# One entry per source: spec and config (empty: the op's defaults).
sources=()
for spec in sgemm sgemm-tn sgemm-nt; do
    for config in "" "SA=0,SB=0,VW=1,PAD=0" "VN=4,TN=8,STRN=1" "SA=1,SB=0,PAD=1,VW=2,STRM=1" \
        "PF=1,VW=4"; do
        sources+=("$spec|$config")
    done
done
# C's tiles in bands (RS): the tile's row and col bound at the start, min()
# of ints in each dialect.
sources+=("sgemm|RS=8")
# The fused epilogue's math (tanhf, expf, fmaxf) on scalars and on the
# lanes of vectors; the batched spec's third launch axis.
for config in "" "SA=0,SB=0,VW=1,PAD=0" "VN=4,TN=8,STRN=1" "PF=1,VN=2"; do
    sources+=("sgemm-bias-gelu|$config")
done
sources+=("sgemm-batched|")
# 16-bit inputs widened as they load: scalar, vector, fetched ahead, direct;
# and a 16-bit C, bias and R rounded as they are stored.
for spec in hgemm bf16gemm-tn; do
    for config in "" "SA=0,SB=0,VW=1,PAD=0" "PF=1,VW=4" "VN=4,TN=8,STRN=1,VW=8"; do
        sources+=("$spec|$config")
    done
done
for config in "" "VN=4,TN=8,STRN=1,VW=8"; do
    sources+=("hgemm-fused-f16-out|$config")
done
# The matrix unit (mma.sync m16n8k16 fed by ldmatrix) and the rings of
# cp.async copies (PF=2, 3), which only CUDA spells: f16 and bf16, plain,
# fetched ahead into registers and by the rings, a lone fragment column, and
# into a fused 16-bit epilogue; f32 through a ring.
cuda_only=()
for spec in hgemm bf16gemm-tn hgemm-fused-f16-out; do
    for config in "MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,STRN=0,KU=1,VW=1" \
        "MU=1,BM=128,BN=64,BK=32,TM=4,TN=4,STRN=0,KU=2,PF=1,VW=1,PAD=1" \
        "MU=1,BM=64,BN=16,BK=32,TM=2,TN=1,STRN=0,KU=2,VW=8,PAD=1" \
        "MU=1,BM=128,BN=128,BK=16,TM=2,TN=8,STRN=0,KU=1,PF=3,VW=8,PAD=1" \
        "MU=1,BM=64,BN=128,BK=32,TM=2,TN=8,STRN=0,KU=2,PF=2,VW=4,PAD=1"; do
        cuda_only+=("$spec|$config")
    done
done
for spec in sgemm sgemm-tn sgemm-bias-gelu; do
    cuda_only+=("$spec|PF=2,VW=4" "$spec|PF=3,VW=2")
done
# The f32 start on such profiles, A fetched ahead into registers beside
# B's copies; a ring of single values, all fetched.
cuda_only+=("sgemm|BM=128,BN=256,BK=32,TM=8,TN=16,VW=8,KU=4,VN=2,PF=3" "sgemm|PF=2,VW=1")
# f32 multiplied as tf32 (mma.sync m16n8k8, each fragment value rounded as
# it is read): the best of a tune on an H200, k-steps of 8 fed by scalar
# copies, fetched ahead into registers; everywhere else the threads' f32.
cuda_only+=("sgemm-tf32|MU=1,BM=128,BN=256,BK=16,TM=2,TN=8,VW=4,PAD=1,STRN=0,KU=1,PF=2"
    "sgemm-tf32|MU=1,BM=64,BN=64,BK=8,TM=2,TN=4,VW=1,PAD=0,STRN=0,KU=1"
    "sgemm-tf32|MU=1,BM=64,BN=64,BK=32,TM=2,TN=4,VW=2,PAD=1,STRN=0,KU=4,PF=1")
sources+=("sgemm-tf32|")
# OpenCL on an NVIDIA GPU spells the rings' cp.async, ldmatrix and the
# matrix unit (mma.sync) in inline PTX: the f32 rings, the fused
# epilogue's, tf32 on the unit fed by a ring, by fetches and by plain
# loads; f16 and bf16 on the unit, plain, through a ring and a lone
# fragment column, into a 16-bit epilogue, and conv2d's gathered taps.
# Within 48 KiB, the most OpenCL gives.
opencl_ptx=()
for spec in sgemm sgemm-tn sgemm-bias-gelu; do
    opencl_ptx+=("$spec|PF=2,VW=4" "$spec|PF=3,VW=2")
done
opencl_ptx+=("sgemm|PF=2,VW=1"
    "sgemm-tf32|MU=1,BM=64,BN=128,BK=16,TM=2,TN=4,VW=4,PAD=1,STRN=0,KU=1,PF=2"
    "sgemm-tf32|MU=1,BM=64,BN=64,BK=8,TM=2,TN=4,VW=1,PAD=0,STRN=0,KU=1"
    "sgemm-tf32|MU=1,BM=64,BN=64,BK=32,TM=2,TN=4,VW=2,PAD=1,STRN=0,KU=4,PF=1"
    "sgemm-nt-tf32|MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,VW=4,PAD=1,STRN=0,KU=2,PF=3")
for spec in hgemm bf16gemm-tn hgemm-fused-f16-out; do
    for config in "MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,STRN=0,KU=1,VW=1" \
        "MU=1,BM=64,BN=16,BK=32,TM=2,TN=1,STRN=0,KU=2,VW=8,PAD=1" \
        "MU=1,BM=128,BN=128,BK=16,TM=2,TN=8,STRN=0,KU=1,PF=3,VW=8,PAD=1"; do
        opencl_ptx+=("$spec|$config")
    done
done
opencl_ptx+=("conv2d-nhwc-f16|MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,STRN=0,KU=1"
    "conv2d-nhwc-f16|MU=1,BM=128,BN=128,BK=16,TM=2,TN=8,STRN=0,KU=1,VW=8,PAD=1,PF=3")
# The matrix units a wave or sub-group shares, each on a profile that
# lists it: AMD's MFMA 16x16x16 (MU=3, an MI250X's) and WMMA 16x16x16
# (MU=4, an RX 7900 XTX's), Intel's DPAS at sub-groups of 8 (MU=5, an Arc
# A770's) and 16 (MU=6, a Max 1550's); f16 and bf16, A in both majors,
# loaded then multiplied and fetched ahead, a lone fragment column, into a
# fused 16-bit epilogue, and conv2d's gathered taps. AMD's units as HIP
# (the builtins; MFMA for gfx90a and gfx940, WMMA for gfx1100 as device
# assembly, since Debian's ROCm has no gfx1100 device library: -nogpulib,
# no link) and as OpenCL C for AMD's OpenCL (the same builtins, which
# clang compiles for those targets); DPAS through ocloc for dg2 and pvc.
# The ocloc CI installs (22.43) predates
# cl_intel_subgroup_matrix_multiply_accumulate, so there the kernels take
# their emulation (which runs on PoCL in test_gemm_kernels); clang's
# OpenCL front end (SPIR) type-checks their native calls against the
# extension's declarations (tests/vendor_compile_dpas.cl).
mfma=()
wmma=()
dpas8=()
dpas16=()
for spec in hgemm bf16gemm-tn hgemm-fused-f16-out conv2d-nhwc-f16; do
    for tiles in "BM=64,BN=64,BK=16,TM=2,TN=2,STRN=0,KU=1,VW=1" \
        "BM=64,BN=64,BK=32,TM=2,TN=2,STRN=0,KU=2,PF=1,VW=8,PAD=1" \
        "BM=64,BN=16,BK=32,TM=2,TN=1,STRN=0,KU=2,VW=8,PAD=1"; do
        # conv2d's taps: the first sample alone (conv2d has no PF=1).
        [ "$spec" = conv2d-nhwc-f16 ] && [[ "$tiles" != *BK=16* ]] && continue
        mfma+=("$spec|MU=3,$tiles")
        wmma+=("$spec|MU=4,$tiles")
        dpas8+=("$spec|MU=5,$tiles")
        dpas16+=("$spec|MU=6,$tiles")
    done
done
# A split of K on MFMA (HIP, and OpenCL for AMD's).
mfma+=("hgemm|MU=3,BM=64,BN=64,BK=32,TM=2,TN=2,STRN=0,KU=2,PF=1,VW=8,PAD=1,SK=2")
# Softmax in three passes and in two (ONLINE=1), its reductions in shared
# memory alone and first by sub-group shuffles (SG=1): 32 wide, the H100
# profile's warp, which divides every CUDA warp and every AMD wave (wave64
# on gfx908, gfx90a and gfx940, wave32 on gfx1030), and through ocloc takes
# the cl_intel_subgroups path.
for config in "" "WG=256,VW=8" "WG=32,VW=1" "ONLINE=1,VW=1" "SG=1,WG=32,VW=4" \
    "SG=1,ONLINE=1,WG=1024,VW=8"; do
    sources+=("softmax|$config")
done
# The row reduction and the norms (gamma and beta read per column).
for spec in reduce-sum rmsnorm layernorm; do
    for config in "WG=128,VW=8" "WG=32,VW=1" "SG=1,WG=256,VW=4"; do
        sources+=("$spec|$config")
    done
done
# Long rows split among groups that join through the workspace (atomics
# and fences on global memory).
for config in "WG=256,VW=4,CHUNK=16384" "SG=1,WG=1024,VW=8,CHUNK=65536"; do
    sources+=("reduce-sum|$config")
done
# Means along the middle axis: vectors of inner, one thread's cols each; and
# runs along the reduced axis that meet in shared memory, with the reduced
# rows split among groups that join through the workspace.
for config in "WG=256,VW=4" "WG=64,VW=8,RT=8,CHUNK=4096"; do
    sources+=("reduce-mean-middle|$config")
done
# GEMM's K split among groups (SK) that join their accumulators through
# the workspace (atomic adds and exchanges, fences, 32-bit bit casts), the
# last storing the tile: on the threads' FMAs everywhere; on the matrix
# units below (mma.sync through a cp.async ring, wgmma, MFMA).
sources+=("sgemm|SK=4")
cuda_only+=("hgemm|MU=1,BM=128,BN=128,BK=16,TM=2,TN=8,STRN=0,KU=1,PF=3,VW=8,PAD=1,SK=2")
# Permutes: a transpose through a padded shared tile, rows copied straight
# (a loop over d0, the batch and head dims on launch axes 1 and 2), and a
# 4-D perm that moves the innermost dim.
for config in "" "TR=8,TC=16,WG=32,VW=1,PAD=1" "TR=64,TC=64,WG=256,VW=4,PAD=1"; do
    sources+=("transpose|$config")
done
for config in "" "TR=8,TC=128,WG=64,VW=2"; do
    sources+=("permute-4d|$config")
done
# The same ops on 16-bit values, widened as they load and rounded as they
# are stored.
for config in "WG=128,VW=8" "SG=1,ONLINE=1,WG=256,VW=4"; do
    sources+=("softmax-f16|$config")
done
for config in "WG=32,VW=1" "WG=128,VW=8" "SG=1,WG=256,VW=4"; do
    sources+=("rmsnorm-bf16|$config")
done
sources+=("permute-4d-f16|" "permute-4d-f16|TR=8,TC=128,WG=64,VW=2")
for config in "" "TR=16,TC=32,WG=128,VW=2,PAD=1"; do
    sources+=("permute-nhwc-nchw|$config")
done
# conv2d as an implicit GEMM: X's taps gathered (divisions by the filter's
# constants, the padding's predicate), NCHW f32 with W read in place or
# vector accumulators, NHWC f16 with W^T read in place, in vectors of
# adjacent channels, and depthwise; the matrix unit on the gathered NHWC f16
# taps, plain, with a padded tile, and in vectors through a cp.async ring.
for config in "" "SA=0,BM=32,BN=128,TM=2,TN=8,STRN=0" "VN=4,TN=8,STRN=1" "VW=4"; do
    sources+=("conv2d-resnet|$config")
done
for config in "" "SB=0,BM=128,BN=32,TM=8,TN=2,STRN=0" "VW=8"; do
    sources+=("conv2d-nhwc-f16|$config")
done
sources+=("conv2d-depthwise|")
for config in "MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,STRN=0,KU=1" \
    "MU=1,BM=128,BN=128,BK=32,TM=4,TN=8,STRN=0,KU=2,PAD=1" \
    "MU=1,BM=128,BN=128,BK=16,TM=2,TN=8,STRN=0,KU=1,VW=8,PAD=1,PF=3"; do
    cuda_only+=("conv2d-nhwc-f16|$config")
done
# Past the 48 KiB a kernel may declare: the tiles in dynamic shared memory
# (75776 bytes with BK=32, 156672 with 128 x 256 tiles and BK=64).
for config in "MU=1,BM=128,BN=128,BK=32,TM=2,TN=8,STRN=0,KU=1,VW=8,PAD=1,PF=3" \
    "MU=1,BM=128,BN=256,BK=64,TM=4,TN=8,STRN=0,KU=4,VW=8,PAD=1,PF=2"; do
    cuda_only+=("hgemm|$config" "bf16gemm-tn|$config")
done
# The warpgroup matrix unit (wgmma, MU=2) is sm_90a's alone: f16 and bf16,
# A and B in both majors (bf16gemm-tn's A is M-major), in the 128-byte
# swizzle, through the ring with a group in flight, fetched ahead into
# registers, loaded then multiplied, four warpgroups, into a fused 16-bit
# epilogue, and conv2d's gathered taps.
wgmma=()
for spec in hgemm bf16gemm-tn hgemm-fused-f16-out; do
    for config in "MU=2,BM=128,BN=256,BK=64,TM=1,TN=16,STRN=0,KU=1,VW=8,PAD=0,PF=2" \
        "MU=2,BM=128,BN=256,BK=64,TM=1,TN=32,STRN=0,KU=1,VW=8,PAD=0,PF=2" \
        "MU=2,BM=64,BN=64,BK=64,TM=1,TN=8,STRN=0,KU=1,VW=4,PAD=0" \
        "MU=2,BM=256,BN=64,BK=64,TM=2,TN=8,STRN=0,KU=1,VW=8,PAD=0,PF=1"; do
        wgmma+=("$spec|$config")
    done
done
wgmma+=("conv2d-nhwc-f16|MU=2,BM=128,BN=128,BK=64,TM=1,TN=8,STRN=0,KU=1,VW=8,PAD=0,PF=3")
# f32 as tf32 (wgmma m64nNk8, K-major, f32 in the swizzle): the start on
# such profiles, n = 256, single values loaded then multiplied.
wgmma+=("sgemm-nt-tf32|MU=2,BM=256,BN=128,BK=32,TM=1,TN=16,STRN=0,KU=1,VW=4,PAD=0,PF=3"
    "sgemm-nt-tf32|MU=2,BM=128,BN=256,BK=32,TM=1,TN=32,STRN=0,KU=1,VW=4,PAD=0,PF=2"
    "sgemm-nt-tf32|MU=2,BM=64,BN=64,BK=32,TM=1,TN=8,STRN=0,KU=1,VW=1,PAD=0")
# A split of K joined after the last wgmma's wait.
wgmma+=("hgemm|MU=2,BM=128,BN=256,BK=64,TM=1,TN=16,STRN=0,KU=1,VW=8,PAD=0,PF=2,SK=2")
# Attention on the warpgroup's unit, P through its swizzled tile: causal
# with the K/V ring, and 128-wide heads loaded then multiplied.
wgmma+=("attention-causal-f16|MU=2,BM=128,BN=64,TM=1,WC=1,VW=8,PAD=0,KU=1,SH=1,PR=0,PF=1"
    "attention-f16-d128|MU=2,BM=128,BN=64,TM=1,WC=1,VW=8,PAD=0,KU=1,SH=1,PR=0,PF=0")
# f64 GEMM: double throughout, vectors of double (OpenCL's double2 to 8,
# CUDA's and HIP's tsr_doublev), direct and staged, fetched ahead; for CUDA
# a cp.async ring of doubles. Only targets with double precision take them:
# every CUDA and HIP one, and pvc of ocloc's (dg2 and tgllp have no
# cl_khr_fp64).
fp64=()
# A split of K joins the f64 tiles as pairs of 32-bit words.
for config in "" "SA=0,SB=0,VW=1,PAD=0" "VN=4,TN=8,STRN=1,VW=2" "PF=1,VW=8" "SK=4,TN=8,VN=4"; do
    fp64+=("dgemm|$config")
done
cuda_only+=("dgemm|PF=2,VW=2")
# f64 on the warp's unit, mma.sync m16n8k8 on doubles (sm_90 and later):
# loaded then multiplied, fetched ahead, one warp of 2 fragments, K split
# in four; within OpenCL's 48 KiB. CUDA also takes the start (a ring of
# cp.async two ahead, 49 KiB) and 128 x 128 tiles of k-steps of 32 (207
# KiB).
f64_unit=("dgemm|MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,VW=2,PAD=1,STRN=0,KU=1"
    "dgemm|MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,VW=1,PAD=0,STRN=0,KU=2,PF=1"
    "dgemm|MU=1,BM=16,BN=16,BK=8,TM=1,TN=2,VW=1,PAD=0,STRN=0,KU=1"
    "dgemm|MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,VW=2,PAD=1,STRN=0,KU=1,SK=4")
f64_start="dgemm|MU=1,BM=128,BN=64,BK=8,TM=2,TN=4,VW=2,PAD=1,STRN=0,KU=1,PF=2,RS=8"
f64_unit_cuda=("$f64_start" "dgemm|MU=1,BM=128,BN=128,BK=32,TM=4,TN=4,VW=2,PAD=1,STRN=0,KU=4,PF=2")
# The same on an A100's unit for doubles, four m8n8k4 an m16n8k8 (sm_80):
# the three above, and CUDA the start.
f64_k4_cuda=("$f64_start")
# Fused attention: the online softmax's maps and row reductions on the
# threads' FMAs (causal, 64-wide heads; non-causal, 128-wide), and on the
# matrix unit with P rounded to f16 between the two multiplies.
for config in "" "BM=64,BN=16,TM=4,WC=8,VN=2,VW=8,KU=2" "BM=16,BN=64,TM=1,WC=16,VW=1,PAD=0"; do
    sources+=("attention-causal-f16|$config")
done
sources+=("attention-f16-d128|BM=32,BN=16,TM=4,WC=16,VW=4,KU=4")
for config in "MU=1,BM=64,BN=32,TM=1,WC=1,VW=8,KU=2" "MU=1,BM=64,BN=64,TM=2,WC=2,VW=8,KU=4" \
    "MU=1,BM=128,BN=32,TM=2,WC=1,VW=8,KU=2,PF=1,SH=1" "BM=32,BN=32,TM=4,WC=8,VW=4,SH=1" \
    "MU=1,BM=64,BN=64,TM=1,WC=1,VW=8,KU=4,PF=1,SH=1,PR=1"; do
    cuda_only+=("attention-causal-f16|$config")
done
cuda_only+=("attention-f16-d128|MU=1,BM=64,BN=32,TM=1,WC=1,VW=8,KU=2")

passed=0
failed=0
skipped=0

# compile_all BACKEND EXTENSION TOOL ARGS...: every source, one tool run
# each; the tool's arguments hold the literal word SRC where the file goes.
# A run builds for every target of its tool at once (nvcc's -gencode list,
# hipcc's --offload-arch list), which parses each source once per tool
# rather than once per target.
compile_all() {
    local backend=$1 ext=$2 tool=$3
    shift 3
    local entry spec config file args i=0 list=("${sources[@]}") profile=nvidia-h100-sxm
    [ "$backend" = cuda ] && list+=("${cuda_only[@]}")
    { [ "$backend" != opencl ] || [[ " $* " == *" -device pvc "* ]]; } && list+=("${fp64[@]}")
    [ "$backend" = cuda-sm90a ] && list=("${wgmma[@]}" "${f64_unit[@]}" "${f64_unit_cuda[@]}") &&
        backend=cuda
    [ "$backend" = opencl-ptx-sm90 ] && list=("${f64_unit[@]}") && backend=opencl
    [ "$backend" = cuda-a100 ] && list=("${f64_unit[@]}" "${f64_k4_cuda[@]}") && backend=cuda &&
        profile=nvidia-a100-80gb
    [ "$backend" = opencl-ptx-a100 ] && list=("${f64_unit[@]}") && backend=opencl &&
        profile=nvidia-a100-80gb
    [ "$backend" = opencl-ptx ] && list=("${opencl_ptx[@]}") && backend=opencl
    if [ "$backend" = hip-mfma ] || [ "$backend" = opencl-mfma ]; then
        list=("${mfma[@]}") && backend=${backend%-mfma} && profile=amd-mi250x
    fi
    if [ "$backend" = hip-wmma ] || [ "$backend" = opencl-wmma ]; then
        list=("${wmma[@]}") && backend=${backend%-wmma} && profile=amd-rx-7900xtx
    fi
    [ "$backend" = opencl-dpas8 ] && list=("${dpas8[@]}") && backend=opencl &&
        profile=intel-arc-a770
    [ "$backend" = opencl-dpas16 ] && list=("${dpas16[@]}") && backend=opencl &&
        profile=intel-max-1550
    for entry in "${list[@]}"; do
        spec=${entry%%|*}
        config=${entry#*|}
        file="k$i-$backend$ext"
        i=$((i + 1))
        if ! "$tessera" gen "$root/ops/$spec.yaml" --profile "$profile" --backend "$backend" \
            ${config:+--config "$config"} >"$file" 2>gen.err; then
            echo "FAIL gen $backend $spec ${config:-(start config)}: $(cat gen.err)"
            failed=$((failed + 1))
            continue
        fi
        args=("${@/SRC/$file}")
        if "$tool" "${args[@]}" >compile.log 2>&1; then
            passed=$((passed + 1))
        else
            echo "FAIL $(basename "$tool") ${args[*]}: $spec ${config:-(start config)}"
            head -n 20 compile.log | sed 's/^/    /'
            failed=$((failed + 1))
        fi
    done
}

missing() {
    if [ -n "${CI:-}" ]; then
        echo "FAIL $1 not found ($2)"
        failed=$((failed + 1))
    else
        echo "skipped: $1 not found ($2)"
        skipped=$((skipped + 1))
    fi
}

# Each tool's line shows its seconds: this is CI's longest test.
if nvcc=$(find_tool nvcc); then
    start=$SECONDS
    gencode=()
    for sm in 80 89 90; do
        gencode+=(-gencode "arch=compute_$sm,code=sm_$sm")
    done
    compile_all cuda .cu "$nvcc" -fatbin "${gencode[@]}" -o out.fatbin SRC
    compile_all cuda-sm90a .cu "$nvcc" -cubin -gencode arch=compute_90a,code=sm_90a -o out.cubin SRC
    compile_all cuda-a100 .cu "$nvcc" -cubin -gencode arch=compute_80,code=sm_80 -o out.cubin SRC
    echo "nvcc sm_80, sm_89, sm_90, sm_90a (the A100's f64 unit: sm_80): done ($((SECONDS - start)) s)"
else
    missing nvcc "install the CUDA toolkit or set CUDA_HOME"
fi

# Device code only: the host half of a .hip file is the same C++ on every
# target, and a kernel's faults are in the device half.
if hipcc=$(find_tool hipcc); then
    start=$SECONDS
    offload=()
    for gfx in gfx908 gfx90a gfx940 gfx1030; do
        offload+=(--offload-arch=$gfx)
    done
    compile_all hip .hip "$hipcc" "${offload[@]}" --offload-device-only -O3 -c -o out.o SRC
    compile_all hip-mfma .hip "$hipcc" --offload-arch=gfx90a --offload-arch=gfx940 \
        --offload-device-only -O3 -c -o out.o SRC
    compile_all hip-wmma .hip "$hipcc" --offload-arch=gfx1100 -nogpulib --offload-device-only \
        -O3 -S -o out.s SRC
    echo "hipcc gfx908, gfx90a, gfx940, gfx1030 (MFMA: gfx90a, gfx940; WMMA: gfx1100):" \
        "done ($((SECONDS - start)) s)"
else
    missing hipcc "apt-get install hipcc"
fi

if ocloc=$(find_tool ocloc); then
    for device in dg2 pvc tgllp; do
        start=$SECONDS
        compile_all opencl .cl "$ocloc" compile -q -file SRC -device $device -options -cl-std=CL1.2 \
            -output out -output_no_suffix
        case $device in
        dg2) dpas=opencl-dpas8 ;;
        pvc) dpas=opencl-dpas16 ;;
        *) dpas= ;;
        esac
        [ -n "$dpas" ] && compile_all $dpas .cl "$ocloc" compile -q -file SRC -device $device \
            -options -cl-std=CL1.2 -output out -output_no_suffix
        echo "ocloc $device: done ($((SECONDS - start)) s)"
    done
else
    missing ocloc "apt-get install intel-opencl-icd"
fi

# OpenCL C with inline PTX: clang's OpenCL front end with libclc's builtins
# for NVIDIA's OpenCL (and the half conversions libclc leaves out), then
# NVIDIA's assembler on the PTX it prints.
clang_then_ptxas() {
    "$clang" -x cl -cl-std=CL1.2 -target nvptx64-unknown-nvidiacl -march=sm_80 \
        -Xclang -target-feature -Xclang +ptx70 -Xclang -finclude-default-header \
        -include "$root/tests/vendor_compile_half.cl" \
        -Xclang -mlink-builtin-bitcode -Xclang "$libclc" -O2 -S -o out.ptx "$1" &&
        "$ptxas" -arch=sm_80 out.ptx -o out80.cubin && "$ptxas" -arch=sm_90 out.ptx -o out90.cubin
}
# f64's unit needs sm_90 and PTX 7.8, which this clang cannot target: its
# PTX for sm_80 (the same code) is retargeted for ptxas.
clang_then_ptxas_sm90() {
    "$clang" -x cl -cl-std=CL1.2 -target nvptx64-unknown-nvidiacl -march=sm_80 \
        -Xclang -target-feature -Xclang +ptx70 -Xclang -finclude-default-header \
        -include "$root/tests/vendor_compile_half.cl" \
        -Xclang -mlink-builtin-bitcode -Xclang "$libclc" -O2 -S -o out.ptx "$1" &&
        sed -i 's/^\.version 7\.0$/.version 7.8/; s/^\.target sm_80$/.target sm_90/' out.ptx &&
        grep -q '^\.target sm_90$' out.ptx && "$ptxas" -arch=sm_90 out.ptx -o out90.cubin
}
libclc=/usr/lib/clc/nvptx64--nvidiacl.bc
if clang=$(find_tool clang) && ptxas=$(find_tool ptxas) && [ -f "$libclc" ]; then
    start=$SECONDS
    compile_all opencl-ptx .cl clang_then_ptxas SRC
    compile_all opencl-ptx-sm90 .cl clang_then_ptxas_sm90 SRC
    compile_all opencl-ptx-a100 .cl clang_then_ptxas SRC
    echo "clang and ptxas, OpenCL with inline PTX for sm_80, sm_90 (f64's unit: sm_90;" \
        "the A100's: sm_80, sm_90):" \
        "done ($((SECONDS - start)) s)"
else
    missing "clang, ptxas or $libclc" "apt-get install clang libclc-14; the CUDA toolkit"
fi

# OpenCL C for AMD's OpenCL with the wave units: clang's OpenCL front end
# for the amdgcn targets (hipcc's clang; AMD's OpenCL compiler is clang
# too), MFMA's kernels for gfx90a and gfx940, WMMA's for gfx1100.
clang_for_amd() {
    local gfx
    for gfx in $amd_targets; do
        "$amd_clang" -x cl -cl-std=CL1.2 -Xclang -finclude-default-header \
            -target amdgcn-amd-amdhsa -mcpu=$gfx -nogpulib -O3 -c -o out.o "$1" || return 1
    done
}
clang_for_intel() {
    "$amd_clang" -x cl -cl-std=CL1.2 -Xclang -finclude-default-header -target spir64 \
        -include "$root/tests/vendor_compile_dpas.cl" -O2 -c -emit-llvm -o out.bc "$1"
}
if amd_clang=$(find_tool clang-15); then
    start=$SECONDS
    amd_targets="gfx90a gfx940"
    compile_all opencl-mfma .cl clang_for_amd SRC
    amd_targets=gfx1100
    compile_all opencl-wmma .cl clang_for_amd SRC
    echo "clang, OpenCL with MFMA for gfx90a, gfx940, WMMA for gfx1100: done ($((SECONDS - start)) s)"
    start=$SECONDS
    compile_all opencl-dpas8 .cl clang_for_intel SRC
    compile_all opencl-dpas16 .cl clang_for_intel SRC
    echo "clang, OpenCL with DPAS's native calls for SPIR: done ($((SECONDS - start)) s)"
else
    missing clang-15 "apt-get install hipcc, which brings it"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || exit 1
[ "$passed" -gt 0 ] || exit 77
exit 0
