//! The rules: what `#[pyro::expose]` accepts. Each broken rule is reported at the user's span
//! into the [`Ctxt`]; invalid methods are dropped from the model so that the code generated
//! for the rest stays valid (no follow-on errors).

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{GenericParam, Item, TraitItem, Type};

use crate::ast::{ImplBlock, Interface, Method, Output, Receiver, Stream, ungroup};
use crate::ctxt::Ctxt;

mod attributes;
mod varargs;

/// Names the typed proxy defines itself, which an exposed method would clash with.
const PROXY_OWN_METHODS: [&str; 8] =
    ["new", "from_proxy", "proxy", "proxy_mut", "batch", "reconnect", "set_annotations", "set_correlation_id"];

/// Names the typed batch defines itself.
const BATCH_OWN_METHODS: [&str; 2] = ["run", "run_oneway"];

/// Where a method is, which changes some advice.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Impl,
    Interface,
}

/// Checks an inherent impl; keeps only its valid methods. Returns whether the impl itself can
/// be expanded (a dispatch table and a proxy).
pub fn impl_block(cx: &Ctxt, block: &mut ImplBlock) -> bool {
    let before = cx.error_count();
    if !block.item.generics.params.is_empty() {
        cx.error_spanned_by(
            &block.item.generics,
            "#[pyro::expose] cannot expose a generic impl: a served object has one concrete type \
             (expose a wrapper type around the instance you serve)",
        );
    }
    if block.name.is_none() {
        cx.error_spanned_by(&block.item.self_ty, "#[pyro::expose] exposes a named type (`impl Thing { ... }`)");
    }
    // The mistakes above leave nothing to generate; the ones below do not stop the expansion.
    let expandable = cx.error_count() == before;
    for attr in &block.stray_oneway {
        cx.error_spanned_by(
            attr,
            "#[pyro::oneway] is on a method that is not exposed: only `pub` methods taking `&self` or \
             `&mut self` are",
        );
    }
    for marker in &block.stray_accessors {
        cx.error_spanned_by(
            &marker.attr,
            format_args!(
                "{} is on a method that is not exposed: only `pub` methods taking `&self` or `&mut self` are",
                marker.kind.marker()
            ),
        );
    }
    if block.methods.is_empty() && block.accessors.is_empty() {
        let name = block.name.as_ref().map_or_else(|| "this type".to_owned(), |n| format!("`{n}`"));
        cx.error_spanned_by(
            &block.item.self_ty,
            format_args!(
                "#[pyro::expose] found no method to expose on {name}: exposed methods are `pub` and take \
                 `&self` or `&mut self` (a Pyro5 client refuses an object that exposes nothing)"
            ),
        );
    }
    for marker in &block.stray_renames {
        cx.error_spanned_by(
            marker,
            "#[pyro::rename] is on a method that is not exposed: only `pub` methods taking `&self` or \
             `&mut self` are",
        );
    }
    block.methods.retain(|m| method(cx, m, Place::Impl));
    async_and_exclusive(cx, &block.methods, &block.accessors, "a type");
    unique_names(cx, &mut block.methods);
    renamed_accessors(cx, &block.accessors);
    attributes::accessors(cx, &mut block.accessors, &block.methods, Place::Impl);
    expandable
}

