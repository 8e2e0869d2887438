#!/usr/bin/env bash
# The command outputs that README.md and docs/*.md quote are what nnc prints:
# scripts/docs.sh runs every quoted command and lists each one whose output
# differs.  Fix the docs with `make docs` (scripts/docs.sh --update).
# Usage: cli_docs.sh NNC DATA_DIR TMP_DIR (CMake runs it in the float build
# only: the double build prints other digits, and the quoted runs are slow
# under valgrind and the sanitizers).
set -uo pipefail
NNC=$1 TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP"
TMPDIR=$TMP bash "$(dirname "$0")/../scripts/docs.sh" --nnc "$NNC"
