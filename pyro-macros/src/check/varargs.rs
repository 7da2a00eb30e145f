//! Rules for the parameters taking a call's extra arguments (`VarArgs<T>`, `KwArgs<T>`): as in
//! Python's `def f(a, b, *args, **kwargs)`, they come last, `VarArgs` first, one of each. And
//! for a `SerializedBlob` parameter: as in Pyro5, the blob is the call's only argument.

use crate::ast::Method;
use crate::ctxt::Ctxt;

/// Reports extra-arguments parameters out of place or repeated.
pub fn extra_arguments(cx: &Ctxt, method: &Method) {
    let (mut positional, mut keyword) = (false, false);
    for arg in &method.args {
        match &arg.extra {
            None if keyword || positional => cx.error_spanned_by(
                &arg.ty,
                "a parameter after `VarArgs`/`KwArgs`: the extra arguments come last, as Python's `*args` and \
                 `**kwargs` do; move this parameter before them",
            ),
            None => {}
            Some(extra) if extra.keyword => {
                if keyword {
                    cx.error_spanned_by(&arg.ty, "a method takes the extra keyword arguments once: one `KwArgs`");
                }
                keyword = true;
            }
            Some(_) => {
                if positional {
                    cx.error_spanned_by(&arg.ty, "a method takes the extra positional arguments once: one `VarArgs`");
                } else if keyword {
                    cx.error_spanned_by(
                        &arg.ty,
                        "`VarArgs` comes before `KwArgs`, as Python's `*args` before `**kwargs`",
                    );
                }
                positional = true;
            }
        }
    }
}

/// Reports a `SerializedBlob` parameter next to others, and a blob method streaming its result.
pub fn blob_argument(cx: &Ctxt, method: &Method) {
    let blobs: Vec<_> = method.args.iter().filter(|a| crate::expand::is_blob(&a.ty)).collect();
    if let Some(first) = blobs.first() {
        if method.args.len() > 1 {
            cx.error_spanned_by(
                &first.ty,
                "a `SerializedBlob` is the only parameter of its method: Pyro5 sends a blob as the call's one \
                 argument",
            );
        }
        if let Some(stream) = &method.stream {
            cx.error_spanned_by(&stream.ty, "a method taking a `SerializedBlob` cannot stream its result");
        }
    }
}
