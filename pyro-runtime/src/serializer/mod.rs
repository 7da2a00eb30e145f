//! Pyro5's four serializers, chosen by id at run time: [`Serializer::Serpent`] (id 1, Pyro5's
//! default), [`Serializer::Marshal`] (id 2), [`Serializer::Json`] (id 3) and
//! [`Serializer::Msgpack`] (id 4).
//!
//! Any `serde::Serialize` type goes straight to bytes ([`Serializer::to_bytes`]) without a
//! [`Value`](crate::value::Value) in between; that is the fast path for Rust-to-Rust calls. [`Value`](crate::value::Value) is one such
//! type and carries whatever a Python peer sends.
//!
//! ```
//! use pyro::serializer::Serializer;
//! use pyro::value::Value;
//!
//! let ser = Serializer::from_id(4).unwrap();
//! let bytes = ser.to_bytes(&("thing", 42)).unwrap();
//! let back: Value = ser.from_bytes(&bytes).unwrap();
//! assert_eq!(back, Value::List(vec!["thing".into(), 42.into()]));
//! assert!(Serializer::from_id(9).is_err());
//! ```

/// Implements serde's sequence, tuple and struct compound traits for a writer's `Compound`
/// type by forwarding to its own `element(value)`, `field(key, value)` and `close()` (what
/// every writer here does; only maps differ between them).
macro_rules! forward_compounds {
    ($compound:ident) => {
        $crate::serializer::forward_compounds!(@elements $compound: SerializeSeq serialize_element, SerializeTuple serialize_element,
            SerializeTupleStruct serialize_field, SerializeTupleVariant serialize_field);
        $crate::serializer::forward_compounds!(@fields $compound: SerializeStruct, SerializeStructVariant);
    };
    (@elements $compound:ident: $($trait:ident $method:ident),*) => {$(
        impl ::serde::ser::$trait for $compound<'_> {
            type Ok = ();
            type Error = $crate::serializer::SerializeError;

            fn $method<T: ::serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
                self.element(value)
            }

            fn end(self) -> Result<(), Self::Error> {
                self.close()
            }
        }
    )*};
    (@fields $compound:ident: $($trait:ident),*) => {$(
        impl ::serde::ser::$trait for $compound<'_> {
            type Ok = ();
            type Error = $crate::serializer::SerializeError;

            fn serialize_field<T: ::serde::Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Self::Error> {
                self.field(key, value)
            }

            fn end(self) -> Result<(), Self::Error> {
                self.close()
            }
        }
    )*};
}
pub(crate) use forward_compounds;

pub(crate) mod batch_call;
pub(crate) mod budget;
mod call;
mod classdict;
pub mod json;
pub mod marshal;
pub mod msgpack;
mod pyshape;
pub mod serpent;
pub(crate) mod spare_buffer;
mod splice;

pub(crate) use splice::{ListWriter, msgpack_array_header};

pub use budget::DecodeLimit;
pub use call::Call;
pub(crate) use call::{SharedCall, decode_shared as decode_call_shared};
pub use classdict::{CLASS_KEY, ExceptionWrapper, ProxyState, RefusedClass, check_class, class_name};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A Pyro5 serializer, identified on the wire by the header's serializer id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Serializer {
    /// Pyro5's `serpent` serializer (id 1), its default: Python literal syntax, readable by
    /// `ast.literal_eval`. Every Pyro5 installation has it.
    Serpent,
    /// Pyro5's `marshal` serializer (id 2): Python's `marshal` format.
    Marshal,
    /// Pyro5's `json` serializer (id 3): Python's json dialect, with `NaN`/`Infinity` and unbounded ints.
    Json,
    /// Pyro5's `msgpack` serializer (id 4): msgpack with Pyro5's extension types.
    Msgpack,
}

impl Serializer {
    /// Wire id of the serpent serializer.
    pub const SERPENT_ID: u8 = 1;
    /// Wire id of the marshal serializer.
    pub const MARSHAL_ID: u8 = 2;
    /// Wire id of the json serializer.
    pub const JSON_ID: u8 = 3;
    /// Wire id of the msgpack serializer.
    pub const MSGPACK_ID: u8 = 4;

