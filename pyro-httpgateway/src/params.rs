//! Call parameters: the query string (and form or JSON POST bodies) as keyword arguments.
//!
//! The query string is read as Python's `urllib.parse.parse_qs` reads it with its defaults (what
//! Pyro5's gateway uses): pairs split on `&`, `+` is a space, `%XX` escapes decoded as UTF-8
//! (invalid bytes become U+FFFD), pairs without `=` or with an empty value are dropped, and a key
//! given more than once becomes a list of its values.

use indexmap::IndexMap;
use serde_json::Value;

/// Keyword arguments of a call, in the order their keys first appeared.
///
/// ```
/// use pyro_httpgateway::Params;
/// let params = Params::from_query("message=hi+there&n=1&n=2&empty=");
/// assert_eq!(serde_json::to_string(&params).unwrap(), r#"{"message":"hi there","n":["1","2"]}"#);
/// ```
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct Params(IndexMap<String, Value>);

impl Params {
    /// Parses a query string (or an `application/x-www-form-urlencoded` body) as `parse_qs` does.
    ///
    /// ```
    /// use pyro_httpgateway::Params;
    /// let params = Params::from_query("a=%C3%A9&novalue&a=2");
    /// assert_eq!(params.get("a"), Some(&serde_json::json!(["é", "2"])));
    /// assert!(params.get("novalue").is_none());
    /// ```
    pub fn from_query(query: &str) -> Params {
        let mut map: IndexMap<String, Value> = IndexMap::new();
        for pair in query.split('&') {
            let Some((key, value)) = pair.split_once('=') else { continue };
            if value.is_empty() {
                continue;
            }
            let (key, value) = (unquote_plus(key), unquote_plus(value));
            match map.get_mut(&key) {
                None => {
                    map.insert(key, Value::String(value));
                }
                Some(Value::Array(values)) => values.push(Value::String(value)),
                Some(first) => {
                    let first = first.take();
                    map.insert(key, Value::Array(vec![first, Value::String(value)]));
                }
            }
        }
        Params(map)
    }

    /// The parameter `key`.
    ///
    /// ```
    /// let params = pyro_httpgateway::Params::from_query("k=v");
    /// assert_eq!(params.get("k"), Some(&serde_json::json!("v")));
    /// ```
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Removes the parameter `key` and returns it.
    ///
    /// ```
    /// let mut params = pyro_httpgateway::Params::from_query("$key=secret&x=1");
    /// assert_eq!(params.remove("$key"), Some(serde_json::json!("secret")));
    /// assert_eq!(params.len(), 1);
    /// ```
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.0.shift_remove(key)
    }

    /// Sets `key` to `value` (a new key goes last).
    ///
    /// ```
    /// let mut params = pyro_httpgateway::Params::default();
    /// params.insert("n".into(), serde_json::json!(3));
    /// assert_eq!(params.get("n"), Some(&serde_json::json!(3)));
    /// ```
    pub fn insert(&mut self, key: String, value: Value) {
        self.0.insert(key, value);
    }

    /// Merges `other` in; its values replace those of the same keys.
    ///
    /// ```
    /// use pyro_httpgateway::Params;
    /// let mut params = Params::from_query("a=1&b=2");
    /// params.extend(Params::from_query("b=3"));
    /// assert_eq!(params.get("b"), Some(&serde_json::json!("3")));
    /// ```
    pub fn extend(&mut self, other: Params) {
        self.0.extend(other.0);
    }

    /// The number of parameters.
    ///
    /// ```
    /// assert_eq!(pyro_httpgateway::Params::from_query("a=1&b=2&a=3").len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no parameters.
    ///
    /// ```
    /// assert!(pyro_httpgateway::Params::from_query("").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<serde_json::Map<String, Value>> for Params {
    /// The members of a JSON object body, with their JSON values.
    fn from(map: serde_json::Map<String, Value>) -> Params {
        Params(map.into_iter().collect())
    }
}

/// Python's `unquote_plus`: `+` is a space, `%XX` escapes are bytes, decoded as lossy UTF-8.
fn unquote_plus(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_like_parse_qs() {
        let params = Params::from_query("a=1&&b=x%20y+z&a=2&a=3&c&d=&%zz=%4");
        assert_eq!(serde_json::to_value(&params).unwrap(), json!({"a": ["1", "2", "3"], "b": "x y z", "%zz": "%4"}));
    }

    #[test]
    fn invalid_utf8_becomes_the_replacement_character() {
        assert_eq!(Params::from_query("k=%ff").get("k"), Some(&json!("\u{fffd}")));
    }

    #[test]
    fn semicolons_do_not_separate() {
        assert_eq!(Params::from_query("a=1;b=2").get("a"), Some(&json!("1;b=2")));
    }
}
