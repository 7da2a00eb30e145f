//! Python's `*args` and `**kwargs`: [`VarArgs`] and [`KwArgs`] as the trailing parameters of an
//! exposed method take the positional arguments beyond the named ones and the keyword arguments
//! no parameter is named after; a typed proxy sends them the same way. [`VarCall`] assembles
//! such a call's arguments on the proxy side.
//!
//! ```
//! use pyro::dispatch::CallArgs;
//! use pyro::value::{Dict, Value};
//! use pyro::{KwArgs, VarArgs};
//!
//! // What `def log(level, *parts, **fields)` receives for `log(1, "a", "b", user="x")`.
//! let kwargs: Dict = [("user", Value::from("x"))].into_iter().collect();
//! let mut args = CallArgs::new("log", vec![1.into(), "a".into(), "b".into()], Some(kwargs));
//! let level: i64 = args.required(0, "level").unwrap();
//! let parts: VarArgs<String> = args.rest("parts").unwrap();
//! let fields: KwArgs = args.rest_kwargs("fields").unwrap();
//! args.finish().unwrap();
//! assert_eq!((level, parts.as_slice()), (1, &["a".to_owned(), "b".to_owned()][..]));
//! assert_eq!(fields.get("user"), Some(&Value::from("x")));
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Value;
use crate::value::{Dict, to_value};

/// The extra positional arguments of a call (Python's `*args`), each converted to `T`.
///
/// ```
/// let rest = pyro::VarArgs::from(vec![1, 2]);
/// assert_eq!(rest.iter().sum::<i32>(), 3);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VarArgs<T = Value>(pub Vec<T>);

impl<T> VarArgs<T> {
    /// No extra arguments.
    ///
    /// ```
    /// assert!(pyro::VarArgs::<i32>::new().is_empty());
    /// ```
    pub fn new() -> VarArgs<T> {
        VarArgs(Vec::new())
    }

    /// The arguments.
    ///
    /// ```
    /// assert_eq!(pyro::VarArgs::from(vec![1]).into_inner(), vec![1]);
    /// ```
    pub fn into_inner(self) -> Vec<T> {
        self.0
    }
}

impl<T> Deref for VarArgs<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T> DerefMut for VarArgs<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<T> From<Vec<T>> for VarArgs<T> {
    fn from(items: Vec<T>) -> VarArgs<T> {
        VarArgs(items)
    }
}

impl<T> FromIterator<T> for VarArgs<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> VarArgs<T> {
        VarArgs(iter.into_iter().collect())
    }
}

impl<T: Serialize> Serialize for VarArgs<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in &self.0 {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for VarArgs<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<VarArgs<T>, D::Error> {
        Vec::<T>::deserialize(deserializer).map(VarArgs)
    }
}

/// The extra keyword arguments of a call (Python's `**kwargs`), in the order the caller gave
/// them, each converted to `T`.
///
/// ```
/// let extra: pyro::KwArgs<i32> = [("a", 1), ("b", 2)].into_iter().collect();
/// assert_eq!(extra.get("b"), Some(&2));
/// assert_eq!(extra.names().collect::<Vec<_>>(), ["a", "b"]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct KwArgs<T = Value>(pub Vec<(String, T)>);

impl<T> Default for KwArgs<T> {
    fn default() -> KwArgs<T> {
        KwArgs(Vec::new())
    }
}

impl<T> KwArgs<T> {
    /// No extra keyword arguments.
    ///
    /// ```
    /// assert!(pyro::KwArgs::<i32>::new().is_empty());
    /// ```
    pub fn new() -> KwArgs<T> {
        KwArgs(Vec::new())
    }

    /// The value of keyword `name`, if given.
    ///
    /// ```
    /// let extra: pyro::KwArgs<i32> = [("a", 1)].into_iter().collect();
    /// assert_eq!(extra.get("a"), Some(&1));
    /// assert_eq!(extra.get("z"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&T> {
        self.0.iter().find(|(key, _)| key == name).map(|(_, value)| value)
    }

    /// The keywords, in order.
    ///
    /// ```
    /// let extra: pyro::KwArgs<i32> = [("x", 1)].into_iter().collect();
    /// assert_eq!(extra.names().next(), Some("x"));
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(key, _)| key.as_str())
    }

    /// Adds keyword `name` (replacing an earlier value).
    ///
    /// ```
    /// let mut extra = pyro::KwArgs::new();
    /// extra.insert("a", 1);
    /// extra.insert("a", 2);
    /// assert_eq!((extra.len(), extra.get("a")), (1, Some(&2)));
    /// ```
    pub fn insert(&mut self, name: impl Into<String>, value: T) {
        let name = name.into();
        match self.0.iter_mut().find(|(key, _)| *key == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }
}

