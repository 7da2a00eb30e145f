//! Every `Pyro.NameServer` method and error, with both storages and every serializer, called
//! through the dispatch table `#[pyro::expose]` generated (as the daemon calls it): Pyro5's
//! parameter names, defaults, result shapes and exception classes and messages.
#![allow(clippy::unwrap_used)]

mod support;

use pyro::dispatch::Servant;
use pyro::value::Dict;
use pyro::{Serializer, Uri, Value};
use pyro_ns::NameServer;
use support::{call, kwargs, name_servers, raised, served, strs};

const SERIALIZERS: [Serializer; 4] = [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack];
const NS_URI: &str = "PYRO:Pyro.NameServer@localhost:9090";

/// Each case runs on a fresh name server of each storage kind, over each serializer.
fn each(test: impl Fn(&str, &dyn Servant, Serializer, &NameServer)) {
    for ser in SERIALIZERS {
        for (label, ns, _dir) in name_servers() {
            ns.register_self(&NS_URI.parse().unwrap()).unwrap();
            let servant = served(&ns);
            test(label, &servant, ser, &ns);
        }
    }
}

fn positional(s: &dyn Servant, ser: Serializer, method: &str, vargs: Vec<Value>) -> Result<Value, pyro::Error> {
    call(s, ser, method, vargs, Dict::new())
}

fn register(s: &dyn Servant, ser: Serializer, name: &str, uri: &str, metadata: Option<&[&str]>) {
    let meta = metadata.map_or(Value::None, strs);
    let result = positional(s, ser, "register", vec![name.into(), uri.into(), Value::Bool(false), meta]).unwrap();
    assert_eq!(result, Value::None);
}

/// A dict result as sorted `(name, value)` pairs.
fn entries(value: Value) -> Vec<(String, Value)> {
    let Value::Dict(dict) = value else { panic!("expected a dict, got {value:?}") };
    let mut pairs: Vec<(String, Value)> =
        dict.iter().map(|(k, v)| (k.as_str().unwrap().to_owned(), v.clone())).collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs
}

fn names(value: Value) -> Vec<String> {
    entries(value).into_iter().map(|(name, _)| name).collect()
}

/// `(uri, tags)` as received over `ser`: a tuple over serpent and marshal, a list over json
/// and msgpack (which have no tuples), the tags as [`tags`].
fn with_meta(ser: Serializer, uri: &str, items: &[&str]) -> Value {
    let pair = vec![uri.into(), tags(ser, items)];
    match ser {
        Serializer::Serpent | Serializer::Marshal => Value::Tuple(pair),
        _ => Value::List(pair),
    }
}

/// Metadata tags as received over `ser`: a Python set, as Pyro5 sends them, over serpent and
/// marshal (an empty one is `()` over serpent, as Pyro5 writes an empty frozenset), a list over
/// json and msgpack.
fn tags(ser: Serializer, items: &[&str]) -> Value {
    let items: Vec<Value> = items.iter().map(|s| Value::from(*s)).collect();
    match ser {
        Serializer::Serpent if items.is_empty() => Value::Tuple(items),
        Serializer::Serpent | Serializer::Marshal => Value::Set(items),
        _ => Value::List(items),
    }
}

fn assert_raised(result: Result<Value, pyro::Error>, class: &str, message: &str) {
    let error = raised(result);
    assert_eq!((error.class.as_str(), error.message.as_str()), (class, message));
}

#[test]
fn metadata_lists_exactly_pyro5s_methods() {
    let servant = served(&NameServer::in_memory());
    let methods: Vec<&str> = servant.metadata().methods.iter().map(String::as_str).collect();
    assert_eq!(methods, ["count", "list", "lookup", "ping", "register", "remove", "set_metadata", "yplookup"]);
    assert!(servant.metadata().oneway.is_empty());
    assert!(servant.metadata().attrs.is_empty());
}

#[test]
fn ping_and_count() {
    each(|label, s, ser, _| {
        assert_eq!(positional(s, ser, "ping", vec![]).unwrap(), Value::None, "{label}");
        assert_eq!(positional(s, ser, "count", vec![]).unwrap(), Value::Int(1), "{label}");
        register(s, ser, "a", "PYRO:a@localhost:1", None);
        assert_eq!(positional(s, ser, "count", vec![]).unwrap(), Value::Int(2), "{label}");
    });
}

