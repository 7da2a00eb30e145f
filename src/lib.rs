//! # pyro
//!
//! Rust remote objects, wire-compatible with Python [Pyro5](https://pyro5.readthedocs.io): mark a
//! type `#[pyro::expose]`, register it with a [`Daemon`], and call it from another program with
//! plain method calls — from Rust through a generated, typed proxy, or from Python through
//! `Pyro5.api.Proxy`. A Rust proxy can call Python Pyro5 objects just as well.
//!
//! ## Exposing an object
//!
//! `#[pyro::expose]` on an inherent `impl` exposes its `pub` methods that take `&self` or
//! `&mut self`; other methods and associated functions (like `new`) stay private. Arguments and
//! results are any serde types. `&self` methods may run concurrently; if any method takes
//! `&mut self`, the daemon keeps the object behind a read-write lock, so you never write a lock
//! just to be served. `#[pyro::oneway]` marks a method whose caller does not wait for it;
//! `#[pyro::getter]` and `#[pyro::setter]` make remote attributes (see below).
//!
//! ```
//! use pyro::{RemoteError, Value};
//!
//! #[derive(Default)]
//! pub struct Counter {
//!     total: i64,
//! }
//!
//! #[pyro::expose]
//! impl Counter {
//!     /// Adds `n` (1 when the caller leaves it out); returns the new total.
//!     pub fn add(&mut self, n: Option<i64>) -> i64 {
//!         self.total += n.unwrap_or(1);
//!         self.total
//!     }
//!
//!     /// The total, or a Python `ValueError` when it is negative.
//!     pub fn checked(&self) -> Result<i64, RemoteError> {
//!         if self.total < 0 {
//!             return Err(RemoteError::new("builtins.ValueError", vec![Value::from("negative total")]));
//!         }
//!         Ok(self.total)
//!     }
//!
//!     /// Logs a line on the server; the caller does not wait.
//!     #[pyro::oneway]
//!     pub fn log(&self, line: String) {
//!         println!("{line}");
//!     }
//! }
//! ```
//!
//! This also generates `CounterProxy`, whose methods mirror the exposed ones and return
//! [`Result<T>`](Result), and, with the cargo feature `tokio`, its async twin
//! `CounterProxyAsync`, whose methods are `async fn`s over `pyro::aio::Proxy` (see the
//! `aio` module: the async API on tokio).
//!
//! ## Serving it
//!
//! ```
//! # #[derive(Default)] pub struct Counter { total: i64 }
//! # #[pyro::expose] impl Counter { pub fn add(&mut self, n: Option<i64>) -> i64 { self.total += n.unwrap_or(1); self.total } }
//! let daemon = pyro::Daemon::bind("127.0.0.1", 0)?; // port 0: any free port
//! let uri = daemon.register(Counter::default(), Some("example.counter"))?;
//! println!("serving {uri}"); // PYRO:example.counter@127.0.0.1:<port>
//! let stop = daemon.shutdown_handle(); // usable from any thread, or from inside a method
//! let server = std::thread::spawn(move || daemon.request_loop());
//! # let counter = CounterProxy::new(&uri.to_string())?;
//! # assert_eq!(counter.add(Some(2))?, 2);
//! stop.shutdown();
//! server.join().expect("daemon thread")?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! The daemon is a thread-pool server with Pyro5's settings ([`Config`]: `THREADPOOL_SIZE`,
//! `COMMTIMEOUT`, ...; as in Pyro5, `PYRO_*` environment variables apply to every daemon and
//! proxy not given a `Config` of its own, see [`Config::environment`]), answers Pyro5's
//! handshake, `PING` and the `Pyro.Daemon` object, runs oneway calls without holding up the
//! connection, and turns a panic inside a method into an exception reply.
//!
//! ## Calling it
//!
//! ```
//! # #[derive(Default)] pub struct Counter { total: i64 }
//! # #[pyro::expose] impl Counter {
//! #     pub fn add(&mut self, n: Option<i64>) -> i64 { self.total += n.unwrap_or(1); self.total }
//! #     pub fn checked(&self) -> Result<i64, pyro::RemoteError> {
//! #         if self.total < 0 { return Err(pyro::RemoteError::new("builtins.ValueError", vec!["negative total".into()])) }
//! #         Ok(self.total)
//! #     }
//! # }
//! # let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
//! # let uri = daemon.register(Counter::default(), Some("example.counter"))?.to_string();
//! # let stop = daemon.shutdown_handle();
//! # let server = std::thread::spawn(move || daemon.request_loop());
//! // The typed proxy connects on the first call; it is Send + Sync and may be shared by
//! // threads (it keeps a small pool of connections).
//! let counter = CounterProxy::new(&uri)?;
//! assert_eq!(counter.add(Some(5))?, 5);
//! assert_eq!(counter.add(None)?, 6);
//! assert_eq!(counter.add(Some(-10))?, -4);
//!
//! // Errors raised by the remote method arrive as `Error::Remote`, with the Python class name,
//! // message and remote traceback.
//! match counter.checked() {
//!     Err(pyro::Error::Remote(e)) => assert_eq!((e.class.as_str(), e.message.as_str()), ("builtins.ValueError", "negative total")),
//!     other => panic!("{other:?}"),
//! }
//!
//! // The dynamic proxy underneath calls by name with `Value` arguments (and keyword arguments).
//! let kwargs: pyro::value::Dict = [("n", pyro::Value::Int(4))].into_iter().collect();
//! let total: i64 = counter.proxy().call_with_kwargs("add", &(), &kwargs)?;
//! assert_eq!(total, 0);
//! # stop.shutdown();
//! # server.join().expect("daemon thread")?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! From Python, the same object is an ordinary Pyro5 object:
//!
//! ```python
//! import Pyro5.api
//! Pyro5.api.config.SERIALIZER = "msgpack"   # or "json"
//! counter = Pyro5.api.Proxy("PYRO:example.counter@127.0.0.1:PORT")
//! counter.add(5)        # 5
//! counter.add(n=2)      # keyword arguments map to parameter names
//! counter.checked()     # raises ValueError with the remote traceback attached
//! ```
//!
//! ## Batch calls
//!
//! A typed proxy's `batch()` records calls and sends them as one Pyro5 batch (what Python's
//! `BatchProxy` does); each recorded call returns a handle that yields its own result once the
//! batch has run. The daemon runs the calls in order and stops at the first one that raises.
//! Works against Python Pyro5 daemons too; [`proxy::Proxy::batch`] is the dynamic form.
//!
//! ```
//! # #[derive(Default)] pub struct Counter { total: i64 }
//! # #[pyro::expose] impl Counter {
//! #     pub fn add(&mut self, n: Option<i64>) -> i64 { self.total += n.unwrap_or(1); self.total }
//! #     pub fn checked(&self) -> Result<i64, pyro::RemoteError> {
//! #         if self.total < 0 { return Err(pyro::RemoteError::new("builtins.ValueError", vec!["negative total".into()])) }
//! #         Ok(self.total)
//! #     }
//! # }
//! # let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
//! # let uri = daemon.register(Counter::default(), Some("example.counter"))?.to_string();
//! # let stop = daemon.shutdown_handle();
//! # let server = std::thread::spawn(move || daemon.request_loop());
//! let counter = CounterProxy::new(&uri)?;
//! let mut batch = counter.batch();
//! let first = batch.add(Some(2));
//! let second = batch.add(Some(-5));
//! let checked = batch.checked(); // raises: the batch stops here
//! let never = batch.add(Some(100));
//! batch.run()?;
//! assert_eq!((first.get()?, second.get()?), (2, -3));
//! assert!(matches!(checked.get(), Err(pyro::Error::Remote(_))));
//! assert!(matches!(never.get(), Err(pyro::Error::Batch { .. })));
//! # stop.shutdown();
//! # server.join().expect("daemon thread")?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! ## Remote interfaces
//!
//! `#[pyro::expose]` on a trait declares an interface that client and server crates can share:
//! it generates the typed proxy (which can call any Pyro5 object with those methods, a Python one
//! included), and any type implementing the trait can be served through it with
//! [`Daemon::register_as`].
//!
//! ```
//! #[pyro::expose]
//! pub trait Greeter {
//!     fn greet(&self, name: String) -> String;
//! }
//!
//! struct English;
//! impl Greeter for English {
//!     fn greet(&self, name: String) -> String {
//!         format!("Hello, {name}!")
//!     }
//! }
//!
//! let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
//! let uri = daemon.register_as::<dyn Greeter, _>(English, Some("example.greeter"))?;
//! # let stop = daemon.shutdown_handle();
//! let server = std::thread::spawn(move || daemon.request_loop());
//! let greeter = GreeterProxy::new(&uri.to_string())?;
//! assert_eq!(greeter.greet("Ada".into())?, "Hello, Ada!");
//! # stop.shutdown();
//! # server.join().expect("daemon thread")?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! ## Remote attributes
//!
//! Pyro5 objects also expose properties, which a Python client reads as `proxy.name` and writes
//! as `proxy.name = value`. Mark a method `#[pyro::getter]` to expose a readable attribute named
//! after it, and its `set_` twin `#[pyro::setter]` to make it writable (an attribute without a
//! setter is read-only; a setter without a getter is a compile error). `name = "..."` names the
//! attribute explicitly. Attributes are listed in the metadata's `attrs`, not among the methods;
//! the typed proxy reads and writes them with methods named like the getter and the setter.
//!
//! ```
//! pub struct Lamp {
//!     brightness: u8,
//! }
//!
//! #[pyro::expose]
//! impl Lamp {
//!     /// Read and written remotely as `lamp.brightness`.
//!     #[pyro::getter]
//!     pub fn brightness(&self) -> u8 {
//!         self.brightness
//!     }
//!
//!     /// An `Err` reaches the writer as an exception: a way to refuse a value.
//!     #[pyro::setter]
//!     pub fn set_brightness(&mut self, value: u8) -> Result<(), pyro::RemoteError> {
//!         if value > 100 {
//!             return Err(pyro::RemoteError::new("builtins.ValueError", vec!["at most 100".into()]));
//!         }
//!         self.brightness = value;
//!         Ok(())
//!     }
//!
//!     /// Read-only, named explicitly.
//!     #[pyro::getter(name = "watts")]
//!     pub fn power_draw(&self) -> f64 {
//!         f64::from(self.brightness) * 0.1
//!     }
//! }
//!
//! let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
//! let uri = daemon.register(Lamp { brightness: 50 }, Some("example.lamp"))?;
//! # let stop = daemon.shutdown_handle();
//! let server = std::thread::spawn(move || daemon.request_loop());
//! let lamp = LampProxy::new(&uri.to_string())?;
//! lamp.set_brightness(80)?;
//! assert_eq!(lamp.brightness()?, 80);
//! assert_eq!(lamp.power_draw()?, 8.0);
//! assert!(lamp.set_brightness(101).is_err());
//! // Writing a read-only attribute fails as in Pyro5.
//! let refused = lamp.proxy().set_attribute("watts", &1.0).unwrap_err();
//! assert_eq!(refused.to_string(), "remote builtins.AttributeError: attempt to access unexposed or unknown remote attribute 'watts'");
//! # stop.shutdown();
//! # server.join().expect("daemon thread")?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! ```python
//! lamp = Pyro5.api.Proxy("PYRO:example.lamp@127.0.0.1:PORT")
//! lamp.brightness = 80   # the setter
//! lamp.brightness        # 80
//! lamp.watts = 1         # AttributeError: attempt to access unexposed or unknown remote attribute 'watts'
//! ```
//!
//! On the wire these are Pyro5's `__getattr__(name)` and `__setattr__(name, value)` calls, and
//! the daemon answers names it does not serve as Pyro5's does: an exposed method's name, a name
//! starting with `_` or a write to a read-only attribute get `AttributeError("attempt to access
//! unexposed or unknown remote attribute ...")`; any other name gets Python's
//! `AttributeError("type object '<Type>' has no attribute ...")`, `<Type>` being the served
//! type's name. (A Pyro5 daemon tells an existing private name from a missing one by looking at
//! the Python class; Rust has no such lookup, so every `_` name counts as existing.) A getter may
//! take `&mut self` and a setter `&self`: reads and writes run under the lock their receivers need.
//!
//! ## Extra arguments (`*args`, `**kwargs`)
//!
//! A trailing [`VarArgs<T>`] parameter takes the positional arguments beyond the named ones
//! (Python's `*args`), a trailing [`KwArgs<T>`] the keyword arguments no parameter is named
//! after (`**kwargs`); `T` defaults to [`Value`]. The typed proxy takes them as arguments too
//! and sends them the same way, so a Python `def log(self, level, *parts, **fields)` and this
//! Rust method are called alike:
//!
//! ```
//! use pyro::{KwArgs, VarArgs};
//!
//! pub struct Logger;
//!
//! #[pyro::expose]
//! impl Logger {
//!     /// `log(1, "disk", "full", host="a")` from Python.
//!     pub fn log(&self, level: i64, parts: VarArgs<String>, fields: KwArgs) -> String {
//!         format!("{level} {} ({} fields)", parts.join(" "), fields.len())
//!     }
//! }
//!
//! # let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
//! # let uri = daemon.register(Logger, Some("example.logger"))?.to_string();
//! # let stop = daemon.shutdown_handle();
//! # let server = std::thread::spawn(move || daemon.request_loop());
//! let logger = LoggerProxy::new(&uri)?;
//! let fields: KwArgs = [("host", "a".into())].into_iter().collect();
//! let line = logger.log(1, VarArgs::from(vec!["disk".into(), "full".into()]), fields)?;
//! assert_eq!(line, "1 disk full (1 fields)");
//! # stop.shutdown();
//! # server.join().expect("daemon thread")?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! ## Blobs that stay serialized
//!
//! A dispatcher that routes data it never reads takes a [`SerializedBlob`] as a method's only
//! parameter (Pyro5's `SerializedBlob` and KEEPSERIALIZED calls): the daemon hands it the
//! blob's `info` and its still-serialized bytes; passing it on with
//! [`Proxy::call_blob`](proxy::Proxy::call_blob) (or a typed proxy's method taking a
//! `SerializedBlob`) sends those bytes unchanged, and the final receiver calls
//! [`SerializedBlob::deserialized`].
//!
//! ```
//! use pyro::{Error, SerializedBlob};
//!
//! pub struct Listener;
//!
//! #[pyro::expose]
//! impl Listener {
//!     /// Reads what the blob carries.
//!     pub fn process_blob(&self, blob: SerializedBlob) -> Result<String, Error> {
//!         let (text,): (String,) = blob.deserialized()?;
//!         Ok(format!("{}: {text}", blob.info()))
//!     }
//! }
//!
//! # let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
//! # let uri = daemon.register(Listener, Some("example.listener"))?.to_string();
//! # let stop = daemon.shutdown_handle();
//! # let server = std::thread::spawn(move || daemon.request_loop());
//! let listener = ListenerProxy::new(&uri)?;
//! let reply = listener.process_blob(SerializedBlob::new("news", &("hello",))?)?;
//! assert_eq!(reply, "'news': hello");
//! # stop.shutdown();
//! # server.join().expect("daemon thread")?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! ## Special methods
//!
//! A Python client's `len(proxy)`, `proxy[k]`, `proxy[k] = v`, `del proxy[k]` and
//! `for x in proxy` call the remote `__len__`, `__getitem__`, `__setitem__`, `__delitem__` and
//! `__iter__` (Pyro5 lists such `__name__` methods in the metadata). Give a method that name
//! with [`macro@rename`]; the typed proxy keeps the Rust name:
//!
//! ```
//! pub struct Shelf {
//!     books: Vec<String>,
//! }
//!
//! #[pyro::expose]
//! impl Shelf {
//!     /// `len(shelf)` in Python, `shelf.len()` through `ShelfProxy`.
//!     #[pyro::rename("__len__")]
//!     pub fn len(&self) -> usize {
//!         self.books.len()
//!     }
//!
//!     /// `for book in shelf` in Python: the books, streamed.
//!     #[pyro::rename("__iter__")]
//!     pub fn iter(&self) -> Box<dyn Iterator<Item = String> + Send> {
//!         Box::new(self.books.clone().into_iter())
//!     }
//! }
//! # let _: fn(&ShelfProxy) -> pyro::Result<usize> = ShelfProxy::len;
//! ```
//!
//! ## Streaming items
//!
//! A method returning an iterator streams its items, as Pyro5 streams generators: its return
//! type is `impl Iterator<Item = T> + Send + 'static` (or `Box<dyn Iterator<Item = T> + Send>`,
//! possibly inside `Result<_, E>`), with `T` any serde type. The iterator is `Send + 'static`
//! because the daemon keeps it after the method returns and fetches each item when the client
//! asks for it, on any worker thread: move what it needs out of `self`. Items of type
//! `Result<T, E>` end the stream with `Err` as the client's exception (a Python generator
//! raising mid-stream); a panic in `next()` does too, as a `builtins.RuntimeError`.
//!
//! The typed proxy's method returns a [`RemoteIter<T>`](RemoteIter), an iterator of
//! `Result<T>`; dropping it before its end closes the stream on the daemon. The dynamic proxy
//! does the same with [`Proxy::call_stream`](proxy::Proxy::call_stream), also for Python
//! generators; a Python client gets an ordinary Pyro5 stream iterator. Each item is one round
//! trip, as in Pyro5, unless read-ahead is turned on
//! ([`Proxy::set_stream_read_ahead`](proxy::Proxy::set_stream_read_ahead) or
//! [`RemoteIter::read_ahead`]): the iterator then keeps several requests in flight on a
//! connection it holds, and the remote iterator runs that many items ahead of the consumer.
//!
//! A `#[pyro::getter]` may return an iterator too: the attribute is streamed, as Pyro5 streams
//! a property whose value is an iterator or generator. A Python client reads it with
//! `list(proxy.evens)`; the typed proxy's getter returns a `RemoteIter` (the dynamic form is
//! [`Proxy::get_attribute_stream`](proxy::Proxy::get_attribute_stream)). A setter cannot take
//! an iterator: a written value arrives whole.
//!
//! ```
//! use pyro::{RemoteError, Value};
//!
//! pub struct Numbers;
//!
//! #[pyro::expose]
//! impl Numbers {
//!     /// 0, 1, ... up to `n` (excluded), one item per `next()` on the client.
//!     pub fn upto(&self, n: u32) -> impl Iterator<Item = u32> + Send + 'static {
//!         0..n
//!     }
//!
//!     /// 1, 2, then a `ValueError` that ends the stream.
//!     pub fn failing(&self) -> impl Iterator<Item = Result<u32, RemoteError>> + Send + 'static {
//!         [Ok(1), Ok(2), Err(RemoteError::new("builtins.ValueError", vec![Value::from("no more")]))].into_iter()
//!     }
//!
//!     /// A streamed attribute, `proxy.evens` in Python: 0, 2, 4.
//!     #[pyro::getter]
//!     pub fn evens(&self) -> impl Iterator<Item = u32> + Send + 'static {
//!         (0..3).map(|x| x * 2)
//!     }
//! }
//!
//! let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
//! let uri = daemon.register(Numbers, Some("example.numbers"))?;
//! # let stop = daemon.shutdown_handle();
//! let server = std::thread::spawn(move || daemon.request_loop());
//! let numbers = NumbersProxy::new(&uri.to_string())?;
//! let all: Vec<u32> = numbers.upto(4)?.collect::<Result<_, _>>()?;
//! assert_eq!(all, [0, 1, 2, 3]);
//! let mut failing = numbers.failing()?;
//! assert_eq!((failing.next().transpose()?, failing.next().transpose()?), (Some(1), Some(2)));
//! assert!(matches!(failing.next(), Some(Err(pyro::Error::Remote(e))) if e.class == "builtins.ValueError"));
//! assert!(failing.next().is_none());
//! let evens: Vec<u32> = numbers.evens()?.collect::<Result<_, _>>()?;
//! assert_eq!(evens, [0, 2, 4]);
//! # stop.shutdown();
//! # server.join().expect("daemon thread")?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! The daemon honours Pyro5's `ITER_STREAMING` (off: calls returning iterators fail on the
//! client with "result of call is an iterator, but the server is not configured to allow
//! streaming"), `ITER_STREAM_LIFETIME` (the most a stream may live, since it was opened) and
//! `ITER_STREAM_LINGER` (how long the streams of a disconnected client are kept for it to come
//! back, default 30 s; 0: they are dropped at the disconnect). At most
//! [`DEFAULT_MAX_STREAMS`](session::DEFAULT_MAX_STREAMS) streams are open at once (change it
//! with [`DaemonBuilder::max_streams`](daemon::DaemonBuilder::max_streams)); a call returning
//! an iterator past the limit gets a `Pyro5.errors.PyroError`. Batch calls do not stream.
//!
//! ## The call context, annotations and correlation ids
//!
//! A method that wants to know about the call it serves (Pyro5's server-side
//! `current_context`) takes a `&CallContext` or `&mut CallContext` parameter, anywhere in its
//! parameter list ([`dispatch::CallContext`]; the parameter is recognized by its type's last
//! path segment, `CallContext`, so `&pyro::dispatch::CallContext` works as well as an imported
//! name, and a type of your own by that name cannot be used there). It is not an argument on
//! the wire: callers (Python too) do not pass it, and the typed proxy, the batch and the
//! metadata do not show it. It works on `&self` and `&mut self` methods, oneway methods,
//! methods returning item streams, getters and setters, and in remote interfaces (traits). At
//! most one per method, and by reference (anything else is a compile error at the parameter).
//!
//! The context tells the client's address, the session (connection) id, the request's
//! sequence number and message flags, its serializer, its correlation id and annotations; a
//! `&mut CallContext` adds response annotations, which go back on the RESULT message (also of a
//! batch; as in Pyro5, not on an exception reply nor on the reply opening an item stream).
//! A daemon adds its own annotations to every reply with
//! [`DaemonBuilder::annotations`](daemon::DaemonBuilder::annotations) (Pyro5's overridable
//! `Daemon.annotations()`).
//!
//! On the client side, [`current_context`] is Pyro5's thread-local `current_context`: the
//! annotations and the correlation id that proxy calls made on this thread send, and the
//! annotations of the last reply this thread received. A proxy also sends its own
//! ([`Proxy::set_annotations`](proxy::Proxy::set_annotations),
//! [`Proxy::set_correlation_id`](proxy::Proxy::set_correlation_id); typed proxies have the same
//! setters). While a daemon runs a call, the thread's correlation id is the incoming call's
//! (also on the thread a oneway call runs on), so calls a method makes to other objects carry
//! it along, to Rust and Python servers alike.
//!
//! ```
//! use pyro::current_context;
//! use pyro::dispatch::CallContext;
//! use pyro::protocol::{AnnotationId, Annotations};
//!
//! pub struct Echo;
//!
//! #[pyro::expose]
//! impl Echo {
//!     /// Echoes `text`; says in a response annotation who asked.
//!     pub fn echo(&self, text: String, ctx: &mut CallContext) -> String {
//!         let asker = ctx.annotations().get(AnnotationId::try_from("USER").unwrap()).unwrap_or(b"?").to_vec();
//!         ctx.response_annotations_mut().insert(AnnotationId::try_from("ASKR").unwrap(), asker);
//!         format!("{text} (call {} of connection {})", ctx.seq(), ctx.session_id())
//!     }
//! }
//!
//! let daemon = pyro::Daemon::builder()
//!     .host("127.0.0.1")
//!     .annotations(|| [(AnnotationId::try_from("SRVR").unwrap(), b"rust".to_vec())].into_iter().collect())
//!     .bind()?;
//! let uri = daemon.register(Echo, Some("example.echo"))?.to_string();
//! let stop = daemon.shutdown_handle();
//! let server = std::thread::spawn(move || daemon.request_loop());
//!
//! let mut echo = EchoProxy::new(&uri)?;
//! echo.set_correlation_id(Some(pyro::uuid::Uuid::new_v4()));
//! let user: Annotations = [(AnnotationId::try_from("USER")?, b"alice".to_vec())].into_iter().collect();
//! // Annotations for the calls of one closure (or `current_context::set_annotations` until changed).
//! let text = current_context::with_annotations(user, || echo.echo("hi".into()))?;
//! assert_eq!(text, "hi (call 1 of connection 0)");
//! let response = current_context::response_annotations();
//! assert_eq!(response.get(AnnotationId::try_from("ASKR")?), Some(&b"alice"[..]));
//! assert_eq!(response.get(AnnotationId::try_from("SRVR")?), Some(&b"rust"[..]));
//! # stop.shutdown();
//! # server.join().expect("daemon thread")?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! Pyro5's thread-local context is shared by server and client code, so a Pyro5 method also
//! forwards the incoming call's annotations to the calls it makes; here the incoming
//! annotations stay in the method's `CallContext` and only the correlation id is forwarded (a
//! method passes annotations on with [`current_context::set_annotations`]).
//!
//! ## Deadlines
//!
//! A call can be given a deadline ([`Deadline`]): [`deadline::within`] runs a closure under
//! one, and every proxy call inside it is bounded by it. A pyro daemon receives the time left
//! with the call (pyro's `DDLN` annotation, which Python Pyro5 ignores), does not start a call
//! that waited past it, and makes it the deadline of the calls the method makes in turn, so a
//! chain of calls is bounded by its first caller's deadline. A late reply is an [`Error`] for
//! which [`Error::is_timeout`] is true; the proxy goes on with a new connection. See
//! [`deadline`] for what exactly stops where, and the async forms.
//!
//! ```
//! use std::time::Duration;
//! use pyro::deadline;
//!
//! pub struct Slow;
//!
//! #[pyro::expose]
//! impl Slow {
//!     /// Sleeps `ms`, and says how much time its caller's deadline had left when it started.
//!     pub fn nap(&self, ms: u64) -> Option<u64> {
//!         let left = deadline::current().map(|d| d.remaining().as_millis() as u64);
//!         std::thread::sleep(Duration::from_millis(ms));
//!         left
//!     }
//! }
//!
//! # let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
//! # let uri = daemon.register(Slow, Some("example.slow"))?.to_string();
//! # let stop = daemon.shutdown_handle();
//! # let server = std::thread::spawn(move || daemon.request_loop());
//! let slow = SlowProxy::new(&uri)?;
//! assert_eq!(slow.nap(0)?, None);
//! let left = deadline::within(Duration::from_secs(5), || slow.nap(0))?;
//! assert!(left.is_some_and(|ms| ms > 4000 && ms <= 5000));
//! let late = deadline::within(Duration::from_millis(100), || slow.nap(1000));
//! assert!(late.unwrap_err().is_timeout());
//! assert_eq!(slow.nap(0)?, None); // usable again
//! # stop.shutdown();
//! # server.join().expect("daemon thread")?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! ## Reconnecting, and `serve()`
//!
//! [`Proxy::reconnect`](proxy::Proxy::reconnect) (and `reconnect` on typed proxies) is Pyro5's
//! `_pyroReconnect(tries)`: it drops the connections and connects again, every 2 seconds, until
//! it succeeds or the tries run out (then a `ConnectionClosedError` "failed to reconnect"), e.g.
//! after the daemon was restarted on the same port. [`serve`] is Pyro5's
//! `serve(objects, host, port, daemon, use_ns, verbose)`: it registers the objects (with the
//! name server when `use_ns`), prints Pyro5's lines and runs the request loop.
//!
//! ## Serializers
//!
//! pyro speaks all four of Pyro5's serializers: serpent (Pyro5's default: Python literals),
//! marshal, json and msgpack. A daemon serves every one of them at once and answers each request
//! in the serializer it came in, so any Pyro5 program reaches a pyro daemon (or `pyro-ns`)
//! unchanged, whatever its `SERIALIZER` says. A proxy with no serializer configured (the default,
//! [`Config::serializer`] `None`) speaks msgpack, the fastest, and when the daemon closes the
//! handshake without a reply (what a Pyro5 daemon installed without the `msgpack` package does)
//! it connects again with serpent, which every Pyro5 has, and keeps it; so a Rust program reaches
//! a stock Python daemon with no configuration while Rust to Rust stays on msgpack. Setting a
//! serializer (`PYRO_SERIALIZER`, [`Config::serializer`], or
//! [`Proxy::set_serializer`](proxy::Proxy::set_serializer)) pins it, with no fallback.
//! `PYRO_SERPENT_BYTES_REPR` makes serpent write bytes as `b'..'` literals (proxies' calls,
//! daemons' replies), as in Pyro5.
//!
//! ```no_run
//! use pyro::{Config, Serializer};
//! // A Python daemon from a plain `pip install Pyro5`: the first call settles on serpent.
//! let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
//! let sum: i64 = proxy.call("add", &(1, 2))?;
//! assert_eq!(proxy.serializer(), Serializer::Serpent);
//! // Pinned: json and nothing else.
//! let config = Config { serializer: Some(Serializer::Json), ..Config::default() };
//! let json = pyro::proxy::Proxy::with_config("PYRO:thing@localhost:9999".parse()?, &config);
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! ## Data types on the wire
//!
//! Arguments and results are serde types, sent in the shapes Pyro5 uses for the matching Python
//! values: ints of every width are Python ints, structs are dicts of their fields, `Option` and
//! unit are `None`, `Vec<u8>` is a list (bytes need `serde_bytes`), and so on. The table of
//! every Rust type and [`Value`] kind, per serializer and in both directions, is
//! [`value::guide`]. A typed proxy leaves an optional argument that is `None` out of the call,
//! so a Python method's own default applies; `Option<Option<T>>` sends an explicit `None`.
//!
//! ## Errors across the wire
//!
//! A method returning `Result<T, E>` sends `Err` as an exception. Python clients rebuild only
//! builtin and Pyro5 exception classes, so the defaults are chosen to work: a [`RemoteError`](struct@RemoteError)
//! keeps its class, a [`pyro::Error`] maps to its Pyro5 class (e.g.
//! `Pyro5.errors.NamingError`), any other error type becomes `builtins.RuntimeError` with its
//! `Display` text, and a type implementing [`dispatch::IntoRemoteError`] chooses its own class.
//!
//! ### Typed errors
//!
//! `#[derive(pyro::RemoteError)]` makes an error enum whose variants are Python exception
//! classes (`#[pyro(class = "...")]` on a variant, else on the enum, else
//! `builtins.RuntimeError`). A unit variant raises its `Display` text, a tuple variant its
//! fields as the exception's arguments, a struct variant its `Display` text with the fields as
//! the exception's attributes (what a Python client reads as `exc.balance`, and what a Python
//! server sets on an exception before raising it). The client gets the variant back:
//! [`Error::raised`] picks it out of a call's error, and [`CallError<E>`] keeps it apart from
//! failures of the call itself, with `?` sorting a call's [`Error`] into the two.
//!
//! ```
//! use pyro::CallError;
//!
//! #[derive(Debug, PartialEq, pyro::RemoteError)]
//! pub enum BankError {
//!     /// Python's `ValueError("insufficient funds")`, with `balance` and `wanted` attributes.
//!     #[pyro(class = "builtins.ValueError")]
//!     Insufficient { balance: i64, wanted: i64 },
//!     /// Python's `KeyError(name)`.
//!     #[pyro(class = "builtins.KeyError")]
//!     UnknownAccount(String),
//! }
//!
//! impl std::fmt::Display for BankError {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         match self {
//!             BankError::Insufficient { .. } => f.write_str("insufficient funds"),
//!             BankError::UnknownAccount(name) => write!(f, "no account {name}"),
//!         }
//!     }
//! }
//!
//! pub struct Bank;
//!
//! #[pyro::expose]
//! impl Bank {
//!     /// What is left after taking `amount`.
//!     pub fn withdraw(&self, account: String, amount: i64) -> Result<i64, BankError> {
//!         match account.as_str() {
//!             "alice" if amount <= 5 => Ok(5 - amount),
//!             "alice" => Err(BankError::Insufficient { balance: 5, wanted: amount }),
//!             _ => Err(BankError::UnknownAccount(account)),
//!         }
//!     }
//! }
//!
//! fn spend(bank: &BankProxy) -> Result<i64, CallError<BankError>> {
//!     // A transport error is `CallError::Pyro`; `BankError` arrives as `CallError::Raised`.
//!     Ok(bank.withdraw("alice".into(), 10)?)
//! }
//!
//! # let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
//! # let uri = daemon.register(Bank, Some("example.bank"))?.to_string();
//! # let stop = daemon.shutdown_handle();
//! # let server = std::thread::spawn(move || daemon.request_loop());
//! let bank = BankProxy::new(&uri)?;
//! match spend(&bank) {
//!     Err(CallError::Raised(BankError::Insufficient { balance, wanted })) => assert_eq!((balance, wanted), (5, 10)),
//!     other => panic!("{other:?}"),
//! }
//! let unknown = bank.withdraw("bob".into(), 1).unwrap_err();
//! assert_eq!(unknown.raised::<BankError>().ok(), Some(BankError::UnknownAccount("bob".into())));
//! # stop.shutdown();
//! # server.join().expect("daemon thread")?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! ## Registry of exposed types
//!
//! Exposed types are also registered with `inventory` as a process-wide list
//! ([`exposed_types`]). It is informational only: the daemon dispatches through the type's
//! generated impl, which registering the object references, so a registration the linker drops
//! (inventory's known pitfall with crates the binary never references) cannot break serving.
#![cfg_attr(feature = "tokio", doc = include_str!("async_interface.md"))]

