#!/usr/bin/env bash
# Installs what tessera needs from Debian's packages: the build tools, the
# libraries it links (libyaml, SQLite, libmd, jansson, XGBoost, the OpenCL ICD loader,
# CLBlast),
# an OpenCL device to run on (PoCL, OpenCL on the CPU), and the vendor
# compilers that check every generated kernel offline (hipcc for AMD, ocloc
# from intel-opencl-icd for Intel; NVIDIA's nvcc comes with the CUDA toolkit,
# which Debian does not carry: tessera looks for it on PATH, in $CUDA_HOME
# and in /usr/local/cuda), and clang with libFuzzer for the fuzz targets and,
# with libclc's NVIDIA builtins, for OpenCL C with inline PTX (NVIDIA's
# OpenCL compiler is not on this machine; NVIDIA's ptxas then checks it).
# Packages already present are left alone, so a second run costs nothing.
set -euo pipefail

packages=(
    gcc meson ninja-build pkg-config
    libyaml-dev libsqlite3-dev libmd-dev libjansson-dev libxgboost-dev
    ocl-icd-opencl-dev opencl-c-headers pocl-opencl-icd clinfo
    libclblast-dev clblast-utils
    python3 clang-format git
    clang libclang-rt-14-dev libclc-14
    hipcc libamdhip64-dev intel-opencl-icd
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: everything is installed"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
