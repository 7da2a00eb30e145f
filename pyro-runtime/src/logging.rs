//! Pyro5's logging setup for pyro's [`tracing`] events: `LOGLEVEL`, `LOGFILE` and `LOGWIRE`.
//!
//! pyro logs through `tracing`, under targets starting with `pyro` (`pyro::daemon`,
//! `pyro::proxy`, `pyro::wire`, `pyro::ns`, `pyro::callback`). A program with a subscriber of
//! its own sees those events there. Otherwise pyro does what Pyro5 does when it is imported:
//! if `LOGLEVEL` is set (the `PYRO_LOGLEVEL` environment variable), it sends every event of
//! that level or above to `LOGFILE` (`PYRO_LOGFILE`, default `pyro5.log` in the current
//! directory, appended to; `{stderr}` is standard error); if it is not set, nothing is logged
//! and no file is made. [`init`] does it; a [`Daemon`](crate::Daemon), a
//! [`Proxy`](crate::proxy::Proxy) and the name server call it with their configuration, so
//! `PYRO_LOGLEVEL=DEBUG` alone turns logging on, as in Pyro5. It installs the subscriber once
//! per process and never over a global subscriber the program installed.
//!
//! Lines look like Pyro5's (`[%(asctime)s.%(msecs)03d,%(name)s,%(levelname)s] %(message)s`),
//! the time in UTC, the logger name the event's target:
//!
//! ```text
//! [2026-12-01 14:44:31.123,pyro::daemon,DEBUG] connected 127.0.0.1:50412 - unencrypted
//! ```
//!
//! The level names are Python's: `NOTSET` (everything, `tracing`'s `TRACE` too), `DEBUG`,
//! `INFO`, `WARNING` (or `WARN`), `ERROR`, `CRITICAL` (or `FATAL`, logged as errors: `tracing`
//! has no higher level); any other `LOGLEVEL` is refused by [`Config::validate`].
//!
//! With `LOGWIRE=true` every message a daemon or proxy sends or receives is also logged, at
//! debug level under the `pyro::wire` target, as Pyro5's `log_wiredata` does: message type,
//! flags, serializer id, sequence number, number of annotations, correlation id and the
//! payload bytes (as Python's `repr` of `bytes`).

use std::fmt::{self, Write as _};
use std::io;
use std::sync::{Mutex, PoisonError};

use tracing::level_filters::LevelFilter;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use uuid::Uuid;

use crate::config::{Config, ConfigError};
use crate::protocol::{Flags, MessageType};

/// The `LOGFILE` value Pyro5 reads as standard error.
///
/// ```
/// let mut config = pyro::Config::default();
/// config.set("LOGFILE", pyro::logging::STDERR).unwrap();
/// assert_eq!(config.log_file, "{stderr}");
/// ```
pub const STDERR: &str = "{stderr}";

/// What [`init`] did.
///
/// ```
/// use pyro::logging::{self, LogSetup};
/// // LOGLEVEL is not set (no PYRO_LOGLEVEL here): nothing is logged, nothing installed.
/// assert_eq!(logging::init(&pyro::Config::default()).unwrap(), LogSetup::Off);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogSetup {
    /// `LOGLEVEL` is not set: pyro logs nothing of its own (as Pyro5).
    Off,
    /// The subscriber was installed now, logging at `level` (the `LOGLEVEL` text) to `file`.
    Installed {
        /// The `LOGLEVEL` text.
        level: String,
        /// The `LOGFILE` text (`{stderr}` for standard error).
        file: String,
    },
    /// An earlier call installed it (the first configuration's level and file stay).
    AlreadyInstalled,
    /// The program installed a global subscriber of its own: pyro's events go there.
    External,
}

/// Whether this process's pyro subscriber is installed.
static INSTALLED: Mutex<bool> = Mutex::new(false);

