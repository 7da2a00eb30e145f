//! TLS (Pyro5's `SSL` settings) with rustls and the ring provider: [`TlsServer`] and
//! [`TlsClient`] are built from a [`Config`] as Pyro5 builds its SSL contexts, and wrap TCP
//! sockets in a [`TlsStream`] after the TLS handshake.
//!
//! As in Pyro5: a server presents `SSL_SERVERCERT` (its key in `SSL_SERVERKEY`, or in the
//! certificate file when that is empty) and asks for a client certificate only with
//! `SSL_REQUIRECLIENTCERT`, verified against `SSL_CACERTS` (a file or a directory of PEM files;
//! the system's trusted certificates when empty). A client always verifies the server's
//! certificate, and the host name of the URI against it, with the same CA rules, and presents
//! `SSL_CLIENTCERT`/`SSL_CLIENTKEY` when set. Pyro5 has no separate URI scheme for TLS: `SSL`
//! decides for every connection. Encrypted private keys (`SSL_*KEYPASSWD`) are refused with
//! [`Error::Tls`]: rustls reads only unencrypted PEM keys.

use std::fs;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection, StreamOwned};

use crate::{Config, Error};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_error(message: impl Into<String>) -> Error {
    Error::Tls { message: message.into() }
}

fn path_text(path: &Path) -> String {
    path.display().to_string()
}

/// The PEM certificates in `path`, in file order.
fn load_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    if !path.is_file() {
        return Err(tls_error(format!("{what} file not found: {}", path_text(path))));
    }
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| tls_error(format!("cannot read the {what} {}: {e}", path_text(path))))?;
    if certs.is_empty() {
        return Err(tls_error(format!("no PEM certificate in the {what} {}", path_text(path))));
    }
    Ok(certs)
}

/// The private key in `key` (or, if `None`, in the certificate file `cert`); refuses a
/// password (rustls reads no encrypted keys) and an encrypted key.
fn load_key(
    key: Option<&Path>,
    cert: &Path,
    password: Option<&KeyPasswordRef<'_>>,
) -> Result<PrivateKeyDer<'static>, Error> {
    let path = key.unwrap_or(cert);
    if let Some(password) = password
        && !password.0.is_empty()
    {
        return Err(tls_error(format!(
            "{} is set, but encrypted private keys are not supported: use an unencrypted key",
            password.1
        )));
    }
    if key.is_some() && !path.is_file() {
        return Err(tls_error(format!("private key file not found: {}", path_text(path))));
    }
    let text =
        fs::read(path).map_err(|e| tls_error(format!("cannot read the private key {}: {e}", path_text(path))))?;
    if memchr::memmem::find(&text, b"ENCRYPTED").is_some() {
        return Err(tls_error(format!(
            "the private key in {} is encrypted, which is not supported: use an unencrypted key",
            path_text(path)
        )));
    }
    PrivateKeyDer::from_pem_slice(&text)
        .map_err(|e| tls_error(format!("no usable PEM private key in {}: {e}", path_text(path))))
}

/// A key password and the name of its setting.
struct KeyPasswordRef<'a>(&'a str, &'static str);

/// The CA certificates to verify peers with: `SSL_CACERTS` (a PEM file, or every PEM file in a
/// directory), or the system's trusted certificates when it is empty.
fn root_store(ca_certs: Option<&PathBuf>) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    let certs = match ca_certs {
        Some(path) if path.is_dir() => {
            let entries = fs::read_dir(path)
                .map_err(|e| tls_error(format!("cannot list the CA directory {}: {e}", path_text(path))))?;
            let mut certs = Vec::new();
            for entry in entries.flatten() {
                let file = entry.path();
                if file.is_file()
                    && let Ok(found) =
                        CertificateDer::pem_file_iter(&file).and_then(|i| i.collect::<Result<Vec<_>, _>>())
                {
                    certs.extend(found);
                }
            }
            certs
        }
        Some(path) => load_certs(path, "CA certificates")?,
        None => rustls_native_certs::load_native_certs().certs,
    };
    for cert in certs {
        roots.add(cert).map_err(|e| tls_error(format!("invalid CA certificate: {e}")))?;
    }
    if roots.is_empty() {
        return Err(tls_error(match ca_certs {
            Some(path) => format!("no CA certificate found in {}", path_text(path)),
            None => "SSL_CACERTS is empty and the system has no trusted CA certificates".to_owned(),
        }));
    }
    Ok(roots)
}

/// The server side of TLS (Pyro5's server SSL context), shared by a daemon's connections.
///
/// ```no_run
/// use pyro::transport::TlsServer;
/// let config = pyro::Config {
///     ssl: true,
///     ssl_server_cert: Some("server.crt".into()),
///     ssl_server_key: Some("server.key".into()),
///     ..Default::default()
/// };
/// let tls = TlsServer::from_config(&config)?;
/// # Ok::<(), pyro::Error>(())
/// ```
#[derive(Clone)]
pub struct TlsServer {
    config: Arc<ServerConfig>,
}

