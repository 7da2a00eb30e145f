//! # The data model: what each Rust type is to a Python peer
//!
//! pyro serializes any serde type straight to the wire and reads any serde type straight from
//! it, in the shapes Pyro5's own serializers use for the corresponding Python values. The
//! tables below say, per serializer, what a Python Pyro5 peer receives for a Rust value and
//! what the Rust type accepts when reading (from Python or from Rust).
//!
//! ```
//! use pyro::Serializer;
//!
//! // i128 is an int everywhere: a native msgpack int when it fits in 64 bits.
//! assert_eq!(Serializer::Msgpack.to_bytes(&5i128).unwrap(), [0x05]);
//! assert_eq!(Serializer::Json.to_bytes(&(1i128 << 70)).unwrap(), b"1180591620717411303424");
//! // json carries int keys as str, and a typed receiver reads them back as ints.
//! let keys: std::collections::BTreeMap<i64, bool> = Serializer::Json.from_bytes(br#"{"1": true}"#).unwrap();
//! assert_eq!(keys[&1], true);
//! ```
//!
//! Every column is checked against Python Pyro5 5.17 by the interop tests:
//! `pyro-runtime/tests/interop_data_model.rs` runs the typed rows, and the `Value` kinds whose
//! shape differs between serializers, over all four (what Pyro5 loads from pyro's bytes, and
//! what the Rust type reads from Pyro5's bytes); `interop_values.rs`, `interop_serpent.rs` and
//! `interop_marshal.rs` cover [`Value`](super::Value) in depth.
//!
//! ## Typed values
//!
//! "Python receives" is the type a Python peer's Pyro5 gets after loading; "Rust reads" lists
//! what a field of that Rust type accepts.
//!
//! | Rust | msgpack | json | serpent | marshal | Rust reads |
//! |---|---|---|---|---|---|
//! | `bool` | `bool` | `bool` | `bool` | `bool` | a bool; a number by its truth value (Pyro5 itself passes `0.0` as a flag) |
//! | `i8` … `i64`, `isize`, `u8` … `u64`, `usize` | `int` (smallest msgpack int; non-negative ones unsigned, as Python packs them) | `int` | `int` | `int` | any int in range; out of range is an error (`expected u8, got int 256 (out of range)`), never a wrapped value |
//! | `i128`, `u128` | `int`: native when it fits in 64 bits, else Pyro5's ext 0x31 (ASCII decimal) | `int` (bare number) | `int` | `int` | an int in range, in every form (native, ext 0x31, a long json number) |
//! | `f64`, `f32` | `float` (float64; an `f32` widened exactly: `0.1f32` is `0.10000000149011612`) | `float`; NaN and the infinities as `NaN`, `Infinity`, `-Infinity` | `float`; Pyro5 writes NaN as `{'__class__': 'float', 'value': 'nan'}` and the infinities as `1e30000`, and reads both back as floats | `float` | a float; an int (Python sends `2` for `2.0`) |
//! | `char` | `str` of one character | same | same | same | a one-character str |
//! | `String`, `&str` | `str` | `str` | `str` | `str` | a str; a msgpack `date` as `YYYY-MM-DD` |
//! | `Vec<u8>`, `[u8; N]` | `list` of ints (serde's sequence) | `list` | `list` | `list` | a list of ints; bytes |
//! | `serde_bytes::ByteBuf`, `#[serde(with = "serde_bytes")]` | `bytes` | refused: Pyro5's json cannot carry bytes (a [`SerializeError::CannotCarry`](crate::serializer::SerializeError::CannotCarry)) | `{'data': '<base64>', 'encoding': 'base64'}`, as Pyro5 sends bytes; a Python receiver keeps that dict (`serpent.tobytes` turns it into bytes) | `bytes` | bytes; a list of ints; a str (its UTF-8); serpent's base64 dict |
//! | `(A, B)`, tuple structs, `[T; N]` | `list` (msgpack has no tuples) | `list` | `tuple` | `tuple` | any sequence (list, tuple, set) of that length |
//! | `Vec<T>`, `VecDeque<T>`, slices | `list` | `list` | `list` | `list` | any sequence |
//! | `HashSet<T>`, `BTreeSet<T>` | `list` | `list` | `list` (serde sees a sequence; [`Value::Set`](super::Value::Set) is the way to send a set) | `list` | any sequence, a Python set included |
//! | struct `{ x, y }` | `dict` of the field names | same | same | same | a dict with the field names; a list of the fields in order |
//! | unit struct, `()` | `None` | `None` | `None` | `None` | `None` (a unit struct also an empty list, as older rmp-serde peers send it) |
//! | newtype struct `Meters(f64)` | the inner value (`5.5`) | same | same | same | the inner value |
//! | enum, externally tagged (serde's default) | unit variant: its name `'Off'`; newtype `{'Level': 3}`; tuple `{'Span': [-1, 1]}`; struct `{'Named': {'name': 'n'}}` | same | same, but a tuple variant's content is a `tuple`: `{'Span': (-1, 1)}` | same as serpent | the name, or a one-entry dict |
//! | enum, `#[serde(tag = "kind")]` | `{'kind': 'Circle', 'r': 1.5}` | same | same | same | that dict |
//! | enum, `#[serde(tag = "t", content = "c")]` | `{'t': 'Level', 'c': 3}` | same | same | same | that dict |
//! | enum, `#[serde(untagged)]` | the variant's content (`3`, `'x'`) | same | same | same | the first variant that fits |
//! | `HashMap<String, V>`, `BTreeMap<String, V>` | `dict` | `dict` | `dict` | `dict` | a dict |
//! | maps with int, bool or float keys | written as they are, but a Python receiver refuses them: Pyro5 loads msgpack with `strict_map_key`, `ValueError: int is not allowed for map key`. Rust peers read them; for Python peers use str keys | keys become str, as Python's json makes them (`{'1': ..}`, `'true'`, `'1.5'`, `'NaN'`) | native keys (`{1: 'one'}`, `{True: 1}`) | native keys | native keys; str keys that spell the number or bool (json's form: `HashMap<i64, _>` reads `{"1": ..}`; `true`/`false`, `null` for an `Option` key, Python's float spellings) |
//! | maps with other keys (tuples, structs) | written; a Python receiver refuses them | refused (Pyro5's json only stringifies str, int, float, bool and None keys) | native keys (a tuple key is a `tuple`: `{(1, 2): 3}`) | native keys, as serpent | the same kind of key |
//! | `Option<T>` | `None` or the value | same | same | same | `None`, or the value |
//! | `std::time::Duration` | `{'secs': 1, 'nanos': 5}` (serde's form, not a `timedelta`) | same | same | same | that dict (Pyro5's serpent sends a `timedelta` as float seconds: read it as `f64`; the other serializers of Pyro5 refuse a `timedelta`) |
//! | `uuid::Uuid`, `IpAddr`, other types with a text form | `str` (serializers are human readable, as Python sends these) | `str` | `str` | `str` | the text |
//!
//! ### Pyro objects
//!
//! | Rust | every serializer | Rust reads |
//! |---|---|---|
//! | [`Uri`](crate::Uri) | `Pyro5.core.URI` (the class dict `{'__class__': 'Pyro5.core.URI', 'state': (protocol, object, sockname, host, port)}`) | that class dict; a uri string |
//! | [`Proxy`](crate::proxy::Proxy), typed proxies (`ThingProxy`) | `Pyro5.client.Proxy` (`{'__class__': 'Pyro5.client.Proxy', 'state': (uri, oneway, methods, attrs, handshake, serializer)}`); with marshal a Python receiver accepts it only as a whole argument or result, as Pyro5 converts only top-level values for marshal | that class dict, into an unconnected proxy with the receiver's own timeout and retries |
//! | [`Remote<T>`](crate::Remote), in a result a daemon sends | a `Pyro5.client.Proxy` for the object, registered when the reply is sent (Pyro5's autoproxy); refused with marshal, as Pyro5's autoproxy does not work with marshal, and anywhere but in a daemon's reply | (not read: a client reads `T`'s typed proxy) |
//!
//! A proxy in a dynamic result arrives as its class dict, a `Dict`: [`Proxy::from_value`](crate::proxy::Proxy::from_value)
//! turns it into a proxy, and [`Proxy::to_value`](crate::proxy::Proxy::to_value) makes one to send.
//!
//! ### Arguments of typed proxies
//!
//! A typed proxy leaves an `Option<T>` argument that is `None` out of the call, so the remote
//! method's own default applies (a Python `mode="auto"` stays `"auto"`): trailing ones are
//! dropped, and the arguments after one left out go by keyword. To send an explicit `None`,
//! declare the parameter `Option<Option<T>>` and pass `Some(None)`. A Rust method's `Option<T>`
//! parameter treats a missing argument and `None` alike.
//!
//! ## [`Value`](super::Value) kinds
//!
//! | `Value` | msgpack | json | serpent | marshal |
//! |---|---|---|---|---|
//! | `None`, `Bool`, `Int`, `Float`, `Str` | `None`, `bool`, `int`, `float`, `str` | same; NaN as `NaN` | same; NaN as the float class dict | same |
//! | `BigInt` | `int`: uint64 in `[2^63, 2^64)`, else ext 0x31 | `int` | `int` | `int` |
//! | `Complex` | `complex` (ext 0x30) | refused (as in Pyro5) | `complex` literal `(1.0+2.0j)`; with a NaN part the class dict Pyro5 writes for it (`{'__class__': 'complex', 'real': .., 'imag': ..}`), which Pyro5 itself cannot load (`unsupported serialized class: complex`) | `complex` |
//! | `Bytes` | `bytes` | refused (as in Pyro5) | the base64 dict, kept as a dict by a Python receiver | `bytes` |
//! | `List` | `list` | `list` | `list` | `list` |
//! | `Tuple` | `list` | `list` | `tuple` | `tuple` |
//! | `Set` | `list` | `list` | `set` literal; an empty set is written `()` (a Python receiver gets an empty `tuple`), as Pyro5 does | `set` |
//! | `Dict` | `dict`; a Python receiver refuses keys other than str and bytes | `dict`; int, float, bool and None keys stringified as Python does, other keys refused | `dict` with native keys (tuples as `tuple`) | `dict` with native keys |
//! | `DateTime` | naive `datetime` (ext 0x32, a local-time timestamp) | isoformat `str`, computed in UTC (pyro has no time zone database) | isoformat `str`, as Pyro5's serpent sends a `datetime` | refused: marshal carries no dates (Pyro5's marshal refuses them too, even at the top level) |
//! | `Date` | `date` (ext 0x33) | `'YYYY-MM-DD'` | `'YYYY-MM-DD'` | refused |
//!
//! From Python to a [`Value`](super::Value): msgpack and json have no tuples or sets, so Python
//! tuples and sets arrive as `List` (serpent and marshal keep them as `Tuple` and `Set`);
//! `Decimal` and `UUID` arrive as `Str`; json's dates arrive as the strings they are on the
//! wire; any other Python object arrives as Pyro5's class dict, a `Dict` with `'__class__'`.
//!
//! A [`Dict`](super::Dict) matches keys as Python does: `1`, `1.0` and `True` are one key.
