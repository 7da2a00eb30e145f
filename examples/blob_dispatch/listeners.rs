//! The listeners of Pyro5's blob-dispatch example (`listeners/main.py` with its `listener.py`):
//! takes a topic as its argument, serves a `Listener` on a new daemon, registers it with the
//! dispatcher `PYRONAME:example.blobdispatcher` for that topic, and prints each `CustomData`
//! it receives in a blob, as Python's listener does. Works with `blob_dispatch_dispatcher` and
//! with Python's `dispatcher.py` alike.
//!
//! ```sh
//! cargo run --example blob_dispatch_listeners -- news
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply. A wrong number of arguments prints
//! `Give topic as argument.` (status 0, as Python's program ends); an empty topic is Python's
//! `ValueError` (status 1). The listener passes itself to the dispatcher as a proxy, as a Pyro5
//! program passes a registered object.

mod customdata;

use std::process::ExitCode;

use customdata::CustomData;
use pyro::serializer::ProxyState;
use pyro::{Config, Daemon, Error, RemoteError, SerializedBlob, Value};

/// Python's `Listener(topic)`.
pub struct Listener {
    topic: String,
}

#[pyro::expose]
impl Listener {
    /// Reads the blob's `CustomData` and prints it.
    pub fn process_blob(&self, blob: SerializedBlob) -> Result<(), Error> {
        if blob.info().as_str() != Some(self.topic.as_str()) {
            return Err(RemoteError::new("builtins.AssertionError", vec![]).into());
        }
        let customdata: CustomData = blob.deserialized()?;
        println!("Received custom data (type=<class 'customdata.CustomData'>):");
        println!("    a={}, b={}, c={}", customdata.a, customdata.b, customdata.c);
        Ok(())
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [topic] = args.as_slice() else {
        println!("Give topic as argument.");
        return ExitCode::SUCCESS;
    };
    let topic = topic.trim();
    if topic.is_empty() {
        eprintln!("ValueError: Must give topic name.");
        return ExitCode::FAILURE;
    }
    match listen(topic) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: {e}", e.python_class());
            ExitCode::FAILURE
        }
    }
}

fn listen(topic: &str) -> pyro::Result<()> {
    let daemon = Daemon::builder().config(Config::environment()?).bind()?;
    let uri = daemon.register(Listener { topic: topic.to_owned() }, None)?;
    // `register_with_dispatcher`: the listener passes itself, as a proxy.
    let dispatcher = pyro::proxy::Proxy::from_uri_str("PYRONAME:example.blobdispatcher")?;
    let myself: Value = ProxyState::new(uri).to_value();
    let stop = daemon.shutdown_handle();
    let loop_thread = std::thread::spawn(move || daemon.request_loop());
    let registered = dispatcher.call::<_, ()>("register", &(topic, myself));
    dispatcher.release();
    if let Err(e) = registered {
        stop.shutdown();
        let _ = loop_thread.join();
        return Err(e);
    }
    println!("Listener for topic {topic} waiting for data.");
    loop_thread.join().map_err(|_| Error::Daemon { message: "the request loop panicked".into() })?
}
