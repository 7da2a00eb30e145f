//! [`ConfigError`]: what is wrong with a configuration item, variable or value.

/// A bad configuration item, variable or value. Pyro5 raises `ValueError` for these.
///
/// ```
/// use pyro::config::{Config, ConfigError};
/// let err = Config::default().set("COMPRESSION", "maybe").unwrap_err();
/// assert!(matches!(err, ConfigError::InvalidBool { item: "COMPRESSION", .. }));
/// assert_eq!(err.to_string(), "invalid boolean value: COMPRESSION=maybe");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An environment variable `PYRO_<NAME>` where `NAME` is no configuration item.
    #[error("invalid Pyro environment config variable: {name}")]
    UnknownVariable {
        /// The variable name, e.g. `PYRO_ONEWAY_THREADED`.
        name: String,
    },
    /// A name that is no configuration item.
    #[error("unknown Pyro config item: {item}")]
    UnknownItem {
        /// The name given.
        item: String,
    },
    /// A boolean item set to something other than `0/off/no/false` or `1/yes/on/true`.
    #[error("invalid boolean value: {item}={value}")]
    InvalidBool {
        /// The item.
        item: &'static str,
        /// The text given.
        value: String,
    },
    /// An environment variable with the wrong prefix for its item: `PYRO_` with one of pyro's
    /// [extension items](super::Config::EXTENSION_ITEMS) (which Python's Pyro5 would refuse at
    /// import), or `PYRO5_` with one of Pyro5's.
    #[error(
        "wrong prefix for the environment config variable {name}: set {instead} (pyro's own items use PYRO5_, Pyro5's use PYRO_)"
    )]
    ExtensionVariable {
        /// The variable given, e.g. `PYRO_NS_LOCATIONS`.
        name: String,
        /// The variable to set instead, e.g. `PYRO5_NS_LOCATIONS`.
        instead: String,
    },
    /// An entry of a list of locations (`NS_LOCATIONS`) that does not read as one.
    #[error("invalid Pyro config value: {item} entry {entry:?}: {reason}")]
    InvalidLocation {
        /// The item.
        item: &'static str,
        /// The entry, e.g. `::1:9090`.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value that does not read as the item's type.
    #[error("invalid Pyro config value: {item}={value} (expected {expected})")]
    InvalidValue {
        /// The item.
        item: &'static str,
        /// The text given.
        value: String,
        /// What the item takes, e.g. `"an integer from 0 to 65535"`.
        expected: &'static str,
    },
    /// A value pyro cannot honour yet ([`Config::check_supported`](super::Config::check_supported)), refused rather than ignored.
    #[error("unsupported Pyro config value: {item}={value} ({reason})")]
    Unsupported {
        /// The item.
        item: &'static str,
        /// Its value, as Python's `str(value)` shows it.
        value: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// Items that do not fit together ([`Config::validate`](super::Config::validate)).
    #[error("invalid config {item}: {reason}")]
    Invalid {
        /// The offending item.
        item: &'static str,
        /// What is wrong.
        reason: String,
    },
}