impl TlsServer {
    /// Builds the server context from the `SSL_SERVER*`, `SSL_REQUIRECLIENTCERT` and
    /// `SSL_CACERTS` settings (whether `SSL` is on is the caller's business). Missing or
    /// unreadable files, a key password and invalid certificates are [`Error::Tls`].
    ///
    /// See [`TlsServer`] for an example.
    pub fn from_config(config: &Config) -> Result<TlsServer, Error> {
        let cert_path =
            config.ssl_server_cert.as_deref().ok_or_else(|| tls_error("SSL is on but SSL_SERVERCERT is empty"))?;
        let certs = load_certs(cert_path, "server certificate")?;
        let password =
            config.ssl_server_key_password.as_ref().map(|p| KeyPasswordRef(p.expose(), "SSL_SERVERKEYPASSWD"));
        let key = load_key(config.ssl_server_key.as_deref(), cert_path, password.as_ref())?;
        let builder = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(format!("TLS setup: {e}")))?;
        let builder = if config.ssl_require_client_cert {
            let roots = Arc::new(root_store(config.ssl_ca_certs.as_ref())?);
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(roots, provider())
                .build()
                .map_err(|e| tls_error(format!("client certificate verifier: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let server = builder
            .with_single_cert(certs, key)
            .map_err(|e| tls_error(format!("server certificate {}: {e}", path_text(cert_path))))?;
        Ok(TlsServer { config: Arc::new(server) })
    }

    /// Performs the server side of the TLS handshake on an accepted `tcp` socket (whose
    /// timeout applies). A client that does not speak TLS, or (with `SSL_REQUIRECLIENTCERT`)
    /// presents no valid certificate, fails the handshake.
    ///
    /// ```no_run
    /// # fn demo(tls: &pyro::transport::TlsServer, tcp: std::net::TcpStream) -> std::io::Result<()> {
    /// let stream = tls.accept(tcp)?;
    /// println!("client presented {} certificates", stream.peer_certificates().len());
    /// # Ok(()) }
    /// ```
    pub fn accept(&self, mut tcp: TcpStream) -> io::Result<TlsStream> {
        let mut conn = ServerConnection::new(Arc::clone(&self.config)).map_err(io::Error::other)?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)?;
        }
        Ok(TlsStream::Server(Box::new(StreamOwned::new(conn, tcp))))
    }

    /// A new server-side TLS session, for a driver that does the handshake itself on a
    /// non-blocking socket (the multiplexed server).
    pub(crate) fn session(&self) -> io::Result<ServerConnection> {
        ServerConnection::new(Arc::clone(&self.config)).map_err(io::Error::other)
    }

    /// The rustls configuration (for the async daemon's tokio-rustls acceptor).
    #[cfg(feature = "tokio")]
    pub(crate) fn rustls_config(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.config)
    }
}

impl std::fmt::Debug for TlsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsServer").finish_non_exhaustive()
    }
}

/// The client side of TLS (Pyro5's client SSL context), shared by a proxy's connections.
///
/// ```no_run
/// use pyro::transport::TlsClient;
/// let config = pyro::Config { ssl: true, ssl_ca_certs: Some("ca.crt".into()), ..Default::default() };
/// let tls = TlsClient::from_config(&config)?;
/// # Ok::<(), pyro::Error>(())
/// ```
#[derive(Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
}

impl TlsClient {
    /// Builds the client context from `SSL_CACERTS` and `SSL_CLIENT*`. Missing or unreadable
    /// files, a key password and invalid certificates are [`Error::Tls`].
    ///
    /// See [`TlsClient`] for an example.
    pub fn from_config(config: &Config) -> Result<TlsClient, Error> {
        let roots = root_store(config.ssl_ca_certs.as_ref())?;
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(format!("TLS setup: {e}")))?
            .with_root_certificates(roots);
        let client = match config.ssl_client_cert.as_deref() {
            Some(cert_path) => {
                let certs = load_certs(cert_path, "client certificate")?;
                let password =
                    config.ssl_client_key_password.as_ref().map(|p| KeyPasswordRef(p.expose(), "SSL_CLIENTKEYPASSWD"));
                let key = load_key(config.ssl_client_key.as_deref(), cert_path, password.as_ref())?;
                builder
                    .with_client_auth_cert(certs, key)
                    .map_err(|e| tls_error(format!("client certificate {}: {e}", path_text(cert_path))))?
            }
            None => builder.with_no_client_auth(),
        };
        Ok(TlsClient { config: Arc::new(client) })
    }

    /// Performs the client side of the TLS handshake with `host` on the connected `tcp`
    /// socket (whose timeout applies), verifying the server's certificate and that it is
    /// valid for `host` (a DNS name or an IP address, as in the URI). Failures (a server that
    /// does not speak TLS, an untrusted or mismatching certificate) are [`Error::Tls`].
    ///
    /// ```no_run
    /// # fn demo(tls: &pyro::transport::TlsClient) -> Result<(), pyro::Error> {
    /// let tcp = std::net::TcpStream::connect("localhost:9090").unwrap();
    /// let stream = tls.connect("localhost", tcp)?;
    /// assert!(!stream.peer_certificates().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn connect(&self, host: &str, mut tcp: TcpStream) -> Result<TlsStream, Error> {
        let name = server_name(host)?;
        let mut conn = ClientConnection::new(Arc::clone(&self.config), name)
            .map_err(|e| tls_error(format!("TLS setup for {host}: {e}")))?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp).map_err(|e| tls_error(format!("TLS handshake with {host} failed: {e}")))?;
        }
        Ok(TlsStream::Client(Box::new(StreamOwned::new(conn, tcp))))
    }
}

