#!/usr/bin/env bash
# nnc sweep end to end: the grid's outputs, determinism whatever the number of
# threads, agreement with nnc train run by run, divergence kept in the table,
# and clear errors.
# Usage: cli_sweep.sh NNC DATA_DIR TMP_DIR
set -uo pipefail
NNC=$1 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
source "$(dirname "$0")/testlib.sh"

GRID=(composite --hidden 2,3 --eta 0.1,0.5 --batch 10,20 --epochs 100 --checkpoint 10)

# --- a 2 x 2 x 2 grid on two threads --------------------------------------
"$NNC" sweep "${GRID[@]}" --jobs 2 --out "$TMP/a" >"$TMP/a.out" 2>"$TMP/a.err" ||
    fail "sweep exited $?: $(cat "$TMP/a.err")"
A="$TMP/a"
[ "$(head -1 "$A/sweep.csv")" = "hidden,eta,batch,epochs_to_eps,stopped_early,status,final_loss_valid,final_accuracy_valid,test_accuracy,seconds" ] ||
    fail "sweep.csv header: $(head -1 "$A/sweep.csv")"
[ "$(wc -l <"$A/sweep.csv")" = 9 ] || fail "sweep.csv should have 8 rows and a header"
# Rows in grid order: hidden, then eta, then batch.
got=$(tail -n +2 "$A/sweep.csv" | cut -d, -f1-3 | tr '\n' ' ')
[ "$got" = "2,0.1,10 2,0.1,20 2,0.5,10 2,0.5,20 3,0.1,10 3,0.1,20 3,0.5,10 3,0.5,20 " ] ||
    fail "sweep.csv rows out of grid order: $got"
rows=$(grep -c '^| 1-[23]-1 | 0\.[15] | [12]0 | not reached | 0\.[0-9]\{6\} | 0\.[0-9]\{6\} | [0-9.]* |$' "$A/sweep.md")
[ "$rows" = 8 ] || fail "sweep.md should have 8 table rows, has $rows"
grep -q '^| shape | η | batch | epochs to reach eps | final loss_valid | test accuracy | time (s) |$' "$A/sweep.md" ||
    fail "sweep.md lacks the table header"
cmp -s "$A/sweep.md" "$TMP/a.out" || fail "stdout differs from sweep.md"
[ "$(grep -c '^nnc sweep: \[[1-8]/8\]' "$TMP/a.err")" = 8 ] || fail "expected 8 progress lines on stderr"
n_hist=$(ls "$A/histories" | wc -l)
[ "$n_hist" = 8 ] || fail "expected 8 histories, found $n_hist"
H="$A/histories/1-2-1_eta0.1_bz10.csv"
[ -s "$H" ] || fail "no history $H"
[ "$(head -1 "$H")" = "epoch,total_iteration,loss_train,accuracy_train,loss_valid,accuracy_valid" ] ||
    fail "history header"
[ "$(wc -l <"$H")" = 11 ] || fail "history should have 10 checks"
ls -RA "$A" | grep -q '^\.nnc-' && fail "a temporary file was left in $A"
for chart in loss_by_eta loss_by_batch loss_by_hidden accuracy_heatmap; do
    [ -s "$A/$chart.svg" ] || fail "no $chart.svg"
    grep -q '</svg>' "$A/$chart.svg" || fail "$chart.svg is not a whole SVG"
done

# --- determinism: one thread gives the same bytes (less the timings) ------
"$NNC" sweep "${GRID[@]}" --jobs 1 --quiet --out "$TMP/b" >/dev/null 2>"$TMP/b.err" ||
    fail "sweep --jobs 1: $(cat "$TMP/b.err")"
[ -s "$TMP/b.err" ] && fail "--quiet still printed: $(cat "$TMP/b.err")"
cmp -s <(cut -d, -f1-9 "$A/sweep.csv") <(cut -d, -f1-9 "$TMP/b/sweep.csv") ||
    fail "sweep.csv differs between --jobs 2 and --jobs 1"
diff -r "$A/histories" "$TMP/b/histories" >/dev/null || fail "histories differ between --jobs 2 and --jobs 1"

# --- each run is the run nnc train makes with the same settings -----------
for run in "2 0.1 10" "3 0.5 20"; do
    set -- $run
    "$NNC" train composite --hidden "$1" --eta "$2" --batch "$3" --epochs 100 --checkpoint 10 \
        --seed 1 --name "train_$1_$2_$3" --out "$TMP" >/dev/null 2>&1 || fail "nnc train $run"
    cmp -s "$TMP/train_$1_$2_$3/history.csv" "$A/histories/1-$1-1_eta$2_bz$3.csv" ||
        fail "sweep run $run differs from nnc train"
done
# Another seed: other initial weights, other histories.
"$NNC" sweep composite --hidden 2 --epochs 100 --checkpoint 10 --seed 2 --quiet --out "$TMP/c" \
    >/dev/null 2>&1 || fail "sweep --seed 2"
cmp -s "$TMP/c/histories/1-2-1_eta0.1_bz10.csv" "$H" && fail "--seed 2 gave the same history"
# One value per parameter: no comparison charts, no heat map.
ls "$TMP/c"/*.svg >/dev/null 2>&1 && fail "charts drawn for a single run"

# --- a diverging run is recorded, the others still run ---------------------
"$NNC" sweep sin --hidden 8 --activation relu --eta 0.1,1e6 --epochs 20 --checkpoint 1 --jobs 2 \
    --out "$TMP/d" >"$TMP/d.out" 2>"$TMP/d.err" || fail "a diverging run stopped the sweep: $(cat "$TMP/d.err")"
grep -q '^| 1-8-1 | 1000000 | 10 | diverged |' "$TMP/d.out" || fail "divergence not in the table: $(cat "$TMP/d.out")"
grep -q '^8,1000000,10,,0,diverged,' "$TMP/d/sweep.csv" || fail "divergence not in sweep.csv"
grep -q '^8,0.1,10,,0,ok,' "$TMP/d/sweep.csv" || fail "the good run is missing"

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
expect_error "--jobs: 0 is out of range" sweep --jobs 0 --out "$TMP/x"
expect_error "--hidden: 'x' is not a finite number" sweep --hidden 2,x --out "$TMP/x"
expect_error "--hidden: '2.5' is not a whole number" sweep --hidden 2.5 --out "$TMP/x"
expect_error "--eta must be positive" sweep --eta 0.1,-1 --out "$TMP/x"
expect_error "--batch: '0' is not a whole number" sweep --batch 10,0 --out "$TMP/x"
expect_error "--eta: '' is not a finite number" sweep --eta 0.1, --out "$TMP/x"
expect_error "unknown option '--bogus'" sweep --bogus
expect_error "unknown data set 'cosine'" sweep cosine
[ -e "$TMP/x" ] && fail "a failed sweep wrote $TMP/x"

"$NNC" sweep --help | grep -- '--jobs' >/dev/null || fail "sweep --help"

finish cli_sweep
