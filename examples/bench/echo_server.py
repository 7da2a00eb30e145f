# The Pyro5 side of `cargo run --example bench`: serves Echo as "echo" with the default thread
# server and prints the URI.
import Pyro5.api

Pyro5.config.SERIALIZER = "msgpack"


@Pyro5.api.expose
class Echo:
    def echo(self, message):
        return message


daemon = Pyro5.api.Daemon(host="127.0.0.1", port=0)
print(daemon.register(Echo(), "echo"), flush=True)
daemon.requestLoop()
