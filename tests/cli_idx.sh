#!/usr/bin/env bash
# nnc train / nnc eval on IDX files (the MNIST format): tiny images written
# here byte by byte, raw and gzip, labels beside them (MNIST naming) or
# given by --train-labels/--test-labels, and the errors around them.
# Usage: cli_idx.sh NNC DATA_DIR TMP_DIR
set -uo pipefail
NNC=$1 DATA=$2 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP/d" "$TMP/out"
source "$(dirname "$0")/testlib.sh"

# Bytes from decimal values, with printf alone (no python needed).
bytes() { for v in "$@"; do printf "\\$(printf '%03o' "$v")"; done; }
be32() { bytes $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }

# N images of 2x2 u8 pixels in 3 classes: class k lights pixel k (pixel 3 is
# noise); labels 0 1 2 0 1 2 ...
make_set() { # images labels N
    local n=$3 i p c v
    {
        bytes 0 0 8 3; be32 "$n"; be32 2; be32 2
        for ((i = 0; i < n; i++)); do
            c=$((i % 3))
            for ((p = 0; p < 4; p++)); do
                if ((p == c)); then v=$((200 + i * 7 % 50)); else v=$((i * 13 % 40)); fi
                bytes "$v"
            done
        done
    } >"$1"
    {
        bytes 0 0 8 1; be32 "$n"
        for ((i = 0; i < n; i++)); do bytes $((i % 3)); done
    } >"$2"
}

D=$TMP/d
make_set "$D/train-images-idx3-ubyte" "$D/train-labels-idx1-ubyte" 90
make_set "$D/t10k-images-idx3-ubyte" "$D/t10k-labels-idx1-ubyte" 30
gzip -k "$D/train-images-idx3-ubyte" "$D/train-labels-idx1-ubyte" ||
    fail "gzip is missing"
[ "$(wc -c <"$D/train-images-idx3-ubyte")" = $((16 + 90 * 4)) ] || fail "images file size"

TRAIN=(--task multiclass --hidden 8 --eta 0.5 --batch 10 --epochs 300 --checkpoint 100 --eps 0 --seed 3 --quiet)

# --- MNIST naming: the labels are found beside the images; gzip and raw ----
"$NNC" train --train "$D/train-images-idx3-ubyte.gz" --test "$D/t10k-images-idx3-ubyte" \
    "${TRAIN[@]}" --out "$TMP/out" >"$TMP/log" 2>"$TMP/err" ||
    fail "training on IDX exited $?: $(cat "$TMP/err")"
grep -q '^epoch=299, total_iteration=' "$TMP/log" || fail "no last check line: $(tail -3 "$TMP/log")"
acc=$(tail -1 "$TMP/log")
awk -v a="$acc" 'BEGIN { exit !(a >= 0.9) }' || fail "test accuracy $acc < 0.9 on an easy set"
# the run is named after the folder of MNIST-named files: d_483
RUN=$TMP/out/d_483
[ -d "$RUN" ] || fail "run folder d_483 missing (have: $(ls "$TMP/out"))"
grep -q 'multiclass' "$RUN/hyperparameters.txt" 2>/dev/null || fail "hyperparameters.txt lacks the task"

# --- the same with explicit label files of any name ------------------------
cp "$D/train-images-idx3-ubyte" "$TMP/a.img"
cp "$D/train-labels-idx1-ubyte" "$TMP/a.lab"
cp "$D/t10k-images-idx3-ubyte" "$TMP/b.img"
cp "$D/t10k-labels-idx1-ubyte" "$TMP/b.lab"
"$NNC" train --train "$TMP/a.img" --train-labels "$TMP/a.lab" --test "$TMP/b.img" \
    --test-labels="$TMP/b.lab" "${TRAIN[@]}" --no-save >"$TMP/log2" 2>"$TMP/err" ||
    fail "training with --train-labels exited $?: $(cat "$TMP/err")"
