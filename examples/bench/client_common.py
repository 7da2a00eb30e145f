# Shared by the Pyro5 clients of `cargo run --example bench` (prepended to echo_client.py and
# ns_client.py): after set-up a client prints READY, waits for a line on stdin, makes <calls>
# sequential calls and prints one JSON line: calls, elapsed_ns, p50_ns, p99_ns, cpu_ns (all
# threads, from schedstat).
import json
import os
import sys
import time

import Pyro5.api

# The serializer under test: msgpack unless the orchestrator says otherwise.
Pyro5.config.SERIALIZER = os.environ.get("BENCH_SERIALIZER", "msgpack")


def cpu_ns():
    total = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/schedstat" % task) as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


def measure(calls, call):
    """Prints READY, waits for the go line, times `call(i)` for i in range(calls), prints the JSON
    line and returns the last result."""
    print("READY", flush=True)
    sys.stdin.readline()
    latencies = [0] * calls
    clock = time.perf_counter_ns
    cpu_start = cpu_ns()
    start = clock()
    for i in range(calls):
        t = clock()
        result = call(i)
        latencies[i] = clock() - t
    elapsed = clock() - start
    cpu = cpu_ns() - cpu_start
    latencies.sort()
    print(json.dumps({
        "calls": calls,
        "elapsed_ns": elapsed,
        "p50_ns": latencies[calls * 50 // 100],
        "p99_ns": latencies[min(calls * 99 // 100, calls - 1)],
        "cpu_ns": cpu,
    }), flush=True)
    return result
