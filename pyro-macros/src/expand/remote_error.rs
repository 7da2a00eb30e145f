//! The code of `#[derive(pyro::RemoteError)]`: `IntoRemoteError` (the exception a server
//! raises), `FromRemoteError` (the variant a client rebuilds) and `From<Enum> for pyro::Error`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

use super::local;
use crate::ctxt::Ctxt;
use crate::remote_error::{ErrorEnum, Shape, Variant, model};

/// The derive's output: the impls, or the errors (with stub impls so that uses of the enum
/// report nothing more).
pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let model = model(&cx, input);
    match (cx.check(), model) {
        (Ok(()), Some(model)) => impls(&model),
        (Err(errors), _) => {
            let errors = errors.into_compile_error();
            let stubs = stubs(input);
            quote!(#errors #stubs)
        }
        (Ok(()), None) => stubs(input),
    }
}

/// Impls that compile whatever the input was (emitted only beside a compile error, so they never
/// run), so that only the real mistake is reported.
fn stubs(input: &DeriveInput) -> TokenStream {
    if !matches!(input.data, syn::Data::Enum(_)) || !input.generics.params.is_empty() {
        return TokenStream::new();
    }
    let ident = &input.ident;
    quote! {
        const _: () = {
            impl ::pyro::__private::IntoRemoteError for #ident {
                fn into_remote_error(self) -> ::pyro::__private::RemoteError {
                    ::pyro::__private::RemoteError::new("builtins.RuntimeError", ::std::vec::Vec::new())
                }
            }
            impl ::pyro::__private::FromRemoteError for #ident {
                fn from_remote_error(_: &::pyro::__private::RemoteError) -> ::core::option::Option<Self> {
                    ::core::option::Option::None
                }
            }
        };
    }
}

fn impls(model: &ErrorEnum) -> TokenStream {
    let ident = &model.ident;
    let remote = local("remote");
    let into_arms = model.variants.iter().map(|v| into_arm(ident, v));
    let exact = model.variants.iter().map(|v| exact_match(ident, v, &remote));
    let fallback = model.variants.iter().filter(|v| matches!(v.shape, Shape::Unit)).map(|v| {
        let (class, name) = (&v.class, &v.ident);
        quote! {
            if #remote.class == #class {
                return ::core::option::Option::Some(#ident::#name);
            }
        }
    });
    let field_types: Vec<&syn::Type> = model
        .variants
        .iter()
        .flat_map(|v| match &v.shape {
            Shape::Unit => Vec::new(),
            Shape::Tuple(types) => types.iter().collect(),
            Shape::Struct(fields) => fields.iter().map(|(_, ty)| ty).collect(),
        })
        .collect();
    // Each rule once, at the field's type, in the function that uses it (the use right after,
    // at the same span, is not reported again).
    let sendable = field_types.iter().map(|ty| quote_spanned!(ty.span()=> ::pyro::__private::assert_result::<#ty>();));
    let receivable =
        field_types.iter().map(|ty| quote_spanned!(ty.span()=> ::pyro::__private::assert_argument::<#ty>();));
    let message = super::generated("__pyro_message");
    let needs_message = model.variants.iter().any(|v| !matches!(v.shape, Shape::Tuple(_)));
    let message_fn = needs_message.then(|| {
        quote_spanned! {ident.span()=>
            fn #message(error: &#ident) -> ::std::string::String {
                ::std::string::ToString::to_string(error)
            }
        }
    });
    quote! {
        const _: () = {
            #message_fn

            impl ::pyro::__private::IntoRemoteError for #ident {
                fn into_remote_error(self) -> ::pyro::__private::RemoteError {
                    #(#sendable)*
                    match &self {
                        #(#into_arms)*
                    }
                }
            }

            impl ::pyro::__private::FromRemoteError for #ident {
                fn from_remote_error(
                    #remote: &::pyro::__private::RemoteError,
                ) -> ::core::option::Option<#ident> {
                    #(#receivable)*
                    #(#exact)*
                    #(#fallback)*
                    ::core::option::Option::None
                }
            }

            impl ::core::convert::From<#ident> for ::pyro::__private::Error {
                fn from(error: #ident) -> ::pyro::__private::Error {
                    ::pyro::__private::Error::from(::pyro::__private::IntoRemoteError::into_remote_error(error))
                }
            }
        };
    }
}

