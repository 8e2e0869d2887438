#!/usr/bin/env bash
# The live side of nnc train: the progress bar appears on a terminal (and
# only there), and Ctrl-C (SIGINT) stops training cleanly, saving the run.
# Usage: cli_progress.sh NNC DATA_DIR TMP_DIR
set -uo pipefail
NNC=$1 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
source "$(dirname "$0")/testlib.sh"
LONG=(train composite --eps 0 --epochs 100000000 --checkpoint 500 --out "$TMP")

# Ctrl-C: exit status 130, a message, and a complete run folder.
"$NNC" "${LONG[@]}" --name interrupted >"$TMP/int.log" 2>"$TMP/int.err" &
pid=$!
# Interrupt once training runs (its first check is printed), not before the
# handler is in place.
for _ in $(seq 300); do
    grep -q '^epoch=' "$TMP/int.log" 2>/dev/null && break
    sleep 0.1
done
sleep 0.3
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || fail "interrupted run exited $rc, want 130"
grep -q 'interrupted after' "$TMP/int.err" || fail "no interruption message: $(cat "$TMP/int.err")"
for f in wb1.npz wb2.npz history.csv report.html; do
    [ -s "$TMP/interrupted/$f" ] || fail "interrupted run lacks $f"
done
grep -qx 'interrupted = 1' "$TMP/interrupted/hyperparameters.txt" || fail "hyperparameters.txt does not say interrupted"
[ "$(tail -2 "$TMP/int.log" | head -1)" = "testing..." ] || fail "interrupted run did not test"

# The bar: on a pseudo-terminal (script(1)) it shows and is erased before
# log lines; piped, or with --quiet, stderr has no bar at all.
if command -v script >/dev/null 2>&1; then
    script -qec "'$NNC' train composite --eps 0 --epochs 20000 --checkpoint 10000 --no-save" /dev/null >"$TMP/tty.out" 2>&1
    grep -q 'it/s ETA' "$TMP/tty.out" || fail "no progress bar on a terminal"
    grep -q $'\r\033\\[K' "$TMP/tty.out" || fail "the bar is never erased"
    # What the terminal shows: each line from its last carriage return on.
    grep -q '^epoch=19999, total_iteration=1799999$' <(sed 's/\r$//; s/.*\r//; s/\x1b\[K//g' "$TMP/tty.out") ||
        fail "log line missing or mixed with the bar on a terminal"
    script -qec "'$NNC' train sin --epochs 3000 --checkpoint 1000 --no-save --quiet" /dev/null >"$TMP/quiet.out" 2>&1
    grep -q 'it/s' "$TMP/quiet.out" && fail "--quiet still shows the bar"
else
    echo "SKIP terminal checks: script(1) not installed"
fi
"$NNC" train sin --epochs 3000 --checkpoint 1000 --no-save >/dev/null 2>"$TMP/pipe.err"
grep -q 'it/s' "$TMP/pipe.err" && fail "the bar shows when stderr is not a terminal"

finish cli_progress
