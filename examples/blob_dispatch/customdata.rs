//! Pyro5's blob-dispatch `customdata.py`, shared by `blob_dispatch_client` and
//! `blob_dispatch_listeners` (the dispatcher never looks inside a blob, so it does not know it):
//! `CustomData` travels as the class dict its `to_dict` writes,
//! `{"__class__": "blobdispatch.CustomData", "a": ..., "b": ..., "c": ...}`.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The class name `CustomData.serialized_classname` gives.
pub const SERIALIZED_CLASSNAME: &str = "blobdispatch.CustomData";

/// Pyro5's `CustomData(a, b, c)`; `c` is a datetime, which Pyro5's serpent sends as its ISO text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomData {
    /// Always `"blobdispatch.CustomData"`.
    #[serde(rename = "__class__")]
    pub class: String,
    /// The number.
    pub a: i64,
    /// The text.
    pub b: String,
    /// The time, as `datetime.isoformat()` writes it.
    pub c: String,
}

impl CustomData {
    /// `CustomData(a, b, c)`.
    #[allow(dead_code)]
    pub fn new(a: i64, b: &str, c: String) -> CustomData {
        CustomData { class: SERIALIZED_CLASSNAME.to_owned(), a, b: b.to_owned(), c }
    }
}

/// `datetime.datetime.now().isoformat()`, in UTC (a Rust program without a time zone database
/// has no local time; on a machine set to UTC the two agree).
#[allow(dead_code)]
pub fn now_isoformat() -> String {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = pyro::calendar::civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_micros()
    )
}
