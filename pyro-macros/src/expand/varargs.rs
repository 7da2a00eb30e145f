//! Parameters taking a call's extra arguments (`VarArgs<T>`, Python's `*args`; `KwArgs<T>`,
//! `**kwargs`): their binding in the dispatch table, and the typed proxy's and batch's
//! arguments for methods that have them (assembled by `pyro::VarCall`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::dispatch::replace_self;
use super::local;
use crate::ast::{Arg, Extra, Method};

/// Whether `m` has a `VarArgs` or `KwArgs` parameter.
pub fn has_extra(m: &Method) -> bool {
    m.args.iter().any(|a| a.extra.is_some())
}

/// `T` of `VarArgs<T>`/`KwArgs<T>`, or `pyro::Value`.
fn item(extra: &Extra, self_ty: Option<&Type>) -> TokenStream {
    match &extra.item {
        Some(item) => replace_self(item, self_ty),
        None => quote!(::pyro::__private::Value),
    }
}

/// The binding of an extra-arguments parameter in a dispatch arm (after the named ones).
pub fn bind(arg: &Arg, extra: &Extra, name: &Ident, keyword: &str, self_ty: Option<&Type>) -> TokenStream {
    let args = local("args");
    let span = extra.item.as_ref().map_or_else(|| arg.ty.span(), Spanned::span);
    let item = item(extra, self_ty);
    let take = if extra.keyword { quote!(rest_kwargs) } else { quote!(rest) };
    let ty = if extra.keyword { quote!(KwArgs) } else { quote!(VarArgs) };
    quote_spanned! {span=>
        ::pyro::__private::assert_argument::<#item>();
        let #name: ::pyro::__private::#ty<#item> = #args.#take::<#item>(#keyword)?;
    }
}

/// The statements assembling the call's arguments, and the positional and keyword arguments
/// to send.
pub fn arguments(m: &Method, self_ty: Option<&Type>) -> (TokenStream, TokenStream, TokenStream) {
    let call = local("call");
    let steps = m.args.iter().filter_map(|a| {
        let param = a.ident.as_ref()?;
        let keyword = syn::ext::IdentExt::unraw(param).to_string();
        Some(match (&a.extra, &a.optional) {
            (Some(extra), _) => {
                let span = extra.item.as_ref().map_or_else(|| a.ty.span(), Spanned::span);
                let item = item(extra, self_ty);
                let add = if extra.keyword { quote!(extra) } else { quote!(rest) };
                quote_spanned! {span=>
                    ::pyro::__private::assert_result::<#item>();
                    #call.#add(&#param);
                }
            }
            (None, Some(inner)) => {
                let checked = replace_self(inner, self_ty);
                quote_spanned! {inner.span()=>
                    ::pyro::__private::assert_argument::<#checked>();
                    #call.optional(#keyword, &#param);
                }
            }
            (None, None) => {
                let checked = replace_self(&a.ty, self_ty);
                quote_spanned! {a.ty.span()=>
                    ::pyro::__private::assert_argument::<#checked>();
                    #call.param(#keyword, &#param);
                }
            }
        })
    });
    let item = quote! {
        let mut #call = ::pyro::__private::VarCall::new();
        #(#steps)*
    };
    (item, quote!(&#call.vargs()), quote!(&#call.kwargs()))
}
