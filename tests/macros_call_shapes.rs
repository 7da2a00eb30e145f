//! What `#[pyro::expose]` generates for the call shapes beyond named arguments, without a
//! network: `#[pyro::rename]` names in metadata and dispatch, `VarArgs`/`KwArgs` binding (with
//! Python's `TypeError`s), and a `SerializedBlob` parameter receiving a blob unread.
#![allow(clippy::unwrap_used)]

use pyro::dispatch::{CallArgs, Servant, Served};
use pyro::value::Dict;
use pyro::{Error, KwArgs, SerializedBlob, Serializer, Value, VarArgs};

/// An object with every call shape.
pub struct Shapes;

#[pyro::expose]
impl Shapes {
    /// Wire name `__getitem__`.
    #[pyro::rename("__getitem__")]
    pub fn get_item(&self, index: i64) -> i64 {
        index * 10
    }

    /// `sum(first, *rest)`.
    pub fn sum(&self, first: i64, rest: VarArgs<i64>) -> i64 {
        first + rest.iter().sum::<i64>()
    }

    /// `tags(name, label=None, **extra)`: the extra keywords' names.
    pub fn tags(&self, name: String, label: Option<String>, extra: KwArgs) -> (String, Option<String>, Vec<String>) {
        (name, label, extra.names().map(str::to_owned).collect())
    }

    /// A blob's info and how many bytes it kept.
    pub fn blob(&self, blob: SerializedBlob) -> (Value, usize) {
        (blob.info().clone(), blob.payload().map_or(0, |(_, bytes)| bytes.len()))
    }
}

fn call(method: &str, vargs: Vec<Value>, kwargs: Option<Dict>) -> Result<serde_json::Value, Error> {
    let served = Served::new(Shapes);
    let bytes = served.invoke(method, CallArgs::new(method, vargs, kwargs), Serializer::Json)?;
    Ok(serde_json::from_slice(&bytes).unwrap())
}

fn type_error(result: Result<serde_json::Value, Error>) -> String {
    match result {
        Err(Error::Remote(remote)) if remote.class == "builtins.TypeError" => remote.message,
        other => panic!("expected a TypeError, got {other:?}"),
    }
}

#[test]
fn renamed_methods_are_called_by_their_wire_name() {
    let served = Served::new(Shapes);
    assert!(served.metadata().methods.contains("__getitem__"));
    assert!(!served.metadata().methods.contains("get_item"));
    assert_eq!(call("__getitem__", vec![Value::Int(4)], None).unwrap(), 40);
    assert!(call("get_item", vec![Value::Int(4)], None).is_err());
}

#[test]
fn extra_positional_arguments_bind_after_the_named_ones() {
    assert_eq!(call("sum", vec![Value::Int(1)], None).unwrap(), 1);
    assert_eq!(call("sum", vec![Value::Int(1), Value::Int(2), Value::Int(3)], None).unwrap(), 6);
    let kwargs: Dict = [("first", Value::Int(5))].into_iter().collect();
    assert_eq!(call("sum", vec![], Some(kwargs)).unwrap(), 5);
    assert_eq!(type_error(call("sum", vec![], None)), "sum() missing required argument: 'first'");
    let message = type_error(call("sum", vec![Value::Int(1), Value::from("x")], None));
    assert!(message.starts_with("sum() argument '*rest' item 0 (str): "), "{message}");
    let kwargs: Dict = [("other", Value::Int(5))].into_iter().collect();
    let message = type_error(call("sum", vec![Value::Int(1)], Some(kwargs)));
    assert_eq!(message, "sum() got an unexpected keyword argument 'other'");
}

#[test]
fn extra_keyword_arguments_are_the_ones_no_parameter_takes() {
    let kwargs: Dict = [("z", Value::Int(1)), ("label", Value::from("l")), ("a", Value::Int(2))].into_iter().collect();
    let got = call("tags", vec![Value::from("n")], Some(kwargs)).unwrap();
    assert_eq!(got, serde_json::json!(["n", "l", ["z", "a"]]));
    let message = type_error(call("tags", vec![Value::from("n"), Value::from("l"), Value::from("x")], None));
    assert_eq!(message, "tags() takes 2 positional arguments but 3 were given");
}

#[test]
fn a_blob_parameter_gets_the_blob_as_it_came() {
    let blob = SerializedBlob::received("topic".into(), Serializer::Msgpack, vec![0x94, 1, 2, 3, 4]);
    assert_eq!(call("blob", vec![blob.to_value()], None).unwrap(), serde_json::json!(["topic", 5]));
    let message = type_error(call("blob", vec![Value::Int(1)], None));
    assert!(message.starts_with("blob() argument 'blob' (int): "), "{message}");
}
