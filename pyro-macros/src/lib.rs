//! Procedural macros for pyro: `#[pyro::expose]`, and `#[pyro::oneway]`, `#[pyro::getter]` and
//! `#[pyro::setter]` on its methods. Use them through the
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
mod remote_error;
mod rename;

use proc_macro::TokenStream;
use syn::{DeriveInput, Item, parse_macro_input};

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
/// On a trait (`Served::<T, dyn Calculator>::with_interface` serves any implementor `T`; a
/// trait with `async fn` methods is served through a generated marker type instead, see
/// [Async methods](#async-methods)):
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
///   `impl<T: Calculator + Send + Sync + 'static> Interface<T> for dyn Calculator`, or for the
///   marker `CalculatorInterface` when the trait has async methods). Arguments
///   bind as Python binds them, by position or keyword; an `Option<T>` argument may be left out.
///   A trailing `pyro::VarArgs<T>` parameter takes the extra positional arguments (Python's
///   `*args`), a trailing `pyro::KwArgs<T>` the extra keyword arguments (`**kwargs`).
///   A method returning `Result<T, E>` sends `T`, or raises `E` in the caller: `E`'s own Python
///   class if it implements `IntoRemoteError`, else `builtins.RuntimeError` with its `Display`
///   text. A method returning nothing sends `None`.
/// - Remote attributes (Pyro5's properties) for `#[pyro::getter]` and `#[pyro::setter]`
///   methods: listed in the metadata's `attrs` (not in `methods`), read and written by Pyro5's
///   `__getattr__` and `__setattr__` calls; see [`getter`](macro@getter).
/// - The call context for methods that ask for it: a parameter of type `&CallContext` or
///   `&mut CallContext` (recognized by the type's last path segment, `CallContext`: write
///   `pyro::dispatch::CallContext` or import it), anywhere in the parameter list, receives the
///   context of the call (client address, session, sequence number, flags, correlation id,
///   annotations, response annotations; Pyro5's `current_context`). It is no argument on the
///   wire, and the proxy, the batch and the metadata leave it out:
///   `pub fn echo(&self, ctx: &pyro::dispatch::CallContext, text: String) -> String` is called
///   as `echo(text)`.
/// - A registration in `pyro::exposed_types()`.
/// - `ThingProxy` (rename it with `#[pyro::expose(proxy = "Name")]`): `ThingProxy::new(uri)`,
///   `ThingProxy::from_proxy(proxy)`, `proxy()`, `proxy_mut()`, `reconnect(tries)`,
///   `set_annotations(..)`, `set_correlation_id(..)`, and one method per exposed method with the same
///   name, arguments and doc comments, returning `pyro::Result<T>` (remote exceptions arrive as
///   `pyro::Error::Remote`). A oneway method's proxy returns once the call is sent. Getters and
///   setters keep their names too: `fn verbose(&self) -> pyro::Result<T>` reads the attribute,
///   `fn set_verbose(&self, value: T) -> pyro::Result<()>` writes it.
///   An
///   `Option<T>` argument that is `None` is left out of the call, so the remote method's own
///   default applies (a Python `mode="auto"` stays `"auto"`): trailing ones are dropped and the
///   arguments after one left out go by keyword. To send an explicit `None`, make the parameter
///   `Option<Option<T>>` and pass `Some(None)`.
/// - `ThingBatch` (`<Name>Batch` for a renamed proxy), from `ThingProxy::batch()`: one method per
///   exposed method recording a call and returning a `pyro::proxy::BatchHandle<T>`, then `run()`
///   sends them all as one Pyro5 batch (or `run_oneway()`), and each handle's `get()` yields its
///   own `pyro::Result<T>`:
///   `let mut b = thing.batch(); let sum = b.add(1, 2); b.run()?; let sum: i64 = sum.get()?;`.
///
/// # Rules
///
/// Each is a compile error at the offending code, all reported at once: methods take `&self` or
/// `&mut self`; no generic or `unsafe` methods; `async fn` methods (see below) take `&self`,
/// not as getters or setters, in a type or trait whose exposed methods all take `&self`, return
/// `Send` futures, and need pyro's `tokio` feature; arguments are plain names with owned
/// types (`String`, not `&str`), no `impl Trait`; argument and result types implement serde's
/// `Serialize` and `Deserialize`; a oneway method returns `()`; names starting with `_` are
/// private in Pyro5; no method is named like the generated proxy's and batch's own methods
/// (`new`, `from_proxy`, `proxy`, `proxy_mut`, `batch`, `reconnect`, `set_annotations`,
/// `set_correlation_id`, `run`, `run_oneway`); a method takes the call context at most once,
/// by reference; `VarArgs` and `KwArgs` parameters come last, `VarArgs` first, one of each; an
/// exposed impl exposes at
/// least one method; a trait has no generics,
/// associated types or consts, and must be usable as `dyn Trait` unless it has async methods.
///
/// # Async methods
///
/// A `pub async fn` taking `&self` is exposed like any method (oneway, item streams, the call
/// context, typed errors and `Remote<T>` results included): its arguments are bound when the call
/// arrives, then its future runs with an `Arc` on the object and its own copy of the call context
/// (`Reply::Pending`). The async daemon (`pyro::aio::Daemon`) awaits it on its runtime; the
/// blocking daemons run it to completion on a runtime shared by the process. Because such a
/// future holds the object while it awaits, a type with async methods is served without a lock:
/// keep mutable state behind a lock of its own (a `Mutex` field), held only as long as needed.
///
/// A trait may declare `async fn` methods too (`async fn fetch(&self, url: String) -> String;`).
/// Such a trait has no `dyn` type (the compiler cannot build a vtable for methods returning
/// futures of different types), so serving it differs in one place: the macro declares each
/// async method as `fn fetch(&self, url: String) -> impl Future<Output = String> + Send` and
/// generates a marker type named after the trait, `FetcherInterface` (an empty enum with the
/// trait's visibility; rename it with `#[pyro::expose(interface = "Name")]`), which takes the
/// place of `dyn Fetcher`:
/// `daemon.register_as::<FetcherInterface, _>(web, id)`,
/// `Served::<Web, FetcherInterface>::with_interface(web)`, `Remote<FetcherInterface>`.
/// Implementors still write `async fn fetch(&self, url: String) -> String { .. }` (Rust accepts
/// an `async fn` implementing a method declared `-> impl Future + Send`), and the `Send` bound,
/// which the daemon needs to run the future on a multi-thread runtime, is checked where it
/// matters: a future that is not `Send` is a compile error at the implementation, pointing at
/// the value held across an `await`. A default body becomes an `async move` block. This is the
/// design rather than boxing futures (`#[async_trait]` style) because the trait stays what the
/// user wrote, with no allocation per call and no extra dependency, and rather than a marker for
/// every trait because traits without async methods keep `dyn Trait` exactly as before. The
/// typed proxies are the same as for any trait (`FetcherProxy::fetch` blocks,
/// `FetcherProxyAsync::fetch` is an `async fn`); see "Async methods in a remote interface" in
/// pyro's crate documentation (with the `tokio` feature) for a complete example.
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

