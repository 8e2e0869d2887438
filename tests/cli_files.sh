#!/usr/bin/env bash
# What nnc writes, and where: permissions, long names, stale temporaries,
# one run per run folder, every output check before training, nothing
# learned ever lost, and text outputs that no file name can forge.
# Usage: cli_files.sh NNC DATA_DIR TMP_DIR
set -uo pipefail
NNC=$1 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
source "$(dirname "$0")/testlib.sh"
cd "$TMP" || exit 1
mode() { stat -c %a "$1"; }
awk 'BEGIN { print "x,y"; for (i = 0; i < 40; i++) printf "%g,%g\n", i / 40, sin(3 * i / 40) }' >d.csv
QUICK=(--train d.csv --test d.csv --epochs 20 --checkpoint 10 --quiet)
# A run that would take hours: what must fail does so before training.
BIG=(--train d.csv --test d.csv --epochs 100000000 --checkpoint 100000 --eps 0 --quiet)

# --- permissions: a replaced file keeps its mode; a new one takes the umask --
"$NNC" train "${QUICK[@]}" --out perm --name r >/dev/null 2>err || fail "first run: $(cat err)"
chmod 600 perm/r/model.nnc
"$NNC" train "${QUICK[@]}" --out perm --name r --seed 2 >/dev/null 2>err || fail "second run: $(cat err)"
[ "$(mode perm/r/model.nnc)" = 600 ] || fail "a 0600 model became $(mode perm/r/model.nnc) when rewritten"
(umask 077 && "$NNC" train "${QUICK[@]}" --out private --name r >/dev/null 2>err) || fail "umask 077 run: $(cat err)"
for f in model.nnc wb1.npz history.csv hyperparameters.txt report.html; do
    [ "$(mode "private/r/$f")" = 600 ] || fail "umask 077: $f is $(mode "private/r/$f"), want 600"
done
(umask 022 && "$NNC" train "${QUICK[@]}" --out shared --name r >/dev/null 2>err) || fail "umask 022 run: $(cat err)"
[ "$(mode shared/r/model.nnc)" = 644 ] || fail "umask 022: model.nnc is $(mode shared/r/model.nnc)"

# --- a 250-byte run name is a valid folder name, and works --------------------
long=$(printf 'n%.0s' $(seq 250))
"$NNC" train "${QUICK[@]}" --out longname --name "$long" >/dev/null 2>err || fail "250-byte --name: $(cat err)"
[ -s "longname/$long/model.nnc" ] || fail "no model under a 250-byte name"
# A 250-byte file name: its temporary must not be longer than the longest name.
file250=$(printf 'f%.0s' $(seq 248)).c
"$NNC" export-c perm/r/model.nnc -o "longname/$file250" 2>err || fail "export-c -o a 250-byte name: $(cat err)"
[ -s "longname/$file250" ] || fail "no file under a 250-byte name"

# --- stale temporaries of a killed writer go when the folder is next written ---
mkdir -p stale/r
touch -d '1 hour ago' stale/r/.nnc-12345-AbCd12     # any writer, an hour old
touch -d '2 minutes ago' stale/r/.nnc-999999999-Dead01 # no such process
touch stale/r/.nnc-999999999-Fresh1                  # just made: may be in flight
touch -d '1 hour ago' stale/r/notours.tmp.AbCd12     # not our pattern
"$NNC" train "${QUICK[@]}" --out stale --name r >/dev/null 2>err || fail "stale run: $(cat err)"
[ -e stale/r/.nnc-12345-AbCd12 ] && fail "an hour-old temporary was not cleaned"
[ -e stale/r/.nnc-999999999-Dead01 ] && fail "a dead writer's temporary was not cleaned"
[ -e stale/r/.nnc-999999999-Fresh1 ] || fail "a fresh temporary was removed"
[ -e stale/r/notours.tmp.AbCd12 ] || fail "a file not of our pattern was removed"

# --- one run per run folder: a second one at the same --out is refused --------
"$NNC" train "${BIG[@]}" --out lock --name r >/dev/null 2>lock.err &
first=$!
for _ in $(seq 100); do [ -e lock/r/.nnc.lock ] && break; sleep 0.1; done
sleep 0.2
start=$(date +%s)
expect_error 1 "lock/r is in use by another nnc run (process $first)" \
    train "${QUICK[@]}" --out lock --name r
[ $(($(date +%s) - start)) -le 5 ] || fail "the second run did not fail fast"
[ -s lock/r/model.nnc ] && fail "the refused run wrote into the first one's folder"
# A sweep writing into the same folder is refused too.
expect_error 1 "is in use by another nnc run" sweep --train d.csv --test d.csv --hidden 2 \
    --eta 0.1 --batch 10 --epochs 5 --checkpoint 5 --quiet --out lock/r

# --- nothing learned is lost: the run folder replaced by a file during training
rm -rf lock/r && touch lock/r
kill -INT "$first"
wait "$first"
rc=$?
[ $rc = 2 ] || fail "run whose folder went: exit status $rc, want 2 ($(cat lock.err))"
grep -q "lock/r: is not a folder" lock.err || fail "no word on the lost folder: $(cat lock.err)"
rescued=$(sed -n 's/.* so it was saved as \(.*\) instead .*/\1/p' lock.err)
[ -n "$rescued" ] && [ -s "$rescued" ] || fail "no rescued model named: $(cat lock.err)"
[ -n "$rescued" ] && "$NNC" predict "$rescued" d.csv --label -1 >/dev/null 2>err ||
    fail "the rescued model does not load: $(cat err)"