/// Sets up logging from `config` as Pyro5 does at import: with `LOGLEVEL` set, a global
/// subscriber writing every event of that level or above to `LOGFILE` (`{stderr}`: standard
/// error; any other name a file, created or appended to), in Pyro5's line format; without,
/// nothing. Only the first call that installs anything counts, and nothing is installed if
/// the program set a global subscriber of its own. Fails on an unknown level name or a log
/// file that cannot be opened ([`ConfigError::Invalid`] naming `LOGLEVEL` or `LOGFILE`).
///
/// Daemons, proxies and the name server call it with their configuration; call it yourself
/// to have logging on before any of them exists.
///
/// ```no_run
/// use pyro::{logging, Config};
/// let config = Config::environment()?; // PYRO_LOGLEVEL, PYRO_LOGFILE, ...
/// logging::init(&config)?;
/// # Ok::<(), pyro::Error>(())
/// ```
pub fn init(config: &Config) -> Result<LogSetup, ConfigError> {
    let Some(level) = config.log_level.as_deref().filter(|level| !level.is_empty()) else {
        return Ok(LogSetup::Off);
    };
    let filter = level_filter(level)?;
    let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
    if *installed {
        return Ok(LogSetup::AlreadyInstalled);
    }
    if tracing::dispatcher::has_been_set() {
        return Ok(LogSetup::External);
    }
    let writer = if config.log_file == STDERR {
        BoxMakeWriter::new(io::stderr)
    } else {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&config.log_file).map_err(|error| {
            ConfigError::Invalid {
                item: "LOGFILE",
                reason: format!("cannot open log file {}: {error}", config.log_file),
            }
        })?;
        BoxMakeWriter::new(Mutex::new(file))
    };
    let subscriber =
        tracing_subscriber::fmt().with_max_level(filter).with_writer(writer).event_format(PyroFormat).finish();
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        // The program installed one between the check and now.
        return Ok(LogSetup::External);
    }
    *installed = true;
    tracing::info!(target: "pyro", "Pyro log configured using built-in defaults, level={level}");
    Ok(LogSetup::Installed { level: level.to_owned(), file: config.log_file.clone() })
}

/// [`init`] for a constructor that cannot fail (a proxy's): a failure is printed once on
/// standard error, as for an invalid environment.
pub(crate) fn init_or_warn(config: &Config) {
    if let Err(error) = init(config) {
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| eprintln!("pyro: cannot set up logging: {error}"));
    }
}

/// The filter for a Python level name (any case), or why the name is not one.
pub(crate) fn level_filter(level: &str) -> Result<LevelFilter, ConfigError> {
    Ok(match level.to_ascii_uppercase().as_str() {
        "NOTSET" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "INFO" => LevelFilter::INFO,
        "WARNING" | "WARN" => LevelFilter::WARN,
        "ERROR" | "CRITICAL" | "FATAL" => LevelFilter::ERROR,
        _ => {
            return Err(ConfigError::Invalid {
                item: "LOGLEVEL",
                reason: format!("unknown log level {level:?} (use NOTSET, DEBUG, INFO, WARNING, ERROR or CRITICAL)"),
            });
        }
    })
}

/// Pyro5's log line: `[date time.millis,target,LEVEL] message fields`.
struct PyroFormat;

impl<S, N> FormatEvent<S, N> for PyroFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let metadata = event.metadata();
        let level = match *metadata.level() {
            tracing::Level::TRACE => "TRACE",
            tracing::Level::DEBUG => "DEBUG",
            tracing::Level::INFO => "INFO",
            tracing::Level::WARN => "WARNING",
            tracing::Level::ERROR => "ERROR",
        };
        write!(writer, "[")?;
        write_utc(&mut writer, std::time::SystemTime::now())?;
        write!(writer, ",{},{level}] ", metadata.target())?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// `time` as `YYYY-MM-DD HH:MM:SS.mmm`, in UTC.
fn write_utc(out: &mut impl fmt::Write, time: std::time::SystemTime) -> fmt::Result {
    let since = time.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = crate::calendar::civil_from_days(i64::try_from(days).unwrap_or(i64::MAX));
    write!(
        out,
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:03}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// A client's address in a log line: `ip:port`, or `a Unix socket client` without one.
pub(crate) struct Peer(pub(crate) Option<std::net::SocketAddr>);

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(addr) => write!(f, "{addr}"),
            None => f.write_str("a Unix socket client"),
        }
    }
}

/// One message's fields for the wire log.
pub(crate) struct WireMessage<'a> {
    pub(crate) msg_type: MessageType,
    pub(crate) flags: Flags,
    pub(crate) serializer_id: u8,
    pub(crate) seq: u16,
    pub(crate) annotations: usize,
    pub(crate) correlation_id: Option<Uuid>,
    /// The bytes: a sent message's whole encoding (head, then payload), a received one's
    /// payload, as Pyro5 logs them.
    pub(crate) data: [&'a [u8]; 2],
}

/// Logs `message` (LOGWIRE) at debug on `pyro::wire`, as Pyro5's `log_wiredata`: `side` is
/// `daemon` or `proxy`, `sending` whether it is sent (else received). The handshake's
/// messages are named as Pyro5 names them (`proxy connect sending`, `daemon handshake
/// received`, ...). Nothing is formatted unless the event is enabled.
pub(crate) fn wire(side: &str, sending: bool, message: &WireMessage<'_>) {
    let handshake =
        matches!(message.msg_type, MessageType::Connect | MessageType::ConnectOk | MessageType::ConnectFail);
    let what = match (side, handshake, sending) {
        ("proxy", true, true) => "connect sending",
        ("proxy", true, false) => "connect response received",
        (_, true, true) => "handshake response",
        (_, true, false) => "handshake received",
        (_, false, true) => "wiredata sending",
        (_, false, false) => "wiredata received",
    };
    tracing::debug!(
        target: "pyro::wire",
        "{side} {what}: msgtype={} flags={:#x} ser={} seq={} num_annotations={} corr_id={}\ndata={}",
        u8::from(message.msg_type),
        message.flags.bits(),
        message.serializer_id,
        message.seq,
        message.annotations,
        message.correlation_id.unwrap_or_default(),
        BytesRepr(message.data),
    );
}

