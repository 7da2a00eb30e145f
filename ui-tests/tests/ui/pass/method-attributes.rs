//! Attributes on exposed methods: `#[cfg]` removes a method everywhere (dispatch, metadata,
//! proxy), `#[deprecated]` and lint attributes stay on the user's method and cause no warning
//! in the generated code.
#![deny(warnings)]

use pyro::dispatch::{Servant, Served};

struct Thing;

#[pyro::expose]
impl Thing {
    /// Always there.
    pub fn kept(&self) -> u8 {
        1
    }

    /// Compiled out.
    #[cfg(any())]
    pub fn gone(&self) -> u8 {
        2
    }

    /// Old.
    #[deprecated = "use kept"]
    pub fn old(&self) -> u8 {
        3
    }

    /// Unusual but allowed.
    #[allow(clippy::unused_self)]
    #[inline]
    pub fn inlined(&self) {}
}

fn main() {
    let served = Served::new(Thing);
    let names: Vec<&str> = served.metadata().methods.iter().map(String::as_str).collect();
    assert_eq!(names, ["inlined", "kept", "old"]);
    let _ = ThingProxy::kept;
    let _ = ThingProxy::inlined;
}
