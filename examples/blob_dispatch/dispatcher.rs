//! The dispatcher of Pyro5's blob-dispatch example (`dispatcher/dispatcher.py`): one
//! `Dispatcher` (Pyro5's `instance_mode="single"`) registered in the name server as
//! `example.blobdispatcher`, as Pyro5's `serve()` does, printing what it prints. Listeners
//! register for a topic; a blob is passed on to the listeners of the topic in its `info`,
//! without being deserialized (the dispatcher does not know the `CustomData` class).
//!
//! ```sh
//! cargo run -p pyro5-ns --bin pyro-ns &            # or: python -m Pyro5.nameserver
//! cargo run --example blob_dispatch_dispatcher
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_HOST`, `PYRO_NS_HOST`,
//! `PYRO_NS_PORT`, ...). A blob goes on to each listener in the serializer it arrived in, so
//! its bytes pass through unchanged whatever the listener's own default. The banner names the
//! Python class as Pyro5 prints it (`<class '__main__.Dispatcher'>`).

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Mutex;

use pyro::daemon::InstanceMode;
use pyro::proxy::Proxy;
use pyro::serializer::ProxyState;
use pyro::{Config, Daemon, Error, SerializedBlob, Value, locate_ns};

/// The name `serve()` registers the dispatcher under.
const NAME: &str = "example.blobdispatcher";

/// The Python class as Pyro5's `serve()` prints it (`repr(Dispatcher)`).
const CLASS_REPR: &str = "<class '__main__.Dispatcher'>";

/// Python's `Dispatcher`: the listeners of each topic.
#[derive(Default)]
pub struct Dispatcher {
    listeners: Mutex<BTreeMap<String, Vec<Proxy>>>,
}

/// Python's `str()` of a value: a str as it is, anything else as its repr.
fn text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

#[pyro::expose]
impl Dispatcher {
    /// Adds `listener` (a proxy, as a Pyro5 program passes its own object) for `topic`.
    pub fn register(&self, topic: String, listener: Value) -> Result<(), Error> {
        let state = ProxyState::from_value(&listener)?;
        println!("New listener for topic {topic} registered: {}", state.uri);
        self.listeners.lock().unwrap_or_else(|e| e.into_inner()).entry(topic).or_default().push(Proxy::new(state.uri));
        Ok(())
    }

    /// Passes `blob` on to every listener of its topic.
    pub fn process_blob(&self, blob: SerializedBlob) -> Result<(), Error> {
        println!("Dispatching blob with name: {}", text(blob.info()));
        let topic = text(blob.info());
        let listeners =
            self.listeners.lock().unwrap_or_else(|e| e.into_inner()).get(&topic).cloned().unwrap_or_default();
        for listener in listeners {
            let listener = match blob.payload() {
                Some((serializer, _)) => listener.with_serializer(serializer),
                None => listener,
            };
            listener.call_blob::<()>("process_blob", &blob)?;
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    match serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("blob_dispatch_dispatcher: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve() -> pyro::Result<()> {
    let config = Config::environment()?;
    // What Pyro5's `serve({Dispatcher: NAME})` does: a daemon on `HOST`, the name server
    // located, the class registered (instance mode "single") with a generated id and its URI
    // under the name there.
    let daemon = Daemon::builder().config(config).bind()?;
    let ns = locate_ns(None, None)?;
    let uri = daemon.register_class::<Dispatcher>(InstanceMode::Single, None)?;
    println!("Object {CLASS_REPR}:\n    uri = {uri}");
    ns.register(NAME, &uri, false, None)?;
    println!("    name = {NAME}");
    println!("Pyro daemon running.");
    daemon.request_loop()
}
