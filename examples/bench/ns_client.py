# The Pyro5 name server client of `cargo run --example bench`:
# python -c <this> <ns uri> <lookups> <warmup> <names>.
# Registers <names> names, warms up, prints READY, waits for a line on stdin, makes <lookups>
# sequential lookup(name) calls cycling through the names and prints one JSON line: calls,
# elapsed_ns, p50_ns, p99_ns, cpu_ns (all threads, from schedstat).
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


uri, calls, warmup, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
names = ["bench.name.%04d" % i for i in range(count)]
objects = ["obj_%04d" % i for i in range(count)]
ns = Pyro5.api.Proxy(uri)
for name, obj in zip(names, objects):
    ns.register(name, "PYRO:%s@localhost:4444" % obj)
for i in range(warmup):
    if ns.lookup(names[i % count]).object != objects[i % count]:
        sys.exit("lookup(%s) returned something else" % names[i % count])
print("READY", flush=True)
sys.stdin.readline()

latencies = [0] * calls
clock = time.perf_counter_ns
cpu_start = cpu_ns()
start = clock()
for i in range(calls):
    t = clock()
    found = ns.lookup(names[i % count])
    latencies[i] = clock() - t
elapsed = clock() - start
cpu = cpu_ns() - cpu_start
if found.object != objects[(calls - 1) % count]:
    sys.exit("lookup returned %r" % (found,))
latencies.sort()
print(json.dumps({
    "calls": calls,
    "elapsed_ns": elapsed,
    "p50_ns": latencies[calls * 50 // 100],
    "p99_ns": latencies[min(calls * 99 // 100, calls - 1)],
    "cpu_ns": cpu,
}), flush=True)
ns._pyroRelease()
