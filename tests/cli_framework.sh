#!/usr/bin/env bash
# nnc train with the book's framework (ch10-16): --split and the class
# warning, --optimizer, --lr-schedule, --l1/--l2 and the weight statistics,
# --dropout, --batchnorm, --patience, --stop; --resume of N + N epochs against
# 2N in one run, bit for bit, with every optimizer and with batch norm and
# dropout; and the refusals of bad values.
# Usage: cli_framework.sh NNC DATA_DIR TMP_DIR
set -uo pipefail
NNC=$1 DATA=$2 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
source "$(dirname "$0")/testlib.sh"
# Under valgrind every run costs seconds: fewer epochs there.
E=200 CK=5
case "$NNC" in *valgrind* | *memcheck*) E=4 CK=1 ;; esac
[ -n "${NNC_TEST_MEMCHECK:-}" ] && E=4 CK=1

# --- --split: the first tenth of class-sorted data is one class -----------------
awk 'BEGIN { print "label,x,y"; for (i = 0; i < 200; i++) { k = i < 100 ? 0 : 1;
    printf "%d,%.4f,%.4f\n", k, (i % 100) / 100 + k, (i * 7 % 100) / 100 } }' >"$TMP/sorted.csv"
"$NNC" train --train "$TMP/sorted.csv" --test "$TMP/sorted.csv" --label 0 --task binary \
    --epochs 2 --no-save -q >"$TMP/out" 2>"$TMP/err" || fail "first split: $(cat "$TMP/err")"
grep -q "warning: the validation set (the first tenth of the rows) has no sample of class 1" "$TMP/err" ||
    fail "no warning for a validation set of one class: $(cat "$TMP/err")"
"$NNC" train --train "$TMP/sorted.csv" --test "$TMP/sorted.csv" --label 0 --task binary \
    --epochs 2 --split shuffled --no-save -q >"$TMP/out" 2>"$TMP/err" || fail "shuffled split: $(cat "$TMP/err")"
grep -q "warning" "$TMP/err" && fail "a warning with the shuffled split: $(cat "$TMP/err")"

# --- options change what is learned, and are recorded --------------------------
run() { # name args...: a run folder under $TMP
    local name=$1
    shift
    "$NNC" train sin --hidden 3 --epochs "$E" --checkpoint "$CK" --out "$TMP" --name "$name" -q "$@" \
        >"$TMP/$name.log" 2>"$TMP/$name.err" || fail "train $name $*: $(cat "$TMP/$name.err")"
}
run plain
run adam --optimizer adam:beta1=0.8 --eta 0.01
cmp -s "$TMP/plain/history.csv" "$TMP/adam/history.csv" && fail "--optimizer adam changed nothing"
grep -qx 'optimizer = adam:beta1=0.8,beta2=0.999,eps=1e-08' "$TMP/adam/hyperparameters.txt" ||
    fail "hyperparameters.txt lacks the optimizer: $(grep optimizer "$TMP/adam/hyperparameters.txt")"
grep -q '^optimizer' "$TMP/plain/hyperparameters.txt" && fail "a plain run records framework settings"
run l2 --l2 0.5
grep -q '^total weights abs sum=' "$TMP/l2.log" || fail "no weight statistics after an L2 run"
grep -q '^zero weights =' "$TMP/l2.log" || fail "no zero weights line"
grep -q '^total weights' "$TMP/plain.log" && fail "weight statistics in a plain run's log"
# L2 shrinks the weights: their abs sum is smaller than the plain run's.
s_plain=$("$NNC" train sin --hidden 3 --epochs "$E" --checkpoint "$CK" --no-save -q --l2 1e-300 | sed -n 's/^total weights abs sum=//p')
s_l2=$(sed -n 's/^total weights abs sum=//p' "$TMP/l2.log")
awk -v a="$s_l2" -v b="$s_plain" 'BEGIN { exit !(a < b) }' || fail "L2's weights ($s_l2) are not smaller than without it ($s_plain)"
run bn --batchnorm --dropout 0.1 --optimizer momentum
[ -f "$TMP/bn/wb1.npz" ] && fail "wb1.npz written for a batch-norm net"
grep -q 'no wb1' "$TMP/bn.err" || fail "no note about the weight files: $(cat "$TMP/bn.err")"
grep -qx 'network = dense:3,batchnorm:3,dropout:0.1,dense:1' "$TMP/bn/hyperparameters.txt" ||
    fail "hyperparameters.txt network: $(grep network "$TMP/bn/hyperparameters.txt")"
