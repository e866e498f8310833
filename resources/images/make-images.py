#!/usr/bin/env python3
"""Ferry's icon, drawn from geometry with the standard library only (zlib
PNG writer), so it can be remade byte for byte:

    python3 resources/images/make-images.py resources/images

- ferry.ico  16, 24, 32, 48, 256 px PNG frames of the mark

The default logo and lock-screen picture are not made here: ferrydraw
paints them in code (lockscreen/draw/draw_tile.c draw_placeholder_logo,
draw_lock.c paint_default) and the build writes the MSI's
lockscreen-default.png with `ferry-preview --default-lockscreen`.
"""
import math
import struct
import sys
import zlib

TEAL = (0x1F, 0x7A, 0x8C)
WHITE = (0xFF, 0xFF, 0xFF)


def png(width, height, rows):
    """rows: list of bytes objects, RGBA, width*4 each."""
    raw = b"".join(b"\x00" + r for r in rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def mix(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def mark_cover(u, v):
    """Coverage (0..1) of the Ferry mark at unit coordinates u, v in [0,1):
    a hull (trapezoid), a cabin, and two waves under it."""
    inside = 0.0
    # hull: from y 0.52 to 0.68, narrowing towards the bottom
    if 0.52 <= v <= 0.68:
        inset = (v - 0.52) / 0.16 * 0.10
        if 0.12 + inset <= u <= 0.88 - inset:
            inside = 1.0
    # cabin
    if 0.36 <= v < 0.52 and 0.34 <= u <= 0.70:
        inside = 1.0
    # waves: |v - (0.78 + 0.03 sin)| < 0.02
    for base in (0.78, 0.88):
        w = base + 0.025 * math.sin(u * math.pi * 6)
        if abs(v - w) < 0.022 and 0.08 <= u <= 0.92:
            inside = 1.0
    return inside


def mark_rgba(size, fg, bg, ss=3):
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            c = 0.0
            for sy in range(ss):
                for sx in range(ss):
                    c += mark_cover((x + (sx + 0.5) / ss) / size, (y + (sy + 0.5) / ss) / size)
            c /= ss * ss
            if bg is None:
                row += bytes(fg) + bytes([round(255 * c)])
            else:
                row += bytes(mix(bg, fg, c)) + b"\xff"
        rows.append(bytes(row))
    return rows


def icon():
    sizes = [16, 24, 32, 48, 256]
    frames = []
    for s in sizes:
        rows = mark_rgba(s, WHITE, None)
        # a rounded teal tile behind the white mark
        out = []
        r = s * 0.18
        for y, row in enumerate(rows):
            o = bytearray()
            for x in range(s):
                dx = max(r - x - 0.5, 0, x + 0.5 - (s - r))
                dy = max(r - y - 0.5, 0, y + 0.5 - (s - r))
                inside = 1.0 if math.hypot(dx, dy) <= r else 0.0
                a = row[x * 4 + 3] / 255
                col = mix(TEAL, WHITE, a)
                o += bytes(col) + bytes([round(255 * inside)])
            out.append(bytes(o))
        frames.append((s, png(s, s, out)))
    head = struct.pack("<HHH", 0, 1, len(frames))
    offset = 6 + 16 * len(frames)
    entries, blobs = b"", b""
    for s, data in frames:
        dim = 0 if s >= 256 else s
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        blobs += data
    return head + entries + blobs


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    for name, data in (("ferry.ico", icon()),):
        with open(f"{out}/{name}", "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