#[test]
fn lookup_returns_a_uri_object_or_uri_and_metadata() {
    each(|label, s, ser, _| {
        register(s, ser, "example.thing", "PYRO:thing@localhost:4444", Some(&["red", "big", "red"]));
        let found = positional(s, ser, "lookup", vec!["example.thing".into()]).unwrap();
        assert_eq!(pyro::serializer::class_name(&found), Some(Uri::CLASS), "{label}");
        assert_eq!(Uri::from_value(&found).unwrap().to_string(), "PYRO:thing@localhost:4444");

        let kw = kwargs([("name", "example.thing".into()), ("return_metadata", Value::Bool(true))]);
        let pair = call(s, ser, "lookup", vec![], kw).unwrap();
        let pair = pair.as_seq().unwrap_or_else(|| panic!("{label}: not a pair"));
        assert_eq!(Uri::from_value(&pair[0]).unwrap().port(), Some(4444));
        assert_eq!(pair[1], tags(ser, &["big", "red"]), "{label}");

        let own = positional(s, ser, "lookup", vec!["Pyro.NameServer".into(), Value::Bool(true)]).unwrap();
        assert_eq!(own.as_seq().unwrap()[1], tags(ser, &["class:Pyro5.nameserver.NameServer"]), "{label}");

        // Flags follow Python's truth rules: Pyro5's `resolve()` passes its delay (0.0) here.
        let by_resolve = positional(s, ser, "lookup", vec!["example.thing".into(), Value::Float(0.0)]).unwrap();
        assert_eq!(pyro::serializer::class_name(&by_resolve), Some(Uri::CLASS), "{label}");
        let truthy = positional(s, ser, "lookup", vec!["example.thing".into(), Value::Int(1)]).unwrap();
        assert!(truthy.as_seq().is_some(), "{label}: {truthy:?}");

        let unknown = positional(s, ser, "lookup", vec!["nobody".into()]);
        assert_raised(unknown, "Pyro5.errors.NamingError", "unknown name: nobody");
        let not_a_name = positional(s, ser, "lookup", vec![Value::Int(5)]);
        assert_eq!(raised(not_a_name).class, "builtins.TypeError", "{label}");
    });
}

#[test]
fn register_checks_its_arguments_like_pyro5() {
    each(|label, s, ser, _| {
        // A URI object is stored as its text; a string is stored as given.
        let uri = "PYRO:obj@localhost:5".parse::<Uri>().unwrap().to_value();
        positional(s, ser, "register", vec!["as.object".into(), uri]).unwrap();
        positional(s, ser, "register", vec!["as.text".into(), "pyro:obj@localhost:6".into()]).unwrap();
        let listed = entries(positional(s, ser, "list", vec!["as.".into()]).unwrap());
        assert_eq!(
            listed,
            [
                ("as.object".to_owned(), Value::from("PYRO:obj@localhost:5")),
                ("as.text".to_owned(), Value::from("pyro:obj@localhost:6"))
            ],
            "{label}"
        );

        let cases: [(Vec<Value>, &str, &str); 7] = [
            (vec!["x".into(), Value::Int(1)], "builtins.TypeError", "only URIs or strings can be registered"),
            (vec!["x".into(), "foo".into()], "Pyro5.errors.PyroError", ""),
            (vec!["x".into(), "PYRO:x@h:abc".into()], "Pyro5.errors.PyroError", "invalid port in uri, port=abc"),
            (vec![Value::Int(3), "PYRO:x@h:1".into()], "builtins.TypeError", "name must be a str"),
            (
                vec!["x".into(), "PYRO:x@h:1".into(), Value::Bool(false), "tag".into()],
                "builtins.TypeError",
                "metadata should not be a str, but another iterable (set, list, etc)",
            ),
            (
                vec!["x".into(), "PYRO:x@h:1".into(), Value::Bool(false), Value::Int(7)],
                "builtins.TypeError",
                "'int' object is not iterable",
            ),
            (
                vec!["x".into(), "PYRO:x@h:1".into(), Value::Bool(false), Value::List(vec![Value::Int(7)])],
                "builtins.TypeError",
                "metadata items must be str, not int",
            ),
        ];
        for (vargs, class, message) in cases {
            let error = raised(positional(s, ser, "register", vargs.clone()));
            assert_eq!(error.class, class, "{label} {vargs:?}");
            assert!(error.message.starts_with(message), "{label} {vargs:?}: {}", error.message);
            if class == "Pyro5.errors.PyroError" {
                assert!(error.message.starts_with("invalid "), "{}", error.message);
            }
        }
        assert!(positional(s, ser, "lookup", vec!["x".into()]).is_err(), "{label}: nothing registered");

        // Metadata may be any iterable of str: a tuple, a set, a dict (its keys).
        let tuple = Value::Tuple(vec!["t".into()]);
        let dict = Value::Dict([("k", Value::Int(1))].into_iter().collect());
        for (name, meta) in [("tuple", tuple), ("dict", dict)] {
            positional(s, ser, "register", vec![name.into(), "PYRO:x@h:1".into(), Value::None, meta]).unwrap();
        }
        let found = positional(s, ser, "lookup", vec!["dict".into(), Value::Bool(true)]).unwrap();
        assert_eq!(found.as_seq().unwrap()[1], tags(ser, &["k"]), "{label}");
        // Unknown keyword arguments are refused as Python refuses them.
        let kw = kwargs([("name", "n".into()), ("uri", "PYRO:x@h:1".into()), ("metadta", Value::None)]);
        assert_raised(
            call(s, ser, "register", vec![], kw),
            "builtins.TypeError",
            "register() got an unexpected keyword argument 'metadta'",
        );
    });
}

