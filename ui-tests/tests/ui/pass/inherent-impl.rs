//! An exposed inherent impl: `&self` and `&mut self` methods, optional arguments, `Result`
//! returns, a oneway method, doc comments, and items that stay local.
#![deny(warnings, missing_docs)]

use pyro::dispatch::{CallArgs, Receiver, Servant, Served};
use pyro::{Serializer, Value};
use serde::{Deserialize, Serialize};

/// A point.
#[derive(Serialize, Deserialize)]
pub struct Point {
    x: i64,
    y: i64,
}

/// A counter.
pub struct Counter {
    count: i64,
    log: Vec<String>,
}

#[pyro::expose]
impl Counter {
    /// A new counter (an associated function: not exposed).
    pub fn new() -> Counter {
        Counter { count: 0, log: Vec::new() }
    }

    /// The count.
    pub fn get(&self) -> i64 {
        self.count
    }

    /// Adds `by` (1 when left out).
    pub fn add(&mut self, by: Option<i64>) -> i64 {
        self.count += by.unwrap_or(1);
        self.count
    }

    /// Divides the count.
    pub fn divide(&self, by: i64) -> Result<i64, String> {
        self.count.checked_div(by).ok_or_else(|| "division by zero".to_owned())
    }

    /// Checks a point.
    pub fn origin(&self, point: Point) -> pyro::Result<Point> {
        Ok(Point { x: point.x - point.x, y: point.y - point.y })
    }

    /// Records a message; nobody waits for it.
    #[pyro::oneway]
    pub fn record(&mut self, message: String) {
        self.log.push(message);
    }

    #[allow(missing_docs)] // the proxy method gets a generated doc line
    pub fn reset(&mut self) {
        self.count = 0;
    }

    /// Not `pub`: not exposed.
    fn secret(&self) -> i64 {
        self.count * 2
    }

    /// Consumes the counter; not exposed because it is not `pub`... and keeps working locally.
    fn into_log(self) -> Vec<String> {
        self.log
    }
}

fn main() {
    let counter = Counter::new();
    assert_eq!(counter.secret(), 0);
    assert!(counter.into_log().is_empty());

    let served = Served::new(Counter::new());
    let meta = served.metadata();
    assert_eq!(
        meta.methods.iter().map(String::as_str).collect::<Vec<_>>(),
        ["add", "divide", "get", "origin", "record", "reset"]
    );
    assert_eq!(meta.oneway.iter().map(String::as_str).collect::<Vec<_>>(), ["record"]);
    assert_eq!(<Counter as pyro::dispatch::Dispatch<Counter>>::receiver("add"), Some(Receiver::Exclusive));
    assert_eq!(<Counter as pyro::dispatch::Dispatch<Counter>>::receiver("get"), Some(Receiver::Shared));
    assert_eq!(<Counter as pyro::dispatch::Dispatch<Counter>>::receiver("secret"), None);
    let reply = served.invoke("add", CallArgs::new("add", vec![Value::Int(5)], None), Serializer::Json).unwrap();
    assert_eq!(reply, b"5");

    let proxy = CounterProxy::new("PYRO:counter@localhost:9999").unwrap();
    assert_eq!(proxy.proxy().uri().to_string(), "PYRO:counter@localhost:9999");
    let _: fn(&CounterProxy) -> pyro::Result<i64> = CounterProxy::get;
    let _: fn(&CounterProxy, Option<i64>) -> pyro::Result<i64> = CounterProxy::add;
    let _: fn(&CounterProxy, i64) -> pyro::Result<i64> = CounterProxy::divide;
    let _: fn(&CounterProxy, Point) -> pyro::Result<Point> = CounterProxy::origin;
    let _: fn(&CounterProxy, String) -> pyro::Result<()> = CounterProxy::record;
    let _: fn(&CounterProxy) -> pyro::Result<()> = CounterProxy::reset;
}
