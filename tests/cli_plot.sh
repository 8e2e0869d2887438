# SVG charts from the command line: nnc activations --plot and nnc plot
# (one history, several overlaid, the error paths).
# Usage: bash cli_plot.sh NNC_BINARY DATA_DIR TMP_DIR
set -euo pipefail

nnc=$1
tmp=$3
rm -rf "$tmp"
mkdir -p "$tmp"
source "$(dirname "$0")/testlib.sh"

# Runs nnc with stdout to $tmp/out, stderr to $tmp/err; sets $rc.
run() {
    rc=0
    "$nnc" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
}

have_xmllint=0
if command -v xmllint >/dev/null 2>&1; then have_xmllint=1; fi

# A standalone SVG: XML declaration, closing tag, well-formed (xmllint), no NaN.
check_svg() {
    local f=$1
    if [ ! -s "$f" ]; then fail "$f missing or empty"; return; fi
    if [ "$(head -c 5 "$f")" != "<?xml" ]; then fail "$f does not start with <?xml"; fi
    if ! grep -q '</svg>' "$f"; then fail "$f lacks </svg>"; fi
    if grep -q -i -E 'nan|inf' "$f"; then fail "$f contains nan or inf"; fi
    if [ "$have_xmllint" -eq 1 ] && ! xmllint --noout "$f" 2>"$tmp/xmllint.err"; then
        fail "$f is not well-formed: $(head -3 "$tmp/xmllint.err")"
    fi
}

names="identity step sigmoid tanh relu leaky_relu softplus elu benidentity gelu_tanh
gelu_erf silu mish selu softsign hard_sigmoid hard_tanh"

# --- nnc activations --plot: 17 charts and the sheet, folders created ---
run activations --plot "$tmp/act/deep"
if [ "$rc" -ne 0 ]; then fail "activations --plot exited $rc: $(cat "$tmp/err")"; fi
lines=$(wc -l <"$tmp/out")
if [ "$lines" -ne 18 ]; then fail "activations --plot printed $lines paths, want 18"; fi
files=$(find "$tmp/act/deep" -name '*.svg' | wc -l)
if [ "$files" -ne 18 ]; then fail "activations --plot wrote $files files, want 18"; fi
for n in $names activations; do
    f="$tmp/act/deep/$n.svg"
    if ! grep -q -x "$f" "$tmp/out"; then fail "activations --plot did not print $f"; fi
    check_svg "$f"
done
if ! grep -q 'input : z' "$tmp/act/deep/sigmoid.svg" ||
   ! grep -q 'output : a' "$tmp/act/deep/sigmoid.svg"; then
    fail "sigmoid.svg lacks the axis labels 'input : z' / 'output : a'"
fi
if ! grep -q "f&apos;(z)" "$tmp/act/deep/sigmoid.svg"; then
    fail "sigmoid.svg lacks the legend entry f'(z)"
fi

# One activation with its parameter: only its chart.
run activations leaky-relu:0.2 --plot "$tmp/one"
if [ "$rc" -ne 0 ]; then fail "activations leaky-relu:0.2 --plot exited $rc: $(cat "$tmp/err")"; fi
if [ "$(cat "$tmp/out")" != "$tmp/one/leaky_relu.svg" ]; then
    fail "activations leaky-relu:0.2 --plot printed '$(cat "$tmp/out")'"
fi
check_svg "$tmp/one/leaky_relu.svg"
if ! grep -q 'leaky_relu (alpha=0.2)' "$tmp/one/leaky_relu.svg"; then
    fail "leaky_relu.svg is not titled 'leaky_relu (alpha=0.2)'"
fi

run activations sigmoid --plot "$tmp/x" --at 1
if [ "$rc" -ne 1 ]; then fail "activations --plot with --at exited $rc, want 1"; fi
touch "$tmp/afile"
run activations --plot "$tmp/afile"
if [ "$rc" -eq 0 ] || ! grep -q afile "$tmp/err"; then
    fail "activations --plot onto a file: rc $rc, stderr '$(cat "$tmp/err")'"
fi