#[test]
fn safe_registration_refuses_an_existing_name() {
    each(|label, s, ser, _| {
        let kw = |uri: &str| kwargs([("safe", Value::Bool(true)), ("uri", uri.into()), ("name", "n".into())]);
        call(s, ser, "register", vec![], kw("PYRO:first@h:1")).unwrap();
        assert_raised(
            call(s, ser, "register", vec![], kw("PYRO:second@h:1")),
            "Pyro5.errors.NamingError",
            "name already registered: n",
        );
        register(s, ser, "n", "PYRO:third@h:1", None); // not safe: replaces
        let found = positional(s, ser, "lookup", vec!["n".into()]).unwrap();
        assert_eq!(Uri::from_value(&found).unwrap().object(), "third", "{label}");
    });
}

#[test]
fn list_filters_by_prefix_or_regex_and_returns_uri_strings() {
    each(|label, s, ser, _| {
        register(s, ser, "example.one", "PYRO:one@h:1", Some(&["a"]));
        register(s, ser, "example.two", "PYRO:two@h:2", None);
        register(s, ser, "my.example", "PYRO:my@h:3", None);
        register(s, ser, "Example_x", "PYRO:x@h:4", None);

        let all = names(positional(s, ser, "list", vec![]).unwrap());
        assert_eq!(all, ["Example_x", "Pyro.NameServer", "example.one", "example.two", "my.example"], "{label}");
        let prefix = entries(positional(s, ser, "list", vec!["example.".into()]).unwrap());
        assert_eq!(
            prefix,
            [("example.one".to_owned(), "PYRO:one@h:1".into()), ("example.two".to_owned(), "PYRO:two@h:2".into())],
            "{label}"
        );
        // A prefix is literal and case-sensitive (no LIKE wildcards).
        assert_eq!(names(positional(s, ser, "list", vec!["example_".into()]).unwrap()), Vec::<String>::new());
        assert_eq!(names(positional(s, ser, "list", vec!["Ex".into()]).unwrap()), ["Example_x"], "{label}");
        // A regex matches at the start, like re.match.
        let regex = names(call(s, ser, "list", vec![], kwargs([("regex", r"ex\w*\.t".into())])).unwrap());
        assert_eq!(regex, ["example.two"], "{label}");
        let regex = names(call(s, ser, "list", vec![], kwargs([("regex", "example".into())])).unwrap());
        assert_eq!(regex, ["example.one", "example.two"], "{label}");
        // Empty filters are no filters (Python tests them for truth).
        assert_eq!(names(positional(s, ser, "list", vec!["".into(), "".into()]).unwrap()).len(), 5);

        // Metadata as lists, also for entries registered without any (Pyro5's frozenset bug).
        let kw = kwargs([("prefix", "example".into()), ("return_metadata", Value::Bool(true))]);
        let listed = entries(call(s, ser, "list", vec![], kw).unwrap());
        assert_eq!(
            listed,
            [
                ("example.one".to_owned(), with_meta(ser, "PYRO:one@h:1", &["a"])),
                ("example.two".to_owned(), with_meta(ser, "PYRO:two@h:2", &[]))
            ],
            "{label}"
        );

        let both = kwargs([("prefix", "a".into()), ("regex", "b".into())]);
        assert_raised(
            call(s, ser, "list", vec![], both),
            "builtins.ValueError",
            "you can only filter on one thing at a time",
        );
        let bad = raised(call(s, ser, "list", vec![], kwargs([("regex", "(unclosed".into())])));
        assert_eq!(bad.class, "Pyro5.errors.NamingError", "{label}");
        assert!(bad.message.starts_with("invalid regex: "), "{}", bad.message);
    });
}

