//! The body of the `server_session` fuzz target, shared with a unit test so `cargo test` checks
//! the same property. Not part of the supported API.

use std::sync::Arc;

use super::{Action, DaemonInfo, Directory, ServerSession};
use crate::dispatch::{CallArgs, CallContext, Metadata, Reply, Servant};
use crate::protocol::MessageDecoder;
use crate::{Error, Value};

/// Feeds arbitrary bytes through a [`MessageDecoder`] into a [`ServerSession`] serving one object
/// (`"echo"`, whose `echo(value)` returns its argument), running every call it dispatches, as a
/// driver does; panics (a fuzz failure) only if the session does, or if it goes on after
/// asking to close.
///
/// ```
/// pyro::session::fuzzing::exercise_server_session(b"PYRO\x01\xf6 and then garbage");
/// ```
pub fn exercise_server_session(data: &[u8]) {
    let objects = Echo(Arc::new(EchoServant(Metadata::new(["echo"], [], []))));
    let mut decoder = MessageDecoder::with_max_message_size(1 << 16);
    let mut session = ServerSession::new(1, Arc::new(DaemonInfo::default()));
    decoder.feed(data);
    loop {
        let action = match decoder.next_message() {
            Ok(Some(message)) => session.on_message(message, &objects),
            Ok(None) => return,
            Err(error) => session.on_protocol_error(error),
        };
        let action = match action {
            Action::Dispatch(request) | Action::DispatchOneway(request) => session.reply(request.run()),
            other => other,
        };
        match action {
            Action::Send(_) | Action::Continue => {}
            Action::SendAndClose(_) | Action::Close => {
                assert!(!session.is_connected(), "a session that closes is no longer connected");
                return;
            }
            Action::Dispatch(_) | Action::DispatchOneway(_) => panic!("reply() dispatched a call"),
        }
    }
}

struct EchoServant(Metadata);

impl Servant for EchoServant {
    fn metadata(&self) -> &Metadata {
        &self.0
    }

    fn call(&self, ctx: &mut CallContext, method: &str, mut args: CallArgs) -> Result<Reply, Error> {
        if method != "echo" {
            return Err(CallArgs::unknown_method(method));
        }
        let value: Value = args.required(0, "value")?;
        args.finish()?;
        ctx.encode(&value)
    }
}

struct Echo(Arc<dyn Servant>);

impl Directory for Echo {
    fn servant(&self, id: &str) -> Option<Arc<dyn Servant>> {
        (id == "echo").then(|| Arc::clone(&self.0))
    }

    fn ids(&self) -> Vec<String> {
        vec!["echo".to_owned()]
    }
}
