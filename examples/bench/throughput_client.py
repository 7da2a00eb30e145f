# The Pyro5 client of the throughput section of `cargo run --example bench`:
# python -c <client_common.py + this> <uri> <workload> <count> <warmup> <batch size>.
# Warms up with <warmup> calls or items of the workload, prints READY, waits for a line, runs
# <count> and prints one JSON line like `measure` does (calls = calls or items; p50/p99 per
# step: one batch, one oneway send, one item):
#   batch:  <count> echo(42) calls in BatchProxy batches of <batch size>, every result checked;
#   oneway: <count> oneway tick() calls, then ticks() polled until the server has run them all;
#   stream: one items(<count>) call, its generator iterated to the end, every item checked.
uri, workload, count, warmup, batch_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
POLL_EVERY = 0.0001
STALLED_AFTER = 10.0
clock = time.perf_counter_ns
proxy = Pyro5.api.Proxy(uri)
proxy._pyroBind()


def run_batch():
    batch = Pyro5.api.BatchProxy(proxy)
    for _ in range(batch_size):
        batch.echo(42)
    results = list(batch())
    if len(results) != batch_size or any(result != 42 for result in results):
        sys.exit("a batch of echo(42) returned something else")


def batches(steps, calls):
    if calls % batch_size:
        sys.exit("%d batched calls are not a whole number of batches of %d" % (calls, batch_size))
    for _ in range(calls // batch_size):
        t = clock()
        run_batch()
        steps.append(clock() - t)


def send_ticks(steps, n):
    for _ in range(n):
        t = clock()
        proxy.tick()
        steps.append(clock() - t)


def wait_for_ticks(target):
    last, since = None, time.monotonic()
    while True:
        now = proxy.ticks()
        if now >= target:
            return
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > STALLED_AFTER:
            sys.exit("the server ran only %d of %d oneway calls" % (now, target))
        time.sleep(POLL_EVERY)


def stream(steps, n):
    items = iter(proxy.items(n))
    expected = 0
    while True:
        t = clock()
        try:
            item = next(items)
        except StopIteration:
            break
        steps.append(clock() - t)
        if item != expected:
            sys.exit("items(%d): item %d is %r" % (n, expected, item))
        expected += 1
    if expected != n:
        sys.exit("items(%d) ended after %d items" % (n, expected))


steps = []
if workload == "batch":
    batches(steps, warmup)
elif workload == "oneway":
    base = proxy.ticks()
    send_ticks(steps, warmup)
    wait_for_ticks(base + warmup)
elif workload == "stream":
    stream(steps, warmup)
else:
    sys.exit("unknown workload %r" % workload)
print("READY", flush=True)
sys.stdin.readline()
steps = []
base = proxy.ticks() if workload == "oneway" else 0
cpu_start = cpu_ns()
start = clock()
if workload == "batch":
    batches(steps, count)
elif workload == "oneway":
    send_ticks(steps, count)
    wait_for_ticks(base + count)
else:
    stream(steps, count)
elapsed = clock() - start
cpu = cpu_ns() - cpu_start
steps.sort()
print(json.dumps({
    "calls": count,
    "elapsed_ns": elapsed,
    "p50_ns": steps[len(steps) * 50 // 100],
    "p99_ns": steps[min(len(steps) * 99 // 100, len(steps) - 1)],
    "cpu_ns": cpu,
}), flush=True)
proxy._pyroRelease()