#[test]
fn yplookup_finds_by_all_or_any_tags() {
    each(|label, s, ser, _| {
        register(s, ser, "red.big", "PYRO:rb@h:1", Some(&["red", "big"]));
        register(s, ser, "red.small", "PYRO:rs@h:1", Some(&["red", "small"]));
        register(s, ser, "blue", "PYRO:b@h:1", Some(&["blue"]));
        register(s, ser, "plain", "PYRO:p@h:1", None);

        let all = entries(positional(s, ser, "yplookup", vec![strs(&["red", "big"])]).unwrap());
        assert_eq!(all, [("red.big".to_owned(), with_meta(ser, "PYRO:rb@h:1", &["big", "red"]))], "{label}");
        let repeated = names(positional(s, ser, "yplookup", vec![strs(&["red", "red"])]).unwrap());
        assert_eq!(repeated, ["red.big", "red.small"], "{label}");
        let any = kwargs([("meta_any", strs(&["blue", "small"])), ("return_metadata", Value::Bool(false))]);
        let any = entries(call(s, ser, "yplookup", vec![], any).unwrap());
        assert_eq!(
            any,
            [("blue".to_owned(), "PYRO:b@h:1".into()), ("red.small".to_owned(), "PYRO:rs@h:1".into())],
            "{label}"
        );
        let class = names(
            call(s, ser, "yplookup", vec![], kwargs([("meta_all", strs(&["class:Pyro5.nameserver.NameServer"]))]))
                .unwrap(),
        );
        assert_eq!(class, ["Pyro.NameServer"], "{label}");

        assert_eq!(positional(s, ser, "yplookup", vec![]).unwrap(), Value::Dict(Dict::new()), "{label}");
        assert_eq!(positional(s, ser, "yplookup", vec![strs(&[]), strs(&[])]).unwrap(), Value::Dict(Dict::new()));
        assert_raised(
            positional(s, ser, "yplookup", vec![strs(&["a"]), strs(&["b"])]),
            "builtins.ValueError",
            "you can't use meta_all or meta_any at the same time",
        );
        assert_raised(
            positional(s, ser, "yplookup", vec!["red".into()]),
            "builtins.TypeError",
            "metadata_all should not be a str, but another iterable (set, list, etc)",
        );
        assert_raised(
            call(s, ser, "yplookup", vec![], kwargs([("meta_any", "red".into())])),
            "builtins.TypeError",
            "metadata_any should not be a str, but another iterable (set, list, etc)",
        );
    });
}

#[test]
fn remove_by_name_prefix_or_regex_never_removes_the_name_server() {
    each(|label, s, ser, ns| {
        for name in ["a.1", "a.2", "a.3", "b.1", "b.2", "c"] {
            register(s, ser, name, "PYRO:x@h:1", None);
        }
        assert_eq!(positional(s, ser, "remove", vec!["c".into()]).unwrap(), Value::Int(1), "{label}");
        assert_eq!(positional(s, ser, "remove", vec!["c".into()]).unwrap(), Value::Int(0), "{label}");
        assert_eq!(call(s, ser, "remove", vec![], kwargs([("prefix", "a.".into())])).unwrap(), Value::Int(3));
        assert_eq!(call(s, ser, "remove", vec![], kwargs([("regex", r"b\.".into())])).unwrap(), Value::Int(2));
        assert_eq!(positional(s, ser, "remove", vec![]).unwrap(), Value::Int(0), "{label}");

        // The name server's own entry survives every form of remove.
        assert_eq!(positional(s, ser, "remove", vec!["Pyro.NameServer".into()]).unwrap(), Value::Int(0));
        assert_eq!(call(s, ser, "remove", vec![], kwargs([("prefix", "Pyro".into())])).unwrap(), Value::Int(0));
        assert_eq!(call(s, ser, "remove", vec![], kwargs([("regex", ".*".into())])).unwrap(), Value::Int(0));
        assert_eq!(ns.count().unwrap(), 1, "{label}");
        // An exact name that is the name server's falls through to the prefix, as in Pyro5.
        register(s, ser, "Pyro.Other", "PYRO:x@h:1", None);
        let kw = kwargs([("name", "Pyro.NameServer".into()), ("prefix", "Pyro.".into())]);
        assert_eq!(call(s, ser, "remove", vec![], kw).unwrap(), Value::Int(1), "{label}");

        let bad = raised(call(s, ser, "remove", vec![], kwargs([("regex", "[".into())])));
        assert_eq!(bad.class, "Pyro5.errors.NamingError", "{label}");
    });
}

