# The Pyro5 client of `cargo run --example bench`: python -c <client_common.py + this> <uri>
# <calls> <warmup>. Warms up, then measures <calls> sequential echo(42) calls.
uri, calls, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
proxy = Pyro5.api.Proxy(uri)
proxy._pyroBind()
for _ in range(warmup):
    if proxy.echo(42) != 42:
        sys.exit("echo(42) returned something else")
result = measure(calls, lambda i: proxy.echo(42))
if result != 42:
    sys.exit("echo(42) returned %r" % (result,))
proxy._pyroRelease()
