#!/usr/bin/env bash
# nnc eval on what nnc train writes: a run folder or its model.nnc scores
# the run's own data with the model's task, activations and scaling (the
# figures the run printed), other data gives a warning, --task must match,
# --activation replaces the model's.  (Textbook folders: cli_convert.sh.)
# Usage: cli_eval.sh NNC DATA_DIR TMP_DIR
set -uo pipefail
NNC=$1 DATA=$2 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
source "$(dirname "$0")/testlib.sh"

# train_run NAME ARGS...: a run folder TMP/NAME; its printed test accuracy
# (the last line of its output) in TMP/NAME.acc.
train_run() {
    local name=$1
    shift
    "$NNC" train "$@" --quiet --out "$TMP" --name "$name" >"$TMP/$name.log" 2>"$TMP/err" ||
        fail "training $name exited $?: $(cat "$TMP/err")"
    tail -1 "$TMP/$name.log" >"$TMP/$name.acc"
}

# same_score NAME MODEL [ARGS...]: nnc eval --model MODEL prints the run's
# test accuracy, and nothing on stderr.
same_score() {
    local name=$1 model=$2
    shift 2
    "$NNC" eval --model "$model" "$@" >"$TMP/out" 2>"$TMP/err" ||
        { fail "eval --model $model exited $?: $(cat "$TMP/err")"; return; }
    [ "$(tail -1 "$TMP/out")" = "$(cat "$TMP/$name.acc")" ] ||
        fail "eval --model $model scores $(tail -1 "$TMP/out"), the run printed $(cat "$TMP/$name.acc")"
    [ -s "$TMP/err" ] && fail "eval --model $model said: $(cat "$TMP/err")"
    head -1 "$TMP/out" | grep -q '^loss_valid=[0-9.]*, accuracy_valid=-\?[0-9.]*$' ||
        fail "eval --model $model: first line '$(head -1 "$TMP/out")'"
}

# --- a run on composite is scored on composite, folder or file -----------
train_run comp composite --epochs 50
same_score comp "$TMP/comp"
same_score comp "$TMP/comp/model.nnc"
# ... with the run's own validation figures too (hyperparameters.txt).
lv=$(sed -n 's/^loss_valid = //p' "$TMP/comp/hyperparameters.txt")
"$NNC" eval --model "$TMP/comp" >"$TMP/out" 2>/dev/null
[ "$(head -1 "$TMP/out")" = "$(printf 'loss_valid=%.6f' "$lv"), accuracy_valid=$(printf '%f' "$(sed -n 's/^accuracy_valid = //p' "$TMP/comp/hyperparameters.txt")")" ] ||
    fail "eval's validation line '$(head -1 "$TMP/out")', the run's loss_valid $lv"

# --- other data: scored, with a warning ------------------------------------
"$NNC" eval --model "$TMP/comp" sin >"$TMP/out" 2>"$TMP/err" || fail "eval on sin: $(cat "$TMP/err")"
grep -q "warning: $TMP/comp/model.nnc was trained on other data (composite, SHA-256 .*; this data sin, .*)" "$TMP/err" ||
    fail "no warning for other data: '$(cat "$TMP/err")'"
[ "$(tail -1 "$TMP/out")" = "$(cat "$TMP/comp.acc")" ] && fail "sin scored as composite"

# --- the task comes from the model; --activation replaces its own --------
expect_error 1 "--task binary does not match $TMP/comp/model.nnc, a fitting model" \
    eval --model "$TMP/comp" --task binary
"$NNC" eval --model "$TMP/comp" --task fitting >"$TMP/out" 2>/dev/null &&
    [ "$(tail -1 "$TMP/out")" = "$(cat "$TMP/comp.acc")" ] || fail "--task fitting (the model's own)"
"$NNC" eval --model "$TMP/comp" --activation relu >"$TMP/out" 2>"$TMP/err" ||
    fail "--activation relu: $(cat "$TMP/err")"
[ "$(tail -1 "$TMP/out")" = "$(cat "$TMP/comp.acc")" ] && fail "--activation relu changed nothing"
expect_error 1 "valid names" eval --model "$TMP/comp" --activation nosuch

# --- scaling and file data recorded by the model ---------------------------
train_run norm composite --normalize minmax --epochs 30
same_score norm "$TMP/norm"
awk 'BEGIN { print "x,y"; for (i = 0; i < 60; i++) printf "%g,%g\n", i / 60, (i / 60) ^ 2 }' >"$TMP/sq.csv"
train_run sq --train "$TMP/sq.csv" --test "$TMP/sq.csv" --epochs 20 --checkpoint 1
same_score sq "$TMP/sq/model.nnc"
# a three-class model numbered from 1 keeps its labels
awk 'BEGIN { srand(3); print "a,b,y"; for (i = 0; i < 90; i++) { c = i % 3; printf "%g,%g,%d\n", c + rand() / 2, rand(), c + 1 } }' >"$TMP/three.csv"
train_run three --train "$TMP/three.csv" --test "$TMP/three.csv" --task multiclass --epochs 20
same_score three "$TMP/three"
awk 'BEGIN { srand(4); print "a,b,y"; for (i = 0; i < 90; i++) { c = i % 3; printf "%g,%g,%d\n", c + rand() / 2, rand(), c } }' >"$TMP/three0.csv"
expect_error 1 "numbers its classes from label 1, but the smallest training label here is 0" \
    eval --model "$TMP/three" --train "$TMP/three0.csv" --test "$TMP/three0.csv"

# --- what eval cannot use ---------------------------------------------------
expect_error 1 "$TMP/none: no such model file or folder" eval --model "$TMP/none"
expect_error 1 "--model MODEL is required" eval sin
printf "not a model file" >"$TMP/junk.nnc"
expect_error 1 "$TMP/junk.nnc: not an nnc model file" eval --model "$TMP/junk.nnc"
"$NNC" eval --help | grep "a run folder of nnc train" >/dev/null || fail "eval --help says nothing of run folders"

finish cli_eval
