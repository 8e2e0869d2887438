#!/usr/bin/env bash
# nnc predict end to end: the textbook's sin_111 weights (through nnc convert)
# predict what an independent computation says and score eval's test figure;
# every input kind gives the same numbers; classifiers' label columns; clear
# errors with the right exit status.
# Usage: cli_predict.sh NNC DATA_DIR TMP_DIR
set -uo pipefail
NNC=$1 DATA=$2 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
source "$(dirname "$0")/testlib.sh"
if "$NNC" --version | grep double >/dev/null; then REAL=double; else REAL=float; fi
PY=
if command -v python3 >/dev/null; then PY=python3; else echo "cli_predict: no python3: independent checks skipped"; fi

SIN="$DATA/ch09-weights/sin_111"
"$NNC" convert "$SIN" "$TMP/sin.nnc" 2>"$TMP/err" || fail "convert sin_111: $(cat "$TMP/err")"
"$NNC" predict "$TMP/sin.nnc" "$DATA/ch08.test.npz" >"$TMP/test.csv" 2>"$TMP/err" ||
    fail "predict on ch08.test.npz: $(cat "$TMP/err")"
[ "$(head -1 "$TMP/test.csv")" = y ] || fail "fitting header: $(head -1 "$TMP/test.csv")"
[ -z "$(cat "$TMP/err")" ] || fail "predict wrote to stderr: $(cat "$TMP/err")"

# --- the numbers: an independent computation, and eval's test figure --------
# The R² of predict's numbers against the test labels, summed as the library
# sums it (labels rounded to the model's type), must print exactly the
# figure nnc eval prints for the textbook's weights.
if [ -n "$PY" ]; then
    "$NNC" eval --model "$SIN" >"$TMP/eval" 2>&1 || fail "eval sin_111: $(cat "$TMP/eval")"
    "$PY" - "$DATA" "$SIN" "$TMP/test.csv" "$REAL" "$(tail -1 "$TMP/eval")" "$TMP" <<'EOF' || fail "python checks (above)"
import ast, io, math, struct, sys, zipfile
data, sin, out, real, eval_r2, tmp = sys.argv[1:7]

def npz(path, key):
    with zipfile.ZipFile(path) as z:
        b = z.read(key + ".npy")
    hlen = struct.unpack("<H", b[8:10])[0] if b[6] == 1 else struct.unpack("<I", b[8:12])[0]
    start = 10 if b[6] == 1 else 12
    h = ast.literal_eval(b[start:start + hlen].decode("latin1"))
    assert h["descr"] == "<f8" and not h["fortran_order"], h
    n = 1
    for d in h["shape"]:
        n *= d
    return list(struct.unpack("<%dd" % n, b[start + hlen:start + hlen + 8 * n]))

def rnd(v):  # to the model's type
    return v if real == "double" else struct.unpack("f", struct.pack("f", v))[0]

x, y = npz(data + "/ch08.test.npz", "data"), npz(data + "/ch08.test.npz", "label")
w1, b1 = npz(sin + "/wb1.npz", "weights")[0], npz(sin + "/wb1.npz", "bias")[0]
w2, b2 = npz(sin + "/wb2.npz", "weights")[0], npz(sin + "/wb2.npz", "bias")[0]
rows = open(out).read().split("\n")[1:-1]
ok = len(rows) == len(x)
if not ok:
    print("%d predictions for %d samples" % (len(rows), len(x)))
tol = 1e-5 if real == "float" else 1e-12
sq = ys = ysq = 0.0
for xi, yi, text in zip(x, y, rows):
    p = rnd(float(text))  # the model's number: the text reads back exactly as it
    want = w2 / (1 + math.exp(-(xi * w1 + b1))) + b2
    if abs(p - want) > tol * max(1, abs(want)):
        print("x=%r: predict says %r, the formula %r" % (xi, p, want))
        ok = False
    yr = rnd(yi)
    sq += (p - yr) * (p - yr)
    ys += yr
    ysq += yr * yr
