//! What the two eventloop servers share: the served `EmbeddedServer`, Python's `x * y` for its
//! `multiply`, and how they start the name server and the daemon as Pyro5's programs do
//! (`socket.gethostname()`, `get_ip_address(None, workaround127=True)`, `start_ns`).

use std::net::{IpAddr, ToSocketAddrs, UdpSocket};

use num_bigint::BigInt;
use num_traits::ToPrimitive;
use pyro::{Config, Daemon, RemoteError, Uri, Value};
use pyro_ns::broadcast::BroadcastResponder;
use pyro_ns::{AutoCleaner, NameServerBuilder, NameServerDaemon};

/// The name the application object is registered under.
pub const NAME: &str = "example.eventloop.server";

/// The most bytes (or items) a repeated sequence may have; past that, Python's `MemoryError`.
const MAX_REPEAT: usize = 64 << 20;

/// Pyro5's `EmbeddedServer`.
pub struct EmbeddedServer;

#[pyro::expose]
impl EmbeddedServer {
    /// `x * y`, as Python computes it: numbers, or a sequence repeated.
    pub fn multiply(&self, x: Value, y: Value) -> Result<Value, RemoteError> {
        multiply(&x, &y)
    }
}

/// A Python int (`bool` counts as one).
fn int(value: &Value) -> Option<BigInt> {
    match value {
        Value::Bool(b) => Some(BigInt::from(u8::from(*b))),
        Value::Int(i) => Some(BigInt::from(*i)),
        Value::BigInt(i) => Some(i.clone()),
        _ => None,
    }
}

/// A Python int or float as a float.
fn float(value: &Value) -> Option<Result<f64, RemoteError>> {
    match value {
        Value::Float(f) => Some(Ok(*f)),
        other => int(other).map(|i| {
            i.to_f64().filter(|f| f.is_finite()).ok_or_else(|| {
                RemoteError::new("builtins.OverflowError", vec![Value::from("int too large to convert to float")])
            })
        }),
    }
}

fn type_error(message: String) -> RemoteError {
    RemoteError::new("builtins.TypeError", vec![Value::from(message)])
}

/// Python's `x * y` for ints, floats, and `str`, `bytes`, `list` and `tuple` repeated.
pub fn multiply(x: &Value, y: &Value) -> Result<Value, RemoteError> {
    if let (Some(a), Some(b)) = (int(x), int(y)) {
        return Ok(Value::int(a * b));
    }
    if (matches!(x, Value::Float(_)) || matches!(y, Value::Float(_)))
        && let (Some(a), Some(b)) = (float(x), float(y))
    {
        return Ok(Value::Float(a? * b?));
    }
    let (sequence, times) = match (x, y) {
        (Value::Str(_) | Value::Bytes(_) | Value::List(_) | Value::Tuple(_), n) => (x, n),
        (n, Value::Str(_) | Value::Bytes(_) | Value::List(_) | Value::Tuple(_)) => (y, n),
        _ => {
            return Err(type_error(format!(
                "unsupported operand type(s) for *: '{}' and '{}'",
                x.type_name(),
                y.type_name()
            )));
        }
    };
    let Some(times) = int(times) else {
        return Err(type_error(format!("can't multiply sequence by non-int of type '{}'", times.type_name())));
    };
    // A negative count gives an empty sequence, as in Python.
    let times = times.to_usize().unwrap_or(if times.sign() == num_bigint::Sign::Minus { 0 } else { usize::MAX });
    let length = match sequence {
        Value::Str(s) => s.len(),
        Value::Bytes(b) => b.len(),
        Value::List(items) | Value::Tuple(items) => items.len(),
        _ => 0,
    };
    if length.checked_mul(times).is_none_or(|total| total > MAX_REPEAT) {
        return Err(RemoteError::new("builtins.MemoryError", vec![]));
    }
    Ok(match sequence {
        Value::Str(s) => Value::Str(s.repeat(times)),
        Value::Bytes(b) => Value::Bytes(b.repeat(times)),
        Value::List(items) => Value::List(repeat(items, times)),
        Value::Tuple(items) => Value::Tuple(repeat(items, times)),
        other => other.clone(),
    })
}

