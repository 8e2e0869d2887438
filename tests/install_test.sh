#!/usr/bin/env bash
# `make install` works: installs into a scratch prefix, then builds the
# README's example against it with pkg-config (shared and static) and runs it.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR TMP_DIR
set -euo pipefail
BUILD=$1 SRC=$2 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
cmake --install "$BUILD" --prefix "$TMP/prefix" >/dev/null
PC=$(dirname "$(find "$TMP/prefix" -name nnc.pc | head -1)")
[ -f "$PC/nnc.pc" ] || { echo "FAIL: no nnc.pc installed"; exit 1; }
[ -f "$TMP/prefix/include/nnc.h" ] || { echo "FAIL: no nnc.h installed"; exit 1; }
# The installed nnc.pc must name the prefix given to `cmake --install
# --prefix`, not the one the build was configured with: it is used as is.
export PKG_CONFIG_PATH=$PC
got=$(pkg-config --variable=prefix nnc)
[ "$got" = "$TMP/prefix" ] ||
    { echo "FAIL: the installed nnc.pc says prefix=$got, not the install prefix $TMP/prefix"; exit 1; }
SAN=
if grep -q '^NNC_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt"; then
    SAN=-fsanitize=address,undefined
    grep -q '^NNC_HAVE_FLOAT_CAST_OVERFLOW:INTERNAL=1' "$BUILD/CMakeCache.txt" &&
        SAN=$SAN,float-cast-overflow
fi
LIBDIR=$(pkg-config --variable=libdir nnc)
# Shared: exactly what pkg-config says.  Static: the archive, plus the
# private dependencies that `pkg-config --static` lists.
cc -std=c11 $SAN "$SRC/examples/fit_sine.c" -o "$TMP/fit_shared" $(pkg-config --cflags --libs nnc)
cc -std=c11 $SAN "$SRC/examples/fit_sine.c" -o "$TMP/fit_static" $(pkg-config --cflags nnc) \
    "$LIBDIR/libnnc.a" $(pkg-config --static --libs nnc | sed 's/-lnnc//')
for exe in fit_shared fit_static; do
    LD_LIBRARY_PATH=$LIBDIR "$TMP/$exe" "$SRC/data/ai-edu/ch08.train.npz" | grep -q '^success after' ||
        { echo "FAIL: $exe, built against the installed library, did not train"; exit 1; }
done
echo "install_test: passed"