mean = ys / len(y)
r2 = 1 - (sq / len(y)) / (ysq / len(y) - mean * mean)
if repr(r2) != eval_r2:
    print("R2 of predict's numbers %r, nnc eval says %s" % (r2, eval_r2))
    ok = False

# The same samples as .npy (2-D and 1-D) and in an .npz under another key.
def npy(values, shape):
    h = "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }" % (shape,)
    h += " " * (63 - (10 + len(h)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + struct.pack("<%dd" % len(values), *values)
open(tmp + "/x2.npy", "wb").write(npy(x, (len(x), 1)))
open(tmp + "/x1.npy", "wb").write(npy(x, (len(x),)))
with zipfile.ZipFile(tmp + "/x.npz", "w") as z:
    z.writestr("samples.npy", npy(x, (len(x), 1)))
with open(tmp + "/x.csv", "w") as f:
    f.write("x\n" + "".join(repr(v) + "\n" for v in x))
sys.exit(0 if ok else 1)
EOF
    for f in x2.npy x1.npy x.csv; do
        "$NNC" predict "$TMP/sin.nnc" "$TMP/$f" >"$TMP/$f.out" 2>"$TMP/err" || fail "predict $f: $(cat "$TMP/err")"
        cmp -s "$TMP/test.csv" "$TMP/$f.out" || fail "predict on $f differs from the .npz's"
    done
    "$NNC" predict "$TMP/sin.nnc" "$TMP/x.npz" --key samples >"$TMP/key.out" 2>"$TMP/err" ||
        fail "predict --key samples: $(cat "$TMP/err")"
    cmp -s "$TMP/test.csv" "$TMP/key.out" || fail "predict --key samples differs"
    expect_missing=$("$NNC" predict "$TMP/sin.nnc" "$TMP/x.npz" 2>&1 >/dev/null)
    echo "$expect_missing" | grep -q "samples" || fail "npz without 'data': message '$expect_missing' lacks the keys present"
fi

# --- CSV from a file, standard input, '-', --out, --no-header ---------------
awk 'BEGIN { print "x"; for (i = 0; i <= 40; i++) printf "%.6f\n", i / 40 }' >"$TMP/grid.csv"
tail -n +2 "$TMP/grid.csv" >"$TMP/grid_nohead.csv"
"$NNC" predict "$TMP/sin.nnc" "$TMP/grid.csv" >"$TMP/g1" 2>"$TMP/err" || fail "predict grid.csv: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/g1")" = 42 ] || fail "grid.csv: $(wc -l <"$TMP/g1") lines, want 42"
"$NNC" predict "$TMP/sin.nnc" "$TMP/grid_nohead.csv" >"$TMP/g2" || fail "predict without a header"
"$NNC" predict "$TMP/sin.nnc" <"$TMP/grid.csv" >"$TMP/g3" || fail "predict from standard input"
"$NNC" predict "$TMP/sin.nnc" - <"$TMP/grid_nohead.csv" >"$TMP/g4" || fail "predict from -"
"$NNC" predict "$TMP/sin.nnc" "$TMP/grid.csv" --out "$TMP/g5" >"$TMP/g5.stdout" || fail "predict --out"
"$NNC" predict "$TMP/sin.nnc" "$TMP/grid.csv" -o "$TMP/g6" || fail "predict -o"
"$NNC" predict "$TMP/sin.nnc" "$TMP/grid.csv" -o - >"$TMP/g8" || fail "predict -o -"
for g in g2 g3 g4 g5 g6 g8; do cmp -s "$TMP/g1" "$TMP/$g" || fail "$g differs from the file's predictions"; done
[ -s "$TMP/g5.stdout" ] && fail "predict --out also wrote to standard output"
ls -A "$TMP" | grep -q '^\.nnc-' && fail "a temporary file was left in $TMP"
"$NNC" predict "$TMP/sin.nnc" "$TMP/grid.csv" --no-header >"$TMP/g7" || fail "predict --no-header"
cmp -s <(tail -n +2 "$TMP/g1") "$TMP/g7" || fail "--no-header output is not the rows alone"
# The sigmoid fit of sin_111 is monotonic in x here: a falling line.
awk 'NR > 2 && $1 > prev { bad = 1 } NR > 1 { prev = $1 } END { exit bad }' "$TMP/g1" ||
    fail "sin_111 predictions over [0, 1] are not decreasing"

# --- classifiers: label columns ---------------------------------------------
"$NNC" convert "$SIN" "$TMP/bin.nnc" --task binary --label-base 5 2>"$TMP/err" || fail "convert --task binary: $(cat "$TMP/err")"
"$NNC" predict "$TMP/bin.nnc" "$TMP/grid.csv" >"$TMP/bin.csv" 2>"$TMP/err" || fail "predict binary: $(cat "$TMP/err")"
[ "$(head -1 "$TMP/bin.csv")" = "label,probability" ] || fail "binary header: $(head -1 "$TMP/bin.csv")"
awk -F, 'NR > 1 { if ($1 != 5 + ($2 > 0.5) || $2 <= 0 || $2 >= 1) bad = 1; seen[$1] = 1 }
    END { exit bad || !(5 in seen) || !(6 in seen) }' "$TMP/bin.csv" ||
    fail "binary labels are not 5 + (p > 0.5) over both classes: $(head -5 "$TMP/bin.csv" | tr '\n' ' ')"

awk 'BEGIN { print "class,x,y"; for (i = 0; i < 20; i++) for (j = 0; j < 20; j++) {
    x = (i + 0.5) / 20; y = (j + 0.37) / 20; printf "%d,%.4f,%.4f\n", 1 + int((x + y) * 1.5), x, y } }' >"$TMP/three.csv"
