//! `#[derive(pyro::RemoteError)]`: the exceptions variants become, and the variants received
//! exceptions become (shapes, default classes, the unit fallback, optional attributes), and one
//! returned by a class's instance creator reaching a Rust client as its variant.
#![allow(clippy::unwrap_used)]

use pyro::dispatch::IntoRemoteError;
use pyro::{Error, FromRemoteError, RemoteError, Value};

#[derive(Debug, PartialEq, pyro::RemoteError)]
enum StoreError {
    /// No class anywhere: `builtins.RuntimeError`.
    Closed,
    #[pyro(class = "builtins.LookupError")]
    Missing { item: String, suggestion: Option<String> },
    #[pyro(class = "builtins.LookupError")]
    Gone,
    #[pyro(class = "Pyro5.errors.NamingError")]
    Naming(String, u32),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Closed => f.write_str("store closed"),
            StoreError::Missing { item, .. } => write!(f, "no {item}"),
            StoreError::Gone => f.write_str("gone"),
            StoreError::Naming(name, _) => write!(f, "naming {name}"),
        }
    }
}

#[derive(Debug, PartialEq, pyro::RemoteError)]
#[pyro(class = "builtins.OSError")]
enum Io {
    Failed(i64, String),
}

fn round_trip<E: IntoRemoteError + FromRemoteError>(error: E) -> (RemoteError, Option<E>) {
    let remote = error.into_remote_error();
    // Through Pyro5's exception dict, as on the wire.
    let received = RemoteError::from_value(&remote.to_value()).unwrap();
    let back = E::from_remote_error(&received);
    (remote, back)
}

#[test]
fn variants_become_exceptions_of_their_class_and_shape() {
    let (remote, back) = round_trip(StoreError::Closed);
    assert_eq!((remote.class.as_str(), remote.message.as_str()), ("builtins.RuntimeError", "store closed"));
    assert_eq!(back, Some(StoreError::Closed));

    let missing = StoreError::Missing { item: "tea".into(), suggestion: Some("coffee".into()) };
    let (remote, back) = round_trip(missing);
    assert_eq!(remote.class, "builtins.LookupError");
    assert_eq!(remote.args, vec![Value::from("no tea")]);
    assert_eq!(remote.attributes.get("item"), Some(&Value::from("tea")));
    assert_eq!(remote.attributes.get("suggestion"), Some(&Value::from("coffee")));
    assert_eq!(back, Some(StoreError::Missing { item: "tea".into(), suggestion: Some("coffee".into()) }));

    let (remote, back) = round_trip(StoreError::Naming("x".into(), 3));
    assert_eq!(remote.args, vec![Value::from("x"), Value::Int(3)]);
    assert_eq!(remote.message, "('x', 3)");
    assert_eq!(back, Some(StoreError::Naming("x".into(), 3)));

    let (remote, back) = round_trip(Io::Failed(2, "No such file".into()));
    assert_eq!(remote.class, "builtins.OSError");
    assert_eq!(back, Some(Io::Failed(2, "No such file".into())));
}

#[test]
fn received_exceptions_pick_the_first_variant_that_fits() {
    // An attribute may be missing when its field is optional.
    let mut remote = RemoteError::new("builtins.LookupError", vec!["no milk".into()]);
    remote.attributes.insert("item", "milk");
    assert_eq!(
        StoreError::from_remote_error(&remote),
        Some(StoreError::Missing { item: "milk".into(), suggestion: None })
    );
    // Without the attributes, the unit variant of the class catches it, whatever the message.
    let remote = RemoteError::new("builtins.LookupError", vec!["something else".into()]);
    assert_eq!(StoreError::from_remote_error(&remote), Some(StoreError::Gone));
    // Arguments of the wrong number or type do not fit a tuple variant.
    let remote = RemoteError::new("Pyro5.errors.NamingError", vec!["x".into()]);
    assert_eq!(StoreError::from_remote_error(&remote), None);
    let remote = RemoteError::new("Pyro5.errors.NamingError", vec!["x".into(), "y".into()]);
    assert_eq!(StoreError::from_remote_error(&remote), None);
    // Another class is not this enum's.
    let remote = RemoteError::new("builtins.ValueError", vec!["store closed".into()]);
    assert_eq!(StoreError::from_remote_error(&remote), None);
    assert!(Error::from(remote).raised::<StoreError>().is_err());
}

#[test]
fn a_variant_converts_into_pyro_error_for_question_marks() {
    fn fails() -> pyro::Result<()> {
        Err(StoreError::Gone)?
    }
    let error = fails().unwrap_err();
    assert_eq!(error.python_class(), "builtins.LookupError");
    assert_eq!(error.raised::<StoreError>().unwrap(), StoreError::Gone);
}

/// A field type whose serialization always fails.
#[derive(Debug, serde::Deserialize)]
struct Unsendable;

impl serde::Serialize for Unsendable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("never sent"))
    }
}

#[test]
fn fields_that_cannot_serialize_become_a_serialize_error() {
    #[derive(Debug, pyro::RemoteError)]
    enum Odd {
        Broken { part: Unsendable },
    }
    impl std::fmt::Display for Odd {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("odd")
        }
    }
    let remote = Odd::Broken { part: Unsendable }.into_remote_error();
    assert_eq!(remote.class, "Pyro5.errors.SerializeError");
    assert!(remote.message.contains("attribute 'part'"), "{}", remote.message);
    assert!(remote.message.contains("never sent"), "{}", remote.message);
}

/// A class whose instances need the store open (`StoreError::Closed` from its creator).
struct Shelf;

#[pyro::expose]
impl Shelf {
    /// What is on the shelf.
    pub fn count(&self) -> i64 {
        3
    }
}

#[test]
fn a_creators_derived_error_reaches_the_rust_client_as_its_variant_and_the_next_call_creates() {
    use std::sync::atomic::{AtomicU32, Ordering};

    use pyro::daemon::InstanceMode;
    use pyro::dispatch::CallContext;

    let daemon = pyro::Daemon::bind("127.0.0.1", 0).unwrap();
    let tries = AtomicU32::new(0);
    let create = move |_: &CallContext| match tries.fetch_add(1, Ordering::SeqCst) {
        0 => Err(StoreError::Closed),
        1 => Err(StoreError::Naming("shelf".into(), 2)),
        _ => Ok(Shelf),
    };
    let uri = daemon.register_class_try_with(InstanceMode::Session, create, Some("shelf")).unwrap();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    let shelf = ShelfProxy::new(&uri.to_string()).unwrap();
    let typed = |result: pyro::Result<i64>| result.map_err(pyro::CallError::<StoreError>::from);
    assert!(matches!(typed(shelf.count()), Err(pyro::CallError::Raised(StoreError::Closed))));
    assert!(
        matches!(typed(shelf.count()), Err(pyro::CallError::Raised(StoreError::Naming(name, 2))) if name == "shelf")
    );
    assert_eq!(shelf.count().unwrap(), 3, "the third call creates the instance");
    drop(shelf);
    stop.shutdown();
    server.join().unwrap().unwrap();
}
