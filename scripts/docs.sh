#!/usr/bin/env bash
# Keeps the command outputs quoted in README.md and docs/*.md true: runs every
# quoted command against a built nnc and compares (or, with --update,
# rewrites) the output quoted under it.
#
#   scripts/docs.sh [--update] [--nnc PATH] [FILE.md ...]
#
#   --nnc PATH  the nnc to run (default: build/nnc)
#   --update    rewrite the quoted outputs in place instead of checking them
#   FILE.md     the documents (default: README.md and docs/*.md)
#
# The check exits 1 and lists every quoted command whose output differs, with
# a diff (quoted → printed).  `make docs` runs --update on the Release build.
#
# What is run.  A fenced block (```) with lines that start with "$ " is a
# terminal session: each "$ " line is a command, and the lines under it, up
# to the next "$ " line or the end of the block, are what it prints (stdout
# and stderr as a terminal shows them).  Blocks without "$ " lines (usage
# lines, code, file contents) are left alone.  The commands of one document
# run in order, in one scratch folder that holds `data` (the repository's
# data/, so that data/ai-edu/... paths work) and with the nnc given first on
# PATH; a command may use what an earlier one wrote (sin.nnc, sin_111/).
#
# Markers, HTML comments on their own line, invisible on the rendered page:
#   <!-- docs: skip -->   the next fenced block is not run: illustrative
#                         commands, timings, outputs that differ run to run.
#   <!-- docs: stdout follows, times vary -->
#                         the next fenced block is a command (no "$ "); the
#                         text after the block, through its first table, is
#                         what it writes on stdout, blank lines aside, with
#                         the seconds masked ("in 0.6 s", and a table's last
#                         column when its header says "time").
#   <!-- docs: setup      a shell script (the lines up to "-->"), run at
#   CMD ...               that point in the document's scratch folder: the
#   -->                   input files that a later block needs.
# Elision: in a quoted output, one line that starts with "..." stands for
# any number of printed lines; the lines above it must be the first printed,
# the lines below it the last.  --update keeps the elision where it is, and
# the quoted tail starting at the last printed line that has the shape of its
# first line (the same but for digits: `epoch=4999, ...`).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

update=0
NNC=$ROOT/build/nnc
files=()
while [ $# -gt 0 ]; do
    case $1 in
        --update) update=1 ;;
        --nnc) NNC=$2; shift ;;
        --nnc=*) NNC=${1#--nnc=} ;;
        -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "docs.sh: unknown option $1" >&2; exit 1 ;;
        *) files+=("$1") ;;
    esac
    shift
