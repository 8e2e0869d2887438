# nnc activations and nnc steps: the catalogue listing, evaluation at points,
# the textbook's "67 steps versus 2" and the error paths.
# Usage: bash cli_activations.sh NNC_BINARY DATA_DIR TMP_DIR
set -euo pipefail

nnc=$1
tmp=$3
mkdir -p "$tmp"
source "$(dirname "$0")/testlib.sh"

# Runs nnc with stdout to $tmp/out, stderr to $tmp/err; sets $rc.
run() {
    rc=0
    "$nnc" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
}

names="identity step sigmoid tanh relu leaky_relu softplus elu benidentity gelu_tanh
gelu_erf silu mish selu softsign hard_sigmoid hard_tanh"

# The catalogue lists all 17 activations, one row each.
run activations
if [ "$rc" -ne 0 ]; then fail "nnc activations exited $rc: $(cat "$tmp/err")"; fi
for n in $names; do
    if ! grep -q "^$n " "$tmp/out"; then fail "nnc activations does not list $n"; fi
done
rows=$(grep -c -E '^[a-z_]+ ' "$tmp/out" || true)
if [ "$rows" -ne 18 ]; then fail "nnc activations printed $rows rows, want a header and 17"; fi
if ! grep -q 'a(1-a)' "$tmp/out"; then fail "nnc activations lacks sigmoid's derivative"; fi

# Evaluation at points: "z a da", %.9g.
run activations sigmoid --at 0,1
if [ "$rc" -ne 0 ]; then fail "activations sigmoid --at exited $rc: $(cat "$tmp/err")"; fi
if [ "$(sed -n 1p "$tmp/out")" != "0 0.5 0.25" ]; then
    fail "sigmoid at 0: got '$(sed -n 1p "$tmp/out")', want '0 0.5 0.25'"
fi
# sigmoid(1) = 0.7310585786, sigmoid'(1) = 0.1966119332 (to float precision).
if ! awk 'NR == 2 { ok = NF == 3 && $1 == 1 &&
                         ($2 - 0.7310585786) ^ 2 < 1e-14 && ($3 - 0.1966119332) ^ 2 < 1e-14 }
          END { exit !(ok && NR == 2) }' "$tmp/out"; then
    fail "sigmoid at 1: got '$(sed -n 2p "$tmp/out")', want '1 0.731058579 0.196611933'"
fi

run activations Leaky-ReLU:0.2 --at=-2,3
if [ "$rc" -ne 0 ]; then fail "activations Leaky-ReLU:0.2 exited $rc: $(cat "$tmp/err")"; fi
if [ "$(tr '\n' ';' <"$tmp/out")" != "-2 -0.400000006 0.200000003;3 3 1;" ] &&
   [ "$(tr '\n' ';' <"$tmp/out")" != "-2 -0.4 0.2;3 3 1;" ]; then
    fail "leaky_relu:0.2 at -2,3: got '$(tr '\n' ';' <"$tmp/out")'"
fi

# Large |z| stays finite.
run activations softplus --at -10000,10000
if [ "$rc" -ne 0 ] || grep -q -i -E 'nan|inf' "$tmp/out"; then
    fail "softplus at +-1e4: rc $rc, output '$(tr '\n' ';' <"$tmp/out")'"
fi

# Unknown names and options fail on stderr, naming the valid choices.
run activations nosuch
if [ "$rc" -eq 0 ]; then fail "activations nosuch exited 0"; fi
if ! grep -q nosuch "$tmp/err" || ! grep -q leaky_relu "$tmp/err" ||
   ! grep -q hard_tanh "$tmp/err"; then
    fail "activations nosuch: stderr does not name the valid names: $(cat "$tmp/err")"
fi
if [ -s "$tmp/out" ]; then fail "activations nosuch wrote to stdout"; fi

run activations relu --bogus
if [ "$rc" -ne 1 ] || ! grep -q -- --bogus "$tmp/err"; then
    fail "activations relu --bogus: rc $rc, stderr '$(cat "$tmp/err")'"
fi

run activations sigmoid --at 1,x
if [ "$rc" -ne 1 ]; then fail "activations sigmoid --at 1,x exited $rc, want 1"; fi

# The textbook's experiment: 67 steps for sigmoid, 2 for ReLU.
run steps
if [ "$rc" -ne 0 ]; then fail "nnc steps exited $rc: $(cat "$tmp/err")"; fi
if ! grep -q '^sigmoid: .*takes 67 steps (step 1: a=0.898368' "$tmp/out"; then
    fail "nnc steps: no '67 steps' for sigmoid: $(cat "$tmp/out")"
fi
if ! grep -q '^relu: .*takes 2 steps' "$tmp/out"; then
    fail "nnc steps: no '2 steps' for relu: $(cat "$tmp/out")"
fi

run steps --activation relu --verbose
if [ "$rc" -ne 0 ] || ! grep -q '^relu step 1: z=0.7' "$tmp/out" ||
   ! grep -q 'takes 2 steps' "$tmp/out"; then
    fail "steps --activation relu --verbose: rc $rc, output '$(cat "$tmp/out")'"
fi

run steps --activation sigmoid --max-steps 10
if [ "$rc" -ne 0 ] || ! grep -q 'not reached in 10 steps' "$tmp/out"; then
    fail "steps --max-steps 10: rc $rc, output '$(cat "$tmp/out")'"
fi

run steps --activation step
if [ "$rc" -ne 1 ] || ! grep -q 'step' "$tmp/err"; then
    fail "steps --activation step: rc $rc (want 1), stderr '$(cat "$tmp/err")'"
fi

run steps --activation sigmoid --start 1.5
if [ "$rc" -ne 1 ]; then fail "steps --start 1.5 for sigmoid exited $rc, want 1"; fi

run steps --frobnicate
if [ "$rc" -ne 1 ] || ! grep -q -- --frobnicate "$tmp/err"; then
    fail "steps --frobnicate: rc $rc, stderr '$(cat "$tmp/err")'"
fi

# Help goes to stdout and succeeds.
for cmd in activations steps; do
    run $cmd --help
    if [ "$rc" -ne 0 ] || ! grep -q -i usage "$tmp/out"; then
        fail "nnc $cmd --help: rc $rc, output '$(cat "$tmp/out")'"
    fi
done

finish cli_activations
