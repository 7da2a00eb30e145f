//! Resolving `PYRONAME:` and `PYROMETA:` URIs to `PYRO:` URIs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::failover::{self, Plan};
use super::{NameServerProxy, decode};
use crate::uri::Protocol;
use crate::value::Value;
use crate::{Config, Error, Uri};

/// Resolves `uri` to the `PYRO:` URI of the object it names (Pyro5's `core.resolve`), with the
/// process's configuration ([`Config::environment`]). See [`resolve_with_config`].
///
/// ```no_run
/// let uri = pyro::naming::resolve(&"PYRONAME:example.greeting".parse()?)?;
/// assert_eq!(uri.protocol(), pyro::uri::Protocol::Pyro);
/// # Ok::<(), pyro::Error>(())
/// ```
pub fn resolve(uri: &Uri) -> Result<Uri, Error> {
    resolve_with_config(uri, &Config::environment()?)
}

/// Resolves `uri` to a `PYRO:` URI as Pyro5's `core.resolve` does:
///
/// - `PYRO:` is returned unchanged;
/// - `PYRONAME:name[@host:port]` finds the name server (the URI's host and port only, or
///   without them the search of [`locate_ns_with_config`](super::locate_ns_with_config): the
///   configured locations or `NS_HOST`, and a broadcast) and looks the name up;
/// - `PYROMETA:tag,...[@host:port]` finds the name server, asks it for the registrations having
///   all the tags (`yplookup(tags, None, False)`) and picks one at random; none is
///   [`Error::Naming`] `"no registrations available with desired metadata properties {...}"`.
///
/// A name server that cannot be reached, before or during the lookup, is skipped for the next
/// one of the search: the next configured location, the next that answered the broadcast (see
/// [failover](super#several-name-servers-failover)); when none is left the error is
/// [`Error::Naming`] `"Failed to locate the nameserver at ..."` naming each one tried. An
/// answer, such as an unknown name, ends the search.
///
/// With a `ns_lookup_delay` in `config` (Pyro5's `NS_LOOKUP_DELAY`), an unknown name (or no
/// matching registration) is asked again, of the same name server, until that much time has
/// passed.
///
/// ```
/// use pyro::{naming::resolve_with_config, Config, Uri};
/// let direct: Uri = "PYRO:obj@localhost:5555".parse().unwrap();
/// assert_eq!(resolve_with_config(&direct, &Config::default()).unwrap(), direct);
/// ```
pub fn resolve_with_config(uri: &Uri, config: &Config) -> Result<Uri, Error> {
    match uri.protocol() {
        Protocol::Pyro => Ok(uri.clone()),
        Protocol::PyroName => {
            let plan = Plan::for_uri(uri, config)?;
            failover::run(&plan, config, |ns, _| {
                retrying(config.ns_lookup_delay, || ns.lookup(uri.object()).map(Some), || unreachable_none(uri))
            })
        }
        Protocol::PyroMeta => {
            let plan = Plan::for_uri(uri, config)?;
            let tags = uri.tags().cloned().unwrap_or_default();
            let none_found = || {
                let tags = Value::Set(tags.iter().map(|tag| Value::from(tag.as_str())).collect());
                Error::Naming { message: format!("no registrations available with desired metadata properties {tags}") }
            };
            let found = failover::run(&plan, config, |ns, _| {
                let query = || candidates(&ns, &tags).map(|found| (!found.is_empty()).then_some(found));
                retrying(config.ns_lookup_delay, query, none_found)
            })?;
            let (name, candidate) = found.get(random_index(found.len())).ok_or_else(none_found)?;
            decode::uri(candidate, name)
        }
    }
}

/// The registrations having all `tags`, as (name, uri value) pairs, with Pyro5's exact call.
fn candidates(ns: &NameServerProxy, tags: &std::collections::BTreeSet<String>) -> Result<Vec<(String, Value)>, Error> {
    ns.run(super::calls::having_all(tags))
}

/// The error for a lookup that gave nothing without an error (cannot happen for `lookup`).
pub(crate) fn unreachable_none(uri: &Uri) -> Error {
    Error::Naming { message: format!("unknown name: {}", uri.object()) }
}

/// Runs `attempt` once, or with a `delay` again until it finds something or `delay` has passed
/// (Pyro5's `nameserver.lookup`/`yplookup` helpers): naming errors, timeouts and `None` are
/// retried, sleeping `max(0.2 s, delay / 5)` in between.
fn retrying<T>(
    delay: Duration,
    mut attempt: impl FnMut() -> Result<Option<T>, Error>,
    nothing: impl Fn() -> Error,
) -> Result<T, Error> {
    if !delay.is_zero() {
        let started = Instant::now();
        let pause = (delay / 5).max(Duration::from_millis(200));
        while started.elapsed() <= delay {
            match attempt() {
                Ok(Some(found)) => return Ok(found),
                Ok(None) | Err(Error::Naming { .. } | Error::Timeout { .. }) => {}
                Err(other) => return Err(other),
            }
            std::thread::sleep(pause);
        }
    }
    attempt()?.ok_or_else(nothing)
}

/// A pseudo-random index below `len` (at least 1), from the clock and a counter: enough to
/// spread `PYROMETA` proxies over the candidates.
pub(crate) fn random_index(len: usize) -> usize {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.subsec_nanos());
    let mut z = u64::from(nanos) ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    // splitmix64's finalizer.
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let len = u64::try_from(len.max(1)).unwrap_or(u64::MAX);
    usize::try_from(z % len).unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn random_indexes_stay_in_range_and_vary() {
        let seen: BTreeSet<usize> = (0..200).map(|_| random_index(4)).collect();
        assert!(seen.iter().all(|&i| i < 4));
        assert!(seen.len() > 1, "{seen:?}");
        assert_eq!(random_index(1), 0);
        assert_eq!(random_index(0), 0);
    }

    #[test]
    fn retrying_without_delay_tries_once() {
        let mut calls = 0;
        let err = retrying(
            Duration::ZERO,
            || {
                calls += 1;
                Ok(None::<()>)
            },
            || Error::Naming { message: "none".into() },
        )
        .unwrap_err();
        assert_eq!(calls, 1);
        assert!(matches!(err, Error::Naming { .. }));
    }

    #[test]
    fn retrying_with_delay_retries_naming_errors_until_found() {
        let mut calls = 0;
        let found = retrying(
            Duration::from_millis(300),
            || {
                calls += 1;
                if calls < 2 { Err(Error::Naming { message: "unknown name: x".into() }) } else { Ok(Some(7)) }
            },
            || Error::Naming { message: "none".into() },
        )
        .unwrap();
        assert_eq!((found, calls), (7, 2));
        // Other errors are not retried.
        let mut calls = 0;
        let err = retrying(
            Duration::from_millis(300),
            || {
                calls += 1;
                Err::<Option<()>, _>(Error::Daemon { message: "no".into() })
            },
            || Error::Naming { message: "none".into() },
        )
        .unwrap_err();
        assert_eq!(calls, 1);
        assert!(matches!(err, Error::Daemon { .. }));
    }

    #[test]
    fn a_name_without_a_reachable_name_server_is_a_naming_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let uri: Uri = format!("PYRONAME:thing@127.0.0.1:{port}").parse().unwrap();
        let err = resolve_with_config(&uri, &Config::default()).unwrap_err();
        assert!(matches!(&err, Error::Naming { message } if message.starts_with("Failed to locate")), "{err}");
    }
}
