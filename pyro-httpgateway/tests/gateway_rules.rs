//! The gateway's rules one by one against our gateway, with Python's urllib and curl as
//! clients: correlation ids, oneway, POST bodies, limits, concurrency, the name cache, the
//! front page, and the command-line program.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pyro::{NameServerProxy, Uri};
use serde_json::json;
use support::{Req, RunningGateway, fetch, fetch_one, python_objects, settings};

#[test]
fn correlation_ids_go_to_the_object_and_come_back() {
    let (_objects, ns_port) = python_objects();
    let gw = RunningGateway::start(settings(ns_port));
    let id = "11112222-3333-4444-5555-666677778888";
    let given = fetch_one(&gw.base(), Req::get("/pyro/http.thing/correlation").header("X-Pyro-Correlation-Id", id));
    assert_eq!(given.status, 200);
    assert_eq!(given.json(), json!(id));
    assert_eq!(given.header("X-Pyro-Correlation-Id"), Some(id));
    // Other spellings of a uuid are accepted, as Python's uuid.UUID accepts them.
    let braced = fetch_one(
        &gw.base(),
        Req::get("/pyro/http.thing/correlation").header("X-Pyro-Correlation-Id", "{11112222333344445555666677778888}"),
    );
    assert_eq!(braced.header("X-Pyro-Correlation-Id"), Some(id));
    // Without one, a new id for each call, the same on both sides.
    let fresh =
        fetch(&gw.base(), &[Req::get("/pyro/http.thing/correlation"), Req::get("/pyro/http.thing/correlation")]);
    let (a, b) = (fresh[0].header("X-Pyro-Correlation-Id").unwrap(), fresh[1].header("X-Pyro-Correlation-Id").unwrap());
    assert_ne!(a, b);
    assert_eq!(fresh[0].json(), json!(a));
    assert!(pyro::uuid::Uuid::parse_str(a).is_ok());
}

