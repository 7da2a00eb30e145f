//! [`CallArgs`]: binding a call's positional and keyword arguments to typed parameters,
//! with the `TypeError`s Python would raise for a bad call.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::value::{Dict, Value, from_value};
use crate::{Error, RemoteError};

/// The arguments of one call, bound parameter by parameter as Python binds them: parameter
/// `index` comes from the positional arguments if there are that many, else from the keyword
/// argument with its name. Problems are `builtins.TypeError` remote errors with Python's wording.
///
/// ```
/// use pyro::dispatch::CallArgs;
/// use pyro::value::{Dict, Value};
///
/// let kwargs: Dict = [("b", Value::Int(2))].into_iter().collect();
/// let mut args = CallArgs::new("add", vec![Value::Int(1)], Some(kwargs));
/// let a: i32 = args.required(0, "a").unwrap();
/// let b: i32 = args.required(1, "b").unwrap();
/// let c: Option<i32> = args.optional(2, "c").unwrap();
/// args.finish().unwrap();
/// assert_eq!((a, b, c), (1, 2, None));
///
/// let mut args = CallArgs::new("add", vec![], None);
/// let err = args.required::<i32>(0, "a").unwrap_err();
/// assert_eq!(err.to_string(), "remote builtins.TypeError: add() missing required argument: 'a'");
/// ```
#[derive(Debug)]
pub struct CallArgs {
    method: MethodName,
    vargs: Vargs,
    kwargs: Option<Dict>,
    bound: usize,
}

impl CallArgs {
    /// The arguments of a call to `method` (the name is used in error messages).
    ///
    /// ```
    /// let args = pyro::dispatch::CallArgs::new("ping", vec![], None);
    /// args.finish().unwrap();
    /// ```
    pub fn new(method: impl Into<String>, vargs: Vec<Value>, kwargs: Option<Dict>) -> CallArgs {
        CallArgs { method: MethodName::Owned(method.into()), vargs: Vargs::Many(vargs), kwargs, bound: 0 }
    }

    /// The arguments of a call to `method`, a name shared with other calls (the calls of a
    /// batch mostly call the same few methods: their names are not copied for each call).
    pub(crate) fn shared(method: Arc<str>, vargs: Vargs, kwargs: Option<Dict>) -> CallArgs {
        CallArgs { method: MethodName::Shared(method), vargs, kwargs, bound: 0 }
    }

    /// The method name.
    ///
    /// ```
    /// assert_eq!(pyro::dispatch::CallArgs::new("ping", vec![], None).method(), "ping");
    /// ```
    pub fn method(&self) -> &str {
        match &self.method {
            MethodName::Owned(name) => name,
            MethodName::Shared(name) => name,
        }
    }

    /// Takes parameter `index` named `name`; an error if it is missing or does not convert to `T`.
    ///
    /// ```
    /// use pyro::{dispatch::CallArgs, Value};
    /// let mut args = CallArgs::new("echo", vec![Value::from("hi")], None);
    /// assert_eq!(args.required::<String>(0, "message").unwrap(), "hi");
    /// ```
    pub fn required<T: DeserializeOwned>(&mut self, index: usize, name: &str) -> Result<T, Error> {
        // Positional arguments only (most calls, every batched call from pyro): no keyword to
        // look for.
        if self.kwargs.is_none() {
            self.bound = self.bound.max(index + 1);
            if let Some(slot) = self.vargs.get_mut(index) {
                let value = std::mem::take(slot);
                return self.convert(name, value);
            }
        }
        match self.take(index, name)? {
            Some(value) => self.convert(name, value),
            None => Err(self.type_error(format!("missing required argument: '{name}'"))),
        }
    }

    /// Takes parameter `index` named `name`, which the caller may leave out (`None`, or an
    /// explicit Python `None`).
    ///
    /// ```
    /// use pyro::dispatch::CallArgs;
    /// let mut args = CallArgs::new("greet", vec![], None);
    /// assert_eq!(args.optional::<String>(0, "name").unwrap(), None);
    /// ```
    pub fn optional<T: DeserializeOwned>(&mut self, index: usize, name: &str) -> Result<Option<T>, Error> {
        match self.take(index, name)? {
            Some(Value::None) | None => Ok(None),
            Some(value) => self.convert(name, value).map(Some),
        }
    }

