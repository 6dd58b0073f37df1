//! Schema types → structs, open enums and unions.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::rust_types::{doc_attrs, ident, rust_type};
use crate::ir::{EnumValue, Field, TypeDef, TypeKind, TypeRef, TypeSpace, Variant};

/// Every named type of the type space, in a stable order.
pub fn types_module(types: &TypeSpace, attributes: &[TokenStream]) -> TokenStream {
    let items = types.types.iter().map(|t| {
        let def = type_def(types, t);
        match t.kind {
            TypeKind::Alias(_) => def,
            _ => quote!(#(#attributes)* #def),
        }
    });
    let imports = super::rust_types::imports(types.types.iter().flat_map(type_refs_of));
    let has_enum = types
        .types
        .iter()
        .any(|t| matches!(t.kind, TypeKind::StringEnum { .. }));
    let has_tagged = types
        .types
        .iter()
        .any(|t| matches!(t.kind, TypeKind::Tagged { .. }));
    let enum_imports = has_enum.then(|| {
        quote!(
            use std::fmt;
            use std::str::FromStr;
        )
    });
    // Aliases (`pub type`) derive nothing: a spec whose schemas are all free-form needs no serde.
    let derives = types
        .types
        .iter()
        .any(|t| !matches!(t.kind, TypeKind::Alias(_)));
    let serde_imports = match (has_enum, has_tagged, derives) {
        (true, _, _) => quote!(
            use serde::{Deserialize, Deserializer, Serialize, Serializer};
        ),
        (false, true, _) => quote!(
            use serde::{Deserialize, Deserializer, Serialize};
        ),
        (false, false, true) => quote!(
            use serde::{Deserialize, Serialize};
        ),
        (false, false, false) => quote!(),
    };
    quote! {
        #enum_imports
        #imports
        #serde_imports

        #(#items)*
    }
}

fn type_def(types: &TypeSpace, t: &TypeDef) -> TokenStream {
    let name = format_ident!("{}", t.name);
    let mut doc = t
        .doc
        .clone()
        .unwrap_or_else(|| format!("`{}` from the spec.", t.name));
    doc.push_str(&format!("\n\nSchema: `#{}`.", t.pointer.replace('`', "'")));
    let docs = doc_attrs(Some(&doc));
    let deprecated = t.deprecated.then(|| quote!(#[deprecated]));
    match &t.kind {
        TypeKind::Struct {
            fields,
            additional,
            omit_when_empty,
            ..
        } => {
            let def = struct_def(types, &name, docs, deprecated, fields, additional.as_ref());
            let empty = omit_when_empty.then(|| is_empty_impl(&name, fields));
            quote!(#def #empty)
        }
        TypeKind::StringEnum { values } => string_enum(&name, docs, values),
        TypeKind::Tagged { property, variants } => {
            tagged_union(types, &name, docs, property, variants)
        }
        TypeKind::Untagged { variants } => untagged_union(types, &name, docs, variants),
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
    name: &proc_macro2::Ident,
    docs: TokenStream,
    deprecated: Option<TokenStream>,
    fields: &[Field],
    additional: Option<&TypeRef>,
) -> TokenStream {
    let fields_tokens = fields.iter().map(|f| {
        let fname = ident(&f.name);
        let ty = field_type(types, f);
        let fallback = if f.flatten {
            "The variant part of the payload.".to_string()
        } else if f.required {
            format!("`{}` (required).", f.wire)
        } else {
            format!("`{}` (optional).", f.wire)
        };
        let mut doc = f.doc.clone().unwrap_or(fallback);
        if f.absent_is_default {
            doc.push_str("\n\nAbsent from a delivery, it is the spec's `default`.");
        }
        let docs = doc_attrs(Some(&doc));
        let deprecated = f.deprecated.then(|| quote!(#[deprecated]));
        if f.flatten {
            return quote! { #docs #[serde(flatten)] pub #fname: #ty, };
        }
        let bare = f.name.trim_start_matches("r#");
        let rename = (bare != f.wire).then(|| {
            let wire = &f.wire;
            quote!(rename = #wire,)
        });
        let skip = match omit_when_empty_type(types, &f.ty) {
            Some(t) if !f.boxed => format!("{t}::is_absent"),
            _ => "Option::is_none".to_string(),
        };
        let optional = if !f.required {
            Some(quote!(default, skip_serializing_if = #skip,))
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
    let derives = if all_optional {
        quote!(#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)])
    } else {
        quote!(#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)])
    };
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

fn string_enum(name: &proc_macro2::Ident, docs: TokenStream, values: &[EnumValue]) -> TokenStream {
    let variants: Vec<_> = values
        .iter()
        .map(|v| format_ident!("{}", v.variant))
        .collect();
    let wires: Vec<&str> = values.iter().map(|v| v.wire.as_str()).collect();
    let variant_docs = wires.iter().map(|w| format!(" `{w}`"));
    quote! {
        #docs
        ///
        /// Open: a value this SDK does not know decodes into `Unknown` with the string kept.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #(#[doc = #variant_docs] #variants,)*
            /// A value this SDK does not know; the string is kept as sent.
            Unknown(String),
        }

        impl #name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#variants => #wires,)*
                    Self::Unknown(other) => other,
                }
            }
        }

        impl fmt::Display for #name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for #name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    #(#wires => Self::#variants,)*
                    other => Self::Unknown(other.to_owned()),
                })
            }
        }

        impl Serialize for #name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                Ok(s.parse().unwrap_or_else(|never| match never {}))
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
    name: &proc_macro2::Ident,
    docs: TokenStream,
    property: &str,
    variants: &[Variant],
) -> TokenStream {
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
    quote! {
        #docs
        ///
        #[doc = concat!(" Selected by `", #property, "`; an unknown value decodes into `Unknown` with the payload kept.")]
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum #name {
            #(#[doc = #variant_docs] #names(#tys),)*
            /// A variant this SDK does not know; the payload is kept as sent.
            Unknown(serde_json::Value),
        }

        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = serde_json::Value::deserialize(deserializer)?;
                let tag = value.get(#property).and_then(serde_json::Value::as_str);
                match tag {
                    #(Some(#tags) => serde_json::from_value(value).map(#constructors).map_err(serde::de::Error::custom),)*
                    _ => Ok(Self::Unknown(value)),
                }
            }
        }
    }
}

fn untagged_union(
    types: &TypeSpace,
    name: &proc_macro2::Ident,
    docs: TokenStream,
    variants: &[Variant],
) -> TokenStream {
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
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
