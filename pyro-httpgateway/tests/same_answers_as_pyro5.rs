//! Our gateway and Pyro5's own gateway, side by side in front of the same name server, Python
//! Pyro5 objects and one of ours: the same requests (sent with Python's urllib) get the same
//! status, content type, CORS headers and body; results carry a correlation id header, errors
//! do not.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;

use pyro::{NameServerProxy, RemoteError, Uri};
use support::{Req, Resp, fetch, python_gateway, python_objects};

/// An object of ours behind both gateways.
pub struct Shop {
    stock: i64,
}

#[pyro::expose]
impl Shop {
    /// Keyword arguments by name; a repeated key arrives as a list.
    pub fn order(&self, item: String, extras: Option<Vec<String>>) -> String {
        format!("{item} with {}", extras.unwrap_or_default().join("+"))
    }

    /// A Python exception raised from Rust.
    pub fn refuse(&self) -> Result<(), RemoteError> {
        Err(RemoteError::new("builtins.PermissionError", vec!["closed today".into()]))
    }

    /// A remote property.
    #[pyro::getter]
    pub fn stock(&self) -> i64 {
        self.stock
    }
}

/// The parts of an answer both gateways must agree on.
fn essentials(resp: &Resp) -> (u16, Option<String>, Vec<Option<String>>, bool, Vec<u8>) {
    let cors = ["Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"]
        .iter()
        .map(|h| resp.header(h).map(str::to_string))
        .collect();
    (
        resp.status,
        resp.header("Content-Type").map(str::to_string),
        cors,
        resp.header("X-Pyro-Correlation-Id").is_some(),
        resp.body.clone(),
    )
}

/// Compares the answers; ours are returned for further checks.
fn compare(ours: &str, theirs: &str, requests: &[Req]) -> Vec<Resp> {
    let (a, b) = (fetch(ours, requests), fetch(theirs, requests));
    for ((req, ours), theirs) in requests.iter().zip(&a).zip(&b) {
        let what = format!("{} {}", req.method, req.path);
        if req.path.ends_with("/$meta") {
            // Pyro5 lists Python sets, in no fixed order: compare the names.
            assert_eq!(ours.status, theirs.status, "{what}");
            let names = |r: &Resp, key: &str| -> BTreeSet<String> {
                r.json()[key].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
            };
            assert_eq!(names(ours, "methods"), names(theirs, "methods"), "{what}");
            assert_eq!(names(ours, "attributes"), names(theirs, "attributes"), "{what}");
            continue;
        }
        assert_eq!(essentials(ours), essentials(theirs), "{what}\nours:   {}\ntheirs: {}", ours.text(), theirs.text());
    }
    a
}