"$NNC" train --train "$TMP/three.csv" --test "$TMP/three.csv" --label 0 --task multiclass \
    --layers 2,8,3 --activation relu --eta 0.1 --epochs 300 --checkpoint 100 --name mc --out "$TMP" \
    --quiet >/dev/null 2>"$TMP/err" || fail "train multiclass: $(cat "$TMP/err")"
MC="$TMP/mc/model.nnc"
if [ ! -f "$MC" ]; then
    echo "note: nnc train wrote no model.nnc; converting its weight files"
    "$NNC" convert "$TMP/mc" "$TMP/mc.nnc" --task multiclass --activation relu --label-base 1 2>/dev/null
    MC="$TMP/mc.nnc"
fi
cut -d, -f2,3 "$TMP/three.csv" >"$TMP/three_x.csv"
"$NNC" predict "$MC" "$TMP/three_x.csv" >"$TMP/mc.csv" 2>"$TMP/err" || fail "predict multiclass: $(cat "$TMP/err")"
"$NNC" predict "$MC" "$TMP/three.csv" --label 0 >"$TMP/mc_label.csv" 2>"$TMP/err" || fail "predict --label 0: $(cat "$TMP/err")"
cmp -s "$TMP/mc.csv" "$TMP/mc_label.csv" || fail "predict --label 0 differs from the file without that column"
awk -F, '{ print $2 "," $1 "," $3 }' "$TMP/three.csv" >"$TMP/three_mid.csv"
"$NNC" predict "$MC" "$TMP/three_mid.csv" --label=-2 | cmp -s "$TMP/mc.csv" - || fail "predict --label=-2"
[ "$(head -1 "$TMP/mc.csv")" = "label,p1,p2,p3" ] || fail "multiclass header: $(head -1 "$TMP/mc.csv")"
# label = 1 + argmax (first on ties), probabilities sum to 1, and the
# classes are mostly right (training reached >= 0.9 in cli_train).
paste -d, "$TMP/three.csv" "$TMP/mc.csv" | awk -F, 'NR > 1 {
    best = 5; for (k = 6; k <= 7; k++) if ($k > $best) best = k
    if ($4 != best - 4) bad = 1
    s = $5 + $6 + $7; if (s < 0.9999 || s > 1.0001) bad = 1
    right += $1 == $4; n++ }
    END { exit bad || right < 0.85 * n }' || fail "multiclass labels/probabilities: $(sed -n 2,4p "$TMP/mc.csv" | tr '\n' ' ')"