/// Marks an exposed method as a callback (Pyro5's `@callback`): when it fails, its caller gets
/// the exception as from any method, and the daemon serving it reports the failure too: a
/// `tracing` warning (target `pyro::callback`) and the daemon's
/// `DaemonBuilder::on_callback_error` hook. Meant for the objects a client serves for a server
/// to call back, where nobody else would see the error.
///
/// ```
/// pub struct Handler;
///
/// #[pyro::expose]
/// impl Handler {
///     /// The server calls this; a failure shows on the client's side too.
///     #[pyro::callback]
///     pub fn done(&self, number: u32) -> Result<(), String> {
///         if number == 0 { Err("no work".into()) } else { Ok(()) }
///     }
/// }
/// ```
#[proc_macro_attribute]
pub fn callback(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::callback::stray(input.into()).into()
}

/// Makes a method of a `#[pyro::expose]` impl or trait the getter of a remote attribute (a
/// Pyro5 property): a Python client reads it as `proxy.name`, a typed proxy with the method of
/// the same name. The attribute's name is the method's, or `#[pyro::getter(name = "...")]`.
/// A getter takes `&self` (or `&mut self`) and nothing else, and returns the value (or
/// `Result<T, E>`, whose `Err` the reader gets as an exception).
///
/// [`macro@setter`] makes the attribute writable; without one it is read-only (a write fails
/// with Pyro5's `AttributeError`).
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use pyro::dispatch::{CallArgs, Servant, Served};
/// use pyro::{Serializer, Value};
///
/// #[derive(Default)]
/// pub struct Thermostat {
///     target: AtomicU32,
/// }
///
/// #[pyro::expose]
/// impl Thermostat {
///     /// The target temperature (readable and writable).
///     #[pyro::getter]
///     pub fn target(&self) -> u32 {
///         self.target.load(Ordering::Relaxed)
///     }
///
///     /// Writes `target` (the attribute name is the method's without `set_`).
///     #[pyro::setter]
///     pub fn set_target(&self, value: u32) {
///         self.target.store(value, Ordering::Relaxed);
///     }
///
///     /// A read-only attribute named `unit`.
///     #[pyro::getter(name = "unit")]
///     pub fn unit_symbol(&self) -> String {
///         "°C".to_owned()
///     }
/// }
///
/// let served = Served::new(Thermostat::default());
/// assert_eq!(served.metadata().attrs.iter().collect::<Vec<_>>(), ["target", "unit"]);
/// assert!(served.metadata().methods.is_empty());
///
/// // What a Pyro5 proxy sends for `thermostat.target = 21`, then for `thermostat.target`.
/// let write = CallArgs::new("__setattr__", vec![Value::from("target"), Value::Int(21)], None);
/// assert_eq!(served.invoke("__setattr__", write, Serializer::Json).unwrap(), b"null");
/// let read = CallArgs::new("__getattr__", vec![Value::from("target")], None);
/// assert_eq!(served.invoke("__getattr__", read, Serializer::Json).unwrap(), b"21");
///
/// // The typed proxy reads and writes them with methods named after the accessors.
/// let _: fn(&ThermostatProxy) -> pyro::Result<u32> = ThermostatProxy::target;
/// let _: fn(&ThermostatProxy, u32) -> pyro::Result<()> = ThermostatProxy::set_target;
/// let _: fn(&ThermostatProxy) -> pyro::Result<String> = ThermostatProxy::unit_symbol;
/// ```
///
/// # Rules
///
/// Each a compile error at the offending code: a getter takes no argument and returns a value;
/// a setter takes one argument (the value) and returns `()` or `Result<(), E>`; a setter's
/// method name starts with `set_` unless it names its attribute; every setter has a getter of
/// the same attribute; an attribute has one getter and at most one setter; its name is an
/// identifier, does not start with `_` and is not an exposed method's; getters and setters are
/// not oneway; the method rules of [`macro@expose`] apply to them too.
#[proc_macro_attribute]
pub fn getter(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::accessor("#[pyro::getter]", input.into()).into()
}

