#!/usr/bin/env bash
# nnc export-c end to end: the generated C file compiles alone as strict C99
# and gives nnc predict's outputs bit for bit, for every activation of the
# catalogue (each one's element function NAME_f, from the library's own
# src/kernels/activation_elements.h), for the three tasks, several hidden
# layers, non-default parameters, and input/output scaling.
#
# How bit-exactness is checked: a driver program #includes the generated
# files of a group of models, reads the same decimal inputs nnc predict
# reads (strtod, then a cast to the model's type, as the CSV reader does)
# and prints every output as a hex float (%a).  nnc predict's CSV output is
# turned into the same hex form by tohex.c (strtof/strtod: predict writes
# numbers that read back exactly), and the two texts must be identical.
# Usage: cli_export.sh NNC DATA_DIR TMP_DIR
set -uo pipefail
NNC=$1 DATA=$2 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
source "$(dirname "$0")/testlib.sh"
CC=${CC:-cc}
if ! command -v "$CC" >/dev/null; then
    echo "cli_export: no C compiler ('$CC'): skipped"
    exit 0
fi
STRICT=(-std=c99 -Wall -Wextra -Werror -pedantic)
if "$NNC" --version | grep double >/dev/null; then REAL=double; else REAL=float; fi
# Every row of the catalogue, as `nnc activations` lists it.
ACTS=$("$NNC" activations | awk 'NR > 1 && NF { print $1 }' | tr '\n' ' ')
[ "$(echo $ACTS | wc -w)" -ge 17 ] || fail "nnc activations lists $(echo $ACTS | wc -w) functions, not 17: $ACTS"
for a in identity step sigmoid tanh relu leaky_relu softplus elu benidentity gelu_tanh gelu_erf silu mish selu softsign hard_sigmoid hard_tanh; do
    case " $ACTS " in *" $a "*) ;; *) fail "activation $a is not in the catalogue" ;; esac
done
# Under valgrind (the nnc-memcheck wrapper) every run is ~50x slower: there
# a few activations stand for all; the other builds check every one.
EXTRA="leaky_relu:0.2 elu:0.5 step:0.25"
case "$NNC" in *memcheck*) ACTS="step sigmoid leaky_relu gelu_tanh selu" EXTRA="elu:0.5" ;; esac

# A machine with fused multiply-add, and the flag that lets the compiler use it.
FMA=
if grep -qw fma /proc/cpuinfo 2>/dev/null && echo 'int main(void){return 0;}' |
    "$CC" -mfma -x c -o /dev/null - 2>/dev/null; then
    FMA=-mfma
fi

# predict's decimal CSV -> hex floats, each number read as the model's type.
cat >"$TMP/tohex.c" <<EOF
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void)
{
    static char line[1 << 16];
    while (fgets(line, sizeof line, stdin)) {
        char *p = line, *end;
        int first = 1;
        for (;;) {
            $REAL v = sizeof($REAL) == sizeof(double) ? ($REAL)strtod(p, &end)
                                                      : ($REAL)strtof(p, &end);
            if (end == p)
                break;
            printf("%s%a", first ? "" : ",", (double)v);
            first = 0;
            p = end + (*end == ',');
        }
        putchar('\n');
    }
    return 0;
}
EOF
"$CC" "${STRICT[@]}" -o "$TMP/tohex" "$TMP/tohex.c" || fail "tohex.c does not compile"

# Inputs: random values over the activations' interesting ranges, exact
# zeros, tiny and huge values, and the kinks of the piecewise functions.
inputs() { # n_in file
    awk -v n="$1" 'BEGIN {
        srand(20240501)
        split("0 1 -1 3 -3 6 -6 1e-30 -1e-30 40 -40 1e4 -1e4 2e5 -2e5 0.5 -0.5", special, " ")
        for (r = 0; r < 17; r++) { line = ""; for (c = 0; c < n; c++)
            line = line (c ? "," : "") special[(r + c * 5) % 17 + 1]; print line }
        for (r = 0; r < 150; r++) { line = ""; for (c = 0; c < n; c++)
            line = line (c ? "," : "") sprintf("%.9g", (rand() - 0.5) * (r < 100 ? 3 : 30)); print line }
    }' >"$2"
}
inputs 1 "$TMP/in1.csv"
inputs 2 "$TMP/in2.csv"

