//! The Pyro5 wire protocol (PLACEHOLDER: the protocol helper replaces this file).

/// A message on the wire was not valid Pyro5.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// Placeholder.
    #[error("invalid data")]
    InvalidData,
}
