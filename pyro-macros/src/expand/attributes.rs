//! Remote attributes (`#[pyro::getter]`, `#[pyro::setter]`): their names in the metadata's
//! `attrs`, the `__getattr__`/`__setattr__` arms of the dispatch table and the typed proxy's
//! getters and setters.
//!
//! A dispatch table always answers `__getattr__` and `__setattr__`, attributes or not, with
//! Pyro5's errors for names it does not serve. Each call runs in the `invoke_*` function of its
//! receivers: exclusive if any getter (for `__getattr__`) or setter (for `__setattr__`) takes
//! `&mut self`, else shared. Inside, the attribute name selects the accessor, whose arm is the
//! one a method of that name would have (`dispatch::arm`), bound to the accessor's arguments
//! (none for a getter, the value for a setter).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::dispatch::{self, Kind, replace_self};
use super::flavor::Flavor;
use super::local;
use crate::ast::{Accessor, Method, Output, Receiver};
use crate::attr::AccessorKind;

/// The attributes of one exposed impl or trait.
pub struct Attributes<'a> {
    getters: Vec<Named<'a>>,
    setters: Vec<Named<'a>>,
    /// The other exposed methods (their names are existing, unreadable attributes).
    methods: &'a [Method],
    /// The type whose name Pyro5's "type object '<Class>' has no attribute" error shows.
    class: TokenStream,
}

/// An accessor with its attribute name.
struct Named<'a> {
    name: &'a str,
    accessor: &'a Accessor,
}