# check GROUP TASK N_IN N_OUT INPUTS MODEL...: exports each model (prefix
# GROUP_<i>), compiles the first file on its own and a driver that includes
# them all, and compares the driver's outputs with nnc predict's.
check() {
    local group=$1 task=$2 n_in=$3 n_out=$4 input=$5
    shift 5
    local models=("$@") i=0 upper drv="$TMP/${group}_driver.c"
    : >"$TMP/$group.want"
    {
        echo "#include <stdio.h>"
        echo "#include <stdlib.h>"
    } >"$drv"
    for m in "${models[@]}"; do
        local p="${group}_$i"
        upper=$(echo "$p" | tr a-z A-Z)
        if ! "$NNC" export-c "$m" --prefix "$p" -o "$TMP/$p.c" 2>"$TMP/err"; then
            fail "export-c $m: $(cat "$TMP/err")"
            return
        fi
        grep -qx "#define ${upper}_INPUTS $n_in" "$TMP/$p.c" || fail "$p.c lacks ${upper}_INPUTS $n_in"
        grep -qx "#define ${upper}_OUTPUTS $n_out" "$TMP/$p.c" || fail "$p.c lacks ${upper}_OUTPUTS $n_out"
        grep -q "^#include" <(grep -v '^#include <math.h>$' "$TMP/$p.c") && fail "$p.c includes more than <math.h>"
        echo "#include \"$p.c\"" >>"$drv"
        echo "# $m" >>"$TMP/$group.want"
        "$NNC" predict "$m" "$input" --no-header 2>"$TMP/err" | "$TMP/tohex" >>"$TMP/$group.want" ||
            fail "predict $m: $(cat "$TMP/err")"
        i=$((i + 1))
    done
    "$CC" "${STRICT[@]}" -Wshadow -Wmissing-prototypes -Wstrict-prototypes -c "$TMP/${group}_0.c" \
        -o "$TMP/${group}_0.o" 2>"$TMP/cc.err" || fail "${group}_0.c does not compile alone: $(head -5 "$TMP/cc.err")"
    {
        echo "typedef void (*predict_fn)(const $REAL *, $REAL *);"
        echo "static const predict_fn fns[] = {"
        for ((k = 0; k < i; k++)); do echo "    ${group}_${k}_predict,"; done
        echo "};"
        echo "static const char *const names[] = {"
        for m in "${models[@]}"; do echo "    \"$m\","; done
        echo "};"
        cat <<EOF
int main(void)
{
    static double in[1 << 16];
    int n = 0, rows, k, r, j;
    while (n < (1 << 16) && scanf(" %lf ,", &in[n]) == 1)
        n++;
    rows = n / $n_in;
    for (k = 0; k < (int)(sizeof fns / sizeof fns[0]); k++) {
        printf("# %s\n", names[k]);
        for (r = 0; r < rows; r++) {
            $REAL x[$n_in], y[$n_out];
            int best = 0;
            for (j = 0; j < $n_in; j++)
                x[j] = ($REAL)in[r * $n_in + j];
            fns[k](x, y);
            for (j = 1; j < $n_out; j++)
                best = y[j] > y[best] ? j : best;
            if ($task == 1)
                printf("%a,", (double)(LABEL_BASE + (y[0] > 0.5)));
            if ($task == 2)
                printf("%a,", (double)(LABEL_BASE + best));
            for (j = 0; j < $n_out; j++)
                printf("%s%a", j ? "," : "", (double)y[j]);
            putchar('\n');
        }
    }
    return 0;
}
EOF
    } >>"$drv"
    local base
    base=$(sed -n "s/^#define ${group^^}_0_LABEL_BASE //p" "$TMP/${group}_0.c")
    if ! "$CC" "${STRICT[@]}" -DLABEL_BASE="${base:-0}" -I"$TMP" -o "$TMP/${group}_driver" "$drv" -lm \
        2>"$TMP/cc.err"; then
        fail "$group: the generated files do not compile: $(head -5 "$TMP/cc.err")"
        return
    fi
    "$TMP/${group}_driver" <"$input" >"$TMP/$group.got"
    if ! cmp -s "$TMP/$group.want" "$TMP/$group.got"; then
        fail "$group: the exported C differs from nnc predict: $(diff "$TMP/$group.want" "$TMP/$group.got" | head -4 | tr '\n' ' ')"
    fi
    # In a GNU mode, optimised, on a machine with fused multiply-add, where
    # the compiler would fuse a*b + c but for the file's pragmas.
    if [ -n "$FMA" ]; then
        "$CC" -std=gnu99 -O2 $FMA -DLABEL_BASE="${base:-0}" -I"$TMP" -o "$TMP/${group}_fma" "$drv" -lm &&
            "$TMP/${group}_fma" <"$input" | cmp -s "$TMP/$group.want" - ||
            fail "$group: compiled with -std=gnu99 -O2 $FMA, the exported C differs from nnc predict"
    fi
    local rows
    rows=$(grep -vc '^#' "$TMP/$group.got")
    [ "$rows" -ge $((i * 167)) ] && [ "$i" = ${#models[@]} ] || fail "$group: only $rows rows compared"
}

# --- 1-1-1 fitting, the textbook's sin_111 weights, every activation --------
SIN="$DATA/ch09-weights/sin_111"
models=()
for a in $ACTS $EXTRA; do
    "$NNC" convert "$SIN" "$TMP/sin_$a.nnc" --activation "$a" 2>"$TMP/err" || fail "convert --activation $a: $(cat "$TMP/err")"
    models+=("$TMP/sin_$a.nnc")
done
check sin 0 1 1 "$TMP/in1.csv" "${models[@]}"

# --- 2-input classifiers (weights from a short nnc train run) ---------------
awk 'BEGIN { print "label,x,y"; for (i = 0; i < 20; i++) for (j = 0; j < 20; j++) {
    x = (i + 0.5) / 20; y = (j + 0.37) / 20; printf "%d,%.4f,%.4f\n", (x + y > 1), x, y } }' >"$TMP/binary.csv"
