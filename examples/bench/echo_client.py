# The Pyro5 client of `cargo run --example bench`: python -c <this> <uri> <calls> <warmup>.
# Warms up, prints READY, waits for a line on stdin, makes <calls> sequential echo(42) calls and
# prints one JSON line: calls, elapsed_ns, p50_ns, p99_ns, cpu_ns (all threads, from schedstat).
import json
import os
import sys
import time

import Pyro5.api

Pyro5.config.SERIALIZER = "msgpack"


def cpu_ns():
    total = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/schedstat" % task) as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


uri, calls, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
proxy = Pyro5.api.Proxy(uri)
proxy._pyroBind()
for _ in range(warmup):
    if proxy.echo(42) != 42:
        sys.exit("echo(42) returned something else")
print("READY", flush=True)
sys.stdin.readline()

latencies = [0] * calls
clock = time.perf_counter_ns
cpu_start = cpu_ns()
start = clock()
for i in range(calls):
    t = clock()
    result = proxy.echo(42)
    latencies[i] = clock() - t
elapsed = clock() - start
cpu = cpu_ns() - cpu_start
if result != 42:
    sys.exit("echo(42) returned %r" % (result,))
latencies.sort()
print(json.dumps({
    "calls": calls,
    "elapsed_ns": elapsed,
    "p50_ns": latencies[calls * 50 // 100],
    "p99_ns": latencies[min(calls * 99 // 100, calls - 1)],
    "cpu_ns": cpu,
}), flush=True)
proxy._pyroRelease()