    /// Takes the positional arguments beyond the named parameters bound so far (Python's
    /// `*name`); call it after binding those. Each must convert to `T`.
    ///
    /// ```
    /// use pyro::{dispatch::CallArgs, Value, VarArgs};
    /// let mut args = CallArgs::new("sum", vec![Value::Int(1), Value::Int(2), Value::Int(3)], None);
    /// let first: i64 = args.required(0, "first").unwrap();
    /// let rest: VarArgs<i64> = args.rest("rest").unwrap();
    /// args.finish().unwrap();
    /// assert_eq!((first, rest.into_inner()), (1, vec![2, 3]));
    /// ```
    pub fn rest<T: DeserializeOwned>(&mut self, name: &str) -> Result<crate::VarArgs<T>, Error> {
        let start = self.bound.min(self.vargs.len());
        let extra = self.vargs.split_off(start);
        self.bound = usize::MAX;
        crate::varargs::convert_all(extra).map(crate::VarArgs).map_err(|(index, type_name, e)| {
            self.type_error(format!("argument '*{name}' item {index} ({type_name}): {e}"))
        })
    }

    /// Takes the keyword arguments no parameter bound so far is named after (Python's
    /// `**name`); call it after binding the named parameters. Each must convert to `T`.
    ///
    /// ```
    /// use pyro::{dispatch::CallArgs, value::Dict, KwArgs, Value};
    /// let kwargs: Dict = [("a", Value::Int(1)), ("z", Value::Int(2))].into_iter().collect();
    /// let mut args = CallArgs::new("f", vec![], Some(kwargs));
    /// let a: i64 = args.required(0, "a").unwrap();
    /// let extra: KwArgs<i64> = args.rest_kwargs("extra").unwrap();
    /// args.finish().unwrap();
    /// assert_eq!((a, extra.get("z")), (1, Some(&2)));
    /// ```
    pub fn rest_kwargs<T: DeserializeOwned>(&mut self, name: &str) -> Result<crate::KwArgs<T>, Error> {
        let mut extra = crate::KwArgs::new();
        for (key, value) in self.kwargs.take().unwrap_or_default().into_iter() {
            let Some(key) = key.as_str().map(str::to_owned) else {
                return Err(self.type_error(format!("keywords must be strings, got {}", key.type_name())));
            };
            let type_name = value.type_name();
            let value = crate::value::from_value(value)
                .map_err(|e| self.type_error(format!("argument '**{name}' item '{key}' ({type_name}): {e}")))?;
            extra.insert(key, value);
        }
        Ok(extra)
    }

    /// Checks that no argument was left over: more positional arguments than parameters, or
    /// unknown keyword arguments, are errors as in Python.
    ///
    /// ```
    /// use pyro::{dispatch::CallArgs, Value};
    /// let args = CallArgs::new("ping", vec![Value::Int(1)], None);
    /// assert!(args.finish().is_err());
    /// ```
    pub fn finish(self) -> Result<(), Error> {
        if self.vargs.len() > self.bound {
            let given = self.vargs.len();
            let takes = self.bound;
            let plural = if takes == 1 { "" } else { "s" };
            return Err(self.type_error(format!("takes {takes} positional argument{plural} but {given} were given")));
        }
        if let Some(name) = self.kwargs.as_ref().and_then(|k| k.keys().next()) {
            let name = name.as_str().unwrap_or_default().to_owned();
            return Err(self.type_error(format!("got an unexpected keyword argument '{name}'")));
        }
        Ok(())
    }

    /// The error for a method the object does not expose (Python's `AttributeError`).
    ///
    /// ```
    /// let err = pyro::dispatch::CallArgs::unknown_method("nope");
    /// assert_eq!(err.python_class(), "builtins.AttributeError");
    /// ```
    pub fn unknown_method(method: &str) -> Error {
        let message = if method.starts_with('_') && !is_dunder(method) {
            format!("attempt to access private attribute '{method}'")
        } else {
            format!("attempt to access unexposed or unknown attribute '{method}'")
        };
        RemoteError::new("builtins.AttributeError", vec![Value::Str(message)]).into()
    }

