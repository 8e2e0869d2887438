#!/usr/bin/env bash
# nnc bench: the FLOP count of bench/README.md for any network, one line per
# timed epoch with consistent rates, and clear errors for bad options.
# Usage: cli_bench.sh NNC DATA_DIR TMP_DIR
set -uo pipefail
NNC=$1 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
source "$(dirname "$0")/testlib.sh"

# The seed's 1-3-1: P = 3 + 3 weights, P1 = 3 -> 2P + 2P + 2(P - P1) = 30.
"$NNC" bench --layers 1,3,1 --activation sigmoid --batch 10 --rows 900 --epochs 3 \
    --eta 0.5 >"$TMP/s3" 2>"$TMP/err" || fail "bench 1-3-1: exit $? ($(cat "$TMP/err"))"
grep -qF "network  1-3-1, hidden sigmoid, fitting output" "$TMP/s3" || fail "bench 1-3-1: header: $(head -1 "$TMP/s3")"
grep -qF "work     30 FLOP per sample (forward 12, weight gradients 12, input gradients 6)" "$TMP/s3" ||
    fail "bench 1-3-1: FLOP line: $(grep work "$TMP/s3")"
grep -qF "900 synthetic rows per epoch (90 updates)" "$TMP/s3" || fail "bench 1-3-1: schedule: $(sed -n 2p "$TMP/s3")"
[ "$(grep -c '^epoch ' "$TMP/s3")" = 3 ] || fail "bench --epochs 3: $(grep -c '^epoch ' "$TMP/s3") epoch lines"
# Each timed line: samples/s = rows / epoch time, and GFLOP/s = 30 * rows / time.
awk '/^(epoch [0-9]+|median|best|warm-up)/ {
        n = $1 == "epoch" ? 3 : 2
        t = $n; u = $(n + 1); s = t / (u == "s" ? 1 : u == "ms" ? 1e3 : u == "us" ? 1e6 : 1e9)
        rate = $(n + 4); gsub(",", "", rate)
        if (s <= 0 || rate <= 0) { print "non-positive: " $0; bad = 1 }
        else if (rate / (900 / s) < 0.99 || rate / (900 / s) > 1.01) { print "samples/s: " $0; bad = 1 }
        lines++
    }
    END { if (lines != 6) print "lines: " lines; exit bad || lines != 6 }' "$TMP/s3" ||
    fail "bench 1-3-1: rates do not follow from the times: $(cat "$TMP/s3")"

# The Fashion-MNIST MLP's count (bench/README.md: 454,400 FLOP per image),
# on a few rows, and multiclass by default for several outputs.
"$NNC" bench --rows 200 --epochs 1 >"$TMP/m" 2>"$TMP/err" || fail "bench default network: exit $? ($(cat "$TMP/err"))"
grep -qF "network  784-128-64-10, hidden relu,relu, multiclass output" "$TMP/m" || fail "bench default: $(head -1 "$TMP/m")"
grep -qF "work     454,400 FLOP per sample" "$TMP/m" || fail "bench default: $(grep work "$TMP/m")"
grep -qF "0.09088 GFLOP per epoch" "$TMP/m" || fail "bench default: $(grep GFLOP "$TMP/m")"
# Two outputs, binary targets, a list of activations.
"$NNC" bench --layers 4,5,6,2 --activation tanh,elu:0.5 --task binary --batch 7 --rows 50 \
    --epochs 2 >"$TMP/b" 2>"$TMP/err" || fail "bench binary: exit $? ($(cat "$TMP/err"))"
grep -qF "hidden tanh,elu, binary output" "$TMP/b" || fail "bench binary: $(head -1 "$TMP/b")"
grep -qF "50 synthetic rows per epoch (8 updates)" "$TMP/b" || fail "bench binary: $(sed -n 2p "$TMP/b")"
# Threads: named in the header.
"$NNC" bench --layers 20,64,3 --rows 300 --epochs 1 --threads 2 >"$TMP/t" 2>"$TMP/err" || fail "bench --threads 2: exit $? ($(cat "$TMP/err"))"
grep -qF "kernels, 2 threads" "$TMP/t" || fail "bench --threads 2: $(sed -n 2p "$TMP/t")"
# Kernels: named in the header; OpenBLAS runs when this build has it.
"$NNC" bench --layers 20,64,3 --rows 300 --epochs 1 --kernels portable >"$TMP/k" 2>"$TMP/err" || fail "bench --kernels portable: exit $? ($(cat "$TMP/err"))"
grep -qF "portable kernels, " "$TMP/k" || fail "bench --kernels portable: $(sed -n 2p "$TMP/k")"
if "$NNC" bench --layers 20,64,3 --rows 300 --epochs 1 --kernels openblas >"$TMP/k" 2>"$TMP/err"; then
    grep -qF "openblas kernels, OpenBLAS's own threads" "$TMP/k" || fail "bench --kernels openblas: $(sed -n 2p "$TMP/k")"
else
    grep -qF "is not available here" "$TMP/err" || fail "bench --kernels openblas: $(cat "$TMP/err")"
fi
# --help
"$NNC" bench --help >"$TMP/help" || fail "bench --help: exit $?"
grep -qF -- "--layers" "$TMP/help" || fail "bench --help lacks --layers"

expect_error 1 "--layers needs at least two widths" bench --layers 5
expect_error 1 "is not a width" bench --layers 5,0,1
expect_error 1 "--batch 100 is larger than --rows 50" bench --batch 100 --rows 50
expect_error 1 "needs at least 2 outputs" bench --layers 3,1 --task multiclass
expect_error 1 "--epochs" bench --epochs 0
expect_error 1 "--eta must be positive" bench --eta -1
expect_error 1 "given twice" bench --rows 10 --rows 20
expect_error 1 "--threads" bench --threads 0
expect_error 1 "--threads" bench --threads 257
expect_error 1 "--kernels: 'mkl' is not available here (this build on this CPU has: auto" bench --kernels mkl
expect_error 1 "unknown option '--frobnicate'" bench --frobnicate
expect_error 1 "unexpected argument 'extra'" bench extra
expect_error 1 "unknown activation" bench --activation nosuch
expect_error 1 "needs about" bench --layers 1000000,1000000,1000000 --rows 10 --batch 10
expect_error 1 "the synthetic data needs" bench --layers 1000000,1 --rows 100000000
# A learning rate that blows the weights up: exit 3, named.
expect_error 3 "diverged" bench --layers 2,50,1 --task fitting --eta 1e30 --rows 100 --batch 10 --epochs 1

finish cli_bench
