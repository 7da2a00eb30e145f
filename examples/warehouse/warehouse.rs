//! The warehouse of Pyro5's tutorial (`examples/warehouse/phase3`): the remote interface that
//! the server and its visitors share, and the warehouse itself.

// Shared by the server and the visitor programs (and a test); each uses its part.
#![allow(dead_code)]

use pyro::{RemoteError, Value};

/// The name the warehouse is registered under in the name server.
pub const NAME: &str = "example.warehouse";

/// What the warehouse holds when it opens.
pub const INITIAL_CONTENTS: [&str; 5] = ["chair", "bike", "flashlight", "laptop", "couch"];

/// What a visitor can do at the warehouse: the remote interface. `#[pyro::expose]` generates
/// `WarehouseProxy`, the typed client, from it; Pyro5's Python visitors call the same methods.
#[pyro::expose]
pub trait Warehouse {
    /// Everything in the warehouse, in the order it was stored.
    fn list_contents(&self) -> Vec<String>;

    /// `name` takes `item` out; a Python `ValueError` if the warehouse has no such item.
    fn take(&mut self, name: String, item: String) -> Result<(), RemoteError>;

    /// `name` puts `item` in.
    fn store(&mut self, name: String, item: String);
}

/// The warehouse: one instance shared by every visitor (Pyro5's `instance_mode="single"`).
pub struct Stock {
    contents: Vec<String>,
}

impl Default for Stock {
    fn default() -> Stock {
        Stock { contents: INITIAL_CONTENTS.iter().map(|item| (*item).to_owned()).collect() }
    }
}

impl Warehouse for Stock {
    fn list_contents(&self) -> Vec<String> {
        self.contents.clone()
    }

    fn take(&mut self, name: String, item: String) -> Result<(), RemoteError> {
        let Some(index) = self.contents.iter().position(|thing| *thing == item) else {
            // What Python's list.remove() raises, as the Python warehouse does.
            return Err(RemoteError::new("builtins.ValueError", vec![Value::from("list.remove(x): x not in list")]));
        };
        self.contents.remove(index);
        println!("{name} took the {item}.");
        Ok(())
    }

    fn store(&mut self, name: String, item: String) {
        self.contents.push(item.clone());
        println!("{name} stored the {item}.");
    }
}
