#!/usr/bin/env python3
"""Decode PNGs with an independent decoder (Python's zlib for the inflate
and the checksums, the PNG spec's unfiltering written here) and compare
them with the pixels they were made from.

  png_check.py --gen PNG_GEN      run png_gen into a temp dir, check every pair
  png_check.py FILE.png [W H]     only check that FILE decodes (and its size)
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib


def decode(data):
    """Return (width, height, channels, rows of bytes). Raises on any flaw."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("bad signature")
    pos, idat, ihdr, ended = 8, b"", None, False
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        if zlib.crc32(kind + body) != crc:
            raise ValueError("CRC mismatch in %r" % kind)
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            ended = True
        pos += 12 + n
    if not ihdr or not ended or pos != len(data):
        raise ValueError("missing IHDR/IEND or trailing bytes")
    w, h, depth, ctype, comp, filt, inter = ihdr
    if depth != 8 or ctype not in (2, 6) or comp or filt or inter:
        raise ValueError("unexpected IHDR %r" % (ihdr,))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)  # checks the zlib header and Adler-32
    rl = w * bpp
    if len(raw) != h * (rl + 1):
        raise ValueError("inflated %d bytes, want %d" % (len(raw), h * (rl + 1)))
    rows, prev = [], bytearray(rl)
    for y in range(h):
        f, line = raw[y * (rl + 1)], bytearray(raw[y * (rl + 1) + 1:(y + 1) * (rl + 1)])
        for i in range(rl):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
            elif f != 0:
                raise ValueError("filter %d in row %d" % (f, y))
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def expected(src, w, h, bpp, rgba_layout):
    rows = []
    for y in range(h):
        out = bytearray()
        for x in range(w):
            q = src[(y * w + x) * 4:(y * w + x) * 4 + 4]
            r, g, b = (q[0], q[1], q[2]) if rgba_layout else (q[2], q[1], q[0])
            out += bytes((r, g, b)) + (bytes((q[3],)) if bpp == 4 else b"")
        rows.append(bytes(out))
    return rows


def run_gen(tool):
    with tempfile.TemporaryDirectory() as d:
        print(subprocess.run([tool, d], check=True, capture_output=True, text=True).stdout, end="")
        names = sorted(f[:-4] for f in os.listdir(d) if f.endswith(".png"))
        if len(names) < 8:
            print("FAIL: png_gen wrote %d pictures, want 8" % len(names))
            return 1
        for n in names:
            w, h, bpp, rows = decode(open(os.path.join(d, n + ".png"), "rb").read())
            src = open(os.path.join(d, n + ".bgra"), "rb").read()
            if len(src) != w * h * 4:
                print("FAIL: %s: size %dx%d does not match its %d input bytes" % (n, w, h, len(src)))
                return 1
            if rows != expected(src, w, h, bpp, n.endswith("_rgba")):
                print("FAIL: %s: decoded pixels differ from the input" % n)
                return 1
        print("ok: %d PNGs decode to their input pixels" % len(names))
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--gen":
        return run_gen(argv[2])
    if len(argv) in (2, 4):
        w, h, _, _ = decode(open(argv[1], "rb").read())
        if len(argv) == 4 and (w, h) != (int(argv[2]), int(argv[3])):
            print("FAIL: %s is %dx%d, want %sx%s" % (argv[1], w, h, argv[2], argv[3]))
            return 1
        print("ok: %s decodes, %dx%d" % (argv[1], w, h))
        return 0
    print(__doc__)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
