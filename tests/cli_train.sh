#!/usr/bin/env bash
# nnc train / nnc eval end to end: the textbook's log shape and numbers, the
# run folder, save → eval agreement, determinism, and clear errors.
# Usage: cli_train.sh NNC DATA_DIR TMP_DIR
set -uo pipefail
NNC=$1 DATA=$2 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
source "$(dirname "$0")/testlib.sh"
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

# --- the seed run: 1-1-1 from the textbook's starting weight ---------------
INIT="$DATA/ch09-weights/sin_111"
"$NNC" train sin --hidden 1 --eta 0.05 --epochs 5000 --init-from "$INIT" --out "$TMP" \
    >"$TMP/log" 2>"$TMP/err" || fail "seed run exited $?: $(cat "$TMP/err")"
checks=$(grep -c '^epoch=' "$TMP/log")
[ "$checks" = 100 ] || fail "expected 100 checks, got $checks"
head -1 "$TMP/log" | grep -qx 'epoch=49, total_iteration=2249' || fail "first check line: $(head -1 "$TMP/log")"
grep -qx 'epoch=4999, total_iteration=224999' "$TMP/log" || fail "no last check at 224999"
# Every check is exactly three lines in the textbook's formats.
bad=$(grep -v -E '^(epoch=[0-9]+, total_iteration=[0-9]+|loss_train=[0-9]+\.[0-9]{6}, accuracy_train=-?[0-9]+\.[0-9]{6}|loss_valid=[0-9]+\.[0-9]{6}, accuracy_valid=-?[0-9]+\.[0-9]{6}|testing\.\.\.|0\.[0-9]+)$' "$TMP/log" | head -3)
[ -z "$bad" ] || fail "lines outside the textbook's formats: $bad"
[ "$(tail -2 "$TMP/log" | head -1)" = "testing..." ] || fail "no 'testing...' line"
test_acc=$(tail -1 "$TMP/log")
near "$test_acc" 0.8576 0.01 || fail "test accuracy $test_acc not within 0.01 of 0.8576"

RUN="$TMP/sin_111"
for f in wb1.npz wb2.npz history.csv hyperparameters.txt; do
    [ -s "$RUN/$f" ] || fail "run folder lacks $f"
done
ls -A "$RUN" | grep -q '^\.nnc-' && fail "a temporary file was left in $RUN"
[ "$(head -1 "$RUN/history.csv")" = "epoch,total_iteration,loss_train,accuracy_train,loss_valid,accuracy_valid" ] ||
    fail "history.csv header"
[ "$(wc -l <"$RUN/history.csv")" = 101 ] || fail "history.csv should have 100 rows"
grep -qx 'layers = 1,1,1' "$RUN/hyperparameters.txt" || fail "hyperparameters.txt lacks layers"
grep -qx 'eta = 0.05' "$RUN/hyperparameters.txt" || fail "hyperparameters.txt lacks eta"

# The saved weights, evaluated, give the last check's validation line.
"$NNC" eval --model "$RUN" >"$TMP/eval" 2>&1 || fail "eval of the saved run failed: $(cat "$TMP/eval")"
want=$(grep '^loss_valid=' "$TMP/log" | tail -1)
got=$(head -1 "$TMP/eval")
[ "$got" = "$want" ] || fail "eval says '$got', training's last check '$want'"
[ "$(tail -1 "$TMP/eval")" = "$test_acc" ] || fail "eval test accuracy $(tail -1 "$TMP/eval") != $test_acc"

# --- the textbook's own trained weights -----------------------------------
"$NNC" eval --model "$INIT" >"$TMP/tb" 2>&1 || fail "eval of the textbook weights: $(cat "$TMP/tb")"
[ "$(head -1 "$TMP/tb")" = "loss_valid=0.038609, accuracy_valid=0.821760" ] || fail "textbook eval: $(head -1 "$TMP/tb")"
near "$(tail -1 "$TMP/tb")" 0.8575700023301912 1e-6 || fail "textbook test accuracy $(tail -1 "$TMP/tb")"

# --- determinism: same seed, same bytes; another seed, other bytes ----------
for s in a b; do
    "$NNC" train composite --epochs 200 --seed 7 --name "det_$s" --out "$TMP" >"$TMP/det_$s.log" 2>/dev/null ||
        fail "determinism run $s"