impl<'a> Attributes<'a> {
    /// The attributes of `accessors` (checked: every one has a name), next to `methods`; `class`
    /// is the served type (`Self`, or an interface's implementor).
    pub fn new(accessors: &'a [Accessor], methods: &'a [Method], class: TokenStream) -> Attributes<'a> {
        let named = |kind: AccessorKind| {
            accessors
                .iter()
                .filter(|a| a.kind == kind)
                .filter_map(|accessor| Some(Named { name: accessor.name.as_deref()?, accessor }))
                .collect()
        };
        Attributes { getters: named(AccessorKind::Getter), setters: named(AccessorKind::Setter), methods, class }
    }

    /// The names for the metadata's `attrs` (one per getter: an attribute is readable).
    pub fn names(&self) -> Vec<TokenStream> {
        self.getters
            .iter()
            .map(|g| {
                let (cfgs, name) = (&g.accessor.method.cfgs, g.name);
                quote!(#(#cfgs)* #name)
            })
            .collect()
    }

    /// The arms of `fn receiver(method)` for `__getattr__` and `__setattr__`.
    pub fn receiver_arms(&self) -> TokenStream {
        let arm = |method: &str, accessors: &[Named<'_>]| {
            let kind = match kind_of(accessors) {
                Kind::Async => quote!(Async),
                Kind::Shared => quote!(Shared),
                Kind::Exclusive => quote!(Exclusive),
            };
            quote!(#method => ::core::option::Option::Some(::pyro::__private::Receiver::#kind),)
        };
        let (get, set) = (arm("__getattr__", &self.getters), arm("__setattr__", &self.setters));
        quote!(#get #set)
    }

    /// The `__getattr__`/`__setattr__` arms of the `invoke_*` function for `kind` (`call` and
    /// `self_ty` as for [`dispatch::invoke_fn`]).
    pub fn invoke_arms(
        &self,
        kind: Kind,
        call: &dyn Fn(&Method, &[Ident]) -> TokenStream,
        self_ty: Option<&Type>,
    ) -> TokenStream {
        let (name, args, ctx) = (local("name"), local("args"), local("ctx"));
        let class = &self.class;
        let arms = |accessors: &[Named<'_>]| -> Vec<TokenStream> {
            accessors
                .iter()
                .map(|named| {
                    let mut method = named.accessor.method.clone();
                    method.name = named.name.to_owned();
                    dispatch::arm(&method, call, self_ty)
                })
                .collect()
        };
        // A getter's `Err` (or the `Err` item of a fallible stream) becomes a remote exception.
        let fallible = |m: &Method| {
            matches!(m.output, Output::Result { .. }) || m.stream.as_ref().is_some_and(|s| s.fallible.is_some())
        };
        let fallback = |accessors: &[Named<'_>]| {
            accessors.iter().any(|a| fallible(&a.accessor.method)).then(|| {
                quote! {
                    #[allow(unused_imports)]
                    use ::pyro::__private::ToRemoteErrorFallback as _;
                }
            })
        };
        // Names that exist but cannot be read (methods) or written (methods, and getters,
        // which the setter arms come before: read-only unless a setter matched).
        let inaccessible = |names: Vec<(&[syn::Attribute], &str)>| -> Vec<TokenStream> {
            names
                .into_iter()
                .map(|(cfgs, attribute)| {
                    quote! {
                        #(#cfgs)*
                        #attribute => ::core::result::Result::Err(
                            ::pyro::__private::attributes::inaccessible_attribute(&#name),
                        ),
                    }
                })
                .collect()
        };
        let methods = self.methods.iter().map(|m| (m.cfgs.as_slice(), m.name.as_str()));
        let getters = self.getters.iter().map(|g| (g.accessor.method.cfgs.as_slice(), g.name));
        let unknown = quote! {
            _ => ::core::result::Result::Err(::pyro::__private::attributes::unknown_attribute::<#class>(&#name)),
        };
        // Without accessors, the arm only answers errors: it uses neither the accessor's
        // arguments nor the call context.
        let bindings = |accessors: &[Named<'_>]| match accessors.is_empty() {
            true => quote!(let _ = &#ctx; let (#name, _) =),
            false => quote!(let (#name, #args) =),
        };
        let mut output = TokenStream::new();
        if kind_of(&self.getters) == kind {
            let (fallback, readable, unreadable) =
                (fallback(&self.getters), arms(&self.getters), inaccessible(methods.clone().collect()));
            let bind = bindings(&self.getters);
            output.extend(quote! {
                "__getattr__" => {
                    #fallback
                    #bind ::pyro::__private::attributes::getattr_call(#args)?;
                    #[allow(unreachable_patterns)]
                    match #name.as_str() {
                        #(#readable)*
                        #(#unreadable)*
                        #unknown
                    }
                }
            });
        }
        if kind_of(&self.setters) == kind {
            let (fallback, writable, unwritable) =
                (fallback(&self.setters), arms(&self.setters), inaccessible(getters.chain(methods).collect()));
            let bind = bindings(&self.setters);
            output.extend(quote! {
                "__setattr__" => {
                    #fallback
                    #bind ::pyro::__private::attributes::setattr_call(#args)?;
                    #[allow(unreachable_patterns)]
                    match #name.as_str() {
                        #(#writable)*
                        #(#unwritable)*
                        #unknown
                    }
                }
            });
        }
        output
    }

    /// The typed proxy's getters and setters, in an `impl` block of their own: one method per
    /// accessor, with the accessor's name, docs and (for a setter) argument.
    /// The async proxy's (`async fn`s) follow, inside `::pyro::__private::async_items!`.
    pub fn proxy_methods(&self, proxy: &Ident, self_ty: Option<&Type>) -> TokenStream {
        let flavored = |flavor: Flavor| {
            let proxy = flavor.name(proxy);
            let getters = self.getters.iter().map(|g| proxy_getter(g, self_ty, flavor));
            let setters = self.setters.iter().map(|s| proxy_setter(s, self_ty, flavor));
            quote! {
                impl #proxy {
                    #(#getters)*
                    #(#setters)*
                }
            }
        };
        let blocking = flavored(Flavor::Blocking);
        let asynchronous = Flavor::Async.emit(flavored(Flavor::Async));
        quote!(#blocking #asynchronous)
    }
}

/// The `invoke_*` function the calls to `accessors` run in.
fn kind_of(accessors: &[Named<'_>]) -> Kind {
    let exclusive = accessors.iter().any(|a| matches!(a.accessor.method.receiver, Receiver::Exclusive));
    if exclusive { Kind::Exclusive } else { Kind::Shared }
}

/// `fn verbose(&self) -> Result<T>`: reads the attribute. Types are checked at their own span
/// with the dispatch table's assertion (reported once), as the proxy's methods do. A getter
/// returning an iterator reads a streamed attribute: `Result<RemoteIter<'_, T>>`.
fn proxy_getter(getter: &Named<'_>, self_ty: Option<&Type>, flavor: Flavor) -> TokenStream {
    let (asyncness, awaited, stream_type) = (flavor.asyncness(), flavor.awaited(), flavor.stream());
    let m = &getter.accessor.method;
    let (ident, name) = (&m.sig.ident, getter.name);
    let Some(ty) = m.output.value() else {
        return TokenStream::new();
    };
    let (output, body, doc) = match &m.stream {
        Some(stream) => {
            let (span, item) = (stream.item.span(), replace_self(&stream.item, self_ty));
            let body = quote_spanned! {span=>
                ::pyro::__private::assert_result::<#item>();
                self.inner.get_attribute_stream::<#item>(#name) #awaited
            };
            let doc = format!(" Reads the remote attribute `{name}` and iterates the items it streams.");
            (quote!(#stream_type<'_, #item>), body, doc)
        }
        None => {
            // A `Remote<T>` attribute arrives as `T`'s typed proxy.
            let replaced = replace_self(&super::remote::client_type_for(ty, flavor), self_ty);
            let body = quote_spanned! {ty.span()=>
                ::pyro::__private::assert_result::<#replaced>();
                self.inner.get_attribute::<#replaced>(#name) #awaited
            };
            (replaced, body, format!(" Reads the remote attribute `{name}`."))
        }
    };
    let doc = default_doc(m, doc);
    let (docs, cfgs) = (&m.docs, &m.cfgs);
    quote! {
        #(#docs)*
        #doc
        #(#cfgs)*
        pub #asyncness fn #ident(&self) -> ::pyro::__private::Result<#output> {
            #body
        }
    }
}

/// `fn set_verbose(&self, value: T) -> Result<()>`: writes the attribute.
fn proxy_setter(setter: &Named<'_>, self_ty: Option<&Type>, flavor: Flavor) -> TokenStream {
    let (asyncness, awaited) = (flavor.asyncness(), flavor.awaited());
    let m = &setter.accessor.method;
    let (ident, name) = (&m.sig.ident, setter.name);
    let Some((arg, param)) = m.args.first().and_then(|arg| Some((arg, arg.ident.as_ref()?))) else {
        return TokenStream::new();
    };
    let ty = replace_self(&arg.ty, self_ty);
    let (span, checked) = match &arg.optional {
        Some(inner) => (inner.span(), replace_self(inner, self_ty)),
        None => (arg.ty.span(), ty.clone()),
    };
    let check = quote_spanned!(span=> ::pyro::__private::assert_argument::<#checked>(););
    let doc = default_doc(m, format!(" Sets the remote attribute `{name}`."));
    let (docs, cfgs) = (&m.docs, &m.cfgs);
    quote! {
        #(#docs)*
        #doc
        #(#cfgs)*
        pub #asyncness fn #ident(&self, #param: #ty) -> ::pyro::__private::Result<()> {
            #check
            self.inner.set_attribute(#name, &#param) #awaited
        }
    }
}

/// `doc` when the accessor has no doc comment of its own.
fn default_doc(m: &Method, doc: String) -> Option<TokenStream> {
    let has_doc = m.docs.iter().any(|a| a.path().is_ident("doc"));
    (!has_doc).then(|| quote!(#[doc = #doc]))
}
