//! The server-types section's floor (`bench server-floor`): what this machine's loopback TCP
//! allows at all, measured with the same client as the real servers.
//!
//! It is no Pyro server: one thread, one `mio` readiness loop, pyro's framing (the
//! [`MessageDecoder`] in, a header encoded per reply out) and nothing above it: no session, no
//! dispatch, no serializer. Every CONNECT gets the same CONNECTOK and every INVOKE the same
//! RESULT, both captured once at start-up from a real pyro daemon answering the load client's
//! own requests, with the request's sequence number put in. What a real server spends above
//! this is the cost of being one; a rate target above the floor's cannot be met by any server on
//! the machine, whatever it does above the framing.

use std::io::{ErrorKind, IoSlice, Write};
use std::net::TcpStream as StdTcpStream;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use pyro::protocol::{EncodeOptions, Message, MessageDecoder, MessageType};
use pyro::transport::MessageStream;
use pyro::{Daemon, Uri};

use crate::Result;
use crate::echo::{Echo, OBJECT_ID};
use crate::load::Plan;

/// The listener's token (connections are numbered from 0).
const LISTENER: Token = Token(usize::MAX);

/// How much one read takes at most.
const READ_BUFFER: usize = 64 * 1024;

/// The two replies, captured from a real daemon.
struct Replies {
    connect_ok: Message,
    result: Message,
}

impl Replies {
    /// Runs an in-process pyro daemon serving [`Echo`], sends it the load client's CONNECT and
    /// `echo(42)`, and keeps its answers.
    fn capture() -> Result<Replies> {
        let daemon = Daemon::bind("127.0.0.1", 0).map_err(|e| format!("in-process daemon: {e}"))?;
        let uri = daemon.register(Echo::default(), Some(OBJECT_ID)).map_err(|e| format!("registering echo: {e}"))?;
        let addr = daemon.local_addr().ok_or("the in-process daemon has no TCP address")?;
        let shutdown = daemon.shutdown_handle();
        let server = std::thread::spawn(move || daemon.request_loop());
        let replies = Replies::ask(addr, &uri);
        shutdown.shutdown();
        server.join().map_err(|_| "the in-process daemon panicked")?.map_err(|e| e.to_string())?;
        replies
    }

    fn ask(addr: std::net::SocketAddr, uri: &Uri) -> Result<Replies> {
        let plan = Plan::new(uri)?;
        let socket = StdTcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
        let mut stream = MessageStream::new(socket, EncodeOptions::default());
        let mut exchange = |request: &[u8], what: &str, expected: MessageType| -> Result<Message> {
            stream.get_mut().write_all(request).map_err(|e| format!("sending the {what}: {e}"))?;
            let reply = stream.receive(what).map_err(|e| format!("the reply to the {what}: {e}"))?;
            if reply.msg_type != expected {
                return Err(format!("the {what} got a {:?}, not a {expected:?}", reply.msg_type));
            }
            Ok(reply)
        };
        let connect_ok = exchange(plan.connect_bytes(), "CONNECT", MessageType::ConnectOk)?;
        let result = exchange(&plan.invoke_bytes(1)?, "echo(42)", MessageType::Result)?;
        Ok(Replies { connect_ok, result })
    }
}

/// One client connection.
struct Conn {
    stream: TcpStream,
    decoder: MessageDecoder,
    /// Replies the socket did not take yet.
    pending: Vec<u8>,
}