/// `items` `times` over.
fn repeat(items: &[Value], times: usize) -> Vec<Value> {
    std::iter::repeat_n(items, times).flatten().cloned().collect()
}

/// Python's `socket.gethostname()`.
pub fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|text| text.trim().to_owned())
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Pyro5's `get_ip_address(None, workaround127=True)`: the host name's first address (of the
/// family `PREFER_IP_VERSION` asks for); if that is a loopback or unspecified address, the
/// address of the interface that would reach the outside (found as Pyro5 finds it: the local
/// end of a UDP socket connected to 4.2.2.2, which sends nothing), else the loopback address.
pub fn my_ip(config: &Config) -> IpAddr {
    let wanted = |ip: &IpAddr| match config.prefer_ip_version.number() {
        4 => ip.is_ipv4(),
        6 => ip.is_ipv6(),
        _ => true,
    };
    let ip = (hostname().as_str(), 80)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.find(|a| wanted(&a.ip())))
        .map_or(IpAddr::from([127, 0, 0, 1]), |a| a.ip());
    let loopback = ip.is_loopback() && ip.is_ipv4() || ip.is_unspecified();
    if !loopback {
        return ip;
    }
    let outside = UdpSocket::bind(("0.0.0.0", 0))
        .and_then(|socket| socket.connect(("4.2.2.2", 53)).and_then(|()| socket.local_addr()));
    outside.map_or(ip, |addr| addr.ip())
}

/// Pyro5's `start_ns(host=my_ip)`: a name server daemon on `host` (port `NS_PORT`), its
/// broadcast responder (on `NS_BCHOST`/`NS_BCPORT`), and its auto-cleaner if `NS_AUTOCLEAN` asks
/// for one. As in Pyro5, no broadcast responder for a name server on a loopback address.
pub fn start_ns(
    config: &Config,
    host: IpAddr,
) -> Result<(NameServerDaemon, Option<BroadcastResponder>, Option<AutoCleaner>), pyro_ns::StartError> {
    let mut ns = NameServerBuilder::new().config(config.clone()).host(host.to_string()).bind()?;
    let responder = ns.take_broadcast_responder();
    let cleaner = match ns.autoclean() {
        Some(settings) => Some(
            AutoCleaner::spawn(ns.name_server().clone(), settings.clone())
                .map_err(|source| pyro_ns::StartError::Thread { what: "autoclean", source })?,
        ),
        None => None,
    };
    Ok((ns, responder, cleaner))
}

/// The application daemon on `hostname` (Pyro5's `Daemon(host=hostname)`) serving an
/// `EmbeddedServer` under a generated id; the daemon and the object's uri.
pub fn start_daemon(config: &Config) -> Result<(Daemon, Uri), pyro_ns::StartError> {
    let daemon = Daemon::builder().config(config.clone()).host(hostname()).bind()?;
    let uri = daemon.register(EmbeddedServer, None)?;
    Ok((daemon, uri))
}

/// `nameserverDaemon.nameserver.register(NAME, serveruri)`.
pub fn register(ns: &NameServerDaemon, uri: &Uri) -> Result<(), String> {
    ns.name_server()
        .register(Value::from(NAME), Value::from(uri.to_string()), None, None)
        .map_err(|e| format!("{}: {e}", e.python_class()))
}

/// The line Python prints for an uncaught `error` of Pyro5's: its class, then its message.
pub fn pyro_error(error: &pyro::Error) -> String {
    format!("{}: {error}", error.python_class())
}

/// The line Python prints for an uncaught error of `start_ns`: Pyro5's error for the daemon,
/// `OSError` for a socket or thread, `ValueError` for a bad `NS_AUTOCLEAN`.
pub fn start_error(error: &pyro_ns::StartError) -> String {
    use std::error::Error;
    match error {
        pyro_ns::StartError::Daemon(e) => pyro_error(e),
        pyro_ns::StartError::AutoCleanTooSmall { .. } => format!("ValueError: {error}"),
        other => match other.source() {
            Some(source) => format!("OSError: {other}: {source}"),
            None => format!("OSError: {other}"),
        },
    }
}

/// Python's `time.asctime()`.
pub fn asctime() -> String {
    crate::bus::LocalTime::now().ctime()
}
