"""A Pyro5 5.17 codec peer for pyro's interop tests.

Reads one JSON request per line on stdin and writes one JSON reply per line on stdout. Every
answer is produced by Pyro5's own modules (protocol, serializers, core), so the Rust side is
checked against the real implementation, not a copy of it.
"""
import array
import ast
import datetime
import decimal
import json
import math
import sys
import traceback
import uuid

import Pyro5
import Pyro5.api
import Pyro5.core
import Pyro5.errors
import Pyro5.protocol
import Pyro5.serializers
import serpent
from Pyro5.callcontext import current_context

assert Pyro5.__version__ == "5.17", Pyro5.__version__


class Plain:
    """A plain object: Pyro5 serializes it as a dict of its attributes plus __class__."""

    def __init__(self, a, b):
        self.a = a
        self.b = b


Plain.__module__ = "interop"

NAMESPACE = {
    "array": array,
    "datetime": datetime,
    "decimal": decimal,
    "math": math,
    "uuid": uuid,
    "Pyro5": Pyro5,
    "Plain": Plain,
    "nan": float("nan"),
    "inf": float("inf"),
}


def evaluate(expr):
    return eval(expr, dict(NAMESPACE))


def same(a, b):
    """Deep equality that also demands identical types (list vs tuple, int vs bool vs float)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a.keys()) == list(b.keys()) and all(same(a[k], b[k]) for k in a) or (
            set(a.keys()) == set(b.keys()) and all(same(a[k], b[k]) for k in a))
    if isinstance(a, BaseException):
        return same(list(a.args), list(b.args))
    return a == b


def serializer(sid):
    return Pyro5.serializers.serializers_by_id[sid]


def describe_exception(exc):
    return {
        "class": type(exc).__module__ + "." + type(exc).__name__,
        "args": repr(exc.args),
        "str": str(exc),
        "traceback": getattr(exc, "_pyroTraceback", None),
    }


def op_dumps(req):
    value = evaluate(req["expr"])
    return {"hex": serializer(req["ser"]).dumps(value).hex()}


def op_dumps_call(req):
    ser = serializer(req["ser"])
    kwargs = evaluate(req["kwargs"]) if req.get("kwargs") is not None else None
    data = ser.dumpsCall(req["object"], req["method"], evaluate(req["vargs"]), kwargs)
    return {"hex": data.hex()}


def op_loads(req):
    """Decodes bytes with Pyro5; compares with an expected expression if one is given."""
    data = bytes.fromhex(req["hex"])
    try:
        value = serializer(req["ser"]).loads(data)
    except Exception as x:
        return {"error": describe_exception(x)}
    reply = {"repr": repr(value), "type": type(value).__name__}
    if isinstance(value, BaseException):
        reply["exception"] = describe_exception(value)
    if "expect" in req:
        expected = evaluate(req["expect"])
        reply["same"] = same(value, expected)
        reply["expected_repr"] = repr(expected)
    return reply


def op_loads_call(req):
    data = bytes.fromhex(req["hex"])
    try:
        obj, method, vargs, kwargs = serializer(req["ser"]).loadsCall(data)
    except Exception as x:
        return {"error": describe_exception(x)}
    got = (obj, method, list(vargs), kwargs)
    expected = evaluate(req["expect"])
    return {"same": same(got, expected), "repr": repr(got), "expected_repr": repr(expected)}


def op_encode_message(req):
    Pyro5.config.COMPRESSION = bool(req.get("compress", False))
    corr = req.get("corr_id")
    current_context.correlation_id = uuid.UUID(hex=corr) if corr else None
    annotations = {k: bytes.fromhex(v) for k, v in req.get("annotations", [])}
    try:
        msg = Pyro5.protocol.SendingMessage(req["type"], req["flags"], req["seq"], req["ser"],
                                            bytes.fromhex(req["payload"]), annotations)
    finally:
        Pyro5.config.COMPRESSION = False
        current_context.correlation_id = None
    return {"hex": msg.data.hex()}


def op_decode_message(req):
    data = bytes.fromhex(req["hex"])
    try:
        Pyro5.protocol.ReceivingMessage.validate(data[:6])
        msg = Pyro5.protocol.ReceivingMessage(data[:40])
        msg.add_payload(data[40:])
    except Exception as x:
        return {"error": describe_exception(x)}
    return {
        "type": msg.type,
        "flags": msg.flags,
        "seq": msg.seq,
        "ser": msg.serializer_id,
        "data_size": msg.data_size,
        "annotations_size": msg.annotations_size,
        "corr_id": msg.corr_id.hex(),
        "annotations": {k: bytes(v).hex() for k, v in msg.annotations.items()},
        "data": bytes(msg.data).hex(),
    }


def op_uri(req):
    try:
        uri = Pyro5.core.URI(req["text"])
    except Exception as x:
        return {"error": describe_exception(x)}
    protocol, obj, sockname, host, port = uri.__getstate__()
    if isinstance(obj, (set, frozenset)):
        obj = sorted(obj)
    return {"state": [protocol, obj, sockname, host, port], "str": str(uri)}


def op_serpent_dumps(req):
    """serpent.dumps as Pyro5 calls it, with an explicit bytes_repr."""
    value = evaluate(req["expr"])
    data = serpent.dumps(value, module_in_classname=True, bytes_repr=bool(req.get("bytes_repr", False)))
    return {"hex": data.hex()}


def op_serpent_loads(req):
    """Reads bytes with serpent.loads and with ast.literal_eval; compares both with `expect`
    (if given) and writes the serpent.loads result back with serpent.dumps."""
    data = bytes.fromhex(req["hex"])
    reply = {}
    try:
        value = serpent.loads(data)
    except Exception as x:
        return {"error": describe_exception(x)}
    try:
        literal = ast.literal_eval(data.decode("utf-8"))
    except Exception as x:
        return {"error": describe_exception(x), "stage": "literal_eval"}
    reply["repr"] = repr(value)
    reply["literal_same"] = same(value, literal)
    try:
        reply["redump"] = serpent.dumps(value, module_in_classname=True,
                                        bytes_repr=bool(req.get("bytes_repr", False))).hex()
    except Exception as x:  # serpent refuses to write some values it reads (a None key)
        reply["redump_error"] = describe_exception(x)
    if "expect" in req:
        expected = evaluate(req["expect"])
        reply["same"] = same(value, expected)
        reply["expected_repr"] = repr(expected)
    return reply


OPS = {
    "serpent_dumps": op_serpent_dumps,
    "serpent_loads": op_serpent_loads,
    "dumps": op_dumps,
    "dumps_call": op_dumps_call,
    "loads": op_loads,
    "loads_call": op_loads_call,
    "encode_message": op_encode_message,
    "decode_message": op_decode_message,
    "uri": op_uri,
}


def main():
    sys.stdout.write(json.dumps({"ready": Pyro5.__version__}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            reply = OPS[req["op"]](req)
        except Exception:
            reply = {"harness_error": traceback.format_exc()}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
