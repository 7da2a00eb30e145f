//! The accept loop: the daemon's listening socket as a tokio listener, one task per client.

use std::sync::Arc;
use std::time::Duration;

use super::{Shared, connection};
use crate::Error;
use crate::daemon::{Endpoint, Inner};
use crate::transport::{Listener, Socket};

/// The daemon's listener, registered with the runtime.
pub(super) enum Acceptor {
    Tcp(tokio::net::TcpListener),
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
}

impl Acceptor {
    /// A tokio listener on (a duplicate of) the daemon's listening socket.
    pub(super) fn new(inner: &Inner) -> Result<Acceptor, Error> {
        let listening = |source: std::io::Error| Error::Communication {
            message: format!("serving the daemon on {} asynchronously", inner.location),
            source: Some(source),
        };
        let listener = match &inner.endpoint {
            Endpoint::Listener(listener) => listener,
            Endpoint::Connected(_) => {
                return Err(Error::Daemon {
                    message: "the async daemon serves a listening socket, not a connected one".into(),
                });
            }
        };
        match listener {
            Listener::Tcp(tcp) => {
                let tcp = tcp.try_clone().map_err(listening)?;
                tcp.set_nonblocking(true).map_err(listening)?;
                Ok(Acceptor::Tcp(tokio::net::TcpListener::from_std(tcp).map_err(listening)?))
            }
            #[cfg(unix)]
            Listener::Unix(unix, _) => {
                let unix = unix.try_clone().map_err(listening)?;
                unix.set_nonblocking(true).map_err(listening)?;
                Ok(Acceptor::Unix(tokio::net::UnixListener::from_std(unix).map_err(listening)?))
            }
        }
    }

    /// Accepts clients until the daemon shuts down (its shutdown connects to the listener to
    /// wake this loop, as for the blocking server).
    pub(super) async fn run(&self, shared: &Arc<Shared>) -> Result<(), Error> {
        let inner = &shared.inner;
        while !inner.is_shutting_down() {
            let accepted = match self {
                Acceptor::Tcp(listener) => listener.accept().await.map(|(tcp, _)| Accepted::Tcp(tcp)),
                #[cfg(unix)]
                Acceptor::Unix(listener) => listener.accept().await.map(|(unix, _)| Accepted::Unix(unix)),
            };
            let accepted = match accepted {
                Ok(accepted) => accepted,
                Err(_) if inner.is_shutting_down() => break,
                Err(error) if is_transient(&error) => {
                    // e.g. out of file descriptors, or the client gave up: try again shortly.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
                Err(error) => {
                    return Err(Error::Communication {
                        message: format!("accepting connections on {}", inner.location),
                        source: Some(error),
                    });
                }
            };
            if inner.is_shutting_down() {
                break;
            }
            match accepted {
                Accepted::Tcp(tcp) => {
                    if inner.config.sock_nodelay {
                        let _ = tcp.set_nodelay(true);
                    }
                    // A handle to shut the socket down with, for the daemon's shutdown.
                    let Ok((tcp, handle)) = with_handle(tcp) else { continue };
                    tokio::spawn(connection::serve_tcp(Arc::clone(shared), tcp, handle));
                }
                #[cfg(unix)]
                Accepted::Unix(unix) => {
                    let Ok((unix, handle)) = with_unix_handle(unix) else { continue };
                    tokio::spawn(connection::serve_plain(Arc::clone(shared), unix, None, handle));
                }
            }
        }
        Ok(())
    }
}

enum Accepted {
    Tcp(tokio::net::TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

/// The stream and a duplicate of its socket as a [`Socket`], which the daemon's shutdown shuts
/// down (the task then reads the end of the stream).
fn with_handle(tcp: tokio::net::TcpStream) -> std::io::Result<(tokio::net::TcpStream, Socket)> {
    let std = tcp.into_std()?;
    let handle = std.try_clone()?;
    Ok((tokio::net::TcpStream::from_std(std)?, Socket::Tcp(handle)))
}

#[cfg(unix)]
fn with_unix_handle(unix: tokio::net::UnixStream) -> std::io::Result<(tokio::net::UnixStream, Socket)> {
    let std = unix.into_std()?;
    let handle = std.try_clone()?;
    Ok((tokio::net::UnixStream::from_std(std)?, Socket::Unix(handle)))
}

fn is_transient(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted | ErrorKind::WouldBlock
    ) || error.raw_os_error().is_some_and(|code| code == 23 || code == 24) // ENFILE, EMFILE
}
