#!/usr/bin/env bash
# Every subcommand refuses arguments that make no sense before doing any
# work: out-of-range, empty or repeated values, options that do not go
# together, outputs that cannot be written, and sizes that would exhaust
# memory or the history.  Each case: the exit status and the words the
# message must hold (it names the flag, the value and the reason).
# Usage: cli_args.sh NNC DATA_DIR TMP_DIR
set -uo pipefail
NNC=$1 DATA=$2 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
source "$(dirname "$0")/testlib.sh"


# --- fixtures: a tiny trained model, CSV sets, a file where a folder goes ----
"$NNC" train sin --epochs 2 --checkpoint 1 --quiet --out "$TMP" --name m >/dev/null 2>"$TMP/fix.err" ||
    fail "fixture model: $(cat "$TMP/fix.err")"
M="$TMP/m/model.nnc"
awk 'BEGIN { print "class,x,y"; for (i = 0; i < 6; i++) for (j = 0; j < 6; j++) {
    x = (i + 0.5) / 6; y = (j + 0.37) / 6; printf "%d,%.4f,%.4f\n", 1 + int((x + y) * 1.5), x, y } }' >"$TMP/three.csv"
sed 's/^1,/0,/; s/^2,/1,/; s/^3,/2,/' "$TMP/three.csv" >"$TMP/three0.csv"
"$NNC" train --train "$TMP/three.csv" --test "$TMP/three.csv" --label 0 --task multiclass \
    --epochs 2 --checkpoint 1 --quiet --out "$TMP" --name mc >/dev/null 2>"$TMP/fix.err" ||
    fail "fixture classifier: $(cat "$TMP/fix.err")"
"$NNC" train sin --layers 1,1 --epochs 2 --checkpoint 1 --quiet --out "$TMP" --name one \
    >/dev/null 2>"$TMP/fix.err" || fail "fixture single layer: $(cat "$TMP/fix.err")"
: >"$TMP/file"
mkdir -p "$TMP/dir"
SIN111="$DATA/ch09-weights/sin_111"
H="$TMP/m/history.csv"
WIDE=$(seq -s, 999901 1000000) # 100 widths of about a million

# --- the rule for every command: each option once, no empty values ----------
expect_error 1 "--epochs given twice (each option may be given once)" train --epochs 1 --epochs 2
expect_error 1 "--quiet given twice" train -q --quiet
expect_error 1 "--no-save given twice" train --no-save --no-save
expect_error 1 "--train given twice" train --train a.csv --train b.csv --test c.csv
expect_error 1 "--out: the value is empty" train --out ""
expect_error 1 "--out: the value is empty" train --out=
expect_error 1 "--init-from: the value is empty" train --init-from ""
expect_error 1 "--model given twice" eval --model "$SIN111" --model "$SIN111"
expect_error 1 "--model: the value is empty" eval --model ""
expect_error 1 "--out given twice" predict "$M" -o a.csv --out b.csv
expect_error 1 "--no-header given twice" predict "$M" --no-header --no-header
expect_error 1 "--key: the value is empty" predict "$M" --key ""
expect_error 1 "--task given twice" convert "$SIN111" "$TMP/x.nnc" --task binary --task binary
expect_error 1 "--prefix given twice" export-c "$M" --prefix a --prefix b
expect_error 1 "--plot given twice" activations --plot "$TMP/a" --plot "$TMP/b"
expect_error 1 "--at: the value is empty" activations sigmoid --at ""
expect_error 1 "--verbose given twice" steps --verbose --verbose
expect_error 1 "--eta given twice" steps --eta 0.1 --eta 0.2
expect_error 1 "--log given twice" plot "$H" --log --log
expect_error 1 "--title given twice" plot "$H" --title a --title b
expect_error 1 "--jobs given twice" sweep --jobs 1 --jobs 2
expect_error 1 "--threads given twice" train --threads 1 --threads 2
expect_error 1 "--threads: the value is empty" train --threads ""
expect_error 1 "--hidden given twice" sweep --hidden 2 --hidden 4
expect_error 1 "--quiet given twice" sweep -q -q

