//! Trying name servers in turn: the [`Plan`] of where to look, and [`run`], which goes through it
//! until a name server answers, skipping those that cannot be reached.

use std::sync::{Mutex, PoisonError};

use super::broadcast::{BROADCAST_ROUNDS, BROADCAST_TIMEOUT, Broadcast};
use super::{NAMESERVER_NAME, NameServerProxy};
use crate::config::IpVersion;
use crate::uri::Location;
use crate::{Config, Error, Uri};

/// Where to look for a name server, in order.
#[derive(Debug)]
pub(crate) struct Plan {
    steps: Vec<Step>,
    /// The location list whose members the `Listed` steps are, to remember which one answered.
    listed: Option<Vec<Location>>,
}

#[derive(Debug, PartialEq)]
pub(crate) enum Step {
    /// A name server at a known address.
    Direct(Uri),
    /// The name server at index `.1` of the location list.
    Listed(Uri, usize),
    /// Every name server answering a broadcast at this port, first answer first.
    Broadcast(u16),
}

/// How a name server handed to the attempt was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// At a given or configured address.
    Direct,
    /// It answered a broadcast (so it is running; Pyro5 does not connect to it at once).
    Broadcast,
}

impl Plan {
    /// The plan of [`locate_ns_with_config`](super::locate_ns_with_config)`(host, port, config)`.
    pub(crate) fn locate(host: Option<&str>, port: Option<u16>, config: &Config) -> Result<Plan, Error> {
        let port = port.filter(|&port| port != 0);
        if let Some(host) = host.filter(|host| !host.is_empty()) {
            return Ok(Plan::given(ns_uri(host, port.unwrap_or(config.ns_port))?));
        }
        let broadcast = (config.prefer_ip_version != IpVersion::V6)
            .then(|| Step::Broadcast(port.unwrap_or(config.ns_broadcast_port)));
        if !config.ns_locations.is_empty() {
            let mut plan = Plan::listed(&config.ns_locations)?;
            plan.steps.extend(broadcast);
            return Ok(plan);
        }
        let mut steps = Vec::new();
        if is_local(&config.ns_host) {
            steps.push(Step::Direct(ns_uri(&config.ns_host, port.unwrap_or(config.ns_port))?));
        }
        steps.extend(broadcast);
        let last = Step::Direct(ns_uri(&config.ns_host, config.ns_port)?);
        if steps.first() != Some(&last) {
            steps.push(last);
        }
        Ok(Plan { steps, listed: None })
    }

    /// The steps, in order.
    pub(crate) fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Only the name server at `uri`.
    pub(crate) fn given(uri: Uri) -> Plan {
        Plan { steps: vec![Step::Direct(uri)], listed: None }
    }

    /// The name servers at `locations`, starting with the one that answered last.
    pub(crate) fn listed(locations: &[Location]) -> Result<Plan, Error> {
        let start = preferred(locations);
        let mut steps = Vec::with_capacity(locations.len());
        for index in (start..locations.len()).chain(0..start) {
            if let Some(location) = locations.get(index) {
                steps.push(Step::Listed(location_uri(location)?, index));
            }
        }
        Ok(Plan { steps, listed: Some(locations.to_vec()) })
    }

    /// The plan for the name server of a `PYRONAME:`/`PYROMETA:` uri: its location only, if it
    /// has one, else the search of [`Plan::locate`].
    pub(crate) fn for_uri(uri: &Uri, config: &Config) -> Result<Plan, Error> {
        match uri.location() {
            Some(location) => Ok(Plan::given(location_uri(location)?)),
            None => Plan::locate(None, None, config),
        }
    }
}