"$NNC" predict "$TMP/bn/model.nnc" <(printf '0.1\n0.5\n') >"$TMP/pred" 2>"$TMP/err" || fail "predict a batch-norm model: $(cat "$TMP/err")"
"$NNC" train sin --hidden 3 --epochs 200 --checkpoint 1 --eta 0.5 --patience 3 --out "$TMP" \
    --name pat -q >"$TMP/pat.log" 2>&1 || fail "patience run: $(tail -2 "$TMP/pat.log")"
"$NNC" train --resume "$TMP/pat/model.nnc" --epochs 300 -q >/dev/null 2>"$TMP/err" ||
    fail "resuming a run that kept its best weights: $(cat "$TMP/err")"
n=$(grep -c '^epoch=' "$TMP/pat.log")
[ "$n" -lt 200 ] || fail "--patience 3 did not stop early ($n checks)"
"$NNC" train sin --hidden 3 --epochs 300 --checkpoint 1 --stop diff:1e-3 --no-save -q \
    >"$TMP/diff.log" 2>&1 || fail "stop diff run"
n=$(grep -c '^epoch=' "$TMP/diff.log")
[ "$n" -lt 300 ] || fail "--stop diff:1e-3 did not stop early ($n checks)"

# --- --resume: N + N epochs = 2N, bit for bit, with every optimizer -----------
half=$((E / 2))
printf '0.05\n0.3\n0.61\n0.9\n' >"$TMP/x.csv"
for opt in sgd momentum nag adagrad adadelta rmsprop adam adamw; do
    for layers in "" "--batchnorm --dropout 0.2"; do
        tag="$opt${layers:+_bn}"
        # shellcheck disable=SC2086
        run "w_$tag" --optimizer "$opt" --eta 0.05 --split shuffled --lr-schedule step:every=3,factor=0.9 $layers
        # shellcheck disable=SC2086
        "$NNC" train sin --hidden 3 --epochs "$half" --checkpoint "$CK" --out "$TMP" --name "h_$tag" -q \
            --optimizer "$opt" --eta 0.05 --split shuffled --lr-schedule step:every=3,factor=0.9 $layers \
            >/dev/null 2>"$TMP/err" || fail "half run $tag: $(cat "$TMP/err")"
        "$NNC" train --resume "$TMP/h_$tag/model.nnc" --epochs "$E" -q >/dev/null 2>"$TMP/err" ||
            fail "resume $tag: $(cat "$TMP/err")"
        "$NNC" predict "$TMP/w_$tag/model.nnc" "$TMP/x.csv" >"$TMP/want" 2>/dev/null
        "$NNC" predict "$TMP/h_$tag/model.nnc" "$TMP/x.csv" >"$TMP/got" 2>/dev/null
        [ -s "$TMP/want" ] && cmp -s "$TMP/want" "$TMP/got" ||
            fail "$tag: $half + $half epochs predict otherwise than $E ($(paste -d' ' "$TMP/want" "$TMP/got" | head -2 | tr '\n' ' '))"
        cmp -s "$TMP/w_$tag/history.csv" "$TMP/h_$tag/history.csv" ||
            fail "$tag: the resumed history differs from the whole run's"
    done
done
expect_error 1 "cannot change" train --resume "$TMP/h_adam/model.nnc" --epochs 300 --optimizer sgd

# --- refusals ------------------------------------------------------------------
expect_error 1 "--dropout: rate 1 is not in [0, 1)" train sin --dropout 1 --no-save
expect_error 1 "--l2" train sin --l2 -1 --no-save
expect_error 1 "unknown key" train sin --optimizer adam:gamma=1 --no-save
expect_error 1 "unknown optimizer" train sin --optimizer adamx --no-save
expect_error 1 "--patience" train sin --patience 0 --no-save
expect_error 1 "--lr-schedule" train sin --lr-schedule step:every=0,factor=0.5 --no-save
expect_error 1 "--stop" train sin --stop diff:0 --no-save
expect_error 1 "--stop" train sin --stop what:1 --no-save
expect_error 1 "--stop" train sin --stop loss:-1 --no-save
expect_error 1 "--eps X is --stop loss:X" train sin --stop loss:0.1 --eps 0.1 --no-save
expect_error 1 "--split" train sin --split middle --no-save
expect_error 1 "--dropout: 3 rates for 1 hidden layers" train sin --dropout 0.1,0.2,0.3 --no-save

finish cli_framework