# --- threads: a network wide enough for its products to be shared ----------
# (40-600-1 on 256-row blocks: 6M multiply-adds a product) predicts the same
# bytes on one thread and on three.
awk 'BEGIN { srand(3); for (r = 0; r < 300; r++) { s = 0; line = "";
    for (c = 0; c < 40; c++) { v = rand(); s += v * (c % 3 - 1); line = line sprintf("%.6f,", v) }
    print line sprintf("%.6f", s) } }' >"$TMP/wide.csv"
"$NNC" train --train "$TMP/wide.csv" --test "$TMP/wide.csv" --hidden 600 --epochs 1 \
    --threads 1 --out "$TMP" --name wide >"$TMP/out" 2>&1 || fail "train wide: $(cat "$TMP/out")"
"$NNC" predict "$TMP/wide/model.nnc" "$TMP/wide.csv" --label -1 --threads 1 >"$TMP/t1.csv" 2>"$TMP/err" ||
    fail "predict --threads 1: $(cat "$TMP/err")"
"$NNC" predict "$TMP/wide/model.nnc" "$TMP/wide.csv" --label -1 --threads 3 >"$TMP/t3.csv" 2>"$TMP/err" ||
    fail "predict --threads 3: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/t1.csv")" -eq 301 ] || fail "predict --threads 1: $(wc -l <"$TMP/t1.csv") lines"
cmp -s "$TMP/t1.csv" "$TMP/t3.csv" || fail "predict: --threads 3 differs from --threads 1"
# eval takes the option too (the textbook's 1-1-1 weights are too small to be
# shared: this checks the option's path, not the split).
"$NNC" eval --model "$SIN" --threads 1 >"$TMP/e1" 2>&1 || fail "eval --threads 1: $(cat "$TMP/e1")"
"$NNC" eval --model "$SIN" --threads 2 >"$TMP/e2" 2>&1 || fail "eval --threads 2: $(cat "$TMP/e2")"
cmp -s "$TMP/e1" "$TMP/e2" || fail "eval: --threads 2 differs from --threads 1"

