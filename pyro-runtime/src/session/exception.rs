//! Exception payloads: what a failed call looks like on the wire, and which
//! exceptions end the connection.

use crate::dispatch::IntoRemoteError;
use crate::serializer::SerializeOptions;
use crate::{Error, RemoteError, Serializer, Value};

/// The exception classes after which a Pyro5 daemon closes the connection (communication
/// errors and `SecurityError`); a Pyro5 client releases its connection after receiving them.
pub(crate) const CLOSING_CLASSES: &[&str] = &[
    "Pyro5.errors.CommunicationError",
    "Pyro5.errors.ConnectionClosedError",
    "Pyro5.errors.TimeoutError",
    "Pyro5.errors.ProtocolError",
    "Pyro5.errors.SerializeError",
    "Pyro5.errors.MessageTooLargeError",
    "Pyro5.errors.SecurityError",
];

/// `error` as the remote exception to send, with a `_pyroTraceback` naming `object.method`.
pub(crate) fn remote_exception(object: &str, method: &str, error: Error) -> RemoteError {
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
    remote
}

/// The exception RESULT payload in `ser`; if the exception itself cannot be serialized, a
/// `PyroError` saying so (as Pyro5 does).
pub(crate) fn payload(ser: Serializer, options: SerializeOptions, remote: &RemoteError) -> Vec<u8> {
    ser.to_bytes_with(&remote.to_value(), options).unwrap_or_else(|e| {
        let text =
            format!("Error serializing exception: {e}. Original exception: {}: {}", remote.class, remote.message);
        let fallback = RemoteError::new("Pyro5.errors.PyroError", vec![Value::from(text)]);
        ser.to_bytes_with(&fallback.to_value(), options).unwrap_or_default()
    })
}

/// Whether a daemon closes the connection after sending this exception.
pub(crate) fn closes_connection(class: &str) -> bool {
    CLOSING_CLASSES.contains(&class)
}

/// The text of a panic's payload.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_owned())
}