#[test]
fn the_same_requests_get_the_same_answers() {
    let (_objects, ns_port) = python_objects();
    // Our object, registered in the Python name server.
    let daemon = pyro::Daemon::bind("127.0.0.1", 0).unwrap();
    let uri = daemon.register(Shop { stock: 7 }, Some("http.shop")).unwrap();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    let ns = NameServerProxy::new(Uri::pyro("Pyro.NameServer", "127.0.0.1", ns_port).unwrap());
    ns.register("http.shop", &uri, false, None).unwrap();

    let theirs = python_gateway(ns_port, r"http\.", "*", "");
    let ours = support::RunningGateway::start(support::settings(ns_port));
    let requests = vec![
        Req::get("/pyro/http.thing/$meta"),
        Req::get("/pyro/http.thing/echo?message=hi+there&a=1&a=2&blank=&novalue&c=%C3%A9"),
        Req::get("/pyro/http.thing/echo"),
        Req::method("POST", "/pyro/http.thing/echo?message=posted"),
        Req::get("/pyro/http.thing/fail"),
        Req::get("/pyro/http.thing/value"),
        Req::get("/pyro/http.thing/value?x=1"),
        Req::get("/pyro/http.thing/fire?x=1"),
        Req::get("/pyro/http.thing/echo?message=1").header("X-Pyro-Options", "oneway"),
        Req::get("/pyro/http.thing/nomethod"),
        Req::get("/pyro/http.thing/echo?bogus=1&message=x&message=y"),
        Req::get("/pyro/http.nope/echo"),
        Req::get("/pyro/hidden.thing/echo"),
        Req::get("/pyro/http.a/b/echo?message=slash"),
        Req::get("/pyro/http.thing/echo").header("X-Pyro-Correlation-Id", "not-a-uuid"),
        Req::get("/pyro/http.shop/$meta"),
        Req::get("/pyro/http.shop/order?item=tea&extras=milk&extras=sugar"),
        Req::get("/pyro/http.shop/order?item=tea"),
        Req::get("/pyro/http.shop/order"),
        Req::get("/pyro/http.shop/refuse"),
        Req::get("/pyro/http.shop/stock"),
        Req::get("/pyro/x"),
        Req::get("/pyro"),
        Req::get("/elsewhere"),
        Req::get("/"),
        Req::get("//"),
        Req::method("OPTIONS", "/pyro/http.thing/echo"),
        Req::method("PUT", "/pyro/http.thing/echo"),
        Req::method("DELETE", "/pyro/"),
    ];
    let answers = compare(&ours.base(), theirs.uri(), &requests);
    // What they agreed on is what it should be.
    assert_eq!(answers[1].status, 200);
    let echoed = answers[1].json();
    assert_eq!(echoed["message"], "hi there");
    assert_eq!(echoed["kwargs"], serde_json::json!({"a": ["1", "2"], "c": "é"}));
    assert_eq!(answers[4].status, 500);
    assert_eq!(answers[4].json()["__class__"], "builtins.ValueError");
    assert_eq!(answers[5].text(), "42");
    assert_eq!(answers[7].text(), "");
    assert_eq!(answers[11].json()["args"][0], "unknown name: http.nope");
    assert_eq!(answers[12].status, 403);
    assert_eq!(answers[16].text(), r#""tea with milk+sugar""#);
    assert_eq!(answers[19].json()["__class__"], "builtins.PermissionError");
    assert_eq!(answers[20].text(), "7");
    assert_eq!((answers[24].status, answers[24].header("Location")), (302, Some("/pyro/")));
    assert_eq!(answers[27].status, 405);

    // The same with a gateway key, another CORS origin and another expose pattern.
    let theirs = python_gateway(ns_port, r"http\.thing|Pyro\.", "https://example.com", "s3cret");
    let settings = support::settings(ns_port)
        .with_expose(r"http\.thing|Pyro\.")
        .unwrap()
        .with_cors("https://example.com")
        .with_gateway_key(Some("s3cret".into()));
    let ours = support::RunningGateway::start(settings);
    let requests = vec![
        Req::get("/pyro/http.thing/echo?message=1"),
        Req::get("/pyro/http.thing/echo?message=1&$key=wrong"),
        Req::get("/pyro/http.thing/echo?message=1&$key=s3cret"),
        Req::get("/pyro/http.thing/echo?message=1").header("X-Pyro-Gateway-Key", "s3cret"),
        Req::get("/pyro/http.thing/echo?message=1&$key=s3cret").header("X-Pyro-Gateway-Key", "wrong"),
        Req::get("/pyro/http.shop/stock?$key=s3cret"),
        Req::get("/pyro/Pyro.NameServer/lookup?name=http.nope&$key=s3cret"),
        Req::get("/pyro/Pyro.NameServer/count?$key=s3cret"),
        Req::method("OPTIONS", "/pyro/x"),
        Req::get("/nothing"),
    ];
    let answers = compare(&ours.base(), theirs.uri(), &requests);
    assert_eq!([answers[0].status, answers[1].status, answers[2].status, answers[3].status], [403, 403, 200, 200]);
    assert_eq!(answers[5].status, 403, "http.shop is not exposed");
    assert_eq!(answers[7].text(), "5", "the name server, 3 names for the Python object, ours");

    stop.shutdown();
    server.join().unwrap().unwrap();
}
