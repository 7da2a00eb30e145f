//! [`Value`]: a dynamically typed value that holds anything a Python Pyro5 peer sends.
//!
//! Typed Rust values convert to and from it with [`to_value`] and [`from_value`] (serde), and it
//! is itself `Serialize`/`Deserialize`, so it can sit anywhere inside a typed message.
//!
//! What each Rust type (and each `Value` kind) is to a Python peer, per serializer, is in the
//! [`guide`].
//!
//! ```
//! use pyro::value::{from_value, to_value, Value};
//!
//! let v = to_value(&(1, "two", vec![3.5])).unwrap();
//! assert_eq!(v, Value::Tuple(vec![Value::Int(1), Value::from("two"), Value::List(vec![Value::Float(3.5)])]));
//! let back: (i32, String, Vec<f64>) = from_value(v).unwrap();
//! assert_eq!(back, (1, "two".to_string(), vec![3.5]));
//! ```

mod de;
mod dict;
mod ext;
pub(crate) mod ext_codec;
pub mod guide;
mod key;
mod repr;
mod ser;

pub use de::from_value;
pub(crate) use dict::{DICT_COST, DICT_ENTRY_COST};
pub use dict::{Dict, DictIntoIter};
pub use ext::Date;
pub use ser::to_value;

pub(crate) use de::VALUE_TOKEN;
pub(crate) use ext::{EXT_BIGINT, EXT_COMPLEX, EXT_DATE, EXT_DATETIME, EXT_STRUCT_NAME};
pub(crate) use repr::write_float_repr;
pub(crate) use ser::SET_TOKEN;

use num_bigint::BigInt;

/// A value as Python sees it: everything Pyro5 sends over msgpack and json.
///
/// Equality treats two NaN floats as equal and compares dicts and sets without regard to
/// order, as Python does; lists and tuples are distinct kinds.
///
/// ```
/// use pyro::value::Value;
///
/// let v = Value::List(vec![Value::Int(1), Value::Float(f64::NAN), Value::None]);
/// assert_eq!(v, v.clone());
/// assert_eq!(v.to_string(), "[1, nan, None]");
/// ```
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Python `None`.
    #[default]
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An integer that fits in an `i64`.
    Int(i64),
    /// An integer outside the `i64` range (Python ints are unbounded). Never holds a value that
    /// fits in an `i64`: constructors normalise to [`Value::Int`].
    BigInt(BigInt),
    /// A 64-bit float, NaN and the infinities included.
    Float(f64),
    /// A Python `complex` (msgpack extension 0x30).
    Complex {
        /// Real part.
        re: f64,
        /// Imaginary part.
        im: f64,
    },
    /// A text string (Python `str`).
    Str(String),
    /// A byte string (Python `bytes`, `bytearray`, `memoryview`); msgpack keeps it apart from text.
    Bytes(Vec<u8>),
    /// A Python `list`.
    List(Vec<Value>),
    /// A Python `tuple`.
    Tuple(Vec<Value>),
    /// A Python `set` (json and msgpack send it as an array, so it arrives as a list).
    Set(Vec<Value>),
    /// A Python `dict`, in insertion order, with keys of any kind.
    Dict(Dict),
    /// A naive `datetime` as Pyro5's msgpack sends it (extension 0x32): seconds since the Unix epoch
    /// as the sender computed them from its local time zone.
    DateTime(f64),
    /// A `date` (msgpack extension 0x33 carries its proleptic Gregorian ordinal).
    Date(Date),
}

impl Value {
    /// An integer value from any integer, as [`Value::Int`] when it fits in an `i64`, else [`Value::BigInt`].
    ///
    /// ```
    /// use pyro::value::Value;
    /// assert_eq!(Value::int(5u64), Value::Int(5));
    /// assert!(matches!(Value::int(u64::MAX), Value::BigInt(_)));
    /// ```
    pub fn int(n: impl Into<BigInt>) -> Value {
        let n: BigInt = n.into();
        match i64::try_from(&n) {
            Ok(small) => Value::Int(small),
            Err(_) => Value::BigInt(n),
        }
    }