    /// The serializer with wire id `id`.
    ///
    /// ```
    /// use pyro::serializer::Serializer;
    /// assert_eq!(Serializer::from_id(3).unwrap(), Serializer::Json);
    /// assert_eq!(Serializer::from_id(1).unwrap(), Serializer::Serpent);
    /// assert!(Serializer::from_id(0).is_err());
    /// ```
    pub fn from_id(id: u8) -> Result<Serializer, SerializeError> {
        match id {
            Self::SERPENT_ID => Ok(Serializer::Serpent),
            Self::MARSHAL_ID => Ok(Serializer::Marshal),
            Self::JSON_ID => Ok(Serializer::Json),
            Self::MSGPACK_ID => Ok(Serializer::Msgpack),
            _ => Err(SerializeError::UnknownSerializer { id }),
        }
    }

    /// The serializer named `name` as in Pyro5's `SERIALIZER` setting (`"serpent"`, `"marshal"`,
    /// `"json"`, `"msgpack"`).
    ///
    /// ```
    /// use pyro::serializer::Serializer;
    /// assert_eq!(Serializer::from_name("msgpack").unwrap(), Serializer::Msgpack);
    /// assert!(Serializer::from_name("pickle").is_err());
    /// ```
    pub fn from_name(name: &str) -> Result<Serializer, SerializeError> {
        match name {
            "serpent" => Ok(Serializer::Serpent),
            "marshal" => Ok(Serializer::Marshal),
            "json" => Ok(Serializer::Json),
            "msgpack" => Ok(Serializer::Msgpack),
            _ => Err(SerializeError::UnknownSerializerName { name: name.to_owned() }),
        }
    }

    /// The wire id.
    ///
    /// ```
    /// assert_eq!(pyro::serializer::Serializer::Msgpack.id(), 4);
    /// ```
    pub fn id(self) -> u8 {
        match self {
            Serializer::Serpent => Self::SERPENT_ID,
            Serializer::Marshal => Self::MARSHAL_ID,
            Serializer::Json => Self::JSON_ID,
            Serializer::Msgpack => Self::MSGPACK_ID,
        }
    }

