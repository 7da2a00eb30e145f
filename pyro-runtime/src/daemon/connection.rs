//! One client connection: the CONNECT handshake, then PING and INVOKE requests until the
//! client leaves (reference 1.9, 1.10, 2.2, 2.4, 4.3, 4.4).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use uuid::Uuid;

use super::Inner;
use super::daemon_object::unknown_object;
use crate::dispatch::{CallArgs, IntoRemoteError, Servant};
use crate::protocol::{EncodeOptions, Flags, Message, MessageType, ProtocolError, new_correlation_id};
use crate::serializer::{SerializeError, marshal};
use crate::transport::{MessageStream, Socket};
use crate::{Error, RemoteError, Serializer, Value};

/// Why reading a request failed.
enum ReadFailure {
    /// The stream ended, broke or timed out: close without reply.
    Closed,
    /// Invalid bytes: during the handshake, answered with CONNECTFAIL carrying this text.
    Refused(String),
}

/// Serves one connection for its whole life (run by a pool worker).
pub(super) fn serve(inner: &Arc<Inner>, socket: Socket) {
    let Some(guard) = inner.track_connection(&socket) else { return };
    let mut stream = MessageStream::new(socket, inner.encode_options());
    if !handshake(inner, &mut stream, None) {
        return;
    }
    loop {
        let Ok(message) = read_message(&mut stream, &[MessageType::Invoke, MessageType::Ping]) else {
            return;
        };
        if !guard.begin_request() {
            return;
        }
        let keep_open = handle_request(inner, &mut stream, message);
        if !guard.end_request() || !keep_open {
            return;
        }
    }
}

/// Refuses a connection (all workers busy): reads the CONNECT, answers CONNECTFAIL with
/// `reason` serialized with marshal, closes.
pub(super) fn deny(inner: &Inner, socket: Socket, reason: &str) {
    let mut stream = MessageStream::new(socket, inner.encode_options());
    handshake(inner, &mut stream, Some(reason));
    let _ = stream.get_ref().shutdown();
}

/// Pyro5's `Daemon._handshake`: `true` when the client may go on.
fn handshake(inner: &Inner, stream: &mut MessageStream<Socket>, denied: Option<&str>) -> bool {
    let message = match read_message(stream, &[MessageType::Connect]) {
        Ok(message) => message,
        Err(ReadFailure::Closed) => return false,
        Err(ReadFailure::Refused(reason)) => {
            send_connect_fail(stream, 0, None, &reason);
            return false;
        }
    };
    let correlation_id = message.correlation_id.unwrap_or_else(new_correlation_id);
    if let Some(reason) = denied {
        send_connect_fail(stream, message.seq, Some(correlation_id), reason);
        return false;
    }
    let ser = match Serializer::from_id(message.serializer_id) {
        Ok(ser) => ser,
        // A Pyro5 serializer pyro lacks (serpent, marshal): say so, in marshal.
        Err(e @ SerializeError::Unsupported { .. }) => {
            send_connect_fail(stream, message.seq, Some(correlation_id), &e.to_string());
            return false;
        }
        // An id no Pyro5 knows: closed without reply, as Pyro5 does.
        Err(_) => return false,
    };
    let (msg_type, data) = match connect_reply(inner, ser, &message.data) {
        Ok(data) => (MessageType::ConnectOk, data),
        Err(reason) => {
            (MessageType::ConnectFail, ser.to_bytes(&reason).unwrap_or_else(|_| marshal::encode_str(&reason)))
        }
    };
    let reply = Message::new(msg_type, ser.id(), data).with_seq(message.seq).with_correlation_id(correlation_id);
    stream.send(&reply).is_ok() && msg_type == MessageType::ConnectOk
}

/// The CONNECTOK payload, or the reason for refusing (Python's `str(exception)`).
fn connect_reply(inner: &Inner, ser: Serializer, data: &[u8]) -> Result<Vec<u8>, String> {
    #[derive(serde::Serialize)]
    struct ConnectOk<'a> {
        handshake: &'a str,
        meta: &'a crate::dispatch::Metadata,
    }
    let request: Value = ser.from_bytes(data).map_err(|e| e.to_string())?;
    let dict = request.as_dict().ok_or_else(|| format!("invalid handshake data: {}", request.type_name()))?;
    dict.get("handshake").ok_or_else(|| "'handshake'".to_owned())?;
    let object = dict.get("object").ok_or_else(|| "'object'".to_owned())?;
    let meta = object
        .as_str()
        .and_then(|id| inner.registry.metadata(id))
        .ok_or_else(|| unknown_object().to_remote().message)?;
    ser.to_bytes(&ConnectOk { handshake: "hello", meta: &meta }).map_err(|e| e.to_string())
}

fn send_connect_fail(stream: &mut MessageStream<Socket>, seq: u16, correlation_id: Option<Uuid>, reason: &str) {
    let mut reply =
        Message::new(MessageType::ConnectFail, Serializer::MARSHAL_ID, marshal::encode_str(reason)).with_seq(seq);
    if let Some(id) = correlation_id {
        reply = reply.with_correlation_id(id);
    }
    let _ = stream.send(&reply);
}

