//! Configuration (PLACEHOLDER: the config helper replaces this file).

/// A bad configuration item.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Placeholder.
    #[error("invalid config")]
    Invalid,
}

/// Placeholder.
#[derive(Clone, Debug, Default)]
pub struct Config;
