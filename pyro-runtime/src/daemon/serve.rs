//! [`serve`]: Pyro5's `serve()` in one call.

use std::io::Write;
use std::sync::Arc;

use super::Daemon;
use crate::dispatch::Servant;
use crate::{Config, Error, naming};

/// Serves `objects` as Pyro5's `serve(objects, host, port, daemon, use_ns, verbose)` does, then
/// runs the request loop until the daemon is shut down:
///
/// - the daemon is `daemon`, or a new one bound to `host` (default: the `HOST` configuration
///   item) and `port` (0 = any free port);
/// - with `use_ns`, the name server is located (with the `PYRO_NS_*` settings, as Pyro5's
///   `locate_ns()`), each object is registered in the daemon under a generated id and its name
///   (if it has one) in the name server; without, each object is registered in the daemon under
///   its name (a generated id if it has none);
/// - with `verbose`, the lines Pyro5 prints: `Object <object>:`, `    uri = <uri>`, `    name =
///   <name>` (when registered in the name server), and `Pyro daemon running.` before serving.
///   Python prints the object's `repr`; here `<object>` is its name, or its id when it has
///   none.
///
/// The configuration comes from the `PYRO_*` environment variables ([`Config::environment`]).
/// A name server that cannot be found or refuses a registration ends it with that error, before
/// anything is served.
///
/// ```no_run
/// use std::sync::Arc;
/// use pyro::dispatch::{Servant, Served};
/// # use pyro::dispatch::*;
/// # use pyro::{Error, Serializer};
/// # struct Thing;
/// # impl Dispatch<Thing> for Thing {
/// #     fn metadata() -> Metadata { Metadata::new(["ping"], [], []) }
/// #     fn receiver(m: &str) -> Option<Receiver> { (m == "ping").then_some(Receiver::Shared) }
/// #     fn invoke_shared(&self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> { a.finish()?; c.encode(&()) }
/// #     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
/// # }
/// let thing: Arc<dyn Servant> = Arc::new(Served::new(Thing));
/// // Registered in the name server as `example.thing`, served on port 9999.
/// pyro::daemon::serve(vec![(thing, Some("example.thing"))], Some("localhost"), 9999, None, true, true)?;
/// # Ok::<(), pyro::Error>(())
/// ```
pub fn serve(
    objects: Vec<(Arc<dyn Servant>, Option<&str>)>,
    host: Option<&str>,
    port: u16,
    daemon: Option<Daemon>,
    use_ns: bool,
    verbose: bool,
) -> Result<(), Error> {
    let config = Config::environment()?;
    let out: Option<&mut dyn Write> = if verbose { Some(&mut std::io::stdout()) } else { None };
    serve_with(&config, objects, host, port, daemon, use_ns, out)
}