[ "$(tail -1 "$TMP/log2")" = "$acc" ] || fail "same data, same seed, other accuracy: $(tail -1 "$TMP/log2") vs $acc"

# --- the older spelling train-images.idx3-ubyte, labels found beside it -----
mkdir -p "$TMP/old"
for s in train t10k; do
    cp "$D/$s-images-idx3-ubyte" "$TMP/old/$s-images.idx3-ubyte"
    cp "$D/$s-labels-idx1-ubyte" "$TMP/old/$s-labels.idx1-ubyte"
done
"$NNC" train --train "$TMP/old/train-images.idx3-ubyte" --test "$TMP/old/t10k-images.idx3-ubyte" \
    "${TRAIN[@]}" --no-save >"$TMP/log3" 2>"$TMP/err" ||
    fail "training on images.idx3 files exited $?: $(cat "$TMP/err")"
[ "$(tail -1 "$TMP/log3")" = "$acc" ] || fail "images.idx3 files: accuracy $(tail -1 "$TMP/log3") vs $acc"

# --- eval of the saved run on the same files --------------------------------
if [ -d "$RUN" ]; then
    "$NNC" eval --model "$RUN" --train "$TMP/a.img" --train-labels "$TMP/a.lab" \
        --test "$TMP/b.img" --test-labels "$TMP/b.lab" --task multiclass >"$TMP/eval" 2>&1 ||
        fail "eval on IDX exited $?: $(cat "$TMP/eval")"
    [ "$(tail -1 "$TMP/eval")" = "$acc" ] || fail "eval test accuracy $(tail -1 "$TMP/eval") != $acc"
fi

# --- errors: exit 1 and a message naming the problem -----------------------
expect_error() { # words args...
    local words=$1
    shift
    "$NNC" train "$@" --no-save --quiet >"$TMP/o" 2>"$TMP/e"
    local rc=$?
    [ "$rc" = 1 ] || fail "'$*' exited $rc, expected 1"
    grep -qF -- "$words" "$TMP/e" || fail "'$*': message lacks '$words': $(cat "$TMP/e")"
}
expect_error "IDX images with class labels need --task multiclass" \
    --train "$TMP/a.img" --train-labels "$TMP/a.lab" --test "$TMP/b.img" --test-labels "$TMP/b.lab"
expect_error "a.img is an IDX file: give its labels with --train-labels FILE" \
    --train "$TMP/a.img" --test "$TMP/b.img" --test-labels "$TMP/b.lab" --task multiclass
printf '1,2,3,4,0\n' >"$TMP/c.csv"
expect_error "a.img is an IDX file but $TMP/c.csv is not" \
    --train "$TMP/a.img" --train-labels "$TMP/a.lab" --test "$TMP/c.csv" --task multiclass
expect_error "--train-labels is for IDX image files" \
    --train "$TMP/c.csv" --train-labels "$TMP/a.lab" --test "$TMP/c.csv" --task multiclass
expect_error "--label picks CSV columns" --label 0 \
    --train "$TMP/a.img" --train-labels "$TMP/a.lab" --test "$TMP/b.img" --test-labels "$TMP/b.lab" --task multiclass
# image and label counts that differ: both files named
expect_error "b.img has 30 images but $TMP/a.lab has 90 labels" \
    --train "$TMP/a.img" --train-labels "$TMP/a.lab" --test "$TMP/b.img" --test-labels "$TMP/a.lab" --task multiclass
# a test label beyond the training classes
{ bytes 0 0 8 1; be32 30; for ((i = 0; i < 30; i++)); do bytes $((i % 4)); done; } >"$TMP/bad.lab"
expect_error "bad.lab: label 4 is 3, not a class from 0 to 2" \
    --train "$TMP/a.img" --train-labels "$TMP/a.lab" --test "$TMP/b.img" --test-labels "$TMP/bad.lab" --task multiclass
