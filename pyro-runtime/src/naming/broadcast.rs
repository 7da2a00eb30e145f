//! Broadcast discovery of name servers: [`Broadcast`] sends `GET_NSURI` rounds and hands out
//! every name server that answers, first answer first.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use super::BROADCAST_REQUEST;
use crate::Uri;
use crate::uri::Protocol;

/// How long each broadcast round waits for an answer (Pyro5: 0.7 s).
pub(crate) const BROADCAST_TIMEOUT: Duration = Duration::from_millis(700);

/// How many broadcast rounds are sent before giving up (Pyro5: 3).
pub(crate) const BROADCAST_ROUNDS: usize = 3;

/// How many datagrams are read past a round's deadline, at most, looking for a new answer.
pub(crate) const MAX_LATE_READS: usize = 64;

/// What `BROADCAST_ADDRS` writes for the limited broadcast address.
const BROADCAST_ALIAS: &str = "<broadcast>";

/// One broadcast discovery: rounds of `GET_NSURI` to every target, sent only when needed.
///
/// [`next_answer`](Broadcast::next_answer) gives the first name server that answers, as
/// Pyro5's `locate_ns` takes it; asked again (because that one turned out to be unreachable),
/// it gives the next name server that answered (answers wait in the socket meanwhile), sending
/// further rounds while rounds are left. Each name server is given once, however often it
/// answers (it hears every round, and the request to each target).
pub(super) struct Broadcast {
    socket: Option<UdpSocket>,
    targets: Vec<SocketAddr>,
    rounds_left: usize,
    timeout: Duration,
    /// When the latest round stops waiting; `None` before the first round.
    deadline: Option<Instant>,
    /// The name servers given out so far.
    seen: Vec<Uri>,
}

impl Broadcast {
    /// A discovery of the name servers answering at `port` of `addrs` (`BROADCAST_ADDRS`);
    /// nothing is sent yet. No usable target, or no UDP socket, means no answer.
    pub(super) fn new(addrs: &[String], port: u16, rounds: usize, timeout: Duration) -> Broadcast {
        let targets = broadcast_targets(addrs, port);
        let socket = if targets.is_empty() { None } else { open_socket() };
        Broadcast { socket, targets, rounds_left: rounds, timeout, deadline: None, seen: Vec::new() }
    }

    /// Where the requests go, for error messages: `"127.0.0.1:9091, 255.255.255.255:9091"`.
    pub(super) fn targets(&self) -> String {
        describe_targets(&self.targets)
    }

    /// The next name server that answers with a `PYRO:` URI and was not given before; `None`
    /// once the rounds are over without a new answer.
    pub(super) fn next_answer(&mut self) -> Option<Uri> {
        let socket = self.socket.as_ref()?;
        loop {
            if let Some(deadline) = self.deadline {
                // Answers that came in meanwhile first, then wait for the rest of the round.
                let wait_until = deadline.max(Instant::now());
                if let Some(uri) = receive_new(socket, wait_until, &self.seen) {
                    self.seen.push(uri.clone());
                    return Some(uri);
                }
            }
            if self.rounds_left == 0 {
                return None;
            }
            self.rounds_left -= 1;
            for target in &self.targets {
                // Pyro5 ignores "address not available" here; any failure just means no answer.
                let _ = socket.send_to(BROADCAST_REQUEST, target);
            }
            self.deadline = Some(Instant::now() + self.timeout);
        }
    }
}

/// The usable targets of `addrs` (`BROADCAST_ADDRS`) at `port`, in order.
pub(crate) fn broadcast_targets(addrs: &[String], port: u16) -> Vec<SocketAddr> {
    addrs.iter().filter_map(|addr| broadcast_target(addr, port)).collect()
}

/// `targets` for error messages: `"127.0.0.1:9091, 255.255.255.255:9091"`.
pub(crate) fn describe_targets(targets: &[SocketAddr]) -> String {
    targets.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// An IPv4 UDP socket allowed to broadcast.
fn open_socket() -> Option<UdpSocket> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.set_broadcast(true).ok()?;
    Some(socket)
}

/// Where a `BROADCAST_ADDRS` entry points: an IPv4 socket address (the socket is IPv4).
pub(crate) fn broadcast_target(addr: &str, port: u16) -> Option<SocketAddr> {
    if addr == BROADCAST_ALIAS {
        return Some(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::BROADCAST, port)));
    }
    (addr, port).to_socket_addrs().ok()?.find(SocketAddr::is_ipv4)
}

/// Waits until `deadline` for an answer that is a `PYRO:` URI not in `seen`, skipping anything
/// else; an answer already waiting is taken even when the deadline has passed.
fn receive_new(socket: &UdpSocket, deadline: Instant, seen: &[Uri]) -> Option<Uri> {
    let mut buffer = [0u8; 1024];
    // Past the deadline only what is waiting is read, and not forever if datagrams keep coming.
    let mut late_reads = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            late_reads += 1;
            if late_reads > MAX_LATE_READS {
                return None;
            }
        }
        // A zero timeout is refused by the socket: the smallest wait stands for "only what is there".
        let left = left.max(Duration::from_micros(1));
        socket.set_read_timeout(Some(left)).ok()?;
        // A timeout ends the round; so does any other error, rather than spinning on it.
        let (len, _sender) = socket.recv_from(&mut buffer).ok()?;
        if let Some(uri) = answer_uri(buffer.get(..len).unwrap_or_default())
            && !seen.contains(&uri)
        {
            return Some(uri);
        }
    }
}

