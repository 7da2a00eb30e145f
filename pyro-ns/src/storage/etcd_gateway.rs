//! The etcd client underneath [`EtcdStorage`](super::EtcdStorage): etcd's v3 JSON gateway
//! (`POST /v3/kv/range` etc. on every member's client port, served by etcd itself at `/v3/` since 3.4),
//! spoken with `hyper` over HTTP/1.1 on a small private tokio runtime, with fail-over across the
//! cluster's endpoints and bounded retries.
//!
//! Why not a gRPC client crate: the well-kept one (`etcd-client`, tonic/prost) generates its code
//! in a build script that needs `protoc`, which a fresh machine with only the Rust toolchain
//! lacks, and a dependency's build script cannot be handed a vendored `protoc`; the crates that
//! ship pre-generated code are unmaintained forks pinned to old tonic releases. The gateway is
//! part of etcd's documented API, carries the same requests (transactions and leases included)
//! and needs only `hyper`, which the workspace already builds.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::StorageError;

/// The largest response body read from etcd: a listing of a very large name space, but never
/// unbounded memory.
const MAX_RESPONSE: usize = 256 << 20;

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 16;

/// How long one request (connect, send, read the answer) may take before the next endpoint is
/// tried.
pub(super) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long one storage operation keeps retrying (across endpoints, through an etcd leader
/// election) before it fails with [`StorageError::Etcd`].
pub(super) const OPERATION_DEADLINE: Duration = Duration::from_secs(10);

/// How one attempt failed.
enum Failure {
    /// Nothing reached etcd (no connection): safe to retry anything.
    NotSent(String),
    /// The request may have been applied (sent, then no answer, or etcd said it is unavailable,
    /// e.g. `leader changed`): retry, but the caller must allow for an applied first try.
    Ambiguous(String),
    /// etcd refused the request (e.g. too large): retrying will not help.
    Refused(String),
}

/// A JSON-gateway client for one etcd cluster.
pub(super) struct Gateway {
    /// Always `Some` until dropped (then shut down without blocking).
    runtime: Option<tokio::runtime::Runtime>,
    endpoints: Vec<String>,
    /// The endpoint tried first; moves on when one fails.
    preferred: AtomicUsize,
    idle: Mutex<Vec<(usize, SendRequest<Full<Bytes>>)>>,
}

/// What a successful call returns, and whether an earlier try of it may have been applied.
pub(super) struct Answer<T> {
    pub value: T,
    pub retried_after_ambiguity: bool,
}

impl Gateway {
    /// A client for the cluster at `endpoints` (`host:port`). Connects lazily.
    pub fn new(endpoints: Vec<String>) -> Result<Gateway, StorageError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("pyro-ns-etcd")
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| StorageError::Etcd {
                operation: "start",
                message: format!("cannot start the client runtime: {e}"),
            })?;
        Ok(Gateway { runtime: Some(runtime), endpoints, preferred: AtomicUsize::new(0), idle: Mutex::new(Vec::new()) })
    }

    /// `POST path` with the JSON `request`; the decoded answer. Retries on other endpoints and
    /// through elections until [`OPERATION_DEADLINE`].
    pub fn call<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        request: &serde_json::Value,
    ) -> Result<Answer<T>, StorageError> {
        self.call_within(operation, path, request, OPERATION_DEADLINE)
    }

    /// [`call`](Gateway::call), retrying for `limit` (but trying each endpoint at least once).
    pub fn call_within<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        request: &serde_json::Value,
        limit: Duration,
    ) -> Result<Answer<T>, StorageError> {
        let body = Bytes::from(request.to_string());
        let deadline = Instant::now() + limit;
        let mut ambiguous = false;
        let mut pause = Duration::from_millis(20);
        let mut last_problem = String::new();
        let mut tries = 0usize;
        while Instant::now() < deadline || tries < self.endpoints.len() {
            tries += 1;
            let index = self.preferred.load(Ordering::Relaxed) % self.endpoints.len();
            let outcome = self.block_on(async {
                match tokio::time::timeout(ATTEMPT_TIMEOUT, self.attempt(index, path, body.clone())).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(Failure::Ambiguous(format!("no answer within {ATTEMPT_TIMEOUT:?}"))),
                }
            });
            match outcome {
                Ok(bytes) => {
                    let value = serde_json::from_slice(&bytes).map_err(|e| StorageError::Etcd {
                        operation,
                        message: format!("unexpected answer from {}: {e}", self.endpoints[index]),
                    })?;
                    return Ok(Answer { value, retried_after_ambiguity: ambiguous });
                }
                Err(Failure::Refused(message)) => {
                    return Err(StorageError::Etcd {
                        operation,
                        message: format!("{}: {message}", self.endpoints[index]),
                    });
                }
                Err(Failure::NotSent(problem)) => last_problem = format!("{}: {problem}", self.endpoints[index]),
                Err(Failure::Ambiguous(problem)) => {
                    ambiguous = true;
                    last_problem = format!("{}: {problem}", self.endpoints[index]);
                }
            }
            tracing::debug!(target: "pyro::ns", operation, problem = %last_problem, "etcd request failed; retrying");
            // The next try goes to the next member (this one may be down or cut off).
            let _ = self.preferred.compare_exchange(index, index + 1, Ordering::Relaxed, Ordering::Relaxed);
            if tries.is_multiple_of(self.endpoints.len()) {
                std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_millis(500));
            }
        }
        Err(StorageError::Etcd {
            operation,
            message: format!("no etcd member answered within {limit:?} (last: {last_problem})"),
        })
    }

    /// Runs `future` on the private runtime, from a caller that is not inside a tokio runtime,
    /// or from a helper thread when it is (e.g. a servant called by an async daemon), where
    /// blocking on another runtime is not allowed.
    fn block_on<F>(&self, future: F) -> F::Output
    where
        F: std::future::Future + Send,
        F::Output: Send,
    {
        let Some(runtime) = &self.runtime else { unreachable!("the runtime lives until the gateway is dropped") };
        if tokio::runtime::Handle::try_current().is_err() {
            return runtime.block_on(future);
        }
        std::thread::scope(|scope| {
            scope.spawn(|| runtime.block_on(future)).join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    async fn attempt(&self, index: usize, path: &str, body: Bytes) -> Result<Bytes, Failure> {
        let endpoint = &self.endpoints[index];
        let mut sender = match self.take_idle(index) {
            Some(sender) => sender,
            None => self.connect(endpoint).await?,
        };
        if sender.ready().await.is_err() {
            sender = self.connect(endpoint).await?;
            sender.ready().await.map_err(|e| Failure::NotSent(format!("connection closed: {e}")))?;
        }
        let request = hyper::Request::post(path)
            .header(hyper::header::HOST, endpoint.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .map_err(|e| Failure::Refused(format!("cannot build the request: {e}")))?;
        let response = sender.send_request(request).await.map_err(|e| Failure::Ambiguous(format!("{e}")))?;
        let status = response.status();
        let bytes = Limited::new(response.into_body(), MAX_RESPONSE)
            .collect()
            .await
            .map_err(|e| Failure::Ambiguous(format!("cannot read the answer: {e}")))?
            .to_bytes();
        self.put_idle(index, sender);
        if status.is_success() {
            return Ok(bytes);
        }
        let message = error_message(&bytes);
        // grpc-gateway maps gRPC codes to HTTP statuses: Unavailable (no leader, leader changed,
        // request timed out) is 503, DeadlineExceeded 504, ResourceExhausted 429.
        match status.as_u16() {
            429 | 500 | 502 | 503 | 504 => Err(Failure::Ambiguous(format!("{status}: {message}"))),
            _ => Err(Failure::Refused(format!("{status}: {message}"))),
        }
    }

    async fn connect(&self, endpoint: &str) -> Result<SendRequest<Full<Bytes>>, Failure> {
        let stream = tokio::net::TcpStream::connect(endpoint)
            .await
            .map_err(|e| Failure::NotSent(format!("cannot connect: {e}")))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| Failure::NotSent(format!("cannot start HTTP: {e}")))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }

    fn take_idle(&self, index: usize) -> Option<SendRequest<Full<Bytes>>> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let position = idle.iter().position(|(i, sender)| *i == index && !sender.is_closed())?;
        Some(idle.swap_remove(position).1)
    }

    fn put_idle(&self, index: usize, sender: SendRequest<Full<Bytes>>) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        idle.retain(|(_, sender)| !sender.is_closed());
        if idle.len() < MAX_IDLE {
            idle.push((index, sender));
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        // Dropping a runtime blocks on its tasks, which is not allowed inside another runtime;
        // the only tasks are idle connections, closed by the shutdown.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The `message` of a gateway error body (`{"error": ..., "message": ..., "code": ...}`), or the
/// body itself.
fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct GatewayError {
        #[serde(default)]
        message: String,
    }
    match serde_json::from_slice::<GatewayError>(body) {
        Ok(error) if !error.message.is_empty() => error.message,
        _ => String::from_utf8_lossy(&body[..body.len().min(500)]).into_owned(),
    }
}

/// Bytes as the gateway's JSON carries them (base64).
pub(super) fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The end of the key range of every key starting with `prefix` (etcd's `range_end`).
pub(super) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    // Every byte 0xff (or empty): to the end of the key space.
    vec![0]
}

/// An int64 as the gateway writes it: a JSON string (or a number), absent for 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Int(pub i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Int, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Number(i64),
        }
        match Either::deserialize(deserializer)? {
            Either::Number(n) => Ok(Int(n)),
            Either::Text(text) => text.parse().map(Int).map_err(serde::de::Error::custom),
        }
    }
}