# --- every sample and every output finite; no row dropped ------------------
# npy_f8 FILE HEX...: a (n, 1) little-endian float64 .npy holding the values
# given as 8 bytes of hex each (the header written by hand: no numpy needed).
npy_f8() {
    local file=$1
    shift
    local h="{'descr': '<f8', 'fortran_order': False, 'shape': ($#, 1), }"
    while [ $(((10 + ${#h} + 1) % 64)) -ne 0 ]; do h="$h "; done
    local n=$((${#h} + 1))
    {
        printf '\223NUMPY\001\000'
        printf "\\$(printf %03o $((n & 255)))\\$(printf %03o $((n >> 8)))"
        printf '%s\n' "$h"
        for v; do printf "$(echo "$v" | sed 's/../\\x&/g')"; done
    } >"$file"
}
HALF=000000000000e03f QUARTER=000000000000d03f
npy_f8 "$TMP/ok.npy" $HALF $QUARTER $HALF
"$NNC" predict "$TMP/sin.nnc" "$TMP/ok.npy" >"$TMP/ok.out" 2>"$TMP/err" || fail "predict a hand-made .npy: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/ok.out")" = 4 ] || fail "hand-made .npy: $(wc -l <"$TMP/ok.out") lines, want 4"
npy_f8 "$TMP/nan.npy" $HALF 000000000000f87f $HALF
expect_error 1 "$TMP/nan.npy: sample 2, column 1: nan is not a finite number" predict "$TMP/sin.nnc" "$TMP/nan.npy"
[ -s "$TMP/out" ] && fail "predict printed rows for a NaN input: $(head -3 "$TMP/out" | tr '\n' ' ')"
npy_f8 "$TMP/inf.npy" $HALF $HALF 000000000000f07f
expect_error 1 "sample 3, column 1: inf is not a finite number" predict "$TMP/sin.nnc" "$TMP/inf.npy"
npy_f8 "$TMP/minf.npy" 000000000000f0ff
expect_error 1 "sample 1, column 1: -inf is not a finite number" predict "$TMP/sin.nnc" "$TMP/minf.npy"
npy_f8 "$TMP/e300.npy" $HALF 9c7500883ce4377e
printf 'x\n0.5\n1e300\n' >"$TMP/e300.csv"
printf 'x,c\n0.5,1\n0.25,1e39\n' >"$TMP/e39.csv"
if [ "$REAL" = float ]; then
    # finite in double, infinite in float: refused as NaN and inf are
    expect_error 1 "$TMP/e300.npy: sample 2, column 1: 1e+300 is beyond the range of float" predict "$TMP/sin.nnc" "$TMP/e300.npy"
    expect_error 1 "$TMP/e300.csv: sample 2, column 1: 1e+300 is beyond the range of float" predict "$TMP/sin.nnc" "$TMP/e300.csv"
    expect_error 1 "$TMP/e39.csv: sample 2, column 2: 1e+39 is beyond the range of float" predict "$TMP/sin.nnc" "$TMP/e39.csv" --label 0
    BIG=3e38
else
    "$NNC" predict "$TMP/sin.nnc" "$TMP/e300.npy" >"$TMP/e300.out" 2>"$TMP/err" || fail "predict 1e300 (double build): $(cat "$TMP/err")"
    [ "$(wc -l <"$TMP/e300.out")" = 3 ] || fail "predict 1e300: $(wc -l <"$TMP/e300.out") lines"
    BIG=1e308
fi
# an output that overflows (a linear model, w1 = -18.8): an error naming the sample
"$NNC" convert "$SIN" "$TMP/linear.nnc" --activation identity 2>"$TMP/err" || fail "convert --activation identity: $(cat "$TMP/err")"
printf 'x\n0.5\n0.25\n%s\n' "$BIG" >"$TMP/big.csv"
expect_error 1 "$TMP/big.csv: sample 3: output 1 is infinite" predict "$TMP/linear.nnc" "$TMP/big.csv"
[ -s "$TMP/out" ] && fail "predict printed rows with an infinite output: $(head -3 "$TMP/out" | tr '\n' ' ')"
# a typo in the first row is an error, not a header that drops the sample;
# a row of "" is a missing value, not a blank line
printf '1.5e\n0.5\n0.25\n' >"$TMP/typo.csv"
expect_error 1 "$TMP/typo.csv: line 1, column 1: '1.5e' is not a number" predict "$TMP/sin.nnc" "$TMP/typo.csv"
printf 'x\n0.5\n""\n0.25\n' >"$TMP/quoted.csv"
expect_error 1 "$TMP/quoted.csv: line 3, column 1 (x): empty field (missing value)" predict "$TMP/sin.nnc" "$TMP/quoted.csv"
# CR-only line ends (as the textbook's kc_train.csv): the same rows as LF
tr '\n' '\r' <"$TMP/grid.csv" >"$TMP/grid_cr.csv"
"$NNC" predict "$TMP/sin.nnc" "$TMP/grid_cr.csv" >"$TMP/g_cr" 2>"$TMP/err" || fail "predict CR-only CSV: $(cat "$TMP/err")"
cmp -s "$TMP/g1" "$TMP/g_cr" || fail "predict on a CR-only CSV differs from LF ($(wc -l <"$TMP/g_cr") lines)"
# (the textbook's data beside the repository, as ../shared/data/ai-edu, or
# in NNC_TEXTBOOK_DATA)
KC=${NNC_TEXTBOOK_DATA:-$DATA/../../../shared/data/ai-edu}
if [ -f "$KC/kc_train.csv" ] && [ -f "$KC/kc_test.csv" ]; then
    "$NNC" train --train "$KC/kc_train.csv" --test "$KC/kc_test.csv" --label 1 --normalize minmax \
        --epochs 1 --checkpoint 1 --out "$TMP" --name kc --quiet >"$TMP/kc.out" 2>&1 ||
        fail "train on the textbook's CR-only kc_train.csv: $(tail -3 "$TMP/kc.out")"
    rows=$(tr '\r' '\n' <"$KC/kc_test.csv" | grep -c .)
    "$NNC" predict "$TMP/kc/model.nnc" "$KC/kc_test.csv" --label 1 --no-header >"$TMP/kc.csv" 2>"$TMP/err" ||
        fail "predict kc_test.csv: $(cat "$TMP/err")"
    [ "$(wc -l <"$TMP/kc.csv")" = "$rows" ] || fail "predict kc_test.csv: $(wc -l <"$TMP/kc.csv") rows for $rows samples"
else
    echo "cli_predict: the textbook's kc_*.csv not found: that check skipped"
fi

# --- multiclass labels stay exact, or are refused, never merged -------------
mc_train() { # mc_train NAME FILE: a quick multiclass run on FILE
    "$NNC" train --train "$2" --test "$2" --task multiclass --hidden 2 --epochs 2 --checkpoint 1 \
        --out "$TMP" --name "$1" --quiet
}
awk 'BEGIN { print "x,label"; for (i = 0; i < 40; i++) printf "%.3f,%d\n", i / 40, 16777216 + (i >= 20) }' >"$TMP/big_labels.csv"
if [ "$REAL" = float ]; then
    # 16777217 is 16777216 in float: two classes would become one
    mc_train big "$TMP/big_labels.csv" >"$TMP/out" 2>"$TMP/err" && fail "trained on labels 16777216 and 16777217 merged in float"
    grep -qF "$TMP/big_labels.csv: row 21: label 16777217 is 16777216 in nnc_real (float holds integers exactly only up to 2^24)" "$TMP/err" ||
        fail "labels beyond 2^24: message '$(cat "$TMP/err")'"
else
    mc_train big "$TMP/big_labels.csv" >"$TMP/out" 2>"$TMP/err" || fail "train on labels 16777216, 16777217: $(cat "$TMP/err")"
    "$NNC" predict "$TMP/big/model.nnc" "$TMP/big_labels.csv" --label -1 >"$TMP/big.out" 2>"$TMP/err" || fail "predict big labels: $(cat "$TMP/err")"
    [ "$(head -1 "$TMP/big.out")" = "label,p16777216,p16777217" ] || fail "big labels header: $(head -1 "$TMP/big.out")"
    awk -F, 'NR > 1 && $1 != 16777216 && $1 != 16777217 { exit 1 }' "$TMP/big.out" || fail "big labels: $(sed -n 2p "$TMP/big.out")"
fi
# beyond int: refused before any conversion to int (undefined behaviour, which
# the sanitizer build's float-cast-overflow check aborts on)
printf 'x,label\n0.1,2147483649\n0.2,2147483648\n0.3,2147483649\n' >"$TMP/int_labels.csv"
mc_train int "$TMP/int_labels.csv" >"$TMP/out" 2>"$TMP/err" && fail "trained on labels 2147483648, 2147483649"
grep -qF "$TMP/int_labels.csv: row 1: label 214748364" "$TMP/err" &&
    grep -qF "multiclass labels must be integers from -2147483647 to 2147483647" "$TMP/err" ||
    fail "label 2147483648: message '$(cat "$TMP/err")'"
# labels whose model could not be saved (|label_base| + classes - 1 beyond
# int): refused before training, not after it (all exact in float)
awk 'BEGIN { print "x,label"; for (i = 0; i < 12; i++) printf "%.2f,%.0f\n", i / 12, -2147483648 + 256 * (i % 2) }' >"$TMP/neg_labels.csv"
mc_train neg "$TMP/neg_labels.csv" >"$TMP/out" 2>"$TMP/err" && fail "trained on labels -2147483648, -2147483392"
grep -qF "$TMP/neg_labels.csv: row 1: label -2147483648" "$TMP/err" && grep -qF "multiclass labels must be integers from -2147483647 to 2147483647" "$TMP/err" ||
    fail "label -2147483648: message '$(cat "$TMP/err")'"
[ -e "$TMP/neg" ] && fail "a refused run left $TMP/neg"
awk 'BEGIN { print "x,label"; for (i = 0; i < 12; i++) printf "%.2f,%.0f\n", i / 12, -2147483392 + 256 * (i % 2) }' >"$TMP/neg2_labels.csv"
mc_train neg2 "$TMP/neg2_labels.csv" >"$TMP/out" 2>"$TMP/err" && fail "trained on labels -2147483392, -2147483136"
grep -qF "$TMP/neg2_labels.csv: multiclass labels -2147483392 to -2147483136: a model numbers its classes from its first label, and |first label| + classes - 1 must fit an int" "$TMP/err" ||
    fail "labels -2147483392, -2147483136: message '$(cat "$TMP/err")'"
[ -e "$TMP/neg2" ] && fail "a refused run left $TMP/neg2"
# ... and labels up to int's end are kept exact (float: 2^31 - 128 is its largest below)
awk 'BEGIN { print "x,label"; for (i = 0; i < 12; i++) printf "%.2f,%.0f\n", i / 12, 2147483392 + 128 * (i % 2) }' >"$TMP/top_labels.csv"
mc_train top "$TMP/top_labels.csv" >"$TMP/out" 2>"$TMP/err" || fail "train on labels 2147483392, 2147483520: $(cat "$TMP/err")"
"$NNC" predict "$TMP/top/model.nnc" "$TMP/top_labels.csv" --label -1 >"$TMP/top.out" 2>"$TMP/err" || fail "predict top labels: $(cat "$TMP/err")"
head -1 "$TMP/top.out" | grep -q '^label,p2147483392,p2147483393,.*,p2147483520$' || fail "top labels header: $(head -1 "$TMP/top.out" | cut -c 1-80)"
awk -F, 'NR > 1 && ($1 !~ /^[0-9]+$/ || $1 < 2147483392 || $1 > 2147483520) { bad = 1 } END { exit bad || NR != 13 }' "$TMP/top.out" ||
    fail "top labels: $(sed -n 2,3p "$TMP/top.out" | cut -c 1-40)"
# ids, not classes: a class count or one-hot size refused before allocating
awk 'BEGIN { print "x,label"; for (i = 0; i < 12; i++) printf "%.2f,%d\n", i / 12, i ? i % 3 : 100000 }' >"$TMP/ids.csv"
mc_train ids "$TMP/ids.csv" >"$TMP/out" 2>"$TMP/err" && fail "trained on 100001 classes"
grep -qF "$TMP/ids.csv: multiclass labels 0 to 100000 make 100001 classes, more than 100000" "$TMP/err" ||
    fail "100001 classes: message '$(cat "$TMP/err")'"
awk 'BEGIN { print "x,label"; for (i = 0; i < 6000; i++) printf "%.4f,%d\n", i / 6000, i ? i % 2 : 49999 }' >"$TMP/wide_ids.csv"
mc_train wide_ids "$TMP/wide_ids.csv" >"$TMP/out" 2>"$TMP/err" && fail "trained on 50000 classes x 12000 rows"
grep -qF "$TMP/wide_ids.csv: multiclass labels 0 to 49999 make 50000 classes; their one-hot targets for 12000 rows would take" "$TMP/err" ||
    fail "one-hot size: message '$(cat "$TMP/err")'"
# the test set's labels outside the training classes: named with their file and row
printf 'class,x,y\n1,0.1,0.2\n2,0.2,0.3\n7,0.3,0.1\n' >"$TMP/other_labels.csv"
"$NNC" train --train "$TMP/three.csv" --test "$TMP/other_labels.csv" --label 0 --task multiclass --epochs 1 \
    --out "$TMP" --name other --quiet >"$TMP/out" 2>"$TMP/err" && fail "trained with test label 7 outside classes 1..3"
grep -qF "$TMP/other_labels.csv: row 3: label 7 is not one of the training labels' classes" "$TMP/err" ||
    fail "test label 7: message '$(cat "$TMP/err")'"

# --- errors: a message that names the problem, and the exit status ----------
expect_error 1 "no MODEL given" predict
expect_error 1 "--threads: 0 is out of range [1, 256]" predict "$TMP/sin.nnc" --threads 0
expect_error 1 "--threads: 'x' is not a whole number" eval --model "$SIN" --threads x
expect_error 1 "unknown option '--bogus'" predict "$TMP/sin.nnc" --bogus
expect_error 1 "unexpected argument 'b'" predict "$TMP/sin.nnc" a b
expect_error 1 "$TMP/none.nnc" predict "$TMP/none.nnc" "$TMP/grid.csv"
expect_error 1 "nnc convert $SIN MODEL.nnc" predict "$SIN" "$TMP/grid.csv"
expect_error 1 "$DATA/ch08.test.npz" predict "$DATA/ch08.test.npz" "$TMP/grid.csv"
cp "$TMP/sin.nnc" "$TMP/bad.nnc"
printf '\377\377\377\377' | dd of="$TMP/bad.nnc" bs=1 seek=40 conv=notrunc 2>/dev/null
expect_error 1 "$TMP/bad.nnc" predict "$TMP/bad.nnc" "$TMP/grid.csv"
head -c 30 "$TMP/sin.nnc" >"$TMP/cut.nnc"
expect_error 1 "$TMP/cut.nnc" predict "$TMP/cut.nnc" "$TMP/grid.csv"
expect_error 1 "$TMP/nothing.csv" predict "$TMP/sin.nnc" "$TMP/nothing.csv"
expect_error 1 "3 values per sample, but the model takes 2 inputs (leave label columns out with --label)" predict "$MC" "$TMP/three.csv"
expect_error 1 "--label: column 3 does not exist (the file has 3 columns)" predict "$MC" "$TMP/three.csv" --label 3
expect_error 1 "--label: column -1 is given twice" predict "$MC" "$TMP/three.csv" --label 2,-1
expect_error 1 "1 value per sample besides the --label columns, but the model takes 2" predict "$MC" "$TMP/three.csv" --label 0,1
expect_error 1 "--label: 'x' is not a finite number" predict "$MC" "$TMP/three.csv" --label x
printf '1,2\n3,4\n' >"$TMP/two.csv"
expect_error 1 "2 values per sample, but the model takes 1 input" predict "$TMP/sin.nnc" "$TMP/two.csv"
printf 'x\n0.5\nabc\n' >"$TMP/text.csv"
expect_error 1 "$TMP/text.csv" predict "$TMP/sin.nnc" "$TMP/text.csv"
expect_error 1 "line 3" predict "$TMP/sin.nnc" "$TMP/text.csv"
expect_error 1 "--key applies to .npz files" predict "$TMP/sin.nnc" "$TMP/grid.csv" --key data
expect_error 1 "standard input is read as CSV" predict "$TMP/sin.nnc" --key data
expect_error 1 "--key needs a value" predict "$TMP/sin.nnc" "$DATA/ch08.test.npz" --key
expect_error 1 "standard input" predict "$TMP/sin.nnc" -
if [ -n "$PY" ]; then
    expect_error 1 "1-D array of" predict "$MC" "$TMP/x1.npy"
fi
expect_error 1 "$TMP/no/such/dir/p.csv" predict "$TMP/sin.nnc" "$TMP/grid.csv" --out "$TMP/no/such/dir/p.csv"
"$NNC" predict --help | grep -- '--no-header' >/dev/null || fail "predict --help"
"$NNC" --help | grep 'predict' >/dev/null || fail "nnc --help lacks predict"

finish cli_predict
