//! Reading what a name server returns, in every shape Pyro5's serializers give it: a URI as a
//! `Pyro5.core.URI` class dict or as text, metadata as a list, tuple or set (or `None`), and
//! `(uri, metadata)` pairs as lists or tuples.

use std::collections::{BTreeMap, BTreeSet};

use crate::serializer::SerializeError;
use crate::value::Value;
use crate::{Error, Uri};

/// A malformed name server reply.
fn invalid(reason: String) -> Error {
    SerializeError::Invalid { what: "name server reply", reason }.into()
}

/// A URI (class dict or text); `context` names the entry for the error message.
pub(crate) fn uri(value: &Value, context: &str) -> Result<Uri, Error> {
    Uri::from_value(value).map_err(|e| invalid(format!("{context}: {e}")))
}

/// Metadata tags: any sequence (or `None`, which is no tags). A tag that is not a string is
/// kept as its Python `str` form, as the name server compares what it was given.
pub(crate) fn metadata(value: &Value, context: &str) -> Result<BTreeSet<String>, Error> {
    if *value == Value::None {
        return Ok(BTreeSet::new());
    }
    let items = value
        .as_seq()
        .ok_or_else(|| invalid(format!("{context}: metadata must be a sequence, got {}", value.type_name())))?;
    Ok(items
        .iter()
        .map(|tag| match tag {
            Value::Str(text) => text.clone(),
            other => other.to_string(),
        })
        .collect())
}

/// A `(uri, metadata)` pair.
pub(crate) fn uri_with_metadata(value: &Value, context: &str) -> Result<(Uri, BTreeSet<String>), Error> {
    match value.as_seq() {
        Some([found, tags]) => Ok((uri(found, context)?, metadata(tags, context)?)),
        _ => Err(invalid(format!("{context}: expected a (uri, metadata) pair, got {}", describe(value)))),
    }
}

/// A dict from names to entries read by `entry`.
pub(crate) fn name_map<T>(
    value: &Value,
    entry: impl Fn(&Value, &str) -> Result<T, Error>,
) -> Result<BTreeMap<String, T>, Error> {
    let dict = value.as_dict().ok_or_else(|| invalid(format!("expected a dict, got {}", value.type_name())))?;
    dict.iter()
        .map(|(name, item)| {
            let name =
                name.as_str().ok_or_else(|| invalid(format!("names must be strings, got {}", name.type_name())))?;
            Ok((name.to_owned(), entry(item, name)?))
        })
        .collect()
}

/// A non-negative count.
pub(crate) fn count(value: &Value, context: &str) -> Result<usize, Error> {
    value
        .as_i64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| invalid(format!("{context}: expected a count, got {}", describe(value))))
}

/// The value's type and, for short values, the value itself.
fn describe(value: &Value) -> String {
    let text = value.to_string();
    if text.len() <= 80 { format!("{} {text}", value.type_name()) } else { value.type_name().to_owned() }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::value::Dict;

    fn ns_uri() -> Uri {
        "PYRO:Pyro.NameServer@127.0.0.1:45547".parse().unwrap()
    }

    #[test]
    fn uris_decode_from_class_dicts_and_text() {
        assert_eq!(uri(&ns_uri().to_value(), "x").unwrap(), ns_uri());
        assert_eq!(uri(&Value::from("PYRO:Pyro.NameServer@127.0.0.1:45547"), "x").unwrap(), ns_uri());
        let err = uri(&Value::Int(3), "thing").unwrap_err();
        assert!(err.to_string().contains("thing"), "{err}");
    }

    #[test]
    fn metadata_decodes_from_any_sequence_or_none() {
        let tags = || BTreeSet::from(["a".to_string(), "b".to_string()]);
        for value in [
            Value::List(vec!["b".into(), "a".into()]),
            Value::Tuple(vec!["a".into(), "b".into(), "a".into()]),
            Value::Set(vec!["a".into(), "b".into()]),
        ] {
            assert_eq!(metadata(&value, "x").unwrap(), tags());
        }
        assert!(metadata(&Value::None, "x").unwrap().is_empty());
        assert_eq!(metadata(&Value::List(vec![Value::Int(1)]), "x").unwrap(), BTreeSet::from(["1".to_string()]));
        assert!(metadata(&Value::from("ab"), "x").is_err());
    }

    #[test]
    fn pairs_and_maps_decode() {
        // What a Python name server sends for lookup(name, return_metadata=True) over msgpack.
        let pair =
            Value::List(vec![ns_uri().to_value(), Value::List(vec!["class:Pyro5.nameserver.NameServer".into()])]);
        let (found, tags) = uri_with_metadata(&pair, "x").unwrap();
        assert_eq!(found, ns_uri());
        assert!(tags.contains("class:Pyro5.nameserver.NameServer"));
        assert!(uri_with_metadata(&Value::List(vec![ns_uri().to_value()]), "x").is_err());

        let mut dict = Dict::new();
        dict.insert("Pyro.NameServer", Value::Tuple(vec!["PYRO:Pyro.NameServer@127.0.0.1:45547".into(), Value::None]));
        let map = name_map(&Value::Dict(dict), uri_with_metadata).unwrap();
        assert_eq!(map["Pyro.NameServer"], (ns_uri(), BTreeSet::new()));

        let mut dict = Dict::new();
        dict.insert(1, "PYRO:x@h:1");
        assert!(name_map(&Value::Dict(dict), uri).is_err());
        assert!(name_map(&Value::List(vec![]), uri).is_err());
    }

    #[test]
    fn counts_are_non_negative_ints() {
        assert_eq!(count(&Value::Int(3), "count").unwrap(), 3);
        assert!(count(&Value::Int(-1), "count").is_err());
        assert!(count(&Value::from("3"), "count").is_err());
    }
}
