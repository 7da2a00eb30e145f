//! What `pyro-nsc` prints, in the format of Pyro5's `pyro5-nsc`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use pyro::{Error, Uri};

/// A listing as `pyro5-nsc` prints it: a `START LIST` line with the title, `name --> uri` per
/// registration (sorted by name) followed by its metadata when it has any, an `END LIST` line.
pub fn list(entries: &BTreeMap<String, (Uri, BTreeSet<String>)>, title: &str) -> String {
    let mut out = format!("--------START LIST {title}\n");
    for (name, (uri, metadata)) in entries {
        let _ = writeln!(out, "{name} --> {uri}");
        if !metadata.is_empty() {
            let _ = writeln!(out, "    metadata: {}", set(metadata));
        }
    }
    let _ = writeln!(out, "--------END LIST {title}");
    out
}

/// Tags as Python prints a set of strings (`{'a', 'b'}`), in sorted order.
pub fn set(tags: &BTreeSet<String>) -> String {
    let items: Vec<String> = tags.iter().map(|tag| str_repr(tag)).collect();
    format!("{{{}}}", items.join(", "))
}

/// `repr()` of a Python `str`: single quotes unless the text has a single quote and no double
/// quote; backslashes, the chosen quote and control characters escaped.
pub fn str_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if u32::from(c) < 0x20 || u32::from(c) == 0x7f => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if c.is_control() => {
                let code = u32::from(c);
                let _ = if code <= 0xff { write!(out, "\\x{code:02x}") } else { write!(out, "\\u{code:04x}") };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// An error as `pyro5-nsc` reports a failed command: `<exception class> - <message>`.
pub fn error(err: &Error) -> String {
    let class = err.python_class();
    let class = class.rsplit('.').next().unwrap_or(class);
    let message = match err {
        Error::Remote(remote) => remote.message.clone(),
        Error::Naming { message } => message.clone(),
        other => other.to_string(),
    };
    format!("{class} - {message}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_as_python_repr_does() {
        assert_eq!(str_repr("plain"), "'plain'");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("both ' and \""), "'both \\' and \"'");
        assert_eq!(str_repr("tab\there\\"), "'tab\\there\\\\'");
        assert_eq!(str_repr("bell\u{7}"), "'bell\\x07'");
        assert_eq!(str_repr("café"), "'café'");
    }

    #[test]
    fn listings_look_like_pyro5s() {
        let uri: Uri = "PYRO:obj@localhost:4444".parse().unwrap();
        let entries = BTreeMap::from([
            ("b.plain".to_owned(), (uri.clone(), BTreeSet::new())),
            ("a.tagged".to_owned(), (uri, BTreeSet::from(["y".to_owned(), "x".to_owned()]))),
        ]);
        assert_eq!(
            list(&entries, "- prefix 'a'"),
            "--------START LIST - prefix 'a'\n\
             a.tagged --> PYRO:obj@localhost:4444\n    metadata: {'x', 'y'}\n\
             b.plain --> PYRO:obj@localhost:4444\n\
             --------END LIST - prefix 'a'\n"
        );
    }

    #[test]
    fn errors_name_the_short_python_class() {
        let naming = Error::Naming { message: "unknown name: x".into() };
        assert_eq!(error(&naming), "NamingError - unknown name: x");
        let remote = Error::from(pyro::RemoteError::new("builtins.ValueError", vec!["bad".into()]));
        assert_eq!(error(&remote), "ValueError - bad");
    }
}
