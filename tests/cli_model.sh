#!/usr/bin/env bash
# nnc train's model file end to end: model.nnc in the run folder, --resume
# carrying on bit for bit, --normalize, divergence keeping the last good
# weights, a run killed in the middle of saving, a full disk and too little
# memory.  Usage: cli_model.sh NNC DATA_DIR TMP_DIR
set -uo pipefail
NNC=$1 DATA=$2 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
source "$(dirname "$0")/testlib.sh"
source "$(dirname "$0")/craft_model.sh"
# Under valgrind (the nnc-memcheck wrapper) every run is ~50x slower: the
# heavy cases below are left to the other builds.
case "$NNC" in *memcheck*) SLOW=1 ;; *) SLOW=0 ;; esac

# --- a run folder holds model.nnc, and predict reads it -----------------
"$NNC" train sin --epochs 200 --quiet --out "$TMP" --name full >"$TMP/full.log" 2>"$TMP/err" ||
    fail "training exited $?: $(cat "$TMP/err")"
[ -s "$TMP/full/model.nnc" ] || fail "no model.nnc in the run folder"
ls -A "$TMP/full" | grep -q '^\.nnc-' && fail "temporary files left in the run folder"

# --- resume: 100 + 100 epochs give bitwise the weights of 200 -----------
"$NNC" train sin --epochs 100 --quiet --out "$TMP" --name half >"$TMP/half.log" 2>"$TMP/err" ||
    fail "first half exited $?: $(cat "$TMP/err")"
"$NNC" train --resume "$TMP/half/model.nnc" --epochs 200 --quiet >"$TMP/rest.log" 2>"$TMP/err" ||
    fail "resume exited $?: $(cat "$TMP/err")"
for f in wb1.npz wb2.npz history.csv; do
    cmp -s "$TMP/full/$f" "$TMP/half/$f" || fail "resumed run's $f differs from the straight run's"
done
# The log carries on where it stopped: its first check is the first after epoch 99.
head -1 "$TMP/rest.log" | grep -qx 'epoch=149, total_iteration=6749' ||
    fail "resumed log starts with '$(head -1 "$TMP/rest.log")'"
grep -q '^resumed_from' <(strings "$TMP/half/model.nnc") || fail "no resumed_from in the model's provenance"
# Resuming on the data the model names itself gives no note.
"$NNC" train composite --epochs 20 --quiet --out "$TMP" --name other >/dev/null 2>&1
"$NNC" train --resume "$TMP/other/model.nnc" --epochs 40 --quiet --no-save >/dev/null 2>"$TMP/err" ||
    fail "resume on composite exited $?: $(cat "$TMP/err")"
