//! `SERVERTYPE`: which socket server a daemon runs.

use std::fmt;
use std::str::FromStr;

use super::ConfigError;

/// SERVERTYPE: the daemon's socket server.
///
/// ```
/// use pyro::config::ServerType;
/// assert_eq!("multiplex".parse::<ServerType>().unwrap(), ServerType::Multiplex);
/// assert_eq!(ServerType::Thread.to_string(), "thread");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ServerType {
    /// `"thread"`: a pool of worker threads, one per connection.
    #[default]
    Thread,
    /// `"multiplex"`: one thread waiting on all connections, calls run on `THREADPOOL_SIZE`
    /// workers (see [`EventLoop`](crate::daemon::EventLoop); Unix only, elsewhere the
    /// daemon uses the thread server).
    Multiplex,
}

impl ServerType {
    /// The name Pyro5 uses: `"thread"` or `"multiplex"`.
    ///
    /// ```
    /// assert_eq!(pyro::config::ServerType::Multiplex.as_str(), "multiplex");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ServerType::Thread => "thread",
            ServerType::Multiplex => "multiplex",
        }
    }
}

impl fmt::Display for ServerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ServerType {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<ServerType, ConfigError> {
        match text {
            "thread" => Ok(ServerType::Thread),
            "multiplex" => Ok(ServerType::Multiplex),
            _ => Err(ConfigError::InvalidValue {
                item: "SERVERTYPE",
                value: text.to_owned(),
                expected: "thread or multiplex",
            }),
        }
    }
}
