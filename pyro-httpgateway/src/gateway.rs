//! [`Gateway`]: the request handler, usable as a `tower::Service` in any hyper-based server.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use pyro_runtime::{RemoteError, Value, current_context};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use crate::backend::{Backends, Call, Failure, Outcome};
use crate::front_page::{self, Entry};
use crate::response::{self, Body};
use crate::{GatewaySettings, Params};

/// The request header with the gateway key.
pub const GATEWAY_KEY_HEADER: &str = "x-pyro-gateway-key";
/// The request header with Pyro options (`oneway`).
pub const OPTIONS_HEADER: &str = "x-pyro-options";
/// The request and response header with the call's correlation id.
pub const CORRELATION_ID_HEADER: &str = "x-pyro-correlation-id";

/// The HTTP gateway: answers `GET|POST /pyro/<name>/<method>?...` by calling the object
/// registered as `<name>` in the name server, as Pyro5's gateway does (see the
/// [crate documentation](crate) for the rules).
///
/// Cheap to clone (all clones share the name cache and the backend connections). It is a
/// `tower::Service<http::Request<B>>` for any body `B`, so it mounts in a hyper (or axum, or
/// any tower-based) server; [`Gateway::handle`] is the same as an `async fn`.
///
/// ```no_run
/// use pyro_httpgateway::{Gateway, GatewaySettings};
/// # async fn demo() {
/// let gateway = Gateway::new(GatewaySettings::default());
/// let request = http::Request::get("/pyro/http.shop/$meta").body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
/// let response = gateway.handle(request).await;
/// println!("{}", response.status());
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Gateway {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: GatewaySettings,
    backends: Arc<Backends>,
    /// Bounds the requests handled at once (a backend call keeps its slot until it returns,
    /// even when its client has gone).
    slots: Arc<Semaphore>,
}

impl Gateway {
    /// A gateway with `settings`; connects to nothing until the first request.
    ///
    /// ```
    /// let gateway = pyro_httpgateway::Gateway::new(pyro_httpgateway::GatewaySettings::default());
    /// assert_eq!(gateway.settings().cors, "*");
    /// ```
    pub fn new(settings: GatewaySettings) -> Gateway {
        let backends = Arc::new(Backends::new(&settings));
        let slots = Arc::new(Semaphore::new(settings.max_concurrent_requests.max(1)));
        Gateway { inner: Arc::new(Inner { settings, backends, slots }) }
    }

    /// The settings.
    ///
    /// ```
    /// let gateway = pyro_httpgateway::Gateway::new(pyro_httpgateway::GatewaySettings::default());
    /// assert_eq!(gateway.settings().expose_pattern(), Some(r"http\."));
    /// ```
    pub fn settings(&self) -> &GatewaySettings {
        &self.inner.settings
    }

    /// Connects to the name server now (the gateway otherwise does on the first request that
    /// needs it); its URI, or why it cannot be reached. Blocking.
    ///
    /// ```no_run
    /// let gateway = pyro_httpgateway::Gateway::new(pyro_httpgateway::GatewaySettings::default());
    /// match gateway.connect_name_server() {
    ///     Ok(uri) => println!("name server at {uri}"),
    ///     Err(err) => println!("no name server yet: {err}"),
    /// }
    /// ```
    pub fn connect_name_server(&self) -> Result<pyro_runtime::Uri, pyro_runtime::Error> {
        let ns = self.inner.backends.name_server()?;
        ns.proxy().ping()?;
        Ok(ns.uri().clone())
    }