/// Base64 bytes as the gateway writes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct B64(pub Vec<u8>);

impl<'de> Deserialize<'de> for B64 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<B64, D::Error> {
        let text = String::deserialize(deserializer)?;
        base64::engine::general_purpose::STANDARD.decode(text).map(B64).map_err(serde::de::Error::custom)
    }
}

/// One key-value (`mvccpb.KeyValue`).
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct KeyValue {
    #[serde(default)]
    pub key: B64,
    #[serde(default)]
    pub value: B64,
    #[serde(default)]
    pub mod_revision: Int,
}

/// `RangeResponse`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RangeResponse {
    #[serde(default)]
    pub kvs: Vec<KeyValue>,
    #[serde(default)]
    pub count: Int,
}

/// `DeleteRangeResponse`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct DeleteRangeResponse {
    #[serde(default)]
    pub deleted: Int,
}

/// `ResponseOp`: one of a transaction's answers.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ResponseOp {
    #[serde(default)]
    pub response_range: Option<RangeResponse>,
    #[serde(default)]
    pub response_delete_range: Option<DeleteRangeResponse>,
}

/// `TxnResponse`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct TxnResponse {
    #[serde(default)]
    pub succeeded: bool,
    #[serde(default)]
    pub responses: Vec<ResponseOp>,
}