/// `server-floor`: prints a `PYRO:echo@127.0.0.1:<port>` URI and answers until killed.
pub fn server_floor(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        return Err(format!("server-floor takes no arguments, got {args:?}"));
    }
    let mut replies = Replies::capture()?;
    let options = EncodeOptions::default();
    let mut listener =
        TcpListener::bind("127.0.0.1:0".parse().map_err(|e| format!("{e}"))?).map_err(|e| format!("bind: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let mut poll = Poll::new().map_err(|e| format!("creating the poller: {e}"))?;
    poll.registry().register(&mut listener, LISTENER, Interest::READABLE).map_err(|e| format!("register: {e}"))?;
    println!("PYRO:{OBJECT_ID}@127.0.0.1:{port}");
    let mut events = Events::with_capacity(1024);
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let (mut buffer, mut head, mut output) = (vec![0u8; READ_BUFFER], Vec::with_capacity(64), Vec::new());
    loop {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("waiting for readiness: {e}")),
        }
        for event in &events {
            if event.token() == LISTENER {
                accept_all(&listener, &poll, &mut conns, &mut free)?;
                continue;
            }
            let slot = event.token().0;
            let Some(conn) = conns.get_mut(slot).and_then(Option::as_mut) else { continue };
            let open = if event.is_writable() && !conn.pending.is_empty() { flush(conn) } else { true };
            let open = open
                && (!(event.is_readable() || event.is_read_closed())
                    || serve(conn, &mut replies, &options, &mut buffer, &mut head, &mut output));
            if !open {
                if let Some(mut conn) = conns.get_mut(slot).and_then(Option::take) {
                    let _ = poll.registry().deregister(&mut conn.stream);
                }
                free.push(slot);
            }
        }
    }
}

/// Accepts every connection waiting.
fn accept_all(listener: &TcpListener, poll: &Poll, conns: &mut Vec<Option<Conn>>, free: &mut Vec<usize>) -> Result<()> {
    loop {
        let mut stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            // Out of descriptors or a connection reset before it was taken: not the floor's
            // concern; the client sees its own error.
            Err(_) => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        let slot = free.pop().unwrap_or_else(|| {
            conns.push(None);
            conns.len() - 1
        });
        poll.registry()
            .register(&mut stream, Token(slot), Interest::READABLE | Interest::WRITABLE)
            .map_err(|e| format!("registering a connection: {e}"))?;
        if let Some(entry) = conns.get_mut(slot) {
            *entry = Some(Conn { stream, decoder: MessageDecoder::new(), pending: Vec::new() });
        }
    }
}

/// Reads what came, answers every whole request with one write; `false` once the connection is
/// to be dropped (closed by the client, an I/O error, a request that is neither CONNECT nor
/// INVOKE).
fn serve(
    conn: &mut Conn,
    replies: &mut Replies,
    options: &EncodeOptions,
    buffer: &mut [u8],
    head: &mut Vec<u8>,
    output: &mut Vec<u8>,
) -> bool {
    if !matches!(crate::load::read_available(&mut conn.stream, &mut conn.decoder, buffer), Ok(true)) {
        return false;
    }
    output.clear();
    loop {
        let request = match conn.decoder.next_message() {
            Ok(Some(request)) => request,
            Ok(None) => break,
            Err(_) => return false,
        };
        let reply = match request.msg_type {
            MessageType::Connect => &mut replies.connect_ok,
            MessageType::Invoke => &mut replies.result,
            _ => return false,
        };
        reply.seq = request.seq;
        head.clear();
        let Ok((_, payload)) = reply.encode_into(head, options) else { return false };
        output.extend_from_slice(head);
        output.extend_from_slice(&payload);
    }
    if output.is_empty() {
        return true;
    }
    if !conn.pending.is_empty() {
        conn.pending.extend_from_slice(output);
        return true;
    }
    match write_some(&mut conn.stream, output) {
        Some(written) => {
            conn.pending.extend_from_slice(output.get(written..).unwrap_or_default());
            true
        }
        None => false,
    }
}

/// Writes what waited for writability; `false` on an error.
fn flush(conn: &mut Conn) -> bool {
    let pending = std::mem::take(&mut conn.pending);
    match write_some(&mut conn.stream, &pending) {
        Some(written) => {
            conn.pending = pending.get(written..).unwrap_or_default().to_vec();
            true
        }
        None => false,
    }
}

/// Writes as much of `bytes` as the socket takes now; `None` on an error.
fn write_some(stream: &mut TcpStream, bytes: &[u8]) -> Option<usize> {
    let mut written = 0;
    while written < bytes.len() {
        match stream.write_vectored(&[IoSlice::new(bytes.get(written..).unwrap_or_default())]) {
            Ok(0) => return None,
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(written)
}
