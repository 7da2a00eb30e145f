//! The responses Pyro5's gateway gives, header for header: text errors, JSON bodies, CORS.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use pyro_runtime::{RemoteError, Serializer, TRACEBACK_ATTRIBUTE, Value};
use uuid::Uuid;

/// The body type of every gateway response.
pub type Body = Full<Bytes>;

/// The content type of JSON answers.
pub(crate) const JSON: &str = "application/json; charset=utf-8";

/// A response with `status`, `content_type` and `body`, and the CORS headers for `cors`.
pub(crate) fn with_cors(status: StatusCode, content_type: &str, body: impl Into<Bytes>, cors: &str) -> Response<Body> {
    let mut response = plain(status, content_type, body);
    let headers = response.headers_mut();
    // A CORS value that is no valid header value is left out rather than sent garbled.
    if let Ok(origin) = HeaderValue::from_str(cors) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Content-Type"));
    response
}

fn plain(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// A `text/plain` answer with CORS headers (Pyro5's 403, 404, 405 and OPTIONS answers).
pub(crate) fn text(status: StatusCode, body: &'static str, cors: &str) -> Response<Body> {
    with_cors(status, "text/plain", body, cors)
}

/// `302 Found` to `location`, without a body or CORS headers.
pub(crate) fn redirect(location: &'static str) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::FOUND;
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_static(location));
    response
}

/// A JSON answer; a correlation id adds `X-Pyro-Correlation-Id` (Pyro5 sends it with results,
/// not with errors).
pub(crate) fn json(
    status: StatusCode,
    body: impl Into<Bytes>,
    cors: &str,
    correlation: Option<Uuid>,
) -> Response<Body> {
    let mut response = with_cors(status, JSON, body, cors);
    if let Some(id) = correlation
        && let Ok(value) = HeaderValue::from_str(&id.hyphenated().to_string())
    {
        response.headers_mut().insert(crate::CORRELATION_ID_HEADER, value);
    }
    response
}

/// A `500` JSON answer for an exception raised in the gateway itself (or re-raised there, as a
/// failed name lookup): Python's `json.dumps(class_to_dict(exc))`.
pub(crate) fn exception(remote: &RemoteError, cors: &str) -> Response<Body> {
    json(StatusCode::INTERNAL_SERVER_ERROR, exception_json(remote), cors, None)
}

/// `class_to_dict` of an exception as `json.dumps` writes it: `__class__`, `__exception__`,
/// `args`, and `attributes` (its `_pyroTraceback` only when it has one), ASCII only.
pub(crate) fn exception_json(remote: &RemoteError) -> Vec<u8> {
    let mut attributes = pyro_runtime::value::Dict::new();
    if !remote.traceback.is_empty() {
        let lines = remote.traceback.iter().map(|line| Value::Str(line.clone())).collect();
        attributes.insert(TRACEBACK_ATTRIBUTE, Value::List(lines));
    }
    for (key, value) in remote.attributes.iter() {
        attributes.insert(key.clone(), value.clone());
    }
    let mut dict = pyro_runtime::value::Dict::new();
    dict.insert("__class__", remote.class.as_str());
    dict.insert("__exception__", true);
    dict.insert("args", Value::List(remote.args.clone()));
    dict.insert("attributes", attributes);
    python_json(&Value::Dict(dict))
}

/// `value` as Python's `json.dumps` writes it with its defaults (`", "` and `": "` separators,
/// non-ASCII characters as `\uXXXX` escapes).
pub(crate) fn python_json(value: &Value) -> Vec<u8> {
    match Serializer::Json.to_bytes(value) {
        Ok(bytes) => ensure_ascii(&bytes),
        // Every value built here serializes; the fallback still is valid JSON.
        Err(err) => format!("{{\"error\": \"{}\"}}", err.to_string().escape_default()).into_bytes(),
    }
}

/// Escapes the non-ASCII characters of a JSON text (they can only be inside strings) as
/// `json.dumps(ensure_ascii=True)` does, UTF-16 surrogate pairs beyond the BMP.
fn ensure_ascii(json: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(json);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out.into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn exceptions_are_written_as_python_json_dumps_writes_them() {
        let remote = RemoteError::new("builtins.AttributeError", vec!["no 'x' \u{e9}\u{1F600}".into()]);
        assert_eq!(
            String::from_utf8(exception_json(&remote)).unwrap(),
            r#"{"__class__": "builtins.AttributeError", "__exception__": true, "args": ["no 'x' \u00e9\ud83d\ude00"], "attributes": {}}"#
        );
    }
}