    /// [`Value::int`] for a primitive integer: one that fits in an `i64` is never made a
    /// `BigInt` first (which allocates).
    pub(crate) fn int_from<T: Copy + TryInto<i64> + Into<BigInt>>(n: T) -> Value {
        match n.try_into() {
            Ok(small) => Value::Int(small),
            Err(_) => Value::int(n),
        }
    }

    /// The Python type name of this value (`"int"`, `"str"`, `"dict"`, ...), for error messages.
    ///
    /// ```
    /// use pyro::value::Value;
    /// assert_eq!(Value::from("x").type_name(), "str");
    /// ```
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Complex { .. } => "complex",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Set(_) => "set",
            Value::Dict(_) => "dict",
            Value::DateTime(_) => "datetime",
            Value::Date(_) => "date",
        }
    }

    /// The text, if this is a [`Value::Str`].
    ///
    /// ```
    /// use pyro::value::Value;
    /// assert_eq!(Value::from("hi").as_str(), Some("hi"));
    /// assert_eq!(Value::Int(1).as_str(), None);
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is a [`Value::Int`].
    ///
    /// ```
    /// use pyro::value::Value;
    /// assert_eq!(Value::Int(7).as_i64(), Some(7));
    /// ```
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// The float, if this is a [`Value::Float`] (integers are not converted).
    ///
    /// ```
    /// use pyro::value::Value;
    /// assert_eq!(Value::Float(0.5).as_f64(), Some(0.5));
    /// ```
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The boolean, if this is a [`Value::Bool`].
    ///
    /// ```
    /// use pyro::value::Value;
    /// assert_eq!(Value::Bool(true).as_bool(), Some(true));
    /// ```
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements, if this is a list, tuple or set.
    ///
    /// ```
    /// use pyro::value::Value;
    /// assert_eq!(Value::Tuple(vec![Value::None]).as_seq().map(|s| s.len()), Some(1));
    /// ```
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) | Value::Tuple(items) | Value::Set(items) => Some(items),
            _ => None,
        }
    }

    /// The dict, if this is a [`Value::Dict`].
    ///
    /// ```
    /// use pyro::value::{Dict, Value};
    /// assert!(Value::Dict(Dict::new()).as_dict().is_some());
    /// ```
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// Whether this is `None`.
    ///
    /// ```
    /// use pyro::value::Value;
    /// assert!(Value::None.is_none());
    /// ```
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        fn same_float(a: f64, b: f64) -> bool {
            a == b || (a.is_nan() && b.is_nan())
        }
        fn same_members(a: &[Value], b: &[Value]) -> bool {
            a.len() == b.len() && a.iter().all(|x| b.contains(x)) && b.iter().all(|y| a.contains(y))
        }
        match (self, other) {
            (None, None) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (BigInt(a), BigInt(b)) => a == b,
            (Float(a), Float(b)) => same_float(*a, *b),
            (Complex { re: a, im: b }, Complex { re: c, im: d }) => same_float(*a, *c) && same_float(*b, *d),
            (Str(a), Str(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            (List(a), List(b)) | (Tuple(a), Tuple(b)) => a == b,
            (Set(a), Set(b)) => same_members(a, b),
            (Dict(a), Dict(b)) => a == b,
            (DateTime(a), DateTime(b)) => same_float(*a, *b),
            (Date(a), Date(b)) => a == b,
            _ => false,
        }
    }
}

macro_rules! value_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::int_from(n)
            }
        }
    )*};
}
value_from_int!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

impl From<BigInt> for Value {
    fn from(n: BigInt) -> Value {
        Value::int(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<f32> for Value {
    fn from(f: f32) -> Value {
        Value::Float(f64::from(f))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::List(items)
    }
}

impl From<Dict> for Value {
    fn from(d: Dict) -> Value {
        Value::Dict(d)
    }
}

impl From<Date> for Value {
    fn from(d: Date) -> Value {
        Value::Date(d)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Value {
        o.map_or(Value::None, Into::into)
    }
}