    /// Answers one request. Never fails: every problem is an HTTP answer (see the
    /// [crate documentation](crate)).
    ///
    /// ```no_run
    /// # async fn demo(gateway: pyro_httpgateway::Gateway) {
    /// let request = http::Request::get("/").body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
    /// let response = gateway.handle(request).await;
    /// assert_eq!(response.status(), http::StatusCode::FOUND);
    /// # }
    /// ```
    pub async fn handle<B>(&self, request: Request<B>) -> Response<Body>
    where
        B: http_body::Body<Data = Bytes> + Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let Ok(slot) = self.inner.slots.clone().acquire_owned().await else {
            return response::text(
                StatusCode::SERVICE_UNAVAILABLE,
                "503 Service Unavailable",
                &self.inner.settings.cors,
            );
        };
        self.answer(request, slot).await
    }

    async fn answer<B>(&self, request: Request<B>, slot: OwnedSemaphorePermit) -> Response<Body>
    where
        B: http_body::Body<Data = Bytes> + Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let settings = &self.inner.settings;
        let cors = settings.cors.as_str();
        let path = percent_encoding::percent_decode_str(request.uri().path()).decode_utf8_lossy().into_owned();
        let path = path.trim_start_matches('/');
        if path.is_empty() {
            return response::redirect("/pyro/");
        }
        let Some(rest) = path.strip_prefix("pyro/") else {
            return response::text(StatusCode::NOT_FOUND, "Error 404: Not Found", cors);
        };
        let rest = rest.to_string();
        match *request.method() {
            Method::OPTIONS => return response::text(StatusCode::OK, "200 OK", cors),
            Method::GET | Method::POST => {}
            _ => return response::text(StatusCode::METHOD_NOT_ALLOWED, "Error 405: Method Not Allowed", cors),
        }
        let mut params = Params::from_query(request.uri().query().unwrap_or(""));
        let (parts, body) = request.into_parts();
        match self.body_params(&parts.headers, body).await {
            Ok(Some(from_body)) => params.extend(from_body),
            Ok(None) => {}
            Err(answer) => return answer,
        }
        if rest.is_empty() {
            return self.front_page(slot).await;
        }
        let Some((object, method)) = split_object_method(&rest) else {
            return response::text(StatusCode::NOT_FOUND, "Error 404: Not Found", cors);
        };
        if let Some(key) = settings.required_key() {
            let given = header_text(&parts.headers, GATEWAY_KEY_HEADER)
                .filter(|text| !text.is_empty())
                .map(str::to_string)
                .or_else(|| match params.get("$key") {
                    Some(serde_json::Value::String(text)) => Some(text.clone()),
                    _ => None,
                });
            if given.as_deref() != Some(key) {
                return response::text(StatusCode::FORBIDDEN, "403 Forbidden - incorrect gateway api key", cors);
            }
            params.remove("$key");
        }
        if !settings.exposes(object) {
            return response::text(
                StatusCode::FORBIDDEN,
                "403 Forbidden - access to the requested object has been denied",
                cors,
            );
        }
        let correlation = match header_text(&parts.headers, CORRELATION_ID_HEADER).filter(|text| !text.is_empty()) {
            None => Uuid::new_v4(),
            Some(text) => match parse_uuid(text) {
                Some(id) => id,
                None => {
                    let error =
                        RemoteError::new("builtins.ValueError", vec!["badly formed hexadecimal UUID string".into()]);
                    return response::exception(&error, cors);
                }
            },
        };
        // Pyro5 splits the header on commas and looks for an exact `oneway` item.
        let oneway =
            header_text(&parts.headers, OPTIONS_HEADER).is_some_and(|text| text.split(',').any(|o| o == "oneway"));
        let call = Call { object: object.to_string(), method: method.to_string(), params, oneway };
        tracing::debug!(object = %call.object, method = %call.method, %correlation, oneway, "call");
        let backends = self.inner.backends.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let outcome = current_context::with_correlation_id(Some(correlation), || backends.run(&call));
            drop(slot);
            (call, outcome)
        })
        .await;
        let (call, outcome) = match outcome {
            Ok(done) => done,
            Err(join) => {
                tracing::error!(error = %join, "the backend call did not complete");
                let error =
                    RemoteError::new("Pyro5.errors.PyroError", vec!["the gateway's call did not complete".into()]);
                return response::exception(&error, cors);
            }
        };
        match outcome {
            Ok(Outcome::Meta(metadata)) => {
                let list = |names: &std::collections::BTreeSet<String>| {
                    Value::List(names.iter().map(|name| Value::Str(name.clone())).collect())
                };
                let mut dict = pyro_runtime::value::Dict::new();
                dict.insert("methods", list(&metadata.methods));
                dict.insert("attributes", list(&metadata.attrs));
                let body = response::python_json(&Value::Dict(dict));
                response::json(StatusCode::OK, body, cors, Some(correlation))
            }
            Ok(Outcome::Reply(reply)) => match reply {
                None => response::json(StatusCode::OK, Bytes::new(), cors, Some(correlation)),
                Some(_) if call.oneway => response::json(StatusCode::OK, Bytes::new(), cors, Some(correlation)),
                Some(reply) if reply.exception => {
                    response::json(StatusCode::INTERNAL_SERVER_ERROR, reply.data, cors, None)
                }
                Some(reply) => response::json(StatusCode::OK, reply.data, cors, Some(correlation)),
            },
            Err(Failure(error)) => {
                tracing::warn!(object = %call.object, method = %call.method, error = %error.message, class = %error.class, "call failed");
                response::exception(&error, cors)
            }
        }
    }

    /// Parameters from a POST body: a JSON object (`application/json`) or a form
    /// (`application/x-www-form-urlencoded`); an empty body has none. An answer when the body
    /// is too large, too slow, or not one of those.
    async fn body_params<B>(&self, headers: &HeaderMap, body: B) -> Result<Option<Params>, Response<Body>>
    where
        B: http_body::Body<Data = Bytes> + Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let settings = &self.inner.settings;
        let cors = settings.cors.as_str();
        let limited = Limited::new(body, settings.max_body_size);
        let bytes = match tokio::time::timeout(settings.request_read_timeout, limited.collect()).await {
            Err(_) => return Err(response::text(StatusCode::REQUEST_TIMEOUT, "408 Request Timeout", cors)),
            Ok(Err(error)) => {
                if error.is::<http_body_util::LengthLimitError>() {
                    return Err(response::text(StatusCode::PAYLOAD_TOO_LARGE, "413 Payload Too Large", cors));
                }
                return Err(response::text(StatusCode::BAD_REQUEST, "400 Bad Request - unreadable body", cors));
            }
            Ok(Ok(collected)) => collected.to_bytes(),
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let content_type = header_text(headers, header::CONTENT_TYPE.as_str()).unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match mime.as_str() {
            "application/json" => match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Ok(serde_json::Value::Object(map)) => Ok(Some(Params::from(map))),
                Ok(_) => Err(response::text(
                    StatusCode::BAD_REQUEST,
                    "400 Bad Request - a JSON body must be an object of parameters",
                    cors,
                )),
                Err(_) => {
                    Err(response::text(StatusCode::BAD_REQUEST, "400 Bad Request - the body is not valid JSON", cors))
                }
            },
            "application/x-www-form-urlencoded" => match std::str::from_utf8(&bytes) {
                Ok(text) => Ok(Some(Params::from_query(text))),
                Err(_) => Err(response::text(StatusCode::BAD_REQUEST, "400 Bad Request - the form is not UTF-8", cors)),
            },
            _ => Err(response::text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "415 Unsupported Media Type - send parameters as application/json or application/x-www-form-urlencoded",
                cors,
            )),
        }
    }

    /// The front page: up to ten exposed names with their methods and attributes.
    async fn front_page(&self, slot: OwnedSemaphorePermit) -> Response<Body> {
        let backends = self.inner.backends.clone();
        let expose = self.inner.settings.expose_pattern().map(str::to_string);
        let cors = self.inner.settings.cors.clone();
        let page = tokio::task::spawn_blocking(move || -> Result<String, String> {
            let _slot = slot;
            let ns = backends.name_server().map_err(|e| e.to_string())?;
            let names = ns.list(None, expose.as_deref()).map_err(|error| {
                backends.drop_name_server(&error);
                error.to_string()
            })?;
            let entries: Vec<Entry> = names
                .into_keys()
                .take(front_page::MAX_ENTRIES)
                .map(|name| {
                    let metadata = backends.metadata(&name).map_err(|Failure(e)| format!("{}: {}", e.class, e.message));
                    Entry { name, metadata }
                })
                .collect();
            let location = ns.uri().location().map(|l| l.to_string()).unwrap_or_default();
            Ok(front_page::render(&location, expose.as_deref(), &entries))
        })
        .await;
        let error = match page {
            Ok(Ok(html)) => return response::with_cors(StatusCode::OK, "text/html", html, &cors),
            Ok(Err(error)) => error,
            Err(join) => join.to_string(),
        };
        tracing::warn!(%error, "front page: name server error");
        response::text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Cannot connect to the Pyro name server. Is it running? Refresh page to retry.",
            &cors,
        )
    }
}