# a truncated images file: the byte counts
head -c 100 "$TMP/b.img" >"$TMP/short.img"
expect_error "short.img: the header declares 30 x 2 x 2 u8 (120 bytes of data), the file holds 84" \
    --train "$TMP/a.img" --train-labels "$TMP/a.lab" --test "$TMP/short.img" --test-labels "$TMP/b.lab" --task multiclass
# a single class cannot train a classifier
{ bytes 0 0 8 1; be32 90; for ((i = 0; i < 90; i++)); do bytes 0; done; } >"$TMP/one.lab"
expect_error "only class 0" \
    --train "$TMP/a.img" --train-labels "$TMP/one.lab" --test "$TMP/b.img" --test-labels "$TMP/b.lab" --task multiclass
expect_error "--train-labels goes with IDX images" --train-labels "$TMP/a.lab"

# --- inputs read once: pipes, "<(...)" and FIFOs ---------------------------
# (sniffing the format used to read a pipe's first bytes, so the loader got
# the rest, or hung on a FIFO whose writer had gone)
PIPE_ARGS=(--train-labels "$TMP/a.lab" --test "$TMP/b.img" --test-labels "$TMP/b.lab" --task multiclass
           --hidden 4 --epochs 2 --eps 0 --quiet --no-save)
timeout 60 "$NNC" train --train <(cat "$TMP/a.img") "${PIPE_ARGS[@]}" >"$TMP/o" 2>"$TMP/e" ||
    fail "train --train <(cat a.img) exited $?: $(cat "$TMP/e")"
mkfifo "$TMP/fifo.img"
cat "$TMP/a.img" >"$TMP/fifo.img" &
timeout 60 "$NNC" train --train "$TMP/fifo.img" "${PIPE_ARGS[@]}" >"$TMP/o" 2>"$TMP/e" ||
    fail "train --train FIFO exited $?: $(cat "$TMP/e")"
wait
# a CSV data set through pipes too, and predict's input
awk 'BEGIN { for (i = 0; i < 60; i++) printf "%g,%g\n", i / 60, (i / 60) * (i / 60) }' >"$TMP/sq.csv"
timeout 60 "$NNC" train --train <(cat "$TMP/sq.csv") --test <(cat "$TMP/sq.csv") --hidden 3 \
    --epochs 2 --eps 0 --quiet --out "$TMP/sqrun" >"$TMP/o" 2>"$TMP/e" ||
    fail "train on CSV pipes exited $?: $(cat "$TMP/e")"
