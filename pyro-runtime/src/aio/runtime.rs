//! The process's shared tokio runtime, on which the blocking daemons run `async fn` methods
//! (see [`PendingReply::wait`](crate::dispatch::PendingReply::wait)).

use std::future::Future;
use std::sync::OnceLock;

use crate::dispatch::PendingOutput;
use crate::{Error, RemoteError, Value};

/// How many worker threads the shared runtime has at most.
const MAX_WORKERS: usize = 4;

static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

fn runtime() -> Result<&'static tokio::runtime::Runtime, &'static str> {
    RUNTIME
        .get_or_init(|| {
            let workers = std::thread::available_parallelism().map_or(2, usize::from).clamp(2, MAX_WORKERS);
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .thread_name("pyro-async")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the runtime for async methods: {e}"))
        })
        .as_ref()
        .map_err(String::as_str)
}

/// Runs `future` on the shared runtime and waits for its output on this thread (any thread:
/// waiting on a channel never panics inside another runtime, unlike `block_on`).
pub(crate) fn wait<F>(future: F) -> PendingOutput
where
    F: Future<Output = PendingOutput> + Send + 'static,
{
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(text) => return (Err(failure(text)), Default::default()),
    };
    let (send, receive) = std::sync::mpsc::sync_channel(1);
    runtime.spawn(async move {
        let _ = send.send(future.await);
    });
    // The future catches its panics (`PendingReply`), so it always sends, unless the runtime
    // went away with the process.
    receive.recv().unwrap_or_else(|_| (Err(failure("the runtime for async methods stopped")), Default::default()))
}

fn failure(text: &str) -> Error {
    RemoteError::new("builtins.RuntimeError", vec![Value::from(text)]).into()
}
