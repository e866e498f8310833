#!/usr/bin/env python3
"""Hostile inputs for `ferry dir` and `ferry table`, each refused with a reason.

    hostile_dir.py FERRY DATA_DIR

A tiny LDAPS server on 127.0.0.1 (BER by hand, TLS with a throw-away
self-signed certificate made by the openssl CLI) plays a domain controller
that misbehaves in one way per case:

  cookie-forever  every page is empty and carries a fresh paging cookie
  oversized       an entry whose mail value is 5,000 bytes
  overfull        a page holding more entries than the page size asked
  endless-range   a ranged member attribute whose next range never comes

and files are damaged on disk: a snapshot truncated, a snapshot edited by one
byte, a table edited after it was built. Each must fail (exit 1) with the
reason in its message, write no output file, and never print the password.
"""
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading

PAGED = b"1.2.840.113556.1.4.319"
PASSWORD = "Hostile-Bind-Secret-7"
NC = b"DC=fake,DC=test"
DOMAIN_SID = bytes([1, 4, 0, 0, 0, 0, 0, 5]) + struct.pack("<IIII", 21, 11, 22, 33)


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + body


def integer(v, tag=0x02):
    return tlv(tag, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))


def octets(b):
    return tlv(0x04, b if isinstance(b, bytes) else b.encode())


def seq(*parts, tag=0x30):
    return tlv(tag, b"".join(parts))


def read_tlv(buf, i):
    tag = buf[i]
    n = buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    return tag, buf[i:i + n], i + n


def children(body):
    out, i = [], 0
    while i < len(body):
        tag, val, i = read_tlv(body, i)
        out.append((tag, val))
    return out


def result(op_tag, mid, controls=b""):
    return seq(integer(mid), seq(integer(0, 0x0A), octets(b""), octets(b""), tag=op_tag), controls)


def entry(mid, dn, attrs):
    al = b"".join(seq(octets(k), tlv(0x31, b"".join(octets(v) for v in vs))) for k, vs in attrs)
    return seq(integer(mid), seq(octets(dn), seq(al), tag=0x64))


def page_control(cookie):
    value = seq(integer(0), octets(cookie))
    return tlv(0xA0, seq(octets(PAGED), octets(value)))


def user(i, mail=b"u@example.com"):
    guid = struct.pack("<I", i) + b"\x00" * 12
    sid = DOMAIN_SID[:1] + bytes([5]) + DOMAIN_SID[2:] + struct.pack("<I", 1000 + i)
    return [(b"objectClass", [b"top", b"user"]), (b"objectSid", [sid]), (b"objectGUID", [guid]),
            (b"sAMAccountName", [b"u%d" % i]), (b"mail", [mail]), (b"uSNChanged", [b"5"])]


class Conn:
    def __init__(self, sock, mode):
        self.s, self.mode, self.pages, self.ranges, self.buf = sock, mode, 0, 0, b""

    def recv_msg(self):
        while True:
            if len(self.buf) >= 2:
                try:
                    _, body, end = read_tlv(self.buf, 0)
                    if end <= len(self.buf):
                        self.buf = self.buf[end:]
                        return body
                except IndexError:
                    pass
            chunk = self.s.recv(65536)
            if not chunk:
                return None
            self.buf += chunk

    def search(self, mid, req):
        parts = children(req)
        base, scope = parts[0][1], int.from_bytes(parts[1][1], "big")
        size = 1000
        out = []
        if base == b"":
            out.append(entry(mid, b"", [(b"highestCommittedUSN", [b"10"]),
                                        (b"dsServiceName", [b"CN=NTDS Settings,CN=FAKE"]),
                                        (b"defaultNamingContext", [NC]),
                                        (b"configurationNamingContext", [b"CN=Configuration," + NC])]))
        elif base == NC and scope == 0:
            out.append(entry(mid, NC, [(b"objectSid", [DOMAIN_SID])]))
        elif base.startswith(b"CN=Partitions"):
            out.append(entry(mid, b"CN=FAKE," + base, [(b"nETBIOSName", [b"FAKE"])]))
        elif scope == 0:  # a ranged member read on one entry: the next range, never the last
            self.ranges += 1
            out.append(entry(mid, base, [(b"member;range=%d-%d" % (self.ranges * 2, self.ranges * 2 + 1),
                                          [b"CN=m%d,DC=fake" % self.ranges])]))
        else:
            self.pages += 1
            if self.mode == "oversized":
                out.append(entry(mid, b"CN=u1," + NC, user(1, b"a" * 5000)))
            elif self.mode == "overfull":
                out += [entry(mid, b"CN=u%d,%s" % (i, NC), user(i)) for i in range(1, 6)]
            elif self.mode == "endless-range":
                g = user(1)
                g[0] = (b"objectClass", [b"top", b"group"])
                g.append((b"member;range=0-1", [b"CN=a,DC=fake", b"CN=b,DC=fake"]))
                out.append(entry(mid, b"CN=g1," + NC, g))
            cookie = b"c%d" % self.pages if self.mode == "cookie-forever" else b""
            out.append(result(0x65, mid, page_control(cookie)))
            return out
        out.append(result(0x65, mid))
        return out

    def serve(self):
        try:
            while True:
                msg = self.recv_msg()
                if msg is None:
                    return
                parts = children(msg)
                mid, (op, body) = int.from_bytes(parts[0][1], "big"), parts[1]
                if op == 0x60:
                    self.s.sendall(result(0x61, mid))
                elif op == 0x63:
                    self.s.sendall(b"".join(self.search(mid, body)))
                elif op == 0x42:
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            self.s.close()


