//! `Pyro.Daemon`: the object every daemon serves about itself (Pyro5's `DaemonObject`),
//! written as a hand-made [`Dispatch`] implementation.

use std::sync::{Arc, Weak};

use super::registry::Registry;
use crate::dispatch::{CallArgs, Dispatch, Metadata, Receiver};
use crate::{Error, RemoteError, Serializer, Value};

/// The object id of the daemon object (Pyro5's `core.DAEMON_NAME`).
pub const DAEMON_OBJECT_ID: &str = "Pyro.Daemon";

const METHODS: [&str; 6] = ["close_stream", "get_metadata", "get_next_stream_item", "info", "ping", "registered"];

/// `Pyro.Daemon`: `ping()`, `registered()`, `get_metadata(objectId)`, `info()`, and the stream
/// methods (`get_next_stream_item` always reports a terminated stream, `close_stream` does
/// nothing: this daemon does not stream results).
pub(super) struct DaemonObject {
    pub(super) registry: Weak<Registry>,
    pub(super) location: String,
    pub(super) nat_location: Option<String>,
    pub(super) server: String,
}

impl DaemonObject {
    fn registry(&self) -> Result<Arc<Registry>, Error> {
        self.registry.upgrade().ok_or_else(|| Error::Daemon { message: "daemon is closed".into() })
    }
}

impl Dispatch<DaemonObject> for DaemonObject {
    fn metadata() -> Metadata {
        Metadata::new(METHODS, [], [])
    }

    fn receiver(method: &str) -> Option<Receiver> {
        METHODS.contains(&method).then_some(Receiver::Shared)
    }

    fn invoke_shared(&self, method: &str, mut args: CallArgs, ser: Serializer) -> Result<Vec<u8>, Error> {
        match method {
            "ping" => {
                args.finish()?;
                Ok(ser.to_bytes(&())?)
            }
            "registered" => {
                args.finish()?;
                Ok(ser.to_bytes(&self.registry()?.ids())?)
            }
            "get_metadata" => {
                let id: String = args.required(0, "objectId")?;
                args.finish()?;
                let meta = self.registry()?.metadata(&id).ok_or_else(unknown_object)?;
                Ok(ser.to_bytes(&meta)?)
            }
            "info" => {
                args.finish()?;
                let nat = self.nat_location.as_deref().unwrap_or("None");
                let text = format!(
                    "{DAEMON_OBJECT_ID} bound on {}, NAT {nat}, {} objects registered. Servertype: {}",
                    self.location,
                    self.registry()?.len(),
                    self.server
                );
                Ok(ser.to_bytes(&text)?)
            }
            "get_next_stream_item" => {
                let _stream: Value = args.required(0, "streamId")?;
                args.finish()?;
                Err(RemoteError::new("Pyro5.errors.PyroError", vec![Value::from("item stream terminated")]).into())
            }
            "close_stream" => {
                let _stream: Value = args.required(0, "streamId")?;
                args.finish()?;
                Ok(ser.to_bytes(&())?)
            }
            _ => Err(CallArgs::unknown_method(method)),
        }
    }

    fn invoke_exclusive(&mut self, method: &str, args: CallArgs, ser: Serializer) -> Result<Vec<u8>, Error> {
        // Not `self.invoke_shared(..)`: `Dispatch`'s blanket impl for interfaces makes the method
        // call ambiguous on `&mut DaemonObject`.
        Dispatch::<DaemonObject>::invoke_shared(self, method, args, ser)
    }
}

/// Pyro5's `DaemonError("unknown object")`.
pub(super) fn unknown_object() -> Error {
    Error::Daemon { message: "unknown object".into() }
}
