# A Python name server and Pyro5 objects for the gateway tests; prints the name server's URI.
import sys, threading, time
import Pyro5.api
from Pyro5.api import current_context

ns_uri, ns_daemon, _ = Pyro5.api.start_ns(host="127.0.0.1", port=0, enableBroadcast=False)


@Pyro5.api.expose
class Thing:
    def __init__(self):
        self._value = 42
        self.fired = []

    def echo(self, message="none", **kwargs):
        return {"message": message, "kwargs": kwargs}

    def fail(self):
        raise ValueError("bad thing \u00fcn\u00ef")

    def slow(self, seconds):
        time.sleep(float(seconds))
        return "slept"

    def correlation(self):
        return str(current_context.correlation_id)

    @property
    def value(self):
        return self._value

    @Pyro5.api.oneway
    def fire(self, x=None):
        self.fired.append(x)

    def fired_list(self):
        return self.fired

    def gen(self):
        yield 1
        yield 2


daemon = Pyro5.api.Daemon(host="127.0.0.1")
thing = Thing()
uri = daemon.register(thing, "http.thing")
for name in ["http.thing", "hidden.thing", "http.a/b"]:
    ns_daemon.nameserver.register(name, uri)
threading.Thread(target=daemon.requestLoop, daemon=True).start()
print(ns_uri, flush=True)
ns_daemon.requestLoop()
