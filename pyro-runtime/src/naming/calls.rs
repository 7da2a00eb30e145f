//! The name server's remote API as calls, sans I/O: each typed method of the blocking
//! [`NameServerProxy`](super::NameServerProxy) and the async
//! [`aio::NameServerProxy`](crate::aio::NameServerProxy) is one [`NsCall`] here (the exact
//! method, positional and keyword arguments a Pyro5 client sends, and how the reply decodes);
//! the two clients only send it and hand the reply back.

use std::collections::{BTreeMap, BTreeSet};

use super::decode;
use crate::value::{Dict, Value};
use crate::{Error, Uri};

/// One call to a name server: what to send, and how its reply decodes into `T`.
pub(crate) struct NsCall<'a, T> {
    /// The method, positional and keyword arguments to send.
    pub(crate) request: NsRequest,
    /// How the reply decodes.
    pub(crate) reply: NsReply<'a, T>,
}

/// What a [`NsCall`] sends.
#[derive(Debug, PartialEq)]
pub(crate) struct NsRequest {
    pub(crate) method: &'static str,
    pub(crate) vargs: Vec<Value>,
    pub(crate) kwargs: Dict,
}

/// How the reply to a [`NsCall`] decodes: `decode` with `context` (the name looked up, or
/// the method) for its error messages.
pub(crate) struct NsReply<'a, T> {
    context: &'a str,
    decode: fn(&Value, &str) -> Result<T, Error>,
}

impl<T> NsReply<'_, T> {
    /// The call's result from the name server's `reply`.
    pub(crate) fn decode(&self, reply: &Value) -> Result<T, Error> {
        (self.decode)(reply, self.context)
    }
}

/// Registrations by name.
type Names<T> = BTreeMap<String, T>;
/// A registration's uri and metadata tags.
type Tagged = (Uri, BTreeSet<String>);

fn call<'a, T>(
    method: &'static str,
    vargs: Vec<Value>,
    kwargs: Dict,
    context: &'a str,
    decode: fn(&Value, &str) -> Result<T, Error>,
) -> NsCall<'a, T> {
    NsCall { request: NsRequest { method, vargs, kwargs }, reply: NsReply { context, decode } }
}

fn nothing(_: &Value, _: &str) -> Result<(), Error> {
    Ok(())
}

/// `lookup(name)`.
pub(crate) fn lookup(name: &str) -> NsCall<'_, Uri> {
    call("lookup", vec![name.into()], Dict::new(), name, decode::uri)
}

/// `lookup(name, return_metadata=True)`.
pub(crate) fn lookup_with_metadata(name: &str) -> NsCall<'_, Tagged> {
    call("lookup", vec![name.into()], kwargs([("return_metadata", true.into())]), name, decode::uri_with_metadata)
}

/// `register(name, uri)`, with `safe=True` and `metadata=[...]` when given.
pub(crate) fn register(name: &str, uri: &Uri, safe: bool, metadata: Option<&BTreeSet<String>>) -> NsCall<'static, ()> {
    let mut options = Dict::new();
    if safe {
        options.insert("safe", true);
    }
    if let Some(tags) = metadata {
        options.insert("metadata", tag_list(tags));
    }
    call("register", vec![name.into(), uri.to_value()], options, "register", nothing)
}

/// `list(prefix=..., regex=...)`, each only when given.
pub(crate) fn list(prefix: Option<&str>, regex: Option<&str>) -> NsCall<'static, Names<Uri>> {
    call("list", Vec::new(), filters(prefix, regex), "list", |reply, _| decode::name_map(reply, decode::uri))
}

/// `list(..., return_metadata=True)`.
pub(crate) fn list_with_metadata(prefix: Option<&str>, regex: Option<&str>) -> NsCall<'static, Names<Tagged>> {
    let mut options = filters(prefix, regex);
    options.insert("return_metadata", true);
    call("list", Vec::new(), options, "list", |reply, _| decode::name_map(reply, decode::uri_with_metadata))
}

