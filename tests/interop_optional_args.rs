//! Optional arguments of typed proxies: a `None` is left out so that the remote method's own
//! default applies (trailing ones dropped, later arguments sent by keyword), and
//! `Option<Option<T>>` sends an explicit `None` as `Some(None)`. Checked against a real Python
//! Pyro5 5.17 daemon (whose defaults differ from `None`) and a Rust daemon, over every serializer.

use pyro_interop::wait_for;

use pyro::{Daemon, Serializer};

/// The interface, shared by client and server.
#[pyro::expose]
pub trait Greeter {
    /// Python: `greet(name, mode="auto", times=1, punct="!")`.
    fn greet(&self, name: String, mode: Option<String>, times: Option<u32>, punct: Option<Option<String>>) -> String;
    /// Python: `note(text, level=5)`, oneway.
    #[pyro::oneway]
    fn note(&self, level: Option<u8>, text: String);
    /// The notes so far.
    fn notes(&self) -> Vec<String>;
}

const PYTHON_SERVER: &str = r#"
import sys, threading
from Pyro5.api import Daemon, expose, oneway

@expose
class Greeter:
    def __init__(self):
        self._notes = []

    def greet(self, name, mode="auto", times=1, punct="!"):
        return "%s|%s|%r|%r" % (name, mode, times, punct)

    @oneway
    def note(self, level=5, text="?"):
        self._notes.append("%s:%r" % (text, level))

    def notes(self):
        return self._notes

daemon = Daemon(host="127.0.0.1", port=0)
print(daemon.register(Greeter(), "greeter"), flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

fn start_python_server() -> (pyro_interop::PythonServer, String) {
    let server = pyro_interop::PythonServer::start(pyro_interop::python(), PYTHON_SERVER);
    let uri = server.uri().to_owned();
    (server, uri)
}

fn greeter(uri: &str, serializer: Serializer) -> GreeterProxy {
    GreeterProxy::from_proxy(pyro::proxy::Proxy::from_uri_str(uri).expect("valid uri").with_serializer(serializer))
}

#[test]
fn python_defaults_apply_to_arguments_left_out() {
    let (_server, uri) = start_python_server();
    for serializer in [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack] {
        let g = greeter(&uri, serializer);
        let s = |text: &str| Some(text.to_owned());
        let cases = [
            // Trailing Nones are left out: every default applies.
            ((None, None, None), "a|auto|1|'!'"),
            // A None before a value: the value goes by keyword.
            ((None, Some(3), None), "a|auto|3|'!'"),
            ((None, None, Some(s("?"))), "a|auto|1|'?'"),
            // Some(None) is an explicit None.
            ((s("loud"), None, Some(None)), "a|loud|1|None"),
            ((s("x"), Some(2), Some(s("?"))), "a|x|2|'?'"),
        ];
        for ((mode, times, punct), want) in cases {
            let got = g.greet("a".into(), mode.clone(), times, punct.clone()).expect("greet");
            assert_eq!(got, want, "{serializer}: greet(a, {mode:?}, {times:?}, {punct:?})");
        }
        // Oneway calls too; a required argument after a left-out optional one goes by keyword.
        g.note(None, format!("default over {serializer}")).expect("oneway");
        g.note(Some(1), format!("one over {serializer}")).expect("oneway");
        let (first, second) = (format!("default over {serializer}:5"), format!("one over {serializer}:1"));
        assert!(
            wait_for(|| {
                let notes = g.notes().expect("notes");
                notes.contains(&first) && notes.contains(&second)
            }),
            "{serializer}: {:?}",
            g.notes()
        );
    }
}

/// The Rust side: `None` and a missing argument are alike.
#[derive(Default)]
struct RustGreeter {
    notes: std::sync::Mutex<Vec<String>>,
}

impl Greeter for RustGreeter {
    fn greet(&self, name: String, mode: Option<String>, times: Option<u32>, punct: Option<Option<String>>) -> String {
        let punct = punct.flatten().unwrap_or_else(|| "!".into());
        format!("{name}|{}|{}|{punct}", mode.unwrap_or_else(|| "auto".into()), times.unwrap_or(1))
    }

    fn note(&self, level: Option<u8>, text: String) {
        self.notes.lock().expect("lock").push(format!("{text}:{}", level.unwrap_or(5)));
    }

    fn notes(&self) -> Vec<String> {
        self.notes.lock().expect("lock").clone()
    }
}

#[test]
fn rust_daemon_takes_arguments_by_keyword() {
    let daemon = Daemon::bind("127.0.0.1", 0).expect("bind");
    let uri = daemon.register_as::<dyn Greeter, _>(RustGreeter::default(), Some("greeter")).expect("register");
    let shutdown = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    for serializer in [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack] {
        let g = greeter(&uri.to_string(), serializer);
        assert_eq!(g.greet("a".into(), None, Some(3), None).expect("greet"), "a|auto|3|!");
        assert_eq!(g.greet("a".into(), None, None, Some(Some("?".into()))).expect("greet"), "a|auto|1|?");
        assert_eq!(g.greet("a".into(), Some("x".into()), None, None).expect("greet"), "a|x|1|!");
        g.note(None, "r".into()).expect("oneway");
        assert!(wait_for(|| g.notes().expect("notes").contains(&"r:5".to_owned())), "{serializer}");
    }
    shutdown.shutdown();
    server.join().expect("daemon thread").expect("clean shutdown");
}
