//! `#[pyro::expose] trait Calculator { ... }`: a remote interface. Any implementor can be served
//! through it (`Served::<T, dyn Calculator>::with_interface`): the dispatch table is
//! `impl<T: Calculator + Send + Sync + 'static> Interface<T> for dyn Calculator` (the runtime
//! turns every `Interface<T>` into a `Dispatch<dyn Calculator>` for `T`; the orphan rule forbids
//! generating `impl<T> Dispatch<dyn Calculator> for T` in the user's crate). Plus the
//! registration, the type checks and `CalculatorProxy`.
//!
//! A trait with `async fn` methods is not dyn-compatible: each `async fn foo(..) -> T` is
//! rewritten to `fn foo(..) -> impl Future<Output = T> + Send` (implementors still write
//! `async fn`), and the interface is a generated marker type, `CalculatorInterface`, instead of
//! `dyn Calculator`.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::{Ident, ItemTrait, ReturnType, TraitItem, parse_quote_spanned};

use super::attributes::Attributes;
use super::dispatch::{self, Kind};
use super::{generated, local};
use crate::ast::{Interface, Method};
use crate::attr::ExposeArgs;

/// The trait, followed (when it can be expanded) by everything generated for it.
pub fn expand(interface: &Interface, args: &ExposeArgs, expandable: bool) -> TokenStream {
    let item = rewrite_async(interface.item.clone()).to_token_stream();
    if !expandable {
        return item;
    }
    let trait_ident = &interface.item.ident;
    let vis = &interface.item.vis;
    let methods = &interface.methods;
    let proxy_name = args.proxy.clone().unwrap_or_else(|| format_ident!("{}Proxy", trait_ident));
    let super::proxy::Generated { definition: proxy, methods: proxy_methods } =
        super::proxy::expand(&interface.item.vis, &proxy_name, trait_ident, methods, None);
    let (method, object, implementor) = (local("method"), local("object"), generated("__Implementor"));
    let attributes = Attributes::new(&interface.accessors, methods, quote!(#implementor));
    let attribute_proxy = attributes.proxy_methods(&proxy_name, None);
    let metadata_fn = dispatch::metadata_fn(methods, &attributes);
    let metadata = dispatch::metadata_fn_name();
    let receiver = dispatch::receiver_body(methods, &attributes);
    let call = |m: &Method, args: &[Ident]| {
        let ident = &m.sig.ident;
        quote!(<#implementor as #trait_ident>::#ident(#object, #(#args),*))
    };
    let invoke_shared = dispatch::invoke_fn(
        "invoke_shared",
        quote!(#object: &#implementor),
        methods,
        Kind::Shared,
        &call,
        None,
        &attributes,
    );
    let invoke_exclusive = dispatch::invoke_fn(
        "invoke_exclusive",
        quote!(#object: &mut #implementor),
        methods,
        Kind::Exclusive,
        &call,
        None,
        &attributes,
    );
    let call_async = |m: &Method, args: &[Ident]| {
        let ident = &m.sig.ident;
        quote!(<#implementor as #trait_ident>::#ident(&#object, #(#args),*).await)
    };
    let invoke_async = dispatch::has_async(methods).then(|| {
        dispatch::invoke_fn(
            "invoke_async",
            quote!(#object: &::std::sync::Arc<#implementor>),
            methods,
            Kind::Async,
            &call_async,
            None,
            &attributes,
        )
    });
    // The interface type: `dyn Trait` at the trait's name (a trait that cannot be a `dyn` type
    // is reported there), or the marker of a trait with async methods (any of them, even one
    // refused above: the trait is rewritten all the same).
    let rewritten = interface.item.items.iter().any(|i| matches!(i, TraitItem::Fn(f) if f.sig.asyncness.is_some()));
    let (dyn_trait, marker) = if rewritten {
        let marker = args.interface.as_ref().map_or_else(|| format_ident!("{}Interface", trait_ident), |i| i.1.clone());
        let doc = format!(
            " The remote interface [`{trait_ident}`] as a type, for serving an implementor through it: \
             `daemon.register_as::<{marker}, _>(object, id)`, `Served::<T, {marker}>::with_interface(object)`, \
             `Remote<{marker}>`. (A trait with `async fn` methods has no `dyn {trait_ident}` type.)"
        );
        let definition = quote! {
            #[doc = #doc]
            #vis enum #marker {}
        };
        (quote!(#marker), Some(definition))
    } else {
        (quote_spanned!(trait_ident.span()=> dyn #trait_ident), None)
    };
    // `#[allow(deprecated)]`: exposing a deprecated method is no use of it.
    let is_callback = super::callback::is_callback_fn(methods);
    let registration = dispatch::registration(&trait_ident.to_string());
    let remote = super::remote::proxy_impls(&proxy_name, &dyn_trait);
    quote! {
        #item

        #marker

        #proxy

        const _: () = {
            #proxy_methods

            #remote

            #attribute_proxy

            #metadata_fn

            #[automatically_derived]
            #[allow(deprecated)]
            impl<#implementor> ::pyro::__private::Interface<#implementor> for #dyn_trait
            where
                #implementor: #trait_ident + ::core::marker::Send + ::core::marker::Sync + 'static,
            {
                fn metadata() -> ::pyro::__private::Metadata {
                    #metadata()
                }

                fn receiver(#method: &str) -> ::core::option::Option<::pyro::__private::Receiver> {
                    #receiver
                }

                #invoke_shared

                #invoke_exclusive

                #invoke_async

                #is_callback
            }

            #registration
        };
    }
}

/// `trait` with each `async fn foo(..) -> T` declared as `fn foo(..) -> impl Future<Output = T> +
/// Send` (a default body becomes an `async move` block): the same trait for implementors, who
/// write `async fn` in their impls, with the `Send` bound the daemon needs stated where a
/// non-`Send` implementation is reported. Nothing changes in a trait without async methods.
fn rewrite_async(mut item: ItemTrait) -> ItemTrait {
    for trait_item in &mut item.items {
        let TraitItem::Fn(method) = trait_item else { continue };
        let Some(asyncness) = method.sig.asyncness.take() else { continue };
        let span = asyncness.span;
        let output = match &method.sig.output {
            ReturnType::Default => quote_spanned!(span=> ()),
            ReturnType::Type(_, ty) => quote!(#ty),
        };
        method.sig.output = parse_quote_spanned! {span=>
            -> impl ::core::future::Future<Output = #output> + ::core::marker::Send
        };
        if let Some(body) = &method.default {
            method.default = Some(parse_quote_spanned!(span=> { async move #body }));
        }
    }
    item
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;
    use syn::parse_quote;

    use super::rewrite_async;

    fn text(item: syn::ItemTrait) -> String {
        rewrite_async(item).to_token_stream().to_string().replace(' ', "")
    }

    #[test]
    fn async_methods_become_send_futures() {
        let rewritten = text(parse_quote! {
            pub trait Fetcher {
                fn ping(&self);
                async fn fetch(&self, url: String) -> String;
                async fn tick(&self);
                async fn shelves(&self) -> Vec<u32> { vec![1] }
            }
        });
        assert!(!rewritten.contains("async fn"), "{rewritten}");
        assert!(rewritten.contains("fnping(&self);"), "{rewritten}");
        let future = "->impl::core::future::Future<Output=";
        let send = ">+::core::marker::Send";
        assert!(rewritten.contains(&format!("fnfetch(&self,url:String){future}String{send};")), "{rewritten}");
        assert!(rewritten.contains(&format!("fntick(&self){future}(){send};")), "{rewritten}");
        assert!(rewritten.contains(&format!("fnshelves(&self){future}Vec<u32>{send}{{asyncmove{{vec![1]}}}}")));
    }

    #[test]
    fn a_trait_without_async_methods_is_unchanged() {
        let item: syn::ItemTrait = parse_quote! {
            pub trait Calculator {
                fn add(&self, a: i64, b: i64) -> i64;
                fn reset(&mut self) {}
            }
        };
        assert_eq!(text(item.clone()), item.to_token_stream().to_string().replace(' ', ""));
    }
}
