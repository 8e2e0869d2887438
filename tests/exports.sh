#!/usr/bin/env bash
# libnnc.so exports exactly the public API: its defined dynamic functions
# (nm -D) are the functions the public headers declare NNC_API, every
# exported name starts with nnc_, no data symbol leaves it that the headers
# do not declare NNC_API, and every function the headers declare has the
# mark (one without it would be hidden).
# Usage: exports.sh NM LIBNNC_SO INCLUDE_DIR
set -euo pipefail
export LC_ALL=C # one collation for sort and comm
NM=$1 LIB=$2 INC=$3
fail=0

# The declarations: the headers without preprocessor lines and comments,
# cut at each ';', '{' and '}'; those with NNC_API, from the mark on.
statements=$(cat "$INC"/nnc*.h | grep -v '^[[:space:]]*#' | tr '\n' ' ' |
    sed -E 's:/\*([^*]|\*+[^*/])*\*+/: :g' | tr ';{}' '\n\n\n')
decls=$(sed -n 's/.*NNC_API\(.*\)/\1/p' <<<"$statements")
unmarked=$(grep '(' <<<"$statements" | grep -v NNC_API | grep -vE '^[[:space:]]*typedef' || true)
if [ -n "$unmarked" ]; then
    echo "FAIL: declared in a public header without NNC_API (libnnc.so hides these):"
    sed -E 's/[[:space:]]+/ /g; s/^ ?/  /' <<<"$unmarked"
    fail=1
fi
# A function's name is the identifier before its first '('; a variable's
# the last identifier before an array bound or an initialiser.
declared_functions=$(grep '(' <<<"$decls" |
    sed -E 's/^([^(]*[^A-Za-z0-9_(])?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\(.*/\2/' | sort -u)
declared_data=$(grep -v '(' <<<"$decls" | sed -E 's/(\[|=).*//; s/[[:space:]]+$//' |
    grep -oE '[A-Za-z_][A-Za-z0-9_]*$' | sort -u || true)
[ -n "$declared_functions" ] || { echo "FAIL: no NNC_API declarations found in $INC"; exit 1; }

# The exports: "address type name" (name@version where the linker adds one).
# _init, _fini, _edata, _end and __bss_start are the linker's own, present
# in some toolchains' output.
exports=$("$NM" -D --defined-only "$LIB" | awk 'NF >= 3 {sub(/@.*/, "", $3); print $2, $3}' |
    grep -vE ' (_init|_fini|_edata|_end|__bss_start)$' || true)
[ -n "$exports" ] || { echo "FAIL: $NM -D --defined-only $LIB lists nothing"; exit 1; }
# T: code; W: weak code; i: an indirect (ifunc) function.  Anything else
# (D, B, R, V, G, S, ...) is data.
exported_functions=$(awk '$1 ~ /^[TWi]$/ {print $2}' <<<"$exports" | sort -u)
exported_data=$(awk '$1 !~ /^[TWi]$/ {print $2}' <<<"$exports" | sort -u)

unprefixed=$(awk '$2 !~ /^nnc_/ {print "  " $1 " " $2}' <<<"$exports")
if [ -n "$unprefixed" ]; then
    echo "FAIL: exported without the nnc_ prefix:"; echo "$unprefixed"; fail=1
fi
# Fails on the names of list A that list B lacks (comm -23), or the
# reverse (comm -13).
differ() { # MESSAGE COMM_COLUMNS LIST_A LIST_B
    local names
    names=$(comm "-$2" <(sed '/^$/d' <<<"$3") <(sed '/^$/d' <<<"$4"))
    [ -n "$names" ] || return 0
    echo "FAIL: $1:"
    sed 's/^/  /' <<<"$names"
    fail=1
}
differ "exported functions no public header declares NNC_API" 23 \
    "$exported_functions" "$declared_functions"
differ "NNC_API functions libnnc.so does not export (undefined, static, or mistyped)" 13 \
    "$exported_functions" "$declared_functions"
differ "exported data no public header declares NNC_API" 23 "$exported_data" "$declared_data"
differ "NNC_API data libnnc.so does not export" 13 "$exported_data" "$declared_data"
[ $fail = 0 ] || exit 1
echo "exports: $(wc -l <<<"$exported_functions") functions, $(printf '%s' "$exported_data" |
    grep -c . || true) data symbols, all declared NNC_API and prefixed nnc_"
