#!/usr/bin/env bash
# Regenerates the pictures and outputs shown in docs/seed-chapter.md and
# docs/framework.md from the real commands.  Usage: docs/make-figures.sh [path/to/nnc]
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

# docs/framework.md: the book's chapters 10-16.
OUT=docs/img/framework
mkdir -p "$OUT"
A=data/ai-edu
{ echo x1,x2,y; for _ in 1 2 3 4 5 6 7 8 9 10; do printf '0,0,0\n0,1,1\n1,0,1\n1,1,0\n'; done; } >"$WORK/xor.csv"
fw() { # name, then nnc train arguments: the log and history chart into $OUT
    local name=$1
    shift
    "$NNC" train "$@" --quiet --threads 1 --out "$WORK" --name "$name" >"$OUT/$name.log" 2>/dev/null
    cp "$WORK/$name/history.svg" "$OUT/${name}_history.svg"
}
fw xor --train "$WORK/xor.csv" --test "$WORK/xor.csv" --task binary --hidden 2 --eta 0.1 --batch 1 --eps 0.005 --checkpoint 100
fw arc --train $A/ch10.train.npz --test $A/ch10.test.npz --task binary --hidden 2 --eta 0.1 --batch 5 --eps 0.08 --checkpoint 5 --normalize minmax --split shuffled
fw bank --train $A/ch11.train.npz --test $A/ch11.test.npz --task multiclass --hidden 3 --eta 0.1 --batch 10 --epochs 5000 --eps 0.1 --checkpoint 10 --normalize minmax --split shuffled
for s in 1 2 3 4 5 6 7 8 9 10; do
    "$NNC" train --train $A/ch11.train.npz --test $A/ch11.test.npz --task multiclass --hidden 3 --eta 0.1 --batch 10 --epochs 5000 --eps 0.1 --checkpoint 10 --normalize minmax --split shuffled --seed $s --no-save 2>/dev/null | tail -1
done >"$OUT/bank_seeds.txt"
fw house --train $A/ch14.house.train.npz --test $A/ch14.house.test.npz --hidden 32,16,8 --activation relu --optimizer adam --eta 0.001 --batch 64 --epochs 60 --checkpoint 5 --eps 0 --normalize minmax --split shuffled
opt=()
for o in sgd:0.1 sgd:0.3 momentum:0.1 nag:0.1 adagrad:0.5 rmsprop:0.01 adam:0.01 adam:0.1; do
    fw "${o%:*}_${o#*:}" composite --hidden 3 --optimizer "${o%:*}" --eta "${o#*:}"
    opt+=("$WORK/${o%:*}_${o#*:}/history.csv")
done
"$NNC" plot "${opt[@]}" --log --title "ch15: composite 1-3-1, validation loss per optimizer" --out "$OUT/optimizers.svg" >/dev/null
gap=()
for r in none:"" l2:"--l2 0.01" l1:"--l1 0.005" dropout:"--dropout 0.1" patience:"--patience 20"; do
    # shellcheck disable=SC2086 # the option and its value are two words
    fw "ch16_${r%%:*}" --train $A/ch16.train.npz --test $A/ch16.test.npz --hidden 30,30,30,30 --activation relu --optimizer adam --eta 0.01 --batch 5 --epochs 2000 --eps 0 --checkpoint 20 --split shuffled ${r#*:}
    gap+=("$WORK/ch16_${r%%:*}/history.csv")
done
"$NNC" plot "${gap[@]}" --log --title "ch16: 25 points, 1-30-30-30-30-1, validation loss" --out "$OUT/ch16.svg" >/dev/null
"$NNC" optimizers --plot "$WORK/contour" >/dev/null
cp "$WORK/contour/optimizers-contour.svg" "$OUT/"
echo "wrote $OUT"
