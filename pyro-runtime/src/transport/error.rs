//! [`TransportError`]: why moving bytes failed, as a type (never parsed back from text).

use std::io;
use std::time::Duration;

use crate::Error;

/// Why reading or writing a stream failed. Converted into [`Error`] in one place (its `From`
/// impl): [`Closed`](TransportError::Closed) is [`Error::ConnectionClosed`],
/// [`Timeout`](TransportError::Timeout) is [`Error::Timeout`] and [`Io`](TransportError::Io) is
/// [`Error::Communication`].
///
/// ```
/// use std::time::Duration;
/// use pyro::transport::TransportError;
///
/// let timeout = TransportError::Timeout { context: "receiving a reply".into(), after: Some(Duration::from_secs(2)) };
/// let error = pyro::Error::from(timeout);
/// assert_eq!(error.to_string(), "timed out after 2s while receiving a reply");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The peer closed the connection, or it broke (reset, broken pipe).
    #[error("connection closed while {context}")]
    Closed {
        /// What was being done.
        context: String,
    },
    /// The socket timeout expired.
    #[error("timeout while {context}")]
    Timeout {
        /// What was being done.
        context: String,
        /// The timeout in force, when known.
        after: Option<Duration>,
    },
    /// Any other I/O failure.
    #[error("I/O error while {context}")]
    Io {
        /// What was being done.
        context: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

impl TransportError {
    /// Classifies an I/O error: end of stream and resets are [`Closed`](TransportError::Closed),
    /// `WouldBlock`/`TimedOut` (a socket timeout) is [`Timeout`](TransportError::Timeout).
    ///
    /// ```
    /// use pyro::transport::TransportError;
    /// let e = TransportError::from_io(std::io::ErrorKind::UnexpectedEof.into(), "reading", None);
    /// assert!(matches!(e, TransportError::Closed { .. }));
    /// ```
    pub fn from_io(error: io::Error, context: &str, timeout: Option<Duration>) -> TransportError {
        let context = context.to_owned();
        match error.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::WriteZero => TransportError::Closed { context },
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => TransportError::Timeout { context, after: timeout },
            _ => TransportError::Io { context, source: error },
        }
    }
}

impl From<TransportError> for Error {
    fn from(error: TransportError) -> Error {
        match error {
            TransportError::Closed { context } => Error::ConnectionClosed { context },
            TransportError::Timeout { context, after } => Error::Timeout { after: after.unwrap_or_default(), context },
            TransportError::Io { context, source } => {
                Error::Communication { message: format!("I/O error while {context}"), source: Some(source) }
            }
        }
    }
}

/// Why [`MessageStream`](super::MessageStream) could not move a message: the transport failed,
/// or the bytes were not a valid Pyro5 message. Converts into [`Error`].
///
/// ```
/// use pyro::protocol::ProtocolError;
/// use pyro::transport::StreamError;
/// let error = pyro::Error::from(StreamError::Protocol(ProtocolError::DecoderFailed));
/// assert!(matches!(error, pyro::Error::Protocol(_)));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The transport failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// Invalid bytes, or a message that cannot be encoded (too large).
    #[error(transparent)]
    Protocol(#[from] crate::protocol::ProtocolError),
}

impl From<StreamError> for Error {
    fn from(error: StreamError) -> Error {
        match error {
            StreamError::Transport(e) => e.into(),
            StreamError::Protocol(e) => Error::Protocol(e),
        }
    }
}
