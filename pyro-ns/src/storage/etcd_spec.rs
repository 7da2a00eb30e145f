//! [`EtcdSpec`]: which etcd cluster and key prefix an [`EtcdStorage`](super::EtcdStorage) uses,
//! parsed from `etcd:ENDPOINTS[/PREFIX]`.

use std::fmt;
use std::str::FromStr;

use crate::StorageError;

/// The key prefix used when the spec names none.
///
/// ```
/// assert_eq!(pyro_ns::storage::DEFAULT_ETCD_PREFIX, "pyro-ns/");
/// ```
pub const DEFAULT_ETCD_PREFIX: &str = "pyro-ns/";

/// An etcd cluster and the key prefix of one name space, as `pyro-ns -s` takes it:
/// `etcd:HOST:PORT[,HOST:PORT...][/PREFIX]`, the client endpoints (plain HTTP) of the members of
/// **one** cluster, then optionally the prefix under which the name space's keys live (default
/// [`DEFAULT_ETCD_PREFIX`]; a `/` is added at its end if missing). Name servers given the same
/// cluster and prefix share one name space; another prefix is another name space. IPv6 hosts
/// are written in brackets (`[::1]:2379`).
///
/// ```
/// use pyro_ns::storage::EtcdSpec;
/// let spec: EtcdSpec = "etcd:127.0.0.1:2379,127.0.0.1:22379/lab".parse()?;
/// assert_eq!(spec.endpoints, ["127.0.0.1:2379", "127.0.0.1:22379"]);
/// assert_eq!(spec.prefix, "lab/");
/// assert_eq!(spec.to_string(), "etcd:127.0.0.1:2379,127.0.0.1:22379/lab/");
/// assert!("etcd:".parse::<EtcdSpec>().is_err());
/// assert!("etcd:localhost".parse::<EtcdSpec>().is_err()); // no port
/// # Ok::<(), pyro_ns::StorageError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtcdSpec {
    /// The members' client endpoints, `host:port`.
    pub endpoints: Vec<String>,
    /// The key prefix, ending with `/`.
    pub prefix: String,
}

impl EtcdSpec {
    /// The cluster at `endpoints` with the default prefix.
    ///
    /// ```
    /// let spec = pyro_ns::storage::EtcdSpec::new(["127.0.0.1:2379"]);
    /// assert_eq!(spec.to_string(), "etcd:127.0.0.1:2379/pyro-ns/");
    /// ```
    pub fn new<T: Into<String>>(endpoints: impl IntoIterator<Item = T>) -> EtcdSpec {
        EtcdSpec { endpoints: endpoints.into_iter().map(Into::into).collect(), prefix: DEFAULT_ETCD_PREFIX.to_owned() }
    }

    /// The same cluster with the name space under `prefix` (a `/` is added at its end if missing).
    ///
    /// ```
    /// let spec = pyro_ns::storage::EtcdSpec::new(["127.0.0.1:2379"]).with_prefix("test-1");
    /// assert_eq!(spec.prefix, "test-1/");
    /// ```
    pub fn with_prefix(mut self, prefix: &str) -> EtcdSpec {
        self.prefix = normalized_prefix(prefix);
        self
    }
}

fn normalized_prefix(prefix: &str) -> String {
    if prefix.ends_with('/') { prefix.to_owned() } else { format!("{prefix}/") }
}

fn invalid(spec: &str, reason: impl Into<String>) -> StorageError {
    StorageError::InvalidEtcdSpec { spec: spec.to_owned(), reason: reason.into() }
}

/// Checks one `host:port` endpoint.
fn check_endpoint(spec: &str, endpoint: &str) -> Result<(), StorageError> {
    let (host, port) = match endpoint.strip_prefix('[') {
        Some(rest) => match rest.split_once("]:") {
            Some((host, port)) => (host, port),
            None => return Err(invalid(spec, format!("endpoint '{endpoint}': expected [ipv6]:port"))),
        },
        None => match endpoint.rsplit_once(':') {
            Some((host, _)) if host.contains(':') => {
                return Err(invalid(spec, format!("endpoint '{endpoint}': write IPv6 addresses as [address]:port")));
            }
            Some(parts) => parts,
            None => return Err(invalid(spec, format!("endpoint '{endpoint}' has no port (host:port)"))),
        },
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '/' || c == '@') {
        return Err(invalid(spec, format!("endpoint '{endpoint}' has no valid host")));
    }
    match port.parse::<u16>() {
        Ok(port) if port > 0 => Ok(()),
        _ => Err(invalid(spec, format!("endpoint '{endpoint}': '{port}' is not a port number (1-65535)"))),
    }
}

impl FromStr for EtcdSpec {
    type Err = StorageError;

    fn from_str(text: &str) -> Result<EtcdSpec, StorageError> {
        let Some(rest) = text.strip_prefix("etcd:") else {
            return Err(invalid(text, "it does not start with 'etcd:'"));
        };
        if rest.contains("://") {
            return Err(invalid(text, "give endpoints as host:port, without a scheme such as http://"));
        }
        let (endpoints, prefix) = match rest.split_once('/') {
            Some((_, "")) => return Err(invalid(text, "the prefix after '/' is empty")),
            Some((endpoints, prefix)) => (endpoints, normalized_prefix(prefix)),
            None => (rest, DEFAULT_ETCD_PREFIX.to_owned()),
        };
        if endpoints.is_empty() {
            return Err(invalid(text, "no endpoint (expected etcd:host:port[,host:port...][/prefix])"));
        }
        let endpoints: Vec<String> = endpoints.split(',').map(str::to_owned).collect();
        for endpoint in &endpoints {
            if endpoint.is_empty() {
                return Err(invalid(text, "an empty endpoint between commas"));
            }
            check_endpoint(text, endpoint)?;
        }
        Ok(EtcdSpec { endpoints, prefix })
    }
}

impl fmt::Display for EtcdSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "etcd:{}/{}", self.endpoints.join(","), self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> String {
        match text.parse::<EtcdSpec>() {
            Err(StorageError::InvalidEtcdSpec { reason, .. }) => reason,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn parses_endpoints_and_prefixes() {
        let spec: EtcdSpec = "etcd:[::1]:2379,localhost:2380/a/b".parse().expect("parses");
        assert_eq!(spec.endpoints, ["[::1]:2379", "localhost:2380"]);
        assert_eq!(spec.prefix, "a/b/");
        assert_eq!("etcd:h:1".parse::<EtcdSpec>().expect("parses").prefix, DEFAULT_ETCD_PREFIX);
    }

    #[test]
    fn refuses_bad_specs_with_a_reason() {
        assert!(reason("etcd:").contains("no endpoint"));
        assert!(reason("etcd:h:1/").contains("prefix"));
        assert!(reason("etcd:h:1,,h:2").contains("empty endpoint"));
        assert!(reason("etcd:h").contains("no port"));
        assert!(reason("etcd:h:0").contains("port number"));
        assert!(reason("etcd:h:99999").contains("port number"));
        assert!(reason("etcd::1").contains("host"));
        assert!(reason("etcd:::1:2379").contains("IPv6"));
        assert!(reason("etcd:[::1]2379").contains("[ipv6]:port"));
        assert!(reason("etcd:http:").contains("port"));
        assert!(reason("etcd:http://h:1").contains("scheme"));
    }
}
