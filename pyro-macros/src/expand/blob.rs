//! Methods taking a `pyro::SerializedBlob`: the typed proxy sends the blob as Pyro5 does
//! (`Proxy::call_blob`: KEEPSERIALIZED, with the `BLBI` annotation).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Ident, Type};

use crate::ast::{Method, ungroup};

/// Whether `ty` names `SerializedBlob`.
pub fn is_blob(ty: &Type) -> bool {
    matches!(ungroup(ty), Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|s| s.ident == "SerializedBlob" && s.arguments.is_empty()))
}

/// The blob parameter, when it is the method's only one.
pub fn blob_param(m: &Method) -> Option<&Ident> {
    match m.args.as_slice() {
        [only] if is_blob(&only.ty) => only.ident.as_ref(),
        _ => None,
    }
}

/// The typed proxy's call of a blob method, returning `output`.
pub fn proxy_call(name: &str, param: &Ident, output: &TokenStream) -> TokenStream {
    quote!(self.inner.call_blob::<#output>(#name, &#param))
}