done
"$NNC" train composite --epochs 200 --seed 8 --name det_c --out "$TMP" >/dev/null 2>&1
cmp -s "$TMP/det_a/wb1.npz" "$TMP/det_b/wb1.npz" || fail "same seed gave different weights"
cmp -s "$TMP/det_a.log" "$TMP/det_b.log" || fail "same seed gave a different log"
cmp -s "$TMP/det_a/wb1.npz" "$TMP/det_c/wb1.npz" && fail "another seed gave the same weights"

# --- threads: a network large enough to share its products and its update
# (64 x 200 x 256 products, 68,000 weights) gives the same bytes on 1 and 2
# threads, and the same log.
awk 'BEGIN { srand(5); printf "c"; for (p = 0; p < 200; p++) printf ",x%d", p; print "";
    for (i = 0; i < 400; i++) { s = 0; line = "";
        for (p = 0; p < 200; p++) { x = rand(); s += (p % 3 ? -0.5 : 1) * x; line = line "," sprintf("%.4f", x) }
        c = int((s < 0 ? -s : s) * 7) % 3; print c line } }' >"$TMP/wide.csv"
for t in 1 2; do
    "$NNC" train --train "$TMP/wide.csv" --test "$TMP/wide.csv" --label 0 --task multiclass \
        --hidden 256,64 --activation relu --eta 0.05 --batch 64 --epochs 4 --checkpoint 1 \
        --threads $t --quiet --name "threads_$t" --out "$TMP" >"$TMP/threads_$t.log" 2>"$TMP/threads.err" ||
        fail "--threads $t run: $(cat "$TMP/threads.err")"
done
for f in wb1.npz wb2.npz wb3.npz; do
    cmp -s "$TMP/threads_1/$f" "$TMP/threads_2/$f" || fail "--threads 1 and 2 gave different $f"
done
cmp -s "$TMP/threads_1.log" "$TMP/threads_2.log" || fail "--threads 1 and 2 gave different logs"
# --kernels: nnc's portable kernels give the same bytes as the default ones;
# OpenBLAS (when this build has it) trains the same run to rounding, and
# reaches a comparable loss; an unknown name is refused.
run_kernels() {
    "$NNC" train --train "$TMP/wide.csv" --test "$TMP/wide.csv" --label 0 --task multiclass \
        --hidden 256,64 --activation relu --eta 0.05 --batch 64 --epochs 4 --checkpoint 1 \
        --threads 1 --kernels "$1" --quiet --name "kernels_$1" --out "$TMP" >"$TMP/kernels_$1.log" 2>"$TMP/kernels.err"
}
run_kernels portable || fail "--kernels portable: $(cat "$TMP/kernels.err")"
for f in wb1.npz wb2.npz wb3.npz; do
    cmp -s "$TMP/threads_1/$f" "$TMP/kernels_portable/$f" || fail "--kernels portable gave different $f"
done
if run_kernels openblas; then
    last() { sed -n 's/^loss_train=\([0-9.]*\),.*/\1/p' "$1" | tail -1; }
    a=$(last "$TMP/threads_1.log") b=$(last "$TMP/kernels_openblas.log")
    awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > 0 && b > 0 && a - b < 1e-3 * a && b - a < 1e-3 * a) }' ||
        fail "--kernels openblas: last loss_train '$b' against nnc's '$a'"
else
    grep -qF "is not available here" "$TMP/kernels.err" && ! grep -q "has:.*openblas" "$TMP/kernels.err" ||
        fail "--kernels openblas refused without saying why: $(cat "$TMP/kernels.err")"
fi
expect_error 1 "--kernels: 'gpu' is not available here" train sin --kernels gpu

# --- divergence: a clean stop, exit 3, last good weights kept --------------
"$NNC" train sin --hidden 8 --activation relu --eta 1e6 --checkpoint 1 --epochs 50 \
    --name diverged --out "$TMP" >/dev/null 2>"$TMP/div"
rc=$?
[ $rc = 3 ] || fail "divergence exit status $rc, want 3"
grep -q 'diverged at epoch' "$TMP/div" || fail "divergence message: $(cat "$TMP/div")"
[ -s "$TMP/diverged/wb1.npz" ] || fail "diverged run saved no weights"
"$NNC" eval --model "$TMP/diverged" --activation relu >"$TMP/div_eval" 2>&1 ||
    fail "the kept weights do not evaluate: $(cat "$TMP/div_eval")"
grep -qi nan "$TMP/div_eval" && fail "kept weights give NaN"

