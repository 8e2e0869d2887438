#!/usr/bin/env bash
# Regenerates the pictures and outputs shown in docs/seed-chapter.md from
# the real commands.  Usage: docs/make-figures.sh [path/to/nnc]
set -euo pipefail
cd "$(dirname "$0")/.."
NNC=${1:-build/nnc}
OUT=docs/img/seed
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
INIT=data/ai-edu/ch09-weights/sin_111

"$NNC" activations --plot "$WORK/act" >/dev/null
for a in step sigmoid tanh relu leaky_relu elu softplus benidentity activations; do
    cp "$WORK/act/$a.svg" "$OUT/act_$a.svg"
done
"$NNC" steps >"$OUT/steps.txt"

run() { # name, then nnc train arguments
    local name=$1
    shift
    "$NNC" train "$@" --quiet --out "$WORK" --name "$name" >"$OUT/$name.log" 2>/dev/null
    cp "$WORK/$name/history.svg" "$OUT/${name}_history.svg"
    cp "$WORK/$name/result.svg" "$OUT/${name}_result.svg"
}
run sin_111 sin --hidden 1 --eta 0.05 --epochs 5000 --init-from "$INIT"
run sin_121 sin --hidden 2 --eta 0.05 --epochs 5000 --init-from "$INIT"
run sin_131 sin --hidden 3
run composite_131 composite --hidden 3 --eta 0.5
echo "wrote $OUT"
