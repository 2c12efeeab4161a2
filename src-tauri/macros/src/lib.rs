//! `#[command]`: a Tauri command (arguments in snake_case, as the UI sends them) that also
//! describes its own TypeScript signature, so the UI's command layer is generated from the
//! Rust function instead of being written again by hand.
//!
//! Hand-written because the crate made for this, tauri-specta, is a release candidate pinned
//! to an exact pre-release of specta and would replace every ts-rs derive in core; this
//! attribute reads the signature and hands the types to ts-rs, which the project already
//! uses for every type that crosses IPC.
//!
//! Beside the function it emits, for tests only, an uninhabited type of the same name (types
//! and functions live in different namespaces) that implements `crate::ipc::Command`.
//! Arguments Tauri supplies itself (`State`, `AppHandle`, windows) are left out; a
//! `Channel<T>` becomes a callback; a `Request` means the command takes a raw body.

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::quote;
use syn::{
    Error, Expr, ExprLit, FnArg, GenericArgument, ItemFn, Lit, Meta, Pat, PathArguments,
    ReturnType, Type, parse_macro_input,
};

/// Marks a Tauri command of the desktop shell. See the crate documentation.
#[proc_macro_attribute]
pub fn command(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return Error::new(Span::call_site(), "#[command] takes no arguments")
            .to_compile_error()
            .into();
    }
    let function = parse_macro_input!(item as ItemFn);
    match expand(&function) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

fn expand(function: &ItemFn) -> syn::Result<proc_macro2::TokenStream> {
    let name = &function.sig.ident;
    let name_text = name.to_string();
    let visibility = &function.vis;
    let docs = doc_text(function);
    let mut args = Vec::new();
    let mut raw_body = false;
    for input in &function.sig.inputs {
        let FnArg::Typed(typed) = input else {
            return Err(Error::new_spanned(input, "a command cannot take self"));
        };
        match last_segment(&typed.ty).as_deref() {
            Some("State" | "AppHandle" | "Window" | "WebviewWindow" | "Webview") => continue,
            Some("Request") => {
                raw_body = true;
                continue;
            }
            _ => {}
        }
        let Pat::Ident(pat) = typed.pat.as_ref() else {
            return Err(Error::new_spanned(
                &typed.pat,
                "name every command argument",
            ));
        };
        let arg_name = pat.ident.to_string();
        let ty = &typed.ty;
        let ts = match channel_message(ty) {
            Some(message) => quote! { types.callback::<#message>() },
            None => quote! { types.add::<#ty>() },
        };
        args.push(quote! { (#arg_name, #ts) });
    }
    let returns = match &function.sig.output {
        ReturnType::Default => quote! { types.add::<()>() },
        ReturnType::Type(_, ty) => {
            let ok = result_ok(ty).unwrap_or(ty);
            quote! { types.add::<#ok>() }
        }
    };
    Ok(quote! {
        #[tauri::command(rename_all = "snake_case")]
        #function

        #[cfg(test)]
        #[allow(non_camel_case_types, dead_code)]
        #[doc = concat!("The IPC signature of [`", #name_text, "()`].")]
        #visibility enum #name {}

        #[cfg(test)]
        impl crate::ipc::Command for #name {
            fn signature(types: &mut crate::ipc::TypeCollector) -> crate::ipc::Signature {
                crate::ipc::Signature {
                    name: #name_text,
                    docs: #docs,
                    args: vec![#(#args),*],
                    raw_body: #raw_body,
                    returns: #returns,
                }
            }
        }
    })
}

/// The function's doc comment, its lines joined.
fn doc_text(function: &ItemFn) -> String {
    let lines: Vec<String> = function
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    lines.join("\n")
}

fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Reference(r) => last_segment(&r.elem),
        _ => None,
    }
}

/// The first type argument of the last path segment of `ty`.
fn first_type_argument(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let PathArguments::AngleBracketed(generics) = &p.path.segments.last()?.arguments else {
        return None;
    };
    generics.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// `T` of `Result<T, E>`.
fn result_ok(ty: &Type) -> Option<&Type> {
    (last_segment(ty).as_deref() == Some("Result"))
        .then(|| first_type_argument(ty))
        .flatten()
}

/// `T` of `Channel<T>`: what the command sends back while it runs.
fn channel_message(ty: &Type) -> Option<&Type> {
    (last_segment(ty).as_deref() == Some("Channel"))
        .then(|| first_type_argument(ty))
        .flatten()
}
