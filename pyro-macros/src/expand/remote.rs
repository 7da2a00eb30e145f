//! Objects by reference: the typed proxy travels as a proxy (Pyro5's `Pyro5.client.Proxy` class
//! dict), names itself as the client side of its exposed type (`Exposed`), and a result of type
//! `Remote<T>` (the server returns an object by reference) arrives at the typed proxy's caller
//! as `T`'s typed proxy.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{GenericArgument, Ident, PathArguments, Type, TypePath, parse_quote};

use super::flavor::Flavor;
use super::generated;

/// The impls of the typed proxy `proxy` for the exposed type (or `dyn Trait`) `exposed`: serde
/// both ways (as the untyped proxy), `Clone` (a new unconnected proxy), `From<Proxy>`, and
/// `Exposed for exposed`.
pub fn proxy_impls(proxy: &Ident, exposed: &TokenStream) -> TokenStream {
    let (serializer, deserializer, lifetime) = (generated("__S"), generated("__D"), generated("__de"));
    let lifetime = syn::Lifetime::new(&format!("'{lifetime}"), proc_macro2::Span::call_site());
    let async_proxy = Flavor::Async.name(proxy);
    let async_impls = Flavor::Async.emit(quote! {
        #[automatically_derived]
        impl ::pyro::__private::ExposedAsync for #exposed {
            type ProxyAsync = #async_proxy;
        }

        #[automatically_derived]
        impl ::core::convert::From<::pyro::__private::aio::Proxy> for #async_proxy {
            fn from(proxy: ::pyro::__private::aio::Proxy) -> #async_proxy {
                #async_proxy::from_proxy(proxy)
            }
        }

        #[automatically_derived]
        impl ::core::convert::From<#proxy> for #async_proxy {
            fn from(proxy: #proxy) -> #async_proxy {
                #async_proxy::from_blocking(proxy)
            }
        }

        #[automatically_derived]
        impl ::core::clone::Clone for #async_proxy {
            /// A new, unconnected proxy for the same object (Pyro5's `__copy__`).
            fn clone(&self) -> #async_proxy {
                #async_proxy::from_proxy(::core::clone::Clone::clone(&self.inner))
            }
        }

        /// Sent as Pyro5's `Pyro5.client.Proxy` class dict.
        #[automatically_derived]
        impl ::pyro::__private::serde::Serialize for #async_proxy {
            fn serialize<#serializer: ::pyro::__private::serde::Serializer>(
                &self,
                serializer: #serializer,
            ) -> ::core::result::Result<#serializer::Ok, #serializer::Error> {
                ::pyro::__private::serde::Serialize::serialize(&self.inner, serializer)
            }
        }

        /// Received from a `Pyro5.client.Proxy` class dict.
        #[automatically_derived]
        impl<#lifetime> ::pyro::__private::serde::Deserialize<#lifetime> for #async_proxy {
            fn deserialize<#deserializer: ::pyro::__private::serde::Deserializer<#lifetime>>(
                deserializer: #deserializer,
            ) -> ::core::result::Result<#async_proxy, #deserializer::Error> {
                ::core::result::Result::map(
                    <::pyro::__private::aio::Proxy as ::pyro::__private::serde::Deserialize>::deserialize(deserializer),
                    #async_proxy::from_proxy,
                )
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl ::pyro::__private::Exposed for #exposed {
            type Proxy = #proxy;
        }

        #[automatically_derived]
        impl ::core::convert::From<::pyro::__private::Proxy> for #proxy {
            fn from(proxy: ::pyro::__private::Proxy) -> #proxy {
                #proxy::from_proxy(proxy)
            }
        }

        #[automatically_derived]
        impl ::core::clone::Clone for #proxy {
            /// A new, unconnected proxy for the same object (Pyro5's `__copy__`).
            fn clone(&self) -> #proxy {
                #proxy::from_proxy(::core::clone::Clone::clone(&self.inner))
            }
        }

        /// Sent as Pyro5's `Pyro5.client.Proxy` class dict: e.g. a callback object's proxy.
        #[automatically_derived]
        impl ::pyro::__private::serde::Serialize for #proxy {
            fn serialize<#serializer: ::pyro::__private::serde::Serializer>(
                &self,
                serializer: #serializer,
            ) -> ::core::result::Result<#serializer::Ok, #serializer::Error> {
                ::pyro::__private::serde::Serialize::serialize(&self.inner, serializer)
            }
        }

        /// Received from a `Pyro5.client.Proxy` class dict (a Python proxy, a Rust proxy, an
        /// object a server returned by reference).
        #[automatically_derived]
        impl<#lifetime> ::pyro::__private::serde::Deserialize<#lifetime> for #proxy {
            fn deserialize<#deserializer: ::pyro::__private::serde::Deserializer<#lifetime>>(
                deserializer: #deserializer,
            ) -> ::core::result::Result<#proxy, #deserializer::Error> {
                ::core::result::Result::map(
                    <::pyro::__private::Proxy as ::pyro::__private::serde::Deserialize>::deserialize(deserializer),
                    #proxy::from_proxy,
                )
            }
        }

        #async_impls
    }
}