/// Goes through `plan`, calling `attempt` with a client (settings from `config`) for each name
/// server, until one gives a result or an error that is an answer. A name server that cannot be
/// reached ([`unreachable`]) is skipped; when none is left the error is [`Error::Naming`]
/// `"Failed to locate the nameserver at <uri>: <cause>; at <uri>: <cause>..."` naming every name
/// server tried, plus `"no answer to the broadcast to <targets>"` for a silent broadcast. The
/// async driver (`aio::naming::run`) walks the plan the same way, through the same [`Search`].
pub(super) fn run<T>(
    plan: &Plan,
    config: &Config,
    mut attempt: impl FnMut(NameServerProxy, Found) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut search = Search::new(plan);
    for step in plan.steps() {
        match step {
            Step::Direct(uri) | Step::Listed(uri, _) => {
                if search.first_time(uri) {
                    let result = attempt(NameServerProxy::with_config(uri.clone(), config), Found::Direct);
                    if let Some(done) = search.settle(step, uri, Found::Direct, result) {
                        return done;
                    }
                }
            }
            Step::Broadcast(port) => {
                let mut broadcast = Broadcast::new(&config.broadcast_addrs, *port, BROADCAST_ROUNDS, BROADCAST_TIMEOUT);
                let mut answered = false;
                while let Some(uri) = broadcast.next_answer() {
                    answered = true;
                    if search.first_time(&uri) {
                        let result = attempt(NameServerProxy::with_config(uri.clone(), config), Found::Broadcast);
                        if let Some(done) = search.settle(step, &uri, Found::Broadcast, result) {
                            return done;
                        }
                    }
                }
                if !answered {
                    search.silent_broadcast(&broadcast.targets());
                }
            }
        }
    }
    search.failed()
}

/// The bookkeeping of one walk through a [`Plan`], shared by the blocking and the async
/// drivers: which name servers were tried (each once), why those that were skipped failed,
/// the memory of the listed location that answered, and the final error.
#[derive(Debug)]
pub(crate) struct Search<'p> {
    plan: &'p Plan,
    failures: Vec<String>,
    tried: Vec<Uri>,
}

