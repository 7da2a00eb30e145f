//! Remote attributes (Pyro5's exposed properties): the `__getattr__` and `__setattr__` calls a
//! proxy sends to read and write them, and the errors a Pyro5 daemon answers.
//!
//! A Pyro5 proxy reads attribute `x` with the call `__getattr__("x")` and writes it with
//! `__setattr__("x", value)`, both with `None` as keyword arguments. The daemon looks at the
//! first positional argument (and the second for a write) and ignores anything after them and
//! the keyword arguments. Generated dispatch tables (`#[pyro::getter]`, `#[pyro::setter]`)
//! split such a call with [`getattr_call`] or [`setattr_call`] into the attribute name and the
//! arguments of the accessor, and answer names they do not serve with [`inaccessible_attribute`]
//! or [`unknown_attribute`].
//!
//! ```
//! use pyro::dispatch::{CallArgs, attributes};
//! use pyro::Value;
//!
//! let call = CallArgs::new("__setattr__", vec![Value::from("verbose"), Value::Bool(true)], None);
//! let (name, mut args) = attributes::setattr_call(call).unwrap();
//! assert_eq!(name, "verbose");
//! assert!(args.required::<bool>(0, "value").unwrap());
//! args.finish().unwrap();
//! ```

use super::CallArgs;
use crate::value::Value;
use crate::{Error, RemoteError};

/// The method name of an attribute read.
pub const GETATTR: &str = "__getattr__";
/// The method name of an attribute write.
pub const SETATTR: &str = "__setattr__";
/// Both: the calls a dispatch table answers for its attributes (whether it has any or not).
pub const ACCESS_METHODS: [&str; 2] = [GETATTR, SETATTR];

/// Splits a `__getattr__(name)` call into the attribute name and the (empty) arguments of its
/// getter. Arguments after the name are ignored, as Pyro5 does.
///
/// Errors as Pyro5's: no argument is `builtins.IndexError`, a name that is not a string
/// `builtins.TypeError`.
///
/// ```
/// use pyro::dispatch::{CallArgs, attributes};
/// use pyro::Value;
///
/// let (name, args) = attributes::getattr_call(CallArgs::new("__getattr__", vec![Value::from("size")], None)).unwrap();
/// assert_eq!(name, "size");
/// args.finish().unwrap();
///
/// let err = attributes::getattr_call(CallArgs::new("__getattr__", vec![Value::Int(1)], None)).unwrap_err();
/// assert_eq!(err.to_string(), "remote builtins.TypeError: attribute name must be string, not 'int'");
/// ```
pub fn getattr_call(args: CallArgs) -> Result<(String, CallArgs), Error> {
    let mut vargs = args.into_vargs().into_iter();
    let name = attribute_name(vargs.next())?;
    let getter = CallArgs::new(name.clone(), Vec::new(), None);
    Ok((name, getter))
}

/// Splits a `__setattr__(name, value)` call into the attribute name and the arguments of its
/// setter (the value, as its only positional argument). Arguments after the value are
/// ignored, as Pyro5 does.
///
/// Errors as Pyro5's: fewer than two arguments is `builtins.IndexError`, a name that is not a
/// string `builtins.TypeError`.
///
/// ```
/// use pyro::dispatch::{CallArgs, attributes};
/// use pyro::Value;
///
/// let err = attributes::setattr_call(CallArgs::new("__setattr__", vec![Value::from("size")], None)).unwrap_err();
/// assert_eq!(err.to_string(), "remote builtins.IndexError: list index out of range");
/// ```
pub fn setattr_call(args: CallArgs) -> Result<(String, CallArgs), Error> {
    let mut vargs = args.into_vargs().into_iter();
    let name = vargs.next();
    let Some(value) = vargs.next() else {
        return Err(index_error());
    };
    let name = attribute_name(name)?;
    let setter = CallArgs::new(name.clone(), vec![value], None);
    Ok((name, setter))
}

