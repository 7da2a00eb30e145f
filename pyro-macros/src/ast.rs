//! The typed model of `#[pyro::expose]`'s input: an inherent impl block or a trait, and the
//! methods and remote attributes it exposes. Building it only describes the input (and strips
//! the `#[pyro::oneway]`, `#[pyro::getter]` and `#[pyro::setter]` markers); the rules live in
//! [`crate::check`].

use syn::ext::IdentExt;
use syn::punctuated::Punctuated;
use syn::{
    Attribute, FnArg, GenericArgument, Ident, ImplItem, Item, ItemImpl, ItemTrait, Pat, PathArguments, ReturnType,
    Signature, Token, TraitItem, Type, TypeParamBound, Visibility,
};

use crate::attr::{self, AccessorAttr, AccessorKind};
use crate::ctxt::Ctxt;

/// What `#[pyro::expose]` was put on.
pub enum Input {
    /// An inherent impl block: exposes the type's `pub` methods taking `&self` or `&mut self`.
    Impl(ImplBlock),
    /// A trait: a remote interface, exposing all its methods.
    Interface(Interface),
    /// Anything else (an error).
    Unsupported(Item),
}

/// `impl Thing { ... }`.
pub struct ImplBlock {
    /// The impl as the user wrote it, minus the `#[pyro::oneway]` markers.
    pub item: ItemImpl,
    /// The type's name (last path segment of the self type), if the self type is a path.
    pub name: Option<Ident>,
    /// The exposed methods: `pub`, with a `self` receiver (whether valid or not).
    pub methods: Vec<Method>,
    /// The exposed methods marked `#[pyro::getter]` or `#[pyro::setter]` (not in `methods`).
    pub accessors: Vec<Accessor>,
    /// `#[pyro::oneway]` markers found on methods that are not exposed.
    pub stray_oneway: Vec<Attribute>,
    /// `#[pyro::getter]`/`#[pyro::setter]` markers found on methods that are not exposed.
    pub stray_accessors: Vec<AccessorAttr>,
    /// `#[pyro::rename]` markers found on methods that are not exposed.
    pub stray_renames: Vec<Attribute>,
}

/// `trait Calculator { ... }`.
pub struct Interface {
    /// The trait as the user wrote it, minus the `#[pyro::oneway]` markers.
    pub item: ItemTrait,
    /// Its methods (all of them are exposed), but the getters and setters.
    pub methods: Vec<Method>,
    /// Its methods marked `#[pyro::getter]` or `#[pyro::setter]`.
    pub accessors: Vec<Accessor>,
}

/// A getter or setter of a remote attribute (Pyro5's exposed property).
pub struct Accessor {
    /// Getter or setter.
    pub kind: AccessorKind,
    /// The `#[pyro::getter]`/`#[pyro::setter]` marker (for spans).
    pub marker: Attribute,
    /// The `name = "..."` argument, if given.
    pub explicit_name: Option<syn::LitStr>,
    /// The attribute's name: `name = "..."`, else the method's name (a setter's without its
    /// `set_` prefix); `None` for a setter whose name has no `set_` prefix to remove.
    pub name: Option<String>,
    /// The method itself (its name is the Rust one).
    pub method: Method,
}

/// One exposed method.
#[derive(Clone)]
pub struct Method {
    /// The signature as written (rules look at it).
    pub sig: Signature,
    /// The name on the wire (`r#type` is `type`, or the `#[pyro::rename("...")]` name).
    pub name: String,
    /// The `#[pyro::rename("...")]` name, if given.
    pub renamed: Option<syn::LitStr>,
    /// Which receiver it takes.
    pub receiver: Receiver,
    /// Its parameters after the receiver, but the call context: what the caller sends.
    pub args: Vec<Arg>,
    /// Its call-context parameters (`&CallContext`, `&mut CallContext`, or `CallContext` by
    /// value, which is an error), in order; more than one is an error.
    pub contexts: Vec<ContextParam>,
    /// What it returns.
    pub output: Output,
    /// The iterator it returns, when its result (or `Ok` result) is an item stream.
    pub stream: Option<Stream>,
    /// The `#[pyro::oneway]` marker, if any.
    pub oneway: Option<Attribute>,
    /// Whether it has the `#[pyro::callback]` marker.
    pub callback: bool,
    /// Doc comments and `#[deprecated]` (copied onto the proxy method).
    pub docs: Vec<Attribute>,
    /// `#[cfg]`s (copied onto everything generated for the method).
    pub cfgs: Vec<Attribute>,
}

/// A method's receiver.
#[derive(Clone)]
pub enum Receiver {
    /// `&self` (or `self: &Self`).
    Shared,
    /// `&mut self` (or `self: &mut Self`).
    Exclusive,
    /// Anything else with `self`: by value, `Box<Self>`, ... (an error).
    Other(syn::Receiver),
    /// No receiver (an error in a trait; not exposed in an impl).
    Missing,
}