/// Makes a method of a `#[pyro::expose]` impl or trait the setter of a remote attribute: a
/// Python client writes it as `proxy.name = value`, a typed proxy with the method of the same
/// name. The attribute is named after the method without its `set_` prefix (`set_verbose`
/// writes `verbose`), or `#[pyro::setter(name = "...")]`; it must have a
/// [`getter`](macro@getter). A setter takes `&mut self` (or `&self`, with interior mutability)
/// and the new value, and returns `()` or `Result<(), E>` (an `Err` reaches the writer as an
/// exception: a way to refuse a value).
///
/// ```
/// use pyro::RemoteError;
///
/// pub struct Dimmer {
///     level: u8,
/// }
///
/// #[pyro::expose]
/// impl Dimmer {
///     /// The light level, 0 to 100.
///     #[pyro::getter]
///     pub fn level(&self) -> u8 {
///         self.level
///     }
///
///     /// Refuses levels above 100 with a Python `ValueError`.
///     #[pyro::setter]
///     pub fn set_level(&mut self, value: u8) -> Result<(), RemoteError> {
///         if value > 100 {
///             return Err(RemoteError::new("builtins.ValueError", vec![format!("level {value} > 100").into()]));
///         }
///         self.level = value;
///         Ok(())
///     }
/// }
///
/// let _: fn(&DimmerProxy, u8) -> pyro::Result<()> = DimmerProxy::set_level;
/// ```
#[proc_macro_attribute]
pub fn setter(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::accessor("#[pyro::setter]", input.into()).into()
}

