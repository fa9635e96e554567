# Sourced by the GPU scripts (bench/gpu.sh, bench/gpu_tuning.sh) from the
# source root: the build to use in $build, brought up to date unless
# TSR_NO_BUILD=1 (a build carried from another machine), and $tessera.
# usage: . bench/gpu_setup.sh [BUILD_DIR]   (default build-gpu)
build=${1:-build-gpu}
if [ "${TSR_NO_BUILD:-0}" != 1 ]; then
    [ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release || exit 1
    ninja -C "$build" || exit 1
fi
export TESSERA_PROFILES=${TESSERA_PROFILES:-$PWD/profiles}
tessera=$build/tessera