/// The type a client of `flavor` receives for a result of type `ty`: a `Remote<T>` arrives at
/// an async typed proxy as `T`'s async typed proxy.
pub fn client_type_for(ty: &Type, flavor: super::flavor::Flavor) -> Type {
    match flavor {
        super::flavor::Flavor::Blocking => client_type(ty),
        super::flavor::Flavor::Async => {
            let mut ty = ty.clone();
            rewrite_with(&mut ty, &|object| parse_quote!(<#object as ::pyro::__private::ExposedAsync>::ProxyAsync));
            ty
        }
    }
}

/// The type a client receives for a result of type `ty`: every `Remote<T>` in it (at any depth:
/// `Vec<Remote<T>>`, `Option<(Remote<T>, u32)>`) becomes `<T as Exposed>::Proxy`.
pub fn client_type(ty: &Type) -> Type {
    let mut ty = ty.clone();
    rewrite(&mut ty);
    ty
}

fn rewrite(ty: &mut Type) {
    rewrite_with(ty, &|object| parse_quote!(<#object as ::pyro::__private::Exposed>::Proxy));
}

fn rewrite_with(ty: &mut Type, proxy: &dyn Fn(Type) -> Type) {
    let rewrite = |ty: &mut Type| rewrite_with(ty, proxy);
    match ty {
        Type::Path(path) => {
            if let Some(object) = remote_argument(path) {
                *ty = proxy(object);
                return;
            }
            for segment in &mut path.path.segments {
                if let PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    for arg in &mut args.args {
                        if let GenericArgument::Type(inner) = arg {
                            rewrite(inner);
                        }
                    }
                }
            }
        }
        Type::Tuple(tuple) => tuple.elems.iter_mut().for_each(rewrite),
        Type::Array(array) => rewrite(&mut array.elem),
        Type::Slice(slice) => rewrite(&mut slice.elem),
        Type::Paren(paren) => rewrite(&mut paren.elem),
        Type::Group(group) => rewrite(&mut group.elem),
        _ => {}
    }
}

/// `T` of `Remote<T>` (any path ending in `Remote` with one type argument).
fn remote_argument(path: &TypePath) -> Option<Type> {
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Remote" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    match args.args.iter().collect::<Vec<_>>().as_slice() {
        [GenericArgument::Type(object)] => Some(object.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn rewritten(ty: Type) -> String {
        client_type(&ty).to_token_stream().to_string()
    }

    #[test]
    fn remote_results_become_typed_proxies() {
        assert_eq!(rewritten(parse_quote!(Remote<Thing>)), "< Thing as :: pyro :: __private :: Exposed > :: Proxy");
        assert_eq!(
            rewritten(parse_quote!(Vec<pyro::Remote<dyn Shop>>)),
            "Vec < < dyn Shop as :: pyro :: __private :: Exposed > :: Proxy >"
        );
        assert_eq!(
            rewritten(parse_quote!(Result<(Remote<A>, u32), E>)),
            "Result < (< A as :: pyro :: __private :: Exposed > :: Proxy , u32) , E >"
        );
        assert_eq!(rewritten(parse_quote!(Vec<String>)), "Vec < String >");
        assert_eq!(rewritten(parse_quote!(Remote)), "Remote");
        assert_eq!(rewritten(parse_quote!(Remote<A, B>)), "Remote < A , B >");
    }
}