/// Checks a trait; keeps only its valid methods. Returns whether the trait itself can be
/// expanded (a dispatch table for `dyn Trait` and a proxy).
pub fn interface(cx: &Ctxt, interface: &mut Interface) -> bool {
    let before = cx.error_count();
    let item = &interface.item;
    if !item.generics.params.is_empty() {
        cx.error_spanned_by(&item.generics, "a remote interface (#[pyro::expose] trait) cannot be generic");
    }
    for trait_item in &item.items {
        match trait_item {
            TraitItem::Fn(_) => {}
            TraitItem::Type(ty) => cx.error_spanned_by(
                &ty.ident,
                "a remote interface (#[pyro::expose] trait) cannot have associated types: \
                 `dyn Trait` must name one type for every implementor",
            ),
            TraitItem::Const(constant) => cx.error_spanned_by(
                &constant.ident,
                "a remote interface (#[pyro::expose] trait) cannot have associated consts: \
                 `dyn Trait` must be a type",
            ),
            other => cx.error_spanned_by(other, "a remote interface (#[pyro::expose] trait) contains only methods"),
        }
    }
    for stream in interface.methods.iter().filter_map(|m| m.stream.as_ref()) {
        if matches!(ungroup(&stream.ty), Type::ImplTrait(_)) {
            cx.error_spanned_by(
                &stream.ty,
                "a remote interface method cannot return `impl Iterator`: a trait with `impl Trait` results has no \
                 `dyn Trait` type to serve; return `Box<dyn Iterator<Item = T> + Send>`",
            );
        }
    }
    // The mistakes above leave nothing to generate; the ones below do not stop the expansion.
    let expandable = cx.error_count() == before;
    if interface.methods.is_empty() && interface.accessors.is_empty() {
        cx.error_spanned_by(
            &item.ident,
            "a remote interface (#[pyro::expose] trait) needs a method: a Pyro5 client refuses an object \
             that exposes nothing",
        );
    }
    interface.methods.retain(|m| method(cx, m, Place::Interface));
    async_and_exclusive(cx, &interface.methods, &interface.accessors, "an interface");
    unique_names(cx, &mut interface.methods);
    renamed_accessors(cx, &interface.accessors);
    attributes::accessors(cx, &mut interface.accessors, &interface.methods, Place::Interface);
    expandable
}

/// Reports `#[pyro::expose]` on something other than an inherent impl or a trait.
pub fn unsupported(cx: &Ctxt, item: &Item) {
    const WHERE: &str = "#[pyro::expose] goes on an inherent impl block (`impl Thing { ... }`) or on a trait";
    match item {
        Item::Impl(item) => {
            let trait_path = item.trait_.as_ref().map(|(_, path, _)| path);
            let name = trait_path.and_then(|p| p.segments.last()).map(|s| s.ident.to_string()).unwrap_or_default();
            cx.error_spanned_by(
                trait_path,
                format_args!(
                    "{WHERE}, not on a trait impl: put it on `trait {name}` itself to make the trait a remote \
                     interface, or on an inherent `impl` block"
                ),
            );
        }
        Item::Fn(function) if function.sig.receiver().is_some() => cx.error_spanned_by(
            &function.sig.ident,
            format_args!(
                "{WHERE}, not on a method: put it on the impl block, which exposes every `pub` method \
                 taking `&self` or `&mut self`"
            ),
        ),
        Item::Fn(function) => cx.error_spanned_by(&function.sig.ident, format_args!("{WHERE}, not on a function")),
        Item::Struct(item) => cx.error_spanned_by(
            &item.ident,
            format_args!("{WHERE}, not on a struct: put it on the struct's `impl` block"),
        ),
        Item::Enum(item) => {
            cx.error_spanned_by(&item.ident, format_args!("{WHERE}, not on an enum: put it on the enum's `impl` block"))
        }
        other => cx.error_spanned_by(other, WHERE),
    }
}

/// An impl or trait with `async fn` methods serves its object without a lock (async methods own
/// a handle on it while they run): no other method may take `&mut self`. `what` is "a type" or
/// "an interface".
fn async_and_exclusive(cx: &Ctxt, methods: &[Method], accessors: &[crate::ast::Accessor], what: &str) {
    let Some(first) = methods.iter().find(|m| m.sig.asyncness.is_some()) else { return };
    let exclusive =
        methods.iter().chain(accessors.iter().map(|a| &a.method)).filter(|m| matches!(m.receiver, Receiver::Exclusive));
    for m in exclusive {
        cx.error_spanned_by(
            &m.sig.ident,
            format_args!(
                "`{}` takes `&mut self`, but `{}` is an `async fn`: {what} with exposed async methods is served \
                 without a lock (its async methods hold a handle on it while they await), so every exposed \
                 method takes `&self`; keep the mutable state behind a lock of its own (a `Mutex` field)",
                m.sig.ident, first.sig.ident
            ),
        );
    }
}

