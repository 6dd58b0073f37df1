//! Schema types → structs, open enums and unions.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::rust_types::{doc_attrs, ident, rust_type};
use crate::ir::{Api, EnumValue, Field, TypeDef, TypeKind, TypeRef, TypeSpace, Variant};

/// Every named type of the type space, in a stable order.
pub fn types_module(
    api: &Api,
    attributes: &[TokenStream],
    serialize_events: bool,
    gated: bool,
) -> TokenStream {
    let types = &api.types;
    let groups = super::client::group_features(api);
    let gated = gated && !groups.is_empty();
    let item = |t: &TypeDef| {
        let def = type_def(types, t, attributes, serialize_events);
        match t.kind {
            // Aliases take no attributes; an open enum's go inside its declaration.
            TypeKind::Alias(_) | TypeKind::StringEnum { .. } => def,
            _ => quote!(#(#attributes)* #def),
        }
    };
    // A type only one operation group uses lives in that group's module, which compiles with
    // the group's feature; one several groups use compiles with any of them.
    let mut items = Vec::new();
    let mut by_group: Vec<(&str, Vec<TokenStream>)> = Vec::new();
    for t in &types.types {
        match t.groups.as_slice() {
            [] => items.push(item(t)),
            _ if !gated => items.push(item(t)),
            [one] => match by_group.iter_mut().find(|(g, _)| g == one) {
                Some((_, defs)) => defs.push(item(t)),
                None => by_group.push((one, vec![item(t)])),
            },
            several => {
                let gate = quote!(#[cfg(any(#(feature = #several),*))]);
                items.push(gate_each_item(item(t), &gate));
            }
        }
    }
    for (group, defs) in by_group {
        let module = format_ident!("group_{}", group.replace('-', "_"));
        let doc = format!(" Types only the `{group}` operations use.");
        items.push(quote! {
            #[doc = #doc]
            #[cfg(feature = #group)]
            mod #module {
                use super::*;
                #(#defs)*
            }
            #[cfg(feature = #group)]
            pub use #module::*;
        });
    }
    let imports = super::rust_types::imports(types.types.iter().flat_map(type_refs_of));
    // Aliases (`pub type`) derive nothing, and open enums bring their own impls: a spec whose
    // schemas are all free-form or enums needs no serde import.
    let derived = || {
        types
            .types
            .iter()
            .filter(|t| !matches!(t.kind, TypeKind::Alias(_) | TypeKind::StringEnum { .. }))
    };
    let tagged = |t: &&TypeDef| matches!(t.kind, TypeKind::Tagged { .. });
    let mut serde_names = Vec::new();
    // Tagged unions implement `Deserialize` by hand (they read the tag first); everything
    // else decoded derives the runtime's `Decode`.
    let decodes_tagged = derived().filter(tagged).any(|t| t.direction.decoded);
    if decodes_tagged {
        serde_names.extend([quote!(Deserialize), quote!(Deserializer)]);
    }
    if derived().any(|t| t.direction.encodes(serialize_events)) {
        serde_names.push(quote!(Serialize));
    }
    let serde_imports = (!serde_names.is_empty()).then(|| quote!(use serde::{#(#serde_names),*};));
    let decode_import = derived()
        .any(|t| t.direction.decoded && !tagged(&t))
        .then(|| {
            quote!(
                use hookgen_runtime::Decode;
            )
        });
    quote! {
        #imports
        #decode_import
        #serde_imports

        #(#items)*
    }
}

/// Put `gate` on every item of a type's definition (its impls too), after the item's docs.
fn gate_each_item(def: TokenStream, gate: &TokenStream) -> TokenStream {
    let (Ok(mut file), Ok(gate)) = (
        syn::parse2::<syn::File>(def.clone()),
        syn::parse::Parser::parse2(syn::Attribute::parse_outer, gate.clone()),
    ) else {
        // Unparsable output is reported when the whole file is formatted.
        return def;
    };
    for item in &mut file.items {
        if let Some(attrs) = item_attrs(item) {
            let after_docs = attrs
                .iter()
                .take_while(|a| a.path().is_ident("doc"))
                .count();
            attrs.splice(after_docs..after_docs, gate.iter().cloned());
        }
    }
    let items = &file.items;
    quote!(#(#items)*)
}

fn item_attrs(item: &mut syn::Item) -> Option<&mut Vec<syn::Attribute>> {
    Some(match item {
        syn::Item::Struct(i) => &mut i.attrs,
        syn::Item::Enum(i) => &mut i.attrs,
        syn::Item::Impl(i) => &mut i.attrs,
        syn::Item::Macro(i) => &mut i.attrs,
        syn::Item::Type(i) => &mut i.attrs,
        syn::Item::Fn(i) => &mut i.attrs,
        syn::Item::Const(i) => &mut i.attrs,
        _ => return None,
    })
}

fn type_def(
    types: &TypeSpace,
    t: &TypeDef,
    attributes: &[TokenStream],
    serialize_events: bool,
) -> TokenStream {
    let encodes = t.direction.encodes(serialize_events);
    let name = format_ident!("{}", t.name);
    let mut doc = t
        .doc
        .clone()
        .unwrap_or_else(|| format!("`{}` from the spec.", t.name));
    let pointer = t.pointer.replace('`', "'");
    match t.copies {
        0 => doc.push_str(&format!("\n\nSchema: `#{pointer}`.")),
        1 => doc.push_str(&format!(
            "\n\nSchema: `#{pointer}`, and one other schema of the same shape."
        )),
        n => doc.push_str(&format!(
            "\n\nSchema: `#{pointer}`, and {n} other schemas of the same shape."
        )),
    }
    let docs = doc_attrs(Some(&doc));
    let deprecated = t.deprecated.then(|| quote!(#[deprecated]));
    match &t.kind {
        TypeKind::Struct {
            fields,
            additional,
            omit_when_empty,
            ..
        } => {
            let def = struct_def(
                types,
                t,
                encodes,
                docs,
                deprecated,
                fields,
                additional.as_ref(),
            );
            let empty = omit_when_empty.then(|| is_empty_impl(&name, fields));
            quote!(#def #empty)
        }
        TypeKind::StringEnum { values } => string_enum(&name, docs, attributes, values),
        TypeKind::Tagged { property, variants } => {
            tagged_union(types, t, encodes, docs, property, variants)
        }
        TypeKind::Untagged { variants } => untagged_union(types, t, encodes, docs, variants),
        TypeKind::Alias(inner) => {
            let inner = rust_type(types, inner);
            quote! { #docs pub type #name = #inner; }
        }
    }
}

fn field_type(types: &TypeSpace, f: &Field) -> TokenStream {
    let mut ty = rust_type(types, &f.ty);
    if f.boxed {
        ty = quote!(Box<#ty>);
    }
    if !f.required || f.nullable {
        ty = quote!(Option<#ty>);
    }
    ty
}

fn struct_def(
    types: &TypeSpace,
    t: &TypeDef,
    encoded: bool,
    docs: TokenStream,
    deprecated: Option<TokenStream>,
    fields: &[Field],
    additional: Option<&TypeRef>,
) -> TokenStream {
    let name = format_ident!("{}", t.name);
    let fields_tokens = fields.iter().map(|f| {
        let fname = ident(&f.name);
        let ty = field_type(types, f);
        // Without the vendor's words, a doc says only what the declaration does not: the wire
        // name when the Rust name differs. `pub id: i64` needs no "`id` (required)".
        let bare = f.name.trim_start_matches("r#");
        let fallback = if f.flatten {
            Some("The variant part of the payload.".to_string())
        } else if bare != f.wire {
            Some(format!("`{}` on the wire.", f.wire))
        } else {
            None
        };
        let mut doc = f.doc.clone().or(fallback);
        if f.absent_is_default {
            doc.get_or_insert_with(String::new)
                .push_str("\n\nAbsent from a delivery, it is the spec's `default`.");
        }
        let docs = doc_attrs(doc.as_deref());
        let deprecated = f.deprecated.then(|| quote!(#[deprecated]));
        if f.flatten {
            return quote! { #docs #[serde(flatten)] pub #fname: #ty, };
        }
        let rename = (bare != f.wire).then(|| {
            let wire = &f.wire;
            quote!(rename = #wire,)
        });
        let skip = match omit_when_empty_type(types, &f.ty) {
            Some(t) if !f.boxed => format!("{t}::is_absent"),
            _ => "Option::is_none".to_string(),
        };
        // A missing `Option` field decodes as `None` without `default`; only encoding needs
        // to be told to leave it out.
        let optional = if !f.required {
            encoded.then(|| quote!(skip_serializing_if = #skip,))
        } else {
            f.absent_is_default.then(|| quote!(default,))
        };
        let attr = if rename.is_some() || optional.is_some() {
            quote!(#[serde(#rename #optional)])
        } else {
            quote!()
        };
        quote! { #docs #deprecated #attr pub #fname: #ty, }
    });
    let extra = additional.map(|t| {
        let t = rust_type(types, t);
        quote! {
            /// Properties beyond the declared ones.
            #[serde(flatten)]
            pub additional_properties: BTreeMap<String, #t>,
        }
    });
    // All-optional structs (filters, options) are built field by field: `..Default::default()`.
    let all_optional = fields.iter().all(|f| !f.required || f.nullable);
    let mut derives = vec![quote!(Debug), quote!(Clone)];
    if all_optional {
        derives.push(quote!(Default));
    }
    derives.push(quote!(PartialEq));
    derives.extend(serde_derives(encoded, t.direction.decoded));
    let derives = quote!(#[derive(#(#derives),*)]);
    quote! {
        #docs
        #deprecated
        #derives
        pub struct #name {
            #(#fields_tokens)*
            #extra
        }
    }
}

/// The derives a type needs: serde's `Serialize` to be encoded, the runtime's `Decode` (its
/// `Deserialize`) to be decoded.
fn serde_derives(encoded: bool, decoded: bool) -> Vec<TokenStream> {
    let mut derives = Vec::new();
    if encoded {
        derives.push(quote!(Serialize));
    }
    if decoded {
        derives.push(quote!(Decode));
    }
    derives
}

/// An open enum is one `open_enum!` declaration: the runtime writes its methods and serde impls.
fn string_enum(
    name: &proc_macro2::Ident,
    docs: TokenStream,
    attributes: &[TokenStream],
    values: &[EnumValue],
) -> TokenStream {
    let variants = values.iter().map(|v| format_ident!("{}", v.variant));
    let wires = values.iter().map(|v| v.wire.as_str());
    let variant_docs = values.iter().map(|v| match &v.doc {
        Some(doc) => format!(" `{}`: {doc}", v.wire),
        None => format!(" `{}`", v.wire),
    });
    quote! {
        hookgen_runtime::open_enum! {
            #docs
            #(#attributes)*
            pub enum #name {
                #(#[doc = #variant_docs] #variants = #wires,)*
            }
        }
    }
}

fn variant_type(types: &TypeSpace, v: &Variant) -> TokenStream {
    let t = rust_type(types, &v.ty);
    if v.boxed {
        quote!(Box<#t>)
    } else {
        t
    }
}

fn tagged_union(
    types: &TypeSpace,
    t: &TypeDef,
    encoded: bool,
    docs: TokenStream,
    property: &str,
    variants: &[Variant],
) -> TokenStream {
    let name = format_ident!("{}", t.name);
    // Encoding writes the variant's own shape; decoding reads the tag first (below).
    let encode = encoded.then(|| {
        quote! {
            #[derive(Serialize)]
            #[serde(untagged)]
        }
    });
    let names: Vec<_> = variants
        .iter()
        .map(|v| format_ident!("{}", v.name))
        .collect();
    let tys: Vec<_> = variants.iter().map(|v| variant_type(types, v)).collect();
    let tags: Vec<&str> = variants
        .iter()
        .map(|v| v.tag.as_deref().unwrap_or_default())
        .collect();
    let variant_docs = tags.iter().map(|t| format!(" `{property}: {t}`"));
    let constructors = variants.iter().zip(&names).map(|(v, n)| {
        if v.boxed {
            quote!(|v| Self::#n(Box::new(v)))
        } else {
            quote!(Self::#n)
        }
    });
    let decode = t.direction.decoded.then(|| {
        quote! {
            impl<'de> Deserialize<'de> for #name {
                fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    let json = hookgen_runtime::de::Json::deserialize(deserializer)?;
                    match json.tag(#property).as_deref() {
                        #(Some(#tags) => json.decode().map(#constructors),)*
                        _ => json.decode().map(Self::Unknown),
                    }
                }
            }
        }
    });
    quote! {
        #docs
        ///
        #[doc = concat!(" Selected by `", #property, "`; an unknown value decodes into `Unknown` with the payload kept.")]
        #[derive(Debug, Clone, PartialEq)]
        #encode
        #[non_exhaustive]
        pub enum #name {
            #(#[doc = #variant_docs] #names(#tys),)*
            /// A variant this SDK does not know; the payload is kept as sent.
            Unknown(serde_json::Value),
        }

        #decode
    }
}

fn untagged_union(
    types: &TypeSpace,
    t: &TypeDef,
    encoded: bool,
    docs: TokenStream,
    variants: &[Variant],
) -> TokenStream {
    let name = format_ident!("{}", t.name);
    let mut derives = vec![quote!(Debug), quote!(Clone), quote!(PartialEq)];
    derives.extend(serde_derives(encoded, t.direction.decoded));
    let names: Vec<_> = variants
        .iter()
        .map(|v| format_ident!("{}", v.name))
        .collect();
    let tys: Vec<_> = variants.iter().map(|v| variant_type(types, v)).collect();
    let vdocs = variants.iter().map(|v| format!(" The `{}` shape.", v.name));
    let has_catch_all = variants.iter().any(|v| v.ty == TypeRef::Json);
    let fallback = (!has_catch_all).then(|| {
        quote! {
            /// A value that fits none of the variants; kept as sent.
            Other(serde_json::Value),
        }
    });
    quote! {
        #docs
        ///
        /// Untagged: the first variant that decodes wins, most specific first.
        #[derive(#(#derives),*)]
        #[serde(untagged)]
        pub enum #name {
            #(#[doc = #vdocs] #names(#tys),)*
            #fallback
        }
    }
}

/// Every type reference a definition mentions (for deciding imports).
pub fn type_refs_of(t: &TypeDef) -> Vec<TypeRef> {
    match &t.kind {
        TypeKind::Struct {
            fields, additional, ..
        } => {
            let mut v: Vec<TypeRef> = fields.iter().map(|f| f.ty.clone()).collect();
            if let Some(a) = additional {
                v.push(TypeRef::Map(Box::new(a.clone())));
            }
            v
        }
        TypeKind::Tagged { variants, .. } | TypeKind::Untagged { variants } => {
            variants.iter().map(|v| v.ty.clone()).collect()
        }
        TypeKind::Alias(t) => vec![t.clone()],
        TypeKind::StringEnum { .. } => vec![],
    }
}

/// The name of a type whose empty value must not be sent, if `t` is one.
fn omit_when_empty_type(types: &TypeSpace, t: &TypeRef) -> Option<String> {
    match t {
        TypeRef::Named(id) => match &types.get(*id).kind {
            TypeKind::Struct {
                omit_when_empty: true,
                ..
            } => Some(types.get(*id).name.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// `is_empty()` and the `skip_serializing_if` helper for a type the API rejects when empty.
fn is_empty_impl(name: &proc_macro2::Ident, fields: &[Field]) -> TokenStream {
    let checks = fields.iter().map(|f| {
        let n = ident(&f.name);
        quote!(self.#n.is_none())
    });
    quote! {
        impl #name {
            /// True when no property is set. The spec requires at least one (`minProperties`),
            /// so an empty value is left out of requests instead of being sent as `{}`.
            pub fn is_empty(&self) -> bool {
                #(#checks)&&*
            }

            /// Whether an optional field of this type is left out of a request: absent or empty.
            pub fn is_absent(value: &Option<Self>) -> bool {
                value.as_ref().is_none_or(Self::is_empty)
            }
        }
    }
}