// Lets `#[pyro::expose]` (which names `::pyro`) be used inside this crate too.
extern crate self as pyro;

pub use pyro_macros::{RemoteError, callback, expose, getter, oneway, rename, setter};
pub use pyro_runtime::proxy::RemoteIter;
pub use pyro_runtime::*;

pub mod utils;

/// `#[pyro::expose]`'s async items, expanded with the `tokio` feature on.
#[cfg(feature = "tokio")]
#[doc(hidden)]
#[macro_export]
macro_rules! __pyro_async_items {
    ($($items:tt)*) => { $($items)* };
}

/// `#[pyro::expose]`'s async items, dropped without the `tokio` feature.
#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __pyro_async_items {
    ($($items:tt)*) => {};
}

/// What macro-generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use inventory;
    pub use pyro_runtime::dispatch::attributes;
    pub use pyro_runtime::dispatch::{
        CallArgs, CallContext, Dispatch, Exposed, Interface, IntoRemoteError, Metadata, Receiver, RemoteErrorWrap,
        Reply, ToRemoteErrorFallback,
    };
    pub use pyro_runtime::protocol::Annotations;
    pub use pyro_runtime::proxy::{Batch, BatchHandle, Proxy, RemoteIter};
    pub use pyro_runtime::uuid::Uuid;
    pub use pyro_runtime::{
        Error, ExceptionBuilder, FromRemoteError, KwArgs, RemoteError, Result, SerializedBlob, Serializer, Value,
        VarArgs, VarCall, exception_arg, exception_attribute,
    };
    pub use serde;

    pub use crate::__pyro_require_tokio as require_tokio;
    /// The async API the async typed proxies use.
    #[cfg(feature = "tokio")]
    pub use pyro_runtime::aio;

    /// Expands the async items of a typed proxy (`ThingProxyAsync`, `ThingBatchAsync`) when
    /// the `tokio` feature is on, and to nothing without it.
    pub use crate::__pyro_async_items as async_items;

    /// The async typed proxy of an exposed type (`ThingProxyAsync`): what a `Remote<Thing>`
    /// result arrives as at an async typed proxy.
    #[cfg(feature = "tokio")]
    pub trait ExposedAsync {
        /// The async typed proxy.
        type ProxyAsync;
    }

    /// One exposed type in the process-wide registry (`inventory`). Informational only: the
    /// daemon never depends on it, so a registration the linker dropped cannot break serving.
    pub struct ExposedType {
        /// The Rust type (or trait) name.
        pub name: &'static str,
        /// `module_path!()` where it was exposed.
        pub module_path: &'static str,
        /// Its metadata.
        pub metadata: fn() -> Metadata,
    }

    inventory::collect!(ExposedType);

    /// A type that arrives over the wire: `serde::de::DeserializeOwned`, under a name whose
    /// compile error says what to do.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be received over the wire: it does not implement `serde::Deserialize`",
        label = "pyro decodes this type from what the other side sends",
        note = "add `#[derive(serde::Deserialize)]` to `{Self}` (with `serde` as a dependency), \
                or use a type that has it (`pyro::Value` holds any Pyro5 value)"
    )]
    pub trait Received {}
    impl<T: serde::de::DeserializeOwned> Received for T {}

    /// A type that is sent over the wire: `serde::Serialize`, under a name whose compile error
    /// says what to do.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be sent over the wire: it does not implement `serde::Serialize`",
        label = "pyro encodes this type for the other side",
        note = "add `#[derive(serde::Serialize)]` to `{Self}` (with `serde` as a dependency), \
                or use a type that has it (`pyro::Value` holds any Pyro5 value)"
    )]
    pub trait Sent {}
    impl<T: serde::Serialize + ?Sized> Sent for T {}

    /// Compile-time check that an argument type can be received.
    pub const fn assert_argument<T: Received>() {}
    /// Compile-time check that a result type can be sent.
    pub const fn assert_result<T: Sent + ?Sized>() {}
    /// Whether a typed proxy sends parameter `index` (if it has a value) by keyword: it follows
    /// `cut`, the first optional parameter left out.
    pub const fn by_keyword(index: usize, cut: usize) -> bool {
        index > cut
    }
}

/// The exposed types linked into this program, from the process-wide registry.
///
/// ```
/// for exposed in pyro::exposed_types() {
///     println!("{} in {}", exposed.0, exposed.1);
/// }
/// ```
pub fn exposed_types() -> Vec<(&'static str, &'static str, dispatch::Metadata)> {
    inventory::iter::<__private::ExposedType>().map(|t| (t.name, t.module_path, (t.metadata)())).collect()
}

/// What `#[pyro::expose]` writes after an impl with `async fn` methods: nothing with the
/// `tokio` feature, a compile error naming it without (generated code cannot test the user's
/// features; this macro is compiled with `pyro`'s own).
#[cfg(feature = "tokio")]
#[doc(hidden)]
#[macro_export]
macro_rules! __pyro_require_tokio {
    () => {};
}

/// See the `tokio` version above.
#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __pyro_require_tokio {
    () => {
        ::core::compile_error! {
            "an exposed `async fn` needs pyro's `tokio` feature: depend on `pyro5` with \
`features = [\"tokio\"]` (or make the method a plain `fn`)"
        }
    };
}

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