/// The `match &self` arm building the exception of `variant`.
fn into_arm(ident: &syn::Ident, variant: &Variant) -> TokenStream {
    let (name, class) = (&variant.ident, &variant.class);
    let message = super::generated("__pyro_message");
    let message = quote!(#message(&self));
    match &variant.shape {
        Shape::Unit => quote! {
            #ident::#name => ::pyro::__private::ExceptionBuilder::new(#class).arg(&#message).build(),
        },
        Shape::Tuple(types) => {
            // Named at the type's span: a type that cannot be sent is reported there, once.
            let fields: Vec<_> =
                types.iter().enumerate().map(|(i, ty)| syn::Ident::new(&format!("__field{i}"), ty.span())).collect();
            let args = fields.iter().zip(types).map(|(field, ty)| quote_spanned!(ty.span()=> .arg(#field)));
            quote! {
                #ident::#name(#(#fields),*) => ::pyro::__private::ExceptionBuilder::new(#class)
                    #(#args)*
                    .build(),
            }
        }
        Shape::Struct(fields) => {
            let names: Vec<_> = fields.iter().map(|(name, _)| name).collect();
            let binds: Vec<_> = fields
                .iter()
                .enumerate()
                .map(|(i, (_, ty))| syn::Ident::new(&format!("__field{i}"), ty.span()))
                .collect();
            let attributes = fields.iter().zip(&binds).map(|((name, ty), bind)| {
                let key = syn::ext::IdentExt::unraw(name).to_string();
                quote_spanned!(ty.span()=> .attribute(#key, #bind))
            });
            quote! {
                #ident::#name { #(#names: #binds),* } => ::pyro::__private::ExceptionBuilder::new(#class)
                    .arg(&#message)
                    #(#attributes)*
                    .build(),
            }
        }
    }
}

/// The check that rebuilds `variant` from an exception that fits it exactly: its class, and its
/// Display text (unit), its arguments (tuple) or its attributes (struct).
fn exact_match(ident: &syn::Ident, variant: &Variant, remote: &syn::Ident) -> TokenStream {
    let (name, class) = (&variant.ident, &variant.class);
    let message = super::generated("__pyro_message");
    match &variant.shape {
        Shape::Unit => quote! {
            if #remote.class == #class && #remote.message == #message(&#ident::#name) {
                return ::core::option::Option::Some(#ident::#name);
            }
        },
        Shape::Tuple(types) => {
            let count = types.len();
            let fields = types.iter().enumerate().map(
                |(index, ty)| quote_spanned!(ty.span()=> ::pyro::__private::exception_arg::<#ty>(#remote, #index)),
            );
            let bound: Vec<_> = (0..count).map(|i| format_ident!("__field{}", i)).collect();
            quote! {
                if #remote.class == #class && #remote.args.len() == #count {
                    if let (#(::core::option::Option::Some(#bound),)*) = (#(#fields,)*) {
                        return ::core::option::Option::Some(#ident::#name(#(#bound),*));
                    }
                }
            }
        }
        Shape::Struct(fields) => {
            let names: Vec<_> = fields.iter().map(|(name, _)| name).collect();
            let reads = fields.iter().map(|(field, ty)| {
                let key = syn::ext::IdentExt::unraw(field).to_string();
                quote_spanned!(ty.span()=> ::pyro::__private::exception_attribute::<#ty>(#remote, #key))
            });
            quote! {
                if #remote.class == #class {
                    if let (#(::core::option::Option::Some(#names),)*) = (#(#reads,)*) {
                        return ::core::option::Option::Some(#ident::#name { #(#names),* });
                    }
                }
            }
        }
    }
}
