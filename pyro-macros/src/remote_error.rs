//! `#[derive(pyro::RemoteError)]`: the model of the enum, its `#[pyro(class = "...")]`
//! attributes and their rules (errors collected). The code is generated in
//! [`crate::expand::remote_error`].

use syn::{Attribute, Data, DeriveInput, Expr, ExprLit, Fields, Ident, Lit, LitStr, Meta, Type};

use crate::ctxt::Ctxt;

/// The class a variant without `#[pyro(class = "...")]` gets when the enum names none: the
/// class Pyro5 clients rebuild for any error that is not more specific.
pub const DEFAULT_CLASS: &str = "builtins.RuntimeError";

/// The enum, as the derive sees it.
pub struct ErrorEnum {
    /// The enum's name.
    pub ident: Ident,
    /// Its variants, in order (the order in which a received exception is matched).
    pub variants: Vec<Variant>,
}

/// One variant and the exception it is.
pub struct Variant {
    /// The variant's name.
    pub ident: Ident,
    /// The fully qualified Python class.
    pub class: String,
    /// Its fields.
    pub shape: Shape,
}

/// How a variant's fields travel.
pub enum Shape {
    /// No fields: the exception's only argument is the enum's `Display` text.
    Unit,
    /// `Variant(A, B)`: the fields are the exception's arguments, in order.
    Tuple(Vec<Type>),
    /// `Variant { a: A }`: the only argument is the `Display` text; the fields are the
    /// exception's attributes, by name.
    Struct(Vec<(Ident, Type)>),
}

/// Models `input`, reporting every broken rule; `None` when no code can be generated.
pub fn model(cx: &Ctxt, input: &DeriveInput) -> Option<ErrorEnum> {
    let default = class_attribute(cx, &input.attrs);
    let Data::Enum(data) = &input.data else {
        cx.error_spanned_by(
            &input.ident,
            "#[derive(pyro::RemoteError)] goes on an enum: each variant is one Python exception class",
        );
        return None;
    };
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(&input.generics, "#[derive(pyro::RemoteError)] does not support generic enums");
    }
    if data.variants.is_empty() {
        cx.error_spanned_by(&input.ident, "an enum without variants has no exception to raise: add a variant");
    }
    let default = default.unwrap_or_else(|| DEFAULT_CLASS.to_owned());
    let variants = data
        .variants
        .iter()
        .map(|variant| {
            let class = class_attribute(cx, &variant.attrs).unwrap_or_else(|| default.clone());
            let shape = match &variant.fields {
                Fields::Unit => Shape::Unit,
                Fields::Unnamed(fields) => Shape::Tuple(fields.unnamed.iter().map(|f| f.ty.clone()).collect()),
                Fields::Named(fields) => {
                    Shape::Struct(fields.named.iter().filter_map(|f| Some((f.ident.clone()?, f.ty.clone()))).collect())
                }
            };
            if let Shape::Struct(fields) = &shape {
                for (name, _) in fields {
                    if name.to_string().starts_with('_') {
                        cx.error_spanned_by(
                            name,
                            format_args!(
                                "field `{name}` would be the exception attribute `{name}`, which starts with `_`: \
                                 Pyro5 keeps such names for itself (`_pyroTraceback`); rename it"
                            ),
                        );
                    }
                }
            }
            Variant { ident: variant.ident.clone(), class, shape }
        })
        .collect();
    (cx.error_count() == 0).then(|| ErrorEnum { ident: input.ident.clone(), variants })
}

/// The class named by the `#[pyro(class = "...")]` attributes in `attrs`, checked.
fn class_attribute(cx: &Ctxt, attrs: &[Attribute]) -> Option<String> {
    let mut found: Option<String> = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("pyro")) {
        let metas = match attr.parse_args_with(syn::punctuated::Punctuated::<Meta, syn::Token![,]>::parse_terminated) {
            Ok(metas) => metas,
            Err(error) => {
                cx.syn_error(error);
                continue;
            }
        };
        for meta in metas {
            if !meta.path().is_ident("class") {
                cx.error_spanned_by(
                    meta.path(),
                    "unknown #[pyro] argument: the only one is `class = \"module.Class\"` (the Python exception class)",
                );
                continue;
            }
            let Some(class) = class_value(&meta) else {
                cx.error_spanned_by(
                    &meta,
                    "`class` takes the Python class as a string: `class = \"builtins.ValueError\"`",
                );
                continue;
            };
            if found.is_some() {
                cx.error_spanned_by(&meta, "duplicate `class`: an exception has one class");
                continue;
            }
            if let Err(problem) = check_class(&class.value()) {
                cx.error_spanned_by(class, problem);
                continue;
            }
            found = Some(class.value());
        }
    }
    found
}

fn class_value(meta: &Meta) -> Option<&LitStr> {
    match meta {
        Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(ExprLit { lit: Lit::Str(class), .. }) => Some(class),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `class` is a class a Pyro5 client can rebuild: dotted identifiers with a module,
/// no `__` (Pyro5 refuses such names with a `SecurityError`).
fn check_class(class: &str) -> Result<(), String> {
    let parts: Vec<&str> = class.split('.').collect();
    let identifier = |part: &str| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
    };
    if parts.len() < 2 || !parts.iter().all(|p| identifier(p)) {
        return Err(format!(
            "`{class}` is not a qualified Python class: write the module too, e.g. `builtins.ValueError` or \
             `Pyro5.errors.NamingError`"
        ));
    }
    if class.contains("__") {
        return Err(format!(
            "`{class}` contains `__`: a Pyro5 client refuses to rebuild such classes (SecurityError); use a class \
             from an importable module, e.g. `builtins.ValueError`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_class;

    #[test]
    fn classes_need_a_module_and_no_dunder() {
        assert!(check_class("builtins.ValueError").is_ok());
        assert!(check_class("Pyro5.errors.NamingError").is_ok());
        assert!(check_class("ValueError").is_err());
        assert!(check_class("__main__.Oops").is_err());
        assert!(check_class("builtins.").is_err());
        assert!(check_class("a b.C").is_err());
    }
}