impl<T> Deref for KwArgs<T> {
    type Target = Vec<(String, T)>;
    fn deref(&self) -> &Vec<(String, T)> {
        &self.0
    }
}

impl<K: Into<String>, T> FromIterator<(K, T)> for KwArgs<T> {
    fn from_iter<I: IntoIterator<Item = (K, T)>>(iter: I) -> KwArgs<T> {
        let mut kwargs = KwArgs::new();
        for (key, value) in iter {
            kwargs.insert(key, value);
        }
        kwargs
    }
}

impl<T: Serialize> Serialize for KwArgs<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for KwArgs<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<KwArgs<T>, D::Error> {
        struct Entries<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Entries<T> {
            type Value = KwArgs<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("keyword arguments (a dict with str keys)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KwArgs<T>, A::Error> {
                let mut kwargs = KwArgs::new();
                while let Some((key, value)) = map.next_entry::<String, T>()? {
                    kwargs.insert(key, value);
                }
                Ok(kwargs)
            }
        }
        deserializer.deserialize_map(Entries(PhantomData))
    }
}

/// The arguments of a typed proxy's call to a method with [`VarArgs`] or [`KwArgs`]
/// (generated code builds it): named parameters, then the extra ones. A named optional
/// parameter that is `None` is left out, so the remote default applies, while no extra
/// positional argument follows it; the named parameters after it go by keyword. A parameter
/// that cannot be serialized makes the call fail with that error.
///
/// ```
/// use pyro::{Value, VarArgs, VarCall};
///
/// let mut call = VarCall::new();
/// call.param("level", &1);
/// call.optional("tag", &None::<String>);
/// call.rest(&VarArgs::from(vec!["a"]));
/// // An extra positional argument follows, so the left-out `tag` goes as None.
/// assert_eq!(pyro::value::to_value(&call.vargs()).unwrap(), Value::List(vec![1.into(), Value::None, "a".into()]));
/// ```
#[derive(Debug, Default)]
pub struct VarCall {
    named: Vec<(&'static str, Option<Value>)>,
    rest: Vec<Value>,
    extra: Dict,
    error: Option<String>,
}

impl VarCall {
    /// No arguments yet.
    ///
    /// ```
    /// let call = pyro::VarCall::new();
    /// assert_eq!(pyro::value::to_value(&call.kwargs()).unwrap(), pyro::Value::Dict(Default::default()));
    /// ```
    pub fn new() -> VarCall {
        VarCall::default()
    }

    /// A named parameter that is always sent.
    ///
    /// ```
    /// let mut call = pyro::VarCall::new();
    /// call.param("a", &1);
    /// assert_eq!(pyro::value::to_value(&call.vargs()).unwrap(), pyro::Value::List(vec![1.into()]));
    /// ```
    pub fn param<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) {
        let value = self.convert(name, value);
        self.named.push((name, Some(value)));
    }

    /// A named optional parameter: left out when `None`.
    ///
    /// ```
    /// let mut call = pyro::VarCall::new();
    /// call.optional("a", &None::<i32>);
    /// call.param("b", &2);
    /// assert_eq!(pyro::value::to_value(&call.kwargs()).unwrap().as_dict().unwrap().len(), 1);
    /// ```
    pub fn optional<T: Serialize>(&mut self, name: &'static str, value: &Option<T>) {
        let value = value.as_ref().map(|value| self.convert(name, value));
        self.named.push((name, value));
    }

    /// The extra positional arguments.
    ///
    /// ```
    /// let mut call = pyro::VarCall::new();
    /// call.rest(&pyro::VarArgs::from(vec![1, 2]));
    /// assert_eq!(pyro::value::to_value(&call.vargs()).unwrap().as_seq().unwrap().len(), 2);
    /// ```
    pub fn rest<T: Serialize>(&mut self, rest: &VarArgs<T>) {
        for (index, item) in rest.iter().enumerate() {
            let value = self.convert(&format!("*args[{index}]"), item);
            self.rest.push(value);
        }
    }

