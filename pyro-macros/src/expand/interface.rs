//! `#[pyro::expose] trait Calculator { ... }`: a remote interface. Any implementor can be served
//! through it (`Served::<T, dyn Calculator>::with_interface`): the dispatch table is
//! `impl<T: Calculator + Send + Sync + 'static> Interface<T> for dyn Calculator` (the runtime
//! turns every `Interface<T>` into a `Dispatch<dyn Calculator>` for `T`; the orphan rule forbids
//! generating `impl<T> Dispatch<dyn Calculator> for T` in the user's crate). Plus the
//! registration, the type checks and `CalculatorProxy`.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::Ident;

use super::attributes::Attributes;
use super::dispatch::{self, Kind};
use super::{generated, local};
use crate::ast::{Interface, Method};
use crate::attr::ExposeArgs;

/// The trait, followed (when it can be expanded) by everything generated for it.
pub fn expand(interface: &Interface, args: &ExposeArgs, expandable: bool) -> TokenStream {
    let item = interface.item.to_token_stream();
    if !expandable {
        return item;
    }
    let trait_ident = &interface.item.ident;
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
    // `dyn Trait` at the trait's name: a trait that cannot be a `dyn` type is reported there.
    let dyn_trait = quote_spanned!(trait_ident.span()=> dyn #trait_ident);
    // `#[allow(deprecated)]`: exposing a deprecated method is no use of it.
    let is_callback = super::callback::is_callback_fn(methods);
    let registration = dispatch::registration(&trait_ident.to_string());
    let remote = super::remote::proxy_impls(&proxy_name, &dyn_trait);
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

                #is_callback
            }

            #registration
        };
    }
}
