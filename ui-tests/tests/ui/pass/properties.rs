//! Remote attributes in impls and traits: getters and setters with every receiver, explicit
//! names, `Result`s, optional values, doc comments, `#[cfg]` and `#[deprecated]`; the typed
//! proxies have their accessors; no warning in the generated code.
#![deny(warnings)]

use pyro::dispatch::{CallArgs, Servant, Served};
use pyro::{RemoteError, Serializer, Value};

struct Lamp {
    level: u8,
}

#[pyro::expose]
impl Lamp {
    /// Read-write.
    #[pyro::getter]
    pub fn level(&mut self) -> u8 {
        self.level
    }

    /// Refuses levels above 100.
    #[pyro::setter]
    pub fn set_level(&mut self, value: u8) -> Result<(), RemoteError> {
        self.level = value;
        Ok(())
    }

    /// Named explicitly, optional value, shared receiver.
    #[pyro::getter(name = "label")]
    pub fn current_label(&self) -> Option<String> {
        None
    }

    #[pyro::setter(name = "label")]
    pub fn relabel(&self, label: Option<String>) {
        let _ = label;
    }

    /// Compiled out.
    #[cfg(any())]
    #[pyro::getter]
    pub fn gone(&self) -> u8 {
        0
    }

    /// Old.
    #[deprecated = "use level"]
    #[pyro::getter]
    pub fn old_level(&self) -> u8 {
        self.level
    }
}

/// Only attributes: no method at all.
#[pyro::expose]
pub trait Sensor {
    /// The reading.
    #[pyro::getter]
    fn reading(&self) -> f64;
    /// Calibrates.
    #[pyro::setter]
    fn set_reading(&mut self, value: f64) -> pyro::Result<()>;
}

fn main() {
    let served = Served::new(Lamp { level: 3 });
    let attrs: Vec<&str> = served.metadata().attrs.iter().map(String::as_str).collect();
    assert_eq!(attrs, ["label", "level", "old_level"]);
    assert!(served.metadata().methods.is_empty());
    let read = CallArgs::new("__getattr__", vec![Value::from("level")], None);
    assert_eq!(served.invoke("__getattr__", read, Serializer::Json).ok(), Some(b"3".to_vec()));

    let _: fn(&LampProxy) -> pyro::Result<u8> = LampProxy::level;
    let _: fn(&LampProxy, u8) -> pyro::Result<()> = LampProxy::set_level;
    let _: fn(&LampProxy) -> pyro::Result<Option<String>> = LampProxy::current_label;
    let _: fn(&LampProxy, Option<String>) -> pyro::Result<()> = LampProxy::relabel;
    let _: fn(&SensorProxy) -> pyro::Result<f64> = SensorProxy::reading;
    let _: fn(&SensorProxy, f64) -> pyro::Result<()> = SensorProxy::set_reading;
}