/// `LeaseGrantResponse`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct LeaseGrantResponse {
    #[serde(default, rename = "ID")]
    pub id: Int,
    #[serde(default, rename = "TTL")]
    pub ttl: Int,
    #[serde(default)]
    pub error: String,
}

/// One answer of the `LeaseKeepAlive` stream, as the gateway sends it.
#[derive(Debug, Default, Deserialize)]
pub(super) struct LeaseKeepAliveAnswer {
    #[serde(default)]
    pub result: LeaseGrantResponse,
}

/// An empty answer whose content does not matter (`PutResponse`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct Ignored {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ends() {
        assert_eq!(prefix_end(b"ab"), b"ac");
        assert_eq!(prefix_end(b"a\xff"), b"b");
        assert_eq!(prefix_end(b"\xff\xff"), [0]);
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn decodes_gateway_answers() {
        let text = r#"{"header":{"revision":"2"},"kvs":[{"key":"YQ==","create_revision":"2","mod_revision":"7","version":"1","value":"aGVsbG8="}],"count":"1"}"#;
        let range: RangeResponse = serde_json::from_str(text).unwrap();
        assert_eq!((range.count, range.kvs[0].mod_revision), (Int(1), Int(7)));
        assert_eq!((range.kvs[0].key.0.as_slice(), range.kvs[0].value.0.as_slice()), (&b"a"[..], &b"hello"[..]));
        let txn: TxnResponse = serde_json::from_str(r#"{"header":{},"responses":[{"response_put":{}}]}"#).unwrap();
        assert!(!txn.succeeded);
        let keepalive: LeaseKeepAliveAnswer = serde_json::from_str(r#"{"result":{"header":{},"ID":"123"}}"#).unwrap();
        assert_eq!((keepalive.result.id, keepalive.result.ttl), (Int(123), Int(0)));
        assert_eq!(
            error_message(br#"{"error":"x","message":"etcdserver: leader changed","code":14}"#),
            "etcdserver: leader changed"
        );
    }
}
