//! A trait as a remote interface, implemented by two types, each served through it.
#![deny(warnings, missing_docs)]
#![forbid(unsafe_code)]

use pyro::dispatch::{CallArgs, Servant, Served};
use pyro::{Serializer, Value};

/// Adds numbers.
#[pyro::expose]
pub trait Calculator {
    /// Adds `a` and `b`.
    fn add(&self, a: i64, b: i64) -> i64;

    /// The last result (a default method).
    fn last(&self) -> Option<i64> {
        None
    }

    /// Forgets the last result.
    #[pyro::oneway]
    fn clear(&mut self);

    /// Divides.
    fn divide(&self, a: i64, b: i64) -> Result<i64, String>;
}

struct Plain;

impl Calculator for Plain {
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
    fn clear(&mut self) {}
    fn divide(&self, a: i64, b: i64) -> Result<i64, String> {
        a.checked_div(b).ok_or_else(|| "division by zero".to_owned())
    }
}

struct Remembering {
    last: Option<i64>,
}

impl Remembering {
    // An inherent method with the trait method's name: the interface still calls the trait's.
    #[allow(dead_code)]
    fn add(&self) -> i64 {
        -1
    }
}

impl Calculator for Remembering {
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b + self.last.unwrap_or(0)
    }
    fn last(&self) -> Option<i64> {
        self.last
    }
    fn clear(&mut self) {
        self.last = None;
    }
    fn divide(&self, _a: i64, _b: i64) -> Result<i64, String> {
        Err("not today".to_owned())
    }
}

fn call(servant: &dyn Servant, method: &str, vargs: Vec<Value>) -> Vec<u8> {
    servant.invoke(method, CallArgs::new(method, vargs, None), Serializer::Json).unwrap()
}

fn main() {
    let plain = Served::<Plain, dyn Calculator>::with_interface(Plain);
    let remembering = Served::<_, dyn Calculator>::with_interface(Remembering { last: Some(10) });
    for servant in [&plain as &dyn Servant, &remembering] {
        let names: Vec<&str> = servant.metadata().methods.iter().map(String::as_str).collect();
        assert_eq!(names, ["add", "clear", "divide", "last"]);
        assert!(servant.metadata().oneway.contains("clear"));
    }
    assert_eq!(call(&plain, "add", vec![Value::Int(1), Value::Int(2)]), b"3");
    assert_eq!(call(&remembering, "add", vec![Value::Int(1), Value::Int(2)]), b"13");
    assert_eq!(call(&plain, "last", vec![]), b"null");
    assert_eq!(call(&remembering, "clear", vec![]), b"null");
    assert_eq!(call(&remembering, "last", vec![]), b"null");

    let proxy = CalculatorProxy::new("PYRONAME:calculator").unwrap();
    let _: fn(&CalculatorProxy, i64, i64) -> pyro::Result<i64> = CalculatorProxy::add;
    let _: fn(&CalculatorProxy) -> pyro::Result<Option<i64>> = CalculatorProxy::last;
    let _: fn(&CalculatorProxy) -> pyro::Result<()> = CalculatorProxy::clear;
    let _: fn(&CalculatorProxy, i64, i64) -> pyro::Result<i64> = CalculatorProxy::divide;
    assert_eq!(proxy.proxy().uri().to_string(), "PYRONAME:calculator");
}