impl TlsClient {
    /// The rustls client configuration (for the async transport, which does the handshake
    /// through tokio-rustls with the same configuration).
    #[cfg(feature = "tokio")]
    pub(crate) fn rustls_config(&self) -> Arc<ClientConfig> {
        Arc::clone(&self.config)
    }
}

/// The name a server's certificate must be valid for: `host` as in the URI (a DNS name or an
/// IP address, brackets and an IPv6 zone left out).
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, Error> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let bare = bare.split('%').next().unwrap_or(bare);
    ServerName::try_from(bare.to_owned()).map_err(|e| tls_error(format!("{host} is no valid TLS server name: {e}")))
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient").finish_non_exhaustive()
    }
}

/// A TCP connection after its TLS handshake, server or client side.
///
/// See [`TlsServer::accept`] and [`TlsClient::connect`] for examples.
pub enum TlsStream {
    /// The daemon's side.
    Server(Box<StreamOwned<ServerConnection, TcpStream>>),
    /// The proxy's side.
    Client(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl TlsStream {
    /// The underlying TCP socket.
    ///
    /// See [`TlsStream::peer_certificates`] for an example.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            TlsStream::Server(s) => s.get_ref(),
            TlsStream::Client(s) => s.get_ref(),
        }
    }

    /// The peer's certificate chain, DER encoded, its own certificate first (Pyro5's
    /// `conn.getpeercert()`); empty when the peer presented none (a client of a daemon without
    /// `SSL_REQUIRECLIENTCERT`).
    ///
    /// ```no_run
    /// # fn demo(stream: &pyro::transport::TlsStream) {
    /// let chain = stream.peer_certificates();
    /// println!("{} certificates from {:?}", chain.len(), stream.tcp().peer_addr());
    /// # }
    /// ```
    pub fn peer_certificates(&self) -> Vec<Vec<u8>> {
        let chain = match self {
            TlsStream::Server(s) => s.conn.peer_certificates(),
            TlsStream::Client(s) => s.conn.peer_certificates(),
        };
        chain.map(|c| c.iter().map(|cert| cert.as_ref().to_vec()).collect()).unwrap_or_default()
    }
}

impl Drop for TlsStream {
    /// Ends the TLS session politely (a `close_notify` alert, so that the peer sees a clean end
    /// rather than a truncation), without ever blocking: the socket is made non-blocking first
    /// and a failed write is ignored.
    fn drop(&mut self) {
        match self {
            TlsStream::Server(s) => {
                let StreamOwned { conn, sock } = &mut **s;
                conn.send_close_notify();
                if sock.set_nonblocking(true).is_ok() {
                    let _ = conn.write_tls(sock);
                }
            }
            TlsStream::Client(s) => {
                let StreamOwned { conn, sock } = &mut **s;
                conn.send_close_notify();
                if sock.set_nonblocking(true).is_ok() {
                    let _ = conn.write_tls(sock);
                }
            }
        }
    }
}

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let side = match self {
            TlsStream::Server(_) => "server",
            TlsStream::Client(_) => "client",
        };
        f.debug_struct("TlsStream").field("side", &side).field("tcp", self.tcp()).finish()
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            TlsStream::Server(s) => s.read(buf),
            TlsStream::Client(s) => s.read(buf),
        }
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            TlsStream::Server(s) => s.write(buf),
            TlsStream::Client(s) => s.write(buf),
        }
    }

    /// All of `bufs` in as few TLS records as they fit: rustls's `StreamOwned` has no vectored
    /// write of its own (the default one takes the first buffer only), so a message's header and
    /// payload went out as two records in two TCP segments, and on a socket without
    /// `TCP_NODELAY` the second waited for the peer's delayed ACK (about 40 ms a call).
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match self {
            TlsStream::Server(s) => rustls::Stream::new(&mut s.conn, &mut s.sock).write_vectored(bufs),
            TlsStream::Client(s) => rustls::Stream::new(&mut s.conn, &mut s.sock).write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            TlsStream::Server(s) => s.flush(),
            TlsStream::Client(s) => s.flush(),
        }
    }
}
