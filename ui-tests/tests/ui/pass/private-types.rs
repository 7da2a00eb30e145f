//! Private types in the exposed methods of a private type: the typed proxy is `pub`, yet it
//! causes no `private_interfaces` warning.
#![deny(warnings, missing_docs, private_interfaces, private_bounds)]

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Secret(u32);

struct Vault;

#[pyro::expose]
impl Vault {
    /// Opens the vault.
    pub fn open(&self, code: Secret) -> Secret {
        code
    }
}

mod inner {
    #[derive(serde::Serialize, serde::Deserialize)]
    pub(crate) struct Key(pub(crate) u32);

    pub(crate) struct Door;

    #[pyro::expose]
    impl Door {
        /// Opens the door.
        pub fn open(&self, key: Key) -> Key {
            key
        }
    }
}

fn main() {
    use pyro::dispatch::{Servant, Served};
    let served = Served::new(Vault);
    assert!(served.metadata().methods.contains("open"));
    assert!(Served::new(inner::Door).metadata().methods.contains("open"));
    let _ = VaultProxy::open;
    let _ = inner::DoorProxy::open;
    let _ = Secret(1).0;
    let _ = inner::Key(1).0;
}
