//! The load client of the server-types section (`bench client-load-rust`): many connections
//! driven from one or a few threads, so that the client takes as little of the machine's CPU
//! from the server as it can, and the same for every server.
//!
//! It is pyro's client without the blocking proxy around it: each connection is a
//! [`ClientSession`] (the CONNECT handshake, sequence numbers, reply checks, result decoding)
//! fed by a [`MessageDecoder`], on a non-blocking socket watched by `mio`. A driver thread
//! serves its share of the connections from one readiness loop: one `read` and one `writev` per
//! call, a wait for readiness shared by every connection that is ready at once, no allocation
//! per call beyond the decoded reply.
//!
//! - `calls`: `connections` connections stay open; each makes sequential `echo(42)` calls
//!   (the next one sent as soon as the reply came).
//! - `connect`: `connections` slots each open a connection, do the handshake (the metadata is
//!   decoded, as a proxy does), call `echo(42)`, close, and start over; the latency is the
//!   whole connection's.

use std::io::{ErrorKind, IoSlice, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use pyro::protocol::{EncodeOptions, Flags, Message, MessageDecoder};
use pyro::session::ClientSession;
use pyro::uri::Location;
use pyro::{Serializer, Uri, Value};

use crate::Result;

/// What every connection sends: built once.
pub struct Plan {
    /// The daemon's address (resolved once).
    addr: SocketAddr,
    /// The object id.
    object: String,
    /// The CONNECT message (sequence number 0), encoded.
    connect: Vec<u8>,
    /// The `echo(42)` INVOKE, its sequence number set per call.
    invoke: Message,
    options: EncodeOptions,
    serializer: Serializer,
}

impl Plan {
    /// The plan for `uri`, msgpack, with the default handshake value as a proxy sends it.
    pub fn new(uri: &Uri) -> Result<Plan> {
        let Some(Location::Tcp { host, port }) = uri.location() else {
            return Err(format!("{uri}: the load client needs a TCP location"));
        };
        let addr = (host.as_str(), *port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .next()
            .ok_or_else(|| format!("{host} has no address"))?;
        let serializer = Serializer::Msgpack;
        let options = EncodeOptions::new();
        let session = ClientSession::new(serializer);
        let handshake = Value::from(pyro::proxy::DEFAULT_HANDSHAKE);
        let connect = session
            .connect_request(uri.object(), &handshake)
            .and_then(|m| m.to_bytes(&options).map_err(Into::into))
            .map_err(|e| format!("encoding the CONNECT: {e}"))?;
        let payload = serializer
            .encode_call(uri.object(), "echo", &(42,), Some(&pyro::value::Dict::new()))
            .map_err(|e| format!("encoding echo(42): {e}"))?;
        let invoke = Message::new(pyro::protocol::MessageType::Invoke, serializer.id(), payload);
        Ok(Plan { addr, object: uri.object().to_owned(), connect, invoke, options, serializer })
    }

    /// The CONNECT every connection sends, encoded.
    pub fn connect_bytes(&self) -> &[u8] {
        &self.connect
    }

    /// The `echo(42)` INVOKE with sequence number `seq`, encoded.
    pub fn invoke_bytes(&self, seq: u16) -> Result<Vec<u8>> {
        self.invoke.clone().with_seq(seq).to_bytes(&self.options).map_err(|e| format!("encoding echo(42): {e}"))
    }
}

/// What a driver thread does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Keep the connections open and call.
    Calls,
    /// Open, handshake, call once, close, over and over.
    Connect,
}

/// Where a connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The CONNECT went out (or waits for the socket to connect); the CONNECTOK is awaited.
    Handshake,
    /// An `echo(42)` went out; its RESULT is awaited.
    Call,
    /// Nothing is under way (calls: between runs).
    Idle,
}

/// One connection.
struct Conn {
    stream: TcpStream,
    session: ClientSession,
    decoder: MessageDecoder,
    phase: Phase,
    /// Bytes the socket did not take yet (sent when it is writable).
    pending: Vec<u8>,
    /// When the current call (calls) or the connection (connect) started.
    started: Instant,
}