/// Reports a method whose wire name (after `#[pyro::rename]`) another method already has, and
/// drops it.
fn unique_names(cx: &Ctxt, methods: &mut Vec<Method>) {
    let mut seen = std::collections::HashSet::new();
    methods.retain(|m| {
        if seen.insert(m.name.clone()) {
            return true;
        }
        let message = format!("another exposed method is already called `{}` by remote callers", m.name);
        match &m.renamed {
            Some(renamed) => cx.error_spanned_by(renamed, message),
            None => cx.error_spanned_by(&m.sig.ident, message),
        }
        false
    });
}

/// Reports `#[pyro::rename]` on a getter or setter, which names its attribute with `name = "..."`.
fn renamed_accessors(cx: &Ctxt, accessors: &[crate::ast::Accessor]) {
    for accessor in accessors {
        if let Some(renamed) = &accessor.method.renamed {
            cx.error_spanned_by(
                renamed,
                format_args!(
                    "a {} names its attribute with `name = \"...\"`, not #[pyro::rename]",
                    accessor.kind.marker()
                ),
            );
        }
    }
}

/// Checks one exposed method; `true` when it is valid.
fn method(cx: &Ctxt, method: &Method, place: Place) -> bool {
    let before = cx.error_count();
    let sig = &method.sig;
    let keep_local = match place {
        Place::Impl => {
            " (to keep this method local, make it non-`pub` or move it to an impl block without #[pyro::expose])"
        }
        Place::Interface => "",
    };
    match &method.receiver {
        Receiver::Shared | Receiver::Exclusive => {}
        Receiver::Other(receiver) => cx.error_spanned_by(
            receiver,
            format_args!(
                "an exposed method takes `&self` or `&mut self`, not `{}`: a remote call cannot consume or \
                 share the object{keep_local}",
                receiver_text(receiver)
            ),
        ),
        Receiver::Missing => {
            // Not a method at all: the other rules would only add noise.
            cx.error_spanned_by(
                &sig.ident,
                format_args!(
                    "a remote interface method takes `&self` or `&mut self`: `{}` has no receiver, so a remote \
                     caller cannot call it (move it to another trait)",
                    method.name
                ),
            );
            return false;
        }
    }
    match (crate::rename::refusal(&method.name), &method.renamed) {
        (None, _) => {}
        (Some(refusal), Some(renamed)) => cx.error_spanned_by(renamed, refusal),
        (Some(refusal), None) => cx.error_spanned_by(&sig.ident, format_args!("{refusal}{keep_local}")),
    }
    let own = if PROXY_OWN_METHODS.contains(&method.name.as_str()) {
        Some("proxy")
    } else {
        BATCH_OWN_METHODS.contains(&method.name.as_str()).then_some("batch")
    };
    if let Some(generated) = own {
        cx.error_spanned_by(
            &sig.ident,
            format_args!(
                "an exposed method cannot be named `{}`: the typed {generated} has its own `{}`; rename the method",
                method.name, method.name
            ),
        );
    }
    if let (Some(asyncness), Receiver::Exclusive) = (&sig.asyncness, &method.receiver) {
        cx.error_spanned_by(
            asyncness,
            "an exposed `async fn` takes `&self`, not `&mut self`: the object's exclusive lock would be held \
             across every await, stalling all other callers while the method waits; keep the mutable state \
             behind a lock of its own (e.g. a `tokio::sync::Mutex` field) and take `&self`",
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        cx.error_spanned_by(
            unsafety,
            "an `unsafe fn` cannot be exposed: a remote caller cannot uphold its safety contract",
        );
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(variadic, "a variadic method cannot be exposed");
    }
    generics(cx, method);
    contexts(cx, method);
    varargs::extra_arguments(cx, method);
    varargs::blob_argument(cx, method);
    for arg in &method.args {
        if arg.ident.is_none() {
            cx.error_spanned_by(
                &arg.pat,
                "an exposed method's argument is a plain name (`name: Type`): the name is also the keyword a \
                 caller may pass it by",
            );
        }
        argument_type(cx, &arg.ty, place);
    }
    match (&method.output, &method.oneway) {
        (Output::Unit, _) => {}
        (Output::Value(ty) | Output::Result { ty, .. }, Some(_)) => cx.error_spanned_by(
            ty,
            "a #[pyro::oneway] method returns `()`: its caller does not wait for a result (nor an error)",
        ),
        (Output::Value(_) | Output::Result { .. }, None) => match (&method.stream, method.output.value()) {
            (Some(stream), _) => stream_type(cx, stream, place),
            (None, Some(ty)) => result_type(cx, ty, place),
            (None, None) => {}
        },
    }
    cx.error_count() == before
}

/// Call-context parameters: at most one, by reference.
fn contexts(cx: &Ctxt, method: &Method) {
    for context in method.contexts.iter().filter(|c| !c.by_reference) {
        cx.error_spanned_by(
            &context.ty,
            "the call context is lent to the method for the call: take it as `&CallContext` (to read it) or \
             `&mut CallContext` (to set response annotations)",
        );
    }
    for extra in method.contexts.iter().skip(1) {
        cx.error_spanned_by(
            &extra.ty,
            "an exposed method takes the call context once: remove this second `CallContext` parameter \
             (a `&mut CallContext` reads it too)",
        );
    }
}

/// Generic methods: type and const parameters always; lifetime parameters when the arguments
/// or the result use them (a lifetime only on the receiver is harmless).
fn generics(cx: &Ctxt, method: &Method) {
    for param in &method.sig.generics.params {
        match param {
            GenericParam::Lifetime(lifetime) => {
                let name = lifetime.lifetime.ident.to_string();
                let in_args = method.args.iter().any(|a| mentions_lifetime(a.ty.to_token_stream(), &name));
                let in_output = mentions_lifetime(method.sig.output.to_token_stream(), &name);
                if in_args || in_output {
                    cx.error_spanned_by(
                        param,
                        "an exposed method cannot be generic over a lifetime of its arguments or result: \
                         arguments arrive and results leave by value",
                    );
                }
            }
            GenericParam::Type(_) | GenericParam::Const(_) => cx.error_spanned_by(
                param,
                "an exposed method cannot be generic: a remote caller's arguments decode into concrete types",
            ),
        }
    }
}

fn argument_type(cx: &Ctxt, ty: &Type, place: Place) {
    if find_keyword(ty.to_token_stream(), "impl").is_some() {
        cx.error_spanned_by(
            ty,
            "`impl Trait` cannot be an exposed method's argument type: a remote caller's arguments decode \
             into one concrete type; name it",
        );
    } else if contains_reference(ty) {
        cx.error_spanned_by(
            ty,
            format_args!(
                "an exposed method's argument cannot be a reference: arguments arrive by value; {}",
                owned_advice(ty)
            ),
        );
    }
    if place == Place::Interface && find_keyword(ty.to_token_stream(), "Self").is_some() {
        cx.error_spanned_by(
            ty,
            "a remote interface method cannot mention `Self`: a remote caller does not know the implementing type",
        );
    }
}

fn result_type(cx: &Ctxt, ty: &Type, place: Place) {
    if find_keyword(ty.to_token_stream(), "impl").is_some() {
        cx.error_spanned_by(
            ty,
            "`impl Trait` cannot be an exposed method's result type: the caller decodes one concrete type; name it \
             (to stream items, return `impl Iterator<Item = T> + Send + 'static`)",
        );
    } else if contains_reference(ty) {
        cx.error_spanned_by(
            ty,
            format_args!(
                "an exposed method cannot return a reference: results are sent by value; {}",
                owned_advice(ty)
            ),
        );
    }
    if place == Place::Interface && find_keyword(ty.to_token_stream(), "Self").is_some() {
        cx.error_spanned_by(
            ty,
            "a remote interface method cannot mention `Self`: a remote caller does not know the implementing type",
        );
    }
}

/// An iterator result: the daemon keeps the iterator after the call and fetches its items from
/// any worker thread, so it is `Send + 'static`; each item is a result type.
fn stream_type(cx: &Ctxt, stream: &Stream, place: Place) {
    if place == Place::Interface && matches!(ungroup(&stream.ty), Type::ImplTrait(_)) {
        return; // reported by `interface`, which does not expand the trait then
    }
    if !stream.send {
        cx.error_spanned_by(
            &stream.ty,
            "a streamed result must be `Send`: the daemon fetches its items later, on any worker thread; \
             write `impl Iterator<Item = T> + Send + 'static`",
        );
    }
    if !stream.is_static {
        cx.error_spanned_by(
            &stream.ty,
            "a streamed result must be `'static`: the daemon keeps the iterator after the method returns, so it \
             cannot borrow `self` or the arguments; write `impl Iterator<Item = T> + Send + 'static` and move what \
             it needs into it",
        );
    }
    result_type(cx, &stream.item, place);
}

/// What to use instead of a reference type.
fn owned_advice(ty: &Type) -> String {
    let Type::Reference(reference) = ungroup(ty) else {
        return "use an owned type (`String` for `&str`, `Vec<T>` for `&[T]`)".to_owned();
    };
    match ungroup(&reference.elem) {
        Type::Path(path) if path.path.is_ident("str") => "use `String` instead of `&str`".to_owned(),
        Type::Slice(slice) => format!("use `Vec<{}>` instead of `{}`", slice.elem.to_token_stream(), compact(ty)),
        elem => format!("use `{}` instead of `{}`", compact(elem), compact(ty)),
    }
}

/// A receiver as the user would write it (`self: Box<Self>`).
fn receiver_text(receiver: &syn::Receiver) -> String {
    let mutability = if receiver.mutability.is_some() { "mut " } else { "" };
    match (&receiver.reference, &receiver.colon_token) {
        (None, None) => format!("{mutability}self"),
        _ => format!("{mutability}self: {}", compact(&receiver.ty)),
    }
}

/// A type as the user would write it (`&[u8]`, not `& [u8]`).
fn compact(ty: &Type) -> String {
    let text = ty.to_token_stream().to_string();
    text.replace("& ", "&")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace(" :: ", "::")
}

fn find_keyword(tokens: TokenStream, word: &str) -> Option<proc_macro2::Ident> {
    tokens.into_iter().find_map(|token| match token {
        TokenTree::Ident(ident) if ident == word => Some(ident),
        TokenTree::Group(group) => find_keyword(group.stream(), word),
        _ => None,
    })
}

fn contains_reference(ty: &Type) -> bool {
    fn ampersand(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|token| match token {
            TokenTree::Punct(punct) => punct.as_char() == '&',
            TokenTree::Group(group) => ampersand(group.stream()),
            _ => false,
        })
    }
    ampersand(ty.to_token_stream())
}

