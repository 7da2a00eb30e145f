//! The parts of a dispatch table shared by exposed impls and interfaces: metadata, receivers,
//! the `invoke_*` functions (bind arguments, call, serialize the result straight to bytes with
//! the call context's serializer, as a `Reply::Encoded`) and the compile-time
//! checks of argument and result types.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::attributes::Attributes;
use super::{generated, local};
use crate::ast::{Method, Output, Receiver};

/// Which `invoke_*` function a method belongs to.
#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Shared,
    Exclusive,
    /// `async fn` with `&self` (`invoke_async`, with an `Arc` on the object).
    Async,
}

impl Kind {
    fn of(method: &Method) -> Option<Kind> {
        match method.receiver {
            Receiver::Shared if method.sig.asyncness.is_some() => Some(Kind::Async),
            Receiver::Shared => Some(Kind::Shared),
            Receiver::Exclusive => Some(Kind::Exclusive),
            Receiver::Other(_) | Receiver::Missing => None,
        }
    }
}

/// `fn __pyro_metadata() -> Metadata`, shared by the dispatch impl and the registration.
pub fn metadata_fn(methods: &[Method], attributes: &Attributes<'_>) -> TokenStream {
    let name = metadata_fn_name();
    let entry = |m: &Method| {
        let (cfgs, name) = (&m.cfgs, &m.name);
        quote!(#(#cfgs)* #name)
    };
    let all = methods.iter().map(entry);
    let oneway = methods.iter().filter(|m| m.oneway.is_some()).map(entry);
    let attrs = attributes.names();
    quote! {
        fn #name() -> ::pyro::__private::Metadata {
            ::pyro::__private::Metadata::new([#(#all),*], [#(#oneway),*], [#(#attrs),*])
        }
    }
}

/// The name of the function [`metadata_fn`] defines.
pub fn metadata_fn_name() -> Ident {
    generated("__pyro_metadata")
}

/// The body of `fn receiver(method: &str) -> Option<Receiver>` (its parameter is `local("method")`).
/// The entry in the process-wide registry of exposed types (informational: serving never
/// depends on it).
pub fn registration(type_name: &str) -> TokenStream {
    let metadata = metadata_fn_name();
    quote! {
        ::pyro::__private::inventory::submit! {
            ::pyro::__private::ExposedType {
                name: #type_name,
                module_path: ::core::module_path!(),
                metadata: #metadata,
            }
        }
    }
}

pub fn receiver_body(methods: &[Method], attributes: &Attributes<'_>) -> TokenStream {
    let method = local("method");
    let arms = methods.iter().filter_map(|m| {
        let kind = match Kind::of(m)? {
            Kind::Shared => quote!(Shared),
            Kind::Exclusive => quote!(Exclusive),
            Kind::Async => quote!(Async),
        };
        let (cfgs, name) = (&m.cfgs, &m.name);
        Some(quote! {
            #(#cfgs)*
            #name => ::core::option::Option::Some(::pyro::__private::Receiver::#kind),
        })
    });
    let attribute_arms = attributes.receiver_arms();
    quote! {
        match #method {
            #(#arms)*
            #attribute_arms
            _ => ::core::option::Option::None,
        }
    }
}

/// An `invoke_shared`/`invoke_exclusive` function: `receiver` declares the object (`&self`,
/// `object: &T`, ...) and `call` writes the call of a method given the bound argument names.
pub fn invoke_fn(
    fn_name: &str,
    receiver: TokenStream,
    methods: &[Method],
    kind: Kind,
    call: &dyn Fn(&Method, &[Ident]) -> TokenStream,
    self_ty: Option<&Type>,
    attributes: &Attributes<'_>,
) -> TokenStream {
    let fn_name = Ident::new(fn_name, proc_macro2::Span::call_site());
    let (method, mut args, mut ctx) = (local("method"), local("args"), local("ctx"));
    let methods: Vec<&Method> = methods.iter().filter(|m| Kind::of(m) == Some(kind)).collect();
    let attribute_arms = attributes.invoke_arms(kind, call, self_ty);
    let body = if methods.is_empty() && attribute_arms.is_empty() {
        (args, ctx) = (local("_args"), local("_ctx"));
        quote!(::core::result::Result::Err(::pyro::__private::CallArgs::unknown_method(#method)))
    } else {
        let fallible = |m: &&Method| {
            matches!(m.output, Output::Result { .. }) || m.stream.as_ref().is_some_and(|s| s.fallible.is_some())
        };
        let fallback = methods.iter().any(fallible).then(|| {
            quote! {
                #[allow(unused_imports)]
                use ::pyro::__private::ToRemoteErrorFallback as _;
            }
        });
        let arms = methods.iter().map(|m| arm(m, call, self_ty));
        quote! {
            #fallback
            match #method {
                #(#arms)*
                #attribute_arms
                _ => ::core::result::Result::Err(::pyro::__private::CallArgs::unknown_method(#method)),
            }
        }
    };
    quote! {
        fn #fn_name(
            #receiver,
            #ctx: &mut ::pyro::__private::CallContext,
            #method: &str,
            #args: ::pyro::__private::CallArgs,
        ) -> ::core::result::Result<::pyro::__private::Reply, ::pyro::__private::Error> {
            #body
        }
    }
}

/// One `"name" => { bind; finish; call; serialize with the context's serializer }` arm. Types name `self_ty` instead of `Self`,
/// as the proxy does, so that both report a type that cannot travel identically (once).
pub fn arm(m: &Method, call: &dyn Fn(&Method, &[Ident]) -> TokenStream, self_ty: Option<&Type>) -> TokenStream {
    let (args, ctx) = (local("args"), local("ctx"));
    let names: Vec<Ident> = (0..m.args.len()).map(|i| local(&format!("arg{i}"))).collect();
    let rebind = (!m.args.is_empty()).then(|| quote!(let mut #args = #args;));
    // Each type is checked where it is used, at its own span: the assertion states the rule
    // (`assert_argument`, `assert_result`) and the use right after it, at the same span in the
    // same function, is not reported again.
    let binds = m.args.iter().zip(&names).enumerate().map(|(index, (arg, name))| {
        let keyword = arg.ident.as_ref().map(|i| syn::ext::IdentExt::unraw(i).to_string()).unwrap_or_default();
        if let Some(extra) = &arg.extra {
            return super::varargs::bind(arg, extra, name, &keyword, self_ty);
        }
        match &arg.optional {
            Some(inner) => {
                let span = inner.span();
                let inner = replace_self(inner, self_ty);
                quote_spanned! {span=>
                ::pyro::__private::assert_argument::<#inner>();
                let #name: ::core::option::Option<#inner> = #args.optional::<#inner>(#index, #keyword)?;
                }
            }
            None => {
                let span = arg.ty.span();
                let ty = replace_self(&arg.ty, self_ty);
                quote_spanned! {span=>
                    ::pyro::__private::assert_argument::<#ty>();
                    let #name: #ty = #args.required::<#ty>(#index, #keyword)?;
                }
            }
        }
    });
    // The call context goes where the method declares it (`ctx` is `&mut CallContext`: it
    // reborrows as `&mut` or coerces to `&`).
    let mut call_names = names.clone();
    if let Some(context) = m.contexts.first() {
        call_names.insert(context.position.min(call_names.len()), ctx.clone());
    }
    let call = call(m, &call_names);
    // The result's check and its reply: serialized with the context's serializer, or streamed.
    let encoded = |ty: &Type, value: &Ident| match &m.stream {
        Some(stream) => super::stream::reply(stream, value, self_ty),
        None => {
            let (span, ty) = (ty.span(), replace_self(ty, self_ty));
            let check = quote_spanned!(span=> ::pyro::__private::assert_result::<#ty>(););
            (check, quote_spanned!(span=> #ctx.encode::<#ty>(&#value)?))
        }
    };
    let reply = match &m.output {
        Output::Unit => quote! {
            #call;
            #ctx.encode(&())
        },
        Output::Value(ty) => {
            let value = local("value");
            let (check, serialize) = encoded(ty, &value);
            quote! {
                let #value = #call;
                #check
                ::core::result::Result::Ok(#serialize)
            }
        }
        Output::Result { ty, ok, err } => {
            let (value, error) = (local("value"), local("error"));
            let (check, serialize) = encoded(ok, &value);
            let err_span = err.as_ref().map_or_else(|| ty.span(), Spanned::span);
            let remote = quote_spanned!(err_span=> ::pyro::__private::RemoteErrorWrap(#error).to_remote_error());
            quote! {
                match #call {
                    ::core::result::Result::Ok(#value) => {
                        #check
                        ::core::result::Result::Ok(#serialize)
                    }
                    ::core::result::Result::Err(#error) => {
                        ::core::result::Result::Err(<::pyro::__private::Error as ::core::convert::From<
                            ::pyro::__private::RemoteError,
                        >>::from(#remote))
                    }
                }
            }
        }
    };
    // An `async fn`: the arguments are bound now, the call and its reply are a future owning
    // a handle on the object and a copy of the context (`Reply::pending`).
    let reply = if m.sig.asyncness.is_some() {
        let (object, owned, result) = (local("object"), local("owned"), local("result"));
        quote! {
            let #object = ::std::sync::Arc::clone(#object);
            ::core::result::Result::Ok(::pyro::__private::Reply::pending(#ctx, move |mut #owned| async move {
                let #result: ::core::result::Result<::pyro::__private::Reply, ::pyro::__private::Error> = {
                    let #ctx: &mut ::pyro::__private::CallContext = &mut #owned;
                    async move { #reply }.await
                };
                (#owned, #result)
            }))
        }
    } else {
        reply
    };
    let (cfgs, name) = (&m.cfgs, &m.name);
    quote! {
        #(#cfgs)*
        #name => {
            #rebind
            #(#binds)*
            #args.finish()?;
            #reply
        }
    }
}

/// Whether any of `methods` is an `async fn`.
pub fn has_async(methods: &[Method]) -> bool {
    methods.iter().any(|m| Kind::of(m) == Some(Kind::Async))
}

/// `ty` with every `Self` replaced by `self_ty` (for code outside the impl block).
pub fn replace_self(ty: &Type, self_ty: Option<&Type>) -> TokenStream {
    let tokens = quote!(#ty);
    match self_ty {
        Some(self_ty) => replace_self_tokens(tokens, &quote!(#self_ty)),
        None => tokens,
    }
}

fn replace_self_tokens(tokens: TokenStream, with: &TokenStream) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    tokens
        .into_iter()
        .flat_map(|token| match token {
            TokenTree::Ident(ident) if ident == "Self" => with.clone(),
            TokenTree::Group(group) => {
                let mut replaced = Group::new(group.delimiter(), replace_self_tokens(group.stream(), with));
                replaced.set_span(group.span());
                TokenTree::Group(replaced).into()
            }
            other => other.into(),
        })
        .collect()
}