    /// The name Pyro5 uses for it (`"serpent"`, `"marshal"`, `"json"`, `"msgpack"`).
    ///
    /// ```
    /// assert_eq!(pyro::serializer::Serializer::Json.name(), "json");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Serializer::Serpent => "serpent",
            Serializer::Marshal => "marshal",
            Serializer::Json => "json",
            Serializer::Msgpack => "msgpack",
        }
    }

    /// Serializes any value straight to bytes.
    ///
    /// ```
    /// use pyro::serializer::Serializer;
    /// assert_eq!(Serializer::Json.to_bytes(&vec![1, 2]).unwrap(), b"[1, 2]");
    /// assert_eq!(Serializer::Msgpack.to_bytes(&vec![1, 2]).unwrap(), [0x92, 1, 2]);
    /// ```
    pub fn to_bytes<T: Serialize + ?Sized>(self, value: &T) -> Result<Vec<u8>, SerializeError> {
        match self {
            Serializer::Serpent => serpent::to_bytes(value),
            Serializer::Marshal => marshal::to_bytes(value),
            Serializer::Json => json::to_bytes(value),
            Serializer::Msgpack => msgpack::to_bytes(value),
        }
    }

    /// Serializes any value straight to bytes with `options` (settings that change what a
    /// serializer writes, like Pyro5's `SERPENT_BYTES_REPR`).
    ///
    /// ```
    /// use pyro::serializer::{SerializeOptions, Serializer};
    /// let repr = SerializeOptions { serpent_bytes_repr: true };
    /// let bytes = Serializer::Serpent.to_bytes_with(serde_bytes::Bytes::new(b"hi"), repr).unwrap();
    /// assert!(bytes.ends_with(b"b'hi'"));
    /// ```
    pub fn to_bytes_with<T: Serialize + ?Sized>(
        self,
        value: &T,
        options: SerializeOptions,
    ) -> Result<Vec<u8>, SerializeError> {
        match self {
            Serializer::Serpent => {
                serpent::to_bytes_with(value, serpent::Options { bytes_repr: options.serpent_bytes_repr })
            }
            other => other.to_bytes(value),
        }
    }

    /// Deserializes bytes into any type (a [`Value`](crate::value::Value) takes anything).
    ///
    /// ```
    /// use pyro::serializer::Serializer;
    /// let n: Vec<i64> = Serializer::Json.from_bytes(b"[1, 2]").unwrap();
    /// assert_eq!(n, [1, 2]);
    /// ```
    ///
    /// What the decoded values may cost is bounded by the default [`DecodeLimit`]; see
    /// [`from_bytes_limited`](Serializer::from_bytes_limited).
    pub fn from_bytes<T: DeserializeOwned>(self, bytes: &[u8]) -> Result<T, SerializeError> {
        self.from_bytes_limited(bytes, DecodeLimit::default())
    }

    /// [`from_bytes`](Serializer::from_bytes) within `limit`: a payload whose values would
    /// cost more memory than `limit` allows for its size is refused with
    /// [`SerializeError::TooLarge`] before they are built.
    ///
    /// ```
    /// use pyro::serializer::{DecodeLimit, SerializeError, Serializer};
    /// use pyro::value::Value;
    ///
    /// // 100,000 nils: 100 kB of msgpack, 3.2 MB of values.
    /// let mut nils = vec![0xdd, 0x00, 0x01, 0x86, 0xa0];
    /// nils.resize(nils.len() + 100_000, 0xc0);
    /// let limit = DecodeLimit::new(1 << 20);
    /// let err = Serializer::Msgpack.from_bytes_limited::<Value>(&nils, limit).unwrap_err();
    /// assert!(matches!(err, SerializeError::TooLarge { limit: 1048576, .. }));
    /// assert!(Serializer::Msgpack.from_bytes_limited::<Value>(&nils, DecodeLimit::default()).is_ok());
    /// ```
    pub fn from_bytes_limited<T: DeserializeOwned>(
        self,
        bytes: &[u8],
        limit: DecodeLimit,
    ) -> Result<T, SerializeError> {
        match self {
            Serializer::Serpent => serpent::from_bytes_limited(bytes, limit),
            Serializer::Marshal => marshal::from_bytes_limited(bytes, limit),
            Serializer::Json => json::from_bytes_limited(bytes, limit),
            Serializer::Msgpack => msgpack::from_bytes_limited(bytes, limit),
        }
    }

    /// Serializes a call in Pyro5's shape for this serializer: the 4-tuple
    /// `(object, method, vargs, kwargs)` for serpent and marshal, the msgpack array
    /// `[object, method, vargs, kwargs]` or the json object `{"object", "method", "params", "kwargs"}`.
    /// `kwargs` of `None` is sent as null (Pyro5 does so for `__getattr__`, `__setattr__` and batches).
    ///
    /// ```
    /// use pyro::serializer::Serializer;
    /// use pyro::value::Dict;
    /// let bytes = Serializer::Json.encode_call("thing", "add", &(1, 2), Some(&Dict::new())).unwrap();
    /// assert_eq!(bytes, br#"{"object": "thing", "method": "add", "params": [1, 2], "kwargs": {}}"#);
    /// ```
    pub fn encode_call<A, K>(
        self,
        object: &str,
        method: &str,
        vargs: &A,
        kwargs: Option<&K>,
    ) -> Result<Vec<u8>, SerializeError>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
    {
        call::encode(self, SerializeOptions::default(), object, method, vargs, kwargs)
    }

    /// [`encode_call`](Serializer::encode_call) with `options`.
    ///
    /// ```
    /// use pyro::serializer::{SerializeOptions, Serializer};
    /// let bytes = Serializer::Serpent
    ///     .encode_call_with(SerializeOptions::default(), "thing", "add", &(1, 2), Some(&pyro::value::Dict::new()))
    ///     .unwrap();
    /// assert_eq!(bytes, b"# serpent utf-8 python3.2\n('thing','add',(1,2),{})");
    /// ```
    pub fn encode_call_with<A, K>(
        self,
        options: SerializeOptions,
        object: &str,
        method: &str,
        vargs: &A,
        kwargs: Option<&K>,
    ) -> Result<Vec<u8>, SerializeError>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
    {
        call::encode(self, options, object, method, vargs, kwargs)
    }

    /// Reads a call serialized by any Pyro5 peer.
    ///
    /// ```
    /// use pyro::serializer::Serializer;
    /// let call = Serializer::Msgpack.decode_call(&[0x94, 0xa5, b't', b'h', b'i', b'n', b'g', 0xa3, b'a', b'd', b'd', 0x92, 1, 2, 0x80]).unwrap();
    /// assert_eq!((call.object.as_str(), call.method.as_str(), call.vargs.len()), ("thing", "add", 2));
    /// ```
    pub fn decode_call(self, bytes: &[u8]) -> Result<Call, SerializeError> {
        call::decode(self, bytes, DecodeLimit::default())
    }

    /// [`decode_call`](Serializer::decode_call) within `limit` (as a daemon reads calls; see
    /// [`from_bytes_limited`](Serializer::from_bytes_limited)).
    ///
    /// ```
    /// use pyro::serializer::{DecodeLimit, SerializeError, Serializer};
    /// let bytes = Serializer::Json.encode_call("thing", "add", &vec![(); 1000], None::<&()>).unwrap();
    /// assert!(Serializer::Json.decode_call_limited(&bytes, DecodeLimit::new(1 << 20)).is_ok());
    /// let err = Serializer::Json.decode_call_limited(&bytes, DecodeLimit::new(1000)).unwrap_err();
    /// assert!(matches!(err, SerializeError::TooLarge { serializer: "json", .. }));
    /// ```
    pub fn decode_call_limited(self, bytes: &[u8], limit: DecodeLimit) -> Result<Call, SerializeError> {
        call::decode(self, bytes, limit)
    }
}

