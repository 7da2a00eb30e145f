//! Code generation. Generated code reaches the runtime only through `::pyro::__private`, wraps
//! its helper items in `const _: () = { ... };` and uses no name from the user's scope (locals
//! are `Span::mixed_site()`, so they cannot clash with the user's parameter names).

mod attributes;
mod batch;
mod blob;
pub mod callback;
pub use blob::is_blob;
mod dispatch;
mod flavor;
mod impl_block;
mod interface;
mod proxy;
mod remote;
pub mod remote_error;
mod stream;
mod varargs;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::{Ident, Item};

use crate::ast::Input;
use crate::attr;
use crate::check;
use crate::ctxt::Ctxt;

/// `#[pyro::expose(args)] item`: the item (minus `#[pyro::oneway]` markers), its dispatch table,
/// its registration and its typed proxy; with every broken rule as a compile error next to what
/// could still be generated for the valid methods.
pub fn expose(args: TokenStream, item: Item) -> TokenStream {
    let cx = Ctxt::new();
    let args = attr::expose_args(&cx, args);
    // Where the first exposed `async fn` is: it needs the `tokio` feature.
    let mut async_span = None;
    let output = match Input::from_item(&cx, item) {
        Input::Impl(mut block) => {
            let expandable = check::impl_block(&cx, &mut block);
            if let Some((word, _)) = &args.interface {
                cx.error_spanned_by(
                    word,
                    "`interface = \"Name\"` names the marker type of a trait with async methods, not an impl",
                );
            }
            async_span = block.methods.iter().find_map(|m| m.sig.asyncness.map(|a| a.span));
            impl_block::expand(&block, &args, expandable)
        }
        Input::Interface(mut interface) => {
            let expandable = check::interface(&cx, &mut interface);
            async_span = interface.methods.iter().find_map(|m| m.sig.asyncness.map(|a| a.span));
            let has_async =
                interface.item.items.iter().any(|i| matches!(i, syn::TraitItem::Fn(f) if f.sig.asyncness.is_some()));
            if let (Some((word, _)), false) = (&args.interface, has_async) {
                cx.error_spanned_by(
                    word,
                    "`interface = \"Name\"` names the marker type of a trait with async methods; this trait has none \
                     and is served as `dyn Trait`",
                );
            }
            interface::expand(&interface, &args, expandable)
        }
        Input::Unsupported(item) => {
            check::unsupported(&cx, &item);
            item.into_token_stream()
        }
    };
    match cx.check() {
        // Generated code cannot see the user's features: the facade's `require_tokio!` is a
        // compile error naming the feature unless `pyro` was built with it (reported only
        // when nothing else is wrong).
        Ok(()) => match async_span {
            Some(span) => quote::quote_spanned!(span=> #output ::pyro::__private::require_tokio! {}),
            None => output,
        },
        Err(errors) => {
            let errors = errors.into_compile_error();
            quote!(#output #errors)
        }
    }
}

/// `#[pyro::oneway]` expanding by itself means it is not inside an exposed impl or trait
/// (`expose` consumes the markers of its methods).
pub fn oneway(item: TokenStream) -> TokenStream {
    let error =
        syn::Error::new(Span::call_site(), "#[pyro::oneway] goes on a method inside a #[pyro::expose] impl or trait")
            .into_compile_error();
    quote!(#item #error)
}

/// `#[pyro::getter]`/`#[pyro::setter]` (`marker`) expanding by itself means it is not inside an
/// exposed impl or trait.
pub fn accessor(marker: &str, item: TokenStream) -> TokenStream {
    let message = format!("{marker} goes on a method inside a #[pyro::expose] impl or trait");
    let error = syn::Error::new(Span::call_site(), message).into_compile_error();
    quote!(#item #error)
}

/// `#[pyro::rename]` expanding by itself means it is not inside an exposed impl or trait.
pub fn rename(item: TokenStream) -> TokenStream {
    let error =
        syn::Error::new(Span::call_site(), "#[pyro::rename] goes on a method inside a #[pyro::expose] impl or trait")
            .into_compile_error();
    quote!(#item #error)
}

/// A name for a generated local variable: mixed-site hygiene, so it cannot clash with the
/// user's names.
pub(crate) fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// A name for a generated item or generic parameter. Hygiene does not separate those from the
/// user's names (a user type in a generated signature would resolve to them), so they are
/// spelled `__like_this`, which no user type is.
pub(crate) fn generated(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}
