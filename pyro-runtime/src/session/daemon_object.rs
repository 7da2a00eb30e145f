//! `Pyro.Daemon`: the object every daemon serves about itself (Pyro5's
//! `DaemonObject`), answered by the server session itself.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, LazyLock};

use super::exception;
use super::server::{DaemonInfo, Directory};
use super::streams::Streams;
use crate::dispatch::{CallArgs, CallContext, Metadata, Reply, Servant};
use crate::{Error, RemoteError, Value};

/// The object id of the daemon object (Pyro5's `core.DAEMON_NAME`).
///
/// ```
/// assert_eq!(pyro::session::DAEMON_OBJECT_ID, "Pyro.Daemon");
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
/// and the stream methods `get_next_stream_item(streamId)` (which runs the stream's iterator
/// here: the session hands single calls of it to the driver as a [`NextItem`] request instead)
/// and `close_stream(streamId)`. Without `streams` (a session not serving streams) every stream
/// is terminated.
pub(crate) fn call(
    directory: &dyn Directory,
    info: &DaemonInfo,
    streams: Option<&Streams>,
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
        "get_next_stream_item" => match streams {
            Some(streams) => next_item(streams, ctx, args),
            None => {
                let _stream: Value = args.required(0, "streamId")?;
                args.finish()?;
                Err(terminated())
            }
        },
        "close_stream" => {
            let stream: Value = args.required(0, "streamId")?;
            args.finish()?;
            if let (Some(streams), Some(id)) = (streams, stream.as_str()) {
                streams.close(id);
            }
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

/// Pyro5's `PyroError("item stream terminated")`.
fn terminated() -> Error {
    RemoteError::new("Pyro5.errors.PyroError", vec![Value::from("item stream terminated")]).into()
}

/// `Pyro.Daemon.get_next_stream_item(streamId)`: the stream's next item. The iterator runs
/// outside the registry's lock; at its end the stream is deleted and the caller gets Python's
/// `StopIteration`; an error (or a panic, as a `builtins.RuntimeError`) deletes it too and is
/// the caller's exception, as in Pyro5. An unknown or expired id is "item stream terminated".
pub(crate) fn next_item(streams: &Streams, ctx: &mut CallContext, mut args: CallArgs) -> Result<Reply, Error> {
    let stream: Value = args.required(0, "streamId")?;
    args.finish()?;
    let Some(id) = stream.as_str() else { return Err(terminated()) };
    let mut iterator = streams.take(id, ctx.session_id())?;
    let ended = match catch_unwind(AssertUnwindSafe(|| iterator.next())) {
        Ok(Some(Ok(value))) => {
            streams.put_back(id, iterator);
            return Ok(Reply::Value(value));
        }
        Ok(Some(Err(error))) => Err(error),
        Ok(None) => Ok(()),
        Err(panic) => Err(panicked(panic.as_ref())),
    };
    streams.finish(id);
    // Dropping the iterator runs user code too: a panic there is the caller's error as well.
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(iterator)));
    match (ended, dropped) {
        (Err(error), _) => Err(error),
        (Ok(()), Err(panic)) => Err(panicked(panic.as_ref())),
        (Ok(()), Ok(())) => Err(RemoteError::new("builtins.StopIteration", vec![]).into()),
    }
}

fn panicked(panic: &(dyn std::any::Any + Send)) -> Error {
    let text = format!("item stream iterator panicked: {}", exception::panic_text(panic));
    RemoteError::new("builtins.RuntimeError", vec![Value::from(text)]).into()
}

/// A `get_next_stream_item` call as a servant, so that the session hands it to the driver like
/// any call to user code (the iterator runs where the driver runs calls).
pub(crate) struct NextItem {
    pub(crate) streams: Arc<Streams>,
}

impl Servant for NextItem {
    fn metadata(&self) -> &Metadata {
        metadata()
    }

    fn call(&self, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error> {
        match method {
            "get_next_stream_item" => next_item(&self.streams, ctx, args),
            _ => Err(CallArgs::unknown_method(method)),
        }
    }
}