/// The name server's `PYRO:` URI in a broadcast answer, if it is one (shared with the async
/// locator).
pub(crate) fn answer_uri(answer: &[u8]) -> Option<Uri> {
    // ISO-8859-1, as Pyro5 decodes the answer.
    let text: String = answer.iter().map(|&byte| char::from(byte)).collect();
    text.trim().parse::<Uri>().ok().filter(|uri| uri.protocol() == Protocol::Pyro)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(super) mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::thread;

    /// A UDP responder at `host:port` (0: any free port) answering each `GET_NSURI` with the
    /// next of `answers` (after `delay`); returns its port and the requests it got.
    pub(in crate::naming) fn responder_at(
        host: &str,
        port: u16,
        answers: Vec<String>,
        delay: Duration,
    ) -> (u16, mpsc::Receiver<Vec<u8>>) {
        let socket = UdpSocket::bind((host, port)).unwrap();
        let port = socket.local_addr().unwrap().port();
        let (requests, received) = mpsc::channel();
        thread::spawn(move || {
            let mut buffer = [0u8; 100];
            for answer in answers {
                let Ok((len, from)) = socket.recv_from(&mut buffer) else { return };
                let _ = requests.send(buffer[..len].to_vec());
                thread::sleep(delay);
                let _ = socket.send_to(answer.as_bytes(), from);
            }
        });
        (port, received)
    }

    pub(in crate::naming) fn responder(answers: Vec<&str>) -> (u16, mpsc::Receiver<Vec<u8>>) {
        responder_at("127.0.0.1", 0, answers.into_iter().map(String::from).collect(), Duration::ZERO)
    }

    fn first_answer(addrs: &[String], port: u16, rounds: usize, timeout: Duration) -> Option<Uri> {
        Broadcast::new(addrs, port, rounds, timeout).next_answer()
    }

    #[test]
    fn broadcast_returns_the_first_pyro_uri_answered() {
        let (port, requests) = responder(vec!["garbage", "PYRONAME:loop", "PYRO:Pyro.NameServer@127.0.0.1:4567"]);
        let addrs = vec!["127.0.0.1".to_string()];
        let uri = first_answer(&addrs, port, 3, Duration::from_millis(300)).unwrap();
        assert_eq!(uri.to_string(), "PYRO:Pyro.NameServer@127.0.0.1:4567");
        assert_eq!(requests.recv().unwrap(), b"GET_NSURI");
    }

    #[test]
    fn every_name_server_that_answers_is_given_once_first_answer_first() {
        // One name server answering every round, twice over; another answering later.
        let first = "PYRO:Pyro.NameServer@127.0.0.1:1111".to_string();
        let second = "PYRO:Pyro.NameServer@127.0.0.1:2222".to_string();
        let (port, _) = responder_at("127.0.0.1", 0, vec![first.clone(); 6], Duration::ZERO);
        // Linux routes all of 127.0.0.0/8 to the loopback interface; elsewhere skip that part.
        let Ok(probe) = UdpSocket::bind(("127.0.0.2", port)) else { return };
        drop(probe);
        responder_at("127.0.0.2", port, vec![second.clone(); 6], Duration::from_millis(50));
        let addrs = vec!["127.0.0.1".to_string(), "127.0.0.2".to_string(), "127.0.0.1".to_string()];
        let mut broadcast = Broadcast::new(&addrs, port, 3, Duration::from_millis(300));
        assert_eq!(broadcast.next_answer().unwrap().to_string(), first);
        let started = Instant::now();
        assert_eq!(broadcast.next_answer().unwrap().to_string(), second);
        assert!(started.elapsed() < Duration::from_millis(300), "the second answer came in the same round");
        let started = Instant::now();
        assert_eq!(broadcast.next_answer(), None);
        assert!(started.elapsed() >= Duration::from_millis(500), "the remaining rounds were sent");
        assert_eq!(broadcast.next_answer(), None);
        assert_eq!(broadcast.targets(), format!("127.0.0.1:{port}, 127.0.0.2:{port}, 127.0.0.1:{port}"));
    }

    #[test]
    fn no_target_no_answer() {
        let mut broadcast = Broadcast::new(&["::1".to_string()], 9091, 3, Duration::from_millis(10));
        assert_eq!(broadcast.next_answer(), None);
        assert_eq!(broadcast.targets(), "");
    }

    #[test]
    fn broadcast_targets() {
        assert_eq!(broadcast_target("<broadcast>", 9091), Some("255.255.255.255:9091".parse().unwrap()));
        assert_eq!(broadcast_target("0.0.0.0", 9091), Some("0.0.0.0:9091".parse().unwrap()));
        assert_eq!(broadcast_target("::1", 9091), None);
    }
}
