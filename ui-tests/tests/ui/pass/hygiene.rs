//! The generated code relies on no name in the user's scope: it compiles in a module without the
//! prelude, next to user items named like what it uses, and with parameters named like its
//! locals.
#![no_implicit_prelude]
#![deny(warnings)]

mod shadows {
    // Names that generated code must not pick up.
    #![allow(dead_code, non_camel_case_types)]
    pub struct Option;
    pub struct Result;
    pub struct Vec;
    pub struct String;
    pub struct Ok;
    pub struct Err;
    pub struct Some;
    pub struct None;
    pub struct Send;
    pub struct Sync;
    pub struct Error;
    pub struct core;
    pub mod std {}
}

mod user {
    #![allow(unused_imports)]
    use super::shadows::*;

    // User types named like the generated code's generic parameters and helper items.
    #[derive(::serde::Serialize, ::serde::Deserialize)]
    pub struct T(pub i64);
    #[derive(::serde::Serialize, ::serde::Deserialize)]
    pub struct S(pub i64);
    #[derive(::serde::Serialize, ::serde::Deserialize)]
    pub struct Vargs(pub i64);
    #[derive(::serde::Serialize, ::serde::Deserialize)]
    pub struct Implementor(pub i64);

    pub struct Thing;

    #[::pyro::expose(proxy = "Remote")]
    impl Thing {
        /// Parameters named like the generated code's locals.
        pub fn call(&self, method: i64, args: i64, ser: i64, value: i64, error: i64, arg0: i64) -> i64 {
            method + args + ser + value + error + arg0
        }

        /// An optional argument and a `Result`.
        pub fn check(
            &mut self,
            object: ::std::option::Option<i64>,
        ) -> ::std::result::Result<i64, ::std::string::String> {
            object.ok_or_else(|| ::std::string::ToString::to_string("none"))
        }

        /// A oneway method.
        #[::pyro::oneway]
        pub fn fire(&self) {}

        /// User types named like generated items.
        pub fn types(&self, t: T, s: S, vargs: Vargs, implementor: Implementor) -> T {
            T(t.0 + s.0 + vargs.0 + implementor.0)
        }

        /// Named like `Dispatch`'s functions.
        pub fn metadata(&self) -> i64 {
            1
        }

        /// Named like `Dispatch`'s functions.
        pub fn receiver(&self) -> i64 {
            2
        }

        /// An attribute.
        #[::pyro::getter]
        pub fn level(&self) -> i64 {
            3
        }

        /// Its setter, whose parameter is named like the generated locals.
        #[::pyro::setter]
        pub fn set_level(&mut self, name: i64) -> ::std::result::Result<(), ::std::string::String> {
            let _ = name;
            ::std::result::Result::Ok(())
        }
    }

    #[::pyro::expose]
    pub trait Shape {
        /// The area.
        fn area(&self, scale: i64) -> ::std::result::Result<i64, ::pyro::Error>;
        /// Grows.
        fn grow(&mut self, method: ::std::option::Option<i64>);
        /// User types named like generated items.
        fn types(&self, t: T, s: S, vargs: Vargs, implementor: Implementor) -> S;
        /// An attribute.
        #[::pyro::getter]
        fn sides(&self) -> i64;
        /// Its setter.
        #[::pyro::setter]
        fn set_sides(&self, args: i64);
    }
}

fn main() {
    use ::pyro::dispatch::{CallArgs, Servant, Served};
    use ::std::assert_eq;
    use ::std::vec;
    let served = Served::new(user::Thing);
    let args = CallArgs::new("call", vec![::pyro::Value::Int(1); 6], ::std::option::Option::None);
    let reply = served.invoke("call", args, ::pyro::Serializer::Json);
    assert_eq!(reply.ok(), ::std::option::Option::Some(b"6".to_vec()));
    let _ = user::Remote::call;
    let _ = user::Remote::types;
    let reply = served.invoke(
        "metadata",
        CallArgs::new("metadata", vec![], ::std::option::Option::None),
        ::pyro::Serializer::Json,
    );
    assert_eq!(reply.ok(), ::std::option::Option::Some(b"1".to_vec()));
    let name = ::pyro::Value::Str(::std::string::ToString::to_string("level"));
    let args = CallArgs::new("__getattr__", vec![name], ::std::option::Option::None);
    let reply = served.invoke("__getattr__", args, ::pyro::Serializer::Json);
    assert_eq!(reply.ok(), ::std::option::Option::Some(b"3".to_vec()));
    let _ = user::Remote::set_level;
    let _ = user::ShapeProxy::set_sides;
    let _ = user::ShapeProxy::area;
}