# --- nnc plot: one history as the textbook's figure 9-10 ---
run train sin --epochs 100 --out "$tmp/runs"
if [ "$rc" -ne 0 ]; then fail "train sin --epochs 100 exited $rc: $(cat "$tmp/err")"; fi
run train sin --hidden 2 --epochs 100 --out "$tmp/runs"
if [ "$rc" -ne 0 ]; then fail "train sin --hidden 2 exited $rc: $(cat "$tmp/err")"; fi
h1="$tmp/runs/sin_131/history.csv"
h2="$tmp/runs/sin_121/history.csv"

rm -f "$tmp/runs/sin_131/history.svg"
run plot "$h1"
if [ "$rc" -ne 0 ]; then fail "plot $h1 exited $rc: $(cat "$tmp/err")"; fi
if [ "$(cat "$tmp/out")" != "$tmp/runs/sin_131/history.svg" ]; then
    fail "plot $h1 printed '$(cat "$tmp/out")', want the history.svg beside it"
fi
svg="$tmp/runs/sin_131/history.svg"
check_svg "$svg"
for word in validation train Loss Accuracy epoch 'bz:10,eta:0.5,ne:3'; do
    if ! grep -q "$word" "$svg"; then fail "history.svg lacks '$word'"; fi
done

run plot "$h1" --out "$tmp/log.svg" --log --title 'mine & yours'
if [ "$rc" -ne 0 ]; then fail "plot --log exited $rc: $(cat "$tmp/err")"; fi
check_svg "$tmp/log.svg"
if ! grep -q 'mine &amp; yours' "$tmp/log.svg"; then fail "plot --title: title not in the SVG"; fi

# --- several files overlaid ---
run plot "$h1" "$h2" --out "$tmp/cmp.svg"
if [ "$rc" -ne 0 ]; then fail "plot of two files exited $rc: $(cat "$tmp/err")"; fi
check_svg "$tmp/cmp.svg"
for word in sin_131 sin_121 'Validation loss' 'Validation accuracy'; do
    if ! grep -q "$word" "$tmp/cmp.svg"; then fail "comparison lacks '$word'"; fi
done
(cd "$tmp/runs" && "$nnc" plot sin_131/history.csv sin_121/history.csv >"$tmp/out" 2>"$tmp/err") ||
    fail "plot of two files in the current folder failed: $(cat "$tmp/err")"
if [ "$(cat "$tmp/out")" != "comparison.svg" ]; then
    fail "plot of two files printed '$(cat "$tmp/out")', want comparison.svg"
fi
check_svg "$tmp/runs/comparison.svg"

# --- decision chart of labels 1..3: named as predict prints them ---
awk 'BEGIN { print "class,x,y"; for (i = 0; i < 6; i++) for (j = 0; j < 6; j++) {
    x = (i + 0.5) / 6; y = (j + 0.37) / 6; printf "%d,%.4f,%.4f\n", 1 + int((x + y) * 1.5), x, y } }' >"$tmp/three.csv"
run train --train "$tmp/three.csv" --test "$tmp/three.csv" --label 0 --task multiclass \
    --epochs 50 --quiet --out "$tmp/runs" --name mc
if [ "$rc" -ne 0 ]; then fail "train multiclass exited $rc: $(cat "$tmp/err")"; fi
dec="$tmp/runs/mc/result.svg"
check_svg "$dec"
for k in 1 2 3; do
    if ! grep -q ">label $k</text>" "$dec"; then fail "decision chart lacks 'label $k'"; fi
done
if grep -q -E '>(label 0|class [0-9])</text>' "$dec"; then
    fail "decision chart names a class other than by its label: $(grep -o -E '>(label 0|class [0-9])<' "$dec" | head -1)"
fi

# --- the charts render alike in every renderer ---
# No clipPath, opacity or rotated text (ImageMagick draws clipped content as
# nothing, ignores opacity and turns rotated text the other way).  Rendered
# with rsvg-convert, every panel's plot area holds coloured pixels (the
# data); rendered with ImageMagick's own renderer too where it is installed,
# the coloured pixels of each panel match rsvg's in number and place.
charts="$tmp/runs/sin_131/history.svg $tmp/runs/sin_131/result.svg $dec $tmp/act/deep/activations.svg"
for f in $charts; do
    if grep -q -E 'clipPath|clip-path|opacity|rotate\(' "$f"; then
        fail "$f uses $(grep -o -E 'clipPath|clip-path|opacity|rotate\(' "$f" | head -1), which renderers disagree on"
    fi