impl std::fmt::Display for Serializer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Settings that change what a serializer writes (not what it reads), taken from the
/// [`Config`](crate::Config) of the daemon or proxy that writes.
///
/// ```
/// use pyro::serializer::SerializeOptions;
/// assert!(!SerializeOptions::default().serpent_bytes_repr);
/// let options = SerializeOptions::from_config(&pyro::Config { serpent_bytes_repr: true, ..Default::default() });
/// assert!(options.serpent_bytes_repr);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SerializeOptions {
    /// Pyro5's `SERPENT_BYTES_REPR`: serpent writes bytes as `b'..'` literals instead of the
    /// `{'data': <base64>, 'encoding': 'base64'}` dict.
    pub serpent_bytes_repr: bool,
}

impl SerializeOptions {
    /// The options a configuration asks for.
    ///
    /// ```
    /// let options = pyro::serializer::SerializeOptions::from_config(&pyro::Config::default());
    /// assert_eq!(options, Default::default());
    /// ```
    pub fn from_config(config: &crate::Config) -> SerializeOptions {
        SerializeOptions { serpent_bytes_repr: config.serpent_bytes_repr }
    }
}

/// A value could not be serialized or deserialized (Pyro5's `SerializeError`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SerializeError {
    /// The header named a serializer id that does not exist.
    #[error("unknown serializer id {id}")]
    UnknownSerializer {
        /// The id from the header.
        id: u8,
    },
    /// A serializer name that does not exist.
    #[error("unknown serializer name {name:?}")]
    UnknownSerializerName {
        /// The name given.
        name: String,
    },
    /// The serializer cannot carry a value of this kind (e.g. bytes over json, dates over marshal).
    #[error("the {serializer} serializer cannot carry {what}")]
    CannotCarry {
        /// The serializer name.
        serializer: &'static str,
        /// The kind of value, e.g. `"bytes"`.
        what: String,
    },
    /// Bytes that are not valid for the serializer.
    #[error("invalid {serializer} data: {reason}")]
    Malformed {
        /// The serializer name.
        serializer: &'static str,
        /// What is wrong, with the position where known.
        reason: String,
    },
    /// Well-formed data of the wrong shape (e.g. a call that is not a 4-element array).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What was being read, e.g. `"call"` or `"exception"`.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The payload's decoded values would take more memory than its [`DecodeLimit`] allows; it
    /// was refused before they were built.
    #[error(
        "the {payload}-byte {serializer} payload would decode to more than {limit} bytes of values (the decode limit)"
    )]
    TooLarge {
        /// The serializer name.
        serializer: &'static str,
        /// The size of the payload in bytes.
        payload: usize,
        /// The limit for that payload, in bytes ([`DecodeLimit::for_payload`]).
        limit: usize,
    },
    /// A value did not fit the Rust type it was read into or written from.
    #[error("{0}")]
    Custom(String),
}

impl serde::ser::Error for SerializeError {
    fn custom<T: std::fmt::Display>(msg: T) -> SerializeError {
        SerializeError::Custom(msg.to_string())
    }
}

impl serde::de::Error for SerializeError {
    fn custom<T: std::fmt::Display>(msg: T) -> SerializeError {
        SerializeError::Custom(msg.to_string())
    }
}
