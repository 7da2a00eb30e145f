//! The section's Rust client processes: `client-load-rust` (the rate clients) and
//! `client-idle` (the idle connections).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use pyro::proxy::Proxy;
use pyro::{Config, Uri, Value};

use crate::child::process_stat_cpu_ns;
use crate::echo::EchoProxy;
use crate::report::ClientReport;
use crate::{Result, load};

/// `client-load-rust <uri> calls <connections> <secs> [threads]` or `client-load-rust <uri>
/// connect <concurrent> <connections> [threads]`: with `threads` 0 (the default), a thread per
/// connection (slot), each with its own typed proxy; else the [`load`](crate::load) client on
/// `threads` threads. Warms up, prints `READY`, waits for a line, measures, prints one
/// [`ClientReport`] (latency per call or per connection).
pub fn client_load_rust(args: &[String]) -> Result<()> {
    let (uri, mode, slots, amount, threads) = match args {
        [uri, mode, slots, amount] => (uri, mode, slots, amount, None),
        [uri, mode, slots, amount, threads] => (uri, mode, slots, amount, Some(threads)),
        _ => {
            return Err(format!(
                "expected <uri> calls|connect <connections> <secs|connections> [threads], got {args:?}"
            ));
        }
    };
    let number = |text: &String| text.parse::<u64>().map_err(|e| format!("{text:?}: {e}"));
    let (slots, amount) = (number(slots)?.max(1), number(amount)?);
    let threads = threads.map(number).transpose()?.unwrap_or(0).min(slots);
    let uri: Uri = uri.parse().map_err(|e| format!("{uri}: {e}"))?;
    let mode = match mode.as_str() {
        "calls" => load::Mode::Calls,
        "connect" => load::Mode::Connect,
        other => return Err(format!("unknown mode {other:?} (calls or connect)")),
    };
    // Everyone warmed up; then the measured part starts for all at once.
    let parties = if threads == 0 { slots } else { threads } as usize + 1;
    let (ready, go) = (Arc::new(Barrier::new(parties)), Arc::new(Barrier::new(parties)));
    let stop = Arc::new(AtomicBool::new(false));
    let drivers = if threads == 0 {
        let config = Config::environment().map_err(|e| e.to_string())?;
        let per_thread = amount.div_ceil(slots);
        (0..slots)
            .map(|_| {
                let (uri, config, ready, go, stop) =
                    (uri.clone(), config.clone(), Arc::clone(&ready), Arc::clone(&go), Arc::clone(&stop));
                std::thread::spawn(move || -> Result<Vec<u64>> {
                    let mut latencies = Vec::new();
                    match mode {
                        load::Mode::Connect => connect_worker(&uri, &config, per_thread, &ready, &go, &mut latencies),
                        load::Mode::Calls => call_worker(&uri, &config, &stop, &ready, &go, &mut latencies),
                    }
                    .map(|()| latencies)
                })
            })
            .collect()
    } else {
        let plan = Arc::new(load::Plan::new(&uri)?);
        let slots = usize::try_from(slots).map_err(|e| e.to_string())?;
        let shape = load::Shape { mode, connections: slots, threads: threads as usize, warmup: WARMUP, amount };
        load::drive(&plan, shape, &stop, &ready, &go)
    };
    ready.wait();
    println!("READY");
    std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut String::new()).map_err(|e| format!("stdin: {e}"))?;
    let cpu_start = process_stat_cpu_ns("self")?;
    let start = Instant::now();
    go.wait();
    // Calls: the measured time ends at the stop (the replies still due then are not counted).
    let mut elapsed = None;
    if mode == load::Mode::Calls {
        std::thread::sleep(Duration::from_secs(amount));
        stop.store(true, Ordering::SeqCst);
        elapsed = Some(start.elapsed());
    }
    let mut latencies = Vec::new();
    for driver in drivers {
        latencies.extend(driver.join().map_err(|_| "a client thread panicked".to_owned())??);
    }
    let elapsed = u64::try_from(elapsed.unwrap_or_else(|| start.elapsed()).as_nanos()).unwrap_or(u64::MAX);
    let cpu = process_stat_cpu_ns("self")?.saturating_sub(cpu_start);
    println!("{}", ClientReport::new(&mut latencies, elapsed, cpu).to_line()?);
    Ok(())
}

/// Warm-up calls (or connections) of each connection slot.
const WARMUP: u64 = 100;

fn call_worker(
    uri: &Uri,
    config: &Config,
    stop: &AtomicBool,
    ready: &Barrier,
    go: &Barrier,
    latencies: &mut Vec<u64>,
) -> Result<()> {
    let proxy = EchoProxy::from_proxy(Proxy::with_config(uri.clone(), config));
    let call = |proxy: &EchoProxy| match proxy.echo(Value::Int(42)) {
        Ok(Value::Int(42)) => Ok(()),
        Ok(other) => Err(format!("echo(42) returned {other:?}")),
        Err(e) => Err(format!("echo(42): {e}")),
    };
    // Every thread reaches both barriers, also after a failure, so that none waits forever.
    let warm = (0..WARMUP).try_for_each(|_| call(&proxy));
    ready.wait();
    go.wait();
    warm?;
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        call(&proxy)?;
        latencies.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    Ok(())
}

fn connect_worker(
    uri: &Uri,
    config: &Config,
    connections: u64,
    ready: &Barrier,
    go: &Barrier,
    latencies: &mut Vec<u64>,
) -> Result<()> {
    let once = || {
        let proxy = EchoProxy::from_proxy(Proxy::with_config(uri.clone(), config));
        match proxy.echo(Value::Int(42)) {
            Ok(Value::Int(42)) => Ok(()),
            Ok(other) => Err(format!("echo(42) returned {other:?}")),
            Err(e) => Err(format!("connect and echo(42): {e}")),
        }
    };
    let warm = (0..WARMUP.min(connections)).try_for_each(|_| once());
    ready.wait();
    go.wait();
    warm?;
    for _ in 0..connections {
        let t = Instant::now();
        once()?;
        latencies.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    Ok(())
}

/// `client-idle <uri> <n>`: connects once (handshake), prints `ONE`, waits for a line,
/// connects n - 1 more, prints `ALL`, waits for stdin to close, and lets them all go.
pub fn client_idle(args: &[String]) -> Result<()> {
    let [uri, n] = args else { return Err(format!("expected <uri> <n>, got {args:?}")) };
    let n: u64 = n.parse().map_err(|e| format!("{n:?}: {e}"))?;
    let uri: Uri = uri.parse().map_err(|e| format!("{uri}: {e}"))?;
    let config = Config::environment().map_err(|e| e.to_string())?;
    let open = |proxies: &mut Vec<Proxy>| -> Result<()> {
        let proxy = Proxy::with_config(uri.clone(), &config);
        proxy.bind().map_err(|e| format!("connection {}: {e}", proxies.len() + 1))?;
        proxies.push(proxy);
        Ok(())
    };
    let mut proxies = Vec::new();
    open(&mut proxies)?;
    println!("ONE");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line).map_err(|e| format!("stdin: {e}"))?;
    for _ in 1..n {
        open(&mut proxies)?;
    }
    println!("ALL");
    // Until the orchestrator closes stdin.
    let _ = std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut Vec::new());
    drop(proxies);
    Ok(())
}
