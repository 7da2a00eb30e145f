//! Methods returning iterators: the daemon streams their items (Pyro5's item streaming), and
//! the typed proxy iterates them as a `RemoteIter` (the async one as a `RemoteStream`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use super::dispatch::replace_self;
use super::local;
use crate::ast::Stream;

/// The dispatch side: the item type's check and the `Reply` streaming the iterator `value`
/// (for `Result` items, each `Err` converted to its remote exception as a method's `Err` is).
pub fn reply(stream: &Stream, value: &proc_macro2::Ident, self_ty: Option<&Type>) -> (TokenStream, TokenStream) {
    let (span, item) = (stream.item.span(), replace_self(&stream.item, self_ty));
    let check = quote_spanned!(span=> ::pyro::__private::assert_result::<#item>(););
    let reply = match &stream.fallible {
        None => quote_spanned! {stream.ty.span()=>
            ::pyro::__private::Reply::stream::<_, #item>(#value)
        },
        Some(err) => {
            let (result, error) = (local("item"), local("error"));
            let err_span = err.as_ref().map_or_else(|| stream.ty.span(), Spanned::span);
            let remote = quote_spanned!(err_span=> ::pyro::__private::RemoteErrorWrap(#error).to_remote_error());
            quote! {
                ::pyro::__private::Reply::try_stream::<_, #item>(::core::iter::Iterator::map(#value, |#result| {
                    ::core::result::Result::map_err(#result, |#error| #remote)
                }))
            }
        }
    };
    (check, reply)
}

/// The proxy side: the method's return type (`RemoteIter<'_, T>`) and body.
pub fn proxy_call(
    stream: &Stream,
    name: &str,
    vargs: &TokenStream,
    kwargs: Option<&TokenStream>,
    self_ty: Option<&Type>,
    flavor: super::flavor::Flavor,
) -> (TokenStream, TokenStream) {
    let (span, item) = (stream.item.span(), replace_self(&stream.item, self_ty));
    let (stream_type, awaited) = (flavor.stream(), flavor.awaited());
    let output = quote!(#stream_type<'_, #item>);
    let call = match kwargs {
        None => quote_spanned!(span=> call_stream::<_, #item>(#name, #vargs)),
        Some(kwargs) => quote_spanned!(span=> call_stream_with_kwargs::<_, _, #item>(#name, #vargs, #kwargs)),
    };
    let body = quote_spanned! {span=>
        ::pyro::__private::assert_result::<#item>();
        self.inner.#call #awaited
    };
    (output, body)
}
