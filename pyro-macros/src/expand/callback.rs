//! `#[pyro::callback]` (Pyro5's `@callback`): methods whose failures are reported on the side
//! serving them too. `expose` consumes the markers of its methods and generates
//! `fn is_callback(method: &str) -> bool` in the dispatch table; a marker left over (on a method
//! that is not exposed) expands by itself into a compile error.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Attribute, Meta};

use crate::ast::Method;
use crate::ctxt::Ctxt;

/// Whether `attr` is `#[pyro::callback]` (or `#[callback]`).
fn is_marker(attr: &Attribute) -> bool {
    let path = attr.path();
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [name] => name == "callback" && path.leading_colon.is_none(),
        [krate, name] => krate == "pyro" && name == "callback",
        _ => false,
    }
}

/// Removes the `#[pyro::callback]` markers from `attrs`; whether there was one. Reports
/// arguments given to it and duplicates.
pub fn take_marker(cx: &Ctxt, attrs: &mut Vec<Attribute>) -> bool {
    let mut found = false;
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        if !is_marker(&attr) {
            kept.push(attr);
            continue;
        }
        if !matches!(attr.meta, Meta::Path(_)) {
            cx.error_spanned_by(&attr, "#[pyro::callback] takes no arguments");
        }
        if found {
            cx.error_spanned_by(&attr, "duplicate #[pyro::callback]");
        }
        found = true;
    }
    *attrs = kept;
    found
}

/// `fn is_callback` for the dispatch table, when some methods are callbacks (else the trait's
/// default, which says none is).
pub fn is_callback_fn(methods: &[Method]) -> TokenStream {
    let names: Vec<&str> = methods.iter().filter(|m| m.callback).map(|m| m.name.as_str()).collect();
    if names.is_empty() {
        return TokenStream::new();
    }
    let method = super::local("method");
    quote! {
        fn is_callback(#method: &str) -> bool {
            ::core::matches!(#method, #(#names)|*)
        }
    }
}

/// `#[pyro::callback]` expanding by itself: not on an exposed method.
pub fn stray(item: TokenStream) -> TokenStream {
    let error = syn::Error::new(
        Span::call_site(),
        "#[pyro::callback] goes on an exposed method inside a #[pyro::expose] impl or trait",
    )
    .into_compile_error();
    quote!(#item #error)
}