/// The state of one driver thread: its connections and what they did.
pub struct Driver<'a> {
    plan: &'a Plan,
    mode: Mode,
    poll: Poll,
    events: Events,
    conns: Vec<Option<Conn>>,
    /// The `echo(42)` INVOKE, reused (the session sets its sequence number).
    invoke: Message,
    /// Its head, reused.
    head: Vec<u8>,
    /// The ready connections of the last wait (token, readable, writable), reused.
    ready: Vec<(usize, bool, bool)>,
    /// The read buffer, reused.
    buffer: Vec<u8>,
    /// Calls (calls) or connections (connect) completed since the last [`run`](Driver::run)
    /// began.
    done: u64,
    /// Connections opened since then (connect).
    started: u64,
    /// The run's `limit`.
    limit: u64,
    /// Measured latencies (only while `recording`).
    pub latencies: Vec<u64>,
    recording: bool,
}

/// How much one read takes at most.
const READ_BUFFER: usize = 64 * 1024;

impl<'a> Driver<'a> {
    /// A driver for `slots` connections (opened by [`run`](Driver::run)).
    pub fn new(plan: &'a Plan, mode: Mode, slots: usize) -> Result<Driver<'a>> {
        Ok(Driver {
            plan,
            mode,
            poll: Poll::new().map_err(|e| format!("creating the poller: {e}"))?,
            events: Events::with_capacity(1024),
            conns: (0..slots).map(|_| None).collect(),
            invoke: plan.invoke.clone(),
            head: Vec::with_capacity(64),
            ready: Vec::with_capacity(1024),
            buffer: vec![0; READ_BUFFER],
            done: 0,
            started: 0,
            limit: 0,
            latencies: Vec::new(),
            recording: false,
        })
    }

    /// Runs until `limit` calls (calls) or connections (connect) are done, or `stop` is set;
    /// with `record`, their latencies are kept.
    pub fn run(&mut self, limit: u64, stop: &AtomicBool, record: bool) -> Result<()> {
        self.done = 0;
        self.started = 0;
        self.limit = limit;
        self.recording = record;
        if record {
            self.latencies.reserve(usize::try_from(limit.min(10_000_000)).unwrap_or_default());
        }
        // Calls: the connections stay open from one run to the next; each starts a call.
        // Connect: every slot opens a connection (at most `limit` in all).
        for slot in 0..self.conns.len() {
            match self.mode {
                Mode::Calls if self.conns[slot].is_none() => self.open(slot)?,
                Mode::Calls => self.send_call(slot)?,
                Mode::Connect if self.started < limit => self.open(slot)?,
                Mode::Connect => {}
            }
        }
        while self.done < limit && !stop.load(Ordering::Relaxed) {
            self.poll
                .poll(&mut self.events, Some(Duration::from_millis(20)))
                .map_err(|e| format!("waiting for readiness: {e}"))?;
            self.ready.clear();
            self.ready.extend(
                self.events
                    .iter()
                    .map(|e| (e.token().0, e.is_readable() || e.is_read_closed() || e.is_error(), e.is_writable())),
            );
            for index in 0..self.ready.len() {
                let (slot, readable, writable) = self.ready[index];
                if writable {
                    self.flush(slot)?;
                }
                if readable {
                    self.receive(slot)?;
                }
            }
        }
        // Calls: what is under way is left to finish before the next run.
        if self.mode == Mode::Calls {
            self.settle()?;
        }
        Ok(())
    }

    /// Waits for the replies still due, sending no new calls.
    fn settle(&mut self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let recording = std::mem::replace(&mut self.recording, false);
        let due = |conns: &[Option<Conn>]| conns.iter().flatten().any(|c| c.phase != Phase::Idle);
        while due(&self.conns) {
            if Instant::now() > deadline {
                return Err("replies still due 10 s after the end".into());
            }
            self.poll
                .poll(&mut self.events, Some(Duration::from_millis(20)))
                .map_err(|e| format!("waiting for readiness: {e}"))?;
            self.ready.clear();
            self.ready.extend(
                self.events
                    .iter()
                    .map(|e| (e.token().0, e.is_readable() || e.is_read_closed() || e.is_error(), e.is_writable())),
            );
            for index in 0..self.ready.len() {
                let (slot, readable, writable) = self.ready[index];
                if writable {
                    self.flush(slot)?;
                }
                if let Some(conn) = self.conns[slot].as_mut().filter(|_| readable) {
                    for message in read_messages(conn, &mut self.buffer)? {
                        match conn.phase {
                            Phase::Handshake => on_connect_reply(conn, &message, &self.plan.object)?,
                            Phase::Call => check_result(conn, &message)?,
                            Phase::Idle => return Err(format!("a message came when none was due: {message:?}")),
                        }
                        conn.phase = Phase::Idle;
                    }
                }
            }
        }
        self.recording = recording;
        Ok(())
    }

    /// Opens slot `slot`'s connection and sends the CONNECT (now, or once connected).
    fn open(&mut self, slot: usize) -> Result<()> {
        let mut stream = TcpStream::connect(self.plan.addr).map_err(|e| format!("connect {}: {e}", self.plan.addr))?;
        self.poll
            .registry()
            .register(&mut stream, Token(slot), Interest::READABLE | Interest::WRITABLE)
            .map_err(|e| format!("registering a connection: {e}"))?;
        let mut conn = Conn {
            stream,
            session: ClientSession::new(self.plan.serializer),
            decoder: MessageDecoder::new(),
            phase: Phase::Handshake,
            pending: Vec::new(),
            started: Instant::now(),
        };
        write_or_keep(&mut conn, &[IoSlice::new(&self.plan.connect)])?;
        self.conns[slot] = Some(conn);
        self.started += 1;
        Ok(())
    }

    /// Sends the next `echo(42)` on slot `slot`.
    fn send_call(&mut self, slot: usize) -> Result<()> {
        let Some(conn) = self.conns[slot].as_mut() else { return Ok(()) };
        // The session gives it the next sequence number.
        conn.session.prepare(&mut self.invoke);
        let (_, payload) = self.invoke.encode_into(&mut self.head, &self.plan.options).map_err(|e| e.to_string())?;
        conn.phase = Phase::Call;
        conn.started = Instant::now();
        write_or_keep(conn, &[IoSlice::new(&self.head), IoSlice::new(&payload)])
    }

    /// Writes what slot `slot` still has to send.
    fn flush(&mut self, slot: usize) -> Result<()> {
        let Some(conn) = self.conns[slot].as_mut() else { return Ok(()) };
        if conn.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut conn.pending);
        write_or_keep(conn, &[IoSlice::new(&pending)])
    }