/// `yplookup(meta_all=[...], meta_any=[...], return_metadata=False)`, each tag list only when
/// not empty.
pub(crate) fn yplookup(meta_all: &[&str], meta_any: &[&str]) -> NsCall<'static, Names<Uri>> {
    let options = yp_options(meta_all, meta_any, false);
    call("yplookup", Vec::new(), options, "yplookup", |reply, _| decode::name_map(reply, decode::uri))
}

/// [`yplookup`] with `return_metadata=True`.
pub(crate) fn yplookup_with_metadata(meta_all: &[&str], meta_any: &[&str]) -> NsCall<'static, Names<Tagged>> {
    let options = yp_options(meta_all, meta_any, true);
    call("yplookup", Vec::new(), options, "yplookup", |reply, _| decode::name_map(reply, decode::uri_with_metadata))
}

/// The registrations having all of `tags`, with Pyro5's exact call for resolving a `PYROMETA`
/// uri (`yplookup([tags], None, False)`), as (name, uri value) pairs.
pub(crate) fn having_all(tags: &BTreeSet<String>) -> NsCall<'static, Vec<(String, Value)>> {
    let vargs = vec![tag_list(tags), Value::None, Value::Bool(false)];
    call("yplookup", vargs, Dict::new(), "yplookup", |reply, _| {
        Ok(decode::name_map(reply, |value, _| Ok(value.clone()))?.into_iter().collect())
    })
}

/// `remove(name)`, else `remove(prefix=...)` / `remove(regex=...)`: how many were removed.
pub(crate) fn remove(name: Option<&str>, prefix: Option<&str>, regex: Option<&str>) -> NsCall<'static, usize> {
    let vargs = name.map(|name| vec![Value::from(name)]).unwrap_or_default();
    call("remove", vargs, filters(prefix, regex), "remove", decode::count)
}

/// `set_metadata(name, metadata)` (`None` clears it).
pub(crate) fn set_metadata(name: &str, metadata: Option<&BTreeSet<String>>) -> NsCall<'static, ()> {
    let tags = metadata.map_or(Value::None, tag_list);
    call("set_metadata", vec![name.into(), tags], Dict::new(), "set_metadata", nothing)
}

/// `count()`.
pub(crate) fn count() -> NsCall<'static, usize> {
    call("count", Vec::new(), Dict::new(), "count", decode::count)
}

/// `ping()`.
pub(crate) fn ping() -> NsCall<'static, ()> {
    call("ping", Vec::new(), Dict::new(), "ping", nothing)
}

fn kwargs<const N: usize>(items: [(&str, Value); N]) -> Dict {
    items.into_iter().collect()
}

/// The `prefix=` and `regex=` keyword arguments, each only when given.
fn filters(prefix: Option<&str>, regex: Option<&str>) -> Dict {
    let mut options = Dict::new();
    if let Some(prefix) = prefix {
        options.insert("prefix", prefix);
    }
    if let Some(regex) = regex {
        options.insert("regex", regex);
    }
    options
}

/// The keyword arguments of a `yplookup` call.
fn yp_options(meta_all: &[&str], meta_any: &[&str], return_metadata: bool) -> Dict {
    let list = |tags: &[&str]| Value::List(tags.iter().map(|&tag| Value::from(tag)).collect());
    let mut options = Dict::new();
    if !meta_all.is_empty() {
        options.insert("meta_all", list(meta_all));
    }
    if !meta_any.is_empty() {
        options.insert("meta_any", list(meta_any));
    }
    options.insert("return_metadata", return_metadata);
    options
}

