//! The rules of remote attributes: `#[pyro::getter]` and `#[pyro::setter]` methods. Getters and
//! setters are exposed methods first (the method rules apply to them), then these.

use quote::quote;

use super::{Place, method};
use crate::ast::{Accessor, Method, Output, Stream, ungroup};
use crate::attr::AccessorKind;
use crate::ctxt::Ctxt;

/// Checks the getters and setters of an impl or trait whose other exposed methods are
/// `methods`; keeps only the valid ones.
pub fn accessors(cx: &Ctxt, accessors: &mut Vec<Accessor>, methods: &[Method], place: Place) {
    let mut valid: Vec<bool> = accessors.iter().map(|a| accessor(cx, a, methods, place)).collect();
    for (index, current) in accessors.iter().enumerate() {
        let Some(name) = &current.name else { continue };
        let same = |other: &&Accessor| other.name.as_ref() == Some(name);
        if let Some(first) = accessors[..index].iter().filter(same).find(|other| other.kind == current.kind) {
            let what = match current.kind {
                AccessorKind::Getter => "getter",
                AccessorKind::Setter => "setter",
            };
            cx.error_spanned_by(
                &current.marker,
                format_args!(
                    "attribute `{name}` already has a {what}: `{}`; an attribute has one getter and at most \
                     one setter",
                    current_name(first)
                ),
            );
            valid[index] = false;
        }
        let has_getter = accessors.iter().filter(same).any(|other| other.kind == AccessorKind::Getter);
        if current.kind == AccessorKind::Setter && !has_getter {
            cx.error_spanned_by(
                &current.marker,
                format_args!(
                    "the #[pyro::setter] of attribute `{name}` needs a #[pyro::getter]: Pyro5 exposes \
                     readable attributes only (add a `#[pyro::getter] fn {name}(&self) -> T`; without a \
                     setter an attribute is read-only)"
                ),
            );
            valid[index] = false;
        }
    }
    let mut valid = valid.into_iter();
    accessors.retain(|_| valid.next().unwrap_or(false));
}