awk 'BEGIN { print "class,x,y"; for (i = 0; i < 20; i++) for (j = 0; j < 20; j++) {
    x = (i + 0.5) / 20; y = (j + 0.37) / 20; printf "%d,%.4f,%.4f\n", 1 + int((x + y) * 1.5), x, y } }' >"$TMP/three.csv"
# Raw units far from [0, 1], for the scaling of inputs and targets.
awk 'BEGIN { print "x,y"; for (i = 0; i < 200; i++) { x = 100 + i * 2.5; printf "%.4f,%.6f\n", x, 3000 * sin(x / 80) - 500 } }' >"$TMP/raw.csv"
train() { # name args...
    local name=$1
    shift
    "$NNC" train "$@" --name "$name" --out "$TMP" --quiet >"$TMP/$name.log" 2>"$TMP/$name.err" ||
        fail "train $name: $(cat "$TMP/$name.err")"
}
train bin --train "$TMP/binary.csv" --test "$TMP/binary.csv" --label 0 --task binary \
    --hidden 4 --activation tanh --epochs 20 --checkpoint 10
train mc --train "$TMP/three.csv" --test "$TMP/three.csv" --label 0 --task multiclass \
    --layers 2,6,5,3 --activation relu --eta 0.1 --epochs 20 --checkpoint 10
models=()
for a in $ACTS; do
    "$NNC" convert "$TMP/bin" "$TMP/bin_$a.nnc" --task binary --activation "$a" 2>"$TMP/err" ||
        fail "convert bin --activation $a: $(cat "$TMP/err")"
    models+=("$TMP/bin_$a.nnc")
done
check bin 1 2 1 "$TMP/in2.csv" "${models[@]}"
models=()
for a in $ACTS; do
    "$NNC" convert "$TMP/mc" "$TMP/mc_$a.nnc" --task multiclass --label-base 1 --activation "$a,tanh" \
        2>"$TMP/err" || fail "convert mc --activation $a,tanh: $(cat "$TMP/err")"
    models+=("$TMP/mc_$a.nnc")
done
check mc 2 2 3 "$TMP/in2.csv" "${models[@]}"

# --- models as nnc train writes them: scaling of inputs and targets ----------
train rawfit --train "$TMP/raw.csv" --test "$TMP/raw.csv" --normalize minmax --hidden 5 \
    --activation gelu_erf --epochs 30 --checkpoint 10
