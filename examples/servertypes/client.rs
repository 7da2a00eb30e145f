//! The client of Pyro5's servertypes example: calls `example.servertypes` (looked up in the name
//! server) five times oneway and five times normally through one proxy, then from five threads
//! at once, each with a proxy of its own, printing what Python's `client.py` prints: which
//! server thread handled each call, and, from the server's configuration, what to expect of
//! its type (the thread server runs the five threads' calls side by side, in a second; the
//! multiplexed server one after the other, in five). Works against `servertypes_server` and
//! against Python's `server.py` alike.
//!
//! ```sh
//! cargo run -p pyro5-ns --bin pyro-ns            # a name server (or Python's: pyro5-ns)
//! echo m | cargo run --example servertypes_server   # or: python server.py (in Pyro5's examples)
//! cargo run --example servertypes_client
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (the name server is found with
//! `PYRO_NS_HOST`, `PYRO_NS_PORT`, else by broadcast), and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another. The threads are named as Python names them
//! (`Thread-1 (func)`, ...). Oneway calls that already completed when the count is first asked
//! for end the program as Python's `SystemExit` does: the message on standard error, status 1.
//! A thread whose call fails reports it on standard error, as Python's thread exception hook
//! does, and the others go on.

#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;
use std::time::Duration;

use pyro::Value;
use pyro::proxy::Proxy;

fn main() -> ExitCode {
    match run() {
        Ok(Some(exit)) => {
            eprintln!("{exit}");
            ExitCode::FAILURE
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => python::exit_status(Err(e)),
    }
}

/// `print("  call processed by: %s" % serv.delay())`.
fn delay(serv: &Proxy) -> pyro::Result<()> {
    let processed: String = serv.call("delay", &())?;
    println!("  call processed by: {processed}");
    Ok(())
}

/// The number of completed calls in the server.
fn getcount(serv: &Proxy) -> pyro::Result<i64> {
    serv.call("getcount", &())
}

/// The program; `Some(message)` where Python raises `SystemExit(message)`.
fn run() -> pyro::Result<Option<String>> {
    let serv = python::proxy("PYRONAME:example.servertypes")?;

    println!("--------------------------------------------------------------");
    println!("    This part is independent of the type of the server.       ");
    println!("--------------------------------------------------------------");
    println!("Calling 5 times oneway method. Should return immediately.");
    serv.call::<_, ()>("reset", &())?;
    for _ in 0..5 {
        // The metadata lists `onewaydelay` as oneway: the proxy does not wait for it.
        serv.call::<_, ()>("onewaydelay", &())?;
    }
    println!("Done with the oneway calls.");
    let completed = getcount(&serv)?;
    println!("Number of completed calls in the server: {completed}");
    println!("  (this should be 0, because all 5 calls are still busy in the background)");
    if completed > 0 {
        return Ok(Some("error: oneway calls should run in the background!".to_owned()));
    }
    println!();
    println!(
        "Calling normal delay 5 times. They will all be processed by the same server thread because we're using the same proxy."
    );
    for _ in 0..5 {
        delay(&serv)?;
    }
    std::thread::sleep(Duration::from_secs(2));
    println!("Number of completed calls in the server: {}", getcount(&serv)?);
    println!("  (this should be 10, because by now the 5 oneway calls have completed as well)");
    serv.call::<_, ()>("reset", &())?;

    println!("\n--------------------------------------------------------------");
    println!("    This part depends on the type of the server.              ");
    println!("--------------------------------------------------------------");
    println!("Creating 5 threads that each call the server at the same time.");
    let serverconfig: Value = serv.call("getconfig", &())?;
    let servertype = serverconfig.as_dict().and_then(|config| config.get("SERVERTYPE")).and_then(Value::as_str);
    match servertype {
        Some("thread") => {
            println!("Servertype is thread. All calls will run in parallel.");
            println!("The time this will take is 1 second (every thread takes 1 second in parallel).");
            println!("You will see that the requests are handled by different server threads.");
        }
        Some("multiplex") => {
            println!("Servertype is multiplex. The calls will need to get in line.");
            println!("The time this will take is 5 seconds (every thread takes 1 second sequentially).");
            println!("You will see that the requests are handled by a single server thread.");
        }
        _ => println!("Unknown servertype"),
    }

    // `serv._pyroBind()` simplifies the uri: the threads connect without the name server.
    serv.bind()?;
    let uri = serv.resolved_uri().unwrap_or_else(|| serv.uri().clone()).to_string();
    let mut threads = Vec::new();
    for i in 1..=5 {
        let name = format!("Thread-{i} (func)");
        let uri = uri.clone();
        let thread = std::thread::Builder::new().name(name.clone()).spawn(move || {
            if let Err(e) = func(&uri, &name) {
                eprintln!("Exception in thread {name}:\n{}: {e}", e.python_class());
            }
        });
        match thread {
            Ok(thread) => threads.push(thread),
            Err(e) => eprintln!("RuntimeError: can't start new thread: {e}"),
        }
    }
    println!("Waiting for threads to finish:");
    for thread in threads {
        let _ = thread.join();
    }
    println!("Done. Number of completed calls in the server: {}", getcount(&serv)?);
    Ok(None)
}

/// A thread's work: a proxy of its own (closed at the end), one delay call.
fn func(uri: &str, name: &str) -> pyro::Result<()> {
    let p = python::proxy(uri)?;
    let processed: String = p.call("delay", &())?;
    println!("[ thread {name} called delay, processed by: {processed} ]  ");
    Ok(())
}