# --- numbers: ranges, NaN and infinity ----------------------------------------
expect_error 1 "--eta: 'nan' is not a finite number" train --eta nan
expect_error 1 "--eta: 'inf' is not a finite number" train --eta inf
expect_error 1 "--eta must be positive (got -0.1)" train --eta -0.1
expect_error 1 "--eps must be >= 0 (got -1)" train --eps -1
expect_error 1 "--checkpoint must be positive (got 0)" train --checkpoint 0
expect_error 1 "--epochs: 0 is out of range [1, 100000000]" train --epochs 0
expect_error 1 "--epochs: '1e9' is not a whole number" train --epochs 1e9
expect_error 1 "--batch must be positive, or -1" train --batch 0
expect_error 1 "--batch: -2 is out of range" train --batch -2
expect_error 1 "--hidden: '0' is not a width from 1 to 1000000" train --hidden 0
expect_error 1 "--hidden: '' is not a finite number" train --hidden 3,,3
expect_error 1 "--seed: '-1' is not a whole number >= 0" train --seed -1
expect_error 1 "--seed: '18446744073709551616' is not a whole number" train --seed 18446744073709551616
expect_error 1 "--checkpoint 20000 is more than --epochs 10000" train --checkpoint 20000
expect_error 1 "--activation: the list is too long" train --activation "$(printf 'relu,%.0s' $(seq 60))relu"
expect_error 1 "--name: a folder name has at most 255 bytes" train --name "$(printf 'n%.0s' $(seq 300))"
expect_error 1 "--eps must be >= 0 (got -1)" sweep --eps -1
expect_error 1 "--checkpoint must be positive (got 0)" sweep --checkpoint 0
expect_error 1 "--checkpoint 100 is more than --epochs 10" sweep --checkpoint 100 --epochs 10
expect_error 1 "--threads: 0 is out of range [1, 256]" train --threads 0
expect_error 1 "--threads: 257 is out of range [1, 256]" train --threads 257
expect_error 1 "--threads: -2 is out of range [1, 256]" train --threads -2
expect_error 1 "--threads: '2.5' is not a whole number" train --threads 2.5
expect_error 1 "--threads: 'two' is not a whole number" train --threads two
expect_error 1 "--jobs: 0 is out of range [1, 1024]" sweep --jobs 0
expect_error 1 "--jobs: 1025 is out of range [1, 1024]" sweep --jobs 1025
expect_error 1 "--hidden: 4 is listed twice" sweep --hidden 4,2,4
expect_error 1 "--eta: 0.1 is listed twice" sweep --eta 0.1,0.1
expect_error 1 "--batch: 10 is listed twice" sweep --batch 10,10
expect_error 1 "--batch: -1 and 5000 both mean the whole training set of 900 rows" sweep --batch -1,5000
expect_error 1 "--eta must be positive (got 0)" steps --eta 0
expect_error 1 "--start: 'nan' is not a finite number" steps --start nan
expect_error 1 "--max-steps: 0 is out of range" steps --max-steps 0
expect_error 1 "--target -0.5 is below every value sigmoid takes" steps --activation sigmoid --target -0.5
expect_error 1 "--label-base: 'x' is not a whole number" convert "$SIN111" "$TMP/x.nnc" --task binary --label-base x

# --- sizes that would exhaust memory or the history -----------------------------
expect_error 1 "--hidden: a 1-1000000-1000000-1 network (1000004000001 parameters)" train --hidden 1000000,1000000
expect_error 1 "needs about" train --layers 1,1000000,1000000,1 --batch -1
expect_error 1 "GiB for 100 runs side by side" sweep --hidden "$WIDE" --batch -1 --jobs 100
expect_error 1 "--epochs 100000000 with --checkpoint 0.0001 would make 4500000000 checks" \
    train --epochs 100000000 --checkpoint 0.0001
