//! `Pyro.Daemon`: the object every daemon serves about itself (Pyro5's `DaemonObject`,
//! reference 4.8), answered by the server session itself.

use std::sync::LazyLock;

use super::server::{DaemonInfo, Directory};
use crate::dispatch::{CallArgs, CallContext, Metadata, Reply};
use crate::{Error, RemoteError, Value};

/// The object id of the daemon object (Pyro5's `core.DAEMON_NAME`).
///
/// ```
/// assert_eq!(pyro_runtime::session::DAEMON_OBJECT_ID, "Pyro.Daemon");
/// ```
pub const DAEMON_OBJECT_ID: &str = "Pyro.Daemon";

const METHODS: [&str; 6] = ["close_stream", "get_metadata", "get_next_stream_item", "info", "ping", "registered"];

static METADATA: LazyLock<Metadata> = LazyLock::new(|| Metadata::new(METHODS, [], []));

/// The daemon object's metadata.
pub(crate) fn metadata() -> &'static Metadata {
    &METADATA
}

/// The metadata of `object` as the daemon reports it (Pyro.Daemon's own included).
pub(crate) fn metadata_of(directory: &dyn Directory, object: &str) -> Option<Metadata> {
    if object == DAEMON_OBJECT_ID {
        return Some(metadata().clone());
    }
    directory.servant(object).map(|servant| servant.metadata().clone())
}

/// Calls a `Pyro.Daemon` method: `ping()`, `registered()`, `get_metadata(objectId)`, `info()`,
/// and the stream methods (`get_next_stream_item` always reports a terminated stream,
/// `close_stream` does nothing: this daemon does not stream results).
pub(crate) fn call(
    directory: &dyn Directory,
    info: &DaemonInfo,
    ctx: &mut CallContext,
    method: &str,
    mut args: CallArgs,
) -> Result<Reply, Error> {
    match method {
        "ping" => {
            args.finish()?;
            ctx.encode(&())
        }
        "registered" => {
            args.finish()?;
            ctx.encode(&registered(directory))
        }
        "get_metadata" => {
            let id: String = args.required(0, "objectId")?;
            args.finish()?;
            let meta = metadata_of(directory, &id).ok_or_else(unknown_object)?;
            ctx.encode(&meta)
        }
        "info" => {
            args.finish()?;
            let nat = info.nat_location.as_deref().unwrap_or("None");
            let text = format!(
                "{DAEMON_OBJECT_ID} bound on {}, NAT {nat}, {} objects registered. Servertype: {}",
                info.location,
                directory.ids().len() + 1,
                info.server
            );
            ctx.encode(&text)
        }
        "get_next_stream_item" => {
            let _stream: Value = args.required(0, "streamId")?;
            args.finish()?;
            Err(RemoteError::new("Pyro5.errors.PyroError", vec![Value::from("item stream terminated")]).into())
        }
        "close_stream" => {
            let _stream: Value = args.required(0, "streamId")?;
            args.finish()?;
            ctx.encode(&())
        }
        _ => Err(CallArgs::unknown_method(method)),
    }
}

/// All object ids, `Pyro.Daemon` first.
pub(crate) fn registered(directory: &dyn Directory) -> Vec<String> {
    let mut ids = vec![DAEMON_OBJECT_ID.to_owned()];
    ids.extend(directory.ids());
    ids
}

/// Pyro5's `DaemonError("unknown object")`.
pub(crate) fn unknown_object() -> Error {
    Error::Daemon { message: "unknown object".into() }
}
