//! Values that used to change shape between a Rust proxy and a Rust daemon: 128-bit ints, unit
//! structs and int-keyed maps, through a typed proxy over every serializer.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use pyro::{Daemon, Serializer};
use serde::{Deserialize, Serialize};

/// A unit struct: `None` on the wire, as `()` is.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Done;

/// Echoes what it is given.
pub struct Mirror;

#[pyro::expose]
impl Mirror {
    /// Negates a 128-bit int.
    pub fn negate(&self, n: i128) -> i128 {
        -n
    }

    /// Doubles a u128 (wrapping).
    pub fn double(&self, n: u128) -> u128 {
        n.wrapping_mul(2)
    }

    /// Gives the unit struct back.
    pub fn done(&self, done: Done) -> Done {
        done
    }

    /// Adds one to every key.
    pub fn shift(&self, map: BTreeMap<i64, String>) -> BTreeMap<i64, String> {
        map.into_iter().map(|(k, v)| (k + 1, v)).collect()
    }
}

#[test]
fn wide_ints_unit_structs_and_int_keys_round_trip() {
    let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    let uri = daemon.register(Mirror, Some("mirror")).unwrap();
    let shutdown = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    for serializer in [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack] {
        let proxy = pyro::proxy::Proxy::from_uri_str(&uri.to_string()).unwrap().with_serializer(serializer);
        let mirror = MirrorProxy::from_proxy(proxy);
        for n in [0, 5, -5, i128::from(i64::MIN), 1 << 100, i128::MAX, i128::MIN + 1] {
            assert_eq!(mirror.negate(n).unwrap(), -n, "{serializer}: {n}");
        }
        assert_eq!(mirror.double(u128::MAX / 2).unwrap(), u128::MAX - 1, "{serializer}");
        assert_eq!(mirror.double(3).unwrap(), 6, "{serializer}");
        assert_eq!(mirror.done(Done).unwrap(), Done, "{serializer}");
        let map = BTreeMap::from([(-1, "a".to_string()), (1 << 40, "b".to_string())]);
        let want = BTreeMap::from([(0, "a".to_string()), ((1 << 40) + 1, "b".to_string())]);
        assert_eq!(mirror.shift(map).unwrap(), want, "{serializer}");
    }
    shutdown.shutdown();
    server.join().unwrap().unwrap();
}
