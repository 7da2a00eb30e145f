//! [`Metadata`]: the names an object exposes, as Pyro5's handshake and `get_metadata` send them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// The exposed names of an object: methods, the oneway subset of them, and attributes
/// (properties). Serialized as Pyro5's `{"methods": [...], "oneway": [...], "attrs": [...]}`;
/// read from lists, tuples or sets.
///
/// ```
/// use pyro::dispatch::Metadata;
/// let meta = Metadata::new(["echo", "notify"], ["notify"], []);
/// assert!(meta.oneway.contains("notify"));
/// let json = pyro::Serializer::Json.to_bytes(&meta).unwrap();
/// assert_eq!(json, br#"{"methods": ["echo", "notify"], "oneway": ["notify"], "attrs": []}"#);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// Names of the exposed methods (oneway ones included).
    #[serde(default)]
    pub methods: BTreeSet<String>,
    /// Names of the methods whose callers do not wait for a reply.
    #[serde(default)]
    pub oneway: BTreeSet<String>,
    /// Names of the exposed attributes (remote properties).
    #[serde(default)]
    pub attrs: BTreeSet<String>,
}

impl Metadata {
    /// Metadata from name lists.
    ///
    /// ```
    /// let meta = pyro::dispatch::Metadata::new(["a"], [], ["x"]);
    /// assert!(meta.attrs.contains("x"));
    /// ```
    pub fn new<'a>(
        methods: impl IntoIterator<Item = &'a str>,
        oneway: impl IntoIterator<Item = &'a str>,
        attrs: impl IntoIterator<Item = &'a str>,
    ) -> Metadata {
        let owned = |names: &mut dyn Iterator<Item = &'a str>| names.map(str::to_owned).collect();
        Metadata {
            methods: owned(&mut methods.into_iter()),
            oneway: owned(&mut oneway.into_iter()),
            attrs: owned(&mut attrs.into_iter()),
        }
    }

    /// Whether nothing is exposed (a Pyro5 client refuses such an object).
    ///
    /// ```
    /// assert!(pyro::dispatch::Metadata::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.methods.is_empty() && self.attrs.is_empty()
    }
}
