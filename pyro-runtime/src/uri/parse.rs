//! Parsing, as Pyro5's `URI.__init__` and `URI._parseLocation` do it.
//!
//! Pyro5 matches `(?P<protocol>[Pp][Yy][Rr][Oo][a-zA-Z]*):(?P<object>\S+?)(@(?P<location>.+))?$`
//! with `re.match`; [`split_object`] reproduces that regex's backtracking in one linear pass,
//! including its quirks: the object is the shortest run of non-whitespace that leaves a valid
//! `@location` (or nothing) behind, the location may hold anything but a line break, and `$` also
//! matches before a final `\n`.

use std::collections::BTreeSet;

use super::{Location, Protocol, Uri, UriError};
use crate::config::pytext;

/// Parses `text`; `ns_port` is the port of a name server location written without one.
pub(super) fn parse(text: &str, ns_port: u16) -> Result<Uri, UriError> {
    let (protocol, rest) = split_protocol(text).ok_or_else(|| UriError::NotAUri { uri: text.to_owned() })?;
    let (object, location) = split_object(text, rest)?;
    let protocol: Protocol = protocol.parse()?;
    match protocol {
        Protocol::Pyro => {
            let location = location.ok_or(UriError::MissingLocation)?;
            let location = parse_location(location, None)?;
            Ok(Uri { protocol, object: object.to_owned(), tags: BTreeSet::new(), location: Some(location) })
        }
        Protocol::PyroName => {
            let location = location.map(|l| parse_location(l, Some(ns_port))).transpose()?;
            Ok(Uri { protocol, object: object.to_owned(), tags: BTreeSet::new(), location })
        }
        Protocol::PyroMeta => {
            let tags = object.split(',').map(|tag| pytext::strip(tag).to_owned()).collect();
            let location = location.map(|l| parse_location(l, Some(ns_port))).transpose()?;
            Ok(Uri::meta_unchecked(tags, location))
        }
    }
}

/// `[Pp][Yy][Rr][Oo][a-zA-Z]*:` at the start: the protocol text and what follows the `:`.
fn split_protocol(text: &str) -> Option<(&str, &str)> {
    if !text.get(..4)?.eq_ignore_ascii_case("pyro") {
        return None;
    }
    let letters = text[4..].bytes().take_while(u8::is_ascii_alphabetic).count();
    let colon = 4 + letters;
    (text.as_bytes().get(colon) == Some(&b':')).then(|| (&text[..colon], &text[colon + 1..]))
}

/// `(?P<object>\S+?)(@(?P<location>.+))?$` on `rest`: the object and the location, if any.
fn split_object<'a>(uri: &str, rest: &'a str) -> Result<(&'a str, Option<&'a str>), UriError> {
    // `$`: the end, or just before a final line break.
    let at_end = |i: usize| i == rest.len() || (i + 1 == rest.len() && rest.as_bytes()[i] == b'\n');
    // Position of the first line break at or after some index, cached so the pass stays linear.
    let mut next_newline: Option<usize> = None;
    let mut saw_separator = false;
    for (i, c) in rest.char_indices() {
        if i > 0 {
            // The object is rest[..i] (non-empty, no whitespace): try `@location$`, then `$`.
            if c == '@' {
                let start = i + 1;
                let run_end = match next_newline {
                    Some(nl) if nl >= start => nl,
                    _ => {
                        let nl = rest[start..].find('\n').map_or(rest.len(), |k| start + k);
                        next_newline = Some(nl);
                        nl
                    }
                };
                if run_end > start && at_end(run_end) {
                    return Ok((&rest[..i], Some(&rest[start..run_end])));
                }
                saw_separator = true;
            }
            if at_end(i) {
                return Ok((&rest[..i], None));
            }
        }
        if pytext::is_space(c) {
            return Err(if saw_separator {
                UriError::LineBreak { uri: uri.to_owned() }
            } else if pytext::strip(rest).is_empty() {
                UriError::EmptyObject
            } else {
                let end = rest.char_indices().skip(1).find(|(_, c)| *c == '@').map_or(rest.len(), |(i, _)| i);
                UriError::WhitespaceInObject { object: rest[..end].to_owned() }
            });
        }
    }
    if rest.is_empty() { Err(UriError::EmptyObject) } else { Ok((rest, None)) }
}

/// `URI._parseLocation`: `./u:path`, `[ipv6]:port` or `host:port`; `default_port` for a missing port.
fn parse_location(location: &str, default_port: Option<u16>) -> Result<Location, UriError> {
    if let Some(path) = location.strip_prefix("./u:") {
        check_socket_path(path)?;
        return Ok(Location::unix(path));
    }
    let (host, port) = if let Some(inner) = location.strip_prefix('[') {
        if inner.starts_with('[') {
            return Err(UriError::Ipv6TooManyBrackets);
        }
        // re.match(r"\[([0-9a-fA-F:%]+)](:(\d+))?", location): anything after it is ignored.
        let len = inner.find(|c| !is_ipv6_char(c)).unwrap_or(inner.len());
        let after = match inner[len..].strip_prefix(']') {
            Some(after) if len > 0 => after,
            _ => return Err(UriError::InvalidIpv6 { address: location.to_owned() }),
        };
        let port = after.strip_prefix(':').map(|p| &p[..p.bytes().take_while(u8::is_ascii_digit).count()]);
        (&inner[..len], port)
    } else {
        match location.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (location, None),
        }
    };
    let port = match port.filter(|p| !p.is_empty()) {
        None => default_port.ok_or(UriError::MissingPort)?,
        Some(text) => {
            let number = pytext::parse_int(text).ok_or_else(|| UriError::InvalidPort { port: text.to_owned() })?;
            u16::try_from(number).map_err(|_| UriError::PortOutOfRange { port: text.to_owned() })?
        }
    };
    Ok(Location::tcp(host, port))
}

/// A unix socket path must be non-empty and hold no `:` (nor a line break, which the parser
/// could never read back).
pub(super) fn check_socket_path(path: &str) -> Result<(), UriError> {
    if path.is_empty() {
        Err(UriError::EmptySocketPath)
    } else if path.contains([':', '\n']) {
        Err(UriError::InvalidSocketPath { path: path.to_owned() })
    } else {
        Ok(())
    }
}

/// Whether `host` may stand between brackets: `[0-9a-fA-F:%]+`.
pub(super) fn is_ipv6_text(host: &str) -> bool {
    !host.is_empty() && host.chars().all(is_ipv6_char)
}

fn is_ipv6_char(c: char) -> bool {
    c.is_ascii_hexdigit() || c == ':' || c == '%'
}
