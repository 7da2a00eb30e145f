//! `#[pyro::expose] impl Thing { ... }`: `impl Dispatch<Thing> for Thing`, the registration in
//! the exposed-types registry, the compile-time type checks and `ThingProxy`.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};
use syn::{Ident, Visibility, parse_quote};

use super::attributes::Attributes;
use super::dispatch::{self, Kind};
use crate::ast::{ImplBlock, Method};
use crate::attr::ExposeArgs;

/// The impl block, followed (when it can be expanded) by everything generated for it.
pub fn expand(block: &ImplBlock, args: &ExposeArgs, expandable: bool) -> TokenStream {
    let item = block.item.to_token_stream();
    let Some(name) = block.name.as_ref().filter(|_| expandable) else {
        return item;
    };
    let self_ty = &*block.item.self_ty;
    let methods = &block.methods;
    let proxy_name = args.proxy.clone().unwrap_or_else(|| format_ident!("{}Proxy", name));
    let vis: Visibility = parse_quote!(pub);
    let super::proxy::Generated { definition: proxy, methods: proxy_methods } =
        super::proxy::expand(&vis, &proxy_name, name, methods, Some(self_ty));
    let attributes = Attributes::new(&block.accessors, methods, quote!(Self));
    let attribute_proxy = attributes.proxy_methods(&proxy_name, Some(self_ty));
    let metadata_fn = dispatch::metadata_fn(methods, &attributes);
    let metadata = dispatch::metadata_fn_name();
    let receiver = dispatch::receiver_body(methods, &attributes);
    let method = super::local("method");
    let call = |m: &Method, args: &[Ident]| {
        let ident = &m.sig.ident;
        quote!(Self::#ident(self, #(#args),*))
    };
    let invoke_shared =
        dispatch::invoke_fn("invoke_shared", quote!(&self), methods, Kind::Shared, &call, Some(self_ty), &attributes);
    let invoke_exclusive = dispatch::invoke_fn(
        "invoke_exclusive",
        quote!(&mut self),
        methods,
        Kind::Exclusive,
        &call,
        Some(self_ty),
        &attributes,
    );
    let object = super::local("object");
    let call_async = |m: &Method, args: &[Ident]| {
        let ident = &m.sig.ident;
        quote!(Self::#ident(&#object, #(#args),*).await)
    };
    let invoke_async = dispatch::has_async(methods).then(|| {
        dispatch::invoke_fn(
            "invoke_async",
            quote!(#object: &::std::sync::Arc<Self>),
            methods,
            Kind::Async,
            &call_async,
            Some(self_ty),
            &attributes,
        )
    });
    // `#[allow(deprecated)]`: exposing a deprecated method is no use of it.
    let is_callback = super::callback::is_callback_fn(methods);
    let registration = dispatch::registration(&name.to_string());
    let remote = super::remote::proxy_impls(&proxy_name, &quote!(#self_ty));
    quote! {
        #item

        #proxy

        const _: () = {
            #proxy_methods

            #remote

            #attribute_proxy

            #metadata_fn

            #[automatically_derived]
            #[allow(deprecated)]
            impl ::pyro::__private::Dispatch<#self_ty> for #self_ty {
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