impl<'p> Search<'p> {
    /// A walk through `plan`, nothing tried yet.
    pub(crate) fn new(plan: &'p Plan) -> Search<'p> {
        Search { plan, failures: Vec::new(), tried: Vec::new() }
    }

    /// Whether the name server at `uri` is still to be tried (each is tried once per search,
    /// however many steps name it); notes it as tried.
    pub(crate) fn first_time(&mut self, uri: &Uri) -> bool {
        if self.tried.contains(uri) {
            return false;
        }
        self.tried.push(uri.clone());
        true
    }

    /// What the attempt at `uri` (of `step`, found as `found`) gave: `None` when the name
    /// server could not be reached ([`unreachable`]; noted for the final error) so the search
    /// goes on, else the result, which ends it. A listed location that answered is remembered.
    pub(crate) fn settle<T>(
        &mut self,
        step: &Step,
        uri: &Uri,
        found: Found,
        result: Result<T, Error>,
    ) -> Option<Result<T, Error>> {
        match result {
            Err(err) if unreachable(&err) => {
                let how = if found == Found::Broadcast { " (it answered the broadcast)" } else { "" };
                self.failures.push(format!("at {uri}{how}: {err}"));
                None
            }
            done => {
                if done.is_ok()
                    && let Step::Listed(_, index) = step
                    && let Some(locations) = &self.plan.listed
                {
                    remember(locations, *index);
                }
                Some(done)
            }
        }
    }

    /// Notes a broadcast to `targets` (as [`Broadcast::targets`] gives them) that heard nothing.
    pub(crate) fn silent_broadcast(&mut self, targets: &str) {
        self.failures.push(if targets.is_empty() {
            "no broadcast target (BROADCAST_ADDRS)".to_owned()
        } else {
            format!("no answer to the broadcast to {targets}")
        });
    }

    /// The error once the plan is through: every failure noted, in order.
    pub(crate) fn failed<T>(self) -> Result<T, Error> {
        let message = if self.failures.is_empty() {
            "Failed to locate the nameserver: no name server locations given".to_owned()
        } else {
            format!("Failed to locate the nameserver {}", self.failures.join("; "))
        };
        Err(Error::Naming { message })
    }
}

/// Whether `err` says the name server could not be reached (so the next one is tried), rather
/// than answering: refused, timed out, closed, any other network failure, or a daemon there
/// that rejected the connection (no free worker, not a name server).
pub(crate) fn unreachable(err: &Error) -> bool {
    matches!(
        err,
        Error::ConnectionRefused { .. }
            | Error::ConnectionClosed { .. }
            | Error::Timeout { .. }
            | Error::Communication { .. }
            | Error::ConnectionRejected { .. }
    )
}

/// Whether Pyro5 tries `NS_HOST` directly before broadcasting.
pub(crate) fn is_local(host: &str) -> bool {
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// `PYRO:Pyro.NameServer@host:port`, or `@./u:path` for a Unix socket host.
pub(crate) fn ns_uri(host: &str, port: u16) -> Result<Uri, Error> {
    if let Some(path) = host.strip_prefix("./u:") {
        return Ok(Uri::pyro_unix(NAMESERVER_NAME, path)?);
    }
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    Ok(Uri::pyro(NAMESERVER_NAME, host, port)?)
}

/// The name server's URI at `location`.
fn location_uri(location: &Location) -> Result<Uri, Error> {
    Ok(match location {
        Location::Tcp { host, port } => Uri::pyro(NAMESERVER_NAME, host, *port)?,
        Location::Unix { path } => Uri::pyro_unix(NAMESERVER_NAME, path)?,
    })
}

/// How many location lists remember the one that answered last.
const REMEMBERED_LISTS: usize = 16;

/// For the latest location lists used: the index of the location that answered last.
static PREFERRED: Mutex<Vec<(Vec<Location>, usize)>> = Mutex::new(Vec::new());

/// Where to start in `locations`: the one that answered last, else the first.
fn preferred(locations: &[Location]) -> usize {
    let remembered = PREFERRED.lock().unwrap_or_else(PoisonError::into_inner);
    remembered.iter().find(|(list, _)| list == locations).map_or(0, |(_, index)| *index)
}

/// Notes that `locations[index]` answered.
fn remember(locations: &[Location], index: usize) {
    let mut remembered = PREFERRED.lock().unwrap_or_else(PoisonError::into_inner);
    match remembered.iter().position(|(list, _)| list == locations) {
        Some(at) => {
            let (list, _) = remembered.remove(at);
            remembered.push((list, index));
        }
        None => {
            if remembered.len() >= REMEMBERED_LISTS {
                remembered.remove(0);
            }
            remembered.push((locations.to_vec(), index));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn closed_port() -> u16 {
        TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    }

    fn uris(plan: &Plan) -> Vec<String> {
        plan.steps
            .iter()
            .map(|step| match step {
                Step::Direct(uri) => uri.to_string(),
                Step::Listed(uri, index) => format!("{uri} #{index}"),
                Step::Broadcast(port) => format!("broadcast:{port}"),
            })
            .collect()
    }

    #[test]
    fn plans() {
        let config = Config::default();
        assert_eq!(
            uris(&Plan::locate(None, None, &config).unwrap()),
            ["PYRO:Pyro.NameServer@localhost:9090", "broadcast:9091"],
            "local NS_HOST first, then a broadcast; the same NS_HOST is not tried twice"
        );
        assert_eq!(
            uris(&Plan::locate(None, Some(5555), &config).unwrap()),
            ["PYRO:Pyro.NameServer@localhost:5555", "broadcast:5555", "PYRO:Pyro.NameServer@localhost:9090"]
        );
        let remote = Config { ns_host: "nshost".into(), prefer_ip_version: IpVersion::V6, ..Config::default() };
        assert_eq!(uris(&Plan::locate(None, None, &remote).unwrap()), ["PYRO:Pyro.NameServer@nshost:9090"]);
        assert_eq!(uris(&Plan::locate(Some("[::1]"), Some(1), &config).unwrap()), ["PYRO:Pyro.NameServer@[::1]:1"]);
        assert_eq!(
            uris(&Plan::locate(Some("./u:/ns.sock"), None, &config).unwrap()),
            ["PYRO:Pyro.NameServer@./u:/ns.sock"]
        );

        let listed = config.clone().with_ns_locations([Location::tcp("a.invalid", 1), Location::tcp("::1", 2)]);
        assert_eq!(
            uris(&Plan::locate(None, Some(7), &listed).unwrap()),
            ["PYRO:Pyro.NameServer@a.invalid:1 #0", "PYRO:Pyro.NameServer@[::1]:2 #1", "broadcast:7"],
            "the locations replace NS_HOST; the broadcast stays"
        );
        assert_eq!(uris(&Plan::locate(Some("h"), None, &listed).unwrap()), ["PYRO:Pyro.NameServer@h:9090"]);
        let named: Uri = "PYRONAME:thing@h:4".parse().unwrap();
        assert_eq!(
            uris(&Plan::for_uri(&named, &listed).unwrap()),
            ["PYRO:Pyro.NameServer@h:4"],
            "an explicit location only"
        );
        let unix: Uri = "PYRONAME:thing@./u:/ns.sock".parse().unwrap();
        assert_eq!(uris(&Plan::for_uri(&unix, &listed).unwrap()), ["PYRO:Pyro.NameServer@./u:/ns.sock"]);
    }

    #[test]
    fn the_location_that_answered_last_comes_first() {
        let locations: Vec<Location> = (1..=3).map(|n| Location::tcp(format!("remembered{n}.invalid"), 9)).collect();
        assert_eq!(preferred(&locations), 0);
        remember(&locations, 2);
        assert_eq!(
            uris(&Plan::listed(&locations).unwrap()),
            [
                "PYRO:Pyro.NameServer@remembered3.invalid:9 #2",
                "PYRO:Pyro.NameServer@remembered1.invalid:9 #0",
                "PYRO:Pyro.NameServer@remembered2.invalid:9 #1"
            ]
        );
        assert_eq!(preferred(&locations[..2]), 0, "another list");
        for n in 0..REMEMBERED_LISTS {
            remember(&[Location::tcp(format!("other{n}.invalid"), 9)], 0);
        }
        assert_eq!(preferred(&locations), 0, "forgotten after {REMEMBERED_LISTS} other lists");
    }

    #[test]
    fn unreachable_name_servers_are_skipped_and_all_named() {
        let (one, two) = (closed_port(), closed_port());
        let locations = [Location::tcp("127.0.0.1", one), Location::tcp("127.0.0.1", two)];
        let config = Config::default();
        let plan = Plan::listed(&locations).unwrap();
        let mut seen = Vec::new();
        let err = run(&plan, &config, |ns, found| {
            seen.push((ns.uri().port(), found));
            ns.ping()
        })
        .unwrap_err();
        assert_eq!(seen, [(Some(one), Found::Direct), (Some(two), Found::Direct)]);
        let Error::Naming { message } = &err else { panic!("{err:?}") };
        assert_eq!(
            message,
            &format!(
                "Failed to locate the nameserver at PYRO:Pyro.NameServer@127.0.0.1:{one}: connection to 127.0.0.1:{one} \
                 refused; at PYRO:Pyro.NameServer@127.0.0.1:{two}: connection to 127.0.0.1:{two} refused"
            )
        );

        // An answer ends the search: the next one is not asked.
        let mut calls = 0;
        let err = run(&plan, &config, |_, _| {
            calls += 1;
            Err::<(), _>(Error::Naming { message: "unknown name: x".into() })
        })
        .unwrap_err();
        assert_eq!(calls, 1);
        assert!(matches!(&err, Error::Naming { message } if message == "unknown name: x"), "{err:?}");
    }

    #[test]
    fn what_counts_as_unreachable() {
        let closed = Error::ConnectionClosed { context: "x".into() };
        let timeout = Error::Timeout { after: std::time::Duration::from_secs(1), context: "x".into() };
        let rejected = Error::ConnectionRejected { location: "l".into(), reason: "no free workers".into() };
        let other = Error::Communication { message: "cannot resolve x".into(), source: None };
        assert!([closed, timeout, rejected, other].iter().all(unreachable));
        let answers = [
            Error::Naming { message: "unknown name: x".into() },
            Error::Daemon { message: "x".into() },
            Error::Tls { message: "untrusted".into() },
        ];
        assert!(!answers.iter().any(unreachable));
    }

    #[test]
    fn name_server_uris_for_hosts() {
        assert_eq!(ns_uri("::1", 9090).unwrap().to_string(), "PYRO:Pyro.NameServer@[::1]:9090");
        assert_eq!(ns_uri("[::1]", 9090).unwrap().to_string(), "PYRO:Pyro.NameServer@[::1]:9090");
        assert_eq!(ns_uri("./u:/tmp/ns.sock", 9090).unwrap().to_string(), "PYRO:Pyro.NameServer@./u:/tmp/ns.sock");
        assert_eq!(ns_uri("nshost", 1).unwrap().to_string(), "PYRO:Pyro.NameServer@nshost:1");
        assert!(is_local("localhost") && is_local("127.0.1.1") && is_local("::1"));
        assert!(!is_local("0.0.0.0") && !is_local("nshost"));
    }
}
