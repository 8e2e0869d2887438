# Crafts model files (.nnc) that no nnc writes, for the CLI tests: `source`
# it.  Bash's printf writes the bytes (NUL included); gzip's trailer holds
# the CRC-32 of its input, the same CRC-32 a model file ends with.

# le32 N / le64 N: printf escapes of N as 4 / 8 little-endian bytes.
le32() { local i; for i in 0 8 16 24; do printf '\\x%02x' $(( ($1 >> i) & 255 )); done; }
le64() { le32 $(( $1 & 0xffffffff )); le32 $(( ($1 >> 32) & 0xffffffff )); }

# craft_model FILE LAYERS [RNG_STATE RNG_INC]: a fitting model on 1 input
# of LAYERS identity layers of 1 unit, zero weights, label_base 0, and a
# training state (eta 0.1, batch 10, max_epoch 1000, checkpoint 1, epoch 0,
# an empty sample order) whose generator is RNG_STATE, RNG_INC (default
# 1, 1).  Valid in every byte but those the arguments make invalid.
craft_model() {
    local file=$1 n=$2 rs=${3:-1} ri=${4:-1}
    {
        printf '\x89NNC\r\n\x1a\n'
        printf "$(le32 1)$(le32 0)"
        printf "ARCH$(le64 $((23 + 24 * n)))$(le32 7)fitting$(le32 1)$(le32 0)$(le32 "$n")"
        printf "%.0s$(le32 1)$(le32 8)identity$(le64 0)" $(seq "$n")
        printf "WGHT$(le64 $((9 + 16 * n)))\\x08$(le64 $((2 * n)))"
        head -c $((16 * n)) /dev/zero
        printf "STAT$(le64 87)$(le64 0x3fb999999999999a)$(le32 10)$(le32 1000)$(le64 0)"
        printf "$(le64 0x3ff0000000000000)$(le64 1)$(le32 0)$(le32 0)$(le64 0)"
        printf "$(le64 "$rs")$(le64 "$ri")$(le32 0)$(le32 3)sgd$(le32 0)"
        printf "END $(le64 0)"
    } >"$file.body"
    { cat "$file.body"; gzip -c <"$file.body" | tail -c 8 | head -c 4; } >"$file"
    rm -f "$file.body"
}
