//! [`serve`]: Pyro5's `serve()` in one call.

use std::sync::Arc;

use super::Daemon;
use crate::dispatch::Servant;
use crate::{Config, Error};

/// Serves `objects` (each with its object id) on a new daemon bound to `host` (default: the
/// `HOST` configuration item) and `port` (0 = any free port), printing each URI as Pyro5's
/// `serve()` does, then runs the request loop until the daemon is shut down. The configuration
/// comes from the `PYRO_*` environment variables.
///
/// Unlike Pyro5's `serve()`, nothing is registered with a name server (pyro has none yet).
///
/// ```no_run
/// use std::sync::Arc;
/// use pyro_runtime::dispatch::{Servant, Served};
/// # use pyro_runtime::dispatch::*;
/// # use pyro_runtime::{Error, Serializer};
/// # struct Thing;
/// # impl Dispatch<Thing> for Thing {
/// #     fn metadata() -> Metadata { Metadata::new(["ping"], [], []) }
/// #     fn receiver(m: &str) -> Option<Receiver> { (m == "ping").then_some(Receiver::Shared) }
/// #     fn invoke_shared(&self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> { a.finish()?; c.encode(&()) }
/// #     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
/// # }
/// let thing: Arc<dyn Servant> = Arc::new(Served::new(Thing));
/// pyro_runtime::daemon::serve(vec![(thing, "example.thing")], Some("localhost"), 9999).unwrap();
/// ```
pub fn serve(objects: Vec<(Arc<dyn Servant>, &str)>, host: Option<&str>, port: u16) -> Result<(), Error> {
    let config = Config::environment()?;
    let mut builder = Daemon::builder().config(config).port(port);
    if let Some(host) = host {
        builder = builder.host(host);
    }
    let daemon = builder.bind()?;
    for (servant, id) in objects {
        let uri = daemon.register_servant(servant, Some(id))?;
        println!("Object {id}:\n    uri = {uri}");
    }
    println!("Pyro daemon running.");
    daemon.request_loop()
}