    /// The positional arguments, unbound (for calls Pyro5 reads by position only).
    pub(super) fn into_vargs(self) -> Vec<Value> {
        match self.vargs {
            Vargs::One(value) => vec![value],
            Vargs::Many(values) => values,
        }
    }

    fn take(&mut self, index: usize, name: &str) -> Result<Option<Value>, Error> {
        self.bound = self.bound.max(index + 1);
        let keyword = self.kwargs.as_mut().and_then(|k| k.remove(name));
        match (self.vargs.get_mut(index), keyword) {
            (Some(_), Some(_)) => Err(self.type_error(format!("got multiple values for argument '{name}'"))),
            (Some(slot), None) => Ok(Some(std::mem::take(slot))),
            (None, keyword) => Ok(keyword),
        }
    }

    fn convert<T: DeserializeOwned>(&self, name: &str, value: Value) -> Result<T, Error> {
        let type_name = value.type_name();
        from_value(value).map_err(|e| self.type_error(format!("argument '{name}' ({type_name}): {e}")))
    }

    fn type_error(&self, what: String) -> Error {
        RemoteError::new("builtins.TypeError", vec![Value::Str(format!("{}() {what}", self.method()))]).into()
    }
}

/// The positional arguments of a call: a single one is kept without a `Vec` of its own (the
/// common case in a batch).
#[derive(Debug, PartialEq)]
pub(crate) enum Vargs {
    One(Value),
    Many(Vec<Value>),
}

impl Vargs {
    fn len(&self) -> usize {
        match self {
            Vargs::One(_) => 1,
            Vargs::Many(values) => values.len(),
        }
    }

    fn get_mut(&mut self, index: usize) -> Option<&mut Value> {
        match self {
            Vargs::One(value) => (index == 0).then_some(value),
            Vargs::Many(values) => values.get_mut(index),
        }
    }

    /// The arguments from `at` on, removed (Python's `*args` beyond the named parameters).
    fn split_off(&mut self, at: usize) -> Vec<Value> {
        match self {
            Vargs::Many(values) => values.split_off(at.min(values.len())),
            Vargs::One(_) if at == 0 => match std::mem::replace(self, Vargs::Many(Vec::new())) {
                Vargs::One(value) => vec![value],
                Vargs::Many(values) => values,
            },
            Vargs::One(_) => Vec::new(),
        }
    }
}

impl From<Vec<Value>> for Vargs {
    fn from(mut values: Vec<Value>) -> Vargs {
        match values.len() {
            1 => Vargs::One(values.pop().unwrap_or_default()),
            _ => Vargs::Many(values),
        }
    }
}

/// The method name of a [`CallArgs`]: its own, or shared with other calls of a batch.
#[derive(Debug)]
enum MethodName {
    Owned(String),
    Shared(Arc<str>),
}

fn is_dunder(name: &str) -> bool {
    name.len() > 4 && name.starts_with("__") && name.ends_with("__")
}

#[cfg(test)]
mod tests {
    use super::CallArgs;
    use crate::value::{Dict, Value};

    fn message(err: crate::Error) -> String {
        err.remote().map(|r| r.message.clone()).unwrap_or_default()
    }

    #[test]
    fn python_type_errors() {
        let mut args = CallArgs::new("f", vec![Value::Int(1), Value::Int(2)], None);
        let _: i32 = args.required(0, "a").expect("bound");
        assert_eq!(message(args.finish().expect_err("extra")), "f() takes 1 positional argument but 2 were given");

        let kwargs: Dict = [("a", 1)].into_iter().collect();
        let mut args = CallArgs::new("f", vec![Value::Int(1)], Some(kwargs));
        assert_eq!(
            message(args.required::<i32>(0, "a").expect_err("twice")),
            "f() got multiple values for argument 'a'"
        );

        let kwargs: Dict = [("zzz", 1)].into_iter().collect();
        let args = CallArgs::new("f", vec![], Some(kwargs));
        assert_eq!(message(args.finish().expect_err("unknown")), "f() got an unexpected keyword argument 'zzz'");

        let mut args = CallArgs::new("f", vec![Value::from("x")], None);
        let err = args.required::<i32>(0, "a").expect_err("wrong type");
        assert!(message(err).starts_with("f() argument 'a' (str): "));

        assert!(message(CallArgs::unknown_method("_secret")).contains("private"));
    }
}
