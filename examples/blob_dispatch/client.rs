//! The client of Pyro5's blob-dispatch example (`client/client.py`): asks for topics (`Enter
//! topic to send data on (just enter to quit) `) until an empty line, and for each sends a
//! `CustomData(42, "hello world", now)` in a `SerializedBlob` named after the topic to the
//! dispatcher `PYRONAME:example.blobdispatcher`, printing `processed`. Works with
//! `blob_dispatch_dispatcher` and with Python's `dispatcher.py` alike.
//!
//! ```sh
//! cargo run -p pyro5-ns --bin pyro-ns &            # or: python -m Pyro5.nameserver
//! cargo run --example blob_dispatch_dispatcher &  # or: python dispatcher.py
//! cargo run --example blob_dispatch_listeners -- news &
//! cargo run --example blob_dispatch_client
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (the name server is found with
//! `PYRO_NS_HOST`, `PYRO_NS_PORT`, ...), and the serializer is serpent unless `PYRO_SERIALIZER`
//! names another. The datetime `c` is the current time in UTC, sent as the ISO text Pyro5's
//! serpent sends a datetime as. An error is printed as Pyro5's `excepthook` prints it, and the
//! program exits with status 1.

mod customdata;
#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;

use customdata::{CustomData, now_isoformat};
use pyro::{Error, SerializedBlob};
use python::input;

fn main() -> ExitCode {
    python::exit_status(run())
}

fn run() -> pyro::Result<()> {
    let dispatcher = python::proxy("PYRONAME:example.blobdispatcher")?;
    let result = loop {
        let topic = match input("Enter topic to send data on (just enter to quit) ") {
            Ok(line) => line.trim().to_owned(),
            Err(e) => break Err(Error::Communication { message: format!("EOFError: {e}"), source: None }),
        };
        if topic.is_empty() {
            break Ok(());
        }
        // Our custom data object, sent through the dispatcher.
        let data = CustomData::new(42, "hello world", now_isoformat());
        if let Err(e) = dispatcher.call_blob::<()>("process_blob", &SerializedBlob::new(topic, &data)?) {
            break Err(e);
        }
        println!("processed");
    };
    dispatcher.release();
    result
}
