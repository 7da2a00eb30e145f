//! The async client processes: their command line, the sequential and concurrent loops on
//! tokio, and the helpers the client and server roles share.

use std::future::Future;
use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::Result;
use crate::child::{process_cpu_ns, process_stat_cpu_ns};
use crate::report::ClientReport;

/// What a client process is asked to do.
pub(super) enum Mode {
    /// `seq <calls> <warmup>`: one connection, sequential calls.
    Sequential { calls: u64, warmup: u64 },
    /// `load <clients> <secs>`: that many connections, each making sequential calls, for that
    /// long.
    Load { clients: u64, secs: u64 },
}

/// `<address> seq|load <n> <m> [rest...]`.
pub(super) fn client_args(args: &[String]) -> Result<(&str, Mode, &[String])> {
    let [address, mode, n, m, rest @ ..] = args else {
        return Err(format!("expected <address> seq <calls> <warmup> | load <clients> <secs>, got {args:?}"));
    };
    let number = |text: &String| text.parse::<u64>().map_err(|e| format!("{text:?}: {e}"));
    let mode = match mode.as_str() {
        "seq" => Mode::Sequential { calls: number(n)?, warmup: number(m)? },
        "load" => Mode::Load { clients: number(n)?.max(1), secs: number(m)? },
        other => return Err(format!("unknown mode {other:?} (seq or load)")),
    };
    Ok((address, mode, rest))
}

/// One client connection that makes `echo(42)` calls.
pub(super) trait EchoConn: Send + 'static {
    /// One call, checked.
    fn echo(&mut self) -> impl Future<Output = Result<()>> + Send;
}

/// Runs a client in `mode`, connecting with `connect` (once, or once per client).
pub(super) fn drive<C, F, Fut>(mode: Mode, connect: F) -> Result<()>
where
    C: EchoConn,
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<C>> + Send + 'static,
{
    match mode {
        Mode::Sequential { calls, warmup } => sequential(calls, warmup, connect()),
        Mode::Load { clients, secs } => load(clients, secs, connect),
    }
}

/// Warm-up calls of each client of a concurrent run.
const LOAD_WARMUP: u64 = 100;

pub(super) fn runtime(multi_thread: bool) -> Result<tokio::runtime::Runtime> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build().map_err(|e| format!("cannot start a tokio runtime: {e}"))
}

fn wait_for_go() -> Result<()> {
    std::io::stdin().lock().read_line(&mut String::new()).map(drop).map_err(|e| format!("stdin: {e}"))
}

fn elapsed_ns(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// One connection on a single-threaded runtime: warm-up, `READY`, the go line, measured calls,
/// the report.
fn sequential<C: EchoConn>(calls: u64, warmup: u64, connect: impl Future<Output = Result<C>>) -> Result<()> {
    let runtime = runtime(false)?;
    let mut conn = runtime.block_on(async {
        let mut conn = connect.await?;
        for _ in 0..warmup {
            conn.echo().await?;
        }
        Ok::<C, String>(conn)
    })?;
    println!("READY");
    wait_for_go()?;
    let mut latencies = Vec::with_capacity(usize::try_from(calls).unwrap_or_default());
    let cpu_start = process_cpu_ns("self")?;
    let start = Instant::now();
    runtime.block_on(async {
        for _ in 0..calls {
            let t = Instant::now();
            conn.echo().await?;
            latencies.push(elapsed_ns(t));
        }
        Ok::<(), String>(())
    })?;
    let elapsed = elapsed_ns(start);
    let cpu = process_cpu_ns("self")?.saturating_sub(cpu_start);
    println!("{}", ClientReport::new(&mut latencies, elapsed, cpu).to_line()?);
    Ok(())
}

/// `clients` tasks on a multi-threaded runtime, each connecting and warming up; `READY`; the
/// go line; all call for `secs` seconds; one report of every call.
fn load<C, F, Fut>(clients: u64, secs: u64, connect: F) -> Result<()>
where
    C: EchoConn,
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<C>> + Send + 'static,
{
    let runtime = runtime(true)?;
    let connect = Arc::new(connect);
    let stop = Arc::new(AtomicBool::new(false));
    let (go, started) = tokio::sync::watch::channel(false);
    let (ready, mut warmed) = tokio::sync::mpsc::unbounded_channel::<Result<()>>();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (connect, stop, mut started, ready) =
                (Arc::clone(&connect), Arc::clone(&stop), started.clone(), ready.clone());
            runtime.spawn(async move {
                let warm = async {
                    let mut conn = connect().await?;
                    for _ in 0..LOAD_WARMUP {
                        conn.echo().await?;
                    }
                    Ok::<C, String>(conn)
                };
                let mut conn = match warm.await {
                    Ok(conn) => conn,
                    Err(e) => {
                        let _ = ready.send(Err(e.clone()));
                        return Err(e);
                    }
                };
                let _ = ready.send(Ok(()));
                started.wait_for(|go| *go).await.map_err(|_| "the start signal went away".to_owned())?;
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    conn.echo().await?;
                    latencies.push(elapsed_ns(t));
                }
                Ok::<Vec<u64>, String>(latencies)
            })
        })
        .collect();
    drop(ready);
    runtime.block_on(async {
        for _ in 0..clients {
            warmed.recv().await.ok_or("a client ended before warming up")??;
        }
        Ok::<(), String>(())
    })?;
    println!("READY");
    wait_for_go()?;
    let cpu_start = process_stat_cpu_ns("self")?;
    let start = Instant::now();
    go.send_replace(true);
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let latencies = runtime.block_on(async {
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await.map_err(|e| format!("a client task failed: {e}"))??);
        }
        Ok::<Vec<u64>, String>(latencies)
    });
    let mut latencies = latencies?;
    let elapsed = elapsed_ns(start);
    let cpu = process_stat_cpu_ns("self")?.saturating_sub(cpu_start);
    println!("{}", ClientReport::new(&mut latencies, elapsed, cpu).to_line()?);
    Ok(())
}

pub(super) fn io_error(what: &str) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

pub(super) fn sizes(args: &[String]) -> Result<(usize, usize)> {
    let [request, reply] = args else { return Err(format!("expected <request bytes> <reply bytes>, got {args:?}")) };
    let number = |text: &String| text.parse::<usize>().map_err(|e| format!("{text:?}: {e}"));
    Ok((number(request)?, number(reply)?))
}
