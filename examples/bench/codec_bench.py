# The Python side of the codec section of `cargo run --example bench`: python -c <this> <rounds>.
# Times Pyro5 5.17's own serializer objects (what a Pyro5 program really runs: serpent, marshal,
# json and msgpack, with Pyro5's class conversions) encoding and decoding the same data the Rust
# side uses, and prints one JSON line: {serializer: {workload: {"encode_ns", "decode_ns", "bytes"}}}.
# The best of <rounds> rounds is kept for each.
import json
import sys
import time

import Pyro5.serializers

rounds = int(sys.argv[1])


def small_dicts():
    return [{"id": i, "name": "item-%d" % i, "price": i * 0.5, "tags": ["red", "small"], "active": i % 2 == 0}
            for i in range(100_000)]


def blob():
    return bytes(range(256)) * (10 * 1024 * 1024 // 256)


workloads = {"100k small dicts": small_dicts(), "10 MB bytes": blob()}
report = {}
for name in ("serpent", "marshal", "json", "msgpack"):
    serializer = Pyro5.serializers.serializers.get(name)
    if serializer is None:
        continue
    report[name] = {}
    for workload, data in workloads.items():
        best_encode = best_decode = None
        try:
            for _ in range(rounds):
                t = time.perf_counter_ns()
                encoded = serializer.dumps(data)
                encode = time.perf_counter_ns() - t
                t = time.perf_counter_ns()
                serializer.loads(encoded)
                decode = time.perf_counter_ns() - t
                best_encode = encode if best_encode is None else min(best_encode, encode)
                best_decode = decode if best_decode is None else min(best_decode, decode)
        except Exception as e:  # json cannot carry bytes: reported, not measured
            report[name][workload] = {"error": "%s: %s" % (type(e).__name__, e)}
            continue
        report[name][workload] = {"encode_ns": best_encode, "decode_ns": best_decode, "bytes": len(encoded)}
print(json.dumps(report), flush=True)
