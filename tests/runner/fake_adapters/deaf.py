"""Reads the start request only, then answers N cases `skipped` without reading their requests
(its stdin fills up), and stays alive: the kit must neither wait on the full pipe nor hang."""

import sys
import time

from _fake import IMPLEMENTATION, send

count = int(sys.argv[1])
sys.stdin.buffer.readline()
ops = ["decode_event", "canonical_value"]
send({"ready": True, "protocol": 1, "implementation": IMPLEMENTATION, "ops": ops})
time.sleep(0.3)  # the kit has filled the pipe by now
for seq in range(1, count + 1):
    send({"seq": seq, "skipped": True, "reason": "deaf"})
while True:
    time.sleep(3600)
