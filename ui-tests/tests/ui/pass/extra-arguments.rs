//! `VarArgs` and `KwArgs` parameters: typed, untyped, with optional ones before them.

use pyro::dispatch::{CallArgs, Servant, Served};
use pyro::{KwArgs, Serializer, Value, VarArgs};

pub struct Logger;

#[pyro::expose]
impl Logger {
    pub fn log(&self, level: i64, tag: Option<String>, parts: VarArgs<String>, fields: KwArgs) -> String {
        format!("{level} {tag:?} {} {}", parts.join("/"), fields.len())
    }

    pub fn any(&self, args: pyro::VarArgs) -> usize {
        args.len()
    }
}

fn main() {
    let served = Served::new(Logger);
    let kwargs = [("user", Value::from("x"))].into_iter().collect();
    let args = CallArgs::new("log", vec![1.into(), "t".into(), "a".into(), "b".into()], Some(kwargs));
    assert_eq!(served.invoke("log", args, Serializer::Json).unwrap(), br#""1 Some(\"t\") a/b 1""#);
    let _: fn(&LoggerProxy, i64, Option<String>, VarArgs<String>, KwArgs) -> pyro::Result<String> = LoggerProxy::log;
}