grep -q "note" "$TMP/err" && fail "same data gave a note: $(cat "$TMP/err")"
# Other data: taken with a note when it has as many training rows (the
# shuffle order carries on), else refused in one message, before any note.
"$NNC" train --resume "$TMP/half/model.nnc" composite --epochs 300 --quiet --no-save >/dev/null 2>"$TMP/err"
[ $? = 1 ] || fail "resume of a sin model on composite exited 0"
[ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "was trained on other data of 450 training rows; this data has 900 (1000 rows less the 100 validation rows)" "$TMP/err" ||
    fail "resume on other data of another size: $(cat "$TMP/err")"
grep -q "carrying on" "$TMP/err" && fail "refused resume still says it carries on: $(cat "$TMP/err")"
awk 'BEGIN { print "x,y"; for (i = 0; i < 500; i++) printf "%g,%g\n", i / 500, i / 800 }' >"$TMP/line500.csv"
"$NNC" train --resume "$TMP/half/model.nnc" --train "$TMP/line500.csv" --test "$TMP/line500.csv" \
    --epochs 300 --quiet --no-save >/dev/null 2>"$TMP/err" || fail "resume on 500 other rows: $(cat "$TMP/err")"
grep -q "note: .* was trained on other data (SHA-256 .*) of as many training rows; carrying on with this data" "$TMP/err" ||
    fail "resume on other data of the same size: no note: $(cat "$TMP/err")"
# ... and a model trained on files finds them again.
awk 'BEGIN { print "x,y"; for (i = 0; i < 40; i++) printf "%g,%g\n", i / 40, i / 80 }' >"$TMP/line.csv"
"$NNC" train --train "$TMP/line.csv" --test "$TMP/line.csv" --epochs 5 --checkpoint 1 --quiet \
    --out "$TMP" --name line >/dev/null 2>&1
"$NNC" train --resume "$TMP/line/model.nnc" --epochs 10 --quiet >"$TMP/line.log" 2>"$TMP/err" ||
    fail "resume on line.csv exited $?: $(cat "$TMP/err")"
grep -q "note" "$TMP/err" && fail "same CSV gave a note: $(cat "$TMP/err")"
[ "$(grep -c '^epoch=' "$TMP/line.log")" = 5 ] || fail "resumed CSV run: $(cat "$TMP/line.log")"
grep -q "train_file = $TMP/line.csv" "$TMP/line/hyperparameters.txt" ||
    fail "resumed run's settings lost the data file: $(cat "$TMP/line/hyperparameters.txt")"
# A model that has done its epochs says so; the network cannot be changed.
"$NNC" train --resume "$TMP/full/model.nnc" --epochs 200 >/dev/null 2>"$TMP/err"
[ $? = 1 ] && grep -q "already trained 200 epochs" "$TMP/err" || fail "finished model: $(cat "$TMP/err")"
"$NNC" train --resume "$TMP/full/model.nnc" --hidden 4 >/dev/null 2>"$TMP/err"
[ $? = 1 ] && grep -q "cannot change them" "$TMP/err" || fail "--hidden with --resume: $(cat "$TMP/err")"
"$NNC" train --resume "$TMP/nothing.nnc" >/dev/null 2>"$TMP/err"
[ $? = 1 ] && grep -q "nothing.nnc" "$TMP/err" || fail "missing model: $(cat "$TMP/err")"
printf 'not a model' >"$TMP/junk.nnc"
"$NNC" train --resume "$TMP/junk.nnc" >/dev/null 2>"$TMP/err"
[ $? = 1 ] && grep -q "junk.nnc" "$TMP/err" || fail "junk model: $(cat "$TMP/err")"

# --- one layer limit (64): deeper models are refused, not copied ---------
# (68 layers overflowed --resume's int widths[67]; 10,000 crashed it.)
for n in 65 68 10000; do
    craft_model "$TMP/deep$n.nnc" $n
    expect_error 1 "$TMP/deep$n.nnc: section 'ARCH' at offset 16: n_layers = $n is more than the 64 layers a model may have" \
        train --resume "$TMP/deep$n.nnc" sin --epochs 5 --no-save
    expect_error 1 "n_layers = $n is more than the 64 layers" predict "$TMP/deep$n.nnc" "$TMP/line.csv"
done
# 64 layers are read (this one then fails on its empty sample order).
craft_model "$TMP/deep64.nnc" 64
expect_error 1 "was trained on data of 0 training rows" train --resume "$TMP/deep64.nnc" sin --epochs 5 --no-save
expect_error 1 "--hidden: at most 63 values" train sin --hidden "$(seq -s, 64)" --no-save
expect_error 1 "--layers: at most 65 values" train sin --layers "$(seq -s, 66)" --no-save
expect_error 1 "--layers: at most 65 values" bench --layers "$(seq -s, 66)"
# --- a training state whose generator would draw one value forever --------
craft_model "$TMP/rng0.nnc" 2 0 0
expect_error 1 "field 'rng_inc' at offset 228 is 0, an even number" \
    train --resume "$TMP/rng0.nnc" sin --epochs 5 --no-save

# --- --normalize: the scaling is kept, so raw inputs predict the same ----
"$NNC" train composite --normalize minmax --epochs 300 --quiet --out "$TMP" --name norm \
    >/dev/null 2>"$TMP/err" || fail "--normalize run exited $?: $(cat "$TMP/err")"
"$NNC" train sin --normalize maybe --no-save >/dev/null 2>"$TMP/err"
[ $? = 1 ] && grep -q "none or minmax" "$TMP/err" || fail "--normalize maybe: $(cat "$TMP/err")"

# --- argument checks say why ---------------------------------------------
"$NNC" train sin --eps -1 --no-save >/dev/null 2>"$TMP/err"
[ $? = 1 ] && grep -q -- "--eps must be >= 0" "$TMP/err" || fail "--eps -1: $(cat "$TMP/err")"
"$NNC" train sin --epochs 10 --checkpoint 20 --no-save >/dev/null 2>"$TMP/err"
[ $? = 1 ] && grep -q "no check would run" "$TMP/err" || fail "--checkpoint > --epochs: $(cat "$TMP/err")"
"$NNC" train sin --task multiclass --no-save >/dev/null 2>"$TMP/err"
[ $? = 1 ] && grep -q "at least 2 outputs\|integers" "$TMP/err" || fail "softmax on one output: $(cat "$TMP/err")"

# --- divergence: exit 3, the layer named, the last good weights saved ---
"$NNC" train sin --eta 1e6 --checkpoint 1 --quiet --out "$TMP" --name wild >/dev/null 2>"$TMP/err"
[ $? = 3 ] || fail "divergent run exited $? (want 3): $(cat "$TMP/err")"
grep -q "layer [0-9]" "$TMP/err" || fail "divergence message names no layer: $(cat "$TMP/err")"
grep -q "epoch [0-9]" "$TMP/err" || fail "divergence message names no epoch: $(cat "$TMP/err")"
[ -s "$TMP/wild/model.nnc" ] || fail "diverged run saved no model"
# ... and the saved weights are finite: they carry on with a sane rate.
"$NNC" train --resume "$TMP/wild/model.nnc" --eta 0.1 --epochs 20 --quiet --no-save \
    >/dev/null 2>"$TMP/err" || fail "resuming after divergence with --eta 0.1: $(cat "$TMP/err")"

if [ "$SLOW" = 1 ]; then
    [ $failures = 0 ] && echo "cli_model: all checks passed (kill, disk-full and memory cases skipped under valgrind)"
    exit $((failures > 0))
fi

# --- killed in the middle of saving: the old model.nnc survives ---------
# 20 samples and two hidden layers of 1500: a 9 MB model file, so saving
# takes long enough to be caught with its temporary file open.
awk 'BEGIN { print "x,y"; for (i = 0; i < 20; i++) printf "%g,%g\n", i / 20, i / 40 }' >"$TMP/tiny.csv"
BIG=(train --train "$TMP/tiny.csv" --test "$TMP/tiny.csv" --hidden 1500,1500 --batch -1
     --epochs 1 --checkpoint 1 --quiet --out "$TMP" --name big)
"$NNC" "${BIG[@]}" >/dev/null 2>"$TMP/err" || fail "big run exited $?: $(cat "$TMP/err")"
cp "$TMP/big/model.nnc" "$TMP/first.nnc"
# The model's temporary: one of the folder's .nnc-<pid>-XXXXXX files that
# starts as a model file does (the weight files' start with PK).
model_tmp() {
    local t
    for t in "$TMP"/big/.nnc-*-??????; do
        [ -f "$t" ] && [ "$(head -c 4 "$t" 2>/dev/null | tail -c 3)" = NNC ] && return 0
    done
    return 1
}
caught=0
for seed in 2 3 4 5 6 7 8 9; do
    "$NNC" "${BIG[@]}" --seed "$seed" >/dev/null 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        if model_tmp; then
            kill -9 "$pid" 2>/dev/null
            break
        fi
    done
    wait "$pid" 2>/dev/null
    if model_tmp; then
        # Killed while the new file was half written: the old one is intact.
        caught=$((caught + 1))
        cmp -s "$TMP/big/model.nnc" "$TMP/first.nnc" || fail "model.nnc changed by a killed save (seed $seed)"
    else
        cp "$TMP/big/model.nnc" "$TMP/first.nnc" # the save finished first: the new model stands
    fi
    rm -f "$TMP"/big/.nnc-*-??????
    "$NNC" predict "$TMP/big/model.nnc" "$TMP/tiny.csv" --label -1 >/dev/null 2>"$TMP/err" ||
        fail "model.nnc unreadable after a kill (seed $seed): $(cat "$TMP/err")"
    [ $caught -ge 2 ] && break
done
[ $caught -ge 1 ] || fail "never caught a save in progress in 8 tries"

# --- a full disk: a clear error, exit 2, no half-written file ------------
# ulimit -f makes writes past 64 KiB fail (EFBIG) as a full disk would.
(
    trap '' XFSZ
    ulimit -f 64
    exec "$NNC" train sin --hidden 200,200 --epochs 2 --quiet --out "$TMP" --name disk
) >/dev/null 2>"$TMP/err"
rc=$?
[ $rc = 2 ] || fail "full disk: exit $rc (want 2): $(cat "$TMP/err")"
grep -q "model.nnc" "$TMP/err" || fail "full disk: message names no file: $(cat "$TMP/err")"
[ -e "$TMP/disk/model.nnc" ] && fail "full disk left a model.nnc"
compgen -G "$TMP/disk/.nnc-*-??????" >/dev/null && fail "full disk left temporary files"

# --- too little memory: an error, not a crash -----------------------------
# (Sanitizer builds reserve terabytes of shadow memory and cannot run under
# a memory limit at all; the probe run tells.)
if (ulimit -v 400000; timeout 60 "$NNC" --version) >/dev/null 2>&1; then
    (ulimit -v 400000; exec "$NNC" train sin --hidden 20000,20000 --epochs 1 --no-save) \
        >/dev/null 2>"$TMP/err"
    rc=$?
    [ $rc = 2 ] && grep -q "out of memory" "$TMP/err" || fail "out of memory: exit $rc: $(cat "$TMP/err")"
fi

[ $failures = 0 ] && echo "cli_model: all checks passed (caught $caught saves in progress)"
exit $((failures > 0))
