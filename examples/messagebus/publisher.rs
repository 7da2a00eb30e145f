//! The publisher of Pyro5's messagebus example (`publisher.py`, the "weather" messages): asks
//! for a location (reading standard input as Python's `input()` does; empty means
//! `Amsterdam`), makes sure the bus `PYRONAME:Pyro.MessageBus` has the topic
//! `weather-forecast`, then every 10 ms sends a forecast `(location, weather)` on it, printing
//! `Forecast: ('Amsterdam', 'sunny')` as Python does. When the connection to the bus is lost it
//! prints `connection to the messagebus is lost, reconnecting...` and reconnects (Pyro5's
//! `_pyroReconnect`), so a restarted bus server picks up where it left off. Runs until stopped.
//!
//! ```sh
//! cargo run --example messagebus_server -- -s memory   # or: python -m messagebus.server
//! cargo run --example messagebus_publisher              # or: python publisher.py
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another.

mod bus;
mod common;
#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;
use std::time::Duration;

use bus::{MessageBusProxy, PYRO_MSGBUS_NAME};
use common::{ask, choice, is_communication_error};
use pyro::Value;

/// What the weather can be.
const WEATHER: [&str; 10] = ["sunny", "cloudy", "storm", "rainy", "hail", "thunder", "calm", "mist", "cold", "hot"];

fn main() -> ExitCode {
    python::exit_status(run())
}

fn run() -> pyro::Result<()> {
    let location = ask("Give city or country to use as location: ")?;
    let location = if location.is_empty() { "Amsterdam".to_owned() } else { location };
    let bus = MessageBusProxy::from_proxy(python::proxy(&format!("PYRONAME:{PYRO_MSGBUS_NAME}"))?);
    bus.add_topic(Value::from("weather-forecast"))?;
    loop {
        std::thread::sleep(Duration::from_millis(10));
        let forecast = Value::Tuple(vec![Value::from(location.as_str()), Value::from(choice(&WEATHER))]);
        println!("Forecast: {forecast}");
        match bus.send("weather-forecast".into(), forecast) {
            Err(e) if is_communication_error(&e) => {
                println!("connection to the messagebus is lost, reconnecting...");
                bus.reconnect(100_000_000)?;
            }
            other => other?,
        }
    }
}