train rawbin --train "$TMP/binary.csv" --test "$TMP/binary.csv" --label 0 --task binary \
    --normalize minmax --hidden 3 --activation silu --epochs 10 --checkpoint 10
train rawmc --train "$TMP/three.csv" --test "$TMP/three.csv" --label 0 --task multiclass \
    --normalize minmax --hidden 4 --activation softplus --epochs 10 --checkpoint 10
awk -F, '{ printf "%.9g\n", $1 * 137 + 60 }' "$TMP/in1.csv" >"$TMP/in1raw.csv"
check rawfit 0 1 1 "$TMP/in1raw.csv" "$TMP/rawfit/model.nnc"
check rawcls 1 2 1 "$TMP/in2.csv" "$TMP/rawbin/model.nnc"
check rawmc 2 2 3 "$TMP/in2.csv" "$TMP/rawmc/model.nnc"
# --- batch norm and dropout: their inference arithmetic, bit for bit ---------
train bnfit --train "$TMP/raw.csv" --test "$TMP/raw.csv" --normalize minmax --hidden 5,4 \
    --activation tanh --batchnorm --dropout 0.2 --optimizer adam --eta 0.01 --epochs 30 \
    --checkpoint 10
train bnmc --train "$TMP/three.csv" --test "$TMP/three.csv" --label 0 --task multiclass \
    --hidden 6,5 --activation relu,sigmoid --batchnorm --dropout 0.3,0.1 --epochs 10 \
    --checkpoint 10
check bnfit 0 1 1 "$TMP/in1raw.csv" "$TMP/bnfit/model.nnc"
check bnmc 2 2 3 "$TMP/in2.csv" "$TMP/bnmc/model.nnc"
grep -q "nnc_batchnorm_element(" "$TMP/bnfit_0.c" || fail "bnfit_0.c does not call nnc_batchnorm_element"
grep -q "nnc_dropout_element(" "$TMP/bnmc_0.c" || fail "bnmc_0.c does not call nnc_dropout_element"
grep -q "_x_offset\[1\]" "$TMP/rawfit_0.c" || fail "rawfit_0.c has no input scaling"
grep -q "_y_scale\[1\]" "$TMP/rawfit_0.c" || fail "rawfit_0.c has no output scaling"
grep -qx "#define RAWMC_0_LABEL_BASE 1" "$TMP/rawmc_0.c" || fail "rawmc_0.c: label base is not 1"

# --- the file itself ----------------------------------------------------------
"$NNC" export-c "$TMP/sin_sigmoid.nnc" >"$TMP/stdout.c" 2>"$TMP/err" || fail "export-c to stdout: $(cat "$TMP/err")"
grep -q '^void model_predict(const '"$REAL"' \*x, '"$REAL"' \*y)$' "$TMP/stdout.c" || fail "default prefix is not model"
grep -q "^static const $REAL model_w1\[1\]" "$TMP/stdout.c" || fail "weights are not $REAL arrays"
"$NNC" export-c "$TMP/sin_sigmoid.nnc" -o "$TMP/again.c" && cmp -s "$TMP/stdout.c" "$TMP/again.c" ||
    fail "-o FILE and standard output differ"
ls -A "$TMP" | grep -q '^\.nnc-' && fail "a temporary file was left in $TMP"

# --- the formulas are the library's own text ----------------------------------
# The file carries src/kernels/activation_elements.h verbatim (less its
# #include lines), and each hidden layer calls its activation's NAME_f.
ELEMENTS=$(grep -v '^#include "' "$(dirname "$0")/../src/kernels/activation_elements.h")
[[ "$(cat "$TMP/stdout.c")" == *"$ELEMENTS"* ]] ||
    fail "the exported file does not carry src/kernels/activation_elements.h verbatim"