    /// Reads slot `slot`'s replies and acts on them.
    fn receive(&mut self, slot: usize) -> Result<()> {
        let Some(conn) = self.conns[slot].as_mut() else { return Ok(()) };
        let messages = read_messages(conn, &mut self.buffer)?;
        for message in messages {
            let Some(conn) = self.conns[slot].as_mut() else { return Ok(()) };
            match conn.phase {
                Phase::Handshake => {
                    on_connect_reply(conn, &message, &self.plan.object)?;
                    conn.phase = Phase::Idle;
                    if self.done < self.limit {
                        self.send_call(slot)?;
                    }
                }
                Phase::Idle => return Err(format!("a message came when none was due: {message:?}")),
                Phase::Call => {
                    check_result(conn, &message)?;
                    let latency = u64::try_from(conn.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    if self.recording {
                        self.latencies.push(latency);
                    }
                    self.done += 1;
                    conn.phase = Phase::Idle;
                    match self.mode {
                        Mode::Calls if self.done < self.limit => self.send_call(slot)?,
                        Mode::Calls => {}
                        Mode::Connect => {
                            // Closed (dropping the socket takes it out of the poller too).
                            self.conns[slot] = None;
                            if self.started < self.limit {
                                self.open(slot)?;
                            }
                            return Ok(());
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Interprets the reply to the CONNECT as a proxy does (the metadata decoded).
fn on_connect_reply(conn: &Conn, reply: &Message, location: &str) -> Result<()> {
    conn.session.on_connect_reply(reply, location).map(drop).map_err(|e| format!("handshake: {e}"))
}

/// Checks a reply to `echo(42)`.
fn check_result(conn: &mut Conn, reply: &Message) -> Result<()> {
    conn.session.check_reply(reply).map_err(|e| format!("echo(42): {e}"))?;
    if reply.flags.contains(Flags::EXCEPTION) {
        return Err(format!("echo(42) raised: {:?}", conn.session.decode_result::<Value>("echo", reply)));
    }
    match conn.session.decode_result::<i64>("echo", reply) {
        Ok(42) => Ok(()),
        other => Err(format!("echo(42) returned {other:?}")),
    }
}

/// Reads what the socket has (one read, unless it filled the buffer) and the whole messages.
fn read_messages(conn: &mut Conn, buffer: &mut [u8]) -> Result<Vec<Message>> {
    match read_available(&mut conn.stream, &mut conn.decoder, buffer) {
        Ok(true) => {}
        Ok(false) => return Err("the server closed the connection".into()),
        Err(e) => return Err(format!("read: {e}")),
    }
    let mut messages = Vec::new();
    while let Some(message) = conn.decoder.next_message().map_err(|e| format!("reply: {e}"))? {
        messages.push(message);
    }
    Ok(messages)
}

/// Feeds `decoder` what the socket has now (one read, unless it filled `buffer`); `false` if
/// the peer closed the connection.
pub fn read_available(
    stream: &mut TcpStream,
    decoder: &mut MessageDecoder,
    buffer: &mut [u8],
) -> std::io::Result<bool> {
    loop {
        match stream.read(buffer) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                decoder.feed(buffer.get(..n).unwrap_or_default());
                // Readiness is edge-triggered; a short read emptied the socket, and more
                // data makes a new edge.
                if n < buffer.len() {
                    return Ok(true);
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(true),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Writes `bufs` (with what was pending before them); what the socket does not take waits in
/// `pending` for writability.
fn write_or_keep(conn: &mut Conn, bufs: &[IoSlice<'_>]) -> Result<()> {
    let total: usize = bufs.iter().map(|b| b.len()).sum();
    if !conn.pending.is_empty() {
        for buf in bufs {
            conn.pending.extend_from_slice(buf);
        }
        return Ok(());
    }
    let written = loop {
        match conn.stream.write_vectored(bufs) {
            Ok(n) => break n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Not connected yet, or full: sent on the writable event.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::NotConnected) => break 0,
            Err(e) => return Err(format!("write: {e}")),
        }
    };
    if written < total {
        let mut skip = written;
        for buf in bufs {
            let take = skip.min(buf.len());
            conn.pending.extend_from_slice(buf.get(take..).unwrap_or_default());
            skip -= take;
        }
    }
    Ok(())
}

/// How a load run is shaped.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Calls or connect.
    pub mode: Mode,
    /// Connections (calls) or connection slots (connect), shared out between the threads.
    pub connections: usize,
    /// Driver threads.
    pub threads: usize,
    /// Warm-up calls (or connections) per connection slot.
    pub warmup: u64,
    /// Connect: the connections to open in all (calls run until `stop`).
    pub amount: u64,
}

/// Starts the driver threads of `shape`; each warms up, then all wait at `ready` and `go`,
/// then run (calls: until `stop`). Each thread gives the latencies of its measured part.
pub fn drive(
    plan: &Arc<Plan>,
    shape: Shape,
    stop: &Arc<AtomicBool>,
    ready: &Arc<Barrier>,
    go: &Arc<Barrier>,
) -> Vec<std::thread::JoinHandle<Result<Vec<u64>>>> {
    let Shape { mode, connections, threads, warmup, amount } = shape;
    let drivers = threads.clamp(1, connections.max(1));
    (0..drivers)
        .map(|index| {
            let share = connections / drivers + usize::from(index < connections % drivers);
            let amount = match mode {
                Mode::Calls => u64::MAX,
                Mode::Connect => amount / drivers as u64 + u64::from((index as u64) < amount % drivers as u64),
            };
            let (plan, stop, ready, go) = (Arc::clone(plan), Arc::clone(stop), Arc::clone(ready), Arc::clone(go));
            std::thread::spawn(move || -> Result<Vec<u64>> {
                let not_stopped = AtomicBool::new(false);
                let warm = Driver::new(&plan, mode, share)
                    .and_then(|mut driver| driver.run(warmup * share as u64, &not_stopped, false).map(|()| driver));
                // Every thread reaches both barriers, also after a failure, so none waits forever.
                ready.wait();
                go.wait();
                let mut driver = warm?;
                driver.run(amount, &stop, true)?;
                Ok(std::mem::take(&mut driver.latencies))
            })
        })
        .collect()
}