done
im=""
for c in $(type -ap magick convert); do
    if "$c" -list format 2>/dev/null | grep MSVG >/dev/null; then im=$c; break; fi
done
if ! command -v rsvg-convert >/dev/null 2>&1; then
    echo "cli_plot: no rsvg-convert (Debian: librsvg2-bin): the rendering check is skipped"
elif ! command -v python3 >/dev/null 2>&1; then
    echo "cli_plot: no python3: the rendering check is skipped"
else
    [ -n "$im" ] || echo "cli_plot: no ImageMagick with its MSVG renderer: only rsvg-convert is checked"
    k=0
    for f in $charts; do
        k=$((k + 1))
        if ! rsvg-convert -f png -o "$tmp/render$k.png" "$f" 2>"$tmp/rsvg.err"; then
            fail "rsvg-convert $f: $(cat "$tmp/rsvg.err")"
            continue
        fi
        ppm=""
        if [ -n "$im" ] && $im "MSVG:$f" -depth 8 "ppm:$tmp/render$k.ppm" 2>"$tmp/im.err"; then ppm="$tmp/render$k.ppm"; fi
        python3 - "$f" "$tmp/render$k.png" $ppm <<'EOF' || fail "rendering of $f (above)"
import re, struct, sys, zlib

def read_png(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', path + ': not a PNG'
    pos, idat = 8, []
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b'IHDR':
            w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            assert depth == 8 and ctype in (2, 6) and not interlace, 'PNG type not handled'
            bpp = 4 if ctype == 6 else 3
        elif kind == b'IDAT':
            idat.append(body)
    raw, stride = zlib.decompress(b''.join(idat)), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride) if f else ():
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: pred = a
            elif f == 2: pred = b
            elif f == 3: pred = (a + b) >> 1
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[i] = (line[i] + pred) & 255
        rows.append(line)
        prev = line
    # over white where transparent
    px = lambda x, y: tuple(255 - (255 - v) * rows[y][x * bpp + 3] // 255 if bpp == 4 else v
                            for v in rows[y][x * bpp:x * bpp + 3])
    return w, h, px

def read_ppm(path):
    data = open(path, 'rb').read()
    m = re.match(rb'P6\s+(\d+)\s+(\d+)\s+(\d+)\s', data)
    assert m and m.group(3) == b'255', path + ': not an 8-bit PPM'
    w, h, off = int(m.group(1)), int(m.group(2)), m.end()
    return w, h, lambda x, y: tuple(data[off + 3 * (y * w + x):off + 3 * (y * w + x) + 3])

svg = open(sys.argv[1]).read()
frames = [tuple(float(v) for v in m) for m in re.findall(
    r'<rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none" stroke="#333333"', svg)]
assert frames, 'no plot area found in the SVG'

def panels(img):
    w, h, px = img
    out = []
    for x0, y0, fw, fh in frames:
        n = sx = sy = 0  # every other pixel: enough, and 4 times faster
        for y in range(int(y0) + 2, min(int(y0 + fh) - 1, h), 2):
            for x in range(int(x0) + 2, min(int(x0 + fw) - 1, w), 2):
                r, g, b = px(x, y)
                if max(r, g, b) - min(r, g, b) > 50:  # data colours, not the grey grid
                    n, sx, sy = n + 1, sx + x, sy + y
        out.append((n, sx / n if n else 0, sy / n if n else 0))
    return out

ok = True
ref = panels(read_png(sys.argv[2]))
for k, (n, cx, cy) in enumerate(ref):
    if n < 20:
        print('rsvg-convert: panel %d of %s: plot area blank (%d coloured pixels)' % (k, sys.argv[1], n))
        ok = False