#[test]
fn oneway_calls_do_not_wait_and_slow_calls_do_not_stall_others() {
    let (_objects, ns_port) = python_objects();
    let gw = RunningGateway::start(settings(ns_port));
    let oneway =
        fetch_one(&gw.base(), Req::get("/pyro/http.thing/slow?seconds=3").header("X-Pyro-Options", "x,oneway"));
    assert_eq!((oneway.status, oneway.body.len()), (200, 0));
    assert!(oneway.seconds < 2.0, "a oneway call waited {}s", oneway.seconds);
    // "oneway" must be an exact item of the comma-separated options, as in Pyro5.
    let not_oneway =
        fetch_one(&gw.base(), Req::get("/pyro/http.thing/slow?seconds=0").header("X-Pyro-Options", "x, oneway"));
    assert_eq!(not_oneway.text(), r#""slept""#);
    // A oneway method is oneway without the header; its effect shows later.
    fetch_one(&gw.base(), Req::get("/pyro/http.thing/fire?x=bang"));
    assert!(pyro_interop::wait_for(
        || fetch_one(&gw.base(), Req::get("/pyro/http.thing/fired_list")).json() == json!(["bang"])
    ));

    // Three slow calls and fast ones at the same time: the fast ones are not held up.
    let base = gw.base();
    let slow: Vec<_> = (0..3)
        .map(|_| {
            let base = base.clone();
            std::thread::spawn(move || fetch_one(&base, Req::get("/pyro/http.thing/slow?seconds=3")))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let fast = fetch(&base, &[Req::get("/pyro/http.thing/echo?message=quick"), Req::get("/pyro/http.thing/value")]);
    assert_eq!(fast[1].text(), "42");
    for answer in &fast {
        assert!(answer.seconds < 1.5, "a fast call took {}s", answer.seconds);
    }
    for slow in slow {
        let slow = slow.join().unwrap();
        assert_eq!(slow.text(), r#""slept""#);
        assert!(slow.seconds >= 2.9);
    }
}

#[test]
fn post_bodies_give_parameters() {
    let (_objects, ns_port) = python_objects();
    let mut settings = settings(ns_port);
    settings.max_body_size = 1024;
    let gw = RunningGateway::start(settings);
    let answers = fetch(
        &gw.base(),
        &[
            // JSON: values of any JSON type, replacing query values of the same key.
            Req::post(
                "/pyro/http.thing/echo?message=query&q=1",
                "application/json",
                r#"{"message": "body", "n": 3, "tags": ["a", "b"], "nested": {"x": null}}"#,
            ),
            // A form, read as the query string is.
            Req::post("/pyro/http.thing/echo", "application/x-www-form-urlencoded", "message=form+post&k=1&k=2"),
            Req::post("/pyro/http.thing/echo", "application/json; charset=utf-8", " "),
            Req::post("/pyro/http.thing/echo", "application/json", "[1, 2]"),
            Req::post("/pyro/http.thing/echo", "application/json", "{nope"),
            Req::post("/pyro/http.thing/echo", "text/plain", "message=hi"),
            Req::post("/pyro/http.thing/echo", "application/json", format!(r#"{{"message": "{}"}}"#, "x".repeat(2000))),
            Req::post("/pyro/http.thing/value", "application/json", r#"{"x": 1}"#),
        ],
    );
    assert_eq!(
        answers[0].json(),
        json!({"message": "body", "kwargs": {"q": "1", "n": 3, "tags": ["a", "b"], "nested": {"x": null}}})
    );
    assert_eq!(answers[1].json(), json!({"message": "form post", "kwargs": {"k": ["1", "2"]}}));
    assert_eq!(answers[2].json(), json!({"message": "none", "kwargs": {}}));
    assert_eq!(
        (answers[3].status, answers[3].text().as_str()),
        (400, "400 Bad Request - a JSON body must be an object of parameters")
    );
    assert_eq!((answers[4].status, answers[4].text().as_str()), (400, "400 Bad Request - the body is not valid JSON"));
    assert_eq!(answers[5].status, 415);
    assert_eq!((answers[6].status, answers[6].text().as_str()), (413, "413 Payload Too Large"));
    assert_eq!(answers[7].json()["__class__"], "builtins.AssertionError");
    for answer in &answers[3..7] {
        assert_eq!(answer.header("Access-Control-Allow-Origin"), Some("*"));
    }
}

/// An object of ours that says who it is.
pub struct Named {
    name: &'static str,
}

#[pyro::expose]
impl Named {
    /// Which object answered.
    pub fn who(&self) -> String {
        self.name.to_string()
    }
}

fn serve_named(name: &'static str) -> (Uri, pyro::ShutdownHandle, std::thread::JoinHandle<()>) {
    let daemon = pyro::Daemon::bind("127.0.0.1", 0).unwrap();
    let uri = daemon.register(Named { name }, Some("named")).unwrap();
    let stop = daemon.shutdown_handle();
    let thread = std::thread::spawn(move || daemon.request_loop().unwrap());
    (uri, stop, thread)
}

#[test]
fn name_lookups_are_cached_briefly_and_dropped_when_the_object_is_gone() {
    let ns = pyro_ns::NameServerBuilder::new().host("127.0.0.1").port(0).broadcast(false).start().unwrap();
    let ns_port = ns.uri().location().unwrap().to_string().rsplit(':').next().unwrap().parse().unwrap();
    let client = NameServerProxy::new(ns.uri().clone());
    let (a, stop_a, thread_a) = serve_named("a");
    let (b, stop_b, thread_b) = serve_named("b");
    client.register("http.moving", &a, false, None).unwrap();

    let cached = RunningGateway::start(settings(ns_port).with_name_cache_ttl(Duration::from_secs(60)));
    let uncached = RunningGateway::start(settings(ns_port).with_name_cache_ttl(Duration::ZERO));
    let who = |gw: &RunningGateway| fetch_one(&gw.base(), Req::get("/pyro/http.moving/who")).json();
    assert_eq!((who(&cached), who(&uncached)), (json!("a"), json!("a")));
    client.remove(Some("http.moving"), None, None).unwrap();
    client.register("http.moving", &b, false, None).unwrap();
    // The cached lookup still says a (and a still answers); the uncached one sees b at once.
    assert_eq!((who(&cached), who(&uncached)), (json!("a"), json!("b")));
    // a goes away: its refused connection drops the cached name, and b answers.
    stop_a.shutdown();
    thread_a.join().unwrap();
    assert_eq!(who(&cached), json!("b"));
    // An unknown name is the name server's NamingError.
    client.remove(Some("http.moving"), None, None).unwrap();
    let gone = fetch_one(&uncached.base(), Req::get("/pyro/http.moving/who"));
    assert_eq!((gone.status, gone.json()["args"][0].clone()), (500, json!("unknown name: http.moving")));
    stop_b.shutdown();
    thread_b.join().unwrap();
    // The object is unreachable: a CommunicationError-family answer, not a hang.
    client.register("http.moving", &b, false, None).unwrap();
    let down = fetch_one(&uncached.base(), Req::get("/pyro/http.moving/who"));
    assert_eq!(down.status, 500);
    assert!(down.json()["__class__"].as_str().unwrap().starts_with("Pyro5.errors."), "{}", down.text());
}

#[test]
fn the_front_page_lists_the_exposed_names() {
    let (objects, ns_port) = python_objects();
    let gw = RunningGateway::start(settings(ns_port));
    let page = fetch_one(&gw.base(), Req::get("/pyro/"));
    assert_eq!(page.status, 200);
    assert_eq!(page.header("Content-Type"), Some("text/html"));
    let html = page.text();
    assert!(html.contains(r#"data-name="http.thing" data-method="$meta">http.thing</a>"#), "{html}");
    assert!(html.contains(r#"data-name="http.thing" data-method="echo">echo</a>"#));
    assert!(html.contains(r#"class="call attribute" data-name="http.thing" data-method="value">value</a>"#));
    assert!(html.contains(">http.a/b</a>"));
    assert!(!html.contains("hidden.thing"), "not exposed");
    drop(objects);
    // Without a name server: Pyro5's text answer.
    let down = fetch_one(&gw.base(), Req::get("/pyro/"));
    assert_eq!(down.status, 500);
    assert_eq!(down.text(), "Cannot connect to the Pyro name server. Is it running? Refresh page to retry.");
}

/// curl as the client: `curl -s -i` and the answer's status line, headers and body.
fn curl(args: &[&str]) -> String {
    let out = Command::new("curl").args(["-s", "-i", "--max-time", "30"]).args(args).output().unwrap();
    assert!(out.status.success(), "curl {args:?} failed");
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

fn curl_missing() -> bool {
    if Command::new("curl").arg("--version").output().is_err() {
        println!("curl is not installed: the curl checks are skipped");
        return true;
    }
    false
}

/// The program, killed if a failed test leaves it running.
struct Program(std::process::Child);

impl Drop for Program {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// The `pyro-httpgateway` program, started with `args` for the name server on `ns_port`;
/// returns it and its base URL.
fn start_program(ns_port: u16, args: &[&str]) -> (Program, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pyro-httpgateway"))
        .args(["-H", "127.0.0.1", "-p", "0"])
        .args(args)
        .env("PYRO_NS_HOST", "127.0.0.1")
        .env("PYRO_NS_PORT", ns_port.to_string())
        .env("PYRO_NS_BCPORT", "0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let child = Program(child);
    let mut seen = Vec::new();
    let base = loop {
        let line = lines.next().unwrap_or_else(|| panic!("the gateway exited; it said {seen:?}")).unwrap();
        if let Some(url) = line.strip_prefix("Pyro HTTP gateway running on ") {
            break url.trim_end_matches("/pyro/").to_string();
        }
        seen.push(line);
    };
    assert_eq!(seen[0], "Exposing objects with names matching: http\\.thing");
    assert!(seen[1].starts_with("Connected to name server at: PYRO:Pyro.NameServer@127.0.0.1:"), "{seen:?}");
    (child, base)
}

#[test]
fn the_program_with_curl() {
    let (_objects, ns_port) = python_objects();
    let (mut program, base) =
        start_program(ns_port, &["-e", r"http\.thing", "-g", "k3y", "-c", "https://a.example", "-t", "5"]);
    if !curl_missing() {
        let answer = curl(&["-H", "X-Pyro-Gateway-Key: k3y", &format!("{base}/pyro/http.thing/echo?message=curl")]);
        assert!(answer.starts_with("HTTP/1.1 200 OK\n"), "{answer}");
        assert!(answer.contains("\nContent-Type: application/json; charset=utf-8\n"), "{answer}");
        assert!(answer.contains("\nAccess-Control-Allow-Origin: https://a.example\n"), "{answer}");
        assert!(answer.contains("\nX-Pyro-Correlation-Id: "), "{answer}");
        assert!(answer.ends_with("\n\n{\"message\": \"curl\", \"kwargs\": {}}"), "{answer}");

        let denied = curl(&[&format!("{base}/pyro/http.thing/echo")]);
        assert!(denied.starts_with("HTTP/1.1 403 Forbidden\n"), "{denied}");
        assert!(denied.ends_with("\n\n403 Forbidden - incorrect gateway api key"), "{denied}");
        let hidden = curl(&[&format!("{base}/pyro/hidden.thing/echo?$key=k3y")]);
        assert!(hidden.ends_with("\n\n403 Forbidden - access to the requested object has been denied"), "{hidden}");

        let options = curl(&["-X", "OPTIONS", &format!("{base}/pyro/http.thing/echo")]);
        assert!(options.starts_with("HTTP/1.1 200 OK\n"), "{options}");
        assert!(options.contains("\nAccess-Control-Allow-Methods: GET, POST, OPTIONS\n"), "{options}");
        assert!(options.contains("\nAccess-Control-Allow-Headers: Content-Type\n"), "{options}");

        let posted = curl(&[
            "-H",
            "Content-Type: application/json",
            "-H",
            "X-Pyro-Gateway-Key: k3y",
            "-d",
            r#"{"message": 12, "flag": true}"#,
            &format!("{base}/pyro/http.thing/echo"),
        ]);
        assert!(posted.ends_with("\n\n{\"message\": 12, \"kwargs\": {\"flag\": true}}"), "{posted}");

        let redirect = curl(&[&format!("{base}/")]);
        assert!(
            redirect.starts_with("HTTP/1.1 302 Found\n") && redirect.contains("\nLocation: /pyro/\n"),
            "{redirect}"
        );
        let put = curl(&["-X", "PUT", &format!("{base}/pyro/x/y")]);
        assert!(put.starts_with("HTTP/1.1 405 Method Not Allowed\n"), "{put}");
        assert!(put.ends_with("\n\nError 405: Method Not Allowed"), "{put}");
        // A request head larger than the limit is refused by the HTTP layer.
        let huge = format!("X-Big: {}", "b".repeat(pyro_httpgateway::MAX_HEAD_SIZE + 30_000));
        let refused = curl(&["-H", &huge, &format!("{base}/pyro/http.thing/value?$key=k3y")]);
        assert!(refused.starts_with("HTTP/1.1 431 "), "{}", &refused[..refused.len().min(200)]);
    }
    // The Python client too.
    let answer = fetch_one(&base, Req::get("/pyro/http.thing/value?$key=k3y"));
    assert_eq!(answer.text(), "42");
    // SIGTERM stops it cleanly.
    let status = Command::new("kill").args(["-TERM", &program.0.id().to_string()]).status().unwrap();
    assert!(status.success());
    let started = Instant::now();
    loop {
        if let Some(status) = program.0.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the gateway did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn bad_options_are_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_pyro-httpgateway")).args(["-e", "("]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid expose pattern '('"));
    let out = Command::new(env!("CARGO_BIN_EXE_pyro-httpgateway")).args(["-t", "-1"]).output().unwrap();
    assert!(!out.status.success());
}