    /// The extra keyword arguments.
    ///
    /// ```
    /// let mut call = pyro::VarCall::new();
    /// call.extra(&[("x", 1)].into_iter().collect::<pyro::KwArgs<i32>>());
    /// assert!(pyro::value::to_value(&call.kwargs()).unwrap().as_dict().unwrap().get("x").is_some());
    /// ```
    pub fn extra<T: Serialize>(&mut self, extra: &KwArgs<T>) {
        for (name, item) in extra.iter() {
            let value = self.convert(name, item);
            self.extra.insert(name.as_str(), value);
        }
    }

    /// The positional arguments, to serialize.
    ///
    /// See [`VarCall`] for an example.
    pub fn vargs(&self) -> impl Serialize + '_ {
        Positional(self)
    }

    /// The keyword arguments, to serialize.
    ///
    /// See [`VarCall::optional`] for an example.
    pub fn kwargs(&self) -> impl Serialize + '_ {
        Keywords(self)
    }

    /// How many named parameters go positionally: all of them when extra positional arguments
    /// follow, else those before the first one left out.
    fn cut(&self) -> usize {
        if !self.rest.is_empty() {
            return self.named.len();
        }
        self.named.iter().position(|(_, value)| value.is_none()).unwrap_or(self.named.len())
    }

    fn convert<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Value {
        to_value(value).unwrap_or_else(|e| {
            self.error.get_or_insert_with(|| format!("argument '{name}': {e}"));
            Value::None
        })
    }
}

struct Positional<'a>(&'a VarCall);

impl Serialize for Positional<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let call = self.0;
        if let Some(error) = &call.error {
            return Err(S::Error::custom(error));
        }
        let cut = call.cut();
        let mut seq = serializer.serialize_seq(Some(cut + call.rest.len()))?;
        for (_, value) in &call.named[..cut] {
            seq.serialize_element(value.as_ref().unwrap_or(&Value::None))?;
        }
        for value in &call.rest {
            seq.serialize_element(value)?;
        }
        seq.end()
    }
}

struct Keywords<'a>(&'a VarCall);

impl Serialize for Keywords<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let call = self.0;
        if let Some(error) = &call.error {
            return Err(S::Error::custom(error));
        }
        let named: Vec<(&str, &Value)> =
            call.named[call.cut()..].iter().filter_map(|(name, value)| Some((*name, value.as_ref()?))).collect();
        let mut map = serializer.serialize_map(Some(named.len() + call.extra.len()))?;
        for (name, value) in named {
            map.serialize_entry(name, value)?;
        }
        for (name, value) in call.extra.iter() {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Converts `values` to `T`s, naming the failing one (used by [`crate::dispatch::CallArgs`]).
pub(crate) fn convert_all<T: DeserializeOwned>(
    values: Vec<Value>,
) -> Result<Vec<T>, (usize, &'static str, crate::serializer::SerializeError)> {
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            let type_name = value.type_name();
            crate::value::from_value(value).map_err(|e| (index, type_name, e))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json<T: Serialize>(value: &T) -> String {
        String::from_utf8(crate::Serializer::Json.to_bytes(value).expect("serializes")).expect("utf-8")
    }

    #[test]
    fn optional_parameters_follow_python_rules() {
        let mut call = VarCall::new();
        call.param("a", &1);
        call.optional("b", &None::<i32>);
        call.optional("c", &Some(3));
        call.extra(&[("x", 9)].into_iter().collect::<KwArgs<i32>>());
        assert_eq!(json(&call.vargs()), "[1]");
        assert_eq!(json(&call.kwargs()), r#"{"c": 3, "x": 9}"#);
    }

    #[test]
    fn unserializable_arguments_fail_the_call() {
        struct Unsendable;
        impl Serialize for Unsendable {
            fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(S::Error::custom("never sent"))
            }
        }
        let mut call = VarCall::new();
        call.param("handle", &Unsendable);
        let error = crate::Serializer::Json.to_bytes(&call.vargs()).expect_err("unsendable");
        assert!(error.to_string().contains("argument 'handle': never sent"), "{error}");
        assert!(crate::Serializer::Json.to_bytes(&call.kwargs()).is_err());
    }

    #[test]
    fn kwargs_keep_their_order_through_serde() {
        let extra: KwArgs<i32> = [("z", 1), ("a", 2)].into_iter().collect();
        let value = to_value(&extra).expect("to value");
        let back: KwArgs<i32> = crate::value::from_value(value).expect("from value");
        assert_eq!(back.names().collect::<Vec<_>>(), ["z", "a"]);
    }
}
