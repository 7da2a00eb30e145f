//! Pyro URIs (PLACEHOLDER: the uri helper replaces this file).

/// A malformed URI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    /// Placeholder.
    #[error("invalid uri")]
    Invalid,
}

/// Placeholder.
#[derive(Clone, Debug)]
pub struct Uri;