/// `<object>/<method>` as Pyro5 splits it (the regex `(.+)/(.+)`): the method is after the
/// last `/` that has something on both sides.
fn split_object_method(path: &str) -> Option<(&str, &str)> {
    path.match_indices('/')
        .rev()
        .map(|(at, _)| at)
        .find(|&at| at > 0 && at + 1 < path.len())
        .map(|at| (&path[..at], &path[at + 1..]))
}

/// A uuid in the forms Python's `uuid.UUID(text)` reads: 32 hex digits, with any hyphens,
/// optionally in braces and after `urn:` / `uuid:`.
fn parse_uuid(text: &str) -> Option<Uuid> {
    let hex = text.replace("urn:", "").replace("uuid:", "");
    let hex = hex.trim_matches(|c| c == '{' || c == '}').replace('-', "");
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok().map(Uuid::from_u128)
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

impl<B> tower_service::Service<Request<B>> for Gateway
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let gateway = self.clone();
        Box::pin(async move { Ok(gateway.handle(request).await) })
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_uuid, split_object_method};

    #[test]
    fn uuids_are_read_as_python_reads_them() {
        let id = Some(uuid::Uuid::from_u128(0x11112222_3333_4444_5555_666677778888));
        for text in [
            "11112222-3333-4444-5555-666677778888",
            "11112222333344445555666677778888",
            "{11112222-3333-4444-5555-666677778888}",
            "urn:uuid:11112222-3333-4444-5555-666677778888",
            "1111-2222-3333-4444-5555-6666-7777-8888",
        ] {
            assert_eq!(parse_uuid(text), id, "{text}");
        }
        for bad in ["", "x", "11112222-3333-4444-5555-66667777888", "g1112222333344445555666677778888"] {
            assert_eq!(parse_uuid(bad), None, "{bad}");
        }
    }

    #[test]
    fn splits_as_pyro5s_regex() {
        assert_eq!(split_object_method("a/b"), Some(("a", "b")));
        assert_eq!(split_object_method("a.b/c/d"), Some(("a.b/c", "d")));
        assert_eq!(split_object_method("a/b/"), Some(("a", "b/")));
        assert_eq!(split_object_method("obj/"), None);
        assert_eq!(split_object_method("/x"), None);
        assert_eq!(split_object_method("obj"), None);
        assert_eq!(split_object_method("//x"), Some(("/", "x")));
    }
}
