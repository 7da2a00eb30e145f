//! [`Filter`]: which registrations a listing selects, and [`NameRegex`], a name pattern with
//! Python's `re.match` semantics.

use std::collections::BTreeSet;

use super::Registration;

/// A regular expression matched against names as Python's `re.match` does: a name matches when
/// the pattern matches at its start (not necessarily up to its end).
///
/// The syntax is the `regex` crate's, which is Python's for everyday patterns (classes, groups,
/// `|`, `*?`, `{m,n}`, `\d`, `\w`, inline flags such as `(?i)`). The differences:
/// - no backreferences (`\1`) and no look-around (`(?=...)`, `(?!...)`, `(?<=...)`), which
///   fail to compile (an `invalid regex` error);
/// - `$` matches only at the very end (Python's also matches before a final `\n`); Python's
///   `\Z` is written `\z`;
/// - named groups may also be written `(?<name>...)`; Python's `(?P=name)` does not exist.
///
/// Matching takes time linear in the name's length, whatever the pattern (no catastrophic
/// backtracking), and compiled patterns are size-limited, so a caller cannot stall the server.
///
/// ```
/// use pyro_ns::storage::NameRegex;
/// let re = NameRegex::new(r"example\.(one|two)").unwrap();
/// assert!(re.is_match("example.one"));
/// assert!(re.is_match("example.twofold")); // anchored at the start only, like re.match
/// assert!(!re.is_match("my.example.one"));
/// assert!(NameRegex::new("(unclosed").is_err());
/// ```
#[derive(Clone, Debug)]
pub struct NameRegex {
    regex: regex::Regex,
}

impl NameRegex {
    /// Compiles `pattern`.
    ///
    /// See [`NameRegex`] for an example.
    pub fn new(pattern: &str) -> Result<NameRegex, regex::Error> {
        // `re.match` is a search anchored at the start. The leftmost match the regex crate
        // returns starts at 0 exactly when some match starts at 0, so checking the start is
        // `^(?:pattern)` without splicing text into the pattern (which a `(?x)` comment or an
        // unbalanced `)` could subvert).
        let regex = regex::RegexBuilder::new(pattern).size_limit(1 << 20).dfa_size_limit(1 << 22).build()?;
        Ok(NameRegex { regex })
    }

    /// Whether the pattern matches at the start of `name`.
    ///
    /// See [`NameRegex`] for an example.
    pub fn is_match(&self, name: &str) -> bool {
        self.regex.find(name).is_some_and(|m| m.start() == 0)
    }

    /// The pattern as given.
    ///
    /// ```
    /// assert_eq!(pyro_ns::storage::NameRegex::new("a.*").unwrap().as_str(), "a.*");
    /// ```
    pub fn as_str(&self) -> &str {
        self.regex.as_str()
    }
}

/// Which registrations [`Storage::select`](super::Storage::select) returns.
///
/// ```
/// use std::collections::BTreeSet;
/// use pyro_ns::storage::{Filter, Registration};
///
/// let reg = Registration::new("PYRO:obj@localhost:1", ["red", "big"]);
/// assert!(Filter::Prefix("exa").matches("example", &reg));
/// let wanted: BTreeSet<String> = ["red".to_owned()].into();
/// assert!(Filter::MetadataAll(&wanted).matches("example", &reg));
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Filter<'a> {
    /// Every registration.
    All,
    /// Names starting with this text (case-sensitive, no wildcards).
    Prefix(&'a str),
    /// Names the regex matches at their start.
    Regex(&'a NameRegex),
    /// Registrations whose metadata contains all of these tags.
    MetadataAll(&'a BTreeSet<String>),
    /// Registrations whose metadata contains at least one of these tags.
    MetadataAny(&'a BTreeSet<String>),
}

impl Filter<'_> {
    /// Whether the registration `name` passes the filter.
    ///
    /// See [`Filter`] for an example.
    pub fn matches(&self, name: &str, registration: &Registration) -> bool {
        match self {
            Filter::All => true,
            Filter::Prefix(prefix) => name.starts_with(prefix),
            Filter::Regex(regex) => regex.is_match(name),
            Filter::MetadataAll(tags) => tags.is_subset(&registration.metadata),
            Filter::MetadataAny(tags) => !tags.is_disjoint(&registration.metadata),
        }
    }
}