/// Whether `tokens` use the lifetime `'name`.
fn mentions_lifetime(tokens: TokenStream, name: &str) -> bool {
    let mut after_quote = false;
    for token in tokens {
        match token {
            TokenTree::Punct(punct) => after_quote = punct.as_char() == '\'',
            TokenTree::Ident(ident) => {
                if after_quote && ident == name {
                    return true;
                }
                after_quote = false;
            }
            TokenTree::Group(group) => {
                if mentions_lifetime(group.stream(), name) {
                    return true;
                }
                after_quote = false;
            }
            TokenTree::Literal(_) => after_quote = false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::{mentions_lifetime, owned_advice};

    #[test]
    fn advice_names_the_owned_type() {
        assert_eq!(owned_advice(&parse_quote!(&str)), "use `String` instead of `&str`");
        assert_eq!(owned_advice(&parse_quote!(&[u8])), "use `Vec<u8>` instead of `&[u8]`");
        assert_eq!(owned_advice(&parse_quote!(&mut Vec<u8>)), "use `Vec<u8>` instead of `&mut Vec<u8>`");
        assert!(owned_advice(&parse_quote!(Option<&str>)).starts_with("use an owned type"));
    }

    #[test]
    fn lifetimes_are_found_by_name() {
        assert!(mentions_lifetime(quote::quote!(Cow<'a, str>), "a"));
        assert!(!mentions_lifetime(quote::quote!(Cow<'b, str>), "a"));
        assert!(!mentions_lifetime(quote::quote!(a::Thing), "a"));
    }
}
