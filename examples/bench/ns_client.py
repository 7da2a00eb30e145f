# The Pyro5 name server client of `cargo run --example bench`:
# python -c <client_common.py + this> <ns uri> <lookups> <warmup> <names>.
# Registers <names> names, warms up, then measures <lookups> sequential lookup(name) calls
# cycling through the names.
uri, calls, warmup, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
names = ["bench.name.%04d" % i for i in range(count)]
objects = ["obj_%04d" % i for i in range(count)]
ns = Pyro5.api.Proxy(uri)
for name, obj in zip(names, objects):
    ns.register(name, "PYRO:%s@localhost:4444" % obj)
for i in range(warmup):
    if ns.lookup(names[i % count]).object != objects[i % count]:
        sys.exit("lookup(%s) returned something else" % names[i % count])
found = measure(calls, lambda i: ns.lookup(names[i % count]))
if found.object != objects[(calls - 1) % count]:
    sys.exit("lookup returned %r" % (found,))
ns._pyroRelease()