/// Reads one message (Pyro5's `recv_stub`); a protocol error becomes the CONNECTFAIL text
/// Pyro5 would send.
fn read_message(stream: &mut MessageStream<Socket>, accepted: &'static [MessageType]) -> Result<Message, ReadFailure> {
    stream.receive_expecting(accepted, "reading a request").map_err(|error| match error {
        Error::Protocol(ProtocolError::InvalidMagic { .. }) => {
            ReadFailure::Refused("invalid message or protocol version".to_owned())
        }
        Error::Protocol(ProtocolError::UnknownMessageType { msg_type }) => {
            ReadFailure::Refused(ProtocolError::UnexpectedMessageType { msg_type, expected: accepted }.to_string())
        }
        Error::Protocol(other) => ReadFailure::Refused(other.to_string()),
        _ => ReadFailure::Closed,
    })
}

/// Pyro5's `Daemon.handleRequest` after the handshake; `false` closes the connection.
fn handle_request(inner: &Inner, stream: &mut MessageStream<Socket>, message: Message) -> bool {
    let correlation_id = message.correlation_id.unwrap_or_else(new_correlation_id);
    if message.msg_type == MessageType::Ping {
        let pong = Message::new(MessageType::Ping, message.serializer_id, b"pong".to_vec())
            .with_seq(message.seq)
            .with_correlation_id(correlation_id);
        return stream.send(&pong).is_ok();
    }
    let Ok(ser) = Serializer::from_id(message.serializer_id) else { return false };
    let oneway = message.flags.contains(Flags::ONEWAY);
    let reply = |stream: &mut MessageStream<Socket>, result: Result<Vec<u8>, Error>, object: &str, method: &str| {
        let (flags, data) = match result {
            Ok(data) => (Flags::EMPTY, data),
            Err(error) => (Flags::EXCEPTION, exception_payload(ser, object, method, error)),
        };
        let reply = Message::new(MessageType::Result, ser.id(), data)
            .with_seq(message.seq)
            .with_flags(flags)
            .with_correlation_id(correlation_id);
        stream.send(&reply).is_ok()
    };
    let call = match ser.decode_call(&message.data) {
        Ok(call) => call,
        Err(error) => {
            // Pyro5 replies with the SerializeError, then closes the connection.
            if !oneway {
                reply(stream, Err(error.into()), "?", "?");
            }
            return false;
        }
    };
    if message.flags.contains(Flags::BATCH) || message.flags.contains(Flags::KEEPSERIALIZED) {
        if oneway {
            return true;
        }
        let error = RemoteError::new(
            "Pyro5.errors.PyroError",
            vec![Value::from("batch and blob calls are not supported by this daemon")],
        );
        return reply(stream, Err(error.into()), &call.object, &call.method);
    }
    let Some(servant) = inner.registry.get(&call.object) else {
        return oneway || reply(stream, Err(unknown_object()), &call.object, &call.method);
    };
    let args = CallArgs::new(call.method.clone(), call.vargs, call.kwargs);
    if oneway {
        run_oneway(servant, call.method, args, ser);
        return true;
    }
    let result = invoke(servant.as_ref(), &call.method, args, ser);
    reply(stream, result, &call.object, &call.method)
}

/// Runs a oneway call on its own thread, so that it does not hold up the connection; its
/// result and errors are dropped, as Pyro5 does.
fn run_oneway(servant: Arc<dyn Servant>, method: String, args: CallArgs, ser: Serializer) {
    // Out of threads: the call is dropped rather than holding up the connection.
    let _ = std::thread::Builder::new().name("pyro-oneway".into()).spawn(move || {
        let _ = invoke(servant.as_ref(), &method, args, ser);
    });
}

/// Calls the servant; a panic becomes a `builtins.RuntimeError` reply.
fn invoke(servant: &dyn Servant, method: &str, args: CallArgs, ser: Serializer) -> Result<Vec<u8>, Error> {
    catch_unwind(AssertUnwindSafe(|| servant.invoke(method, args, ser))).unwrap_or_else(|panic| {
        let text = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".to_owned());
        Err(RemoteError::new("builtins.RuntimeError", vec![Value::from(format!("method '{method}' panicked: {text}"))])
            .into())
    })
}

/// The exception RESULT payload: Pyro5's exception dict with a `_pyroTraceback`.
fn exception_payload(ser: Serializer, object: &str, method: &str, error: Error) -> Vec<u8> {
    let mut remote = error.into_remote_error();
    let last = if remote.message.is_empty() {
        format!("{}\n", remote.short_class())
    } else {
        format!("{}: {}\n", remote.short_class(), remote.message)
    };
    remote.traceback = vec![
        "Traceback (most recent call last):\n".to_owned(),
        format!("  File \"<rust>\", in {object}.{method}\n"),
        last,
    ];
    ser.to_bytes(&remote.to_value()).unwrap_or_else(|e| {
        let text =
            format!("Error serializing exception: {e}. Original exception: {}: {}", remote.class, remote.message);
        let fallback = RemoteError::new("Pyro5.errors.PyroError", vec![Value::from(text)]);
        ser.to_bytes(&fallback.to_value()).unwrap_or_default()
    })
}

impl Inner {
    /// Message options from the configuration.
    pub(super) fn encode_options(&self) -> EncodeOptions {
        EncodeOptions::new()
            .compression(self.config.compression)
            .max_message_size(usize::try_from(self.config.max_message_size).unwrap_or(usize::MAX))
    }
}