rm -f nnc-rescued-*.nnc

# --- every output check before training --------------------------------------
# (a run that got as far as training would take hours: the timeout makes such
# a regression a failure, not a hang)
printf '#!/bin/sh\nexec timeout 120 "%s" "$@"\n' "$NNC" >nnc-timed && chmod +x nnc-timed
UNTIMED=$NNC NNC=$TMP/nnc-timed
expect_error 1 "/proc/nope: cannot create folder" train "${BIG[@]}" --out /proc/nope
ln -s "$TMP/nowhere/x" dangling
expect_error 1 "dangling: is a symbolic link to no folder (dangling)" train "${BIG[@]}" --out . --name dangling
cp d.csv "$(printf 'bad\377name.csv')"
expect_error 1 "is not valid UTF-8 text: the model file could not record this run, so it was not started" \
    train --train "$(printf 'bad\377name.csv')" --test d.csv --epochs 100000000 --checkpoint 100000 --quiet
expect_error 1 "--name: a folder name may not hold control characters" \
    train "${BIG[@]}" --name "$(printf 'a\nb')"
NNC=$UNTIMED

# --- text outputs: a newline in a file's name cannot forge a line -------------
forged=$(printf 'nl\ntest_accuracy = 1.0\nx.csv')
cp d.csv "$forged"
"$NNC" train --train "$forged" --test d.csv --epochs 20 --checkpoint 10 --quiet --out forge \
    >/dev/null 2>err || fail "newline file name: $(cat err)"
H=$(ls -d forge/*/)hyperparameters.txt
[ "$(grep -c '^test_accuracy' "$H")" = 1 ] || fail "a file name forged a line in hyperparameters.txt: $(cat "$H")"
grep -qxF 'train_file = nl\ntest_accuracy = 1.0\nx.csv' "$H" || fail "train_file not escaped: $(cat "$H")"
[ "$(ls forge)" = 'nl_test_accuracy = 1_131' ] || fail "run folder named '$(ls forge)'"
R=$(ls -d forge/*/)report.html
[ "$(grep -c '<th>test_accuracy</th>' "$R")" = 1 ] || fail "a file name forged a row in report.html"

# --- --normalize is recorded (and so shown in the report) ---------------------
"$NNC" train "${QUICK[@]}" --out norm --name r --normalize minmax >norm.log 2>err || fail "normalize: $(cat err)"
grep -qx 'normalize = minmax' norm/r/hyperparameters.txt || fail "normalize not recorded"
# Numbers as the log prints them: the shortest text that reads back.
grep -qx "test_accuracy = $(tail -1 norm.log)" norm/r/hyperparameters.txt ||
    fail "hyperparameters.txt's test_accuracy is not the log's $(tail -1 norm.log): $(grep test_accuracy norm/r/hyperparameters.txt)"
grep -q '<tr><th>normalize</th><td>minmax</td></tr>' norm/r/report.html || fail "normalize not in the report"
grep -qx 'normalize = none' perm/r/hyperparameters.txt || fail "normalize none not recorded"
"$NNC" train --resume norm/r/model.nnc --epochs 40 --quiet >/dev/null 2>err || fail "resume: $(cat err)"
grep -qx 'normalize = minmax' norm/r/hyperparameters.txt || fail "a resumed run lost normalize"

# --- numbers: the shortest text that reads back the same, never %.17g noise ----
# Each number in history.csv reads back as the double that was computed: the
# shortest form has at most 17 significant digits, and a value the double
# build prints as 0.85 is 0.85, not 0.84999999999999998.
awk -F, 'NR > 1 { for (i = 3; i <= 6; i++) { s = $i; sub(/^-/, "", s); sub(/e.*/, "", s); gsub(/[.]/, "", s); sub(/^0+/, "", s); if (length(s) > 17) bad = bad " " $i } } END { if (bad) { print bad; exit 1 } }' \
    norm/r/history.csv >/dev/null || fail "history.csv has numbers longer than 17 digits"

# --- stdout that cannot be written fails the command (2), named once ---------
for args in "eval --model perm/r --train d.csv --test d.csv" \
            "plot perm/r/history.csv --out full.svg" \
            "sweep --train d.csv --test d.csv --hidden 2 --eta 0.1 --batch 10 --epochs 5 --checkpoint 5 --quiet --out full" \
            "train ${QUICK[*]} --out full --name t" "train --help" "sweep --help"; do
    # shellcheck disable=SC2086
    "$NNC" $args >/dev/full 2>err </dev/null
    rc=$?
    [ $rc = 2 ] || fail "nnc $args >/dev/full: exit status $rc, want 2"
    [ "$(grep -c 'cannot write standard output: No space left on device' err)" = 1 ] ||
        fail "nnc $args >/dev/full: message '$(cat err)'"
done

finish cli_files
