//! Remote attributes (`#[pyro::getter]`, `#[pyro::setter]`) of `#[pyro::expose]` impls and
//! traits: the metadata's `attrs`, the `__getattr__`/`__setattr__` calls a Pyro5 proxy sends
//! (served in-process, in both serializers) with Pyro5's errors, and the typed proxy's getters
//! and setters against a daemon on the loopback interface.
#![allow(clippy::unwrap_used)]

mod macros_support;
use macros_support::{call, positional, raised};

use std::sync::Mutex;

use pyro::dispatch::{CallArgs, Dispatch, Receiver, Servant, Served};
use pyro::value::Dict;
use pyro::{Daemon, RemoteError, Serializer, Value};

const SERIALIZERS: [Serializer; 4] = [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack];

/// A lamp: a writable `brightness` (refusing values above 100), a writable optional `label`,
/// a read-only `watts`, a getter that can fail, and one method.
pub struct Lamp {
    brightness: u8,
    label: Option<String>,
    log: Mutex<Vec<String>>,
}

impl Lamp {
    fn new() -> Lamp {
        Lamp { brightness: 50, label: None, log: Mutex::new(Vec::new()) }
    }
}

#[pyro::expose]
impl Lamp {
    /// The brightness, 0 to 100.
    #[pyro::getter]
    pub fn brightness(&self) -> u8 {
        self.brightness
    }

    /// Sets the brightness; above 100 is a `ValueError`.
    #[pyro::setter]
    pub fn set_brightness(&mut self, value: u8) -> Result<(), RemoteError> {
        if value > 100 {
            return Err(RemoteError::new("builtins.ValueError", vec![Value::from("brightness above 100")]));
        }
        self.brightness = value;
        Ok(())
    }

    /// The label (None when unset); named explicitly.
    #[pyro::getter(name = "label")]
    pub fn current_label(&self) -> Option<String> {
        self.label.clone()
    }

    /// Writes `label`.
    #[pyro::setter(name = "label")]
    pub fn relabel(&mut self, label: Option<String>) {
        self.label = label;
    }

    /// Read-only: no setter.
    #[pyro::getter]
    pub fn watts(&self) -> f64 {
        7.5
    }

    /// A getter that fails: the reader gets a `RuntimeError`.
    #[pyro::getter]
    pub fn serial(&self) -> Result<String, String> {
        Err("no serial number".to_owned())
    }

    /// An ordinary method.
    pub fn toggle(&self) -> String {
        self.log.lock().unwrap().push("toggle".to_owned());
        "toggled".to_owned()
    }
}

fn getattr(served: &dyn Servant, ser: Serializer, name: Value) -> Result<Value, pyro::Error> {
    positional(served, ser, "__getattr__", vec![name])
}

fn setattr(served: &dyn Servant, ser: Serializer, name: &str, value: Value) -> Result<Value, pyro::Error> {
    positional(served, ser, "__setattr__", vec![Value::from(name), value])
}

#[test]
fn metadata_lists_attributes_apart_from_methods() {
    let served = Served::new(Lamp::new());
    let attrs: Vec<&str> = served.metadata().attrs.iter().map(String::as_str).collect();
    assert_eq!(attrs, ["brightness", "label", "serial", "watts"]);
    let methods: Vec<&str> = served.metadata().methods.iter().map(String::as_str).collect();
    assert_eq!(methods, ["toggle"]);
    assert!(served.metadata().oneway.is_empty());
    // Reads run shared, writes exclusive (a setter takes `&mut self`).
    assert_eq!(<Lamp as Dispatch<Lamp>>::receiver("__getattr__"), Some(Receiver::Shared));
    assert_eq!(<Lamp as Dispatch<Lamp>>::receiver("__setattr__"), Some(Receiver::Exclusive));
    // Accessors are not methods.
    assert_eq!(<Lamp as Dispatch<Lamp>>::receiver("brightness"), None);
    assert_eq!(<Lamp as Dispatch<Lamp>>::receiver("set_brightness"), None);
}

#[test]
fn attributes_are_read_and_written() {
    for ser in SERIALIZERS {
        let served = Served::new(Lamp::new());
        assert_eq!(getattr(&served, ser, "brightness".into()).unwrap(), Value::Int(50));
        assert_eq!(setattr(&served, ser, "brightness", Value::Int(80)).unwrap(), Value::None);
        assert_eq!(getattr(&served, ser, "brightness".into()).unwrap(), Value::Int(80));

        assert_eq!(getattr(&served, ser, "label".into()).unwrap(), Value::None);
        setattr(&served, ser, "label", "desk".into()).unwrap();
        assert_eq!(getattr(&served, ser, "label".into()).unwrap(), Value::from("desk"));
        setattr(&served, ser, "label", Value::None).unwrap();
        assert_eq!(getattr(&served, ser, "label".into()).unwrap(), Value::None);

        assert_eq!(getattr(&served, ser, "watts".into()).unwrap(), Value::Float(7.5));
        assert_eq!(positional(&served, ser, "toggle", vec![]).unwrap(), Value::from("toggled"));
    }
}