#[test]
fn set_metadata_replaces_or_clears() {
    each(|label, s, ser, _| {
        register(s, ser, "n", "PYRO:n@h:1", Some(&["old"]));
        positional(s, ser, "set_metadata", vec!["n".into(), strs(&["new", "newer"])]).unwrap();
        let found = positional(s, ser, "lookup", vec!["n".into(), Value::Bool(true)]).unwrap();
        assert_eq!(found.as_seq().unwrap()[1], tags(ser, &["new", "newer"]), "{label}");
        positional(s, ser, "set_metadata", vec!["n".into(), Value::None]).unwrap();
        let found = positional(s, ser, "lookup", vec!["n".into(), Value::Bool(true)]).unwrap();
        assert_eq!(found.as_seq().unwrap()[1], tags(ser, &[]), "{label}");
        assert_eq!(Uri::from_value(&found.as_seq().unwrap()[0]).unwrap().object(), "n");

        assert_raised(
            positional(s, ser, "set_metadata", vec!["nobody".into(), strs(&["x"])]),
            "Pyro5.errors.NamingError",
            "unknown name: nobody",
        );
        assert_raised(
            positional(s, ser, "set_metadata", vec!["n".into(), "x".into()]),
            "builtins.TypeError",
            "metadata should not be a str, but another iterable (set, list, etc)",
        );
        assert_raised(
            positional(s, ser, "set_metadata", vec![Value::Int(1), strs(&[])]),
            "builtins.TypeError",
            "name must be a str",
        );
        assert_raised(
            positional(s, ser, "set_metadata", vec!["n".into()]),
            "builtins.TypeError",
            "set_metadata() missing required argument: 'metadata'",
        );
    });
}

#[test]
fn regex_arguments_are_bounded_in_size_and_compiled_size() {
    each(|label, s, ser, _| {
        register(s, ser, "a.1", "PYRO:x@h:1", None);
        // A 3 MB pattern is refused before it is parsed.
        let huge = "a".repeat(3 << 20);
        for method in ["list", "remove"] {
            let bad = raised(call(s, ser, method, vec![], kwargs([("regex", huge.as_str().into())])));
            assert_eq!(bad.class, "Pyro5.errors.NamingError", "{label} {method}");
            assert_eq!(
                bad.message, "invalid regex: pattern of 3145728 bytes is longer than the limit of 10000 bytes",
                "{label} {method}"
            );
        }
        // A short pattern that would compile to a huge program is refused too.
        let bad = raised(call(s, ser, "list", vec![], kwargs([("regex", r"(\w{100}){100}".into())])));
        assert_eq!(bad.class, "Pyro5.errors.NamingError", "{label}");
        assert!(bad.message.starts_with("invalid regex: "), "{}", bad.message);
        // A pattern at the limit still works.
        let at_limit = format!(r"a\.?1?{}", "z?".repeat((pyro_ns::storage::MAX_REGEX_LEN - 6) / 2));
        assert!(at_limit.len() <= pyro_ns::storage::MAX_REGEX_LEN);
        let listed = names(call(s, ser, "list", vec![], kwargs([("regex", at_limit.as_str().into())])).unwrap());
        assert_eq!(listed, ["a.1"], "{label}");
    });
}

#[test]
fn the_name_servers_own_registration_cannot_be_redirected() {
    each(|label, s, ser, ns| {
        for safe in [false, true] {
            let kw = kwargs([
                ("name", "Pyro.NameServer".into()),
                ("uri", "PYRO:Pyro.NameServer@evil.example:9090".into()),
                ("safe", Value::Bool(safe)),
            ]);
            assert_raised(
                call(s, ser, "register", vec![], kw),
                "Pyro5.errors.NamingError",
                "the name server's own registration cannot be changed: Pyro.NameServer",
            );
        }
        // Registering its current uri again changes nothing (metadata included).
        register(s, ser, "Pyro.NameServer", NS_URI, Some(&["other"]));
        let found = ns.lookup("Pyro.NameServer".into(), Some(true.into())).unwrap();
        assert_eq!(found.uri().to_string(), NS_URI, "{label}");
        assert_eq!(found.metadata(), [pyro_ns::NAMESERVER_METADATA.to_owned()], "{label}");
    });
}
