# The Pyro5 side of `cargo run --example bench`: serves Echo as "echo" with the default thread
# server and prints the URI. Besides echo, Echo counts oneway `tick` calls (`ticks` returns how
# many ran) and streams items (`items(n)` is a generator of 0 .. n-1) for the throughput section.
import threading

import Pyro5.api

Pyro5.config.SERIALIZER = "msgpack"


@Pyro5.api.expose
class Echo:
    def __init__(self):
        self._lock = threading.Lock()
        self._ticks = 0

    def echo(self, message):
        return message

    @Pyro5.api.oneway
    def tick(self):
        # Pyro5 runs every oneway call in a thread of its own: count under the lock.
        with self._lock:
            self._ticks += 1

    def ticks(self):
        with self._lock:
            return self._ticks

    def items(self, n):
        yield from range(n)


daemon = Pyro5.api.Daemon(host="127.0.0.1", port=0)
print(daemon.register(Echo(), "echo"), flush=True)
daemon.requestLoop()