def serve(ctx, mode):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)

    def loop():
        while True:
            try:
                c, _ = ls.accept()
                t = ctx.wrap_socket(c, server_side=True)
            except (OSError, ssl.SSLError):
                continue
            threading.Thread(target=Conn(t, mode).serve, daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
    return ls.getsockname()[1]


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def expect_refused(what, r, needle, out=None):
    text = r.stdout + r.stderr
    if PASSWORD in text:
        sys.exit("FAIL %s: the password appeared in the output" % what)
    if r.returncode != 1 or needle not in text:
        sys.exit("FAIL %s: exit %d, %r (wanted %r)" % (what, r.returncode, text.strip()[:300], needle))
    if out and os.path.exists(out):
        sys.exit("FAIL %s: %s was written anyway" % (what, out))
    print("ok   %-16s %s" % (what, r.stderr.strip().splitlines()[-1][:150]))


def main():
    ferry, data = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="ferry-hostile-dir-")
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    r = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
             "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert])
    if r.returncode:
        print("SKIP: openssl cannot make a certificate: " + r.stderr.strip()[-200:])
        return 77
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    pw = os.path.join(work, "pw")
    with open(os.open(pw, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(PASSWORD)
    cases = [("cookie-forever", "empty pages in a row"), ("oversized", "oversized value"),
             ("overfull", "more than the page size"), ("endless-range", "more than 10 values")]
    for mode, needle in cases:
        port = serve(ctx, mode)
        out = os.path.join(work, mode + ".snap")
        argv = [ferry, "dir", "snapshot", "--ldap", "ldaps://127.0.0.1:%d" % port, "--base",
                NC.decode(), "--bind", "CN=admin", "--password-file", pw, "--ca-file", cert,
                "--page-size", "2", "--out", out]
        if mode == "endless-range":
            argv += ["--max-values", "10"]
        expect_refused(mode, run(argv), needle, out)
    # Plain LDAP without StartTLS is refused before any credential is sent.
    expect_refused("plain-ldap", run([ferry, "dir", "snapshot", "--ldap", "http://x", "--base", "DC=x",
                                      "--bind", "CN=a", "--password-file", pw, "--out",
                                      os.path.join(work, "p.snap")]), "ldaps:// or ldap://")

    snap = open(os.path.join(data, "dir_snapshot", "small.snap"), "rb").read()
    cut = os.path.join(work, "cut.snap")
    open(cut, "wb").write(snap[:len(snap) // 2])
    table_out = os.path.join(work, "t.csv")
    expect_refused("truncated", run([ferry, "table", "build", "--source", cut, "--target", cut,
                                     "--out", table_out, "--report", table_out + ".r"]),
                   "truncated", table_out)
    edited = os.path.join(work, "edited.snap")
    open(edited, "wb").write(snap.replace(b"jdoe@source.test", b"jdoe@evil0.test", 1))
    expect_refused("edited", run([ferry, "dir", "check", edited]), "SHA-256 does not match")
    table = os.path.join(work, "table.csv")
    open(table, "w").write("# ferry-table 1 sha256=" + "0" * 64 + "\nsource_sid,target_sid\n"
                           "S-1-5-21-1-2-3-1105,S-1-5-21-7-8-9-1105\n")
    expect_refused("edited-table", run([ferry, "table", "verify", table]), "does not match its sha256")
    shutil.rmtree(work, ignore_errors=True)
    print("PASS: every hostile input refused with its reason")
    return 0


if __name__ == "__main__":
    sys.exit(main())