/// An iterator result, streamed item by item: `impl Iterator<Item = T> + Send + 'static` or
/// `Box<dyn Iterator<Item = T> + Send>`, where items may be `Result<T, E>` (an `Err` ends the
/// stream with that exception).
#[derive(Clone)]
pub struct Stream {
    /// The iterator type as written.
    pub ty: Type,
    /// `T`: what each item sends.
    pub item: Type,
    /// `E` of `Result<T, E>` items (`None` for an alias like `pyro::Result<T>`), when fallible.
    pub fallible: Option<Option<Type>>,
    /// Whether the bounds say `Send`.
    pub send: bool,
    /// Whether the iterator is `'static` (`+ 'static` on `impl`; `Box<dyn ...>` is, unless it
    /// names another lifetime).
    pub is_static: bool,
}

impl Stream {
    /// The stream `ty` describes, if it is an iterator type of one of the two forms.
    pub fn of(ty: &Type) -> Option<Stream> {
        let (bounds, dynamic) = match ungroup(ty) {
            Type::ImplTrait(imp) => (&imp.bounds, false),
            other => match generic_argument(other, "Box", 1).map(ungroup) {
                Some(Type::TraitObject(object)) => (&object.bounds, true),
                _ => return None,
            },
        };
        let item = iterator_item(bounds)?;
        let lifetimes: Vec<String> = bounds
            .iter()
            .filter_map(|bound| match bound {
                TypeParamBound::Lifetime(lifetime) => Some(lifetime.ident.to_string()),
                _ => None,
            })
            .collect();
        let is_static =
            if dynamic { lifetimes.iter().all(|l| l == "static") } else { lifetimes.iter().any(|l| l == "static") };
        let send = bounds.iter().any(|bound| {
            matches!(bound, TypeParamBound::Trait(t) if t.path.segments.last().is_some_and(|s| s.ident == "Send"))
        });
        let (item, fallible) = match (generic_argument(item, "Result", 1), generic_argument(item, "Result", 2)) {
            (Some(ok), _) => (ok.clone(), Some(None)),
            (None, Some(ok)) => (ok.clone(), Some(type_arguments(item).get(1).map(|e| (*e).clone()))),
            (None, None) => (item.clone(), None),
        };
        Some(Stream { ty: ty.clone(), item, fallible, send, is_static })
    }
}

/// `T` of an `Iterator<Item = T>` bound.
fn iterator_item(bounds: &Punctuated<TypeParamBound, Token![+]>) -> Option<&Type> {
    bounds.iter().find_map(|bound| {
        let TypeParamBound::Trait(bound) = bound else { return None };
        let last = bound.path.segments.last()?;
        let PathArguments::AngleBracketed(generics) = &last.arguments else { return None };
        if last.ident != "Iterator" {
            return None;
        }
        generics.args.iter().find_map(|arg| match arg {
            GenericArgument::AssocType(assoc) if assoc.ident == "Item" => Some(&assoc.ty),
            _ => None,
        })
    })
}

/// One parameter.
#[derive(Clone)]
pub struct Arg {
    /// The pattern as written.
    pub pat: Pat,
    /// The name, when the pattern is a plain identifier (also the keyword a caller may use).
    pub ident: Option<Ident>,
    /// The type as written.
    pub ty: Type,
    /// `T` when the type is `Option<T>`: the caller may leave the argument out.
    pub optional: Option<Type>,
    /// When the type is `VarArgs<T>` or `KwArgs<T>`: the call's extra arguments.
    pub extra: Option<Extra>,
}

/// A parameter taking a call's extra arguments (Python's `*args` or `**kwargs`).
#[derive(Clone)]
pub struct Extra {
    /// Positional (`VarArgs`) or keyword (`KwArgs`).
    pub keyword: bool,
    /// `T` (`pyro::Value` when the type names none).
    pub item: Option<Type>,
}

/// A parameter asking for the call's context: its type's last path segment is `CallContext`
/// (`&CallContext`, `&mut pyro::CallContext`, ...). It is not sent on the wire: the dispatch
/// table passes the context of the call there.
#[derive(Clone)]
pub struct ContextParam {
    /// Its place among the parameters after the receiver (the call passes the context there).
    pub position: usize,
    /// The type as written (for spans).
    pub ty: Type,
    /// Whether it is a reference (`&` or `&mut`); by value is an error.
    pub by_reference: bool,
}