/// Tags as the list a Pyro5 client sends (json and msgpack have no sets).
fn tag_list(tags: &BTreeSet<String>) -> Value {
    Value::List(tags.iter().map(|tag| Value::from(tag.as_str())).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sent<T>(call: NsCall<'_, T>) -> (&'static str, Vec<Value>, Vec<(String, Value)>) {
        let NsRequest { method, vargs, kwargs } = call.request;
        let kwargs = kwargs.iter().map(|(key, value)| (key.as_str().unwrap().to_owned(), value.clone())).collect();
        (method, vargs, kwargs)
    }

    fn kw(items: &[(&str, Value)]) -> Vec<(String, Value)> {
        items.iter().map(|(key, value)| ((*key).to_owned(), value.clone())).collect()
    }

    #[test]
    fn options_are_sent_only_when_given() {
        assert!(filters(None, None).is_empty());
        let options = filters(Some("a."), None);
        assert_eq!(options.get("prefix"), Some(&Value::from("a.")));
        assert_eq!(options.get("regex"), None);
        let options = yp_options(&["x", "y"], &[], false);
        assert_eq!(options.get("meta_all"), Some(&Value::List(vec!["x".into(), "y".into()])));
        assert_eq!(options.get("meta_any"), None);
        assert_eq!(options.get("return_metadata"), Some(&Value::Bool(false)));
    }

    #[test]
    fn each_call_sends_what_a_pyro5_client_sends() {
        let uri: Uri = "PYRO:obj@localhost:5555".parse().unwrap();
        let tags = BTreeSet::from(["a".to_owned(), "b".to_owned()]);
        let tag_values = Value::List(vec!["a".into(), "b".into()]);
        assert_eq!(sent(lookup("x")), ("lookup", vec!["x".into()], kw(&[])));
        assert_eq!(
            sent(lookup_with_metadata("x")),
            ("lookup", vec!["x".into()], kw(&[("return_metadata", true.into())]))
        );
        assert_eq!(sent(register("x", &uri, false, None)), ("register", vec!["x".into(), uri.to_value()], kw(&[])));
        assert_eq!(
            sent(register("x", &uri, true, Some(&tags))),
            (
                "register",
                vec!["x".into(), uri.to_value()],
                kw(&[("safe", true.into()), ("metadata", tag_values.clone())])
            )
        );
        assert_eq!(sent(list(None, Some("r"))), ("list", vec![], kw(&[("regex", "r".into())])));
        assert_eq!(
            sent(list_with_metadata(Some("p"), None)),
            ("list", vec![], kw(&[("prefix", "p".into()), ("return_metadata", true.into())]))
        );
        assert_eq!(
            sent(yplookup(&[], &["t"])).2,
            kw(&[("meta_any", Value::List(vec!["t".into()])), ("return_metadata", false.into())])
        );
        assert_eq!(sent(yplookup_with_metadata(&["t"], &[])).2[1], ("return_metadata".to_owned(), true.into()));
        assert_eq!(sent(having_all(&tags)), ("yplookup", vec![tag_values.clone(), Value::None, false.into()], kw(&[])));
        assert_eq!(sent(remove(Some("x"), None, None)), ("remove", vec!["x".into()], kw(&[])));
        assert_eq!(sent(remove(None, Some("p"), None)), ("remove", vec![], kw(&[("prefix", "p".into())])));
        assert_eq!(sent(set_metadata("x", None)), ("set_metadata", vec!["x".into(), Value::None], kw(&[])));
        assert_eq!(sent(set_metadata("x", Some(&tags))), ("set_metadata", vec!["x".into(), tag_values], kw(&[])));
        assert_eq!(sent(count()), ("count", vec![], kw(&[])));
        assert_eq!(sent(ping()), ("ping", vec![], kw(&[])));
    }

    #[test]
    fn replies_decode_with_their_context() {
        let uri = Value::from("PYRO:obj@localhost:5555");
        assert_eq!(lookup("x").reply.decode(&uri).unwrap().object(), "obj");
        let error = lookup("example.thing").reply.decode(&Value::Int(1)).unwrap_err();
        assert!(error.to_string().contains("example.thing"), "{error}");
        assert_eq!(count().reply.decode(&Value::Int(3)).unwrap(), 3);
        let error = remove(None, None, None).reply.decode(&Value::Int(-1)).unwrap_err();
        assert!(error.to_string().contains("remove"), "{error}");
        let names: Dict = [("a", uri.clone())].into_iter().collect();
        let listed = list(None, None).reply.decode(&Value::Dict(names.clone())).unwrap();
        assert_eq!(listed["a"].object(), "obj");
        let found = having_all(&BTreeSet::new()).reply.decode(&Value::Dict(names)).unwrap();
        assert_eq!(found, [("a".to_owned(), uri)]);
        ping().reply.decode(&Value::None).unwrap();
    }
}
