//! `#[pyro::expose]` on an inherent impl, served in-process: the generated dispatch table
//! binds arguments as Python does, calls the method and sends the result or the exception, in
//! both serializers. (Calls over the network are tested with the daemon and the proxy.)
#![allow(clippy::unwrap_used)]

mod macros_support;
use macros_support::{call, positional, raised};

use pyro::dispatch::{CallArgs, Dispatch, IntoRemoteError, Receiver, Servant, Served};
use pyro::value::Dict;
use pyro::{Error, RemoteError, Serializer, Value};
use serde::{Deserialize, Serialize};

const SERIALIZERS: [Serializer; 4] = [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack];

/// An item in the shop.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    name: String,
    price: u32,
}

/// Raised when an item is missing: becomes a Python `KeyError`.
pub struct OutOfStock(String);

impl IntoRemoteError for OutOfStock {
    fn into_remote_error(self) -> RemoteError {
        RemoteError::new("builtins.KeyError", vec![Value::from(self.0)])
    }
}

/// A shop with a stock of items.
#[derive(Default)]
pub struct Shop {
    stock: Vec<Item>,
    log: std::sync::Mutex<Vec<String>>,
}

#[pyro::expose]
impl Shop {
    /// A new, empty shop (not exposed: no receiver).
    pub fn new() -> Shop {
        Shop::default()
    }

    /// Adds `count` items (1 when left out); returns the stock size.
    pub fn add(&mut self, name: String, price: u32, count: Option<usize>) -> usize {
        for _ in 0..count.unwrap_or(1) {
            self.stock.push(Item { name: name.clone(), price });
        }
        self.stock.len()
    }

    /// The stock size.
    pub fn size(&self) -> usize {
        self.stock.len()
    }

    /// Takes an item out of the stock.
    pub fn take(&mut self, name: String) -> Result<Item, OutOfStock> {
        match self.stock.iter().position(|item| item.name == name) {
            Some(index) => Ok(self.stock.remove(index)),
            None => Err(OutOfStock(name)),
        }
    }

    /// The average price: an error (`RuntimeError`, from `Display`) for an empty shop.
    pub fn average(&self) -> Result<u32, String> {
        let total: u32 = self.stock.iter().map(|item| item.price).sum();
        let count = u32::try_from(self.stock.len()).unwrap_or(u32::MAX);
        total.checked_div(count).ok_or_else(|| "the shop is empty".to_owned())
    }

    /// Fails with a pyro error, which keeps its Pyro5 class.
    pub fn close(&self) -> pyro::Result<()> {
        Err(Error::Security { message: "not allowed".into() })
    }

    /// Echoes an item.
    pub fn echo(&self, item: Item) -> Item {
        item
    }

    /// Records a message; the caller does not wait.
    #[pyro::oneway]
    pub fn log(&self, message: String) {
        self.log.lock().unwrap().push(message);
    }

    /// Returns nothing.
    pub fn ping(&self) {}

    /// A raw identifier: exposed as `type`.
    pub fn r#type(&self) -> String {
        "shop".to_owned()
    }

    /// Not `pub`: not exposed.
    #[allow(dead_code)]
    fn secret(&self) -> u32 {
        42
    }
}

fn stocked_shop() -> Served<Shop> {
    let served = Served::new(Shop::new());
    positional(&served, Serializer::Json, "add", vec!["tea".into(), Value::Int(3)]).unwrap();
    served
}

#[test]
fn metadata_lists_exposed_methods_and_oneway_subset() {
    let served = Served::new(Shop::new());
    let methods: Vec<&str> = served.metadata().methods.iter().map(String::as_str).collect();
    assert_eq!(methods, ["add", "average", "close", "echo", "log", "ping", "size", "take", "type"]);
    let oneway: Vec<&str> = served.metadata().oneway.iter().map(String::as_str).collect();
    assert_eq!(oneway, ["log"]);
    assert!(served.metadata().attrs.is_empty());
    assert_eq!(<Shop as Dispatch<Shop>>::receiver("add"), Some(Receiver::Exclusive));
    assert_eq!(<Shop as Dispatch<Shop>>::receiver("take"), Some(Receiver::Exclusive));
    assert_eq!(<Shop as Dispatch<Shop>>::receiver("size"), Some(Receiver::Shared));
    assert_eq!(<Shop as Dispatch<Shop>>::receiver("secret"), None);
    assert_eq!(<Shop as Dispatch<Shop>>::receiver("new"), None);
}

#[test]
fn positional_keyword_and_omitted_optional_arguments() {
    for ser in SERIALIZERS {
        let served = Served::new(Shop::new());
        let added = positional(&served, ser, "add", vec!["tea".into(), Value::Int(3), Value::Int(2)]).unwrap();
        assert_eq!(added, Value::Int(2));
        let kwargs: Dict = [("price", Value::Int(5)), ("name", "cake".into())].into_iter().collect();
        assert_eq!(call(&served, ser, "add", vec![], kwargs).unwrap(), Value::Int(3));
        let kwargs: Dict = [("count", Value::None)].into_iter().collect();
        let mixed = call(&served, ser, "add", vec!["jam".into(), Value::Int(1)], kwargs).unwrap();
        assert_eq!(mixed, Value::Int(4));
        assert_eq!(positional(&served, ser, "size", vec![]).unwrap(), Value::Int(4));
    }
}

