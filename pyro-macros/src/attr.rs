//! Attribute parsing: the arguments of `#[pyro::expose(...)]`, and the `#[pyro::oneway]`,
//! `#[pyro::getter]` and `#[pyro::setter]` markers on methods.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Ident, Lit, Meta, Token};

use crate::ctxt::Ctxt;

/// The arguments of `#[pyro::expose(...)]`.
#[derive(Default)]
pub struct ExposeArgs {
    /// `proxy = "Name"`: the typed proxy's name instead of `<Type>Proxy`.
    pub proxy: Option<Ident>,
    /// `interface = "Name"`: the marker type of a trait with async methods instead of
    /// `<Trait>Interface` (the `interface` word, for the span of a misplaced one).
    pub interface: Option<(Ident, Ident)>,
}

const EXPOSE_ARGS: &str = "they are `proxy = \"Name\"` (the typed proxy's name) and, on a trait with async \
                           methods, `interface = \"Name\"` (its marker type's name)";

/// Parses `#[pyro::expose(...)]`'s arguments, reporting every unknown or malformed one.
pub fn expose_args(cx: &Ctxt, args: TokenStream) -> ExposeArgs {
    let mut parsed = ExposeArgs::default();
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(metas) => metas,
        Err(error) => {
            cx.syn_error(error);
            return parsed;
        }
    };
    for meta in metas {
        let Some(word) = meta.path().get_ident().filter(|w| *w == "proxy" || *w == "interface").cloned() else {
            let name = meta.path().get_ident().map_or_else(|| quote::quote!(#meta).to_string(), Ident::to_string);
            cx.error_spanned_by(meta.path(), format_args!("unknown #[pyro::expose] argument `{name}`: {EXPOSE_ARGS}"));
            continue;
        };
        let what = if word == "proxy" { "the typed proxy's name" } else { "the interface marker type's name" };
        let value = match &meta {
            Meta::NameValue(nv) => &nv.value,
            _ => {
                cx.error_spanned_by(&meta, format_args!("`{word}` takes {what} as a string: `{word} = \"Name\"`"));
                continue;
            }
        };
        let Expr::Lit(ExprLit { lit: Lit::Str(name), .. }) = value else {
            cx.error_spanned_by(value, format_args!("`{word}` takes {what} as a string: `{word} = \"Name\"`"));
            continue;
        };
        let duplicate = if word == "proxy" { parsed.proxy.is_some() } else { parsed.interface.is_some() };
        match name.parse::<Ident>() {
            Ok(_) if duplicate => cx.error_spanned_by(&meta, format_args!("duplicate `{word}` argument")),
            Ok(ident) if word == "proxy" => parsed.proxy = Some(ident),
            Ok(ident) => parsed.interface = Some((word, ident)),
            Err(_) => cx.error_spanned_by(name, format_args!("`{}` is not a valid type name", name.value())),
        }
    }
    parsed
}

/// Whether `attr` is `#[pyro::oneway]` (also written `#[::pyro::oneway]`, or `#[oneway]` after
/// `use pyro::oneway`).
fn is_oneway(attr: &Attribute) -> bool {
    let path = attr.path();
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [name] => name == "oneway" && path.leading_colon.is_none(),
        [krate, name] => krate == "pyro" && name == "oneway",
        _ => false,
    }
}

/// Removes the `#[pyro::oneway]` attributes from `attrs` and returns the first (`expose`
/// consumes them); reports arguments given to it and duplicates.
pub fn take_oneway(cx: &Ctxt, attrs: &mut Vec<Attribute>) -> Option<Attribute> {
    let mut found: Option<Attribute> = None;
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        if !is_oneway(&attr) {
            kept.push(attr);
            continue;
        }
        if !matches!(attr.meta, Meta::Path(_)) {
            cx.error_spanned_by(&attr, "#[pyro::oneway] takes no arguments");
        }
        if found.is_some() {
            cx.error_spanned_by(&attr, "duplicate #[pyro::oneway]");
        } else {
            found = Some(attr);
        }
    }
    *attrs = kept;
    found
}

