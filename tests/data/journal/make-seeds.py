#!/usr/bin/env python3
"""Write the fuzz_journal seeds. Byte 0 = 0 (even): the harness adds the header and fixes
each record's length and CRC32C, so the records below need no CRC of their own."""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))


def rec(seq, typ, step=0, attempt=0, value=0, payload=b""):
    return struct.pack("<IIBBHHHQ", 0, seq, typ, 0, step, attempt, len(payload), value) + payload


seeds = {
    "begin-started-done.bin": rec(1, 1, 0, 0, 0x1122334455667788, b"migration") +
    rec(2, 2, 0, 1, 7) + rec(3, 3, 0, 0, 1741000000),
    "failed-stopped.bin": rec(1, 1, 0, 0, 1, b"migration") + rec(2, 2, 3, 1, 7) +
    rec(3, 4, 3, 1, 1741000000, b"unjoin failed") + rec(4, 6, 3, 0, 1741000100, b"stopped"),
    "checkpoint-complete.bin": rec(5, 5, 9, 0, 1741000000) + rec(6, 7, 0, 0, 1741000200),
}
for name, body in seeds.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(b"\x00" + body)
# Mode 2: after the engine's own BEGIN (seq 1) for the sample runbook.
after_begin = {
    "after-begin-steps.bin": rec(2, 2, 0, 1, 7) + rec(3, 3, 0, 0, 1741000000) +
    rec(4, 2, 1, 1, 7) + rec(5, 4, 1, 1, 1741000001, b"busy") + rec(6, 2, 1, 2, 8),
}
for name, body in after_begin.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(b"\x02" + body)