/// [`serve`] with a configuration, printing to `out` (`None`: quiet).
#[allow(clippy::too_many_arguments)]
fn serve_with(
    config: &Config,
    objects: Vec<(Arc<dyn Servant>, Option<&str>)>,
    host: Option<&str>,
    port: u16,
    daemon: Option<Daemon>,
    use_ns: bool,
    mut out: Option<&mut dyn Write>,
) -> Result<(), Error> {
    let daemon = match daemon {
        Some(daemon) => daemon,
        None => {
            let mut builder = Daemon::builder().config(config.clone()).port(port);
            if let Some(host) = host {
                builder = builder.host(host);
            }
            builder.bind()?
        }
    };
    let ns = if use_ns { Some(naming::locate_ns_with_config(None, None, config)?) } else { None };
    let mut say = |line: String| {
        if let Some(out) = out.as_deref_mut() {
            // Printing is best effort, as Python's `print` to a closed stdout would not stop
            // the server either.
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    };
    for (servant, name) in objects {
        // With a name server the name goes there and the daemon makes up the id.
        let local = if ns.is_some() { None } else { name };
        let uri = daemon.register_servant(servant, local)?;
        say(format!("Object {}:\n    uri = {uri}", name.unwrap_or(uri.object())));
        if let (Some(ns), Some(name)) = (&ns, name) {
            ns.register(name, &uri, false, None)?;
            say(format!("    name = {name}"));
        }
    }
    say("Pyro daemon running.".to_owned());
    daemon.request_loop()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply, Served};
    use crate::proxy::Proxy;

    struct Thing(&'static str);

    impl Dispatch<Thing> for Thing {
        fn metadata() -> Metadata {
            Metadata::new(["name"], [], [])
        }
        fn receiver(m: &str) -> Option<Receiver> {
            (m == "name").then_some(Receiver::Shared)
        }
        fn invoke_shared(&self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> {
            a.finish()?;
            c.encode(self.0)
        }
        fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> {
            Err(CallArgs::unknown_method(m))
        }
    }

    const NAME_SERVER: &str = r#"
import sys, threading
import Pyro5.nameserver
uri, daemon, _ = Pyro5.nameserver.start_ns(host="127.0.0.1", port=0, enableBroadcast=False)
print(uri, flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

    /// Where `serve_with` prints, readable while it serves.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn objects() -> Vec<(Arc<dyn Servant>, Option<&'static str>)> {
        vec![
            (Arc::new(Served::new(Thing("first"))), Some("example.first")),
            (Arc::new(Served::new(Thing("anon"))), None),
        ]
    }

    /// Runs `serve_with` in a thread until its banner is printed; the daemon's location and
    /// the printed text.
    fn run(config: &Config, use_ns: bool) -> (Vec<String>, crate::ShutdownHandle, std::thread::JoinHandle<()>) {
        let daemon = Daemon::builder().config(config.clone()).host("127.0.0.1").bind().unwrap();
        let stop = daemon.shutdown_handle();
        let out = Shared::default();
        let mut writer = out.clone();
        let config = config.clone();
        let thread = std::thread::spawn(move || {
            serve_with(&config, objects(), None, 0, Some(daemon), use_ns, Some(&mut writer)).unwrap();
        });
        assert!(pyro_interop::wait_for(|| out.text().ends_with("Pyro daemon running.\n")), "{}", out.text());
        (out.text().lines().map(str::to_owned).collect(), stop, thread)
    }

    #[test]
    fn with_a_name_server_the_names_go_there() {
        let ns = pyro_interop::PythonServer::start(pyro_interop::python(), NAME_SERVER);
        let ns_uri: crate::Uri = ns.uri().parse().unwrap();
        let config = Config { ns_host: "127.0.0.1".into(), ns_port: ns_uri.port().unwrap(), ..Config::default() };
        let (lines, stop, thread) = run(&config, true);
        assert_eq!(lines.len(), 6, "{lines:?}");
        assert_eq!(lines[0], "Object example.first:");
        assert!(lines[1].starts_with("    uri = PYRO:obj_") && lines[1].contains("@127.0.0.1:"), "{lines:?}");
        assert_eq!(lines[2], "    name = example.first");
        assert!(lines[3].starts_with("Object obj_"), "{lines:?}");
        assert!(lines[4].starts_with("    uri = PYRO:obj_"), "{lines:?}");
        assert_eq!(lines[5], "Pyro daemon running.");
        // The name server knows the first object, and the daemon serves it under that name.
        let proxy = Proxy::with_config("PYRONAME:example.first".parse().unwrap(), &config);
        assert_eq!(proxy.call::<_, String>("name", &()).unwrap(), "first");
        let names = naming::locate_ns_with_config(None, None, &config).unwrap().list(None, None).unwrap();
        assert_eq!(names.keys().collect::<Vec<_>>(), ["Pyro.NameServer", "example.first"]);
        stop.shutdown();
        thread.join().unwrap();
    }

    #[test]
    fn without_a_name_server_the_names_are_the_ids() {
        let (lines, stop, thread) = run(&Config::default(), false);
        assert_eq!(lines.len(), 5, "{lines:?}");
        assert_eq!(lines[0], "Object example.first:");
        assert!(lines[1].starts_with("    uri = PYRO:example.first@127.0.0.1:"), "{lines:?}");
        assert!(lines[2].starts_with("Object obj_"), "{lines:?}");
        assert_eq!(lines[4], "Pyro daemon running.");
        let uri = lines[1].trim_start_matches("    uri = ");
        assert_eq!(Proxy::from_uri_str(uri).unwrap().call::<_, String>("name", &()).unwrap(), "first");
        stop.shutdown();
        thread.join().unwrap();
    }

    #[test]
    fn no_name_server_to_find_is_an_error_before_serving() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = Config { ns_host: "127.0.0.1".into(), ns_port: port, ..Config::default() };
        let mut out = Vec::new();
        let error = serve_with(&config, objects(), Some("127.0.0.1"), 0, None, true, Some(&mut out)).unwrap_err();
        assert!(matches!(error, Error::Naming { .. }), "{error}");
        assert!(out.is_empty());
    }
}
