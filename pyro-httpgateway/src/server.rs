//! [`serve`]: the gateway's own HTTP/1.1 server (hyper), with bounded connections, header
//! sizes and read timeouts, and a graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::Gateway;

/// The most connections [`serve`] keeps open at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 1024;

/// The largest request head (request line and headers) accepted, in bytes (larger: `431`);
/// at most 100 headers.
pub const MAX_HEAD_SIZE: usize = 64 * 1024;

/// How long [`serve`] lets requests in progress finish after the shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `gateway` on `listener` until `shutdown` completes, then stops accepting and lets
/// the requests in progress finish (for up to [`SHUTDOWN_GRACE`]).
///
/// A client has [`GatewaySettings::request_read_timeout`](crate::GatewaySettings) to send a
/// request head of at most [`MAX_HEAD_SIZE`] bytes, else the connection is closed.
///
/// ```no_run
/// use pyro_httpgateway::{Gateway, GatewaySettings};
/// # async fn demo() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let gateway = Gateway::new(GatewaySettings::default());
/// pyro_httpgateway::serve(listener, gateway, async { tokio::signal::ctrl_c().await.ok(); }).await;
/// # Ok(())
/// # }
/// ```
pub async fn serve(listener: TcpListener, gateway: Gateway, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let read_timeout = gateway.settings().request_read_timeout;
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // E.g. too many open files: wait a little rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let gateway = gateway.clone();
        let service = service_fn(move |request| {
            let gateway = gateway.clone();
            async move { Ok::<_, std::convert::Infallible>(gateway.handle(request).await) }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(read_timeout)
            .max_header_size(MAX_HEAD_SIZE)
            .max_headers(100)
            .title_case_headers(true)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("shutting down");
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in progress after {SHUTDOWN_GRACE:?}; stopping anyway");
    }
}
