//! Procedural macros for pyro: `#[pyro::expose]` and `#[pyro::oneway]`. Use them through the
//! `pyro` crate; generated code names only `::pyro::__private`, so this crate is not meant to be
//! used on its own.
//!
//! Layout (as serde_derive and thiserror-impl): `ast` models the input, `attr` parses the
//! attributes, `check` holds the rules (errors collected in a `ctxt::Ctxt`), `expand` generates
//! the code.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;

use proc_macro::TokenStream;
use syn::{Item, parse_macro_input};

/// Exposes an object to remote callers: on an inherent impl block, its `pub` methods taking
/// `&self` or `&mut self`; on a trait, all its methods (a remote interface any implementor can be
/// served through). Also generates a typed proxy, `<Name>Proxy`.
///
/// ```
/// use pyro::dispatch::{CallArgs, Servant, Served};
/// use pyro::{Serializer, Value};
///
/// pub struct Counter {
///     count: i64,
/// }
///
/// #[pyro::expose]
/// impl Counter {
///     /// Not exposed: no receiver.
///     pub fn new() -> Counter {
///         Counter { count: 0 }
///     }
///
///     /// Adds `by` (1 when the caller leaves it out) and returns the count.
///     pub fn add(&mut self, by: Option<i64>) -> i64 {
///         self.count += by.unwrap_or(1);
///         self.count
///     }
///
///     /// Fails: the caller gets a `builtins.RuntimeError` with this text.
///     pub fn check(&self) -> Result<(), String> {
///         Err("never good enough".to_owned())
///     }
///
///     /// The caller does not wait for this one.
///     #[pyro::oneway]
///     pub fn reset(&mut self) {
///         self.count = 0;
///     }
/// }
///
/// // The daemon serves it ...
/// let served = Served::new(Counter::new());
/// let reply = served.invoke("add", CallArgs::new("add", vec![Value::Int(2)], None), Serializer::Json);
/// assert_eq!(reply.unwrap(), b"2");
/// assert!(served.metadata().oneway.contains("reset"));
///
/// // ... and a client calls it through the typed proxy (it connects on the first call).
/// let counter = CounterProxy::new("PYRONAME:example.counter").unwrap();
/// let _: fn(&CounterProxy, Option<i64>) -> pyro::Result<i64> = CounterProxy::add;
/// # let _ = counter;
/// ```
///
/// On a trait (`Served::<T, dyn Calculator>::with_interface` serves any implementor `T`):
///
/// ```
/// use pyro::dispatch::{Servant, Served};
///
/// #[pyro::expose]
/// pub trait Calculator {
///     /// Adds two numbers.
///     fn add(&self, a: i64, b: i64) -> i64;
/// }
///
/// struct Simple;
/// impl Calculator for Simple {
///     fn add(&self, a: i64, b: i64) -> i64 {
///         a + b
///     }
/// }
///
/// let served = Served::<Simple, dyn Calculator>::with_interface(Simple);
/// assert!(served.metadata().methods.contains("add"));
/// let _: fn(&CalculatorProxy, i64, i64) -> pyro::Result<i64> = CalculatorProxy::add;
/// ```
///
/// # What it generates
///
/// - The dispatch table the daemon calls: `impl Dispatch<Thing> for Thing` (on a trait,
///   `impl<T: Calculator + Send + Sync + 'static> Interface<T> for dyn Calculator`). Arguments
///   bind as Python binds them, by position or keyword; an `Option<T>` argument may be left out.
///   A method returning `Result<T, E>` sends `T`, or raises `E` in the caller: `E`'s own Python
///   class if it implements `IntoRemoteError`, else `builtins.RuntimeError` with its `Display`
///   text. A method returning nothing sends `None`.
/// - A registration in `pyro::exposed_types()`.
/// - `ThingProxy` (rename it with `#[pyro::expose(proxy = "Name")]`): `ThingProxy::new(uri)`,
///   `ThingProxy::from_proxy(proxy)`, `proxy()`, and one method per exposed method with the same
///   name, arguments and doc comments, returning `pyro::Result<T>` (remote exceptions arrive as
///   `pyro::Error::Remote`). A oneway method's proxy returns once the call is sent.
/// - `ThingBatch` (`<Name>Batch` for a renamed proxy), from `ThingProxy::batch()`: one method per
///   exposed method recording a call and returning a `pyro::proxy::BatchHandle<T>`, then `run()`
///   sends them all as one Pyro5 batch (or `run_oneway()`), and each handle's `get()` yields its
///   own `pyro::Result<T>`:
///   `let mut b = thing.batch(); let sum = b.add(1, 2); b.run()?; let sum: i64 = sum.get()?;`.
///
/// # Rules
///
/// Each is a compile error at the offending code, all reported at once: methods take `&self` or
/// `&mut self`; no generic, `async` or `unsafe` methods; arguments are plain names with owned
/// types (`String`, not `&str`), no `impl Trait`; argument and result types implement serde's
/// `Serialize` and `Deserialize`; a oneway method returns `()`; names starting with `_` are
/// private in Pyro5; no method is named like the generated proxy's and batch's own methods
/// (`new`, `from_proxy`, `proxy`, `batch`, `run`, `run_oneway`); an exposed impl exposes at
/// least one method; a trait has no generics,
/// associated types or consts, and must be usable as `dyn Trait`.
#[proc_macro_attribute]
pub fn expose(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::expose(args.into(), parse_macro_input!(input as Item)).into()
}

/// Marks a method of a `#[pyro::expose]` impl or trait as oneway: the caller sends the call and
/// goes on without waiting for it to run (Pyro5's `@oneway`). The method returns `()`.
///
/// ```
/// pub struct Logger;
///
/// #[pyro::expose]
/// impl Logger {
///     /// Logs `message`; callers do not wait.
///     #[pyro::oneway]
///     pub fn log(&self, message: String) {
///         println!("{message}");
///     }
/// }
///
/// let served = pyro::dispatch::Served::new(Logger);
/// assert!(pyro::dispatch::Servant::metadata(&served).oneway.contains("log"));
/// ```
#[proc_macro_attribute]
pub fn oneway(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::oneway(input.into()).into()
}