/// The attributes of `attrs` that are copied onto what is generated for a method: its doc
/// comments and `#[deprecated]` (onto the proxy method), and its `#[cfg]`s (onto everything
/// naming it).
pub fn docs_and_cfgs(attrs: &[Attribute]) -> (Vec<Attribute>, Vec<Attribute>) {
    let copied =
        |names: &[&str]| attrs.iter().filter(|a| names.iter().any(|n| a.path().is_ident(n))).cloned().collect();
    (copied(&["doc", "deprecated"]), copied(&["cfg"]))
}

/// Which accessor of a remote attribute a method is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum AccessorKind {
    /// `#[pyro::getter]`: reads the attribute.
    Getter,
    /// `#[pyro::setter]`: writes it.
    Setter,
}

impl AccessorKind {
    /// The marker as the user writes it.
    pub fn marker(self) -> &'static str {
        match self {
            AccessorKind::Getter => "#[pyro::getter]",
            AccessorKind::Setter => "#[pyro::setter]",
        }
    }
}

/// A `#[pyro::getter]` or `#[pyro::setter]` marker and its arguments.
pub struct AccessorAttr {
    /// Getter or setter.
    pub kind: AccessorKind,
    /// The marker (for spans).
    pub attr: Attribute,
    /// `name = "..."`: the attribute's name instead of the one derived from the method's.
    pub name: Option<syn::LitStr>,
}

/// Whether `attr` is `#[pyro::getter]`/`#[pyro::setter]` (also `#[getter]` after `use pyro::getter`).
fn accessor_kind(attr: &Attribute) -> Option<AccessorKind> {
    let path = attr.path();
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let name = match segments.as_slice() {
        [name] if path.leading_colon.is_none() => name,
        [krate, name] if krate == "pyro" => name,
        _ => return None,
    };
    match name.as_str() {
        "getter" => Some(AccessorKind::Getter),
        "setter" => Some(AccessorKind::Setter),
        _ => None,
    }
}

/// Removes the `#[pyro::getter]`/`#[pyro::setter]` markers from `attrs` and returns the first;
/// reports malformed arguments, duplicates and a method marked both ways.
pub fn take_accessor(cx: &Ctxt, attrs: &mut Vec<Attribute>) -> Option<AccessorAttr> {
    let mut found: Option<AccessorAttr> = None;
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        let Some(kind) = accessor_kind(&attr) else {
            kept.push(attr);
            continue;
        };
        let name = accessor_name(cx, kind, &attr);
        match &found {
            Some(first) if first.kind == kind => {
                cx.error_spanned_by(&attr, format_args!("duplicate {}", kind.marker()))
            }
            Some(_) => cx.error_spanned_by(
                &attr,
                "a method is either a #[pyro::getter] or a #[pyro::setter]: write the getter and the setter \
                 as two methods",
            ),
            None => found = Some(AccessorAttr { kind, attr, name }),
        }
    }
    *attrs = kept;
    found
}

/// The `name = "..."` argument of an accessor marker, reporting anything else.
fn accessor_name(cx: &Ctxt, kind: AccessorKind, attr: &Attribute) -> Option<syn::LitStr> {
    let marker = kind.marker();
    let usage = format!("the only argument of {marker} is `name = \"...\"` (the attribute's name)");
    let list = match &attr.meta {
        Meta::Path(_) => return None,
        Meta::List(list) => list,
        Meta::NameValue(_) => {
            cx.error_spanned_by(attr, usage);
            return None;
        }
    };
    let metas = match list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
        Ok(metas) => metas,
        Err(error) => {
            cx.syn_error(error);
            return None;
        }
    };
    let mut name = None;
    for meta in metas {
        if !meta.path().is_ident("name") {
            let arg = meta.path().get_ident().map_or_else(|| quote::quote!(#meta).to_string(), Ident::to_string);
            cx.error_spanned_by(meta.path(), format_args!("unknown {marker} argument `{arg}`: {usage}"));
            continue;
        }
        match &meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit { lit: Lit::Str(value), .. }) if name.is_none() => name = Some(value.clone()),
                Expr::Lit(ExprLit { lit: Lit::Str(_), .. }) => cx.error_spanned_by(&meta, "duplicate `name` argument"),
                other => {
                    cx.error_spanned_by(other, format_args!("`name` takes the attribute's name as a string: {usage}"))
                }
            },
            _ => cx.error_spanned_by(&meta, format_args!("`name` takes the attribute's name as a string: {usage}")),
        }
    }
    name
}
