//! Procedural macros for pyro (`#[pyro::expose]`, `#[pyro::oneway]`) (PLACEHOLDER: the macros helper writes them).

use proc_macro::TokenStream;

/// Exposes an inherent impl's `pub` methods, or declares a remote interface on a trait (PLACEHOLDER).
#[proc_macro_attribute]
pub fn expose(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}

/// Marks a method of an exposed impl or trait as oneway (PLACEHOLDER).
#[proc_macro_attribute]
pub fn oneway(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