if len(sys.argv) > 3:
    for k, ((n, cx, cy), (m, mx, my), fr) in enumerate(zip(ref, panels(read_ppm(sys.argv[3])), frames)):
        if not (0.5 * n <= m <= 2 * n) or abs(cx - mx) > 0.05 * fr[2] or abs(cy - my) > 0.05 * fr[3]:
            print('ImageMagick: panel %d of %s differs from rsvg-convert: %d coloured pixels '
                  'centred at (%.0f, %.0f), rsvg %d at (%.0f, %.0f)' % (k, sys.argv[1], m, mx, my, n, cx, cy))
            ok = False
sys.exit(0 if ok else 1)
EOF
    done
fi

# --- errors ---
run plot "$tmp/nosuch.csv"
if [ "$rc" -eq 0 ] || ! grep -q nosuch.csv "$tmp/err"; then
    fail "plot of a missing file: rc $rc, stderr '$(cat "$tmp/err")'"
fi
printf 'a,b\n1,2\n3,4\n' >"$tmp/other.csv"
run plot "$tmp/other.csv"
if [ "$rc" -ne 1 ] || ! grep -q other.csv "$tmp/err" || ! grep -q column "$tmp/err"; then
    fail "plot of a CSV without the columns: rc $rc, stderr '$(cat "$tmp/err")'"
fi
printf '1,2\n3,4\n' >"$tmp/bare.csv"
run plot "$tmp/bare.csv"
if [ "$rc" -ne 1 ] || ! grep -q bare.csv "$tmp/err"; then
    fail "plot of a CSV without a header: rc $rc, stderr '$(cat "$tmp/err")'"
fi
# Counts outside int/long: refused before the (undefined) conversion; the
# sanitizer build's float-cast-overflow would print "runtime error".
hdr=epoch,total_iteration,loss_train,accuracy_train,loss_valid,accuracy_valid
for bad in '1e300,10' '-1,10' '2.5,10' '3,1e300' '3,-7'; do
    printf '%s\n1,10,0.5,0.5,0.5,0.5\n%s,0.4,0.6,0.4,0.6\n' "$hdr" "$bad" >"$tmp/bad_hist.csv"
    run plot "$tmp/bad_hist.csv" --out "$tmp/bad_hist.svg"
    if [ "$rc" -ne 1 ] || ! grep -q 'bad_hist.csv: data row 2: ' "$tmp/err" ||
       grep -q 'runtime error' "$tmp/err"; then
        fail "plot of a history with '$bad': rc $rc, stderr '$(cat "$tmp/err")'"
    fi
done
# The same check before the cast for column numbers elsewhere (--label of
# train and predict).
run train --train "$tmp/bad_hist.csv" --label 1e300 --epochs 1 --out "$tmp/nolabel"
if [ "$rc" -ne 1 ] || ! grep -q -- '--label' "$tmp/err" || grep -q 'runtime error' "$tmp/err"; then
    fail "train --label 1e300: rc $rc, stderr '$(cat "$tmp/err")'"
fi
run predict "$tmp/runs/sin_131/model.nnc" "$tmp/bad_hist.csv" --label 1e300
if [ "$rc" -ne 1 ] || ! grep -q -- '--label' "$tmp/err" || grep -q 'runtime error' "$tmp/err"; then
    fail "predict --label 1e300: rc $rc, stderr '$(cat "$tmp/err")'"
fi
printf '%s\n2147483647,9007199254740992,0.5,0.5,0.5,0.5\n' "$hdr" >"$tmp/big_hist.csv"
run plot "$tmp/big_hist.csv" --out "$tmp/big_hist.svg"
if [ "$rc" -ne 0 ] || grep -q 'runtime error' "$tmp/err"; then
    fail "plot of a history at the largest counts: rc $rc, stderr '$(cat "$tmp/err")'"
fi
check_svg "$tmp/big_hist.svg"
run plot
if [ "$rc" -ne 1 ]; then fail "plot without files exited $rc, want 1"; fi
run plot "$h1" --bogus
if [ "$rc" -ne 1 ] || ! grep -q -- --bogus "$tmp/err"; then
    fail "plot --bogus: rc $rc, stderr '$(cat "$tmp/err")'"
fi
run plot --help
if [ "$rc" -ne 0 ] || ! grep -q -i usage "$tmp/out"; then
    fail "plot --help: rc $rc, output '$(cat "$tmp/out")'"
fi

finish cli_plot
