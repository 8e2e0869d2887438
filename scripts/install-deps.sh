#!/bin/sh
# Installs what nnc needs to build and test, from Debian's packages:
# a C compiler and make (build-essential), CMake, zlib, pkg-config,
# OpenBLAS (optional: the build leaves its backend out when it is missing),
# valgrind (the memcheck run of the tests), clang with its libFuzzer runtime
# (the fuzzing run of the readers); in CI also Chromium, for the browser test
# of the HTML report, and Fashion-MNIST, for the IDX reader's test.
# Does nothing when everything is already there, unless CI=true (CI always
# installs, so that a missing package shows up there first).
set -eu

# `make bench` runs `sh scripts/install-deps.sh bench`: the benchmark's peers
# (bench/README.md), never installed by `make test` or CI: NumPy and PyTorch
# for Debian's /usr/bin/python3, FANN, OpenBLAS, Fashion-MNIST and GNU time
# (the peak memory of each run).  Only the missing ones are installed; one
# that apt cannot get is reported, and the benchmark then says it skipped
# that peer.
if [ "${1:-}" = "bench" ]; then
    BENCH_PACKAGES="python3 python3-numpy python3-torch libfann-dev libopenblas-dev dataset-fashion-mnist time"
    missing=""
    for p in $BENCH_PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && exit 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "install-deps: no apt-get here; the benchmark skips what is missing:$missing" >&2
        exit 0
    fi
    SUDO=""
    [ "$(id -u)" != 0 ] && SUDO="sudo"
    echo "install-deps: installing the benchmark's peers:$missing (python3-torch is large)" >&2
    $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq || true
    if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq $missing >/dev/null; then
        for p in $missing; do
            DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq "$p" >/dev/null ||
                echo "install-deps: could not install $p; the benchmark skips what needs it" >&2
        done
    fi
    exit 0
fi

PACKAGES="build-essential cmake zlib1g-dev pkg-config libopenblas-dev valgrind clang libclang-rt-dev"
# tests/test_locale.c writes under a decimal-comma locale (generated below);
# tests/cli_plot.sh renders the charts with rsvg-convert.
PACKAGES="$PACKAGES locales librsvg2-bin"
# CI also renders the HTML report in a real browser (tests/cli_report.sh).
if [ "${CI:-}" = "true" ]; then
    PACKAGES="$PACKAGES chromium"
    # tests/cli_plot.sh compares ImageMagick's SVG renderer with rsvg-convert.
    PACKAGES="$PACKAGES imagemagick"
    # tests/test_idx.c loads it when present (/usr/share/datasets/fashion-mnist).
    PACKAGES="$PACKAGES dataset-fashion-mnist"
fi

# clang that links a libFuzzer program (the runtime is in libclang-rt-dev).
have_fuzzer() {
    command -v clang >/dev/null 2>&1 || return 1
    dir=$(mktemp -d) || return 1
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$dir/f.c"
    clang -fsanitize=fuzzer "$dir/f.c" -o "$dir/f" >/dev/null 2>&1
    ok=$?
    rm -rf "$dir"
    return $ok
}

have_all() {
    command -v cc >/dev/null 2>&1 && command -v make >/dev/null 2>&1 &&
        command -v cmake >/dev/null 2>&1 && command -v pkg-config >/dev/null 2>&1 &&
        command -v valgrind >/dev/null 2>&1 && have_fuzzer &&
        { [ -f /usr/include/zlib.h ] || pkg-config --exists zlib 2>/dev/null; }
}

have_openblas() {
    pkg-config --exists openblas 2>/dev/null
}

have_comma_locale() {
    locale -a 2>/dev/null | grep -q -i '^de_DE\.utf-\?8$'
}

# What some tests use and skip without: rsvg-convert and a decimal-comma
# locale; a machine that lacks them installs them too.
have_test_tools() {
    command -v rsvg-convert >/dev/null 2>&1 && have_comma_locale
}

if [ "${CI:-}" != "true" ] && have_all && have_openblas && have_test_tools; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    if have_all; then
        echo "install-deps: no apt-get here and no OpenBLAS: nnc builds without its OpenBLAS backend" >&2
        exit 0
    fi
    echo "install-deps: no apt-get here; install a C11 compiler, make, CMake (>= 3.16)," >&2
    echo "install-deps: zlib (headers), pkg-config, valgrind and clang with libFuzzer by hand" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
echo "install-deps: installing $PACKAGES" >&2
# Wait for another apt/dpkg run (unattended upgrades, a second install)
# instead of failing at once on its lock.
APT_WAIT="-o DPkg::Lock::Timeout=900"
$SUDO apt-get $APT_WAIT update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get $APT_WAIT install -y -qq $PACKAGES >/dev/null
if ! have_comma_locale; then
    $SUDO localedef -i de_DE -f UTF-8 de_DE.UTF-8 ||
        echo "install-deps: could not generate de_DE.UTF-8; test_locale skips" >&2
fi