/// Derives a typed error whose variants are Python exceptions (`IntoRemoteError`,
/// `FromRemoteError` and `From<Enum> for pyro::Error`): a server method returning
/// `Result<T, Enum>` raises the variant's exception in the caller, a Rust client gets the same
/// variant back with `pyro::Error::raised` or `pyro::CallError`, and a Python client the
/// exception class named by `#[pyro(class = "module.Class")]` on the variant (else on the enum,
/// else `builtins.RuntimeError`).
///
/// How fields travel, as Pyro5 carries exceptions:
/// - a unit variant: one argument, the enum's `Display` text;
/// - a tuple variant: its fields are the exception's arguments (`KeyError("tea")`);
/// - a struct variant: one argument, the `Display` text, and the fields as the exception's
///   attributes, by name (a Python client reads `exc.balance`).
///
/// A received exception becomes the first variant, in order, of its class whose shape fits:
/// a unit variant whose `Display` text is the message, a tuple variant with as many arguments
/// of its types, a struct variant whose fields are all attributes (an `Option` field may be
/// missing); failing those, the first unit variant of the class, whatever the message.
///
/// ```
/// use pyro::{CallError, Error, RemoteError};
///
/// #[derive(Debug, PartialEq, pyro::RemoteError)]
/// #[pyro(class = "builtins.ValueError")]
/// pub enum BankError {
///     /// `ValueError("insufficient funds")` with attributes `balance` and `wanted`.
///     Insufficient { balance: i64, wanted: i64 },
///     /// `KeyError("alice")`.
///     #[pyro(class = "builtins.KeyError")]
///     UnknownAccount(String),
///     /// `PermissionError("account frozen")`.
///     #[pyro(class = "builtins.PermissionError")]
///     Frozen,
/// }
///
/// impl std::fmt::Display for BankError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         match self {
///             BankError::Insufficient { .. } => f.write_str("insufficient funds"),
///             BankError::UnknownAccount(name) => write!(f, "unknown account {name}"),
///             BankError::Frozen => f.write_str("account frozen"),
///         }
///     }
/// }
///
/// // What travels, and what comes back.
/// let raised = Error::from(BankError::Insufficient { balance: 5, wanted: 10 });
/// let remote = raised.remote().unwrap();
/// assert_eq!((remote.class.as_str(), remote.message.as_str()), ("builtins.ValueError", "insufficient funds"));
/// assert_eq!(remote.attributes.get("balance"), Some(&5.into()));
/// assert_eq!(raised.raised::<BankError>().unwrap(), BankError::Insufficient { balance: 5, wanted: 10 });
///
/// // A Python `KeyError('bob')`; transport errors stay `CallError::Pyro`.
/// let python = Error::from(RemoteError::new("builtins.KeyError", vec!["bob".into()]));
/// assert!(matches!(CallError::<BankError>::from(python), CallError::Raised(BankError::UnknownAccount(n)) if n == "bob"));
/// let closed = Error::ConnectionClosed { context: "calling".into() };
/// assert!(matches!(CallError::<BankError>::from(closed), CallError::Pyro(_)));
/// ```
///
/// # Rules
///
/// Each a compile error at the offending code, all reported at once: it derives on an enum with
/// at least one variant and no generics; `#[pyro(...)]` takes only `class = "..."`, once per
/// enum or variant, naming a qualified class (`builtins.ValueError`, `Pyro5.errors.NamingError`)
/// without `__` (Pyro5 clients refuse those); struct fields do not start with `_`; field types
/// implement `Serialize` and `Deserialize`; the enum implements `Display` (unless all its
/// variants are tuple variants).
#[proc_macro_derive(RemoteError, attributes(pyro))]
pub fn derive_remote_error(input: TokenStream) -> TokenStream {
    expand::remote_error::derive(&parse_macro_input!(input as DeriveInput)).into()
}

/// Gives a method of a `#[pyro::expose]` impl or trait the name remote callers use instead of
/// its Rust name; mostly for the special methods a Python client calls on a proxy:
/// `len(proxy)` calls `__len__`, `proxy[k]` `__getitem__`, `proxy[k] = v` `__setitem__`,
/// `del proxy[k]` `__delitem__`, `for x in proxy` (and `x in proxy`) `__iter__` (else
/// `__getitem__` with 0, 1, ... until `IndexError`), and `proxy.__contains__(x)` calls
/// `__contains__`. Such `__name__` methods are public in Pyro5 and listed in the metadata,
/// except the special names Pyro5 never exposes (`__init__`, `__eq__`, `__getattr__`, ...).
/// The typed proxy keeps the Rust name (`len()`, `get_item(k)`).
///
/// ```
/// use pyro::dispatch::{CallArgs, Servant, Served};
/// use pyro::{RemoteError, Serializer, Value};
///
/// pub struct Shelf {
///     books: Vec<String>,
/// }
///
/// #[pyro::expose]
/// impl Shelf {
///     /// `len(shelf)` in Python.
///     #[pyro::rename("__len__")]
///     pub fn len(&self) -> usize {
///         self.books.len()
///     }
///
///     /// `shelf[i]` in Python; past the end is Python's `IndexError`, which also ends a
///     /// Python `for` loop over the proxy.
///     #[pyro::rename("__getitem__")]
///     pub fn get_item(&self, index: usize) -> Result<String, RemoteError> {
///         self.books.get(index).cloned().ok_or_else(|| RemoteError::new("builtins.IndexError", vec!["no such book".into()]))
///     }
/// }
///
/// let served = Served::new(Shelf { books: vec!["Dune".into()] });
/// assert!(served.metadata().methods.contains("__len__"));
/// let reply = served.invoke("__getitem__", CallArgs::new("__getitem__", vec![Value::Int(0)], None), Serializer::Json);
/// assert_eq!(reply.unwrap(), b"\"Dune\"");
/// let _: fn(&ShelfProxy) -> pyro::Result<usize> = ShelfProxy::len;
/// ```
///
/// # Rules
///
/// Each a compile error at the offending code: the name is a string that a Python client can
/// call (an identifier); it is not private in Pyro5 (starting with `_` but not `__name__`, or
/// one of the special names Pyro5 never exposes); no two exposed methods have the same name;
/// a method has one `#[pyro::rename]`; getters and setters name their attribute with
/// `name = "..."` instead.
#[proc_macro_attribute]
pub fn rename(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::rename(input.into()).into()
}
