#!/usr/bin/env bash
# Every subcommand once, on small work: in the reduced valgrind run of
# `make test` this script stands for the other cli_*.sh scripts (which the
# float, double and sanitizer builds, and CI's valgrind build, run whole), so
# that every file of cli/ still runs under memcheck there.  Elsewhere it is a
# quick tour that checks each command's main result.
# Usage: cli_memcheck.sh NNC DATA_DIR TMP_DIR
set -uo pipefail
NNC=$1 DATA=$2 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
source "$(dirname "$0")/testlib.sh"

run() { # run NAME ARGS...: nnc ARGS must exit 0; stdout in $TMP/NAME.out
    local name=$1
    shift
    "$NNC" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null ||
        fail "nnc $*: exit status $? ($(head -3 "$TMP/$name.err"))"
}

# train (data.c, report.c, the charts) and the files of a run folder
run train train sin --epochs 20 --checkpoint 10 --out "$TMP" --name m --quiet
for f in model.nnc wb1.npz wb2.npz history.csv hyperparameters.txt history.svg result.svg report.html; do
    [ -s "$TMP/m/$f" ] || fail "train left no $f"
done
grep -q '^testing\.\.\.$' "$TMP/train.out" || fail "train printed no test: $(cat "$TMP/train.out")"
# a multiclass CSV run (labels 1..3, the decision chart)
awk 'BEGIN { print "x,y,label"; for (i = 0; i < 60; i++) printf "%.3f,%.3f,%d\n", (i % 7) / 7, (i % 5) / 5, 1 + i % 3 }' >"$TMP/three.csv"
run mc train --train "$TMP/three.csv" --test "$TMP/three.csv" --task multiclass --hidden 4 \
    --epochs 5 --out "$TMP" --name mc --quiet
# the progress bar (progress.c) on a pseudo-terminal
if command -v script >/dev/null 2>&1; then
    script -qec "'$NNC' train sin --epochs 30 --checkpoint 10 --no-save" /dev/null >"$TMP/tty.out" 2>&1 ||
        fail "train on a terminal: $(tail -3 "$TMP/tty.out")"
fi
run resume train --resume "$TMP/m/model.nnc" --epochs 30 --out "$TMP" --name m2 --quiet
run eval eval --model "$TMP/m/model.nnc"
grep -q '^loss_valid=' "$TMP/eval.out" || fail "eval: $(cat "$TMP/eval.out")"
printf 'x\n0.25\n0.5\n' >"$TMP/in.csv"
run predict predict "$TMP/m/model.nnc" "$TMP/in.csv"
[ "$(wc -l <"$TMP/predict.out")" = 3 ] || fail "predict gave $(wc -l <"$TMP/predict.out") lines for 2 samples and a header"
run convert convert "$TMP/m/model.nnc" "$TMP/book"
[ -s "$TMP/book/wb2.npz" ] || fail "convert wrote no wb2.npz"
run export export-c "$TMP/m/model.nnc" -o "$TMP/m.c"
grep -q 'double' "$TMP/m.c" || grep -q 'float' "$TMP/m.c" || fail "export-c wrote no function"
run activations activations sigmoid --at 0
grep -q '^0 0.5 0.25$' "$TMP/activations.out" || fail "activations sigmoid --at 0: $(cat "$TMP/activations.out")"
run act_plot activations --plot "$TMP/act"
run steps steps
grep -q '67 steps' "$TMP/steps.out" || fail "steps: $(cat "$TMP/steps.out")"
run plot plot "$TMP/m/history.csv" "$TMP/m2/history.csv" --out "$TMP/cmp.svg"
[ -s "$TMP/cmp.svg" ] || fail "plot wrote no chart"
run sweep sweep sin --hidden 1,2 --eta 0.5 --epochs 5 --jobs 2 --out "$TMP/sweep"
[ -s "$TMP/sweep/sweep.csv" ] || fail "sweep wrote no sweep.csv"
run bench bench --layers 2,4,2 --rows 64 --batch 16 --epochs 1
grep -q 'FLOP' "$TMP/bench.out" || fail "bench: $(head -3 "$TMP/bench.out")"
# a refusal on the way (util.c's checks)
expect_error 1 "--eta" train sin --eta -1

finish cli_memcheck
