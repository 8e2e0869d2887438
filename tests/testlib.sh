# Shared by the CLI test scripts (tests/cli_*.sh): `source` it after setting
# NNC and TMP.  Counts failures; each script ends with `finish NAME`.
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_error STATUS WORDS ARGS...: `nnc ARGS` (stdin empty) must exit with
# STATUS and print WORDS (a fixed string) on stderr.
expect_error() {
    local want=$1 words=$2
    shift 2
    "$NNC" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    local rc=$?
    if [ $rc != "$want" ]; then
        fail "nnc $*: exit status $rc, want $want ($(cat "$TMP/err"))"
    elif ! grep -qF -- "$words" "$TMP/err"; then
        fail "nnc $*: message '$(cat "$TMP/err")' lacks '$words'"
    fi
}

# finish NAME: the script's verdict and exit status.
finish() {
    if [ $failures -ne 0 ]; then
        echo "$1: $failures failed"
        exit 1
    fi
    echo "$1: all passed"
}
