#!/bin/bash
# `meson install` into a temporary root, then what a user does with it: the
# installed tessera tunes and exports a bundle with the installed profiles,
# and the C example is compiled against the installed libtessera-rt with
# pkg-config alone and multiplies matrices of shapes never tuned.
#
# usage: test_install.sh BUILD_DIR SOURCE_ROOT
set -u
build=$(realpath "${1:?usage: test_install.sh BUILD_DIR SOURCE_ROOT}")
root=$(realpath "${2:?usage: test_install.sh BUILD_DIR SOURCE_ROOT}")
work=$(mktemp -d /tmp/tsr_install_XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
passed=0
failed=0
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@" >out 2>err; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $what"
        sed 's/^/    /' out err | tail -n 15
    fi
}

dest=$work/root
check "meson install" meson install -C "$build" --destdir "$dest" --no-rebuild --quiet
prefix=$(meson introspect "$build" --buildoptions | python3 -c \
    'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
libdir=$(meson introspect "$build" --buildoptions | python3 -c \
    'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "libdir"))')
top=$dest$prefix
[[ $libdir = /* ]] || libdir=$prefix/$libdir
lib=$dest$libdir
for f in "$top/bin/tessera" "$lib/libtessera-rt.so" "$lib/libtessera.so" \
    "$top/include/tessera/tessera_rt.h" "$top/include/tessera/tessera_rt_opencl.h" \
    "$top/include/tessera/tessera_rt_cuda.h" "$lib/pkgconfig/tessera-rt.pc" \
    "$top/share/tessera/profiles/pocl-cpu.yaml" "$top/share/tessera/ops/sgemm.yaml"; do
    check "installed: ${f#"$dest"}" test -f "$f"
done

# The installed program, with the installed profiles and op specs.
export LD_LIBRARY_PATH=$lib TESSERA_PROFILES=$top/share/tessera/profiles
tessera=$top/bin/tessera
check "installed tessera tunes" "$tessera" tune "$top/share/tessera/ops/sgemm.yaml" \
    --shape m=64,n=64,k=64 --strategy random --budget 3 --db t.db
check "installed tessera exports" "$tessera" export --db t.db --out bundle
check "installed tessera checks the bundle" "$tessera" bundle check bundle

# A user's build: pkg-config of the installed copy, nothing of the tree.
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
check "pkg-config knows tessera-rt" pkg-config --exists tessera-rt
check "the example compiles against the installed library" \
    sh -c "cc -std=c11 -Wall -Wextra -Werror $root/examples/opencl_gemm.c \
        \$(pkg-config --cflags --libs tessera-rt) -lm -o opencl_gemm"
for shape in "300 200 100" "1 4097 3" "257 1 511" "64 64 64"; do
    # shellcheck disable=SC2086
    check "the example multiplies $shape with the bundle" ./opencl_gemm bundle $shape
done
check "the example refuses a directory that is not a bundle" sh -c '! ./opencl_gemm . 2>err2 && grep -q "no manifest.json" err2'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
