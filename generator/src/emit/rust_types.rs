//! Rust type expressions and doc comments shared by every emitter.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ir::{Api, TypeRef, TypeSpace};

/// The Rust type for a [`TypeRef`], as tokens.
pub fn rust_type(types: &TypeSpace, t: &TypeRef) -> TokenStream {
    match t {
        TypeRef::String => quote!(String),
        TypeRef::Integer => quote!(i64),
        TypeRef::Integer32 => quote!(i32),
        TypeRef::Number => quote!(f64),
        TypeRef::Boolean => quote!(bool),
        TypeRef::Uuid => quote!(Uuid),
        TypeRef::DateTime => quote!(Timestamp),
        TypeRef::Json => quote!(serde_json::Value),
        TypeRef::Named(id) => {
            let name = format_ident!("{}", types.get(*id).name);
            quote!(#name)
        }
        TypeRef::Vec(inner) => {
            let inner = rust_type(types, inner);
            quote!(Vec<#inner>)
        }
        TypeRef::Map(inner) => {
            let inner = rust_type(types, inner);
            quote!(BTreeMap<String, #inner>)
        }
    }
}

/// The Rust type as text (for `check` and `events` output).
pub fn type_display(api: &Api, t: &TypeRef) -> String {
    rust_type(&api.types, t)
        .to_string()
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace(" , ", ", ")
}

/// An identifier that may be a raw identifier (`r#type`).
pub fn ident(name: &str) -> proc_macro2::Ident {
    match name.strip_prefix("r#") {
        Some(raw) => proc_macro2::Ident::new_raw(raw, proc_macro2::Span::call_site()),
        None => proc_macro2::Ident::new(name, proc_macro2::Span::call_site()),
    }
}

/// `#[doc = "..."]` lines for a description, or nothing.
pub fn doc_attrs(doc: Option<&str>) -> TokenStream {
    let lines = doc_lines(doc);
    quote!(#(#[doc = #lines])*)
}

/// `#![doc = "..."]` lines (module and crate docs).
pub fn inner_doc_attrs(doc: Option<&str>) -> TokenStream {
    let lines = doc_lines(doc);
    quote!(#(#![doc = #lines])*)
}

fn doc_lines(doc: Option<&str>) -> Vec<String> {
    let Some(doc) = doc.map(str::trim).filter(|d| !d.is_empty()) else {
        return vec![];
    };
    doc.lines()
        .map(|l| format!(" {}", escape_doc_line(l.trim_end())))
        .collect()
}

/// Doc text from specs is Markdown written for web pages: keep it, but stop rustdoc from
/// reading stray brackets as links or indented text as code blocks.
fn escape_doc_line(line: &str) -> String {
    let line = line.trim_start();
    // Fenced code in vendor docs is never Rust: keep rustdoc from compiling it as a doctest.
    if let Some(lang) = line.strip_prefix("```") {
        return if lang.trim().is_empty() {
            "```text".into()
        } else {
            format!("```text {}", lang.trim())
        };
    }
    let mut out = String::with_capacity(line.len());
    let bytes: Vec<char> = line.chars().collect();
    for (i, c) in bytes.iter().enumerate() {
        match c {
            '[' if !is_markdown_link(&bytes, i) => out.push_str("\\["),
            ']' if !closes_markdown_link(&bytes, i) => out.push_str("\\]"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(*c),
        }
    }
    out
}

fn is_markdown_link(chars: &[char], open: usize) -> bool {
    let Some(close) = chars[open..]
        .iter()
        .position(|c| *c == ']')
        .map(|p| p + open)
    else {
        return false;
    };
    chars.get(close + 1) == Some(&'(') && chars[close..].contains(&')')
}

fn closes_markdown_link(chars: &[char], close: usize) -> bool {
    chars.get(close + 1) == Some(&'(') && chars[..close].contains(&'[')
}

/// `use` lines for the runtime types a set of type references needs.
pub(crate) fn imports(refs: impl IntoIterator<Item = TypeRef>) -> TokenStream {
    let (mut uuid, mut time, mut map) = (false, false, false);
    let mut stack: Vec<TypeRef> = refs.into_iter().collect();
    while let Some(t) = stack.pop() {
        match t {
            TypeRef::Uuid => uuid = true,
            TypeRef::DateTime => time = true,
            TypeRef::Map(inner) => {
                map = true;
                stack.push(*inner);
            }
            TypeRef::Vec(inner) => stack.push(*inner),
            _ => {}
        }
    }
    let map = map.then(|| {
        quote!(
            use std::collections::BTreeMap;
        )
    });
    let uuid = uuid.then(|| {
        quote!(
            use hookgen_runtime::reexports::uuid::Uuid;
        )
    });
    let time = time.then(|| {
        quote!(
            use hookgen_runtime::Timestamp;
        )
    });
    quote!(#map #uuid #time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_escapes_brackets_and_html_but_keeps_links() {
        assert_eq!(
            escape_doc_line("see [docs](https://x.y) or [note]"),
            "see [docs](https://x.y) or \\[note\\]"
        );
        assert_eq!(escape_doc_line("<b>x</b>"), "&lt;b&gt;x&lt;/b&gt;");
    }
}