done
if [ ${#files[@]} -eq 0 ]; then
    files=("$ROOT/README.md" "$ROOT"/docs/*.md)
fi
case $NNC in /*) ;; *) NNC=$PWD/$NNC ;; esac
[ -x "$NNC" ] || { echo "docs.sh: $NNC is not an executable nnc (build first, or --nnc PATH)" >&2; exit 1; }

WORK=$(mktemp -d) || exit 2
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin"
ln -s "$NNC" "$WORK/bin/nnc"

differ=0 commands=0

# mask_times: stdin to stdout with the seconds of a run replaced by "#".
mask_times() {
    sed -E 's/[0-9]+(\.[0-9]+)? s\b/# s/g' | awk -F'|' '
        /^\|/ && NR > 0 && !t { t = 1; timed = ($(NF - 1) ~ /time/) }
        /^\|/ && timed && $(NF - 1) ~ /^ *[0-9.]+ *$/ { $(NF - 1) = " # "; print; next }
        { print }' OFS='|'
}

# do_stdout FILE LINE CMD: runs CMD; compares its stdout with the quoted
# text that starts at doc line $i + 1 (through the first table); appends
# the quoted (or, with --update, the printed) text to $out and leaves $i on
# its last line.
do_stdout() {
    local file=$1 line=$2 cmd=$3 j=$((i + 1)) intable=0 quoted=()
    while [ $j -lt $n ]; do
        local q=${doc[$j]}
        if [ "${q:0:1}" = '|' ]; then
            intable=1
        elif [ $intable = 1 ]; then
            break
        fi
        quoted+=("$q")
        j=$((j + 1))
    done
    (cd "$scratch" && PATH=$WORK/bin:$PATH LC_ALL=C.UTF-8 bash -c "$cmd") \
        >"$WORK/actual" 2>"$WORK/stderr" </dev/null
    local rc=$?
    commands=$((commands + 1))
    lines ${quoted[@]+"${quoted[@]}"} | grep -v '^$' | mask_times >"$WORK/want"
    grep -v '^$' "$WORK/actual" | mask_times >"$WORK/got"
    if [ $rc != 0 ]; then
        echo "${file#"$ROOT"/}:$line: $cmd: exit status $rc"
        sed 's/^/    /' "$WORK/stderr" | head -20
        differ=$((differ + 1))
    elif ! cmp -s "$WORK/want" "$WORK/got" && [ $update = 0 ]; then
        echo "${file#"$ROOT"/}:$line: $cmd: the output differs (- quoted, + printed; seconds masked):"
        diff "$WORK/want" "$WORK/got" | sed -n 's/^< /    - /p; s/^> /    + /p'
        differ=$((differ + 1))
    fi
    if [ $update = 1 ] && [ $rc = 0 ]; then
        # The printed lines, laid out as quoted (a blank line before the
        # text and before the table); a line that differs only in its
        # seconds stays as quoted, so that timings change with the results.
        local prev=x a k=0 want=() got=() old=()
        mapfile -t want <"$WORK/want"
        mapfile -t got <"$WORK/got"
        mapfile -t old < <(lines ${quoted[@]+"${quoted[@]}"} | grep -v '^$')
        out+=("")
        while IFS= read -r a; do
            [ -z "$a" ] && continue
            [ "${got[$k]}" = "${want[$k]:-}" ] && a=${old[$k]}
            k=$((k + 1))
            [ "${a:0:1}" = '|' ] && [ "${prev:0:1}" != '|' ] && [ "$prev" != x ] && out+=("")
            out+=("$a")
            prev=$a
        done <"$WORK/actual"
    else
        out+=(${quoted[@]+"${quoted[@]}"})
    fi
    i=$((j - 1))
}

# lines ARGS...: one a line (nothing for none).
lines() { [ $# -eq 0 ] || printf '%s\n' "$@"; }

# same A B: whether the arrays named A and B hold the same lines.
same() {
    local -n a=$1 b=$2
    [ ${#a[@]} = ${#b[@]} ] || return 1
    local IFS=$'\n'
    [ "${a[*]}" = "${b[*]}" ]
}

# run_cmd CMD: runs it in the scratch folder $scratch; the output in $WORK/actual.
# stdout is line-buffered so that it interleaves with stderr as on a terminal.
run_cmd() {
    (cd "$scratch" && PATH=$WORK/bin:$PATH LC_ALL=C.UTF-8 stdbuf -oL -eL bash -c "$1") \
        >"$WORK/actual" 2>&1 </dev/null
    echo $? >"$WORK/rc"
}

# check_cmd FILE LINE CMD EXPECTED-LINES...: runs CMD, compares, and sets
# new_out to the lines to quote (the printed ones, with the elision kept).
check_cmd() {
    local file=$1 line=$2 cmd=$3
    shift 3
    local expected=("$@") actual=() i elide=-1
    run_cmd "$cmd"
    mapfile -t actual <"$WORK/actual"
    for i in "${!expected[@]}"; do
        case ${expected[$i]} in ...*) elide=$i; break ;; esac
    done
    new_out=()
    local ok=1
    if [ $elide -lt 0 ]; then
        new_out=("${actual[@]}")
    else
        local head=$elide tail=$((${#expected[@]} - elide - 1)) j
        # The tail starts at the last printed line shaped like its first
        # line (the same text but for the digits), so that a line more or
        # less at the end keeps the tail's first line quoted.
        if [ $tail -gt 0 ]; then
            local shape=${expected[$elide + 1]//[0-9]/}
            for ((j = ${#actual[@]} - 1; j >= head; j--)); do
                if [ "${actual[$j]//[0-9]/}" = "$shape" ]; then
                    tail=$((${#actual[@]} - j))
                    break
                fi
            done
        fi
        if [ ${#actual[@]} -lt $((head + tail)) ]; then
            new_out=("${actual[@]}")
            ok=0
        else
            new_out=("${actual[@]:0:head}" "${expected[$elide]}")
            [ $tail -gt 0 ] && new_out+=("${actual[@]:${#actual[@]}-tail}")
        fi
    fi
    same expected new_out || ok=0
    local rc
    rc=$(cat "$WORK/rc")
    commands=$((commands + 1))
    if [ "$rc" != 0 ]; then
        echo "${file#"$ROOT"/}:$line: \$ $cmd: exit status $rc"
        sed 's/^/    /' "$WORK/actual" | head -20
        differ=$((differ + 1))
    elif [ $ok = 0 ] && [ $update = 0 ]; then
        echo "${file#"$ROOT"/}:$line: \$ $cmd: the output differs (- quoted, + printed):"
        diff <(lines ${expected[@]+"${expected[@]}"}) <(lines ${new_out[@]+"${new_out[@]}"}) |
            sed -n 's/^< /    - /p; s/^> /    + /p'
        differ=$((differ + 1))
    fi
}

# do_block FILE FIRST-LINE BLOCK-LINES...: runs a terminal session block; its
# lines (as quoted, or as printed with --update) are appended to $out.
do_block() {
    local file=$1 first=$2
    shift 2
    local lines=("$@") i=0 n=$#
    while [ $i -lt $n ]; do
        local l=${lines[$i]}
        if [ "${l:0:2}" != '$ ' ]; then # text before the first command
            out+=("$l")
            i=$((i + 1))
            continue
        fi
        local cmd=${l:2} at=$((first + i)) exp=()
        i=$((i + 1))
        while [ $i -lt $n ] && [ "${lines[$i]:0:2}" != '$ ' ]; do
            exp+=("${lines[$i]}")
            i=$((i + 1))
        done
        out+=("$l")
        check_cmd "$file" "$at" "$cmd" "${exp[@]}"
        if [ $update = 1 ]; then
            out+=("${new_out[@]}")
        else
            out+=("${exp[@]}")
        fi
    done
}

for file in "${files[@]}"; do
    [ -f "$file" ] || { echo "docs.sh: no such file $file" >&2; exit 1; }
    scratch=$WORK/scratch
    rm -rf "$scratch" && mkdir -p "$scratch"
    ln -s "$ROOT/data" "$scratch/data"
    mapfile -t doc <"$file"
    out=()
    skip=0 n=${#doc[@]} i=0
    while [ $i -lt $n ]; do
        l=${doc[$i]}
        case $l in
            '<!-- docs: skip -->')
                skip=1 ;;
            '<!-- docs: stdout follows, times vary -->')
                skip=2 ;;
            '<!-- docs: setup'*)
                out+=("$l")
                at=$((i + 1)) script=""
                i=$((i + 1))
                while [ $i -lt $n ] && [ "${doc[$i]}" != '-->' ]; do
                    out+=("${doc[$i]}")
                    script+=${doc[$i]}$'\n'
                    i=$((i + 1))
                done
                run_cmd "set -e"$'\n'"$script"
                if [ "$(cat "$WORK/rc")" != 0 ]; then
                    echo "${file#"$ROOT"/}:$at: the setup failed:"
                    sed 's/^/    /' "$WORK/actual" | head -20
                    differ=$((differ + 1))
                fi
                l=${doc[$i]:-} ;;
            '```'*)
                out+=("$l")
                first=$((i + 2))
                block=()
                i=$((i + 1))
                while [ $i -lt $n ] && [ "${doc[$i]:0:3}" != '```' ]; do
                    block+=("${doc[$i]}")
                    i=$((i + 1))
                done
                session=0
                for b in "${block[@]}"; do [ "${b:0:2}" = '$ ' ] && session=1 && break; done
                if [ $skip = 2 ]; then
                    out+=("${block[@]}" "${doc[$i]:-}")
                    skip=0
                    do_stdout "$file" "$first" "$(lines "${block[@]}")"
                    i=$((i + 1))
                    continue
                fi
                if [ $session = 1 ] && [ $skip = 0 ]; then
                    do_block "$file" "$first" "${block[@]}"
                else
                    out+=("${block[@]}")
                fi
                skip=0
                l=${doc[$i]:-} ;;
        esac
        [ $i -lt $n ] && out+=("$l")
        i=$((i + 1))
    done
    if [ $update = 1 ] && ! same out doc; then
        lines "${out[@]}" >"$file.tmp.$$" && mv "$file.tmp.$$" "$file"
        echo "docs.sh: updated ${file#"$ROOT"/}"
    fi
done

if [ $update = 1 ]; then
    [ $differ -eq 0 ] && echo "docs.sh: $commands quoted commands run, outputs rewritten" && exit 0
    echo "docs.sh: $differ of $commands quoted commands failed (above); their outputs were rewritten"
    exit 1
fi
if [ $differ -ne 0 ]; then
    echo "docs.sh: $differ of $commands quoted commands print something else than the docs quote;"
    echo "docs.sh: run \`make docs\` (scripts/docs.sh --update) and review the diff"
    exit 1
fi
echo "docs.sh: all $commands quoted commands print what the docs quote"