expect_error 1 "a run makes at most 1000000" train --resume "$M" --epochs 100000000 --checkpoint 0.001 --no-save
expect_error 1 "would make 9000000000 checks" sweep --epochs 100000000 --checkpoint 0.0001
expect_error 1 "--hidden, --eta and --batch list 100 x 2 x 100 = 20000 runs; a sweep makes at most 10000" \
    sweep --hidden "$(seq -s, 1 100)" --eta 0.1,0.2 --batch "$(seq -s, 1 100)"

# --- options that do not go together ---------------------------------------------
expect_error 1 "--no-save writes nothing, so --out has no use" train --no-save --out "$TMP/x"
expect_error 1 "--no-save writes nothing, so --name has no use" train --no-save --name x
expect_error 1 "--label picks CSV columns of --train/--test files; the built-in set sin" train --label 0
expect_error 1 "the built-in set composite has its own labels" sweep --label 0
expect_error 1 "the built-in set sin has its own labels" eval --model "$SIN111" --label 0
expect_error 1 "--label picks CSV columns; $DATA/ch08.train.npz and $DATA/ch08.test.npz are .npz" \
    train --train "$DATA/ch08.train.npz" --test "$DATA/ch08.test.npz" --label 0
expect_error 1 "--task binary needs labels 0 and 1, but sin has" train --task binary
expect_error 1 "--task binary needs labels 0 and 1, but $TMP/three.csv has 2" \
    train --train "$TMP/three.csv" --test "$TMP/three.csv" --label 0 --task binary
expect_error 1 "--task binary needs labels 0 and 1" eval --model "$SIN111" --task binary
expect_error 1 "multiclass labels must be integers" train --task multiclass
expect_error 1 "give --hidden or --layers, not both" train --hidden 3 --layers 1,3,1
expect_error 1 "--label goes with --train/--test" train --resume "$M" --label 0 --epochs 5
expect_error 1 "cannot change them" train --resume "$M" --batch 5 --epochs 5
expect_error 1 "numbers its classes from label 1, but the smallest training label here is 0" \
    train --resume "$TMP/mc/model.nnc" --train "$TMP/three0.csv" --test "$TMP/three0.csv" --label 0 --epochs 4 --no-save
expect_error 1 "$TMP/m is a folder; its model file is $TMP/m/model.nnc" train --resume "$TMP/m" --epochs 5
expect_error 1 "--activation: the weights in $TMP/one make a single layer" convert "$TMP/one" "$TMP/x.nnc" --activation relu
expect_error 1 "--task multiclass: the weights in $SIN111 end in 1 output" convert "$SIN111" "$TMP/x.nnc" --task multiclass
expect_error 1 "--label-base applies to classifiers" convert "$SIN111" "$TMP/x.nnc" --label-base 0
expect_error 1 "--activation: 'relu,tanh' is a list, but a sweep's networks have one hidden layer" sweep --activation relu,tanh
expect_error 1 "--at and --plot cannot be combined" activations sigmoid --at 1 --plot "$TMP/p"