# --- classification from CSV, label column chosen with --label ------------
# Points on a 20x20 grid; binary: is x + y > 1; three classes (labels 1..3)
# by which third of [0, 2) x + y falls in.  The label stands first.
awk 'BEGIN { print "label,x,y"; for (i = 0; i < 20; i++) for (j = 0; j < 20; j++) {
    x = (i + 0.5) / 20; y = (j + 0.37) / 20; printf "%d,%.4f,%.4f\n", (x + y > 1), x, y } }' >"$TMP/binary.csv"
awk 'BEGIN { print "class,x,y"; for (i = 0; i < 20; i++) for (j = 0; j < 20; j++) {
    x = (i + 0.5) / 20; y = (j + 0.37) / 20; printf "%d,%.4f,%.4f\n", 1 + int((x + y) * 1.5), x, y } }' >"$TMP/three.csv"
"$NNC" train --train "$TMP/binary.csv" --test "$TMP/binary.csv" --label 0 --task binary \
    --hidden 4 --activation tanh --epochs 300 --checkpoint 100 --out "$TMP" >"$TMP/bin.log" 2>"$TMP/bin.err" ||
    fail "binary CSV run: $(cat "$TMP/bin.err")"
awk 'END { exit !($1 >= 0.95) }' "$TMP/bin.log" || fail "binary test accuracy $(tail -1 "$TMP/bin.log") < 0.95"
[ -s "$TMP/binary_241/wb2.npz" ] || fail "binary run folder binary_241 missing"
# Two inputs and a classifier: result.svg shows the decision regions.
grep -q '>label 1<' "$TMP/binary_241/result.svg" 2>/dev/null || fail "binary run lacks its decision-region chart"
"$NNC" train --train "$TMP/three.csv" --test "$TMP/three.csv" --label 0 --task multiclass \
    --layers 2,8,3 --activation relu --eta 0.1 --epochs 300 --checkpoint 100 --out "$TMP" >"$TMP/mc.log" 2>"$TMP/mc.err" ||
    fail "multiclass CSV run: $(cat "$TMP/mc.err")"
awk 'END { exit !($1 >= 0.9) }' "$TMP/mc.log" || fail "multiclass test accuracy $(tail -1 "$TMP/mc.log") < 0.9"
"$NNC" eval --model "$TMP/three_283" --train "$TMP/three.csv" --test "$TMP/three.csv" --label 0 \
    --task multiclass --activation relu >"$TMP/mc_eval" 2>&1 || fail "multiclass eval: $(cat "$TMP/mc_eval")"
[ "$(tail -1 "$TMP/mc_eval")" = "$(tail -1 "$TMP/mc.log")" ] || fail "multiclass eval disagrees with training"

# --- bad input: non-zero exit and a message that names the problem ---------
expect_error() { # expected-words args...
    local words=$1
    shift
    if "$NNC" "$@" >"$TMP/out" 2>"$TMP/err"; then
        fail "nnc $* succeeded"
    elif ! grep -q -- "$words" "$TMP/err"; then
        fail "nnc $*: message '$(cat "$TMP/err")' lacks '$words'"
    fi
}
expect_error "unknown option '--bogus'" train --bogus
expect_error "--eta: 'abc' is not a finite number" train --eta abc
expect_error "--eta must be positive" train --eta 0
expect_error "--batch" train --batch 0
expect_error "--epochs" train --epochs -5
expect_error "/no/such.npz" train --train /no/such.npz --test /no/such.npz
expect_error "--train and --test go together" train --train x.npz
expect_error "unknown data set 'cosine'" train cosine
expect_error "valid names" train --activation nosuch
expect_error "--layers starts with 2" train --layers 2,3,1
expect_error "w_1_3_Xavier_init.npz" train --init-from "$INIT" --hidden 3
expect_error "--model MODEL is required" eval
expect_error "wb1.npz" eval --model "$TMP/nowhere"
expect_error "unknown command" frobnicate
printf '1,2\n3\n' >"$TMP/ragged.csv"
expect_error "--label: 'x'" train --train "$TMP/binary.csv" --test "$TMP/binary.csv" --label x
expect_error "label column 7" train --train "$TMP/binary.csv" --test "$TMP/binary.csv" --label 7
expect_error "ragged.csv" train --train "$TMP/ragged.csv" --test "$TMP/ragged.csv"

"$NNC" train --help | grep -- '--init-from' >/dev/null || fail "train --help"
"$NNC" eval --help | grep -- '--model' >/dev/null || fail "eval --help"
"$NNC" --version | grep '^nnc [0-9]' >/dev/null || fail "--version"

finish cli_train