/// Python's `repr` of a `bytes` object (made of the slices one after the other).
pub(crate) struct BytesRepr<'a>(pub(crate) [&'a [u8]; 2]);

impl fmt::Display for BytesRepr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let has = |wanted: u8| self.0.iter().any(|part| part.contains(&wanted));
        // As Python: single quotes unless the bytes hold a single quote and no double quote.
        let quote = if has(b'\'') && !has(b'"') { '"' } else { '\'' };
        f.write_char('b')?;
        f.write_char(quote)?;
        for &byte in self.0.iter().flat_map(|part| part.iter()) {
            match byte {
                b'\\' => f.write_str("\\\\")?,
                b'\t' => f.write_str("\\t")?,
                b'\n' => f.write_str("\\n")?,
                b'\r' => f.write_str("\\r")?,
                _ if char::from(byte) == quote => {
                    f.write_char('\\')?;
                    f.write_char(quote)?;
                }
                0x20..=0x7e => f.write_char(char::from(byte))?,
                _ => write!(f, "\\x{byte:02x}")?,
            }
        }
        f.write_char(quote)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bytes_repr_is_pythons() {
        // What Python 3.11 prints for repr() of these bytes.
        let cases: [(&[u8], &str); 6] = [
            (b"\x93\xa5hello", r"b'\x93\xa5hello'"),
            (b"it's", r#"b"it's""#),
            (b"it's \"x\"", r#"b'it\'s "x"'"#),
            (b"a\\b\t\n\r\x00\x7f~", r"b'a\\b\t\n\r\x00\x7f~'"),
            (b"", "b''"),
            (b"PYRO\x01\xf6\x05\\<'hi'", r#"b"PYRO\x01\xf6\x05\\<'hi'""#),
        ];
        for (bytes, repr) in cases {
            assert_eq!(BytesRepr([bytes, b""]).to_string(), repr);
            // Split anywhere, the same.
            let (head, payload) = bytes.split_at(bytes.len() / 2);
            assert_eq!(BytesRepr([head, payload]).to_string(), repr);
        }
    }

    #[test]
    fn utc_times_are_formatted_like_pythons_asctime() {
        let at = |secs: u64, millis: u64| {
            let mut out = String::new();
            let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(secs * 1000 + millis);
            write_utc(&mut out, time).unwrap();
            out
        };
        assert_eq!(at(0, 0), "1970-01-01 00:00:00.000");
        // python3 -c "import datetime; print(datetime.datetime.utcfromtimestamp(1796130271))"
        assert_eq!(at(1_796_130_271, 7), "2026-12-01 13:04:31.007");
        assert_eq!(at(951_782_400, 999), "2000-02-29 00:00:00.999");
    }

    /// Both fail before anything is installed, so this process's logging stays untouched.
    #[test]
    fn a_bad_level_or_log_file_is_refused_by_name() {
        let config = Config { log_level: Some("LOUD".into()), ..Config::default() };
        assert!(matches!(init(&config), Err(ConfigError::Invalid { item: "LOGLEVEL", .. })));
        let config = Config {
            log_level: Some("DEBUG".into()),
            log_file: "/nonexistent-pyro-dir/pyro5.log".into(),
            ..Config::default()
        };
        let err = init(&config).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { item: "LOGFILE", .. }), "{err:?}");
        assert!(err.to_string().contains("cannot open log file /nonexistent-pyro-dir/pyro5.log"), "{err}");
        // A daemon with either does not start.
        let err = crate::Daemon::builder().config(config).host("127.0.0.1").port(0).bind().unwrap_err();
        assert!(matches!(err, crate::Error::Config(ConfigError::Invalid { item: "LOGFILE", .. })), "{err:?}");
        assert_eq!(init(&Config::default()).unwrap(), LogSetup::Off);
    }

    #[test]
    fn level_names_are_pythons() {
        assert_eq!(level_filter("DEBUG").unwrap(), LevelFilter::DEBUG);
        assert_eq!(level_filter("warning").unwrap(), LevelFilter::WARN);
        assert_eq!(level_filter("CRITICAL").unwrap(), LevelFilter::ERROR);
        assert_eq!(level_filter("NOTSET").unwrap(), LevelFilter::TRACE);
        let err = level_filter("LOUD").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid config LOGLEVEL: unknown log level \"LOUD\" (use NOTSET, DEBUG, INFO, WARNING, ERROR or CRITICAL)"
        );
    }
}
