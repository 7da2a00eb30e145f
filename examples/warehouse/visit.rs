//! A visitor of Pyro5's warehouse tutorial (phase 3): looks the warehouse up as
//! `PYRONAME:example.warehouse`, shows what it holds, stores and takes things.
//!
//! ```sh
//! cargo run --example warehouse_visit -- Janet --store umbrella --take bike
//! cargo run --example warehouse_visit -- Henry --take piano    # shows the remote ValueError
//! ```
//!
//! The actions run in the order given. The name server is found as Pyro5 finds it
//! (`PYRO_NS_HOST`, `PYRO_NS_PORT`, else by broadcast); it may be pyro's `pyro-ns` or Pyro5's,
//! and the warehouse may be the Rust `warehouse_server` or Python's `phase3/warehouse.py`.
//! An action the warehouse refuses is shown (the remote `ValueError`) and the visit goes on;
//! the exit code is 1 only if the warehouse cannot be reached.

mod warehouse;

use std::process::ExitCode;

use pyro::proxy::Proxy;
use pyro::{Config, Error};
use warehouse::{NAME, WarehouseProxy};

const USAGE: &str = "usage: warehouse_visit NAME [--store ITEM]... [--take ITEM]...";

/// Something to do at the warehouse.
enum Action {
    Store(String),
    Take(String),
}

fn main() -> ExitCode {
    let (name, actions) = match parse(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match visit(&name, &actions) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("warehouse_visit: cannot visit the warehouse: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<(String, Vec<Action>), String> {
    let mut name = None;
    let mut actions = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs an item\n{USAGE}"));
        match arg.as_str() {
            "--store" => actions.push(Action::Store(value()?)),
            "--take" => actions.push(Action::Take(value()?)),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other if other.starts_with('-') || name.is_some() => {
                return Err(format!("unexpected argument {other:?}\n{USAGE}"));
            }
            other => name = Some(other.to_owned()),
        }
    }
    Ok((name.ok_or_else(|| USAGE.to_owned())?, actions))
}

/// Visits the warehouse. An action the warehouse refuses (taking something it does not have)
/// is shown, and the visit goes on.
fn visit(name: &str, actions: &[Action]) -> Result<(), Error> {
    // PYRO_* environment variables (name server host and port, serializer) apply, as in Pyro5.
    let config = Config::from_env()?;
    let uri = format!("PYRONAME:{NAME}").parse()?;
    let warehouse = WarehouseProxy::from_proxy(Proxy::with_config(uri, &config));

    println!("This is {name}.");
    println!("The warehouse contains: {:?}", warehouse.list_contents()?);
    for action in actions {
        let result = match action {
            Action::Store(item) => {
                println!("{name} stores the {item}.");
                warehouse.store(name.to_owned(), item.clone())
            }
            Action::Take(item) => {
                println!("{name} takes the {item}.");
                warehouse.take(name.to_owned(), item.clone())
            }
        };
        match result {
            Ok(()) => println!("The warehouse contains: {:?}", warehouse.list_contents()?),
            // The warehouse raised an exception: show it as Python shows one.
            Err(Error::Remote(remote)) => {
                let class = remote.class.rsplit('.').next().unwrap_or(&remote.class);
                println!("The warehouse refused: {class}: {}", remote.message);
            }
            Err(e) => return Err(e),
        }
    }
    println!("Thank you, come again!");
    Ok(())
}
