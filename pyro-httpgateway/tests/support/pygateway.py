# Pyro5's own gateway (its WSGI app under wsgiref, as pyro5-httpgateway runs it) on a free
# port; the tests fill in the settings. Prints its base URL.
import sys
import Pyro5.api
from wsgiref.simple_server import make_server, WSGIRequestHandler
from Pyro5.utils import httpgateway

app = httpgateway.pyro_app
Pyro5.api.config.NS_HOST, Pyro5.api.config.NS_PORT = "127.0.0.1", int("@NS_PORT@")
app.ns_regex, app.cors = r"@EXPOSE@", "@CORS@"
app.gateway_key = "@KEY@".encode("utf-8")
app.comm_timeout = 0.0


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
print("http://127.0.0.1:%d" % server.server_port, flush=True)
server.serve_forever()
