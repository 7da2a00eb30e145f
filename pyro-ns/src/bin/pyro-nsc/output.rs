//! What `pyro-nsc` prints, in the format of Pyro5's `pyro5-nsc`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use pyro::{Error, Uri, Value};

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

/// Tags as Python prints a set of strings (`{'a', 'b'}`, each as Python's `repr`), in sorted order.
pub fn set(tags: &BTreeSet<String>) -> String {
    Value::Set(tags.iter().map(|tag| Value::from(tag.as_str())).collect()).to_string()
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
    fn tag_sets_are_printed_as_python_reprs() {
        let tags = BTreeSet::from(["it's".to_owned(), "plain".to_owned(), "tab\t".to_owned()]);
        assert_eq!(set(&tags), "{\"it's\", 'plain', 'tab\\t'}");
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