# --- outputs that cannot be written: refused before any work ----------------------
expect_error 1 "--out $TMP/file: $TMP/file is a file, not a folder" train --out "$TMP/file"
expect_error 1 "--out $TMP/file/sub: $TMP/file is a file, not a folder" train --out "$TMP/file/sub"
expect_error 1 "run folder $TMP/file: $TMP/file is a file, not a folder" train --out "$TMP" --name file
expect_error 1 "--out $TMP/file: $TMP/file is a file, not a folder" sweep --out "$TMP/file"
expect_error 1 "--plot $TMP/file: $TMP/file is a file, not a folder" activations --plot "$TMP/file"
expect_error 1 "--out $TMP/dir is a folder; give the name of a file to write" predict "$M" -o "$TMP/dir"
expect_error 1 "--out $TMP/dir is a folder" export-c "$M" --out "$TMP/dir"
expect_error 1 "--out $TMP/dir is a folder" plot "$H" --out "$TMP/dir"
expect_error 1 "--out $TMP/nowhere/h.svg: the folder $TMP/nowhere does not exist" plot "$H" --out "$TMP/nowhere/h.svg"
expect_error 1 "OUT $TMP/file/x.nnc: $TMP/file is a file, not a folder" convert "$SIN111" "$TMP/file/x.nnc"
expect_error 1 "OUT $TMP/file/w: $TMP/file is a file, not a folder" convert "$M" "$TMP/file/w"
if [ "$(id -u)" != 0 ]; then # root writes anywhere
    mkdir -p "$TMP/locked" && chmod 555 "$TMP/locked"
    expect_error 1 "--out $TMP/locked/x: cannot write in $TMP/locked" train --out "$TMP/locked/x"
    expect_error 1 "cannot write in $TMP/locked" predict "$M" -o "$TMP/locked/p.csv"
    chmod 755 "$TMP/locked"
fi

# --- positional arguments: empty, or where none belong ------------------------------
expect_error 1 "unexpected argument 'composite'" train sin composite
expect_error 1 "unknown data set ''" train ""
expect_error 1 "an empty argument where MODEL's file name should be" predict ""
expect_error 1 "an empty argument where INPUT's file name should be" predict "$M" ""
expect_error 1 "an empty argument where MODEL's file name should be" export-c ""
expect_error 1 "IN and OUT must not be empty" convert "" "$TMP/x"
expect_error 1 "an empty argument where a history file's name should be" plot ""
expect_error 1 "$H given twice: each history is drawn once" plot "$H" "$H"
expect_error 1 "no history file given" plot --log
expect_error 1 "unexpected argument 'x'" steps x
expect_error 1 "unexpected argument 'x' after --version" --version x
expect_error 1 "unexpected argument 'x' after help" help train x

# Nothing above may have written a run folder, chart or file.
left=$(cd "$TMP" && ls | grep -v -x -e m -e mc -e one -e file -e dir -e out -e err -e fix.err \
    -e three.csv -e three0.csv -e locked)
[ -z "$left" ] || fail "a refused command left files behind: $left"

"$NNC" train --help | grep 'Each option may be given once' >/dev/null || fail "train --help states the rule"
"$NNC" steps --help | grep 'Each option but --activation' >/dev/null || fail "steps --help states the rule"

# A number out of double's range is a number, just not a usable one: say which
# way it is out (1e-320 is finite, subnormal; 1e-400 underflows to 0).
expect_error 1 "--eta: '1e-320' is too small (the smallest magnitude is 2.2" train --eta 1e-320
expect_error 1 "--eta: '1e-400' is too small" train --eta 1e-400
expect_error 1 "--eta: '1e400' is too large (the largest magnitude is 1.79" train --eta 1e400
expect_error 1 "--start: '-1e999' is too large" steps --start -1e999

# Messages quote numbers as given (the shortest text that reads back), not
# rounded by %g into a value that would have been accepted.
expect_error 1 "--hidden: '3.0000001' is not a width from 1 to 1000000" train --hidden 3.0000001
expect_error 1 "--hidden: '2.0000001' is not a whole number from 1" sweep --hidden 2.0000001
expect_error 1 "--hidden: 10000000 is listed twice" sweep --hidden 1e7,10000000

