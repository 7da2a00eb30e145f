# Pyro5's name server for `cargo run --example bench`: what `pyro5-ns -n 127.0.0.1 -p 0 -x` runs
# (NameServerDaemon, in-memory storage, thread server), printing its URI as the first line.
import Pyro5.nameserver

daemon = Pyro5.nameserver.NameServerDaemon(host="127.0.0.1", port=0)
print(daemon.uriFor(daemon.nameserver), flush=True)
daemon.requestLoop()
