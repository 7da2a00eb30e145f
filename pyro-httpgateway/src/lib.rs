//! # pyro-httpgateway
//!
//! An HTTP gateway to Pyro objects, the twin of Pyro5's `pyro5-httpgateway`: web pages and any
//! HTTP client call the objects registered in a name server with HTTP and JSON, and get the
//! same answers, byte for byte where it matters, as from Pyro5's gateway, so a web page written
//! for one works with the other.
//!
//! ```no_run
//! use pyro_httpgateway::{Gateway, GatewaySettings};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let settings = GatewaySettings::default().with_expose(r"shop\.")?;
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//!     pyro_httpgateway::serve(listener, Gateway::new(settings), async { tokio::signal::ctrl_c().await.ok(); }).await;
//!     Ok(())
//! }
//! ```
//!
//! Or run the `pyro-httpgateway` binary (`-H host -p port -c cors -e expose -g key -t timeout`,
//! as Pyro5's), e.g. `cargo run -p pyro5-httpgateway --bin pyro-httpgateway -- -e 'http\.'`, then
//! `curl 'http://localhost:8080/pyro/http.shop/price?item=tea'`.
//!
//! # The rules (Pyro5's)
//!
//! * `GET` or `POST /pyro/<name>/<method>?k=v&...` looks `<name>` up in the name server
//!   (located as Pyro5 locates it, from the `PYRO_NS_*` settings) and calls `<method>` with the
//!   query parameters as keyword arguments, all strings; a key given more than once is a list of
//!   strings (see [`Params`]). The method is what follows the last `/`.
//! * `<method>` `$meta` answers `{"methods": [...], "attributes": [...]}`; a method that is one
//!   of the object's attributes (remote properties) reads it (with parameters: a `500`
//!   `AssertionError`, as in Pyro5).
//! * Only names matching the expose pattern (a regex matched at the start of the name; default
//!   `http\.`; empty: all) are served, else `403` with `403 Forbidden - access to the requested
//!   object has been denied`.
//! * With a gateway key, requests must send it in the `X-Pyro-Gateway-Key` header or as the
//!   `$key` parameter, else `403 Forbidden - incorrect gateway api key`.
//! * `X-Pyro-Options: oneway` makes the call oneway (`200`, empty body); oneway methods are
//!   oneway anyway. `X-Pyro-Correlation-Id: <uuid>` is the call's correlation id (else a new
//!   one); answers with a result carry it back in the same header.
//! * A result is `200` with the object's JSON reply exactly as the Pyro daemon serialized it
//!   (`Content-Type: application/json; charset=utf-8`). An exception the object raised is `500`
//!   with the daemon's JSON exception dict; an error in the gateway (unknown name, no name
//!   server, unreachable object, bad correlation id) is `500` with that error as Pyro5's exception
//!   dict. Answers carry the CORS headers (`Access-Control-Allow-Origin: <cors>`, default `*`);
//!   `OPTIONS` answers `200` with them. `/` redirects (`302`) to `/pyro/`, other paths are `404`,
//!   methods other than `GET`, `POST` and `OPTIONS` are `405`.
//! * `/pyro/` is a page listing up to ten exposed names with their methods and attributes, and
//!   a script calling them from the browser (see the page itself).
//!
//! # Beyond Pyro5
//!
//! * **Connections and name lookups are reused.** Pyro5's gateway locates the name server,
//!   looks the name up and connects to the object for every request. Here each backend object
//!   has a shared, pooled proxy, and a name looked up is reused for
//!   [`GatewaySettings::name_cache_ttl`] (2 s by default; zero: every request looks it up). A
//!   backend that refuses the connection or closes it before answering is looked up again and
//!   the call tried once more on a new connection.
//! * **POST bodies.** A `POST` body with `Content-Type: application/json` holding an object
//!   gives keyword arguments of any JSON type (`{"n": 3, "tags": ["a"]}`); a form body
//!   (`application/x-www-form-urlencoded`) gives them as the query string does. Body values
//!   replace query values of the same key. Other non-empty bodies are `415`. (Pyro5 documents
//!   form posts but reads only the query string.)
//! * **Bounded.** Request bodies are at most [`GatewaySettings::max_body_size`] (`413`), heads
//!   at most [`MAX_HEAD_SIZE`]; clients have [`GatewaySettings::request_read_timeout`] to send a
//!   request (`408` for a slow body); at most [`GatewaySettings::max_concurrent_requests`] are
//!   handled at once and [`MAX_CONNECTIONS`] connections kept open. Backend calls block, so they
//!   run on tokio's blocking pool: a slow object holds its own request only.
//! * Item streams (a method returning an iterator) are closed and answered with a `500`
//!   `CommunicationError` (Pyro5's gateway fails with a bare WSGI error page).
//! * The path is decoded as UTF-8 (Pyro5's WSGI server decodes it as Latin-1).
//!
//! # Why hyper
//!
//! The gateway is built on [hyper](https://hyper.rs) 1.x (with `hyper-util` and tokio): the
//! HTTP implementation most of the Rust ecosystem stands on (axum, reqwest, tonic), small,
//! well maintained and fast. A router framework would add nothing here: the gateway has one
//! route, and as a `tower::Service` it still mounts under any framework's router.
//!
//! # In your own server, with authentication in front
//!
//! [`Gateway`] is a `tower::Service<http::Request<B>>` and has an `async fn`
//! [`handle`](Gateway::handle). To check callers first, answer the request yourself when they
//! fail, and hand it to the gateway when they pass:
//!
//! ```no_run
//! use http::{Request, Response, StatusCode};
//! use hyper::body::Incoming;
//! use pyro_httpgateway::{Gateway, GatewaySettings};
//!
//! async fn authenticated(gateway: Gateway, request: Request<Incoming>) -> Response<pyro_httpgateway::Body> {
//!     let authorized = request.headers().get("authorization").is_some_and(|v| v == "Bearer let-me-in");
//!     if !authorized {
//!         let mut denied = Response::new(pyro_httpgateway::Body::from("who are you?"));
//!         *denied.status_mut() = StatusCode::UNAUTHORIZED;
//!         return denied;
//!     }
//!     gateway.handle(request).await
//! }
//!
//! # async fn demo() -> std::io::Result<()> {
//! let gateway = Gateway::new(GatewaySettings::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! loop {
//!     let (stream, _) = listener.accept().await?;
//!     let gateway = gateway.clone();
//!     tokio::spawn(async move {
//!         let service = hyper::service::service_fn(move |request| {
//!             let gateway = gateway.clone();
//!             async move { Ok::<_, std::convert::Infallible>(authenticated(gateway, request).await) }
//!         });
//!         let io = hyper_util::rt::TokioIo::new(stream);
//!         let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
//!     });
//! }
//! # }
//! ```
//!
//! A tower middleware (e.g. `tower-http`'s `ValidateRequestHeaderLayer`) wraps it the same way.

mod backend;
mod front_page;
mod gateway;
mod params;
mod response;
mod server;
mod settings;

pub use gateway::{CORRELATION_ID_HEADER, GATEWAY_KEY_HEADER, Gateway, OPTIONS_HEADER};
pub use params::Params;
pub use response::Body;
pub use server::{MAX_CONNECTIONS, MAX_HEAD_SIZE, SHUTDOWN_GRACE, serve};
pub use settings::{DEFAULT_EXPOSE, DEFAULT_NAME_CACHE_TTL, GatewaySettings};

/// Errors setting up a gateway.
///
/// ```
/// let err = pyro_httpgateway::GatewaySettings::default().with_expose("[").unwrap_err();
/// assert!(err.to_string().starts_with("invalid expose pattern '['"));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The expose pattern is no valid regex.
    #[error("invalid expose pattern '{pattern}': {source}")]
    Expose {
        /// The pattern given.
        pattern: String,
        /// Why it does not compile.
        #[source]
        source: regex::Error,
    },
}
