//! Attribute parsing: the arguments of `#[pyro::expose(...)]` and the `#[pyro::oneway]` marker
//! on methods.

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
}

const EXPOSE_ARGS: &str = "the only one is `proxy = \"Name\"` (the typed proxy's name)";

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
        if !meta.path().is_ident("proxy") {
            let name = meta.path().get_ident().map_or_else(|| quote::quote!(#meta).to_string(), Ident::to_string);
            cx.error_spanned_by(meta.path(), format_args!("unknown #[pyro::expose] argument `{name}`: {EXPOSE_ARGS}"));
            continue;
        }
        let value = match &meta {
            Meta::NameValue(nv) => &nv.value,
            _ => {
                cx.error_spanned_by(&meta, "`proxy` takes the typed proxy's name as a string: `proxy = \"Name\"`");
                continue;
            }
        };
        let Expr::Lit(ExprLit { lit: Lit::Str(name), .. }) = value else {
            cx.error_spanned_by(value, "`proxy` takes the typed proxy's name as a string: `proxy = \"Name\"`");
            continue;
        };
        match name.parse::<Ident>() {
            Ok(_) if parsed.proxy.is_some() => cx.error_spanned_by(&meta, "duplicate `proxy` argument"),
            Ok(ident) => parsed.proxy = Some(ident),
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