/// The rules of one getter or setter on its own; `true` when it is valid.
fn accessor(cx: &Ctxt, accessor: &Accessor, methods: &[Method], place: Place) -> bool {
    let before = cx.error_count();
    let m = &accessor.method;
    let marker = accessor.kind.marker();
    if let Some(asyncness) = &m.sig.asyncness {
        cx.error_spanned_by(
            asyncness,
            format_args!(
                "a {marker} cannot be an `async fn`: Pyro5 reads and writes attributes as plain values; make it \
                 a plain `fn`, or expose an async method instead"
            ),
        );
        return false;
    }
    if let Some(oneway) = &m.oneway {
        cx.error_spanned_by(
            oneway,
            format_args!(
                "#[pyro::oneway] cannot mark a {marker} method: a Pyro5 client waits for every attribute \
                 read and write"
            ),
        );
        // The oneway rules of methods (a oneway method returns `()`) are beside the point.
        let mut plain = m.clone();
        plain.oneway = None;
        method(cx, &plain, place);
        return false;
    }
    if accessor.kind == AccessorKind::Setter
        && let Some(arg) = m.args.iter().find(|arg| Stream::of(&arg.ty).is_some())
    {
        cx.error_spanned_by(
            &arg.ty,
            "a #[pyro::setter] cannot take an iterator: Pyro5 streams only what is read (a getter's value, a \
             method's result), and a written value arrives whole; take a `Vec<T>`",
        );
        // The argument rules (no `impl Trait`, a type that deserializes) would only repeat it.
        return false;
    }
    if !method(cx, m, place) {
        return false;
    }
    match accessor.kind {
        AccessorKind::Getter => {
            if let Some(arg) = m.args.first() {
                let (pat, ty) = (&arg.pat, &arg.ty);
                cx.error_spanned_by(
                    quote!(#pat: #ty),
                    "a #[pyro::getter] takes no argument besides `&self`: a Pyro5 client reads an attribute \
                     by its name alone",
                );
            }
            if matches!(m.output, Output::Unit) {
                cx.error_spanned_by(
                    &m.sig.ident,
                    format_args!("a #[pyro::getter] returns the attribute's value: `{}` returns nothing", m.name),
                );
            }
        }
        AccessorKind::Setter => {
            match m.args.as_slice() {
                [_] => {}
                [] => cx.error_spanned_by(
                    &m.sig.ident,
                    "a #[pyro::setter] takes the new value as its one argument: `(&mut self, value: T)`",
                ),
                [_, extra, ..] => {
                    let (pat, ty) = (&extra.pat, &extra.ty);
                    cx.error_spanned_by(
                        quote!(#pat: #ty),
                        "a #[pyro::setter] takes the new value as its one argument: `(&mut self, value: T)`",
                    );
                }
            }
            let returned = match &m.output {
                Output::Unit => None,
                Output::Result { ok, .. } if is_unit(ok) => None,
                Output::Result { ok, .. } => Some(&**ok),
                Output::Value(ty) => Some(ty),
            };
            if let Some(ty) = returned {
                cx.error_spanned_by(
                    ty,
                    "a #[pyro::setter] returns `()` or `Result<(), E>`: Pyro5 answers an attribute write with \
                     None (or an exception)",
                );
            }
        }
    }
    match &accessor.name {
        None => cx.error_spanned_by(
            &m.sig.ident,
            format_args!(
                "a #[pyro::setter]'s attribute is named after the method without `set_`, but `{}` does not \
                 start with `set_`: rename it `set_<attribute>` or name the attribute with \
                 `#[pyro::setter(name = \"...\")]`",
                m.name
            ),
        ),
        Some(name) => attribute_name(cx, accessor, name, methods),
    }
    cx.error_count() == before
}

/// The attribute's name: a public Python identifier, and not an exposed method's.
fn attribute_name(cx: &Ctxt, accessor: &Accessor, name: &str, methods: &[Method]) {
    let span = || match &accessor.explicit_name {
        Some(explicit) => quote!(#explicit),
        None => {
            let ident = &accessor.method.sig.ident;
            quote!(#ident)
        }
    };
    // A getter named after its method was checked as a method name already.
    if name != accessor.method.name {
        if !is_identifier(name) {
            cx.error_spanned_by(
                span(),
                format_args!(
                    "`{name}` is not a valid attribute name: a Python client reads an attribute as \
                     `proxy.<name>`, so it is an identifier (letters, digits and `_`, not starting with a digit)"
                ),
            );
        } else if name.starts_with('_') {
            cx.error_spanned_by(
                span(),
                format_args!(
                    "attribute `{name}` starts with `_`, which Pyro5 treats as private: a client cannot read it; \
                     rename it"
                ),
            );
        }
    }
    if let Some(clash) = methods.iter().find(|m| m.name == name) {
        cx.error_spanned_by(
            span(),
            format_args!(
                "attribute `{name}` has the name of the exposed method `{}`: a Pyro5 client would only ever \
                 read the attribute; rename one of them",
                clash.name
            ),
        );
    }
}

fn current_name(accessor: &Accessor) -> String {
    format!("fn {}", accessor.method.name)
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first == '_' || first.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

fn is_unit(ty: &syn::Type) -> bool {
    matches!(ungroup(ty), syn::Type::Tuple(tuple) if tuple.elems.is_empty())
}

#[cfg(test)]
mod tests {
    use super::is_identifier;

    #[test]
    fn identifiers_as_python_reads_them() {
        assert!(is_identifier("verbose") && is_identifier("_x") && is_identifier("größe") && is_identifier("a1"));
        assert!(!is_identifier("") && !is_identifier("1a") && !is_identifier("my attr") && !is_identifier("a-b"));
    }
}