#[test]
fn pyro5_call_shapes_are_accepted() {
    let served = Served::new(Lamp::new());
    // A Pyro5 proxy sends `None` as kwargs; an empty dict works too; Pyro5 ignores extra arguments.
    let reply = served.invoke(
        "__setattr__",
        CallArgs::new("__setattr__", vec!["brightness".into(), Value::Int(10)], None),
        Serializer::Json,
    );
    assert_eq!(reply.unwrap(), b"null");
    let read = CallArgs::new("__getattr__", vec!["brightness".into()], Some(Dict::new()));
    assert_eq!(served.invoke("__getattr__", read, Serializer::Json).unwrap(), b"10");
    let extra = vec!["brightness".into(), Value::Int(20), Value::Int(99)];
    assert_eq!(positional(&served, Serializer::Json, "__setattr__", extra).unwrap(), Value::None);
    let extra = vec!["brightness".into(), Value::from("ignored")];
    assert_eq!(positional(&served, Serializer::Json, "__getattr__", extra).unwrap(), Value::Int(20));
    let kwargs: Dict = [("ignored", Value::Int(1))].into_iter().collect();
    let with_kwargs = call(&served, Serializer::Json, "__getattr__", vec!["brightness".into()], kwargs);
    assert_eq!(with_kwargs.unwrap(), Value::Int(20));
}

#[test]
fn unknown_private_and_read_only_names_fail_as_in_pyro5() {
    for ser in SERIALIZERS {
        let served = Served::new(Lamp::new());
        let attribute_error = |result| {
            let error = raised(result);
            assert_eq!(error.class, "builtins.AttributeError");
            error.message
        };
        let unexposed = |name: &str| format!("attempt to access unexposed or unknown remote attribute '{name}'");

        // A name the class does not have: Python's own message, naming the type.
        assert_eq!(
            attribute_error(getattr(&served, ser, "colour".into())),
            "type object 'Lamp' has no attribute 'colour'"
        );
        assert_eq!(
            attribute_error(setattr(&served, ser, "colour", Value::Int(1))),
            "type object 'Lamp' has no attribute 'colour'"
        );
        // Methods, private names and the accessors' Rust names exist but are no attributes.
        for name in ["toggle", "_private", "__class__"] {
            assert_eq!(attribute_error(getattr(&served, ser, name.into())), unexposed(name));
            assert_eq!(attribute_error(setattr(&served, ser, name, Value::Int(1))), unexposed(name));
        }
        assert!(attribute_error(getattr(&served, ser, "set_brightness".into())).contains("has no attribute"));
        // Read-only attributes.
        for name in ["watts", "serial"] {
            assert_eq!(attribute_error(setattr(&served, ser, name, Value::Int(1))), unexposed(name));
        }
        assert_eq!(getattr(&served, ser, "watts".into()).unwrap(), Value::Float(7.5));
    }
}

#[test]
fn accessor_errors_reach_the_caller() {
    for ser in SERIALIZERS {
        let served = Served::new(Lamp::new());
        let refused = raised(setattr(&served, ser, "brightness", Value::Int(101)));
        assert_eq!((refused.class.as_str(), refused.message.as_str()), ("builtins.ValueError", "brightness above 100"));
        assert_eq!(getattr(&served, ser, "brightness".into()).unwrap(), Value::Int(50));

        let failing = raised(getattr(&served, ser, "serial".into()));
        assert_eq!((failing.class.as_str(), failing.message.as_str()), ("builtins.RuntimeError", "no serial number"));

        let wrong_type = raised(setattr(&served, ser, "brightness", "bright".into()));
        assert_eq!(wrong_type.class, "builtins.TypeError");
        assert!(wrong_type.message.starts_with("brightness() argument 'value' (str): "), "{}", wrong_type.message);
    }
}

