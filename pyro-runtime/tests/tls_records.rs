//! A TLS stream writes all the buffers of a vectored write at once (a message's header and
//! payload in one go), so that they are not sent as separate TCP segments, the second held
//! back by Nagle's algorithm until the peer's delayed ACK.
#![allow(clippy::unwrap_used)]

use std::io::{IoSlice, Read, Write};
use std::net::{TcpListener, TcpStream};

use pyro_runtime::Config;
use pyro_runtime::transport::{TlsClient, TlsServer};

#[test]
fn a_vectored_write_takes_every_buffer() {
    let certs = pyro_interop::TestCerts::new("tls-records");
    let server_config = Config {
        ssl: true,
        ssl_server_cert: Some(certs.server.cert.clone()),
        ssl_server_key: Some(certs.server.key.clone()),
        ..Config::default()
    };
    let client_config = Config { ssl: true, ssl_ca_certs: Some(certs.ca.clone()), ..Config::default() };
    let server = TlsServer::from_config(&server_config).unwrap();
    let client = TlsClient::from_config(&client_config).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let serving = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let mut stream = server.accept(tcp).unwrap();
        let mut received = [0u8; 11];
        stream.read_exact(&mut received).unwrap();
        // And back, from the server's side.
        let written = stream.write_vectored(&[IoSlice::new(b"RESULT"), IoSlice::new(b"-data")]).unwrap();
        stream.flush().unwrap();
        (received, written)
    });
    let mut stream = client.connect("127.0.0.1", TcpStream::connect(addr).unwrap()).unwrap();
    let written = stream.write_vectored(&[IoSlice::new(b"head"), IoSlice::new(b""), IoSlice::new(b"payload")]).unwrap();
    assert_eq!(written, 11, "the vectored write took only part of the buffers");
    stream.flush().unwrap();
    let mut reply = [0u8; 11];
    stream.read_exact(&mut reply).unwrap();
    let (received, server_written) = serving.join().unwrap();
    assert_eq!(&received, b"headpayload");
    assert_eq!(server_written, 11);
    assert_eq!(&reply, b"RESULT-data");
}
