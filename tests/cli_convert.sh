#!/usr/bin/env bash
# nnc convert end to end: textbook folder -> .nnc -> folder keeps the
# weights (byte for byte once nnc has written them), the converted sin_111
# scores the textbook's figures, the options reach the model, and clear
# errors.
# Usage: cli_convert.sh NNC DATA_DIR TMP_DIR
set -uo pipefail
NNC=$1 DATA=$2 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
source "$(dirname "$0")/testlib.sh"
source "$(dirname "$0")/craft_model.sh"
SIN="$DATA/ch09-weights/sin_111"

# --- round trip: folder -> model -> folder -> model -> folder ---------------
"$NNC" convert "$SIN" "$TMP/a.nnc" 2>"$TMP/err" || fail "folder -> model: $(cat "$TMP/err")"
grep -q "wrote $TMP/a.nnc" "$TMP/err" || fail "no 'wrote' note: $(cat "$TMP/err")"
"$NNC" convert "$TMP/a.nnc" "$TMP/B" 2>"$TMP/err" || fail "model -> folder: $(cat "$TMP/err")"
for f in wb1.npz wb2.npz; do [ -s "$TMP/B/$f" ] || fail "B lacks $f"; done
[ -e "$TMP/B/wb3.npz" ] && fail "B has a wb3.npz"
grep -q -- "--task fitting --activation sigmoid" "$TMP/err" || fail "no way back given: $(cat "$TMP/err")"
"$NNC" convert "$TMP/B" "$TMP/b.nnc" 2>/dev/null || fail "B -> model"
"$NNC" convert "$TMP/b.nnc" "$TMP/C" 2>/dev/null || fail "model -> C"
for f in wb1.npz wb2.npz; do
    cmp -s "$TMP/B/$f" "$TMP/C/$f" || fail "$f changed on the round trip"
done
# The weights are the textbook's: eval scores all three folders alike, and
# exactly as the book printed (loss and accuracy on the validation set).
"$NNC" eval --model "$SIN" >"$TMP/eval.tb" 2>&1 || fail "eval sin_111"
"$NNC" eval --model "$TMP/B" >"$TMP/eval.B" 2>&1 || fail "eval B"
"$NNC" eval --model "$TMP/C" >"$TMP/eval.C" 2>&1 || fail "eval C"
cmp -s "$TMP/eval.tb" "$TMP/eval.B" || fail "B scores $(cat "$TMP/eval.B"), the textbook's $(cat "$TMP/eval.tb")"
cmp -s "$TMP/eval.tb" "$TMP/eval.C" || fail "C scores differently"
[ "$(head -1 "$TMP/eval.B")" = "loss_valid=0.038609, accuracy_valid=0.821760" ] || fail "B: $(head -1 "$TMP/eval.B")"

# Provenance: the folder and a creation time.
grep -aq "converted_from" "$TMP/a.nnc" && grep -aq -- "$SIN" "$TMP/a.nnc" || fail "a.nnc does not name its folder"
grep -aq "created" "$TMP/a.nnc" || fail "a.nnc has no creation time"
SOURCE_DATE_EPOCH=0 "$NNC" convert "$SIN" "$TMP/d1.nnc" 2>/dev/null
SOURCE_DATE_EPOCH=0 "$NNC" convert "$SIN" "$TMP/d2.nnc" 2>/dev/null
cmp -s "$TMP/d1.nnc" "$TMP/d2.nnc" || fail "with SOURCE_DATE_EPOCH, two conversions differ"
grep -aq "1970-01-01T00:00:00Z" "$TMP/d1.nnc" || fail "SOURCE_DATE_EPOCH=0 is not 1970-01-01T00:00:00Z"

