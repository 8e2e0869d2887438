#!/usr/bin/env bash
# `make install` works: installs into a scratch prefix, then builds the
# README's example against it with pkg-config (shared and static) and runs it;
# each public header is installed and compiles alone, and a program that
# includes only nnc_io.h or nnc_plot.h builds and runs against the installed
# shared library.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR TMP_DIR
set -euo pipefail
BUILD=$1 SRC=$2 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
cmake --install "$BUILD" --prefix "$TMP/prefix" >/dev/null
PC=$(dirname "$(find "$TMP/prefix" -name nnc.pc | head -1)")
[ -f "$PC/nnc.pc" ] || { echo "FAIL: no nnc.pc installed"; exit 1; }
HEADERS="nnc.h nnc_io.h nnc_plot.h nnc_config.h"
for h in $HEADERS; do
    [ -f "$TMP/prefix/include/$h" ] || { echo "FAIL: no $h installed"; exit 1; }
done
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

# Each header alone, strictly, in C; and in C++ where there is a compiler
# (its extern "C" block).  The typedef: a translation unit must declare
# something, and nnc_config.h only defines macros.
for h in $HEADERS; do
    printf '#include <%s>\ntypedef int alone;\n' "$h" >"$TMP/alone.c"
    cc -std=c11 -pedantic -Wall -Wextra -Wstrict-prototypes -Werror -fsyntax-only \
        $(pkg-config --cflags nnc) "$TMP/alone.c" ||
        { echo "FAIL: $h does not compile on its own"; exit 1; }
    if command -v c++ >/dev/null; then
        c++ -x c++ -pedantic -Wall -Wextra -Werror -fsyntax-only $(pkg-config --cflags nnc) \
            "$TMP/alone.c" || { echo "FAIL: $h does not compile as C++"; exit 1; }
    fi
done

# A program per header that includes only that header, linked against the
# installed shared library: what it calls is declared there and exported.
cat >"$TMP/use_io.c" <<'END'
#include <nnc_io.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    nnc_array data;
    if (argc < 2 || nnc_npz_read_file(argv[1], "data", &data, 0) != NNC_OK)
        return 1;
    printf("io: %zu values\n", data.size);
    nnc_array_free(&data);
    return 0;
}
END
cat >"$TMP/use_plot.c" <<'END'
#include <nnc_plot.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    const double x[] = {0, 1, 2}, y[] = {1, 0, 1};
    nnc_plot *plot;
    char *svg;
    size_t len;
    if (nnc_plot_create(&plot, 320, 240, 1, 1, "t") != NNC_OK)
        return 1;
    if (nnc_plot_series(plot, 0, "s", x, y, 3, NNC_PLOT_LINE) != NNC_OK ||
        nnc_plot_svg(plot, &svg, &len) != NNC_OK) {
        nnc_plot_free(plot);
        return 1;
    }
    printf("plot: %s\n", len > 0 && svg[0] == '<' ? "svg" : "empty");
    free(svg);
    nnc_plot_free(plot);
    return 0;
}
END
for use in io plot; do
    cc -std=c11 $SAN "$TMP/use_$use.c" -o "$TMP/use_$use" $(pkg-config --cflags --libs nnc) ||
        { echo "FAIL: a program that includes only nnc_$use.h does not build"; exit 1; }
done
LD_LIBRARY_PATH=$LIBDIR "$TMP/use_io" "$SRC/data/ai-edu/ch08.train.npz" | grep -q '^io: [1-9]' ||
    { echo "FAIL: use_io, built against the installed library, did not read the .npz"; exit 1; }
LD_LIBRARY_PATH=$LIBDIR "$TMP/use_plot" | grep -q '^plot: svg$' ||
    { echo "FAIL: use_plot, built against the installed library, drew no SVG"; exit 1; }
echo "install_test: passed"
