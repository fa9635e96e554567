#!/usr/bin/env bash
# GEMM through NVIDIA's OpenCL platform against CLBlast on the same GPU, in
# one go: the kernels that spell NVIDIA's asynchronous copies (the rings,
# PF = 2 and 3) and its matrix unit (mma.sync: m16n8k8 on tf32, m16n8k16 on
# f16 and bf16 fed by ldmatrix) in inline PTX verified against the CPU
# reference over ragged shapes; then a
# model-guided tune of ops/sgemm.yaml (full f32) and ops/sgemm-tf32.yaml at
# each size and tessera-bench-gemm on both, each beside CLBlast's SGEMM in
# the same process (CLBlast has no TF32: for the tf32 spec its full-f32
# SGEMM stands in, checked within the tf32 bound). A table last.
#
# usage: bench/gpu_opencl.sh [BUILD_DIR]   (default build-gpu; TSR_NO_BUILD=1
#        takes a build made elsewhere as it is)
# SIZES (default 1024,2048,4096); TUNE_SECONDS (default 25) per size below
# 4096 and BIG_TUNE_SECONDS (default 90) at 4096 and above; KEEP: a folder
# for the stores. NVIDIA's OpenCL platform must be registered with the
# loader (echo libnvidia-opencl.so.1 > /etc/OpenCL/vendors/nvidia.icd).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
row_width=52
# shellcheck source=bench/gpu_setup.sh
. bench/gpu_setup.sh "${1:-build-gpu}"
sizes=${SIZES:-1024,2048,4096}
seconds=${TUNE_SECONDS:-25}
big_seconds=${BIG_TUNE_SECONDS:-90}
device=$("$tessera" devices 2>/dev/null | awk '/^opencl:/ && /NVIDIA/ {print $1; exit}')
if [ -z "$device" ]; then
    echo "$0: no NVIDIA OpenCL device listed (see 'tessera devices'; register the platform)" >&2
    exit 1
fi
out=$(mktemp -d)

# verify SPEC SHAPE CONFIG: a table row, PASS or FAIL (and why).
verify() {
    if "$tessera" verify "ops/$1.yaml" --device "$device" --shape "$2" --config "$3" \
        >"$out/v.txt" 2>&1; then
        row "verify $1 $2 $3" "PASS"
    else
        row "verify $1 $2 $3" "FAIL"
        cat "$out/v.txt"
    fi
}

# 1. Inline PTX on ragged shapes: tf32 on the unit fed by a ring, plain,
# fetched ahead, and K-major; the f32 rings' copies (1000 x 1290 x 300 is
# the shape whose rows are whole vectors, where they run); f16 and bf16.
for shape in m=1000,n=1290,k=300 m=67,n=35,k=41 m=1,n=257,k=33; do
    for config in MU=1,BM=64,BN=128,BK=16,TM=2,TN=4,VW=4,PAD=1,STRN=0,KU=1,PF=2 \
        MU=1,BM=64,BN=64,BK=8,TM=2,TN=4,VW=1,PAD=0,STRN=0,KU=1 \
        MU=1,BM=64,BN=64,BK=32,TM=2,TN=4,VW=2,PAD=1,STRN=0,KU=4,PF=1; do
        verify sgemm-tf32 "$shape" "$config"
    done
    verify sgemm-nt-tf32 "$shape" MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,VW=4,PAD=1,STRN=0,KU=2,PF=3
    for spec in sgemm sgemm-tn sgemm-bias-gelu; do
        verify "$spec" "$shape" PF=2,VW=4
        verify "$spec" "$shape" PF=3,VW=2
    done
    # f16 and bf16 on the unit (ldmatrix, m16n8k16): plain, a lone fragment
    # column of 8-wide vectors, a ring of 128 x 128 tiles.
    for config in MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,STRN=0,KU=1,VW=1 \
        MU=1,BM=64,BN=16,BK=32,TM=2,TN=1,STRN=0,KU=2,VW=8,PAD=1 \
        MU=1,BM=128,BN=128,BK=16,TM=2,TN=8,STRN=0,KU=1,PF=3,VW=8,PAD=1; do
        verify hgemm "$shape" "$config"
        verify bf16gemm-tn "$shape" "$config"
    done
done

# 2. Tune each size, then benchmark all of them against CLBlast.
gflops() { awk -v n="$2" '$1 == n && NF >= 5 {print $2 " (CLBlast " $3 ", ratio " $4 ")"; exit}' "$1"; }
IFS=, read -r -a list <<<"$sizes"
for spec in sgemm sgemm-tf32; do
    for size in "${list[@]}"; do
        s=$seconds
        [ "$size" -ge 4096 ] && s=$big_seconds
        echo "== tune $spec n=$size on $device, --strategy model --seconds $s"
        "$tessera" tune "ops/$spec.yaml" --device "$device" --shape "m=$size,n=$size,k=$size" \
            --strategy model --seconds "$s" --db "$out/$spec.db" | tail -n 4
    done
    "$build/bench/tessera-bench-gemm" --device "$device" --spec "ops/$spec.yaml" \
        --db "$out/$spec.db" --sizes "$sizes" --runs 20 | tee "$out/$spec.txt"
    for size in "${list[@]}"; do
        row "$spec $size tuned on $device" "$(gflops "$out/$spec.txt" "$size")"
    done
done

finish