impl ContextParam {
    /// The context parameter `ty` declares at `position`, if it is one.
    fn of(position: usize, ty: &Type) -> Option<ContextParam> {
        let (inner, by_reference) = match ungroup(ty) {
            Type::Reference(reference) => (&*reference.elem, true),
            other => (other, false),
        };
        let Type::Path(path) = ungroup(inner) else { return None };
        let last = path.path.segments.last()?;
        (path.qself.is_none() && last.ident == "CallContext" && last.arguments.is_none()).then(|| ContextParam {
            position,
            ty: ty.clone(),
            by_reference,
        })
    }
}

/// What a method returns.
#[derive(Clone)]
pub enum Output {
    /// Nothing (`()`): the caller receives None.
    Unit,
    /// A value.
    Value(Type),
    /// `Result<T, E>` (or an alias like `pyro::Result<T>`): `Ok` is the result, `Err` the
    /// exception raised in the caller.
    Result {
        /// The whole return type.
        ty: Type,
        /// `T`.
        ok: Box<Type>,
        /// `E`, when written (`Result<T, E>`; an alias like `pyro::Result<T>` names it itself).
        err: Option<Box<Type>>,
    },
}

impl Input {
    /// Models `item`, stripping the `#[pyro::oneway]` markers from its methods.
    pub fn from_item(cx: &Ctxt, item: Item) -> Input {
        match item {
            Item::Impl(item) if item.trait_.is_none() => Input::Impl(ImplBlock::from_item(cx, item)),
            Item::Trait(item) => Input::Interface(Interface::from_item(cx, item)),
            other => Input::Unsupported(other),
        }
    }
}

impl ImplBlock {
    fn from_item(cx: &Ctxt, mut item: ItemImpl) -> ImplBlock {
        let name = match &*item.self_ty {
            Type::Path(path) if path.qself.is_none() => path.path.segments.last().map(|s| s.ident.clone()),
            _ => None,
        };
        let (mut methods, mut accessors) = (Vec::new(), Vec::new());
        let (mut stray_oneway, mut stray_accessors, mut stray_renames) = (Vec::new(), Vec::new(), Vec::new());
        for impl_item in &mut item.items {
            let ImplItem::Fn(method) = impl_item else { continue };
            let oneway = attr::take_oneway(cx, &mut method.attrs);
            let accessor = attr::take_accessor(cx, &mut method.attrs);
            let rename = crate::rename::take_rename(cx, &mut method.attrs);
            let exposed = matches!(method.vis, Visibility::Public(_)) && method.sig.receiver().is_some();
            if exposed {
                let callback = crate::expand::callback::take_marker(cx, &mut method.attrs);
                let mut method = Method::new(&method.sig, &method.attrs, oneway, rename);
                method.callback = callback;
                if callback && accessor.is_some() {
                    cx.error_spanned_by(
                        &method.sig.ident,
                        "#[pyro::callback] goes on a method, not on a getter or setter",
                    );
                }
                match accessor {
                    Some(marker) => accessors.push(Accessor::new(marker, method)),
                    None => methods.push(method),
                }
            } else {
                stray_oneway.extend(oneway);
                stray_accessors.extend(accessor);
                stray_renames.extend(rename.map(|(marker, _)| marker));
            }
        }
        ImplBlock { item, name, methods, accessors, stray_oneway, stray_accessors, stray_renames }
    }
}

impl Interface {
    fn from_item(cx: &Ctxt, mut item: ItemTrait) -> Interface {
        let (mut methods, mut accessors) = (Vec::new(), Vec::new());
        for trait_item in &mut item.items {
            let TraitItem::Fn(method) = trait_item else { continue };
            let oneway = attr::take_oneway(cx, &mut method.attrs);
            let accessor = attr::take_accessor(cx, &mut method.attrs);
            let rename = crate::rename::take_rename(cx, &mut method.attrs);
            let callback = crate::expand::callback::take_marker(cx, &mut method.attrs);
            let mut method = Method::new(&method.sig, &method.attrs, oneway, rename);
            method.callback = callback;
            if callback && accessor.is_some() {
                cx.error_spanned_by(&method.sig.ident, "#[pyro::callback] goes on a method, not on a getter or setter");
            }
            match accessor {
                Some(marker) => accessors.push(Accessor::new(marker, method)),
                None => methods.push(method),
            }
        }
        Interface { item, methods, accessors }
    }
}

