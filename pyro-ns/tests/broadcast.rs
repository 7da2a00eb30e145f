//! The broadcast responder: `GET_NSURI` gets the uri back, anything else is ignored, the
//! `0.0.0.0` host is replaced by the interface facing the requester, it stops cleanly; and the
//! startup helper starts it only where Pyro5 does.
#![allow(clippy::unwrap_used)]

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use pyro::Uri;
use pyro_ns::broadcast::{BroadcastResponder, GET_NSURI};
use pyro_ns::{BroadcastStatus, NameServerBuilder};

fn client() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(400))).unwrap();
    socket
}

fn ask(socket: &UdpSocket, to: SocketAddr, request: &[u8]) -> Option<Vec<u8>> {
    socket.send_to(request, to).unwrap();
    let mut reply = [0u8; 200];
    socket.recv_from(&mut reply).ok().map(|(n, _)| reply[..n].to_vec())
}

#[test]
fn answers_get_nsuri_and_ignores_everything_else() {
    let uri: Uri = "PYRO:Pyro.NameServer@127.0.0.1:9999".parse().unwrap();
    let responder = BroadcastResponder::bind(uri, Some("127.0.0.1"), 0).unwrap();
    assert_eq!(responder.location(), responder.local_addr().unwrap().to_string());
    let running = responder.spawn().unwrap();
    let to = running.local_addr();
    let socket = client();
    for ignored in [&b"hello"[..], b"GET_NSURI\n", b"get_nsuri", b"", &[b'G'; 150]] {
        assert_eq!(ask(&socket, to, ignored), None, "{ignored:?}");
    }
    let mut long = GET_NSURI.to_vec();
    long.extend_from_slice(&[b' '; 120]);
    assert_eq!(ask(&socket, to, &long), None, "a request is exactly GET_NSURI");
    assert_eq!(ask(&socket, to, GET_NSURI).as_deref(), Some(&b"PYRO:Pyro.NameServer@127.0.0.1:9999"[..]));
    // Still answering after the junk, from another client too.
    assert_eq!(ask(&client(), to, GET_NSURI).as_deref(), Some(&b"PYRO:Pyro.NameServer@127.0.0.1:9999"[..]));

    let started = Instant::now();
    running.stop();
    assert!(started.elapsed() < Duration::from_millis(400), "stop took {:?}", started.elapsed());
    assert_eq!(ask(&socket, to, GET_NSURI), None, "stopped");
    UdpSocket::bind(to).expect("the port is free again");
}

#[test]
fn any_address_is_replaced_by_the_requesters_interface() {
    let uri: Uri = "PYRO:Pyro.NameServer@0.0.0.0:4321".parse().unwrap();
    let running = BroadcastResponder::bind(uri, None, 0).unwrap().spawn().unwrap();
    let to = SocketAddr::from(([127, 0, 0, 1], running.local_addr().port()));
    assert_eq!(ask(&client(), to, GET_NSURI).as_deref(), Some(&b"PYRO:Pyro.NameServer@127.0.0.1:4321"[..]));
    drop(running); // dropping stops it too
}

#[test]
fn the_startup_helper_starts_it_only_where_pyro5_does() {
    let loopback = NameServerBuilder::new().host("127.0.0.1").port(0).bind().unwrap();
    assert_eq!(*loopback.broadcast(), BroadcastStatus::Loopback);
    let off = NameServerBuilder::new().host("0.0.0.0").port(0).broadcast(false).bind().unwrap();
    assert_eq!(*off.broadcast(), BroadcastStatus::Disabled);
    #[cfg(unix)]
    {
        let path = format!("\0pyro-ns-test-{}", std::process::id());
        let unix = NameServerBuilder::new().unix_socket(path).bind().unwrap();
        assert_eq!(*unix.broadcast(), BroadcastStatus::UnixSocket);
    }
    if let Ok(v6) = NameServerBuilder::new().host("::1").port(0).bind() {
        assert_eq!(*v6.broadcast(), BroadcastStatus::Ipv6);
    }

    let everywhere =
        NameServerBuilder::new().host("0.0.0.0").port(0).broadcast_host("127.0.0.1").broadcast_port(0).start().unwrap();
    let address = everywhere.broadcast_address().unwrap();
    let reply = ask(&client(), address, GET_NSURI).unwrap();
    let port = everywhere.uri().port().unwrap();
    assert_eq!(String::from_utf8(reply).unwrap(), format!("PYRO:Pyro.NameServer@127.0.0.1:{port}"));
    assert_eq!(everywhere.broadcast().to_string(), format!("Broadcast server running on {address}"));
    everywhere.shutdown().unwrap();
    assert_eq!(ask(&client(), address, GET_NSURI), None, "the responder stops with the name server");
}
