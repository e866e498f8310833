#!/usr/bin/env python3
"""Write the fuzz_agent_state seeds: byte 0 picks the file (0 agent.json, 1 bundle.json,
2 outbox.jsonl), the rest is its content."""
import json
import os

here = os.path.dirname(os.path.abspath(__file__))
agent = {"id": "a1b2c3", "machine": "FIN-PC-001", "domain": "source.example",
         "server": "https://ferry.example:8443", "pin": "", "ca_file": "", "etag": "\"7\"",
         "sequence": 3, "digest": "00" * 32, "poll_interval_s": 300, "failures": 0,
         "last_ok": 1741000000}
with open(os.path.join(here, "../bundle/small.bundle.json"), "rb") as f:
    bundle = f.read()
outbox = (b'{"id":"0123456789abcdef0123456789abcdef","time":1741000000,"kind":"step","detail":"x"}\n'
          b'{"id":"1","time":1,"kind":"bundle_refused","detail":""}\n')
for i, (name, body) in enumerate([("agent.bin", json.dumps(agent).encode()),
                                  ("bundle.bin", bundle), ("outbox.bin", outbox)]):
    with open(os.path.join(here, name), "wb") as f:
        f.write(bytes([i]) + body)