impl Method {
    fn new(
        sig: &Signature,
        attrs: &[Attribute],
        oneway: Option<Attribute>,
        rename: Option<(Attribute, syn::LitStr)>,
    ) -> Method {
        let receiver = match sig.receiver() {
            None => Receiver::Missing,
            Some(receiver) => match &*receiver.ty {
                Type::Reference(reference) if is_self(&reference.elem) => match reference.mutability {
                    Some(_) => Receiver::Exclusive,
                    None => Receiver::Shared,
                },
                _ => Receiver::Other(receiver.clone()),
            },
        };
        let (mut args, mut contexts) = (Vec::new(), Vec::new());
        let typed = sig.inputs.iter().filter_map(|input| match input {
            FnArg::Typed(typed) => Some(typed),
            FnArg::Receiver(_) => None,
        });
        for (position, typed) in typed.enumerate() {
            match ContextParam::of(position, &typed.ty) {
                Some(context) => contexts.push(context),
                None => args.push(Arg::new(&typed.pat, &typed.ty)),
            }
        }
        let output = match &sig.output {
            ReturnType::Default => Output::Unit,
            ReturnType::Type(_, ty) => Output::new(ty),
        };
        let (docs, cfgs) = attr::docs_and_cfgs(attrs);
        let stream = output.value().and_then(Stream::of);
        let renamed = rename.map(|(_, name)| name);
        let name = renamed.as_ref().map_or_else(|| sig.ident.unraw().to_string(), syn::LitStr::value);
        Method {
            sig: sig.clone(),
            name,
            renamed,
            receiver,
            args,
            contexts,
            output,
            stream,
            oneway,
            callback: false,
            docs,
            cfgs,
        }
    }
}

impl Accessor {
    fn new(marker: AccessorAttr, method: Method) -> Accessor {
        let AccessorAttr { kind, attr, name: explicit_name } = marker;
        let name = match (&explicit_name, kind) {
            (Some(name), _) => Some(name.value()),
            (None, AccessorKind::Getter) => Some(method.name.clone()),
            (None, AccessorKind::Setter) => method.name.strip_prefix("set_").map(str::to_owned),
        };
        Accessor { kind, marker: attr, explicit_name, name, method }
    }
}

impl Arg {
    fn new(pat: &Pat, ty: &Type) -> Arg {
        let ident = match pat {
            Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => Some(ident.ident.clone()),
            _ => None,
        };
        let extra = ["VarArgs", "KwArgs"].iter().find_map(|name| {
            let Type::Path(path) = ungroup(ty) else { return None };
            let last = path.path.segments.last().filter(|last| last.ident == name && path.qself.is_none())?;
            let item = match &last.arguments {
                PathArguments::None => None,
                _ => Some(generic_argument(ty, name, 1)?.clone()),
            };
            Some(Extra { keyword: *name == "KwArgs", item })
        });
        Arg { pat: pat.clone(), ident, ty: ty.clone(), optional: generic_argument(ty, "Option", 1).cloned(), extra }
    }
}

impl Output {
    /// The type of the value sent back: the return type, or `T` of `Result<T, E>`.
    pub fn value(&self) -> Option<&Type> {
        match self {
            Output::Unit => None,
            Output::Value(ty) => Some(ty),
            Output::Result { ok, .. } => Some(ok),
        }
    }

    fn new(ty: &Type) -> Output {
        if matches!(ty, Type::Tuple(tuple) if tuple.elems.is_empty()) {
            return Output::Unit;
        }
        if let Some(ok) = generic_argument(ty, "Result", 1) {
            return Output::Result { ty: ty.clone(), ok: Box::new(ok.clone()), err: None };
        }
        match (generic_argument(ty, "Result", 2), type_arguments(ty).get(1)) {
            (Some(ok), Some(err)) => {
                Output::Result { ty: ty.clone(), ok: Box::new(ok.clone()), err: Some(Box::new((*err).clone())) }
            }
            _ => Output::Value(ty.clone()),
        }
    }
}

/// The first type argument of `ty` when `ty` is a path whose last segment is `name` with exactly
/// `count` generic arguments (`Option<T>`, `Result<T, E>`, `pyro::Result<T>`, ...).
fn generic_argument<'a>(ty: &'a Type, name: &str, count: usize) -> Option<&'a Type> {
    let Type::Path(path) = ungroup(ty) else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    let PathArguments::AngleBracketed(generics) = &last.arguments else { return None };
    if last.ident != name || generics.args.len() != count {
        return None;
    }
    match generics.args.first()? {
        GenericArgument::Type(first) => Some(first),
        _ => None,
    }
}

/// The type arguments of `ty`'s last path segment.
fn type_arguments(ty: &Type) -> Vec<&Type> {
    let Type::Path(path) = ungroup(ty) else { return Vec::new() };
    let Some(PathArguments::AngleBracketed(generics)) = path.path.segments.last().map(|s| &s.arguments) else {
        return Vec::new();
    };
    generics
        .args
        .iter()
        .filter_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect()
}

/// `ty` without invisible groups (types passed through `macro_rules!`).
pub fn ungroup(mut ty: &Type) -> &Type {
    while let Type::Group(group) = ty {
        ty = &group.elem;
    }
    ty
}

/// Whether `ty` is `Self`.
fn is_self(ty: &Type) -> bool {
    matches!(ungroup(ty), Type::Path(path) if path.qself.is_none() && path.path.is_ident("Self"))
}