#[test]
fn malformed_attribute_calls_fail_as_in_pyro5() {
    for ser in SERIALIZERS {
        let served = Served::new(Lamp::new());
        let no_name = raised(positional(&served, ser, "__getattr__", vec![]));
        assert_eq!(
            (no_name.class.as_str(), no_name.message.as_str()),
            ("builtins.IndexError", "list index out of range")
        );
        let no_value = raised(positional(&served, ser, "__setattr__", vec!["brightness".into()]));
        assert_eq!(no_value.class, "builtins.IndexError");
        let not_a_name = raised(getattr(&served, ser, Value::Int(3)));
        assert_eq!(
            (not_a_name.class.as_str(), not_a_name.message.as_str()),
            ("builtins.TypeError", "attribute name must be string, not 'int'")
        );
    }
}

/// A remote interface with an attribute; reads and writes run shared (`&self` accessors).
#[pyro::expose]
pub trait Gauge {
    /// The reading.
    #[pyro::getter]
    fn reading(&self) -> i64;
    /// Calibrates the reading.
    #[pyro::setter]
    fn set_reading(&self, value: i64);
    /// The unit, read-only.
    #[pyro::getter(name = "unit")]
    fn unit_name(&self) -> String;
}

#[derive(Default)]
struct PressureGauge {
    reading: Mutex<i64>,
}

impl Gauge for PressureGauge {
    fn reading(&self) -> i64 {
        *self.reading.lock().unwrap()
    }
    fn set_reading(&self, value: i64) {
        *self.reading.lock().unwrap() = value;
    }
    fn unit_name(&self) -> String {
        "bar".to_owned()
    }
}

#[test]
fn interfaces_have_attributes_too() {
    for ser in SERIALIZERS {
        let served = Served::<PressureGauge, dyn Gauge>::with_interface(PressureGauge::default());
        let attrs: Vec<&str> = served.metadata().attrs.iter().map(String::as_str).collect();
        assert_eq!(attrs, ["reading", "unit"]);
        assert!(served.metadata().methods.is_empty());
        assert_eq!(<PressureGauge as Dispatch<dyn Gauge>>::receiver("__setattr__"), Some(Receiver::Shared));

        setattr(&served, ser, "reading", Value::Int(-3)).unwrap();
        assert_eq!(getattr(&served, ser, "reading".into()).unwrap(), Value::Int(-3));
        assert_eq!(getattr(&served, ser, "unit".into()).unwrap(), Value::from("bar"));
        let read_only = raised(setattr(&served, ser, "unit", "psi".into()));
        assert_eq!(read_only.message, "attempt to access unexposed or unknown remote attribute 'unit'");
        // The class in Pyro5's message is the implementor's.
        let unknown = raised(getattr(&served, ser, "depth".into()));
        assert_eq!(unknown.message, "type object 'PressureGauge' has no attribute 'depth'");
    }
}

#[test]
fn typed_proxies_read_and_write_attributes() {
    let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    let lamp_uri = daemon.register(Lamp::new(), Some("lamp")).unwrap().to_string();
    let gauge_uri = daemon.register_as::<dyn Gauge, _>(PressureGauge::default(), Some("gauge")).unwrap().to_string();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());

    for ser in SERIALIZERS {
        let proxy = pyro::proxy::Proxy::from_uri_str(&lamp_uri).unwrap().with_serializer(ser);
        let lamp = LampProxy::from_proxy(proxy);
        assert_eq!(lamp.brightness().unwrap(), 50);
        lamp.set_brightness(75).unwrap();
        assert_eq!(lamp.brightness().unwrap(), 75);
        match lamp.set_brightness(200) {
            Err(pyro::Error::Remote(remote)) => assert_eq!(remote.class, "builtins.ValueError"),
            other => panic!("expected a ValueError, got {other:?}"),
        }
        lamp.set_brightness(50).unwrap();
        lamp.relabel(Some(format!("over {ser}"))).unwrap();
        assert_eq!(lamp.current_label().unwrap(), Some(format!("over {ser}")));
        lamp.relabel(None).unwrap();
        assert_eq!(lamp.current_label().unwrap(), None);
        assert_eq!(lamp.watts().unwrap(), 7.5);
        assert!(matches!(lamp.serial(), Err(pyro::Error::Remote(remote)) if remote.message == "no serial number"));
        assert_eq!(lamp.toggle().unwrap(), "toggled");
        // The dynamic calls underneath stay.
        let brightness: u8 = lamp.proxy().get_attribute("brightness").unwrap();
        assert_eq!(brightness, 50);
        assert_eq!(lamp.proxy().metadata().unwrap().attrs.len(), 4);

        let gauge = GaugeProxy::new(&gauge_uri).unwrap();
        gauge.set_reading(12).unwrap();
        assert_eq!(gauge.reading().unwrap(), 12);
        assert_eq!(gauge.unit_name().unwrap(), "bar");
    }
    stop.shutdown();
    server.join().unwrap().unwrap();
}
