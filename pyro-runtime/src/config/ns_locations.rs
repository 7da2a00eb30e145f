//! `NS_LOCATIONS`, a pyro extension: the name servers a client tries in turn, read from text such
//! as `ns1:9090,ns2:9090,[::1]:9090`.

use super::ConfigError;
use crate::uri::Location;

/// The extension item's name.
pub(super) const ITEM: &str = "NS_LOCATIONS";

/// Reads an `NS_LOCATIONS` value: name server locations separated by commas, each
/// `host:port`, `[ipv6]:port` or `./u:<socket path>` (spaces around an entry are ignored).
/// Empty text is no locations. The reading is strict, where Pyro5's URI parser is lax: the
/// port is required (1 to 65535), an IPv6 address needs brackets, and nothing may follow the
/// port.
///
/// ```
/// use pyro::config::parse_ns_locations;
/// use pyro::uri::Location;
///
/// let locations = parse_ns_locations("ns1:9090, [::1]:9091,./u:/run/ns.sock").unwrap();
/// assert_eq!(locations, [Location::tcp("ns1", 9090), Location::tcp("::1", 9091), Location::unix("/run/ns.sock")]);
/// assert_eq!(parse_ns_locations("").unwrap(), []);
/// let err = parse_ns_locations("ns1:9090,::1:9091").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid Pyro config value: NS_LOCATIONS entry \"::1:9091\": an IPv6 address needs brackets, as in [::1]:9090"
/// );
/// ```
pub fn parse_ns_locations(text: &str) -> Result<Vec<Location>, ConfigError> {
    if super::pytext::strip(text).is_empty() {
        return Ok(Vec::new());
    }
    text.split(',').map(|entry| parse_entry(super::pytext::strip(entry))).collect()
}

/// The text form of locations, which [`parse_ns_locations`] reads back.
pub(super) fn text(locations: &[Location]) -> String {
    locations.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

fn parse_entry(entry: &str) -> Result<Location, ConfigError> {
    let invalid =
        |reason: &str| ConfigError::InvalidLocation { item: ITEM, entry: entry.to_owned(), reason: reason.into() };
    if entry.is_empty() {
        return Err(invalid("an empty entry (two commas in a row, or one at an end)"));
    }
    if let Some(path) = entry.strip_prefix("./u:") {
        return if path.is_empty() || path.contains([':', '\n']) {
            Err(invalid("a Unix socket path must be non-empty and hold no ':'"))
        } else {
            Ok(Location::unix(path))
        };
    }
    let (host, port) = if let Some(inner) = entry.strip_prefix('[') {
        let Some((host, after)) = inner.split_once(']') else {
            return Err(invalid("no ']' closes the IPv6 address"));
        };
        if host.is_empty() || !host.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '%') {
            return Err(invalid("not an IPv6 address between the brackets"));
        }
        let Some(port) = after.strip_prefix(':') else {
            return Err(invalid("the port is missing (write [address]:port)"));
        };
        (host, port)
    } else {
        let Some((host, port)) = entry.rsplit_once(':') else {
            return Err(invalid("the port is missing (write host:port)"));
        };
        if host.contains(':') {
            return Err(invalid("an IPv6 address needs brackets, as in [::1]:9090"));
        }
        if host.is_empty() {
            return Err(invalid("the host is missing (write host:port)"));
        }
        if host.contains(['[', ']']) || host.chars().any(char::is_whitespace) {
            return Err(invalid("not a host name or address"));
        }
        (host, port)
    };
    match port.parse::<u16>() {
        Ok(number) if number > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(Location::tcp(host, number)),
        _ => Err(invalid("the port must be a number from 1 to 65535")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn locations_read_in_order() {
        let given = " a:1 ,b.example:65535,[fe80::1%252]:9090, 10.0.0.1:9090 ,./u:\0abstract";
        let locations = parse_ns_locations(given).unwrap();
        assert_eq!(
            locations,
            [
                Location::tcp("a", 1),
                Location::tcp("b.example", 65535),
                Location::tcp("fe80::1%252", 9090),
                Location::tcp("10.0.0.1", 9090),
                Location::unix("\0abstract"),
            ]
        );
        assert_eq!(parse_ns_locations(&text(&locations)).unwrap(), locations);
        assert_eq!(text(&[Location::tcp("::1", 2), Location::tcp("h", 3)]), "[::1]:2,h:3");
        assert_eq!(parse_ns_locations("  ").unwrap(), []);
    }

    #[test]
    fn bad_entries_say_what_is_wrong() {
        let cases = [
            ("a:1,", "", "an empty entry"),
            ("a:1,,b:2", "", "an empty entry"),
            ("nshost", "nshost", "the port is missing"),
            ("nshost:", "nshost:", "the port must be"),
            ("nshost:0", "nshost:0", "the port must be"),
            ("nshost:65536", "nshost:65536", "the port must be"),
            ("nshost:+90", "nshost:+90", "the port must be"),
            ("nshost:90x", "nshost:90x", "the port must be"),
            (":9090", ":9090", "the host is missing"),
            ("::1:9090", "::1:9090", "needs brackets"),
            ("::1", "::1", "needs brackets"),
            ("[::1]", "[::1]", "the port is missing"),
            ("[::1]9090", "[::1]9090", "the port is missing"),
            ("[::1:9090", "[::1:9090", "no ']'"),
            ("[]:9090", "[]:9090", "not an IPv6 address"),
            ("[host]:9090", "[host]:9090", "not an IPv6 address"),
            ("[::1]:9090x", "[::1]:9090x", "the port must be"),
            ("a b:1", "a b:1", "not a host"),
            ("./u:", "./u:", "Unix socket path"),
            ("./u:a:b", "./u:a:b", "Unix socket path"),
        ];
        for (text, entry, reason) in cases {
            let err = parse_ns_locations(text).unwrap_err();
            let ConfigError::InvalidLocation { item, entry: got, reason: why } = &err else { panic!("{err:?}") };
            assert_eq!((*item, got.as_str()), (ITEM, entry), "{text:?}");
            assert!(why.contains(reason), "{text:?}: {why}");
            assert!(err.to_string().starts_with("invalid Pyro config value: NS_LOCATIONS entry "), "{err}");
        }
    }
}