/// The error for an attribute that exists but cannot be read or written remotely: a method, a
/// private name, or a read-only attribute that is written (Pyro5's
/// `AttributeError("attempt to access unexposed or unknown remote attribute '<name>'")`).
///
/// ```
/// let err = pyro::dispatch::attributes::inaccessible_attribute("size");
/// assert_eq!(
///     err.to_string(),
///     "remote builtins.AttributeError: attempt to access unexposed or unknown remote attribute 'size'"
/// );
/// ```
pub fn inaccessible_attribute(name: &str) -> Error {
    attribute_error(format!("attempt to access unexposed or unknown remote attribute '{name}'"))
}

/// The error for a name the object does not have. Pyro5 looks the name up on the object's class
/// and answers Python's own `AttributeError("type object '<Class>' has no attribute '<name>'")`;
/// here the class is `T`'s name without its module path (and generic arguments). A Python class
/// always has some private names (`__class__`, ...), so a name starting with `_` gets
/// [`inaccessible_attribute`]'s error instead.
///
/// ```
/// struct Thermostat;
/// let err = pyro::dispatch::attributes::unknown_attribute::<Thermostat>("colour");
/// assert_eq!(err.to_string(), "remote builtins.AttributeError: type object 'Thermostat' has no attribute 'colour'");
/// ```
pub fn unknown_attribute<T: ?Sized>(name: &str) -> Error {
    if name.starts_with('_') {
        return inaccessible_attribute(name);
    }
    let class = class_name(std::any::type_name::<T>());
    attribute_error(format!("type object '{class}' has no attribute '{name}'"))
}

/// `crate::module::Thing<crate::Other>` → `Thing`.
fn class_name(type_name: &str) -> &str {
    let base = type_name.split('<').next().unwrap_or(type_name);
    base.rsplit("::").next().unwrap_or(base)
}

fn attribute_name(name: Option<Value>) -> Result<String, Error> {
    match name {
        Some(Value::Str(name)) => Ok(name),
        Some(other) => Err(RemoteError::new(
            "builtins.TypeError",
            vec![Value::Str(format!("attribute name must be string, not '{}'", other.type_name()))],
        )
        .into()),
        None => Err(index_error()),
    }
}

/// What Python raises for `vargs[i]` past the end (vargs arrive as a list over json, msgpack and
/// marshal).
fn index_error() -> Error {
    RemoteError::new("builtins.IndexError", vec![Value::from("list index out of range")]).into()
}

fn attribute_error(message: String) -> Error {
    RemoteError::new("builtins.AttributeError", vec![Value::Str(message)]).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<(String, CallArgs), Error>) -> (String, String) {
        match result {
            Err(Error::Remote(remote)) => (remote.class.clone(), remote.message.clone()),
            other => panic!("expected a remote error, got {other:?}"),
        }
    }

    #[test]
    fn calls_split_as_pyro5_reads_them() {
        let extra = vec![Value::from("size"), Value::Int(1), Value::Int(2)];
        let (name, args) = getattr_call(CallArgs::new(GETATTR, extra.clone(), None)).expect("getattr");
        assert_eq!((name.as_str(), args.method()), ("size", "size"));
        args.finish().expect("no arguments for the getter");

        let (name, mut args) = setattr_call(CallArgs::new(SETATTR, extra, None)).expect("setattr");
        assert_eq!(name, "size");
        assert_eq!(args.required::<i64>(0, "value").expect("value"), 1);
        args.finish().expect("only the value for the setter");
    }

    #[test]
    fn malformed_calls_fail_as_in_pyro5() {
        let index = ("builtins.IndexError".to_owned(), "list index out of range".to_owned());
        assert_eq!(message(getattr_call(CallArgs::new(GETATTR, vec![], None))), index);
        assert_eq!(message(setattr_call(CallArgs::new(SETATTR, vec![Value::from("x")], None))), index);
        let not_string = message(setattr_call(CallArgs::new(SETATTR, vec![Value::None, Value::Int(1)], None)));
        assert_eq!(not_string.1, "attribute name must be string, not 'NoneType'");
    }

    #[test]
    fn class_names_drop_paths_and_generics() {
        assert_eq!(class_name("my_crate::shop::Shop"), "Shop");
        assert_eq!(class_name("my_crate::Wrapper<alloc::string::String>"), "Wrapper");
        assert_eq!(class_name("Plain"), "Plain");
        assert!(unknown_attribute::<str>("_hidden").to_string().contains("unexposed or unknown remote attribute"));
    }
}
