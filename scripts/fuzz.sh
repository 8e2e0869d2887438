#!/usr/bin/env bash
# Fuzzes nnc's readers: builds every libFuzzer target fuzz/fuzz_*.c with
# clang (ASan + UBSan with float-cast-overflow, leak detection) into
# $FUZZ_BUILD, then runs each for FUZZ_SECONDS seconds on a scratch copy of
# its seed corpus fuzz/corpus/<name>/ (fuzz_csv: fuzz/corpus/csv/), with
# fuzz/<target>.dict when there is one.  The repository is never written to.
#
# Fails (exit 1), naming the target and the file that reproduces it, on any
# crash, sanitizer report, leak, timeout (-timeout=10) or out-of-memory
# (-rss_limit_mb=2048).  Reproduce with: $FUZZ_BUILD/<target> <file>.
#
#   FUZZ_SECONDS  seconds per target (default 600)
#   FUZZ_BUILD    build folder (default build/fuzz)
#   FUZZ_JOBS     targets run at once (default: the number of CPUs)
#   FUZZ_TARGETS  names to run, e.g. "fuzz_csv fuzz_idx" (default: all)
#   FUZZ_CC       the compiler (default clang)
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${FUZZ_SECONDS:-600}
BUILD_DIR=${FUZZ_BUILD:-build/fuzz}
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
FCC=${FUZZ_CC:-clang}

die() { echo "fuzz: $*" >&2; exit 1; }

case $SECONDS_EACH in '' | *[!0-9]*) die "FUZZ_SECONDS='$SECONDS_EACH' is not a whole number of seconds" ;; esac
command -v "$FCC" >/dev/null 2>&1 ||
    die "$FCC not found: install clang and libclang-rt-dev (sh scripts/install-deps.sh)"
probe=$(mktemp -d)
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! "$FCC" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
    cat "$probe/err" >&2
    rm -rf "$probe"
    die "$FCC cannot link libFuzzer programs: install libclang-rt-dev (sh scripts/install-deps.sh)"
fi
rm -rf "$probe"

cmake -S . -B "$BUILD_DIR" -DNNC_FUZZ=ON -DCMAKE_C_COMPILER="$FCC" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNNC_WERROR=OFF >/dev/null || die "cmake configure failed"
cmake --build "$BUILD_DIR" -j"$JOBS" >"$BUILD_DIR/build.log" 2>&1 || {
    tail -40 "$BUILD_DIR/build.log" >&2
    die "build failed (log: $BUILD_DIR/build.log)"
}

targets=()
if [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    for src in fuzz/fuzz_*.c; do
        [ -e "$src" ] && targets+=("$(basename "$src" .c)")
    done
fi
[ "${#targets[@]}" -gt 0 ] || die "no fuzz targets (fuzz/fuzz_*.c)"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

RUNS=$BUILD_DIR/runs
# One target: a scratch corpus, libFuzzer, its exit status in $run/rc.
run_one() {
    local t=$1 run=$RUNS/$1 corpus=fuzz/corpus/${1#fuzz_}
    rm -rf "$run"
    mkdir -p "$run/corpus" "$run/artifacts"
    if [ -d "$corpus" ]; then
        cp -R "$corpus/." "$run/corpus/"
    fi
    local dict=()
    [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
    "$BUILD_DIR/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
        -artifact_prefix="$run/artifacts/" "${dict[@]}" "$run/corpus" >"$run/log" 2>&1
    echo $? >"$run/rc"
}

for t in "${targets[@]}"; do
    [ -x "$BUILD_DIR/$t" ] || die "target $t was not built (fuzz/$t.c?)"
done
echo "fuzz: ${#targets[@]} targets, ${SECONDS_EACH}s each, $JOBS at a time (runs in $RUNS/)"
for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
        wait -n 2>/dev/null || sleep 1
    done
    run_one "$t" &
done
wait

failed=0
for t in "${targets[@]}"; do
    run=$RUNS/$t
    rc=$(cat "$run/rc" 2>/dev/null || echo "?")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log" | tail -1)
    files=$(find "$run/corpus" -type f | wc -l)
    found=$(find "$run/artifacts" -type f ! -name 'slow-unit-*' | head -1)
    if [ "$rc" != 0 ] || [ -n "$found" ]; then
        failed=$((failed + 1))
        kind=$(basename "${found:-none}" | sed 's/-.*//')
        echo "fuzz: FAILED: $t (exit $rc): ${kind:-error}${found:+ in $found}" >&2
        echo "fuzz:   log: $run/log; reproduce: $BUILD_DIR/$t ${found:-<file>}" >&2
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$run/log" | head -5 | sed 's/^/fuzz:   /' >&2
    else
        echo "fuzz: $t: ${execs:-?} executions in ${SECONDS_EACH}s, corpus $files files, no findings"
    fi
done
if [ "$failed" -ne 0 ]; then
    die "$failed of ${#targets[@]} targets failed"
fi
echo "fuzz: all ${#targets[@]} targets clean"
