//! `#[pyro::expose]` on a trait: a remote interface through which any implementor is served
//! (`Served::<T, dyn Trait>::with_interface`), in-process.
#![allow(clippy::unwrap_used)]

mod macros_support;
use macros_support::{call, positional, raised};

use pyro::dispatch::{Servant, Served};
use pyro::value::Dict;
use pyro::{Error, Serializer, Value};

/// A calculator with a memory.
#[pyro::expose]
pub trait Calculator {
    /// Adds `a` and `b` (and the memory).
    fn add(&self, a: i64, b: i64) -> i64;

    /// Divides `a` by `b`.
    fn divide(&self, a: i64, b: i64) -> Result<i64, String>;

    /// Stores `value` (0 when left out) in the memory.
    fn store(&mut self, value: Option<i64>);

    /// Clears the memory; the caller does not wait.
    #[pyro::oneway]
    fn clear(&mut self);

    /// The implementation's name (a provided method).
    fn name(&self) -> String {
        "calculator".to_owned()
    }
}

/// Adds without memory.
struct Plain;

impl Calculator for Plain {
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
    fn divide(&self, a: i64, b: i64) -> Result<i64, String> {
        a.checked_div(b).ok_or_else(|| "division by zero".to_owned())
    }
    fn store(&mut self, _value: Option<i64>) {}
    fn clear(&mut self) {}
}

/// Adds its memory too.
#[derive(Default)]
struct Memory {
    memory: i64,
}

impl Memory {
    /// An inherent method with a trait method's name: the interface calls the trait's.
    #[allow(dead_code)]
    fn add(&self) -> i64 {
        -1
    }
}

impl Calculator for Memory {
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b + self.memory
    }
    fn divide(&self, _a: i64, _b: i64) -> Result<i64, String> {
        Err("no division here".to_owned())
    }
    fn store(&mut self, value: Option<i64>) {
        self.memory = value.unwrap_or(0);
    }
    fn clear(&mut self) {
        self.memory = 0;
    }
    fn name(&self) -> String {
        "memory".to_owned()
    }
}

#[test]
fn every_implementor_is_served_through_the_interface() {
    let plain = Served::<Plain, dyn Calculator>::with_interface(Plain);
    let memory = Served::<_, dyn Calculator>::with_interface(Memory::default());
    for servant in [&plain as &dyn Servant, &memory] {
        let methods: Vec<&str> = servant.metadata().methods.iter().map(String::as_str).collect();
        assert_eq!(methods, ["add", "clear", "divide", "name", "store"]);
        let oneway: Vec<&str> = servant.metadata().oneway.iter().map(String::as_str).collect();
        assert_eq!(oneway, ["clear"]);
    }
    for ser in [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack] {
        assert_eq!(positional(&plain, ser, "add", vec![Value::Int(1), Value::Int(2)]).unwrap(), Value::Int(3));
        assert_eq!(positional(&plain, ser, "name", vec![]).unwrap(), Value::from("calculator"));
        assert_eq!(positional(&memory, ser, "name", vec![]).unwrap(), Value::from("memory"));
    }
}

#[test]
fn exclusive_methods_mutate_the_implementor() {
    let memory = Served::<_, dyn Calculator>::with_interface(Memory::default());
    let ser = Serializer::Json;
    assert_eq!(positional(&memory, ser, "store", vec![Value::Int(10)]).unwrap(), Value::None);
    let kwargs: Dict = [("b", Value::Int(2)), ("a", Value::Int(1))].into_iter().collect();
    assert_eq!(call(&memory, ser, "add", vec![], kwargs).unwrap(), Value::Int(13));
    assert_eq!(positional(&memory, ser, "clear", vec![]).unwrap(), Value::None);
    assert_eq!(positional(&memory, ser, "add", vec![Value::Int(1), Value::Int(2)]).unwrap(), Value::Int(3));
    positional(&memory, ser, "store", vec![Value::Int(5)]).unwrap();
    assert_eq!(positional(&memory, ser, "store", vec![]).unwrap(), Value::None);
    assert_eq!(positional(&memory, ser, "add", vec![Value::Int(0), Value::Int(0)]).unwrap(), Value::Int(0));
}

#[test]
fn errors_and_bad_calls() {
    let plain = Served::<Plain, dyn Calculator>::with_interface(Plain);
    let ser = Serializer::Msgpack;
    let error = raised(positional(&plain, ser, "divide", vec![Value::Int(1), Value::Int(0)]));
    assert_eq!((error.class.as_str(), error.message.as_str()), ("builtins.RuntimeError", "division by zero"));
    let error = raised(positional(&plain, ser, "add", vec![Value::Int(1)]));
    assert_eq!(
        (error.class.as_str(), error.message.as_str()),
        ("builtins.TypeError", "add() missing required argument: 'b'")
    );
    let error = raised(positional(&plain, ser, "multiply", vec![]));
    assert_eq!(error.class, "builtins.AttributeError");
}

#[test]
fn the_interface_is_registered() {
    let types = pyro::exposed_types();
    let (_, module, metadata) = types.iter().find(|(name, _, _)| *name == "Calculator").expect("registered");
    assert_eq!(*module, "macros_interface");
    assert!(metadata.methods.contains("add"));
}

#[test]
fn the_interface_proxy_calls_any_implementor() {
    let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    let plain = daemon.register_as::<dyn Calculator, _>(Plain, Some("plain")).unwrap();
    let memory = daemon.register_as::<dyn Calculator, _>(Memory { memory: 100 }, Some("memory")).unwrap();
    let shutdown = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());

    let plain = CalculatorProxy::new(&plain.to_string()).unwrap();
    let memory = CalculatorProxy::new(&memory.to_string()).unwrap();
    assert_eq!(plain.add(1, 2).unwrap(), 3);
    assert_eq!(memory.add(1, 2).unwrap(), 103);
    assert_eq!(memory.name().unwrap(), "memory");
    memory.store(Some(5)).unwrap();
    assert_eq!(memory.add(0, 0).unwrap(), 5);
    match plain.divide(1, 0) {
        Err(Error::Remote(remote)) => assert_eq!(remote.message, "division by zero"),
        other => panic!("expected a remote error, got {other:?}"),
    }
    memory.clear().unwrap(); // oneway: returns once sent
    assert_eq!(plain.divide(6, 3).unwrap(), 2);

    drop((plain, memory));
    shutdown.shutdown();
    server.join().unwrap().unwrap();
}
