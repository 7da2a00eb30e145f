//! A name server and an application daemon served by one multiplexed event loop (Pyro5's
//! `daemon.combine`), used by a Python client.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use pyro::daemon::Daemon;
use pyro::proxy::Proxy;
use pyro_ns::NameServerBuilder;

const PYTHON_CLIENT: &str = r#"
import sys
import Pyro5.api
Pyro5.config.SERIALIZER = sys.argv[3]
ns = Pyro5.api.locate_ns(host="127.0.0.1", port=int(sys.argv[1]))
app = Pyro5.api.Proxy(ns.lookup("example.app"))
app.ping()
print(sorted(ns.list()), app.info().startswith("Pyro.Daemon bound on " + sys.argv[2]))
"#;

#[test]
fn a_name_server_and_an_app_daemon_in_one_loop() {
    let bound = NameServerBuilder::new().host("127.0.0.1").port(0).bind().unwrap();
    let ns_uri = bound.uri().clone();
    let app = Daemon::bind("127.0.0.1", 0).unwrap();
    let app_uri = app.uri_for("Pyro.Daemon").unwrap();
    let stop = app.shutdown_handle();
    let server = std::thread::spawn(move || {
        let mut event_loop = app.event_loop().unwrap();
        event_loop.combine(bound.daemon()).unwrap();
        event_loop.run().unwrap();
    });
    let ns = Proxy::new(ns_uri.clone());
    ns.call::<_, ()>("register", &("example.app", app_uri.to_string())).unwrap();
    for serializer in ["serpent", "msgpack"] {
        let output = pyro_interop::python()
            .command()
            .args([
                "-c",
                PYTHON_CLIENT,
                &ns_uri.port().unwrap().to_string(),
                &app_uri.location().unwrap().to_string(),
                serializer,
            ])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "['Pyro.NameServer', 'example.app'] True");
    }
    stop.shutdown();
    server.join().unwrap();
}
