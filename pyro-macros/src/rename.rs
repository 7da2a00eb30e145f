//! `#[pyro::rename("...")]` on an exposed method: the name a caller uses instead of the Rust
//! one, mostly for the special methods Python clients call on a proxy (`__len__`,
//! `__getitem__`, `__iter__`, ...). With Pyro5's rules for which names are public.

use syn::{Attribute, LitStr, Meta};

use crate::ctxt::Ctxt;

/// Special names Pyro5 never exposes (its `_private_dunder_methods`): everything else of the
/// form `__name__` is public and listed in the metadata.
const PRIVATE_DUNDERS: &[&str] = &[
    "__init__",
    "__init_subclass__",
    "__class__",
    "__module__",
    "__weakref__",
    "__call__",
    "__new__",
    "__del__",
    "__repr__",
    "__str__",
    "__format__",
    "__nonzero__",
    "__bool__",
    "__coerce__",
    "__cmp__",
    "__eq__",
    "__ne__",
    "__hash__",
    "__ge__",
    "__gt__",
    "__le__",
    "__lt__",
    "__dir__",
    "__enter__",
    "__exit__",
    "__copy__",
    "__deepcopy__",
    "__sizeof__",
    "__getattr__",
    "__setattr__",
    "__hasattr__",
    "__getattribute__",
    "__delattr__",
    "__instancecheck__",
    "__subclasscheck__",
    "__getinitargs__",
    "__getnewargs__",
    "__getstate__",
    "__setstate__",
    "__reduce__",
    "__reduce_ex__",
    "__subclasshook__",
];

/// Whether `name` is `__x__` (longer than four characters), the form Pyro5 treats as public.
fn is_dunder(name: &str) -> bool {
    name.len() > 4 && name.starts_with("__") && name.ends_with("__")
}

/// Why a method cannot have the wire name `name` (`None` when it can): Pyro5's privacy rules.
pub fn refusal(name: &str) -> Option<String> {
    if PRIVATE_DUNDERS.contains(&name) {
        return Some(format!(
            "`{name}` is one of the special names Pyro5 never exposes to remote callers; choose another name"
        ));
    }
    if name.starts_with('_') && !is_dunder(name) {
        return Some(format!(
            "`{name}` starts with `_`, which Pyro5 treats as private: a client cannot call it; rename it (only \
             special names like `__len__` are public)"
        ));
    }
    None
}

/// Whether `attr` is `#[pyro::rename]` (or `#[rename]` after `use pyro::rename`).
fn is_rename(attr: &Attribute) -> bool {
    let path = attr.path();
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [name] => name == "rename" && path.leading_colon.is_none(),
        [krate, name] => krate == "pyro" && name == "rename",
        _ => false,
    }
}

/// Removes the `#[pyro::rename("...")]` markers from `attrs` and returns the name of the first
/// (with the marker, for spans); reports malformed ones, duplicates and names that are not
/// Python identifiers.
pub fn take_rename(cx: &Ctxt, attrs: &mut Vec<Attribute>) -> Option<(Attribute, LitStr)> {
    let mut found: Option<(Attribute, LitStr)> = None;
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        if !is_rename(&attr) {
            kept.push(attr);
            continue;
        }
        let usage = "#[pyro::rename] takes the name callers use, as a string: `#[pyro::rename(\"__len__\")]`";
        let name = match &attr.meta {
            Meta::List(list) => list.parse_args::<LitStr>().ok(),
            _ => None,
        };
        let Some(name) = name else {
            cx.error_spanned_by(&attr, usage);
            continue;
        };
        let value = name.value();
        let mut chars = value.chars();
        let identifier = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && chars.all(|c| c.is_alphanumeric() || c == '_');
        if !identifier {
            cx.error_spanned_by(&name, format_args!("`{value}` is not a name a Python client can call"));
        } else if found.is_some() {
            cx.error_spanned_by(&attr, "duplicate #[pyro::rename]");
        } else {
            found = Some((attr, name));
        }
    }
    *attrs = kept;
    found
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn pyro5_privacy_rules() {
        assert!(refusal("__len__").is_none());
        assert!(refusal("__dunder__").is_none());
        assert!(refusal("getValue").is_none());
        assert!(refusal("__init__").is_some());
        assert!(refusal("__getattr__").is_some());
        assert!(refusal("_value").is_some());
        assert!(refusal("__value").is_some());
        assert!(refusal("____").is_some());
    }
}