#[test]
fn exclusive_methods_mutate_the_object() {
    let served = stocked_shop();
    let taken = positional(&served, Serializer::Json, "take", vec!["tea".into()]).unwrap();
    let expected: Dict = [("name", Value::from("tea")), ("price", Value::Int(3))].into_iter().collect();
    assert_eq!(taken, Value::Dict(expected));
    assert_eq!(positional(&served, Serializer::Json, "size", vec![]).unwrap(), Value::Int(0));
}

#[test]
fn structs_travel_as_dicts() {
    for ser in SERIALIZERS {
        let served = Served::new(Shop::new());
        let item: Dict = [("name", Value::from("tea")), ("price", Value::Int(3))].into_iter().collect();
        let echoed = positional(&served, ser, "echo", vec![Value::Dict(item.clone())]).unwrap();
        assert_eq!(echoed, Value::Dict(item));
    }
}

#[test]
fn unit_results_are_none() {
    for ser in SERIALIZERS {
        let served = Served::new(Shop::new());
        assert_eq!(positional(&served, ser, "ping", vec![]).unwrap(), Value::None);
        assert_eq!(positional(&served, ser, "log", vec!["hello".into()]).unwrap(), Value::None);
        assert_eq!(positional(&served, ser, "type", vec![]).unwrap(), Value::from("shop"));
    }
    let reply = Served::new(Shop::new()).invoke("ping", CallArgs::new("ping", vec![], None), Serializer::Json);
    assert_eq!(reply.unwrap(), b"null");
}

#[test]
fn bad_calls_are_type_errors() {
    for ser in SERIALIZERS {
        let served = Served::new(Shop::new());
        let wrong = raised(positional(&served, ser, "add", vec![Value::Int(1), Value::Int(3)]));
        assert_eq!(wrong.class, "builtins.TypeError");
        assert!(wrong.message.starts_with("add() argument 'name' (int): "), "{}", wrong.message);

        let missing = raised(positional(&served, ser, "add", vec!["tea".into()]));
        assert_eq!(missing.class, "builtins.TypeError");
        assert_eq!(missing.message, "add() missing required argument: 'price'");

        let extra = raised(positional(&served, ser, "size", vec![Value::Int(1)]));
        assert_eq!(extra.message, "size() takes 0 positional arguments but 1 were given");

        let kwargs: Dict = [("colour", "red")].into_iter().collect();
        let unknown = raised(call(&served, ser, "take", vec!["tea".into()], kwargs));
        assert_eq!(unknown.message, "take() got an unexpected keyword argument 'colour'");
    }
}

#[test]
fn unknown_and_unexposed_methods_are_attribute_errors() {
    let served = Served::new(Shop::new());
    for method in ["nope", "secret", "new"] {
        let error = raised(positional(&served, Serializer::Json, method, vec![]));
        assert_eq!(error.class, "builtins.AttributeError");
        assert_eq!(error.message, format!("attempt to access unexposed or unknown attribute '{method}'"));
    }
}

#[test]
fn errors_become_python_exceptions() {
    for ser in SERIALIZERS {
        let served = Served::new(Shop::new());
        let runtime = raised(positional(&served, ser, "average", vec![]));
        assert_eq!(runtime.class, "builtins.RuntimeError");
        assert_eq!(runtime.message, "the shop is empty");

        let own = raised(positional(&served, ser, "take", vec!["tea".into()]));
        assert_eq!(own.class, "builtins.KeyError");
        assert_eq!(own.args, [Value::from("tea")]);

        let pyro_error = raised(positional(&served, ser, "close", vec![]));
        assert_eq!(pyro_error.class, "Pyro5.errors.SecurityError");
        assert_eq!(pyro_error.message, "not allowed");
    }
    let served = stocked_shop();
    assert_eq!(positional(&served, Serializer::Json, "average", vec![]).unwrap(), Value::Int(3));
}

#[test]
fn exposed_types_are_registered() {
    let types = pyro::exposed_types();
    let (_, module, metadata) = types.iter().find(|(name, _, _)| *name == "Shop").expect("Shop is registered");
    assert_eq!(*module, "macros_dispatch");
    assert_eq!(*metadata, <Shop as Dispatch<Shop>>::metadata());
}

#[test]
fn a_call_without_arguments_sends_an_empty_sequence() {
    // What a typed proxy passes for a method without arguments (`()` would be None).
    assert_eq!(Serializer::Json.to_bytes(&[(); 0]).unwrap(), b"[]");
    assert_eq!(Serializer::Msgpack.to_bytes(&[(); 0]).unwrap(), [0x90]);
}