# Output that cannot be written is a failure (2) named once, never a success.
for args in "activations" "activations sigmoid --at 0.5" "train sin --epochs 50 --no-save" \
            "--version" "steps" "train --help" "eval --help" "predict --help" "convert --help" \
            "export-c --help" "activations --help" "steps --help" "plot --help" "sweep --help" \
            "bench --help" "--help"; do
    # shellcheck disable=SC2086
    "$NNC" $args >/dev/full 2>"$TMP/err" </dev/null
    rc=$?
    [ $rc = 2 ] || fail "nnc $args >/dev/full: exit status $rc, want 2"
    grep -q ": cannot write standard output: No space left on device" "$TMP/err" ||
        fail "nnc $args >/dev/full: message '$(cat "$TMP/err")'"
done

# --- one option table per command (cli/options.c) -------------------------------
# An unknown option is a usage error (1) named as given, with the nearest
# option when one is close (a typo), and no guess when none is.
for c in train eval activations steps plot sweep predict convert export-c bench; do
    expect_error 1 "unknown option '--bogus'" $c --bogus
done
expect_error 1 "unknown option '--epoch'; did you mean --epochs?" train --epoch 5
expect_error 1 "unknown option '--hiden'; did you mean --hidden?" sweep --hiden 3
expect_error 1 "unknown option '--treads=2'; did you mean --threads?" predict "$M" --treads=2
expect_error 1 "unknown option '--no-headr'; did you mean --no-header?" predict "$M" --no-headr
expect_error 1 "unknown option '--pre'; did you mean --prefix?" export-c "$M" --pre x
"$NNC" train --zzzzzz 2>"$TMP/err" </dev/null
grep -q "did you mean" "$TMP/err" && fail "train --zzzzzz: a guess far from every option: $(cat "$TMP/err")"
# Each option once, in any command and either spelling; a flag takes no value.
expect_error 1 "--rows given twice (each option may be given once)" bench --rows 10 --rows=20
expect_error 1 "--max-memory given twice" plot "$H" --max-memory 1G --max-memory 2G
expect_error 1 "--label-base given twice" convert "$SIN111" "$TMP/x.nnc" --label-base 1 --label-base 1
expect_error 1 "--quiet given twice" train --quiet -q
expect_error 1 "--quiet takes no value" train --quiet=1
expect_error 1 "--batch needs a value" bench --batch
# Values out of their range, checked by the type in the table.
expect_error 1 "--rows: 0 is out of range [1, 100000000]" bench --rows 0
expect_error 1 "--max-steps: 100000001 is out of range [1, 100000000]" steps --max-steps 100000001
expect_error 1 "--label-base: 2000000000 is out of range" convert "$SIN111" "$TMP/x.nnc" --task binary --label-base 2000000000
expect_error 1 "--eta must be positive (got -1)" bench --eta -1
expect_error 1 "--max-memory: '0' is not a size" predict "$M" --max-memory 0
# --help of every command: exit status 0, its options listed, and every option
# it lists is one the command takes (given with an empty value, each is refused
# for the value, never as unknown, and nothing runs).
for c in train eval activations steps plot sweep predict convert export-c bench; do
    "$NNC" $c --help >"$TMP/help" 2>"$TMP/err" </dev/null
    rc=$?
    [ $rc = 0 ] || fail "nnc $c --help: exit status $rc"
    opts=$(grep -o -- '--[a-z][a-z0-9-]*' "$TMP/help" | sort -u)
    [ -n "$opts" ] || fail "nnc $c --help lists no option"
    for o in $opts; do
        [ "$o" = --help ] && continue
        "$NNC" $c "$o=" >"$TMP/out" 2>"$TMP/err" </dev/null
        rc=$?
        if [ $rc != 1 ] || grep -q "unknown option" "$TMP/err"; then
            fail "nnc $c --help lists $o, which nnc $c $o= does not take as an option (exit $rc: $(cat "$TMP/err"))"
        fi
    done
done
"$NNC" train -h | cmp -s - <("$NNC" train --help) || fail "train -h and --help differ"
"$NNC" help sweep | cmp -s - <("$NNC" sweep --help) || fail "help sweep and sweep --help differ"

finish cli_args
