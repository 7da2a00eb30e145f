//! Special methods: renamed (`#[pyro::rename("__len__")]`, also on a trait) or named so.

use pyro::dispatch::{Servant, Served};

pub struct Bag;

#[pyro::expose]
impl Bag {
    #[pyro::rename("__len__")]
    pub fn len(&self) -> usize {
        0
    }

    #[pyro::rename("__iter__")]
    pub fn iter(&self) -> Box<dyn Iterator<Item = u8> + Send> {
        Box::new(std::iter::empty())
    }

    pub fn __dunder__(&self) -> String {
        "yep".to_owned()
    }

    #[pyro::rename("getValue")]
    pub fn value(&self) -> i64 {
        42
    }
}

#[pyro::expose]
pub trait Sized2 {
    #[pyro::rename("__len__")]
    fn len(&self) -> usize;
}

fn main() {
    let served = Served::new(Bag);
    let methods = &served.metadata().methods;
    assert!(methods.contains("__len__") && methods.contains("__iter__") && methods.contains("getValue"));
    let _: fn(&BagProxy) -> pyro::Result<usize> = BagProxy::len;
    let _: fn(&BagProxy) -> pyro::Result<i64> = BagProxy::value;
    let _: fn(&BagProxy) -> pyro::Result<String> = BagProxy::__dunder__;
    let _: fn(&Sized2Proxy) -> pyro::Result<usize> = Sized2Proxy::len;
}