for a in $ACTS; do
    "$NNC" export-c "$TMP/sin_$a.nnc" -o "$TMP/calls.c" 2>"$TMP/err" || fail "export-c sin_$a: $(cat "$TMP/err")"
    [ "$(grep -c "^        h0\[j\] = ${a}_f(h0\[j\], ($REAL)" "$TMP/calls.c")" = 1 ] ||
        fail "sin_$a: predict does not call ${a}_f once: $(grep -n '_f(h0' "$TMP/calls.c" | head -2)"
done
# Clang warns about unused static functions where GCC does not: the file
# must still compile cleanly there, and give the same bits.
if command -v clang >/dev/null && [ "$CC" != clang ]; then
    clang "${STRICT[@]}" -Wshadow -Wmissing-prototypes -Wstrict-prototypes -DLABEL_BASE=0 -I"$TMP" \
        -o "$TMP/sin_clang" "$TMP/sin_driver.c" -lm 2>"$TMP/cc.err" ||
        fail "clang: the generated files do not compile: $(head -5 "$TMP/cc.err")"
    "$TMP/sin_clang" <"$TMP/in1.csv" | cmp -s "$TMP/sin.want" - ||
        fail "compiled with clang, the exported C differs from nnc predict"
fi

# --- metadata cannot change how the file compiles ------------------------------
# A training file whose path holds a comment's end and start, a trigraph (??/
# is a backslash under -trigraphs, a line splice at the end of a line), a
# backslash, a quote and a newline: each reaches the heading as provenance.
EVIL="$TMP/evil/a*/??/*b\\\"q
x"
mkdir -p "$(dirname "$EVIL")"
awk 'BEGIN { print "x,y"; for (i = 0; i < 30; i++) printf "%g,%g\n", i / 30, i / 60 }' >"$EVIL.csv"
"$NNC" train --train "$EVIL.csv" --test "$EVIL.csv" --epochs 2 --checkpoint 1 --quiet \
    --out "$TMP/evil/m*/x/*y" --name "??" >/dev/null 2>"$TMP/err" || fail "evil-named run: $(cat "$TMP/err")"
# converted_from is the folder as given: here ending in ??/ (a line splice).
"$NNC" convert "$TMP/evil/m*/x/*y/??/" "$TMP/evil/conv.nnc" >/dev/null 2>"$TMP/err" ||
    fail "convert evil: $(cat "$TMP/err")"
for m in "$TMP/evil/m*/x/*y/??/model.nnc" "$TMP/evil/conv.nnc"; do
    "$NNC" export-c "$m" -o "$TMP/evil.c" 2>"$TMP/err" || fail "export-c $m: $(cat "$TMP/err")"
    for std in c99 c11; do
        "$CC" -std=$std -Wall -Wextra -Werror -pedantic -trigraphs -c "$TMP/evil.c" -o "$TMP/evil.o" \
            2>"$TMP/err" || fail "metadata of $m broke the file (-std=$std -trigraphs): $(head -3 "$TMP/err")"
    done
done
grep -qF '/\077\077/"' "$TMP/evil.c" || fail "converted_from not escaped: $(grep converted_from "$TMP/evil.c")"
"$NNC" export-c "$TMP/evil/m*/x/*y/??/model.nnc" -o "$TMP/evil.c" 2>"$TMP/err"
grep -qF 'train_file: "'"$TMP"'/evil/a\052/\077\077/\052b\134\042q\012x.csv"' "$TMP/evil.c" ||
    fail "train_file not escaped as a C string: $(grep train_file "$TMP/evil.c")"

# --- bad arguments --------------------------------------------------------------
M="$TMP/sin_sigmoid.nnc"
expect_error 1 "no MODEL given" export-c
expect_error 1 "unknown option '--bogus'" export-c "$M" --bogus
expect_error 1 "--prefix: '9lives' is not a C identifier" export-c "$M" --prefix 9lives
expect_error 1 "--prefix: 'a-b' is not a C identifier" export-c "$M" --prefix a-b
expect_error 1 "--prefix: '_x' is not a C identifier" export-c "$M" --prefix _x
expect_error 1 "--prefix needs a value" export-c "$M" --prefix
expect_error 1 "unexpected argument 'extra'" export-c "$M" extra
expect_error 1 "$TMP/none.nnc" export-c "$TMP/none.nnc"
expect_error 1 "$TMP/no/such/dir/m.c" export-c "$M" -o "$TMP/no/such/dir/m.c"
head -c 100 "$M" >"$TMP/cut.nnc"
expect_error 1 "$TMP/cut.nnc" export-c "$TMP/cut.nnc"
"$NNC" export-c --help | grep -- '--prefix' >/dev/null || fail "export-c --help"

finish cli_export
