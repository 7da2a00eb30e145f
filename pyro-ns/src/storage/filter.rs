//! [`Filter`]: which registrations a listing selects, and [`NameRegex`], a name pattern with
//! Python's `re.match` semantics.

use std::collections::BTreeSet;

use super::Registration;

/// The longest `regex` argument the name server compiles, in bytes: longer patterns are refused
/// before parsing (a `NamingError`), so a client cannot make the server parse megabytes of
/// pattern. Name patterns are short; Pyro5 sets no limit.
///
/// ```
/// assert_eq!(pyro_ns::storage::MAX_REGEX_LEN, 10_000);
/// ```
pub const MAX_REGEX_LEN: usize = 10_000;

/// The most memory a compiled [`NameRegex`] may take, in bytes (the `regex` crate's
/// `size_limit`): patterns compiling to more, such as `(\w{100}){100}`, are an `invalid regex`.
const COMPILED_SIZE_LIMIT: usize = 1 << 20;

/// The most memory the lazy DFA of one [`NameRegex`] may use while matching, in bytes (the
/// `regex` crate's `dfa_size_limit`); past it, matching falls back to slower engines whose
/// memory is bounded by the pattern and the name.
const DFA_SIZE_LIMIT: usize = 1 << 22;

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
/// backtracking), and compiled patterns and their matching caches are size-limited (1 MiB
/// compiled, 4 MiB of lazy DFA), so a caller cannot stall the server or make it hold memory;
/// everything is freed when the `NameRegex` is dropped (the name server drops it after each call).
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
        let regex =
            regex::RegexBuilder::new(pattern).size_limit(COMPILED_SIZE_LIMIT).dfa_size_limit(DFA_SIZE_LIMIT).build()?;
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