# --- the converted model predicts the textbook's numbers ---------------------
# Its predictions on the test set score (R², summed in double as nnc does,
# labels as the build's reals) the figure nnc eval prints, to 1e-9.
"$NNC" predict "$TMP/a.nnc" "$DATA/ch08.test.npz" --no-header >"$TMP/pred" 2>"$TMP/err" ||
    fail "predict: $(cat "$TMP/err")"
if command -v python3 >/dev/null; then
    python3 - "$DATA/ch08.test.npz" "$TMP/pred" "$(tail -1 "$TMP/eval.tb")" <<'EOF' || fail "R² of the converted model's predictions (above)"
import ast, struct, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
b = z.read("label.npy")
hlen = struct.unpack("<H", b[8:10])[0]
y = struct.unpack("<%dd" % ((len(b) - 10 - hlen) // 8), b[10 + hlen:])
p = [float(t) for t in open(sys.argv[2]).read().split()]
n = len(y)
mean = sum(y) / n
r2 = 1 - sum((a - b) ** 2 for a, b in zip(p, y)) / n / (sum(v * v for v in y) / n - mean * mean)
want = float(sys.argv[3])
if len(p) != n or abs(r2 - want) > 1e-6:
    print("R2 %r from %d predictions, nnc eval says %r" % (r2, len(p), want))
    sys.exit(1)
EOF
else
    echo "cli_convert: no python3: the R² check is skipped"
fi

# --- options: task, activations, label base ---------------------------------
"$NNC" convert "$SIN" "$TMP/relu.nnc" --task binary --activation leaky_relu:0.2 --label-base 3 2>/dev/null ||
    fail "convert with options"
"$NNC" convert "$TMP/relu.nnc" "$TMP/R" 2>"$TMP/err" || fail "relu.nnc -> R"
grep -q -- "--task binary --activation leaky_relu:0.2 --label-base 3" "$TMP/err" ||
    fail "the way back does not name the options: $(cat "$TMP/err")"
"$NNC" predict "$TMP/relu.nnc" <<<"0.5" | grep '^[34],' >/dev/null || fail "binary model with label base 3"
cmp -s "$TMP/R/wb1.npz" "$TMP/B/wb1.npz" || fail "options changed the weights"
"$NNC" convert "$SIN" "$TMP/swish.nnc" --activation swish 2>/dev/null || fail "--activation swish (an alias)"
"$NNC" convert "$SIN" "$TMP/tanh.nnc" --activation=tanh --task=fitting 2>/dev/null || fail "--opt=value forms"
# A trained model with scaling: the weight files cannot keep it; a note says so.
awk 'BEGIN { print "x,y"; for (i = 0; i < 100; i++) printf "%d,%d\n", 100 + i, 3 * i - 40 }' >"$TMP/raw.csv"
if "$NNC" train --train "$TMP/raw.csv" --test "$TMP/raw.csv" --normalize minmax --epochs 5 --checkpoint 5 \
    --name raw --out "$TMP" --quiet >/dev/null 2>&1 && [ -f "$TMP/raw/model.nnc" ]; then
    "$NNC" convert "$TMP/raw/model.nnc" "$TMP/RAW" 2>"$TMP/err" || fail "trained model -> folder: $(cat "$TMP/err")"
    grep -q "scaling is not kept" "$TMP/err" || fail "no note on the scaling: $(cat "$TMP/err")"
    cmp -s "$TMP/RAW/wb1.npz" "$TMP/raw/wb1.npz" || fail "the trained model's weights differ from its run's wb1.npz"
else
    fail "nnc train --normalize minmax wrote no model.nnc"
fi

# --- errors ------------------------------------------------------------------
expect_error 1 "give IN and OUT" convert
expect_error 1 "give IN and OUT" convert "$SIN"
expect_error 1 "unexpected argument 'x'" convert "$SIN" "$TMP/x.nnc" x
expect_error 1 "unknown option '--bogus'" convert "$SIN" "$TMP/x.nnc" --bogus
expect_error 1 "$TMP/none: No such file" convert "$TMP/none" "$TMP/x.nnc"
mkdir -p "$TMP/empty"
expect_error 1 "wb1.npz" convert "$TMP/empty" "$TMP/x.nnc"
expect_error 1 "is a folder" convert "$SIN" "$TMP/empty"
expect_error 1 "valid names" convert "$SIN" "$TMP/x.nnc" --activation nosuch
expect_error 1 "2 names for 1 hidden layers" convert "$SIN" "$TMP/x.nnc" --activation relu,tanh
expect_error 1 "sigmoid takes no parameter" convert "$SIN" "$TMP/x.nnc" --activation sigmoid:2
expect_error 1 "unknown task" convert "$SIN" "$TMP/x.nnc" --task regression
expect_error 1 "at least 2 units" convert "$SIN" "$TMP/x.nnc" --task multiclass
expect_error 1 "--label-base applies to classifiers" convert "$SIN" "$TMP/x.nnc" --label-base 1
expect_error 1 "--label-base: 'one'" convert "$SIN" "$TMP/x.nnc" --task binary --label-base one
expect_error 1 "--task applies only when converting a textbook folder" convert "$TMP/a.nnc" "$TMP/D" --task binary
expect_error 1 "--activation applies only" convert "$TMP/a.nnc" "$TMP/D" --activation relu
[ -e "$TMP/x.nnc" ] && fail "a failed conversion left x.nnc"
# A folder that already holds a deeper network's wb3.npz.
mkdir -p "$TMP/deep" && cp "$TMP/B/wb1.npz" "$TMP/deep/wb3.npz"
expect_error 1 "already holds wb3.npz" convert "$TMP/a.nnc" "$TMP/deep"
[ -e "$TMP/deep/wb1.npz" ] && fail "the refused conversion still wrote into deep/"
echo "not a folder" >"$TMP/plain"
expect_error 1 "$TMP/plain" convert "$TMP/a.nnc" "$TMP/plain"
head -c 50 "$TMP/a.nnc" >"$TMP/cut.nnc"
expect_error 1 "$TMP/cut.nnc" convert "$TMP/cut.nnc" "$TMP/E"
expect_error 1 "$TMP/no/such/dir/x.nnc" convert "$SIN" "$TMP/no/such/dir/x.nnc"
"$NNC" convert --help | grep -- '--label-base' >/dev/null || fail "convert --help"

# --- one layer limit (64): convert writes only folders it reads back -------
craft_model "$TMP/deep64.nnc" 64
"$NNC" convert "$TMP/deep64.nnc" "$TMP/F64" 2>"$TMP/err" || fail "64 layers -> folder: $(cat "$TMP/err")"
[ -s "$TMP/F64/wb64.npz" ] && [ ! -e "$TMP/F64/wb65.npz" ] || fail "F64: $(ls "$TMP/F64" | wc -l) files"
"$NNC" convert "$TMP/F64" "$TMP/f64.nnc" --activation identity 2>"$TMP/err" ||
    fail "64-layer folder -> model: $(cat "$TMP/err")"
"$NNC" eval --model "$TMP/F64" --activation identity >/dev/null 2>"$TMP/err" || fail "eval F64: $(cat "$TMP/err")"
craft_model "$TMP/deep65.nnc" 65
expect_error 1 "n_layers = 65 is more than the 64 layers a model may have" convert "$TMP/deep65.nnc" "$TMP/F65"
[ -e "$TMP/F65" ] && fail "the refused 65-layer conversion wrote $(ls "$TMP/F65" | wc -l) files"
cp "$TMP/F64/wb1.npz" "$TMP/F64/wb65.npz"
expect_error 1 "$TMP/F64: holds wb65.npz, more than the 64 layers a network may have" convert "$TMP/F64" "$TMP/x.nnc"
expect_error 1 "$TMP/F64: holds wb65.npz, more than the 64 layers a network may have" eval --model "$TMP/F64"

finish cli_convert
