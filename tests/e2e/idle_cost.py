#!/usr/bin/env python3
"""Benchmark: the native client's idle cost while polling the test server.

    idle_cost.py FERRY_BINARY [SECONDS] [INTERVAL]

Enrolls one agent, accepts the bundle once, then runs `ferry agent run` for
SECONDS (default 60) polling every INTERVAL seconds (default 2) so that
every poll after the first is an ETag hit (304), exactly what an idle agent
does. Each poll is a fresh HTTPS connection (full TLS handshake). From the
child's rusage it prints resident memory (max RSS) and CPU seconds per poll,
and scales to an hour at the default poll interval:
    CPU s/h = CPU s per poll * (3600 / 900)
Sleeping between polls costs no CPU, so the scaling is linear in polls.
Not part of ctest (it is a measurement); use a Release build for figures.
"""
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture import Fixture  # noqa: E402

DEFAULT_POLL_S = 900  # core/net/retry.h NET_POLL_DEFAULT_S


class Relay:
    """A TCP relay in front of the server that counts the bytes on the wire
    (TLS records included) in each direction."""

    def __init__(self, target_port):
        self.up = self.down = 0
        self.lock = threading.Lock()
        self.target = target_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            c, _ = self.sock.accept()
            s = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self.pipe, args=(c, s, "up"), daemon=True).start()
            threading.Thread(target=self.pipe, args=(s, c, "down"), daemon=True).start()

    def pipe(self, a, b, way):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                with self.lock:
                    setattr(self, way, getattr(self, way) + len(d))
                b.sendall(d)
        except OSError:
            pass
        finally:
            for x in (a, b):
                try:
                    x.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def main():
    ferry = sys.argv[1]
    secs = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    interval = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    with tempfile.TemporaryDirectory(prefix="ferry-idle-") as work:
        fx = Fixture(ferry, work)
        fx.start(fx.sign("seq1", fx.payload(1)))
        try:
            state = os.path.join(work, "agent")
            os.makedirs(state)
            assert fx.agent(state, "enroll", "--server", fx.url, "--machine", "PC1",
                            "--domain", "SRC").returncode == 0
            assert fx.agent(state, "poll").returncode == 0
            relay = Relay(int(fx.url.rsplit(":", 1)[1]))
            relay_url = "https://127.0.0.1:%d" % relay.port
            cmd = [ferry, "agent", "run", "--state", state, "--ca", fx.cert, "--pin", fx.pin,
                   "--signing-key", fx.sign_pub, "--server", relay_url, "--for", str(secs), "--interval", str(interval)]
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
            out = p.stdout.read()
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            fx.stop()
    m = re.search(r"run: (\d+) polls .*bytes up (\d+), down (\d+)", out)
    polls, up, down = int(m.group(1)), int(m.group(2)), int(m.group(3))
    cpu = ru.ru_utime + ru.ru_stime
    per_poll = cpu / polls
    print(out.strip())
    print("polls: %d in %d s (every %d s), all ETag hits" % (polls, secs, interval))
    print("max RSS: %.1f MiB" % (ru.ru_maxrss / 1024))
    print("CPU: %.3f s total, %.2f ms per poll (user %.3f s, sys %.3f s)"
          % (cpu, per_poll * 1000, ru.ru_utime, ru.ru_stime))
    print("HTTP bytes per 304 poll: up %.0f, down %.0f" % (up / polls, down / polls))
    print("wire bytes per 304 poll (TCP payload, TLS handshake included): up %.0f, down %.0f"
          % (relay.up / polls, relay.down / polls))
    print("scaled to the default %d s interval: %d polls/day, %.4f CPU s/hour"
          % (DEFAULT_POLL_S, 86400 // DEFAULT_POLL_S, per_poll * 3600 / DEFAULT_POLL_S))
    return 0


if __name__ == "__main__":
    sys.exit(main())
