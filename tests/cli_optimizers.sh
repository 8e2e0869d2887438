# nnc optimizers: the catalogue, the ch15.4 contour study (SVG and CSV, the
# SGD and Momentum paths against their formulas computed here) and refusals.
# Usage: bash cli_optimizers.sh NNC_BINARY DATA_DIR TMP_DIR
set -uo pipefail

NNC=$1
TMP=$3
mkdir -p "$TMP"
source "$(dirname "$0")/testlib.sh"

run() {
    rc=0
    "$NNC" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
}

# The catalogue: all eight, each with its defaults.
run optimizers
if [ "$rc" -ne 0 ]; then fail "nnc optimizers exited $rc: $(cat "$TMP/err")"; fi
for row in "sgd " "momentum +alpha=0.9 " "nag +alpha=0.9 " "adagrad +eps=1e-06 " \
    "adadelta +alpha=0.9,eps=1e-05 " "rmsprop +rho=0.9,eps=1e-06 " \
    "adam +beta1=0.9,beta2=0.999,eps=1e-08 " "adamw +beta1=0.9,beta2=0.999,eps=1e-08,weight_decay=0.01 "; do
    if ! grep -qE "^$row" "$TMP/out"; then fail "nnc optimizers lacks a row '$row'"; fi
done
run optimizers --help
if [ "$rc" -ne 0 ] || ! grep -q -- "--start X,Y" "$TMP/out"; then fail "optimizers --help"; fi

# The study with the book's settings.
run optimizers --plot "$TMP/study/deep"
if [ "$rc" -ne 0 ]; then fail "optimizers --plot exited $rc: $(cat "$TMP/err")"; fi
svg=$TMP/study/deep/optimizers-contour.svg
csv=$TMP/study/deep/optimizers-trajectories.csv
if [ ! -s "$svg" ] || [ "$(head -c 5 "$svg")" != "<?xml" ] || ! grep -q '</svg>' "$svg"; then
    fail "$svg is not a standalone SVG"
fi
if grep -q -i -E 'nan|inf' "$svg"; then fail "$svg contains nan or inf"; fi
if grep -q -E 'clipPath|opacity|rotate' "$svg"; then fail "$svg uses clipPath, opacity or rotation"; fi
if command -v xmllint >/dev/null 2>&1 && ! xmllint --noout "$svg" 2>"$TMP/xmllint.err"; then
    fail "$svg is not well-formed: $(head -3 "$TMP/xmllint.err")"
fi
for name in sgd momentum rmsprop adam; do
    if ! grep -q ">$name<" "$svg"; then fail "$svg has no legend entry $name"; fi
    n=$(grep -c "^$name," "$csv")
    if [ "$n" -ne 21 ]; then fail "$csv has $n rows of $name, want 21 (steps 0 to 20)"; fi
done
if [ "$(head -1 "$csv")" != "optimizer,step,x,y,z" ]; then fail "$csv header"; fi

# Each path against its formula, here in double precision: relative 1e-5
# leaves room for the float build's rounding over 20 steps.
check_path() {
    local name=$1
    awk -F, -v name="$name" '
        BEGIN { x = -7; y = 2; vx = 0; vy = 0; bad = 0 }
        $1 == name {
            if ($2 > 0) {
                gx = x / 5; gy = 2 * y
                if (name == "sgd") { x -= 0.95 * gx; y -= 0.95 * gy }
                else { vx = 0.9 * vx - 0.1 * gx; vy = 0.9 * vy - 0.1 * gy; x += vx; y += vy }
            }
            z = x * x / 10 + y * y
            if (far($3, x) || far($4, y) || far($5, z)) { print "step " $2 ": " $3 "," $4 "," $5 " want " x "," y "," z; bad = 1 }
        }
        function far(a, b) { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; return d > 1e-5 * m + 1e-6 }
        END { exit bad }' "$csv" >"$TMP/path.err" || fail "$name path differs from its formula: $(head -3 "$TMP/path.err")"
}
check_path sgd
check_path momentum

# Options change the study.
run optimizers --plot "$TMP/s2" --optimizers sgd,nag --steps 3 --start 1,-1
if [ "$rc" -ne 0 ]; then fail "optimizers --optimizers/--steps/--start exited $rc: $(cat "$TMP/err")"; fi
if [ "$(grep -c '^nag,' "$TMP/s2/optimizers-trajectories.csv")" -ne 4 ]; then fail "--steps 3 --optimizers nag"; fi
if ! grep -q '^sgd,0,1,-1,1.1$' "$TMP/s2/optimizers-trajectories.csv"; then fail "--start 1,-1 not the first point"; fi

# Refusals.
expect_error 1 "unknown optimizer 'foo'" optimizers --plot "$TMP/s3" --optimizers sgd,foo
expect_error 1 "--optimizers: no optimizer" optimizers --plot "$TMP/s3" --optimizers ,
expect_error 1 "--steps" optimizers --plot "$TMP/s3" --steps 0
expect_error 1 "--steps" optimizers --plot "$TMP/s3" --steps 10001
expect_error 1 "--start" optimizers --plot "$TMP/s3" --start 1
expect_error 1 "--start" optimizers --plot "$TMP/s3" --start 1,2,3
expect_error 1 "--start" optimizers --plot "$TMP/s3" --start 1e9,0
expect_error 1 "need --plot" optimizers --steps 5
expect_error 1 "unexpected argument" optimizers adam

finish cli_optimizers