MODEL=$(ls -d "$TMP"/sqrun/*/model.nnc 2>/dev/null | head -1)
if [ -n "$MODEL" ]; then
    timeout 60 "$NNC" predict "$MODEL" <(cut -d, -f1 "$TMP/sq.csv") >"$TMP/p1" 2>"$TMP/e" ||
        fail "predict <(...) exited $?: $(cat "$TMP/e")"
    [ "$(grep -c . "$TMP/p1")" = 61 ] || fail "predict <(...): $(grep -c . "$TMP/p1") lines, want 61"
    mkfifo "$TMP/fifo.csv"
    cut -d, -f1 "$TMP/sq.csv" >"$TMP/fifo.csv" &
    timeout 60 "$NNC" predict "$MODEL" "$TMP/fifo.csv" >"$TMP/p2" 2>"$TMP/e" ||
        fail "predict FIFO exited $?: $(cat "$TMP/e")"
    wait
    cmp -s "$TMP/p1" "$TMP/p2" || fail "predict: the FIFO and <(...) outputs differ"
    # standard input is bounded too
    seq 1 20000 | "$NNC" predict "$MODEL" --max-memory 64K >"$TMP/p4" 2>"$TMP/e"
    rc=$?
    [ $rc = 1 ] && grep -qF "standard input: more than 64 KB (see --max-memory)" "$TMP/e" ||
        fail "predict of 109 KB on stdin under --max-memory 64K: exit $rc: $(cat "$TMP/e")"
    # a .npz input through a pipe is still told from its bytes
    timeout 60 "$NNC" predict "$MODEL" <(cat "$DATA/ch08.test.npz") --max-memory 64M \
        >"$TMP/p3" 2>"$TMP/e" || fail "predict <(npz) exited $?: $(cat "$TMP/e")"
else
    fail "train on CSV pipes wrote no model (have: $(ls -R "$TMP/sqrun" 2>&1 | head -5))"
fi
# a device is refused at once, not read until memory runs out
expect_error "/dev/zero: a device or special file, not a regular file or a pipe" \
    --train /dev/zero --test "$TMP/c.csv"

# --- multi-member gzip (cat a.gz b.gz), as zcat reads it -------------------
head -c 100 "$TMP/a.img" | gzip -c >"$TMP/multi.img.gz"
tail -c +101 "$TMP/a.img" | gzip -c >>"$TMP/multi.img.gz"
"$NNC" train --train "$TMP/multi.img.gz" "${PIPE_ARGS[@]}" >"$TMP/o" 2>"$TMP/e" ||
    fail "train on a two-member gzip exited $?: $(cat "$TMP/e")"

# --- --max-memory -----------------------------------------------------------
# 1M labels (one of them 255) and 1M one-pixel images: two 1 KB gzip files
# whose one-hot labels need 1 GB
{ bytes 0 0 8 1; be32 1048576; head -c 524288 /dev/zero; bytes 255; head -c 524287 /dev/zero; } |
    gzip -9 >"$TMP/amp.lab.gz"
{ bytes 0 0 8 3; be32 1048576; be32 1; be32 1; head -c 1048576 /dev/zero; } | gzip -9 >"$TMP/amp.img.gz"
[ "$(wc -c <"$TMP/amp.lab.gz")" -lt 4096 ] || fail "amp.lab.gz is not small"
expect_error "amp.img.gz: 1048576 images of 1 values with one-hot labels of 256 classes would need " \
    --train "$TMP/amp.img.gz" --train-labels "$TMP/amp.lab.gz" --test "$TMP/b.img" --test-labels "$TMP/b.lab" \
    --task multiclass --max-memory 256M
grep -qF "GB (limit 256 MB; see --max-memory)" "$TMP/e" || fail "amp.img.gz: $(cat "$TMP/e")"
LIMIT_ARGS=(--train "$TMP/a.img" --train-labels "$TMP/a.lab" --test "$TMP/b.img" --test-labels "$TMP/b.lab"
            --task multiclass)
expect_error "a.img: reading the file would need 376 bytes (limit 50 bytes; see --max-memory)"     "${LIMIT_ARGS[@]}" --max-memory 50
expect_error "--max-memory: '12Q' is not a size" "${LIMIT_ARGS[@]}" --max-memory 12Q
"$NNC" train --help | grep -- "--max-memory SIZE" >/dev/null || fail "train --help lacks --max-memory"
for c in eval sweep predict plot; do
    "$NNC" $c --help | grep -- "--max-memory SIZE" >/dev/null || fail "$c --help lacks --max-memory"
done
# out of memory while loading (not a refusal) is a failure while running:
# exit 2; only where ulimit -v works: not under AddressSanitizer, nor under
# valgrind (NNC is then its wrapper script, and memcheck under a 300 MB
# address-space limit spins instead of starting)
if [ "$(head -c 2 "$NNC")" != '#!' ] &&
    (ulimit -v 300000 && timeout 60 "$NNC" --version) >/dev/null 2>&1; then
    (ulimit -v 300000 && exec "$NNC" train --train "$TMP/amp.img.gz" --train-labels "$TMP/amp.lab.gz" \
        --test "$TMP/b.img" --test-labels "$TMP/b.lab" --task multiclass --max-memory 4G \
        --no-save --quiet) >"$TMP/o" 2>"$TMP/e"
    rc=$?
    [ $rc = 2 ] || fail "out of memory while loading: exit $rc, want 2 ($(cat "$TMP/e"))"
    grep -q "out of memory" "$TMP/e" || fail "out of memory while loading: $(cat "$TMP/e")"
fi

finish cli_idx
